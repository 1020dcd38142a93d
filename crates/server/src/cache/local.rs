//! The in-process cache backend: a bounded moka cache of JSON strings, each entry expiring after its own
//! kind's TTL. It never fails and never blocks on I/O; it knows nothing of keys' meaning or of Redis.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;

/// One cached value and how long it lives from its last write.
#[derive(Clone, Debug)]
struct Entry {
    json: Arc<str>,
    ttl: Duration,
}

/// Expires each entry `ttl` after it was written (a rewrite restarts the clock).
struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, value: &Entry, _now: Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Entry,
        _now: Instant,
        _remaining: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// The moka cache, keyed by the full `{namespace}:{kind}:{key}` string.
#[derive(Clone, Debug)]
pub(super) struct LocalCache {
    inner: moka::future::Cache<String, Entry>,
}

impl LocalCache {
    pub(super) fn new(max_entries: u64) -> Self {
        let inner = moka::future::Cache::builder()
            .max_capacity(max_entries)
            .expire_after(PerEntryTtl)
            .build();
        Self { inner }
    }

    pub(super) async fn get(&self, key: &str) -> Option<Arc<str>> {
        self.inner.get(key).await.map(|e| e.json)
    }

    pub(super) async fn put(&self, key: String, json: String, ttl: Duration) {
        self.inner
            .insert(
                key,
                Entry {
                    json: Arc::from(json),
                    ttl,
                },
            )
            .await;
    }

    pub(super) async fn invalidate(&self, key: &str) {
        self.inner.invalidate(key).await;
    }
}
