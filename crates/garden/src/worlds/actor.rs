//! The world actor: owns one `sim::World`, ticks it on a fixed schedule, applies commands at the tick
//! boundary, answers each command's connection, and publishes one [`TickFrame`] per tick.
//!
//! Nothing else touches the world. The actor never waits on a connection: replies go into each
//! connection's bounded queue with `try_send`, and a connection whose queue is full is told to close.
//!
//! Durability (write-ahead): a tick's commands are written to the journal in one transaction *before*
//! they are applied and answered, so an acknowledged command survives any crash; snapshots and players'
//! figures are written in the background on a schedule and once more when the world stops.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use gateway::FeedFrame;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tracing::{debug, error, info, warn};

use super::frames::{TickFrame, TickInput};
use super::publisher::Publisher;
use super::{Refusal, Reply, ToWorld, WorldHandle, WorldSettings, WorldStats};
use crate::mapping;
use crate::metrics::{TickPhase, hot};
use crate::seams::{PlayerStatsRow, WorldStore};

type Replies = Vec<Option<Box<dyn Reply>>>;

/// How often a world writes a snapshot of itself.
pub const DEFAULT_SNAPSHOT_EVERY: Duration = Duration::from_secs(60);
/// How often players' figures (for leaderboards) are written.
pub const DEFAULT_STATS_EVERY: Duration = Duration::from_secs(5);
/// Journal writes are tried this many times before the tick's commands are refused.
const JOURNAL_ATTEMPTS: u32 = 3;

/// How a world actor runs.
#[derive(Clone, Debug)]
pub struct WorldOptions {
    pub id: u64,
    pub command_queue: usize,
    pub hibernate_after: Duration,
    pub history_ticks: usize,
    /// Commands applied per tick at most; the rest wait for the next tick.
    pub max_commands_per_tick: usize,
    /// Where commands, snapshots and players' figures go (none: nothing is persisted).
    pub store: Option<Arc<dyn WorldStore>>,
    pub snapshot_every: Duration,
    pub stats_every: Duration,
    /// A v1 connection gets its `PlayerState` every this many frames.
    pub player_state_every: u64,
}

impl Default for WorldOptions {
    fn default() -> Self {
        Self {
            id: 1,
            command_queue: super::DEFAULT_COMMAND_QUEUE,
            hibernate_after: super::DEFAULT_HIBERNATE_AFTER,
            history_ticks: super::DEFAULT_HISTORY_TICKS,
            max_commands_per_tick: 2048,
            store: None,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
            stats_every: DEFAULT_STATS_EVERY,
            player_state_every: crate::DEFAULT_PLAYER_STATE_EVERY,
        }
    }
}

struct Actor {
    options: WorldOptions,
    world: sim::World,
    rx: mpsc::Receiver<ToWorld>,
    frames: watch::Sender<Arc<TickFrame>>,
    /// The same frames, for the gateway's writers.
    feed: watch::Sender<Arc<dyn FeedFrame>>,
    settings: Arc<WorldSettings>,
    stats: Arc<WorldStats>,
    publisher: Publisher,
    /// Open connections per player in this world.
    presence: HashMap<sim::PlayerId, u32>,
    left_at: HashMap<sim::PlayerId, Instant>,
    /// The message that woke a hibernating world, applied at the next tick.
    woken_by: Option<ToWorld>,
    /// Presence changes whose journal write failed: retried with the next tick.
    carried: Vec<sim::Command>,
    last_snapshot: Instant,
    last_stats: Instant,
    /// Players' figures as last written, to write only what changed.
    written_stats: HashMap<sim::PlayerId, PlayerStatsRow>,
}

/// Starts a world's actor. The task ends when `shutdown` turns true and returns the final state (to be
/// persisted by the caller).
pub fn spawn_world(
    world: sim::World,
    options: WorldOptions,
    settings: Arc<WorldSettings>,
    mut shutdown: watch::Receiver<bool>,
) -> (WorldHandle, JoinHandle<sim::WorldState>) {
    let (tx, rx) = mpsc::channel(options.command_queue);
    let stats = Arc::new(WorldStats::default());
    // Readers see the world's size and rate from the start, not only after its first tick.
    let hz = world.balance().world.tick_rate_hz;
    let period = Duration::from_secs_f64(1.0 / f64::from(hz.max(1)));
    for p in [&stats.period_nanos, &stats.nominal_period_nanos] {
        p.store(period.as_nanos() as u64, Ordering::Relaxed);
    }
    let first = Arc::new(TickFrame::build(
        TickInput {
            world: options.id,
            tick_rate_hz: 0,
            view: Arc::default(),
            events: Vec::new(),
            ages: Vec::new(),
            players: Arc::default(),
            history: VecDeque::new(),
            player_state_every: options.player_state_every,
        },
        |_| Vec::new(),
    ));
    let mut actor = Actor {
        rx,
        feed: watch::Sender::new(first.clone()),
        frames: watch::Sender::new(first),
        settings: settings.clone(),
        stats: stats.clone(),
        publisher: Publisher::new(
            options.id,
            options.history_ticks,
            options.player_state_every,
        ),
        presence: HashMap::new(),
        left_at: HashMap::new(),
        woken_by: None,
        // Nobody is connected to a world that is just starting: players the state still shows online
        // (the server stopped under them) leave first, through the journal like any other change.
        carried: world
            .players()
            .filter(|p| p.online)
            .map(|p| sim::Command {
                player: p.id,
                kind: sim::CommandKind::Leave,
            })
            .collect(),
        last_snapshot: Instant::now(),
        last_stats: Instant::now(),
        written_stats: HashMap::new(),
        world,
        options,
    };
    actor.publish(Vec::new());
    let handle = WorldHandle {
        id: actor.options.id,
        tx,
        frames: actor.frames.subscribe(),
        feed: actor.feed.subscribe(),
        stats,
        settings,
    };
    let task = tokio::spawn(async move {
        actor.run(&mut shutdown).await;
        let bodies = WorldStats::get(&actor.stats.bodies);
        hot().world_bodies.decrement(bodies as f64);
        actor.persist().await;
        actor.world.snapshot()
    });
    (handle, task)
}

impl Actor {
    async fn run(&mut self, shutdown: &mut watch::Receiver<bool>) {
        let hz = self.world.balance().world.tick_rate_hz;
        let nominal = Duration::from_secs_f64(1.0 / f64::from(hz));
        let mut speed = 100;
        let mut period = nominal;
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut idle_since: Option<Instant> = None;
        info!(
            world = self.options.id,
            bodies = self.world.bodies().len(),
            hz,
            "World started."
        );
        while !*shutdown.borrow() {
            tokio::select! {
                biased;
                _ = shutdown.changed() => break,
                scheduled = interval.tick() => {
                    let lag = scheduled.elapsed();
                    self.tick(period, lag).await;
                    self.background_writes();
                }
            }
            let wanted = self
                .settings
                .speed_percent
                .load(Ordering::Relaxed)
                .clamp(1, 100);
            if wanted != speed {
                info!(
                    world = self.options.id,
                    from = speed,
                    to = wanted,
                    "World speed changed (simulation budget)."
                );
                speed = wanted;
                period = nominal * 100 / speed;
                interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
            }
            if !self.presence.is_empty() {
                idle_since = None;
                continue;
            }
            let since = *idle_since.get_or_insert_with(Instant::now);
            if since.elapsed() < self.options.hibernate_after {
                continue;
            }
            info!(world = self.options.id, "World hibernating: nobody here.");
            tokio::select! {
                _ = shutdown.changed() => break,
                msg = self.rx.recv() => match msg {
                    Some(msg) => self.early(msg),
                    None => break,
                },
            }
            info!(world = self.options.id, "World waking up.");
            interval.reset();
            idle_since = None;
        }
        info!(
            world = self.options.id,
            tick = self.world.tick().0,
            "World stopped."
        );
    }

    /// A message that woke the world: handled first in the next tick.
    fn early(&mut self, msg: ToWorld) {
        self.woken_by = Some(msg);
    }

    async fn tick(&mut self, period: Duration, lag: Duration) {
        let start = Instant::now();
        let mut commands = std::mem::take(&mut self.carried);
        let mut tags: Replies = std::iter::repeat_with(|| None)
            .take(commands.len())
            .collect();
        if let Some(msg) = self.woken_by.take() {
            self.accept(msg, &mut commands, &mut tags);
        }
        while commands.len() < self.options.max_commands_per_tick {
            match self.rx.try_recv() {
                Ok(msg) => self.accept(msg, &mut commands, &mut tags),
                Err(_) => break,
            }
        }
        let journal_started = Instant::now();
        let (commands, tags) = self.journal(commands, tags).await;
        hot()
            .tick_phase(TickPhase::Journal)
            .record(journal_started.elapsed());
        self.step(commands, tags);
        let took = start.elapsed();
        self.stats
            .last_tick_nanos
            .store(took.as_nanos() as u64, Ordering::Relaxed);
        self.stats
            .last_tick_at_ms
            .store(now_ms() as u64, Ordering::Relaxed);
        self.stats
            .period_nanos
            .store(period.as_nanos() as u64, Ordering::Relaxed);
        if took + lag > period {
            self.stats.overruns.fetch_add(1, Ordering::Relaxed);
            hot().tick_overruns.increment(1);
            debug!(
                world = self.options.id,
                took_ms = took.as_secs_f64() * 1e3,
                "Tick overran."
            );
        }
    }

    /// Turns a message into simulation commands (presence changes become joins and leaves).
    fn accept(&mut self, msg: ToWorld, commands: &mut Vec<sim::Command>, tags: &mut Replies) {
        let (player, kind, tag) = match msg {
            ToWorld::Enter { player, admitted } => {
                let max = self.settings.max_players.load(Ordering::Relaxed) as usize;
                if !self.presence.contains_key(&player) && self.presence.len() >= max {
                    let _ = admitted.send(Err(Refusal::Full));
                    return;
                }
                let _ = admitted.send(Ok(()));
                let count = self.presence.entry(player).or_insert(0);
                *count += 1;
                if *count > 1 {
                    return;
                }
                let away = self
                    .left_at
                    .remove(&player)
                    .map_or(0.0, |t| t.elapsed().as_secs_f64());
                (player, sim::CommandKind::Join { away_seconds: away }, None)
            }
            ToWorld::Exit { player } => {
                let Some(count) = self.presence.get_mut(&player) else {
                    return;
                };
                *count -= 1;
                if *count > 0 {
                    return;
                }
                self.presence.remove(&player);
                self.left_at.insert(player, Instant::now());
                (player, sim::CommandKind::Leave, None)
            }
            ToWorld::Command {
                player,
                kind,
                reply,
            } => (player, kind, Some(reply)),
        };
        commands.push(sim::Command { player, kind });
        tags.push(tag);
    }

    /// Writes the commands the next tick will apply; if that fails, players' commands are refused and
    /// presence changes wait for the next tick, so the journal always holds exactly what was applied.
    async fn journal(
        &mut self,
        commands: Vec<sim::Command>,
        tags: Replies,
    ) -> (Vec<sim::Command>, Replies) {
        let Some(store) = &self.options.store else {
            return (commands, tags);
        };
        if commands.is_empty() {
            return (commands, tags);
        }
        let tick = self.world.tick().0 + 1;
        let mut delay = Duration::from_millis(5);
        for attempt in 1..=JOURNAL_ATTEMPTS {
            match store
                .append_commands(self.options.id, tick, &commands)
                .await
            {
                Ok(()) => return (commands, tags),
                Err(e) if attempt < JOURNAL_ATTEMPTS => {
                    warn!(world = self.options.id, tick, attempt, error = %e, "Journal write failed; retrying.");
                    tokio::time::sleep(delay).await;
                    delay *= 4;
                }
                Err(e) => {
                    error!(world = self.options.id, tick, error = %e, "Journal write failed; commands refused.")
                }
            }
        }
        for (command, tag) in commands.into_iter().zip(tags) {
            match tag {
                Some(reply) => reply.failed("the world could not save this command: try again"),
                None => self.carried.push(command),
            }
        }
        (Vec::new(), Vec::new())
    }

    /// Starts the scheduled snapshot and statistics writes (they run beside the tick loop).
    fn background_writes(&mut self) {
        let Some(store) = self.options.store.clone() else {
            return;
        };
        if self.last_stats.elapsed() >= self.options.stats_every {
            self.last_stats = Instant::now();
            let rows = self.changed_stats();
            if !rows.is_empty() {
                let id = self.options.id;
                tokio::spawn(async move {
                    if let Err(e) = store.save_player_stats(&rows).await {
                        warn!(world = id, error = %e, "Cannot write players' figures.");
                    }
                });
            }
        }
        if self.last_snapshot.elapsed() >= self.options.snapshot_every {
            self.last_snapshot = Instant::now();
            let state = self.world.snapshot();
            let id = self.options.id;
            let store = self.options.store.clone();
            tokio::spawn(async move {
                if let Some(store) = store {
                    save_snapshot(&*store, id, &state).await;
                }
            });
        }
    }

    /// Writes the final snapshot and figures (the world has stopped ticking).
    async fn persist(&mut self) {
        let Some(store) = self.options.store.clone() else {
            return;
        };
        let rows = self.changed_stats();
        if let Err(e) = store.save_player_stats(&rows).await {
            warn!(world = self.options.id, error = %e, "Cannot write players' figures.");
        }
        save_snapshot(&*store, self.options.id, &self.world.snapshot()).await;
    }

    /// Players' figures that differ from what was last written.
    fn changed_stats(&mut self) -> Vec<PlayerStatsRow> {
        let world = self.options.id as i64;
        let now = now_ms();
        let mut rows = Vec::new();
        for p in self.world.players() {
            let row = PlayerStatsRow {
                world_id: world,
                user_id: p.id.0 as i64,
                total_dust: p.stats.produced.cosmic_dust,
                stars_created: p.stats.stars_created as i64,
                bodies_created: p.stats.bodies_created as i64,
                highest_life_stage: p.stats.highest_life_stage as i32,
                resources: serde_json::to_string(&p.resources).unwrap_or_default(),
                research: serde_json::to_string(&p.research).unwrap_or_default(),
                updated_at: 0,
            };
            if self.written_stats.get(&p.id) != Some(&row) {
                self.written_stats.insert(p.id, row.clone());
                rows.push(PlayerStatsRow {
                    updated_at: now,
                    ..row
                });
            }
        }
        rows
    }

    fn step(&mut self, commands: Vec<sim::Command>, tags: Replies) {
        let hot = hot();
        let mut phase_started = Instant::now();
        let report = self.world.step_observed(&commands, |phase| {
            let now = Instant::now();
            if let Some(h) = hot.sim_phase(phase) {
                h.record(now - phase_started);
            }
            phase_started = now;
        });
        for (tag, outcome) in tags.into_iter().zip(report.outcomes) {
            if let Some(reply) = tag {
                reply.applied(outcome);
            }
        }
        self.stats.ticks.fetch_add(1, Ordering::Relaxed);
        self.stats
            .interactions
            .fetch_add(report.interactions, Ordering::Relaxed);
        hot.interactions.increment(report.interactions);
        let bodies = self.world.bodies().len() as u64;
        let before = self.stats.bodies.swap(bodies, Ordering::Relaxed);
        hot.world_bodies.increment(bodies as f64 - before as f64);
        let publish_started = Instant::now();
        let events = report.events.iter().map(mapping::wire_event).collect();
        self.publish(events);
        hot.tick_phase(TickPhase::Publish)
            .record(publish_started.elapsed());
    }

    /// Builds this tick's frame (encoding the delta from the previous tick once) and publishes it.
    fn publish(&mut self, events: Vec<protocol::WireEvent>) {
        let frame = self.publisher.frame(&self.world, events);
        for codec in protocol::Codec::ALL {
            let s = self.publisher.codec_stats(codec);
            let out = &self.stats.codec[codec as usize];
            // The stats are running totals: the metric counts what this tick added.
            let raw = s.bytes_in.saturating_sub(out[1].load(Ordering::Relaxed));
            let compressed = s.bytes_out.saturating_sub(out[2].load(Ordering::Relaxed));
            hot().frame_bytes(codec, raw, compressed);
            for (slot, v) in out.iter().zip([s.frames, s.bytes_in, s.bytes_out, s.nanos]) {
                slot.store(v, Ordering::Relaxed);
            }
        }
        let frame = Arc::new(frame);
        self.feed.send_replace(frame.clone());
        self.frames.send_replace(frame);
    }
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn save_snapshot(store: &dyn WorldStore, world: u64, state: &sim::WorldState) {
    let started = Instant::now();
    match store.save_snapshot(world, state).await {
        Ok(bytes) => info!(
            world,
            tick = state.tick.0,
            bytes,
            ms = started.elapsed().as_secs_f64() * 1e3,
            "Snapshot saved."
        ),
        Err(e) => error!(world, tick = state.tick.0, error = %e, "Snapshot failed."),
    }
}
