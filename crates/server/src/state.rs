//! The application's shared state: small, cloneable handles only (never a lock around a world), grouped
//! by who uses them. A handler takes the whole [`AppState`] or just its part (`State<ApiState>`,
//! through [`FromRef`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::FromRef;
use gateway::Gateway;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::cache::Cache;
use crate::store::Store;
use crate::tokens::AuthConfig;
pub use crate::web::WebState;

/// Handles every request and connection shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The real-time fabric: WebSocket options and the registry of every open connection.
    pub gateway: Gateway,
    pub game: GameState,
    /// Live sessions (v1z3r): the node's rooms.
    pub live: live::Live,
    pub api: ApiState,
    pub web: WebState,
    pub ops: OpsState,
}

/// The garden: its running worlds and what new worlds start with.
#[derive(Clone, Debug)]
pub struct GameState {
    pub garden: garden::Garden,
    /// For worlds created while running: the balance and actor options they start with.
    pub balance: Arc<sim::Balance>,
    pub world_options: garden::WorldOptions,
    /// Tasks of worlds created while running (awaited at shutdown so their final snapshot lands).
    pub world_tasks: Arc<Mutex<Vec<JoinHandle<sim::WorldState>>>>,
    /// Cluster mode: this node's leases and membership (none: a single node runs every world).
    pub cluster: Option<crate::cluster::Cluster>,
}

/// What the REST API works with: storage, cache, and the accounts' settings.
#[derive(Clone, Debug)]
pub struct ApiState {
    pub store: Store,
    pub cache: Cache,
    pub auth: Arc<AuthConfig>,
    /// Bounds how many password hashes run at once (they run off the async runtime).
    pub hash_permits: Arc<Semaphore>,
    /// Requests waiting for a hashing slot (at most `auth.hash_queue`; past that, 429).
    pub hash_queue: Arc<std::sync::atomic::AtomicUsize>,
    pub login_throttle: Arc<crate::throttle::LoginThrottle>,
    /// What one account or address may create, and the node's simulation budget.
    pub quotas: Arc<crate::quotas::Quotas>,
    /// Proxies whose `X-Forwarded-For` names the client (`http.trusted_proxies`).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
}

impl ApiState {
    pub fn new(store: Store, cache: Cache, auth: AuthConfig) -> Self {
        Self {
            store,
            cache,
            hash_permits: Arc::new(Semaphore::new(auth.hash_concurrency.max(1))),
            hash_queue: Arc::default(),
            login_throttle: Arc::default(),
            quotas: Arc::new(crate::quotas::Quotas::new(Default::default())),
            trusted_proxies: Arc::new([]),
            auth: Arc::new(auth),
        }
    }
}

/// What operations endpoints read.
#[derive(Clone, Debug)]
pub struct OpsState {
    /// The data directory (its free space is reported by `/health/detailed`).
    pub data_dir: Arc<PathBuf>,
    /// Turns true when the server begins shutting down.
    pub shutdown: watch::Receiver<bool>,
    /// A request (its body included) that takes longer gets a 408.
    pub request_timeout: std::time::Duration,
}

macro_rules! substate {
    ($($field:ident: $ty:ty),*) => {$(
        impl FromRef<AppState> for $ty {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        }
    )*};
}
substate!(gateway: Gateway, game: GameState, api: ApiState, web: WebState, ops: OpsState);
