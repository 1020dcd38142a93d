//! What live sessions need from the server: a place to keep rooms (so they survive a restart) and the
//! presets a room loads by id. Live never sees SQL.

use std::fmt;

use futures_util::future::BoxFuture;

use crate::state::StateInput;

/// A storage failure, in words (logged, never shown to clients).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFailure(pub String);

impl fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreFailure {}

/// A room as stored: its description and its state, as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRoom {
    pub id: String,
    pub code: String,
    pub owner: u64,
    /// JSON of [`crate::room::RoomMeta`].
    pub meta: String,
    /// JSON of [`crate::state::ShowState`].
    pub state: String,
    /// Unix ms of the last time someone was in the room.
    pub last_active: i64,
}

/// Durable rooms.
pub trait RoomStore: Send + Sync + fmt::Debug + 'static {
    fn load_rooms(&self) -> BoxFuture<'_, Result<Vec<StoredRoom>, StoreFailure>>;
    fn save_room<'a>(&'a self, room: &'a StoredRoom) -> BoxFuture<'a, Result<(), StoreFailure>>;
    /// Deletes room `id` unless it was active after `idle_since` (Unix ms) — another node may run it and
    /// keep its `last_active` fresh.
    fn delete_room<'a>(
        &'a self,
        id: &'a str,
        idle_since: i64,
    ) -> BoxFuture<'a, Result<(), StoreFailure>>;
}

/// Presets a room may load.
pub trait Presets: Send + Sync + fmt::Debug + 'static {
    /// Preset `id` as a state, if `account` may see it (its owner, or anyone for a public one).
    fn load<'a>(
        &'a self,
        id: &'a str,
        account: u64,
    ) -> BoxFuture<'a, Result<Option<StateInput>, StoreFailure>>;
}
