//! Live-session rooms: one row per room, its description and state as JSON (the live crate's types).

use super::{Result, Store, now_ms, on_pool};

/// A stored room.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LiveRoomRow {
    pub id: String,
    pub code: String,
    pub owner_id: i64,
    pub meta: String,
    pub state: String,
    pub last_active: i64,
}

impl Store {
    pub async fn live_rooms(&self) -> Result<Vec<LiveRoomRow>> {
        let sql = "SELECT id, code, owner_id, meta, state, last_active FROM live_rooms ORDER BY id";
        Ok(on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await)?)
    }

    /// Writes a room (inserted or replaced).
    pub async fn save_live_room(&self, room: &LiveRoomRow) -> Result<()> {
        let sql = "INSERT INTO live_rooms (id, code, owner_id, meta, state, last_active, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) \
                   ON CONFLICT (id) DO UPDATE SET meta = excluded.meta, state = excluded.state, \
                   last_active = excluded.last_active, updated_at = excluded.updated_at";
        on_pool!(self, p => sqlx::query(sql)
            .bind(&room.id)
            .bind(&room.code)
            .bind(room.owner_id)
            .bind(&room.meta)
            .bind(&room.state)
            .bind(room.last_active)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes room `id` unless its stored `last_active` is after `idle_since` (another node, in cluster
    /// mode, runs it). Returns whether it did.
    pub async fn delete_live_room(&self, id: &str, idle_since: i64) -> Result<bool> {
        let sql = "DELETE FROM live_rooms WHERE id = $1 AND last_active <= $2";
        let deleted = on_pool!(self, p => sqlx::query(sql)
            .bind(id)
            .bind(idle_since)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(deleted == 1)
    }
}
