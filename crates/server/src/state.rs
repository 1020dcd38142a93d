//! The application's shared state: small, cloneable handles only (never a lock around a world).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use rand::Rng;
use sim::PlayerId;
use tokio::sync::watch;

use crate::worlds::WorldRegistry;
use crate::ws::{Proto, WsOptions};

/// First id given to guest players (accounts come from storage and stay below it).
const FIRST_GUEST_ID: u64 = 1 << 40;

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
    /// Session tokens of guest players, for resume after reconnect.
    sessions: Arc<DashMap<String, PlayerId>>,
    next_guest: Arc<AtomicU64>,
}

impl AppState {
    pub fn new(
        worlds: WorldRegistry,
        default_world: u64,
        ws: WsOptions,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            worlds,
            default_world,
            ws: Arc::new(ws),
            shutdown,
            conns: Arc::default(),
            next_conn: Arc::new(AtomicU64::new(1)),
            sessions: Arc::default(),
            next_guest: Arc::new(AtomicU64::new(FIRST_GUEST_ID)),
        }
    }

    /// A new guest player and its session token.
    pub fn new_guest(&self) -> (PlayerId, String) {
        let player = PlayerId(self.next_guest.fetch_add(1, Ordering::Relaxed));
        let token: String = {
            let mut rng = rand::rng();
            (0..32)
                .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
                .collect()
        };
        self.sessions.insert(token.clone(), player);
        (player, token)
    }

    pub fn player_for_token(&self, token: &str) -> Option<PlayerId> {
        self.sessions.get(token).map(|p| *p)
    }

    pub fn set_player(&self, conn: u64, player: PlayerId) {
        if let Some(mut c) = self.conns.get_mut(&conn) {
            c.player = Some(player);
        }
    }
}
