//! Fencing tokens (cluster mode): the newest token each world's owner claimed. A node that takes a world
//! claims it with its lease's token *before* reading the world's journal; every later journal and
//! snapshot write carries the token and is refused unless it is still the claimed one (see
//! [`Store::append_commands_fenced`]), so an owner that was paused past its lease can never write over its
//! successor.

use super::{Result, Store, StoreError, now_ms, on_pool};

/// The first statement of every fenced write: locks the world's fence row and matches the token (no
/// row changed: another node claimed the world since).
pub(super) const FENCE_CHECK: &str =
    "UPDATE world_fences SET fence = fence WHERE world_id = $1 AND fence = $2";

impl Store {
    /// The newest token claimed for `world_id` (none: never claimed, a single node's world).
    pub async fn world_fence(&self, world_id: i64) -> Result<Option<u64>> {
        let fence: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT fence FROM world_fences WHERE world_id = $1")
            .bind(world_id)
            .fetch_optional(p)
            .await)?;
        Ok(fence.map(|f| f as u64))
    }

    /// Claims `world_id` for `node` with `fence`: succeeds only if no newer or equal token was claimed.
    /// Returns whether it did.
    pub async fn claim_world(&self, world_id: i64, fence: u64, node: &str) -> Result<bool> {
        let changed = on_pool!(self, p => sqlx::query(
            "INSERT INTO world_fences (world_id, fence, node, claimed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (world_id) DO UPDATE SET fence = excluded.fence, node = excluded.node, \
             claimed_at = excluded.claimed_at WHERE world_fences.fence < excluded.fence")
            .bind(world_id)
            .bind(fence as i64)
            .bind(node)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }

    /// Moves `node`'s claim from `old` to `new` (a lease taken again after Redis lost it): succeeds only if
    /// nobody claimed the world in between. Returns whether it did.
    pub async fn reclaim_world(
        &self,
        world_id: i64,
        old: u64,
        new: u64,
        node: &str,
    ) -> Result<bool> {
        let changed = on_pool!(self, p => sqlx::query(
            "UPDATE world_fences SET fence = $3, claimed_at = $4 \
             WHERE world_id = $1 AND fence = $2 AND node = $5")
            .bind(world_id)
            .bind(old as i64)
            .bind(new as i64)
            .bind(now_ms())
            .bind(node)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }

    /// For audits and tests: the newest tick written to `world_id`'s journal or snapshots with token
    /// `old`, and the oldest written with `new` (a takeover is clean if the first is not after the second).
    pub async fn fence_audit(
        &self,
        world_id: i64,
        old: u64,
        new: u64,
    ) -> Result<(Option<u64>, Option<u64>)> {
        let (late, first): (Option<i64>, Option<i64>) = on_pool!(self, p => sqlx::query_as(
            "SELECT (SELECT MAX(tick) FROM (SELECT tick FROM world_commands WHERE world_id = $1 AND fence = $2 \
                     UNION ALL SELECT tick FROM world_snapshots WHERE world_id = $1 AND fence = $2) AS o), \
                    (SELECT MIN(tick) FROM (SELECT tick FROM world_commands WHERE world_id = $1 AND fence = $3 \
                     UNION ALL SELECT tick FROM world_snapshots WHERE world_id = $1 AND fence = $3) AS n)")
            .bind(world_id)
            .bind(old as i64)
            .bind(new as i64)
            .fetch_one(p)
            .await)?;
        Ok((late.map(|t| t as u64), first.map(|t| t as u64)))
    }

    /// The error for a write of `world_id` with `token` that the fence check refused.
    pub(super) async fn fenced(&self, world_id: i64, token: u64) -> StoreError {
        match self.world_fence(world_id).await {
            Ok(newest) => StoreError::Fenced {
                token,
                newest: newest.unwrap_or(0),
            },
            Err(e) => e,
        }
    }
}
