//! Worlds: one actor task per world owns its `sim::World`; everything else talks to it through a
//! [`WorldHandle`] (a bounded command channel and a watch of its latest [`TickFrame`]).

mod actor;
pub mod frames;
pub mod loader;
pub mod mapping;
pub mod publisher;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;
use tokio::sync::{mpsc, watch};

pub use actor::{DEFAULT_SNAPSHOT_EVERY, DEFAULT_STATS_EVERY, WorldOptions, spawn_world};
pub use frames::TickFrame;

use crate::ws::link::ConnLink;

/// Commands a world's channel holds before senders are told it is busy.
pub const DEFAULT_COMMAND_QUEUE: usize = 4096;
/// A world with nobody in it for this long stops ticking until someone joins.
pub const DEFAULT_HIBERNATE_AFTER: Duration = Duration::from_secs(60);
/// Ticks of views kept as delta bases (a client this far behind gets a snapshot).
pub const DEFAULT_HISTORY_TICKS: usize = 64;

/// How a command's outcome is reported back to its connection.
#[derive(Clone, Debug)]
pub enum ReplyTag {
    /// v1: the request id to echo.
    V1(u32),
    /// v0 `CreateBody`: answered by `BodyCreated`.
    V0Create,
    /// v0 `RemoveBody` of this body: answered by `BodyRemoved`.
    V0Remove(u64),
}

/// Messages to a world actor.
#[derive(Debug)]
pub enum ToWorld {
    /// A connection of `player` entered. The first one makes the player join (with offline progress).
    Enter { player: sim::PlayerId },
    /// A connection of `player` left. The last one makes the player leave.
    Exit { player: sim::PlayerId },
    /// An intent, applied at the next tick; the outcome goes to `link`.
    Command {
        player: sim::PlayerId,
        kind: sim::CommandKind,
        tag: ReplyTag,
        link: ConnLink,
    },
}

/// A handle to a running world: cheap to clone.
#[derive(Clone, Debug)]
pub struct WorldHandle {
    pub id: u64,
    pub tx: mpsc::Sender<ToWorld>,
    pub frames: watch::Receiver<Arc<TickFrame>>,
    pub stats: Arc<WorldStats>,
    /// Whether anyone may watch without signing in (changed by the world's settings).
    pub public: Arc<std::sync::atomic::AtomicBool>,
}

impl WorldHandle {
    pub fn is_public(&self) -> bool {
        self.public.load(Ordering::Relaxed)
    }
}

/// Counters a world keeps for metrics and benchmarks.
#[derive(Debug, Default)]
pub struct WorldStats {
    pub ticks: AtomicU64,
    pub overruns: AtomicU64,
    pub bodies: AtomicU64,
    pub interactions: AtomicU64,
    /// Nanoseconds of the last tick.
    pub last_tick_nanos: AtomicU64,
    /// When the last tick ended (Unix milliseconds; 0 before the first).
    pub last_tick_at_ms: AtomicU64,
    /// The tick period in nanoseconds.
    pub period_nanos: AtomicU64,
    /// Per codec: frames, bytes in, bytes out, nanoseconds (index = codec byte).
    pub codec: [[AtomicU64; 4]; 4],
}

impl WorldStats {
    pub fn get(v: &AtomicU64) -> u64 {
        v.load(Ordering::Relaxed)
    }
}

/// All running worlds, by id.
#[derive(Clone, Debug, Default)]
pub struct WorldRegistry {
    worlds: Arc<DashMap<u64, WorldHandle>>,
}

impl WorldRegistry {
    pub fn insert(&self, handle: WorldHandle) {
        self.worlds.insert(handle.id, handle);
    }

    pub fn get(&self, id: u64) -> Option<WorldHandle> {
        self.worlds.get(&id).map(|h| h.clone())
    }

    pub fn all(&self) -> Vec<WorldHandle> {
        self.worlds.iter().map(|h| h.clone()).collect()
    }
}
