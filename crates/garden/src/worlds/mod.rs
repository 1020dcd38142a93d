//! Worlds: one actor task per world owns its `sim::World`; everything else talks to it through a
//! [`WorldHandle`] (a bounded command channel, a watch of its latest [`TickFrame`], and the feed the
//! gateway's writers follow).

mod actor;
pub mod frames;
pub mod publisher;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;
use gateway::FeedFrame;
use tokio::sync::{mpsc, oneshot, watch};

pub use actor::{DEFAULT_SNAPSHOT_EVERY, DEFAULT_STATS_EVERY, WorldOptions, spawn_world};
pub use frames::TickFrame;

/// Commands a world's channel holds before senders are told it is busy.
pub const DEFAULT_COMMAND_QUEUE: usize = 4096;
/// A world with nobody in it for this long stops ticking until someone joins.
pub const DEFAULT_HIBERNATE_AFTER: Duration = Duration::from_secs(60);
/// Ticks of views kept as delta bases (a client this far behind gets a snapshot).
pub const DEFAULT_HISTORY_TICKS: usize = 64;

/// Where a command's outcome goes: the session that sent it answers in its protocol's words. The actor
/// calls exactly one of the two.
pub trait Reply: Send + std::fmt::Debug + 'static {
    /// The command was applied (or refused by the rules) at a tick.
    fn applied(self: Box<Self>, outcome: sim::Outcome);
    /// The command was not applied for a server-side reason (storage); `why` is shown to the player.
    fn failed(self: Box<Self>, why: &str);
}

/// Why a world did not let a player in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `max_players` players are in it already.
    Full,
}

/// Messages to a world actor.
#[derive(Debug)]
pub enum ToWorld {
    /// A connection of `player` wants in. The first one makes the player join (with offline progress);
    /// `admitted` is answered at the next tick (refused when the world is full).
    Enter {
        player: sim::PlayerId,
        admitted: oneshot::Sender<Result<(), Refusal>>,
    },
    /// A connection of `player` left. The last one makes the player leave.
    Exit { player: sim::PlayerId },
    /// An intent, applied at the next tick; the outcome goes to `reply`.
    Command {
        player: sim::PlayerId,
        kind: sim::CommandKind,
        reply: Box<dyn Reply>,
    },
}

/// A world's settings that can change while it runs (through the API) and are read by its actor and
/// its sessions.
#[derive(Debug)]
pub struct WorldSettings {
    /// Whether anyone may watch and play, or only its owner and members.
    pub public: AtomicBool,
    /// Players in the world at once, at most.
    pub max_players: AtomicU32,
    /// The account that created it (none: the server's own worlds).
    pub owner: Option<u64>,
    /// The share of its tick rate the world runs at, in percent (100: full speed). The server lowers
    /// it when the node is over its simulation budget: the world then ticks less often, each tick
    /// simulating the same time step, so play slows down but stays exact.
    pub speed_percent: AtomicU32,
}

impl Default for WorldSettings {
    fn default() -> Self {
        Self {
            public: AtomicBool::new(true),
            max_players: AtomicU32::new(u32::MAX),
            owner: None,
            speed_percent: AtomicU32::new(100),
        }
    }
}

/// A handle to a running world: cheap to clone.
#[derive(Clone, Debug)]
pub struct WorldHandle {
    pub id: u64,
    pub tx: mpsc::Sender<ToWorld>,
    /// The newest frame, for the garden's own reads (welcome, `GetGameState`).
    pub frames: watch::Receiver<Arc<TickFrame>>,
    /// The same frames as the gateway's writers follow them.
    pub feed: watch::Receiver<Arc<dyn FeedFrame>>,
    pub stats: Arc<WorldStats>,
    pub settings: Arc<WorldSettings>,
}

impl WorldHandle {
    pub fn is_public(&self) -> bool {
        self.settings.public.load(Ordering::Relaxed)
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
    /// The tick period in nanoseconds, as the world now runs.
    pub period_nanos: AtomicU64,
    /// The period at full speed (from the world's tick rate).
    pub nominal_period_nanos: AtomicU64,
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

    /// Forgets a world that stopped running here (cluster mode: another node runs it now).
    pub fn remove(&self, id: u64) -> Option<WorldHandle> {
        self.worlds.remove(&id).map(|(_, h)| h)
    }

    pub fn get(&self, id: u64) -> Option<WorldHandle> {
        self.worlds.get(&id).map(|h| h.clone())
    }

    pub fn all(&self) -> Vec<WorldHandle> {
        self.worlds.iter().map(|h| h.clone()).collect()
    }
}
