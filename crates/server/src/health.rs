//! Health endpoints: `/health` (version, uptime, worlds), `/health/live` (the process serves),
//! `/health/ready` (the database answers: 503 otherwise; a Redis outage only makes it `degraded`, since
//! requests still work from the database) and `/health/detailed` (each dependency with its latency, real
//! process figures from `/proc` and the kernel, each world's tick lag). Nothing here is hard-coded.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};

use crate::state::AppState;
use garden::WorldStats;

/// A dependency that takes longer than this to answer counts as down.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Marks the process start for the uptime figures.
pub fn mark_started() {
    STARTED.get_or_init(Instant::now);
}

fn uptime() -> f64 {
    STARTED.get_or_init(Instant::now).elapsed().as_secs_f64()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/health/detailed", get(detailed))
}

async fn health(State(state): State<AppState>) -> axum::Json<Value> {
    axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": uptime(),
        "connections": state.gateway.registry().len(),
        "worlds": worlds(&state),
    }))
}

async fn live() -> axum::Json<Value> {
    axum::Json(json!({ "status": "ok" }))
}

/// The database's state: `(up, json)`.
async fn database(state: &AppState) -> (bool, Value) {
    match tokio::time::timeout(CHECK_TIMEOUT, state.api.store.ping()).await {
        Ok(Ok(latency)) => (
            true,
            json!({
                "status": "up",
                "backend": state.api.store.kind(),
                "latency_ms": latency.as_secs_f64() * 1e3,
                "pool": state.api.store.pool_stats(),
            }),
        ),
        Ok(Err(e)) => (
            false,
            json!({ "status": "down", "backend": state.api.store.kind(), "error": e.to_string() }),
        ),
        Err(_) => (
            false,
            json!({ "status": "down", "backend": state.api.store.kind(), "error": "timed out" }),
        ),
    }
}

async fn cache(state: &AppState) -> (bool, Value) {
    let stats = state.api.cache.stats();
    match tokio::time::timeout(CHECK_TIMEOUT, state.api.cache.ping()).await {
        Ok(Ok(latency)) => (
            true,
            json!({ "status": "up", "latency_ms": latency.as_secs_f64() * 1e3, "stats": stats }),
        ),
        Ok(Err(e)) => (
            false,
            json!({ "status": "down", "error": e, "stats": stats }),
        ),
        Err(_) => (
            false,
            json!({ "status": "down", "error": "timed out", "stats": stats }),
        ),
    }
}

/// 200 `ready` / `degraded` (cache down) or 503 `unavailable` (database down, or shutting down).
async fn ready(State(state): State<AppState>) -> (StatusCode, axum::Json<Value>) {
    let ((db_up, db), (cache_up, cache)) = tokio::join!(database(&state), cache(&state));
    let stopping = *state.ops.shutdown.borrow();
    // Cluster mode: a node that cannot reach Redis cannot trust its leases; it takes no new clients.
    let cluster_up = state.game.cluster.as_ref().is_none_or(|c| c.healthy());
    let (code, status) = match (db_up && !stopping && cluster_up, cache_up) {
        (false, _) if stopping => (StatusCode::SERVICE_UNAVAILABLE, "shutting_down"),
        (false, _) if db_up && !cluster_up => {
            (StatusCode::SERVICE_UNAVAILABLE, "cluster_unavailable")
        }
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        (true, false) => (StatusCode::OK, "degraded"),
        (true, true) => (StatusCode::OK, "ready"),
    };
    (
        code,
        axum::Json(json!({ "status": status, "database": db, "cache": cache })),
    )
}

async fn detailed(State(state): State<AppState>) -> (StatusCode, axum::Json<Value>) {
    let ((db_up, db), (cache_up, cache)) = tokio::join!(database(&state), cache(&state));
    let status = match (db_up, cache_up) {
        (false, _) => "unavailable",
        (true, false) => "degraded",
        (true, true) => "ok",
    };
    let code = if db_up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        axum::Json(json!({
            "status": status,
            "version": env!("CARGO_PKG_VERSION"),
            "uptime_seconds": uptime(),
            "connections": state.gateway.registry().len(),
            "dependencies": { "database": db, "cache": cache },
            "process": process(&state.ops.data_dir),
            "worlds": worlds(&state),
            "live": live_rooms(&state),
            "cluster": state.game.cluster.as_ref().map(|c| c.status()),
        })),
    )
}

fn worlds(state: &AppState) -> Vec<Value> {
    let get = WorldStats::get;
    let now = crate::store::now_ms() as u64;
    let mut list: Vec<_> = state
        .game
        .garden
        .worlds
        .all()
        .iter()
        .map(|w| {
            let s = &w.stats;
            let last = get(&s.last_tick_at_ms);
            let since_ms = if last == 0 {
                None
            } else {
                Some(now.saturating_sub(last))
            };
            let period_ms = get(&s.period_nanos) as f64 / 1e6;
            json!({
                "id": w.id,
                "ticks": get(&s.ticks),
                "tick_overruns": get(&s.overruns),
                "bodies": get(&s.bodies),
                "last_tick_ms": get(&s.last_tick_nanos) as f64 / 1e6,
                "period_ms": period_ms,
                // How late the next tick is (0 when on time; grows while a world hibernates).
                "tick_lag_ms": since_ms.map(|ms| (ms as f64 - period_ms).max(0.0)),
            })
        })
        .collect();
    list.sort_by_key(|w| w["id"].as_u64());
    list
}

/// Live rooms: how many, their members, and the 50 busiest.
fn live_rooms(state: &AppState) -> Value {
    let rooms = state.live.rooms.summary();
    let participants: u64 = rooms.iter().map(|r| r.members).sum();
    json!({
        "rooms": rooms.len(),
        "participants": participants,
        "fanout_hz": state.live.rooms.fanout_hz(),
        "busiest": rooms.iter().take(50).collect::<Vec<_>>(),
    })
}

/// The process as the kernel sees it.
fn process(data_dir: &std::path::Path) -> Value {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok());
    let cpu_seconds = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may contain spaces) start at ')'.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / rustix::param::clock_ticks_per_second() as f64)
        });
    let open_files = std::fs::read_dir("/proc/self/fd").map(|d| d.count()).ok();
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    let disk = rustix::fs::statvfs(data_dir).ok().map(|v| {
        json!({
            "path": data_dir.display().to_string(),
            "free_bytes": v.f_bavail.saturating_mul(v.f_frsize),
            "total_bytes": v.f_blocks.saturating_mul(v.f_frsize),
        })
    });
    json!({
        "pid": std::process::id(),
        "resident_memory_bytes": rss_kib.map(|k| k * 1024),
        "cpu_seconds": cpu_seconds,
        "open_files": open_files,
        "max_open_files": limit,
        "threads": status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|v| v.trim().parse::<u64>().ok()),
        "disk": disk,
    })
}
