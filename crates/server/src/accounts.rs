//! Whether an account still exists: every token check asks (REST, the WebSocket's `?token=`, a hello's
//! token), so a deleted account's tokens stop working at once on every path. Answered through the cache
//! (the profile kind, its own key); deleting an account calls [`forget`].

use crate::cache::{Cache, CacheKind};
use crate::store::{Store, StoreError};

fn key(id: i64) -> String {
    format!("{id}:exists")
}

pub async fn exists(store: &Store, cache: &Cache, id: i64) -> Result<bool, StoreError> {
    cache
        .get_or_load(CacheKind::UserProfile, &key(id), || async {
            match store.user(id).await {
                Ok(_) => Ok(true),
                Err(StoreError::NotFound) => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
}

/// Drops what the cache holds of account `id` (its profile and whether it exists).
pub async fn forget(cache: &Cache, id: i64) {
    cache
        .invalidate(CacheKind::UserProfile, &id.to_string())
        .await;
    cache.invalidate(CacheKind::UserProfile, &key(id)).await;
}
