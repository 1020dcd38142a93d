//! The application: build it (bind, start worlds), learn its port, run it until a shutdown future
//! resolves. `main` and the tests start the server the same way.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::api::{AuthConfig, DEV_JWT_SECRET};
use crate::cache::{Cache, CacheConfig};
use crate::state::{AppState, Services};
use crate::store::Store;
use crate::worlds::WorldOptions;
use crate::worlds::loader::{DefaultWorld, start_all};
use crate::ws::{self, WsOptions};

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
    /// `postgres://…` for PostgreSQL, `sqlite:…` for another SQLite file; none: `<data_dir>/cosmic.db`.
    pub database_url: Option<String>,
    /// `redis://…` puts the cache in Redis; none: in-process.
    pub redis_url: Option<String>,
    pub cache: CacheConfig,
    pub auth: AuthConfig,
    /// Serve Swagger UI at `/swagger-ui/`.
    pub swagger_ui: bool,
    /// Production profile: refuses insecure settings.
    pub production: bool,
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
            database_url: None,
            redis_url: None,
            cache: CacheConfig::default(),
            auth: AuthConfig::default(),
            swagger_ui: true,
            production: false,
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

impl Config {
    /// Settings a production deployment must not run with.
    pub fn check_production(&self) -> anyhow::Result<()> {
        if !self.production {
            return Ok(());
        }
        let secret = &self.auth.jwt_secret;
        anyhow::ensure!(
            secret != DEV_JWT_SECRET && secret.len() >= 32,
            "auth.jwt_secret: production needs a secret of at least 32 bytes that is not the default \
             (set COSMIC_AUTH__JWT_SECRET or COSMIC_AUTH__JWT_SECRET_FILE)"
        );
        anyhow::ensure!(
            !self.swagger_ui,
            "api.swagger_ui: production serves no Swagger UI (set it to false)"
        );
        Ok(())
    }
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
        config.check_production()?;
        let (stop, shutdown) = watch::channel(false);
        let store = Store::connect(
            config.database_url.as_deref(),
            &config.data_dir,
            crate::store::DEFAULT_CONNECT_PATIENCE,
        )
        .await?;
        let cache = match &config.redis_url {
            Some(url) => Cache::redis(url, config.cache.clone()).await?,
            None => Cache::local(config.cache.clone()),
        };
        let default = DefaultWorld {
            name: "The First Garden".into(),
            tick_rate_hz: config.tick_rate_hz,
            bodies: config.world_bodies,
            seed: config.world_seed,
            max_players: 10_000,
        };
        let started = start_all(
            &store,
            &config.balance,
            &default,
            &config.world,
            shutdown.clone(),
        )
        .await?;
        let services = Services {
            balance: std::sync::Arc::new(config.balance.clone()),
            world_options: config.world.clone(),
            store,
            cache,
            auth: config.auth.clone(),
            swagger_ui: config.swagger_ui,
        };
        let state = AppState::new(
            started.registry,
            started.default_world,
            config.ws.clone(),
            shutdown,
            services,
        );
        Ok(Self {
            listener,
            state,
            stop,
            worlds: started.tasks,
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
        let mut worlds = self.worlds;
        worlds.extend(std::mem::take(
            &mut *self
                .state
                .world_tasks
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        ));
        for world in worlds {
            if let Ok(state) = world.await {
                info!(
                    tick = state.tick.0,
                    bodies = state.bodies.len(),
                    "World state at shutdown."
                );
            }
        }
        self.state.store.close().await;
        Ok(())
    }
}

/// Every route, merged in one place.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/ws", get(ws::upgrade))
        .route("/health", get(health))
        .nest("/api", crate::api::router())
        .merge(crate::api::docs::router(state.swagger_ui))
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
