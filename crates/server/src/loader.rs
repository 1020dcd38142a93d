//! Starting worlds from storage: each stored world is restored from its newest valid snapshot plus a
//! replay of the journal after it (exact: the simulation is deterministic), or generated from its seed
//! when it has no snapshot yet. A fresh database gets the default world.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use garden::{WorldOptions, WorldRegistry, WorldSettings, WorldStore, spawn_world};

use crate::store::{NewWorld, Store, WorldRow};

/// What the default world is created with on a fresh database.
#[derive(Clone, Debug)]
pub struct DefaultWorld {
    pub name: String,
    pub tick_rate_hz: u32,
    pub bodies: usize,
    pub seed: u64,
    pub max_players: u32,
}

impl DefaultWorld {
    /// The row it is created as.
    pub fn new_world(&self) -> NewWorld {
        NewWorld {
            name: self.name.clone(),
            public: true,
            max_players: self.max_players as i32,
            tick_rate: self.tick_rate_hz as i32,
            seed: self.seed as i64,
            bodies: self.bodies as i32,
            owner_id: None,
            max_bodies: None,
        }
    }
}

/// The running worlds, their tasks, and the default world's id.
#[derive(Debug)]
pub struct Started {
    pub registry: WorldRegistry,
    pub tasks: Vec<JoinHandle<sim::WorldState>>,
    pub default_world: u64,
}

/// Restores and starts every stored world (creating the default one if there is none).
pub async fn start_all(
    store: &Store,
    balance: &sim::Balance,
    default: &DefaultWorld,
    options: &WorldOptions,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<Started> {
    let mut rows = store.worlds().await?;
    if rows.is_empty() {
        rows.push(store.create_world(&default.new_world()).await?);
    }
    let registry = WorldRegistry::default();
    let mut tasks = Vec::new();
    for row in &rows {
        let task = start_one(store, balance, row, options, &registry, shutdown.clone()).await?;
        tasks.push(task);
    }
    Ok(Started {
        registry,
        tasks,
        default_world: rows[0].id as u64,
    })
}

/// Restores one world and starts its actor (a single node: its writes carry no fencing token).
pub async fn start_one(
    store: &Store,
    balance: &sim::Balance,
    row: &WorldRow,
    options: &WorldOptions,
    registry: &WorldRegistry,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<JoinHandle<sim::WorldState>> {
    let writer = Arc::new(store.clone());
    start_with(store, balance, row, options, registry, shutdown, writer).await
}

/// Restores one world from `store` and starts its actor, which writes through `writer` (cluster mode: a
/// store that adds the lease's fencing token).
pub async fn start_with(
    store: &Store,
    balance: &sim::Balance,
    row: &WorldRow,
    options: &WorldOptions,
    registry: &WorldRegistry,
    shutdown: watch::Receiver<bool>,
    writer: Arc<dyn WorldStore>,
) -> anyhow::Result<JoinHandle<sim::WorldState>> {
    let world = restore(store, balance, row).await?;
    // Compact: the restored state becomes the newest snapshot, so the next start replays nothing.
    writer
        .save_snapshot(row.id as u64, &world.snapshot())
        .await?;
    let options = WorldOptions {
        id: row.id as u64,
        store: Some(writer),
        ..options.clone()
    };
    let settings = WorldSettings {
        public: row.public.into(),
        max_players: (row.max_players.max(1) as u32).into(),
        owner: row.owner_id.map(|o| o as u64),
        ..WorldSettings::default()
    };
    let (handle, task) = spawn_world(world, options, Arc::new(settings), shutdown);
    registry.insert(handle);
    Ok(task)
}

/// The world as its journal says it was: newest snapshot (or the seed) + every command after it.
pub async fn restore(
    store: &Store,
    balance: &sim::Balance,
    row: &WorldRow,
) -> anyhow::Result<sim::World> {
    let started = Instant::now();
    let mut balance = balance.clone();
    balance.world.tick_rate_hz = row.tick_rate.clamp(1, 60) as u32;
    if let Some(cap) = row.max_bodies {
        balance.world.max_bodies = balance.world.max_bodies.min(cap.max(1) as u32);
    }
    let balance = Arc::new(balance);
    let snapshot = store.latest_snapshot(row.id).await?;
    let from = snapshot.as_ref().map_or(0, |s| s.tick);
    let mut world = match snapshot {
        Some(s) => sim::World::restore(balance, s.state),
        None => sim::World::generate(
            balance,
            &sim::GenerateOptions {
                seed: row.seed as u64,
                bodies: row.bodies.max(0) as usize,
                ..Default::default()
            },
        ),
    };
    let journal = store.commands_after(row.id, from).await?;
    let replayed: usize = journal.iter().map(|(_, c)| c.len()).sum();
    for (tick, commands) in journal {
        while world.tick().0 + 1 < tick {
            world.step(&[]);
        }
        world.step(&commands);
    }
    info!(
        world = row.id,
        snapshot_tick = from,
        tick = world.tick().0,
        replayed,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "World restored."
    );
    Ok(world)
}
