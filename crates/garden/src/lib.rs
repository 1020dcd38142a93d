//! Cosmic Gardener on the gateway: the world actors, the v0 (compat) and v1 sessions at `/ws`, and the
//! game's frames.
//!
//! | module | owns |
//! |---|---|
//! | [`worlds`] | one actor per world (ticks, applies commands at the tick boundary, journals, publishes), handles, the registry |
//! | `worlds::frames`, `worlds::publisher` | the frame each tick publishes, encoded once per codec and delta base |
//! | [`session`] | the v0 and v1 sessions: decode, validate, send to the world; replies in each protocol's words |
//! | [`seams`] | what the server provides: storage ([`WorldStore`]) and accounts ([`Accounts`]) |
//! | [`mapping`] | simulation types ↔ wire types |
//! | [`metrics`] | tick phases, overruns, bodies, frame bytes |
//!
//! It knows no HTTP, no SQL and no JWT: the server composes it with the gateway, the store and the
//! accounts.

pub mod mapping;
pub mod metrics;
pub mod seams;
pub mod session;
mod wire;
pub mod worlds;

use std::sync::Arc;

pub use seams::{Accounts, PlayerStatsRow, StoreFailure, WorldStore};
pub use session::PROTOCOLS;
pub use worlds::{
    ToWorld, WorldHandle, WorldOptions, WorldRegistry, WorldSettings, WorldStats, spawn_world,
};

/// The application's name on the gateway (the `app` label of its WebSocket metrics).
pub const APP: &str = "garden";

/// `PlayerState` (resources, rates) is sent every this many frames.
pub const DEFAULT_PLAYER_STATE_EVERY: u64 = 5;

/// Cosmic Gardener as a gateway application: cheap to clone.
#[derive(Clone, Debug)]
pub struct Garden {
    pub worlds: WorldRegistry,
    /// Where v0 clients play, and v1 clients that name no world.
    pub default_world: u64,
    pub accounts: Arc<dyn Accounts>,
}
