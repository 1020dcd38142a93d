//! Removing stale guest accounts: a guest nobody has used for `quotas.guest_ttl_days` (not created,
//! changed, refreshed or played since) is deleted, in batches, once an hour. Its tokens stop working
//! at once (the account check of every path sees it gone).

use std::time::Duration;

use tokio::sync::watch;

use crate::cache::Cache;
use crate::store::{Store, StoreError, now_ms};

/// Accounts removed per statement (a sweep runs statements until one removes fewer).
const BATCH: i64 = 500;
/// Between sweeps; the first runs a minute after start.
const EVERY: Duration = Duration::from_secs(3600);
const FIRST_AFTER: Duration = Duration::from_secs(60);
const DAY_MS: i64 = 86_400_000;

/// Removes the guests unused since `cutoff` (Unix ms); returns how many.
pub async fn remove_unused_since(
    store: &Store,
    cache: &Cache,
    cutoff: i64,
) -> Result<usize, StoreError> {
    let mut removed = 0;
    loop {
        let ids = store.delete_stale_guests(cutoff, BATCH).await?;
        for &id in &ids {
            crate::accounts::forget(cache, id).await;
        }
        removed += ids.len();
        crate::metrics::quotas::guests_removed(ids.len());
        if (ids.len() as i64) < BATCH {
            return Ok(removed);
        }
    }
}

/// Runs the hourly sweep until shutdown (nothing when `ttl_days` is 0). Also forgets per-address
/// buckets that have refilled.
pub fn spawn(
    store: Store,
    cache: Cache,
    quotas: std::sync::Arc<super::Quotas>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let ttl_days = i64::from(quotas.config.guest_ttl_days);
        let mut next = tokio::time::Instant::now() + FIRST_AFTER;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                _ = shutdown.changed() => return,
            }
            next += EVERY;
            quotas.new_worlds.sweep();
            quotas.new_guests.sweep();
            if ttl_days == 0 {
                continue;
            }
            let cutoff = now_ms() - ttl_days * DAY_MS;
            match remove_unused_since(&store, &cache, cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, ttl_days, "Removed unused guest accounts."),
                Err(e) => {
                    tracing::warn!(error = %e, "Removing unused guest accounts failed; retrying in an hour.")
                }
            }
        }
    })
}
