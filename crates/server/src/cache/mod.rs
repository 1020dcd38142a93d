//! The read cache in front of the store: one interface, in-process (moka) by default, Redis when a Redis
//! URL is configured. Values are JSON; each kind of value has its own TTL; keys are
//! `{namespace}:{kind prefix}:{key}`. A cache failure never fails a request: the caller falls back to the
//! database (the error is logged, rate-limited, and counted).
//!
//! With Redis, [`Cache::redis`] succeeds even while Redis is unreachable: the server starts degraded (every
//! read misses and goes to the database) and uses Redis again as soon as it answers, without a restart.
//! This module knows nothing of HTTP or SQL: callers pick kinds and keys, and say what to invalidate.

mod local;
mod redis;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{info, warn};

use self::local::LocalCache;
use self::redis::RedisCache;
pub use self::redis::{DEFAULT_OP_TIMEOUT, FAILURE_BACKOFF, LOG_EVERY, RedisFailure};

/// What is cached; each kind has its own TTL and key prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheKind {
    PlayerState,
    WorldSummary,
    Leaderboard,
    UserProfile,
    /// A public preset, whole (private ones are never cached).
    Preset,
}

impl CacheKind {
    pub const ALL: [Self; 5] = [
        Self::PlayerState,
        Self::WorldSummary,
        Self::Leaderboard,
        Self::UserProfile,
        Self::Preset,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            Self::PlayerState => "player",
            Self::WorldSummary => "world",
            Self::Leaderboard => "leaderboard",
            Self::UserProfile => "user",
            Self::Preset => "preset",
        }
    }
}

/// Time to live per kind.
#[derive(Clone, Debug)]
pub struct CacheConfig {
    pub player_state: Duration,
    pub world_summary: Duration,
    pub leaderboard: Duration,
    pub user_profile: Duration,
    pub preset: Duration,
    /// Entries the in-process cache holds at most; 0 turns the in-process cache off ([`Cache::local`]
    /// then stores nothing, as [`Cache::disabled`] does). Redis ignores it.
    pub max_entries: u64,
    /// Prefix of every key (several servers or tests can share one Redis).
    pub namespace: String,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            player_state: Duration::from_secs(5),
            world_summary: Duration::from_secs(10),
            leaderboard: Duration::from_secs(10),
            user_profile: Duration::from_secs(60),
            preset: Duration::from_secs(10),
            max_entries: 100_000,
            namespace: "cosmic".into(),
        }
    }
}

impl CacheConfig {
    pub fn ttl(&self, kind: CacheKind) -> Duration {
        match kind {
            CacheKind::PlayerState => self.player_state,
            CacheKind::WorldSummary => self.world_summary,
            CacheKind::Leaderboard => self.leaderboard,
            CacheKind::UserProfile => self.user_profile,
            CacheKind::Preset => self.preset,
        }
    }
}

/// Hits, misses and errors so far. Every [`Cache::get`] (and the lookup of [`Cache::get_or_load`]) counts
/// exactly one hit or one miss: a failed read is a miss as the caller sees it. `errors` counts, on top of
/// that, every failed backend call (read, write or delete: Redis down, timed out, or a value that no longer
/// decodes). A Redis error is never a hit.
#[derive(Debug, Default)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub errors: AtomicU64,
}

/// The counters at one moment, for metrics and health.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheStats {
    /// `disabled`, `local` or `redis`.
    pub backend: &'static str,
    pub hits: u64,
    pub misses: u64,
    pub errors: u64,
    /// `hits / (hits + misses)`; 0 before the first lookup.
    pub hit_ratio: f64,
}

#[derive(Debug)]
enum Inner {
    /// No caching at all (benchmarks' baseline).
    Disabled,
    Local(LocalCache),
    Redis(RedisCache),
}

/// The cache handle: cheap to clone.
#[derive(Clone, Debug)]
pub struct Cache {
    inner: Arc<Inner>,
    config: Arc<CacheConfig>,
    pub counters: Arc<CacheCounters>,
}

impl Cache {
    /// The in-process cache. `max_entries == 0` means no caching at all (the same as [`Cache::disabled`],
    /// with this configuration): the switch the API benchmark uses for its baseline.
    pub fn local(config: CacheConfig) -> Self {
        if config.max_entries == 0 {
            return Self::with(Inner::Disabled, config);
        }
        let local = LocalCache::new(config.max_entries);
        Self::with(Inner::Local(local), config)
    }

    /// The Redis cache at `url` (`redis://[user:password@]host:port[/db]`).
    ///
    /// Fails only on a malformed URL. If Redis is unreachable, this still succeeds after one bounded
    /// attempt ([`DEFAULT_OP_TIMEOUT`]): the cache starts degraded (reads miss, writes are dropped, both
    /// counted as errors) and reconnects on later calls, so the server starts and serves from the database.
    pub async fn redis(url: &str, config: CacheConfig) -> anyhow::Result<Self> {
        let backend = RedisCache::connect(url, DEFAULT_OP_TIMEOUT)
            .map_err(|e| anyhow::anyhow!("redis URL {}: {e}", crate::store::redact_url(url)))?;
        match backend.ping().await {
            Ok(rtt) => info!(
                url = backend.url(),
                rtt_us = rtt.as_micros() as u64,
                "Redis cache connected."
            ),
            Err(e) => warn!(
                url = backend.url(),
                error = %e,
                "Redis not reachable at startup: the cache starts degraded (reads go to the database) \
                 and reconnects in the background."
            ),
        }
        Ok(Self::with(Inner::Redis(backend), config))
    }

    /// A cache that stores nothing: every read misses.
    pub fn disabled() -> Self {
        Self::with(Inner::Disabled, CacheConfig::default())
    }

    fn with(inner: Inner, config: CacheConfig) -> Self {
        Self {
            inner: Arc::new(inner),
            config: Arc::new(config),
            counters: Arc::default(),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match &*self.inner {
            Inner::Disabled => "disabled",
            Inner::Local(_) => "local",
            Inner::Redis(_) => "redis",
        }
    }

    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// The counters now, with the hit ratio and the backend's name.
    pub fn stats(&self) -> CacheStats {
        let hits = self.counters.hits.load(Ordering::Relaxed);
        let misses = self.counters.misses.load(Ordering::Relaxed);
        let lookups = hits + misses;
        CacheStats {
            backend: self.backend_name(),
            hits,
            misses,
            errors: self.counters.errors.load(Ordering::Relaxed),
            hit_ratio: if lookups == 0 {
                0.0
            } else {
                hits as f64 / lookups as f64
            },
        }
    }

    /// A round trip to the backend, for readiness: Redis `PING` (bounded by [`DEFAULT_OP_TIMEOUT`]); the
    /// in-process and disabled caches always answer at once.
    pub async fn ping(&self) -> Result<Duration, String> {
        match &*self.inner {
            Inner::Disabled | Inner::Local(_) => Ok(Duration::ZERO),
            Inner::Redis(r) => r.ping().await.map_err(|e| e.to_string()),
        }
    }

    fn key(&self, kind: CacheKind, key: &str) -> String {
        format!("{}:{}:{key}", self.config.namespace, kind.prefix())
    }

    fn error(&self) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        crate::metrics::hot().cache_error();
    }

    /// The cached value, or `None` on a miss (or a cache failure, counted as an error too).
    pub async fn get<T: DeserializeOwned>(&self, kind: CacheKind, key: &str) -> Option<T> {
        let value = match &*self.inner {
            Inner::Disabled => None,
            Inner::Local(c) => match c.get(&self.key(kind, key)).await {
                Some(json) => self.decode(&json),
                None => None,
            },
            Inner::Redis(r) => match r.get(&self.key(kind, key)).await {
                Ok(Some(json)) => self.decode(&json),
                Ok(None) => None,
                Err(_) => {
                    self.error();
                    None
                }
            },
        };
        let counter = if value.is_some() {
            &self.counters.hits
        } else {
            &self.counters.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        crate::metrics::hot().cache_read(value.is_some());
        value
    }

    /// A stored value that no longer decodes (its type changed) is a miss and an error.
    fn decode<T: DeserializeOwned>(&self, json: &str) -> Option<T> {
        let value = serde_json::from_str(json).ok();
        if value.is_none() {
            self.error();
        }
        value
    }

    /// Stores a value for its kind's TTL (`SET … PX ttl` on Redis).
    pub async fn put<T: Serialize>(&self, kind: CacheKind, key: &str, value: &T) {
        if let Inner::Disabled = &*self.inner {
            return;
        }
        let Ok(json) = serde_json::to_string(value) else {
            self.error();
            return;
        };
        let ttl = self.config.ttl(kind);
        match &*self.inner {
            Inner::Disabled => {}
            Inner::Local(c) => c.put(self.key(kind, key), json, ttl).await,
            Inner::Redis(r) => {
                if r.set(&self.key(kind, key), &json, ttl).await.is_err() {
                    self.error();
                }
            }
        }
    }

    /// Drops a value after the data behind it changed. On Redis a failed `DEL` is counted and logged; the
    /// stale value then lives until its TTL, which is why every kind has a short one.
    pub async fn invalidate(&self, kind: CacheKind, key: &str) {
        match &*self.inner {
            Inner::Disabled => {}
            Inner::Local(c) => c.invalidate(&self.key(kind, key)).await,
            Inner::Redis(r) => {
                if r.del(&self.key(kind, key)).await.is_err() {
                    self.error();
                }
            }
        }
    }

    /// The cached value, or `load`'s result (stored on success). A cache failure only means `load` runs;
    /// `load`'s own error is returned as is. Concurrent misses on one key each load (no single-flight):
    /// with short TTLs and few hot keys that costs a handful of queries per TTL, and it keeps a slow
    /// backend from queueing requests behind one another.
    pub async fn get_or_load<T, E, F, Fut>(
        &self,
        kind: CacheKind,
        key: &str,
        load: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.get(kind, key).await {
            return Ok(v);
        }
        let value = load().await?;
        self.put(kind, key, &value).await;
        Ok(value)
    }
}
