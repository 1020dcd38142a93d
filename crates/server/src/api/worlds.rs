//! Worlds over HTTP: list, create (which starts the world's actor), read a summary, change settings,
//! join and leave, and the caller's own figures in a world.
//!
//! Summaries combine stored settings (cached as [`CacheKind::WorldSummary`]) with live figures read
//! from the world's handle on every request. A private world is 404 to everyone but its owner, so its
//! existence does not leak. The simulation itself is the actor's: nothing here touches a `sim::World`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::AuthUser;
use super::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::cache::CacheKind;
use crate::client_ip::ClientIp;
use crate::loader::start_one;
use crate::quotas::WorldAsk;
use crate::state::AppState;
use crate::store::{NewWorld, PlayerStatsRow, StoreError, WorldRow, WorldSettings};

/// Bodies a new world is generated with unless the request says otherwise.
pub const DEFAULT_NEW_WORLD_BODIES: i32 = 400;
/// Players a new world admits unless the request says otherwise.
pub const DEFAULT_NEW_WORLD_MAX_PLAYERS: i32 = 100;
/// Tick rate of a new world unless the request says otherwise.
pub const DEFAULT_NEW_WORLD_TICK_RATE: i32 = 20;

/// `POST /api/worlds`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWorldRequest {
    /// 1–64 printable characters, not only spaces (trimmed).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// Default true.
    pub public: Option<bool>,
    /// 1..=10000, default 100 (guests: at most `quotas.guest_max_players`).
    #[schema(minimum = 1, maximum = 10000)]
    #[serde(default, deserialize_with = "super::input::whole")]
    pub max_players: Option<i64>,
    /// Ticks per second, 1..=60, default 20 (guests: at most `quotas.guest_tick_rate`).
    #[schema(minimum = 1, maximum = 60)]
    #[serde(default, deserialize_with = "super::input::whole")]
    pub tick_rate: Option<i64>,
    /// Bodies generated at creation, 0..=5000, default 400 (guests: at most
    /// `quotas.guest_world_bodies`).
    #[schema(minimum = 0, maximum = 5000)]
    #[serde(default, deserialize_with = "super::input::whole")]
    pub bodies: Option<i64>,
}

/// `PATCH /api/worlds/{id}`: only the fields present change.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateWorldRequest {
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    pub public: Option<bool>,
    #[schema(minimum = 1, maximum = 10000)]
    #[serde(default, deserialize_with = "super::input::whole")]
    pub max_players: Option<i64>,
    /// Stored now; the running world keeps its rate until it next starts.
    #[schema(minimum = 1, maximum = 60)]
    #[serde(default, deserialize_with = "super::input::whole")]
    pub tick_rate: Option<i64>,
}

/// A world: stored settings plus live figures (`tick`, `bodies`, `running`). Times are Unix ms.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WorldSummary {
    pub id: i64,
    pub name: String,
    pub public: bool,
    pub max_players: i32,
    /// The stored rate (applies from the world's next start).
    pub tick_rate: i32,
    pub members: i64,
    pub owner_id: Option<i64>,
    pub created_at: i64,
    /// The running world's tick.
    pub tick: u64,
    /// Bodies in the running world.
    pub bodies: u64,
    pub running: bool,
    /// Live bodies the world may hold at most (its owner's quota when it was created).
    #[serde(default)]
    pub max_bodies: Option<i32>,
}

/// A player's stored figures in one world, as the world actor last wrote them.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PlayerStatsView {
    pub world_id: i64,
    pub user_id: i64,
    pub total_dust: f64,
    pub stars_created: i64,
    pub bodies_created: i64,
    pub highest_life_stage: i32,
    #[schema(value_type = Object)]
    pub resources: serde_json::Value,
    #[schema(value_type = Object)]
    pub research: serde_json::Value,
    pub updated_at: i64,
}

impl PlayerStatsView {
    /// A player with no figures stored in a world yet.
    pub fn nothing_yet(world_id: i64, user_id: i64) -> Self {
        Self {
            world_id,
            user_id,
            total_dust: 0.0,
            stars_created: 0,
            bodies_created: 0,
            highest_life_stage: 0,
            resources: serde_json::json!({}),
            research: serde_json::json!({}),
            updated_at: 0,
        }
    }
}

impl From<PlayerStatsRow> for PlayerStatsView {
    fn from(r: PlayerStatsRow) -> Self {
        let json = |s: String| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s));
        Self {
            world_id: r.world_id,
            user_id: r.user_id,
            total_dust: r.total_dust,
            stars_created: r.stars_created,
            bodies_created: r.bodies_created,
            highest_life_stage: r.highest_life_stage,
            resources: json(r.resources),
            research: json(r.research),
            updated_at: r.updated_at,
        }
    }
}

/// The world routes (under `/api`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/worlds", get(list_worlds).post(create_world))
        .route("/worlds/{id}", get(get_world).patch(update_world))
        .route("/worlds/{id}/join", post(join_world))
        .route("/worlds/{id}/leave", post(leave_world))
        .route("/worlds/{id}/players/me", get(my_stats))
}

fn in_range(
    field: &str,
    value: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i32, ApiError> {
    if range.contains(&value) {
        i32::try_from(value).map_err(ApiError::internal)
    } else {
        Err(ApiError::validation(
            field,
            format!(
                "{field} must be between {} and {}",
                range.start(),
                range.end()
            ),
        ))
    }
}

fn world_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let len = name.chars().count();
    if !(1..=64).contains(&len) || name.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "name",
            "name must be 1 to 64 printable characters",
        ));
    }
    Ok(name.to_string())
}

/// Whether `caller` may see `owner`'s world.
pub(crate) fn visible(public: bool, owner: Option<i64>, caller: Option<AuthUser>) -> bool {
    public || (owner.is_some() && owner == caller.map(|c| c.id))
}

/// The stored part of a world's summary (cached), with live figures filled in.
async fn summary(state: &AppState, id: i64) -> Result<WorldSummary, ApiError> {
    let store = &state.api.store;
    let mut s = state
        .api
        .cache
        .get_or_load(CacheKind::WorldSummary, &id.to_string(), || async {
            let row = store.world(id).await?;
            let members = store.member_count(id).await?;
            Ok::<_, StoreError>(from_row(&row, members))
        })
        .await?;
    if let Some(handle) = u64::try_from(id)
        .ok()
        .and_then(|id| state.game.garden.worlds.get(id))
    {
        s.tick = handle.frames.borrow().tick;
        s.bodies = garden::WorldStats::get(&handle.stats.bodies);
        s.running = !*state.ops.shutdown.borrow();
    }
    Ok(s)
}

fn from_row(row: &WorldRow, members: i64) -> WorldSummary {
    WorldSummary {
        id: row.id,
        name: row.name.clone(),
        public: row.public,
        max_players: row.max_players,
        tick_rate: row.tick_rate,
        members,
        owner_id: row.owner_id,
        created_at: row.created_at,
        tick: 0,
        bodies: 0,
        running: false,
        max_bodies: row.max_bodies,
    }
}

/// The summary of a world `caller` may see (404 otherwise).
pub(crate) async fn visible_summary(
    state: &AppState,
    id: i64,
    caller: Option<AuthUser>,
) -> Result<WorldSummary, ApiError> {
    let s = summary(state, id).await?;
    if visible(s.public, s.owner_id, caller) {
        Ok(s)
    } else {
        Err(ApiError::NotFound("not found"))
    }
}

#[utoipa::path(get, path = "/api/worlds", tag = "worlds", security((), ("bearer" = [])),
    responses((status = 200, description = "Public worlds, and the caller's own", body = [WorldSummary])))]
pub async fn list_worlds(
    State(state): State<AppState>,
    caller: Option<AuthUser>,
) -> Result<axum::Json<Vec<WorldSummary>>, ApiError> {
    let rows = state.api.store.worlds().await?;
    let mut out = Vec::new();
    for row in rows
        .iter()
        .filter(|r| visible(r.public, r.owner_id, caller))
    {
        out.push(summary(&state, row.id).await?);
    }
    Ok(axum::Json(out))
}

#[utoipa::path(post, path = "/api/worlds", tag = "worlds", security(("bearer" = [])),
    request_body = CreateWorldRequest,
    responses((status = 201, description = "Created and running", body = WorldSummary),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`quota_exceeded`: more worlds, bodies, ticks per second or players \
            than the caller's quota (guests have smaller ones)", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many new worlds from this address: wait `Retry-After` seconds",
            body = ErrorBody),
        (status = 503, description = "`simulation_budget_exhausted`: the server's simulation budget, or \
            the owner's share of it, is taken", body = ErrorBody)))]
pub async fn create_world(
    State(state): State<AppState>,
    caller: AuthUser,
    ClientIp(address): ClientIp,
    ApiJson(req): ApiJson<CreateWorldRequest>,
) -> Result<(StatusCode, axum::Json<WorldSummary>), ApiError> {
    let new = NewWorld {
        name: world_name(&req.name)?,
        public: req.public.unwrap_or(true),
        max_players: in_range(
            "max_players",
            req.max_players
                .unwrap_or(DEFAULT_NEW_WORLD_MAX_PLAYERS.into()),
            1..=10_000,
        )?,
        tick_rate: in_range(
            "tick_rate",
            req.tick_rate.unwrap_or(DEFAULT_NEW_WORLD_TICK_RATE.into()),
            1..=60,
        )?,
        bodies: in_range(
            "bodies",
            req.bodies.unwrap_or(DEFAULT_NEW_WORLD_BODIES.into()),
            0..=5_000,
        )?,
        seed: i64::from(rand::random::<u32>()),
        owner_id: Some(caller.id),
        max_bodies: None,
    };
    let quotas = &state.api.quotas;
    // One creation at a time: the count, the budget and the insert cannot interleave.
    let _creating = quotas.creating.lock().await;
    let ask = WorldAsk {
        owner: caller.id as u64,
        guest: caller.guest,
        owned: state.api.store.count_worlds_owned(caller.id).await?,
        bodies: new.bodies as u32,
        tick_rate: new.tick_rate as u32,
        max_players: new.max_players as u32,
        address,
    };
    if let Err(refusal) = quotas.check_world(&ask, &state.game.garden.worlds) {
        crate::metrics::quotas::refused("world", refusal.reason());
        return Err(refusal.into());
    }
    // Players add bodies as they play: the owner's quota caps how many the world may ever hold.
    let cap = quotas.config.limits(caller.guest).world_max_bodies;
    let new = NewWorld {
        max_bodies: Some(cap.min(state.game.balance.world.max_bodies).max(1) as i32),
        ..new
    };
    let row = state.api.store.create_world(&new).await?;
    quotas.reserve(row.id as u64, ask.bodies);
    if let Some(cluster) = &state.game.cluster {
        // Cluster mode: this node takes the new world's lease and runs it.
        cluster
            .take_new(&row)
            .await
            .map_err(|e| ApiError::internal(format!("{e:#}")))?;
    } else {
        let task = start_one(
            &state.api.store,
            &state.game.balance,
            &row,
            &state.game.world_options,
            &state.game.garden.worlds,
            state.ops.shutdown.clone(),
        )
        .await
        .map_err(|e| ApiError::internal(format!("{e:#}")))?;
        state
            .game
            .world_tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
    }
    tracing::info!(
        world = row.id,
        owner = caller.id,
        bodies = row.bodies,
        "World created."
    );
    Ok((
        StatusCode::CREATED,
        axum::Json(summary(&state, row.id).await?),
    ))
}

#[utoipa::path(get, path = "/api/worlds/{id}", tag = "worlds", security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "World id")),
    responses((status = 200, body = WorldSummary),
        (status = 404, description = "No such world, or a private one of someone else", body = ErrorBody)))]
pub async fn get_world(
    State(state): State<AppState>,
    caller: Option<AuthUser>,
    ApiPath(id): ApiPath<i64>,
) -> Result<axum::Json<WorldSummary>, ApiError> {
    Ok(axum::Json(visible_summary(&state, id, caller).await?))
}

/// Changes a world's settings (owner only). `public` applies at once; `max_players` from the next join;
/// `tick_rate` is stored and applies when the world next starts (the running actor keeps its rate).
#[utoipa::path(patch, path = "/api/worlds/{id}", tag = "worlds", security(("bearer" = [])),
    params(("id" = i64, Path, description = "World id")), request_body = UpdateWorldRequest,
    responses((status = 200, body = WorldSummary), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the owner (`forbidden`), or over the owner's quota \
            (`quota_exceeded`)", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_world(
    State(state): State<AppState>,
    caller: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateWorldRequest>,
) -> Result<axum::Json<WorldSummary>, ApiError> {
    let current = visible_summary(&state, id, Some(caller)).await?;
    if current.owner_id != Some(caller.id) {
        return Err(ApiError::Forbidden("only the world's owner may change it"));
    }
    let settings = WorldSettings {
        name: req.name.as_deref().map(world_name).transpose()?,
        public: req.public,
        max_players: req
            .max_players
            .map(|v| in_range("max_players", v, 1..=10_000))
            .transpose()?,
        tick_rate: req
            .tick_rate
            .map(|v| in_range("tick_rate", v, 1..=60))
            .transpose()?,
    };
    let (rate, players) = (settings.tick_rate, settings.max_players);
    if let Err(refusal) = state.api.quotas.check_update(
        caller.guest,
        rate.map(|r| r as u32),
        players.map(|n| n as u32),
    ) {
        crate::metrics::quotas::refused("world", refusal.reason());
        return Err(refusal.into());
    }
    let row = state.api.store.update_world(id, &settings).await?;
    if let Some(handle) = u64::try_from(id)
        .ok()
        .and_then(|id| state.game.garden.worlds.get(id))
    {
        use std::sync::atomic::Ordering::Relaxed;
        handle.settings.public.store(row.public, Relaxed);
        let max = row.max_players.max(1) as u32;
        handle.settings.max_players.store(max, Relaxed);
    }
    state
        .api
        .cache
        .invalidate(CacheKind::WorldSummary, &id.to_string())
        .await;
    Ok(axum::Json(summary(&state, id).await?))
}

/// Makes the caller a member (joining twice is fine). The capacity check and the insert are two
/// statements, so a burst of joins can overshoot `max_players` by a few; members are advisory.
#[utoipa::path(post, path = "/api/worlds/{id}/join", tag = "worlds", security(("bearer" = [])),
    params(("id" = i64, Path, description = "World id")),
    responses((status = 204, description = "The caller is a member"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "`world_full`", body = ErrorBody)))]
pub async fn join_world(
    State(state): State<AppState>,
    caller: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let world = visible_summary(&state, id, Some(caller)).await?;
    if state.api.store.is_member(id, caller.id).await? {
        return Ok(StatusCode::NO_CONTENT);
    }
    if state.api.store.member_count(id).await? >= i64::from(world.max_players) {
        return Err(ApiError::Conflict {
            code: "world_full",
            field: None,
            message: format!("the world is full ({} players)", world.max_players),
        });
    }
    state.api.store.join_world(id, caller.id).await?;
    state
        .api
        .cache
        .invalidate(CacheKind::WorldSummary, &id.to_string())
        .await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/worlds/{id}/leave", tag = "worlds", security(("bearer" = [])),
    params(("id" = i64, Path, description = "World id")),
    responses((status = 204, description = "The caller is not a member (any more)"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn leave_world(
    State(state): State<AppState>,
    caller: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    visible_summary(&state, id, Some(caller)).await?;
    state.api.store.leave_world(id, caller.id).await?;
    state
        .api
        .cache
        .invalidate(CacheKind::WorldSummary, &id.to_string())
        .await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/worlds/{id}/players/me", tag = "worlds", security(("bearer" = [])),
    params(("id" = i64, Path, description = "World id")),
    responses((status = 200, body = PlayerStatsView), (status = 401, body = ErrorBody),
        (status = 404, description = "No such world, or a private one of someone else", body = ErrorBody)))]
pub async fn my_stats(
    State(state): State<AppState>,
    caller: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<axum::Json<PlayerStatsView>, ApiError> {
    visible_summary(&state, id, Some(caller)).await?;
    let store = &state.api.store;
    let key = format!("{id}:{}", caller.id);
    let view = state
        .api
        .cache
        .get_or_load(CacheKind::PlayerState, &key, || async {
            store
                .player_stats(id, caller.id)
                .await
                .map(PlayerStatsView::from)
        })
        .await;
    match view {
        Ok(view) => Ok(axum::Json(view)),
        // Nothing stored yet (a new world, or a player who has not played in it): all zeros.
        Err(StoreError::NotFound) => Ok(axum::Json(PlayerStatsView::nothing_yet(id, caller.id))),
        Err(e) => Err(e.into()),
    }
}
