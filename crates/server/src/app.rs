//! The application: build it (bind, start worlds), learn its port, run it until a shutdown future
//! resolves. `main` and the tests start the server the same way.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use axum::Router;
use axum::middleware::map_response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::api::{AuthConfig, DEV_JWT_SECRET};
use crate::cache::{Cache, CacheConfig};
use garden::{Garden, WorldOptions};
use gateway::{Gateway, WsOptions};

use crate::game::ServerAccounts;
use crate::loader::{DefaultWorld, start_all};
use crate::state::{ApiState, AppState, GameState, OpsState, WebState};
use crate::store::Store;
use crate::web::headers;

/// The default of `http.request_timeout_secs`.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

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
    /// Connection caps and the header timeout of the HTTP server.
    pub http: gateway::HttpOptions,
    /// A request (body included) that takes longer gets a 408.
    pub request_timeout: std::time::Duration,
    pub ws: WsOptions,
    pub world: WorldOptions,
    /// Live-session rooms: fan-out rate, time to live, rooms per owner.
    pub live: live::RoomOptions,
    /// `postgres://…` for PostgreSQL, `sqlite:…` for another SQLite file; none: `<data_dir>/cosmic.db`.
    pub database_url: Option<String>,
    /// `redis://…` puts the cache in Redis; none: in-process.
    pub redis_url: Option<String>,
    pub cache: CacheConfig,
    pub auth: AuthConfig,
    /// Serve Swagger UI at `/swagger-ui/`.
    pub swagger_ui: bool,
    /// Where the built web client is and how it is served.
    pub web: crate::web::WebConfig,
    /// Production profile: refuses insecure settings.
    pub production: bool,
    pub log: crate::telemetry::LogConfig,
    /// Serve `/metrics` on this address too (none: only on the main listener).
    pub metrics_listen: Option<SocketAddr>,
    /// How long shutdown waits for HTTP requests and connections to finish before it stops waiting.
    pub shutdown_timeout: std::time::Duration,
    /// What one account or address may create, and the simulation budget.
    pub quotas: crate::quotas::QuotaConfig,
    /// Cluster mode: several nodes on one PostgreSQL and one Redis (off: a single node).
    pub cluster: crate::cluster::ClusterConfig,
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
            http: gateway::HttpOptions::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            ws: WsOptions::default(),
            world: WorldOptions::default(),
            live: live::RoomOptions::default(),
            database_url: None,
            redis_url: None,
            cache: CacheConfig::default(),
            auth: AuthConfig::default(),
            swagger_ui: true,
            web: crate::web::WebConfig::default(),
            production: false,
            log: crate::telemetry::LogConfig::default(),
            metrics_listen: None,
            shutdown_timeout: std::time::Duration::from_secs(10),
            quotas: crate::quotas::QuotaConfig::default(),
            cluster: crate::cluster::ClusterConfig::default(),
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
    shutdown_timeout: std::time::Duration,
    http: gateway::HttpOptions,
}

impl Config {
    /// Cluster mode needs the production parts: PostgreSQL (every node's durable state) and Redis (leases).
    pub fn check_cluster(&self) -> anyhow::Result<()> {
        if !self.cluster.enabled {
            return Ok(());
        }
        let postgres = self
            .database_url
            .as_deref()
            .is_some_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
        anyhow::ensure!(
            postgres && self.redis_url.is_some(),
            "cluster.enabled: cluster mode needs a PostgreSQL database.url and a redis.url (the embedded \
             SQLite database serves a single node)"
        );
        Ok(())
    }

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
        let filter = self.log.filter.to_ascii_lowercase();
        anyhow::ensure!(
            !filter.contains("debug") && !filter.contains("trace"),
            "log.filter: production logs at info or above, not {:?} (debug logs can carry request details)",
            self.log.filter
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
        config.check_cluster()?;
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
        let auth = AuthConfig {
            jwt_secret: crate::tokens::secret_for(&config.auth.jwt_secret, &config.data_dir)?,
            ..config.auth.clone()
        };
        let balance = std::sync::Arc::new(config.balance.clone());
        let (started, cluster) = match &config.redis_url {
            Some(redis_url) if config.cluster.enabled => {
                let registry = garden::WorldRegistry::default();
                let gateway_load: std::sync::Arc<std::sync::OnceLock<Gateway>> = Default::default();
                let load = gateway_load.clone();
                let parts = crate::cluster::Parts {
                    config: config.cluster.clone(),
                    redis_url: redis_url.clone(),
                    namespace: config.cache.namespace.clone(),
                    listen: config.listen.to_string(),
                    jwt_secret: auth.jwt_secret.clone(),
                    store: store.clone(),
                    balance: balance.clone(),
                    world_options: config.world.clone(),
                    registry: registry.clone(),
                    load: Box::new(move || load.get().map_or(0, |g| g.registry().len())),
                };
                let cluster =
                    crate::cluster::Cluster::join(parts, crate::store::DEFAULT_CONNECT_PATIENCE)
                        .await?;
                let rows = cluster.ensure_worlds(&default.new_world()).await?;
                let started = crate::loader::Started {
                    registry,
                    tasks: Vec::new(),
                    default_world: rows[0].id as u64,
                };
                (started, Some((cluster, gateway_load)))
            }
            _ => {
                let started = start_all(
                    &store,
                    &config.balance,
                    &default,
                    &config.world,
                    shutdown.clone(),
                )
                .await?;
                (started, None)
            }
        };
        let web_config = config.web.clone();
        let web = tokio::task::spawn_blocking(move || crate::web::WebClient::load(&web_config))
            .await
            .context("loading the web client")?;
        let mut api = ApiState::new(store, cache, auth);
        api.quotas = std::sync::Arc::new(crate::quotas::Quotas::new(config.quotas.clone()));
        api.trusted_proxies = config.http.uncapped_addresses.clone().into();
        let accounts = ServerAccounts {
            store: api.store.clone(),
            cache: api.cache.clone(),
            auth: api.auth.clone(),
        };
        crate::metrics::install();
        let live_store = std::sync::Arc::new(crate::live_sessions::LiveStore(api.store.clone()));
        let rooms = live::Rooms::new(live_store.clone(), config.live.clone(), shutdown.clone());
        rooms
            .restore()
            .await
            .map_err(|e| anyhow::anyhow!("restoring live rooms: {e}"))?;
        let live = live::Live::new(rooms, live_store, &config.ws);
        let state = AppState {
            live,
            gateway: Gateway::new(config.ws.clone(), shutdown.clone()),
            game: GameState {
                garden: Garden {
                    worlds: started.registry,
                    default_world: started.default_world,
                    accounts: std::sync::Arc::new(accounts),
                },
                balance,
                world_options: config.world.clone(),
                world_tasks: std::sync::Arc::default(),
                cluster: cluster.as_ref().map(|(c, _)| c.clone()),
            },
            api,
            web: WebState {
                client: std::sync::Arc::new(web),
                swagger_ui: config.swagger_ui,
            },
            ops: OpsState {
                data_dir: std::sync::Arc::new(config.data_dir.clone()),
                shutdown,
                request_timeout: config.request_timeout,
            },
        };
        crate::quotas::governor::spawn(
            config.quotas.clone(),
            state.game.garden.worlds.clone(),
            state.ops.shutdown.clone(),
        );
        crate::quotas::guests::spawn(
            state.api.store.clone(),
            state.api.cache.clone(),
            state.api.quotas.clone(),
            state.ops.shutdown.clone(),
        );
        if let Some((cluster, gateway)) = &cluster {
            let _ = gateway.set(state.gateway.clone());
            cluster.spawn(state.ops.shutdown.clone());
        }
        if let Some(addr) = config.metrics_listen {
            crate::scrape::spawn_listener(addr, state.clone()).await?;
        }
        Ok(Self {
            listener,
            state,
            stop,
            worlds: started.tasks,
            shutdown_timeout: config.shutdown_timeout,
            http: config.http.clone(),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map_or(0, |a| a.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves; then stops accepting, closes WebSockets (1001, with a reconnect
    /// hint), drains HTTP for at most the configured shutdown timeout, lets every world write its final
    /// snapshot and figures, and closes the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        let router = router(self.state.clone());
        let stop = self.stop.clone();
        info!(%addr, "Listening.");
        let (fired, mut fired_rx) = watch::channel(false);
        let signal = async move {
            shutdown.await;
            info!("Shutting down: closing connections and stopping worlds.");
            let _ = stop.send(true);
            let _ = fired.send(true);
        };
        let server = gateway::serve(self.listener, router, self.http.clone(), signal);
        let drain = self.shutdown_timeout;
        tokio::select! {
            served = server => served.context("server failed")?,
            _ = async {
                let _ = fired_rx.wait_for(|f| *f).await;
                tokio::time::sleep(drain).await;
            } => tracing::warn!(timeout_s = drain.as_secs_f64(), "HTTP drain timed out; dropping what is left."),
        }
        if let Some(cluster) = &self.state.game.cluster {
            cluster.hand_off().await;
        }
        let mut worlds = self.worlds;
        worlds.extend(std::mem::take(
            &mut *self
                .state
                .game
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
        self.state.live.rooms.stopped().await;
        self.state.api.store.close().await;
        info!("Stopped.");
        Ok(())
    }
}

/// Every route, merged in one place; what no route matches is the web client's (see [`crate::web`]).
pub fn router(state: AppState) -> Router {
    crate::metrics::install();
    let no_store = || map_response(headers::no_store);
    let hsts = state.web.client.hsts;
    Router::new()
        .route("/ws", get(crate::game::upgrade))
        .route("/live", get(crate::live_sessions::upgrade))
        .route("/metrics", get(crate::scrape::serve).layer(no_store()))
        .merge(crate::health::router().layer(no_store()))
        .nest(
            "/api",
            crate::api::router().layer(map_response(headers::private_no_store)),
        )
        .merge(crate::api::docs::router(state.web.swagger_ui))
        .fallback(crate::web::serve)
        .layer(axum::middleware::from_fn_with_state(
            state.ops.request_timeout,
            crate::request_timeout::middleware,
        ))
        // Innermost of the layers: it sees the matched route axum sets before calling a route.
        .layer(axum::middleware::from_fn(crate::metrics::http::track))
        .layer(axum::middleware::from_fn(crate::request_id::middleware))
        .layer(axum::middleware::from_fn_with_state(hsts, headers::global))
        .with_state(state)
}

/// Resolves on the first SIGINT or SIGTERM; a second one ends the process at once (exit code 130).
pub async fn shutdown_signal() {
    one_signal().await;
    tokio::spawn(async {
        one_signal().await;
        tracing::warn!("Second signal: exiting without finishing the shutdown.");
        std::process::exit(130);
    });
}

async fn one_signal() {
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
    crate::health::mark_started();
}
