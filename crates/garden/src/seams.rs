//! What the garden needs from the server, as traits the server implements: durable storage for the
//! world actors and accounts for the sessions. The garden never sees SQL or credentials' format.

use std::fmt;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sim::PlayerId;

/// A storage or accounts failure, with its cause in words (logged, never shown to players).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFailure(pub String);

impl fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreFailure {}

/// One player's figures in one world, written by the world actor for leaderboards and offline views.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlayerStatsRow {
    pub world_id: i64,
    pub user_id: i64,
    pub total_dust: f64,
    pub stars_created: i64,
    pub bodies_created: i64,
    pub highest_life_stage: i32,
    /// JSON of `sim::Resources`.
    pub resources: String,
    /// JSON of `sim::ResearchLevels`.
    pub research: String,
    pub updated_at: i64,
}

/// Durable storage of worlds: what a world actor writes.
pub trait WorldStore: Send + Sync + fmt::Debug + 'static {
    /// Writes the commands tick `tick` will apply, in one transaction (write-ahead).
    fn append_commands<'a>(
        &'a self,
        world: u64,
        tick: u64,
        commands: &'a [sim::Command],
    ) -> BoxFuture<'a, Result<(), StoreFailure>>;

    /// Writes a snapshot; returns its stored size in bytes.
    fn save_snapshot<'a>(
        &'a self,
        world: u64,
        state: &'a sim::WorldState,
    ) -> BoxFuture<'a, Result<usize, StoreFailure>>;

    /// Writes many players' figures in one transaction.
    fn save_player_stats<'a>(
        &'a self,
        rows: &'a [PlayerStatsRow],
    ) -> BoxFuture<'a, Result<(), StoreFailure>>;
}

/// Accounts, as the sessions need them.
pub trait Accounts: Send + Sync + fmt::Debug + 'static {
    /// The player an access token belongs to, if it is valid, unexpired and its account still exists
    /// in the server's view.
    fn player_for_token<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Option<PlayerId>>;

    /// A new guest account (a v0 connection that brings no token plays as one).
    fn new_guest(&self) -> BoxFuture<'_, Result<PlayerId, StoreFailure>>;

    /// Whether `player` is a member of `world` (a private world admits its owner and its members).
    fn is_member(&self, world: u64, player: PlayerId) -> BoxFuture<'_, Result<bool, StoreFailure>>;
}
