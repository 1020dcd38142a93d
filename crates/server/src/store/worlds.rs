//! Worlds, their members, players' per-world statistics and the leaderboard built from them.

use serde::{Deserialize, Serialize};

use super::{Result, Store, StoreError, now_ms, on_pool};

/// A world's stored settings.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WorldRow {
    pub id: i64,
    pub name: String,
    pub public: bool,
    pub max_players: i32,
    pub tick_rate: i32,
    pub seed: i64,
    pub bodies: i32,
    pub owner_id: Option<i64>,
    pub created_at: i64,
    /// The world's cap on live bodies (none: the balance's `world.max_bodies`).
    pub max_bodies: Option<i32>,
}

/// A world to create.
#[derive(Clone, Debug)]
pub struct NewWorld {
    pub name: String,
    pub public: bool,
    pub max_players: i32,
    pub tick_rate: i32,
    pub seed: i64,
    pub bodies: i32,
    pub owner_id: Option<i64>,
    /// Live bodies at most (none: the balance's limit).
    pub max_bodies: Option<i32>,
}

/// Changes to a world's settings (`None` keeps the value).
#[derive(Clone, Debug, Default)]
pub struct WorldSettings {
    pub name: Option<String>,
    pub public: Option<bool>,
    pub max_players: Option<i32>,
    pub tick_rate: Option<i32>,
}

/// One player's figures in one world, written by the world actor (the garden's type).
pub use garden::PlayerStatsRow;

/// What a leaderboard ranks by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeaderboardMetric {
    TotalDust,
    StarsCreated,
    BodiesCreated,
    HighestLifeStage,
}

impl LeaderboardMetric {
    fn column(self) -> &'static str {
        match self {
            Self::TotalDust => "total_dust",
            Self::StarsCreated => "stars_created",
            Self::BodiesCreated => "bodies_created",
            Self::HighestLifeStage => "highest_life_stage",
        }
    }
}

/// One leaderboard line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LeaderboardEntry {
    pub user_id: i64,
    pub username: Option<String>,
    pub value: f64,
}

/// Totals for `/api/stats`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatsSummary {
    pub users: i64,
    pub guests: i64,
    pub worlds: i64,
    pub players: i64,
    pub total_dust: f64,
    pub stars_created: i64,
}

impl Store {
    pub async fn create_world(&self, w: &NewWorld) -> Result<WorldRow> {
        Ok(on_pool!(self, p => sqlx::query_as::<_, WorldRow>(
            "INSERT INTO worlds (name, public, max_players, tick_rate, seed, bodies, owner_id, created_at, max_bodies) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id, name, public, max_players, tick_rate, seed, bodies, owner_id, created_at, max_bodies")
            .bind(&w.name)
            .bind(w.public)
            .bind(w.max_players)
            .bind(w.tick_rate)
            .bind(w.seed)
            .bind(w.bodies)
            .bind(w.owner_id)
            .bind(now_ms())
            .bind(w.max_bodies)
            .fetch_one(p)
            .await)?)
    }

    pub async fn world(&self, id: i64) -> Result<WorldRow> {
        Ok(on_pool!(self, p => sqlx::query_as::<_, WorldRow>(
            "SELECT id, name, public, max_players, tick_rate, seed, bodies, owner_id, created_at, max_bodies \
             FROM worlds WHERE id = $1")
            .bind(id)
            .fetch_one(p)
            .await)?)
    }

    /// Every world, oldest first.
    pub async fn worlds(&self) -> Result<Vec<WorldRow>> {
        Ok(on_pool!(self, p => sqlx::query_as::<_, WorldRow>(
            "SELECT id, name, public, max_players, tick_rate, seed, bodies, owner_id, created_at, max_bodies \
             FROM worlds ORDER BY id")
            .fetch_all(p)
            .await)?)
    }

    pub async fn update_world(&self, id: i64, s: &WorldSettings) -> Result<WorldRow> {
        Ok(on_pool!(self, p => sqlx::query_as::<_, WorldRow>(
            "UPDATE worlds SET name = COALESCE($1, name), public = COALESCE($2, public), \
             max_players = COALESCE($3, max_players), tick_rate = COALESCE($4, tick_rate) WHERE id = $5 \
             RETURNING id, name, public, max_players, tick_rate, seed, bodies, owner_id, created_at, max_bodies")
            .bind(&s.name)
            .bind(s.public)
            .bind(s.max_players)
            .bind(s.tick_rate)
            .bind(id)
            .fetch_one(p)
            .await)?)
    }

    /// Adds a member; joining twice is not an error.
    pub async fn join_world(&self, world_id: i64, user_id: i64) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO world_members (world_id, user_id, joined_at) VALUES ($1, $2, $3) \
             ON CONFLICT (world_id, user_id) DO NOTHING")
            .bind(world_id)
            .bind(user_id)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| match StoreError::from(e) {
            StoreError::Gone => StoreError::NotFound,
            other => other,
        })?;
        Ok(())
    }

    pub async fn leave_world(&self, world_id: i64, user_id: i64) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM world_members WHERE world_id = $1 AND user_id = $2")
            .bind(world_id)
            .bind(user_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn member_count(&self, world_id: i64) -> Result<i64> {
        Ok(on_pool!(self, p => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM world_members WHERE world_id = $1")
            .bind(world_id)
            .fetch_one(p)
            .await)?)
    }

    /// Worlds `owner_id` owns.
    pub async fn count_worlds_owned(&self, owner_id: i64) -> Result<u64> {
        let (n,): (i64,) = on_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM worlds WHERE owner_id = $1")
            .bind(owner_id)
            .fetch_one(p)
            .await)?;
        Ok(n.max(0) as u64)
    }

    pub async fn is_member(&self, world_id: i64, user_id: i64) -> Result<bool> {
        Ok(on_pool!(self, p => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM world_members WHERE world_id = $1 AND user_id = $2")
            .bind(world_id)
            .bind(user_id)
            .fetch_one(p)
            .await)?
            > 0)
    }

    /// Writes many players' figures in one transaction.
    pub async fn save_player_stats(&self, rows: &[PlayerStatsRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for r in rows {
                sqlx::query(
                    "INSERT INTO player_stats (world_id, user_id, total_dust, stars_created, bodies_created, \
                     highest_life_stage, resources, research, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (world_id, user_id) DO UPDATE SET total_dust = excluded.total_dust, \
                     stars_created = excluded.stars_created, bodies_created = excluded.bodies_created, \
                     highest_life_stage = excluded.highest_life_stage, resources = excluded.resources, \
                     research = excluded.research, updated_at = excluded.updated_at")
                    .bind(r.world_id)
                    .bind(r.user_id)
                    .bind(r.total_dust)
                    .bind(r.stars_created)
                    .bind(r.bodies_created)
                    .bind(r.highest_life_stage)
                    .bind(&r.resources)
                    .bind(&r.research)
                    .bind(r.updated_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }

    pub async fn player_stats(&self, world_id: i64, user_id: i64) -> Result<PlayerStatsRow> {
        type Row = (i64, i64, f64, i64, i64, i32, String, String, i64);
        let r: Row = on_pool!(self, p => sqlx::query_as::<_, Row>(
            "SELECT world_id, user_id, total_dust, stars_created, bodies_created, highest_life_stage, \
             resources, research, updated_at FROM player_stats WHERE world_id = $1 AND user_id = $2")
            .bind(world_id)
            .bind(user_id)
            .fetch_one(p)
            .await)?;
        Ok(PlayerStatsRow {
            world_id: r.0,
            user_id: r.1,
            total_dust: r.2,
            stars_created: r.3,
            bodies_created: r.4,
            highest_life_stage: r.5,
            resources: r.6,
            research: r.7,
            updated_at: r.8,
        })
    }

    /// The top `limit` players of a world by `metric`.
    pub async fn leaderboard(
        &self,
        world_id: i64,
        metric: LeaderboardMetric,
        limit: i64,
    ) -> Result<Vec<LeaderboardEntry>> {
        // The column comes from an enum, never from input.
        let sql = format!(
            "SELECT s.user_id, u.username, CAST(s.{col} AS DOUBLE PRECISION) AS value FROM player_stats s \
             LEFT JOIN users u ON u.id = s.user_id WHERE s.world_id = $1 ORDER BY s.{col} DESC, s.user_id LIMIT $2",
            col = metric.column()
        );
        Ok(
            on_pool!(self, p => sqlx::query_as::<_, LeaderboardEntry>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(world_id)
            .bind(limit)
            .fetch_all(p)
            .await)?,
        )
    }

    pub async fn stats_summary(&self) -> Result<StatsSummary> {
        let (users, guests, worlds): (i64, i64, i64) = on_pool!(self, p => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM users), \
             (SELECT COUNT(*) FROM users WHERE is_guest), (SELECT COUNT(*) FROM worlds)")
            .fetch_one(p)
            .await)?;
        let (players, total_dust, stars_created): (i64, f64, i64) = on_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(total_dust), 0) AS DOUBLE PRECISION), \
             CAST(COALESCE(SUM(stars_created), 0) AS BIGINT) FROM player_stats")
            .fetch_one(p)
            .await)?;
        Ok(StatsSummary {
            users,
            guests,
            worlds,
            players,
            total_dust,
            stars_created,
        })
    }
}
