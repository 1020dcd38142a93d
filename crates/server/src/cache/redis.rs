//! The Redis cache backend: `SET key value PX ttl`, `GET`, `DEL` over a [`ConnectionManager`] that
//! reconnects by itself. Every call is bounded by a short timeout, so a dead or frozen Redis costs a
//! request at most that long; after a failure, calls are skipped for a short back-off window so that an
//! outage costs almost nothing at all. Failures are returned to the caller (which counts them and reads
//! the database) and logged at warn, at most one line per [`LOG_EVERY`].
//!
//! Startup never waits for Redis: the manager connects lazily, so a server whose Redis is down starts
//! degraded (every read goes to the database) and picks Redis up as soon as it answers, without a restart.
//! This module owns the Redis connection only; key layout, TTLs and counters live in the parent module.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue};
use tracing::{info, warn};

/// How long one Redis call may take before it counts as failed.
pub const DEFAULT_OP_TIMEOUT: Duration = Duration::from_millis(250);
/// After a failure, calls are skipped (treated as failed at once) for this long.
pub const FAILURE_BACKOFF: Duration = Duration::from_millis(500);
/// At most one warn line per this period; the lines in between are counted in the next one.
pub const LOG_EVERY: Duration = Duration::from_secs(5);
/// Without any success for this long, the connection manager is replaced by a fresh one (a safety net in
/// case its own reconnection gave up).
const REBUILD_AFTER: Duration = Duration::from_secs(2);

/// Why a Redis call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum RedisFailure {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("skipped: Redis failed less than {FAILURE_BACKOFF:?} ago")]
    BackingOff,
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

/// A Redis connection that never blocks a caller for longer than its timeout.
#[derive(Debug)]
pub(super) struct RedisCache {
    client: redis::Client,
    /// Replaced (rarely) by [`Self::rebuild`]; read by cloning, which is cheap.
    manager: RwLock<ConnectionManager>,
    /// The URL without its password, for logs.
    url: String,
    timeout: Duration,
    epoch: Instant,
    /// Milliseconds since `epoch`; 0 means never.
    last_ok_ms: AtomicU64,
    skip_until_ms: AtomicU64,
    last_rebuild_ms: AtomicU64,
    last_log_ms: AtomicU64,
    /// Failures not logged since the last warn line.
    suppressed: AtomicU64,
    /// Whether the last real call failed (to log the recovery once).
    degraded: AtomicBool,
}

fn manager_config(timeout: Duration) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(500))
}

impl RedisCache {
    /// Parses `url` and prepares a lazy connection; fails only on a malformed URL, never because Redis is
    /// unreachable. Must run inside the tokio runtime.
    pub(super) fn connect(url: &str, timeout: Duration) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let manager =
            ConnectionManager::new_lazy_with_config(client.clone(), manager_config(timeout))?;
        Ok(Self {
            client,
            manager: RwLock::new(manager),
            url: crate::store::redact_url(url),
            timeout,
            epoch: Instant::now(),
            last_ok_ms: AtomicU64::new(0),
            skip_until_ms: AtomicU64::new(0),
            last_rebuild_ms: AtomicU64::new(0),
            last_log_ms: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
            degraded: AtomicBool::new(false),
        })
    }

    pub(super) fn url(&self) -> &str {
        &self.url
    }

    pub(super) async fn get(&self, key: &str) -> Result<Option<String>, RedisFailure> {
        self.run(redis::cmd("GET").arg(key), true).await
    }

    pub(super) async fn set(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<(), RedisFailure> {
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.run(
            redis::cmd("SET").arg(key).arg(value).arg("PX").arg(ttl_ms),
            true,
        )
        .await
    }

    pub(super) async fn del(&self, key: &str) -> Result<(), RedisFailure> {
        self.run::<i64>(redis::cmd("DEL").arg(key), true)
            .await
            .map(|_| ())
    }

    /// A round trip (`PING`), tried even while backing off: readiness wants the truth.
    pub(super) async fn ping(&self) -> Result<Duration, RedisFailure> {
        let start = Instant::now();
        self.run::<String>(&redis::cmd("PING"), false).await?;
        Ok(start.elapsed())
    }

    fn now_ms(&self) -> u64 {
        // +1 keeps 0 free to mean "never".
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX) + 1
    }

    fn manager(&self) -> ConnectionManager {
        self.manager
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn run<T: FromRedisValue>(&self, cmd: &Cmd, guarded: bool) -> Result<T, RedisFailure> {
        if guarded && self.now_ms() < self.skip_until_ms.load(Ordering::Relaxed) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return Err(RedisFailure::BackingOff);
        }
        let mut conn = self.manager();
        let result = match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut conn)).await
        {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(RedisFailure::Redis(e)),
            Err(_) => Err(RedisFailure::Timeout(self.timeout)),
        };
        match &result {
            Ok(_) => self.succeeded(),
            Err(e) => self.failed(e),
        }
        result
    }

    fn succeeded(&self) {
        self.last_ok_ms.store(self.now_ms(), Ordering::Relaxed);
        if self.degraded.swap(false, Ordering::Relaxed) {
            info!(url = %self.url, "Redis cache reachable again.");
        }
    }

    fn failed(&self, error: &RedisFailure) {
        let now = self.now_ms();
        self.degraded.store(true, Ordering::Relaxed);
        self.skip_until_ms
            .store(now + FAILURE_BACKOFF.as_millis() as u64, Ordering::Relaxed);
        self.maybe_rebuild(now);
        let last = self.last_log_ms.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= LOG_EVERY.as_millis() as u64;
        if !due
            || self
                .last_log_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
        warn!(
            url = %self.url,
            error = %error,
            suppressed,
            "Redis cache unavailable: serving from the database."
        );
    }

    /// Replaces the connection manager when nothing has succeeded for a while.
    fn maybe_rebuild(&self, now: u64) {
        let quiet = |since: u64| now.saturating_sub(since) >= REBUILD_AFTER.as_millis() as u64;
        let last_rebuild = self.last_rebuild_ms.load(Ordering::Relaxed);
        if !quiet(self.last_ok_ms.load(Ordering::Relaxed)) || !quiet(last_rebuild) {
            return;
        }
        if self
            .last_rebuild_ms
            .compare_exchange(last_rebuild, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        match ConnectionManager::new_lazy_with_config(
            self.client.clone(),
            manager_config(self.timeout),
        ) {
            Ok(fresh) => *self.manager.write().unwrap_or_else(|e| e.into_inner()) = fresh,
            Err(e) => warn!(url = %self.url, error = %e, "Cannot set up a new Redis connection."),
        }
    }
}
