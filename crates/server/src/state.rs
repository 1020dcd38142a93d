//! The application's shared state: small, cloneable handles only (never a lock around a world).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use dashmap::DashMap;
use sim::PlayerId;
use tokio::sync::{Semaphore, watch};

use crate::api::AuthConfig;
use crate::cache::Cache;
use crate::store::{NewUser, Store, StoreError};
use crate::worlds::{WorldOptions, WorldRegistry};
use crate::ws::{Proto, WsOptions};

/// One open WebSocket connection, as the registry lists it.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub proto: Proto,
    pub player: Option<PlayerId>,
}

/// Handles every request and connection shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub worlds: WorldRegistry,
    pub default_world: u64,
    pub ws: Arc<WsOptions>,
    /// Turns true when the server begins shutting down.
    pub shutdown: watch::Receiver<bool>,
    /// Open connections by id.
    pub conns: Arc<DashMap<u64, ConnInfo>>,
    pub next_conn: Arc<AtomicU64>,
    pub store: Store,
    pub cache: Cache,
    pub auth: Arc<AuthConfig>,
    /// Bounds how many password hashes run at once (they run off the async runtime).
    pub hash_permits: Arc<Semaphore>,
    /// Whether `/swagger-ui/` is served.
    pub swagger_ui: bool,
    /// For worlds created while running: the balance and actor options they start with.
    pub balance: Arc<sim::Balance>,
    pub world_options: WorldOptions,
    /// The data directory (its free space is reported by `/health/detailed`).
    pub data_dir: Arc<std::path::PathBuf>,
    /// The built web client, served from memory by the router's fallback.
    pub web: Arc<crate::web::WebClient>,
    /// Tasks of worlds created while running (awaited at shutdown so their final snapshot lands).
    pub world_tasks: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<sim::WorldState>>>>,
}

/// The parts of [`AppState`] that come from configuration and storage.
#[derive(Clone, Debug)]
pub struct Services {
    pub data_dir: std::path::PathBuf,
    pub balance: Arc<sim::Balance>,
    pub world_options: WorldOptions,
    pub store: Store,
    pub cache: Cache,
    pub auth: AuthConfig,
    pub swagger_ui: bool,
    pub web: Arc<crate::web::WebClient>,
}

impl AppState {
    pub fn new(
        worlds: WorldRegistry,
        default_world: u64,
        ws: WsOptions,
        shutdown: watch::Receiver<bool>,
        services: Services,
    ) -> Self {
        Self {
            worlds,
            default_world,
            ws: Arc::new(ws),
            shutdown,
            conns: Arc::default(),
            next_conn: Arc::new(AtomicU64::new(1)),
            store: services.store,
            cache: services.cache,
            hash_permits: Arc::new(Semaphore::new(services.auth.hash_concurrency.max(1))),
            auth: Arc::new(services.auth),
            swagger_ui: services.swagger_ui,
            balance: services.balance,
            world_options: services.world_options,
            web: services.web,
            world_tasks: Arc::default(),
            data_dir: Arc::new(services.data_dir),
        }
    }

    /// A new guest account (for a v0 connection that brings no token).
    pub async fn new_guest(&self) -> Result<PlayerId, StoreError> {
        let user = self
            .store
            .create_user(&NewUser {
                is_guest: true,
                ..Default::default()
            })
            .await?;
        Ok(PlayerId(user.id as u64))
    }

    /// The player an access token belongs to, if the token is valid and unexpired.
    pub fn player_for_token(&self, token: &str) -> Option<PlayerId> {
        crate::api::auth::verify_access(&self.auth, token)
            .ok()
            .map(|c| PlayerId(c.sub as u64))
    }

    pub fn set_player(&self, conn: u64, player: PlayerId) {
        if let Some(mut c) = self.conns.get_mut(&conn) {
            c.player = Some(player);
        }
    }
}
