//! The durable journal of a world: the commands each tick applied (written in one transaction per tick)
//! and periodic compressed snapshots with a checksum. Recovery = newest valid snapshot + replay of the
//! commands after it.

use sha2::{Digest, Sha256};

use super::fences::FENCE_CHECK;
use super::{Result, Store, StoreError, now_ms, on_pool};

/// A decoded snapshot: the tick it was taken after and the world's state then.
#[derive(Debug)]
pub struct Snapshot {
    pub tick: u64,
    pub state: sim::WorldState,
}

/// How many snapshots a world keeps (older ones and the commands before the oldest are pruned).
pub const SNAPSHOTS_KEPT: i64 = 3;

fn checksum(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Writes the commands one tick applied, in order, in one transaction.
    pub async fn append_commands(
        &self,
        world_id: i64,
        tick: u64,
        commands: &[sim::Command],
    ) -> Result<()> {
        self.append_commands_fenced(world_id, None, tick, commands)
            .await
    }

    /// [`Store::append_commands`] for an owner holding fencing token `fence` (cluster mode): refused with
    /// [`StoreError::Fenced`], writing nothing, unless `fence` is still the world's claimed token.
    pub async fn append_commands_fenced(
        &self,
        world_id: i64,
        fence: Option<u64>,
        tick: u64,
        commands: &[sim::Command],
    ) -> Result<()> {
        if commands.is_empty() {
            return Ok(());
        }
        let payloads = commands
            .iter()
            .map(serde_json::to_string)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let token = fence.map(|f| f as i64);
        let admitted = on_pool!(self, p => 'write: {
            let mut tx = p.begin().await?;
            if let Some(f) = token {
                let held = sqlx::query(FENCE_CHECK).bind(world_id).bind(f).execute(&mut *tx).await?;
                if held.rows_affected() == 0 {
                    tx.rollback().await?;
                    break 'write Ok::<bool, sqlx::Error>(false);
                }
            }
            for (seq, payload) in payloads.iter().enumerate() {
                sqlx::query("INSERT INTO world_commands (world_id, tick, seq, payload, fence) VALUES ($1, $2, $3, $4, $5)")
                    .bind(world_id)
                    .bind(tick as i64)
                    .bind(seq as i32)
                    .bind(payload)
                    .bind(token)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await.map(|()| true)
        })?;
        match (admitted, fence) {
            (false, Some(f)) => Err(self.fenced(world_id, f).await),
            _ => Ok(()),
        }
    }

    /// The commands after `after_tick`, grouped by tick, in order.
    pub async fn commands_after(
        &self,
        world_id: i64,
        after_tick: u64,
    ) -> Result<Vec<(u64, Vec<sim::Command>)>> {
        let rows: Vec<(i64, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT tick, payload FROM world_commands WHERE world_id = $1 AND tick > $2 ORDER BY tick, seq")
            .bind(world_id)
            .bind(after_tick as i64)
            .fetch_all(p)
            .await)?;
        let mut out: Vec<(u64, Vec<sim::Command>)> = Vec::new();
        for (tick, payload) in rows {
            let command: sim::Command = serde_json::from_str(&payload)
                .map_err(|e| StoreError::Corrupt(format!("command at tick {tick}: {e}")))?;
            match out.last_mut() {
                Some((t, list)) if *t == tick as u64 => list.push(command),
                _ => out.push((tick as u64, vec![command])),
            }
        }
        Ok(out)
    }

    /// Stores a compressed, checksummed snapshot and prunes what no kept snapshot needs.
    pub async fn save_snapshot(&self, world_id: i64, state: &sim::WorldState) -> Result<usize> {
        self.save_snapshot_fenced(world_id, None, state).await
    }

    /// [`Store::save_snapshot`] for an owner holding fencing token `fence`: refused with
    /// [`StoreError::Fenced`], writing nothing, unless `fence` is still the world's claimed token.
    pub async fn save_snapshot_fenced(
        &self,
        world_id: i64,
        fence: Option<u64>,
        state: &sim::WorldState,
    ) -> Result<usize> {
        let tick = state.tick.0 as i64;
        let json = serde_json::to_vec(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let data =
            zstd::bulk::compress(&json, 3).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sum = checksum(&data);
        let bytes = data.len();
        let token = fence.map(|f| f as i64);
        let admitted = on_pool!(self, p => 'write: {
            let mut tx = p.begin().await?;
            if let Some(f) = token {
                let held = sqlx::query(FENCE_CHECK).bind(world_id).bind(f).execute(&mut *tx).await?;
                if held.rows_affected() == 0 {
                    tx.rollback().await?;
                    break 'write Ok::<bool, sqlx::Error>(false);
                }
            }
            sqlx::query(
                "INSERT INTO world_snapshots (world_id, tick, created_at, checksum, data, fence) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (world_id, tick) DO UPDATE SET created_at = excluded.created_at, \
                 checksum = excluded.checksum, data = excluded.data, fence = excluded.fence")
                .bind(world_id)
                .bind(tick)
                .bind(now_ms())
                .bind(&sum)
                .bind(&data)
                .bind(token)
                .execute(&mut *tx)
                .await?;
            let oldest: Option<i64> = sqlx::query_scalar(
                "SELECT MIN(tick) FROM (SELECT tick FROM world_snapshots WHERE world_id = $1 \
                 ORDER BY tick DESC LIMIT $2) AS kept")
                .bind(world_id)
                .bind(SNAPSHOTS_KEPT)
                .fetch_one(&mut *tx)
                .await?;
            if let Some(oldest) = oldest {
                sqlx::query("DELETE FROM world_snapshots WHERE world_id = $1 AND tick < $2")
                    .bind(world_id)
                    .bind(oldest)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM world_commands WHERE world_id = $1 AND tick <= $2")
                    .bind(world_id)
                    .bind(oldest)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await.map(|()| true)
        })?;
        match (admitted, fence) {
            (false, Some(f)) => Err(self.fenced(world_id, f).await),
            _ => Ok(bytes),
        }
    }

    /// The newest snapshot whose checksum and contents are valid (a damaged one is skipped, logged).
    pub async fn latest_snapshot(&self, world_id: i64) -> Result<Option<Snapshot>> {
        let rows: Vec<(i64, String, Vec<u8>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT tick, checksum, data FROM world_snapshots WHERE world_id = $1 ORDER BY tick DESC")
            .bind(world_id)
            .fetch_all(p)
            .await)?;
        for (tick, sum, data) in rows {
            match decode_snapshot(&sum, &data) {
                Ok(state) => {
                    return Ok(Some(Snapshot {
                        tick: tick as u64,
                        state,
                    }));
                }
                Err(e) => {
                    tracing::error!(world = world_id, tick, error = %e, "Skipping a damaged snapshot.")
                }
            }
        }
        Ok(None)
    }
}

fn decode_snapshot(sum: &str, data: &[u8]) -> std::result::Result<sim::WorldState, String> {
    if checksum(data) != sum {
        return Err("checksum mismatch".into());
    }
    let json = zstd::stream::decode_all(data).map_err(|e| e.to_string())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}
