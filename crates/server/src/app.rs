//! The application: build it (bind, start worlds), learn its port, run it until a shutdown future
//! resolves. `main` and the tests start the server the same way.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::state::AppState;
use crate::worlds::{WorldOptions, WorldRegistry, spawn_world};
use crate::ws::{self, WsOptions};

/// Id of the world every server starts with.
pub const DEFAULT_WORLD_ID: u64 = 1;

/// What `cosmic serve` needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Ticks per second of the default world (1..=60).
    pub tick_rate_hz: u32,
    /// Bodies the default world is generated with.
    pub world_bodies: usize,
    pub world_seed: u64,
    /// Game balance (default: the compiled-in `crates/sim/data/balance.toml`).
    pub balance: sim::Balance,
    pub ws: WsOptions,
    pub world: WorldOptions,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            tick_rate_hz: 20,
            world_bodies: 400,
            world_seed: 2026,
            balance: sim::Balance::default(),
            ws: WsOptions::default(),
            world: WorldOptions::default(),
        }
    }
}

/// A built, bound, not yet serving application.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    stop: watch::Sender<bool>,
    worlds: Vec<JoinHandle<sim::WorldState>>,
}

impl Application {
    /// Binds the listener and starts the default world.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        anyhow::ensure!(
            (1..=60).contains(&config.tick_rate_hz),
            "tick rate {} is out of range: allowed 1..=60 ticks per second",
            config.tick_rate_hz
        );
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let (stop, shutdown) = watch::channel(false);
        let mut balance = config.balance.clone();
        balance.world.tick_rate_hz = config.tick_rate_hz;
        let world = sim::World::generate(
            Arc::new(balance),
            &sim::GenerateOptions {
                seed: config.world_seed,
                bodies: config.world_bodies,
                ..Default::default()
            },
        );
        let registry = WorldRegistry::default();
        let options = WorldOptions {
            id: DEFAULT_WORLD_ID,
            ..config.world.clone()
        };
        let (handle, task) = spawn_world(world, options, shutdown.clone());
        registry.insert(handle);
        let state = AppState::new(registry, DEFAULT_WORLD_ID, config.ws.clone(), shutdown);
        Ok(Self {
            listener,
            state,
            stop,
            worlds: vec![task],
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map_or(0, |a| a.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then closes WebSockets (1001), stops the worlds and drains HTTP.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        let router = router(self.state.clone());
        let stop = self.stop.clone();
        info!(%addr, "Listening.");
        let signal = async move {
            shutdown.await;
            info!("Shutting down: closing connections and stopping worlds.");
            let _ = stop.send(true);
        };
        axum::serve(self.listener, router)
            .with_graceful_shutdown(signal)
            .await
            .context("server failed")?;
        for world in self.worlds {
            if let Ok(state) = world.await {
                info!(
                    tick = state.tick.0,
                    bodies = state.bodies.len(),
                    "World state at shutdown."
                );
            }
        }
        Ok(())
    }
}

/// Every route, merged in one place.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/ws", get(ws::upgrade))
        .route("/health", get(health))
        .with_state(state)
}

static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

async fn health(State(state): State<AppState>) -> axum::Json<serde_json::Value> {
    let uptime = STARTED.get_or_init(Instant::now).elapsed().as_secs_f64();
    let get = crate::worlds::WorldStats::get;
    let worlds: Vec<_> = state
        .worlds
        .all()
        .iter()
        .map(|w| {
            let s = &w.stats;
            serde_json::json!({
                "id": w.id,
                "ticks": get(&s.ticks),
                "tick_overruns": get(&s.overruns),
                "bodies": get(&s.bodies),
                "last_tick_ms": get(&s.last_tick_nanos) as f64 / 1e6,
            })
        })
        .collect();
    axum::Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": uptime,
        "connections": state.conns.len(),
        "worlds": worlds,
    }))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Marks the process start for `/health`'s uptime.
pub fn mark_started() {
    STARTED.get_or_init(Instant::now);
}
