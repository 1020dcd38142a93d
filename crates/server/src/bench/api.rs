//! `cosmic bench api`: database load and latency of the read-heavy REST API with and without the cache.
//!
//! Starts the real application in-process (127.0.0.1:0; SQLite in a temporary directory, or PostgreSQL
//! when `DATABASE_URL` is set), seeds users, worlds and leaderboard rows through the store, then sends a
//! fixed-rate, open-loop mix — leaderboard 40 %, world summary 30 %, `GET /api/users/me` 30 % with one of
//! the seeded users' tokens — once without a cache (`CacheConfig::max_entries == 0`), once with the local
//! cache, and once with Redis when `REDIS_URL` is set. Latency is measured from each request's scheduled
//! start, so it includes queueing. Database load is the store's statement counter per request; the world
//! actor's periodic writes are switched off so they do not count.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{Semaphore, oneshot};

use server::app::{Application, Config};
use server::cache::CacheConfig;
use server::store::{NewUser, NewWorld, PlayerStatsRow, Store, now_ms};

/// Requests per second the load is scheduled at.
const RATE: u64 = 2_000;
const USERS: usize = 200;
/// Public worlds besides the default one (summaries rotate over all of them).
const EXTRA_WORLDS: usize = 4;
/// Tasks that dispatch the schedule (each request then runs as its own task).
const DISPATCHERS: u64 = 4;
/// Requests in flight at most; one waiting for a slot is late, and that lateness is measured.
const MAX_IN_FLIGHT: usize = 512;
const METRICS: [&str; 4] = [
    "total_dust",
    "stars_created",
    "bodies_created",
    "highest_life_stage",
];

/// Runs the suite and returns its figures as a JSON object.
pub fn run(quick: bool) -> anyhow::Result<serde_json::Value> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_all(if quick {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(10)
    }))
}

/// What one pass measured.
#[derive(Debug)]
struct Pass {
    backend: &'static str,
    requests: u64,
    errors: u64,
    queries_per_req: f64,
    hit_ratio: f64,
    cache_errors: u64,
    p50_ms: f64,
    p99_ms: f64,
    rps: f64,
}

async fn run_all(duration: Duration) -> anyhow::Result<serde_json::Value> {
    let database_url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
    let redis_url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty());
    let database = if database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    super::progress(format!(
        "api: {RATE} req/s for {duration:?} per pass, {USERS} users, database {database}"
    ));
    let nocache = pass(Mode::NoCache, database_url.clone(), duration).await?;
    let local = pass(Mode::Local, database_url.clone(), duration).await?;
    let redis = match redis_url {
        Some(url) => Some(pass(Mode::Redis(url), database_url, duration).await?),
        None => None,
    };
    let reduction =
        |cached: &Pass| 1.0 - cached.queries_per_req / nocache.queries_per_req.max(1e-9);
    let mut figures = serde_json::json!({
        "database": database,
        "rate": RATE,
        "duration_s": duration.as_secs_f64(),
        "users": USERS,
        "db_queries_per_req_nocache": nocache.queries_per_req,
        "db_queries_per_req_cache": local.queries_per_req,
        "db_load_reduction": reduction(&local),
        "hit_ratio": local.hit_ratio,
        "p50_ms": local.p50_ms,
        "p99_ms": local.p99_ms,
        "rps": local.rps,
        "backend": local.backend,
        "errors": nocache.errors + local.errors + redis.as_ref().map_or(0, |r| r.errors),
        "cache_errors": local.cache_errors,
        "nocache_p50_ms": nocache.p50_ms,
        "nocache_p99_ms": nocache.p99_ms,
        "nocache_rps": nocache.rps,
        "requests_per_pass": local.requests,
    });
    if let Some(r) = &redis {
        figures["redis_db_queries_per_req"] = serde_json::json!(r.queries_per_req);
        figures["redis_db_load_reduction"] = serde_json::json!(reduction(r));
        figures["redis_hit_ratio"] = serde_json::json!(r.hit_ratio);
        figures["redis_p50_ms"] = serde_json::json!(r.p50_ms);
        figures["redis_p99_ms"] = serde_json::json!(r.p99_ms);
        figures["redis_rps"] = serde_json::json!(r.rps);
        figures["redis_cache_errors"] = serde_json::json!(r.cache_errors);
    }
    Ok(figures)
}

#[derive(Clone, Debug)]
enum Mode {
    NoCache,
    Local,
    Redis(String),
}

/// A data directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Starts the app in `mode`, seeds it, warms it up, then measures one pass.
async fn pass(
    mode: Mode,
    database_url: Option<String>,
    duration: Duration,
) -> anyhow::Result<Pass> {
    let id = run_id();
    let dir = TempDir(std::env::temp_dir().join(format!("cosmic-bench-api-{id}")));
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        data_dir: dir.0.clone(),
        world_bodies: 100,
        database_url,
        ..Config::default()
    };
    // Only the API's statements count: no periodic snapshots or figures from the world actor.
    config.world.snapshot_every = Duration::from_secs(24 * 3600);
    config.world.stats_every = Duration::from_secs(24 * 3600);
    config.cache = CacheConfig {
        namespace: format!("cosmic-bench-{id}"),
        ..CacheConfig::default()
    };
    match &mode {
        Mode::NoCache => config.cache.max_entries = 0,
        Mode::Local => {}
        Mode::Redis(url) => config.redis_url = Some(url.clone()),
    }
    let app = Application::build(config)
        .await
        .context("the app does not start")?;
    let port = app.port();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let backend = state.api.cache.backend_name();
    super::progress(format!("api [{backend}]: seeding on port {port}"));
    let targets = Arc::new(seed(&state, &id).await?);

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .timeout(Duration::from_secs(10))
        .build()?;
    let base = format!("http://127.0.0.1:{port}");
    // Warm-up (not measured): connections opened, first misses taken.
    load(&client, &base, &targets, Duration::from_millis(500)).await;

    let queries = state.api.store.queries();
    let cache_before = state.api.cache.stats();
    super::progress(format!("api [{backend}]: {RATE} req/s for {duration:?}"));
    let run = load(&client, &base, &targets, duration).await;
    let queries = state.api.store.queries() - queries;
    let cache = state.api.cache.stats();
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;

    let (hits, misses) = (
        cache.hits - cache_before.hits,
        cache.misses - cache_before.misses,
    );
    let pass = Pass {
        backend,
        requests: run.requests,
        errors: run.errors,
        queries_per_req: queries as f64 / run.requests.max(1) as f64,
        hit_ratio: hits as f64 / (hits + misses).max(1) as f64,
        cache_errors: cache.errors - cache_before.errors,
        p50_ms: run.percentile(0.50),
        p99_ms: run.percentile(0.99),
        rps: run.requests as f64 / run.elapsed.as_secs_f64().max(1e-9),
    };
    super::progress(format!(
        "api [{backend}]: {:.3} queries/req, hit ratio {:.3}, p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s, {} errors",
        pass.queries_per_req, pass.hit_ratio, pass.p50_ms, pass.p99_ms, pass.rps, pass.errors
    ));
    Ok(pass)
}

/// What the load hits: the worlds, and one access token per user.
#[derive(Debug)]
pub(super) struct Targets {
    default_world: i64,
    worlds: Vec<i64>,
    tokens: Vec<String>,
}

pub(super) async fn seed(state: &server::state::AppState, id: &str) -> anyhow::Result<Targets> {
    let store: &Store = &state.api.store;
    let default_world = i64::try_from(state.game.garden.default_world)?;
    let mut worlds = vec![default_world];
    for w in 0..EXTRA_WORLDS {
        let row = store
            .create_world(&NewWorld {
                name: format!("Bench {w}"),
                public: true,
                max_players: 100,
                tick_rate: 20,
                seed: w as i64,
                bodies: 100,
                owner_id: None,
                max_bodies: None,
            })
            .await?;
        worlds.push(row.id);
    }
    let mut tokens = Vec::with_capacity(USERS);
    let mut rows = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let user = store
            .create_user(&NewUser {
                username: Some(format!("bench{i}-{id}")),
                email: Some(format!("bench{i}-{id}@example.com")),
                password_hash: None,
                is_guest: false,
            })
            .await?;
        tokens.push(server::api::auth::issue_access(
            &state.api.auth,
            user.id,
            false,
        )?);
        let n = splitmix(i as u64);
        rows.push(PlayerStatsRow {
            world_id: default_world,
            user_id: user.id,
            total_dust: (n % 1_000_000) as f64,
            stars_created: (n % 7) as i64,
            bodies_created: (n % 300) as i64,
            highest_life_stage: (n % 5) as i32,
            resources: "{}".into(),
            research: "{}".into(),
            updated_at: now_ms(),
        });
    }
    store.save_player_stats(&rows).await?;
    Ok(Targets {
        default_world,
        worlds,
        tokens,
    })
}

/// A well-mixed hash of `i` (SplitMix64): the same request sequence on every run.
fn splitmix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Request `i` of the mix: its path and, for the profile, a bearer token.
pub(super) fn request(targets: &Targets, i: u64) -> (String, Option<&str>) {
    let n = splitmix(i);
    let pick = (n >> 32) as usize;
    match n % 100 {
        0..40 => (
            format!(
                "/api/leaderboard?world={}&metric={}&limit=10",
                targets.default_world,
                METRICS[pick % METRICS.len()]
            ),
            None,
        ),
        40..70 => (
            format!(
                "/api/worlds/{}",
                targets.worlds[pick % targets.worlds.len()]
            ),
            None,
        ),
        _ => (
            "/api/users/me".into(),
            Some(targets.tokens[pick % targets.tokens.len()].as_str()),
        ),
    }
}

/// What one load run saw.
#[derive(Debug)]
struct Run {
    requests: u64,
    errors: u64,
    /// Microseconds from each request's scheduled start to its complete response, sorted.
    latencies_us: Vec<u64>,
    elapsed: Duration,
}

impl Run {
    fn percentile(&self, q: f64) -> f64 {
        let n = self.latencies_us.len();
        if n == 0 {
            return 0.0;
        }
        let idx = ((n as f64 * q).ceil() as usize).clamp(1, n) - 1;
        self.latencies_us[idx] as f64 / 1e3
    }
}

/// Sends `RATE × duration` requests on an open-loop schedule: request `i` starts at `i / RATE` whether or
/// not earlier ones have answered.
async fn load(
    client: &reqwest::Client,
    base: &str,
    targets: &Arc<Targets>,
    duration: Duration,
) -> Run {
    let total = (RATE as f64 * duration.as_secs_f64()).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / RATE as f64);
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut dispatchers = Vec::new();
    for d in 0..DISPATCHERS {
        let (client, base, targets) = (client.clone(), base.to_string(), targets.clone());
        let (latencies, errors, slots) = (latencies.clone(), errors.clone(), slots.clone());
        dispatchers.push(tokio::spawn(async move {
            let mut inflight = Vec::new();
            for i in (d..total).step_by(DISPATCHERS as usize) {
                let due = start + interval.mul_f64(i as f64);
                tokio::time::sleep_until(due).await;
                let (path, token) = request(&targets, i);
                let mut req = client.get(format!("{base}{path}"));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let (latencies, errors, slots) = (latencies.clone(), errors.clone(), slots.clone());
                inflight.push(tokio::spawn(async move {
                    let _slot = slots.acquire_owned().await;
                    let ok = match req.send().await {
                        Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if !ok {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    let us = due.elapsed().as_micros() as u64;
                    latencies.lock().unwrap_or_else(|e| e.into_inner()).push(us);
                }));
            }
            for task in inflight {
                let _ = task.await;
            }
        }));
    }
    for d in dispatchers {
        let _ = d.await;
    }
    let elapsed = start.elapsed();
    let mut latencies_us =
        std::mem::take(&mut *latencies.lock().unwrap_or_else(|e| e.into_inner()));
    latencies_us.sort_unstable();
    Run {
        requests: total,
        errors: errors.load(std::sync::atomic::Ordering::Relaxed),
        latencies_us,
        elapsed,
    }
}
