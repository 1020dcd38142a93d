//! Read-only figures: a world's leaderboard (cached per world, metric and limit) and the server-wide
//! totals of `/api/stats`. Query parameters are parsed here into typed values; a bad one is a 400
//! (unreadable) or 422 (not allowed) naming it.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::AuthUser;
use super::error::{ApiError, ApiQuery, ErrorBody};
use super::input::query_int;
use crate::cache::CacheKind;
use crate::state::AppState;
use crate::store::{LeaderboardEntry, LeaderboardMetric, StatsSummary};

/// Entries a leaderboard returns unless `limit` says otherwise.
pub const DEFAULT_LEADERBOARD_LIMIT: i64 = 10;
/// The most entries one request may ask for.
pub const MAX_LEADERBOARD_LIMIT: i64 = 100;

/// `GET /api/leaderboard` parameters, as received (parsed by the handler so errors name them).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// World id (default: the default world).
    #[param(value_type = Option<i64>)]
    pub world: Option<String>,
    /// `total_dust` (default), `stars_created`, `bodies_created` or `highest_life_stage`.
    #[param(value_type = Option<LeaderboardMetric>)]
    pub metric: Option<String>,
    /// 1..=100, default 10.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

/// A world's top players by one metric, best first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Leaderboard {
    pub world: i64,
    pub metric: LeaderboardMetric,
    pub limit: i64,
    pub entries: Vec<LeaderboardEntry>,
}

/// Server-wide totals (from the store) plus live figures.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    #[serde(flatten)]
    pub totals: StatsSummary,
    /// Worlds whose actors run on this server.
    pub worlds_running: u64,
    /// WebSocket connections open on this server.
    pub connections: u64,
}

/// The leaderboard and stats routes (under `/api`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/leaderboard", get(leaderboard))
        .route("/stats", get(stats))
}

fn parse_metric(raw: &str) -> Result<LeaderboardMetric, ApiError> {
    serde_json::from_value(serde_json::Value::String(raw.to_string())).map_err(|_| {
        ApiError::validation(
            "metric",
            "metric must be one of total_dust, stars_created, bodies_created, highest_life_stage",
        )
    })
}

#[utoipa::path(get, path = "/api/leaderboard", tag = "leaderboard", security((), ("bearer" = [])),
    params(LeaderboardQuery),
    responses((status = 200, body = Leaderboard),
        (status = 400, description = "A parameter is not a number", body = ErrorBody),
        (status = 404, description = "No such world (or a private one of someone else)", body = ErrorBody),
        (status = 422, description = "A parameter is out of range", body = ErrorBody)))]
pub async fn leaderboard(
    State(state): State<AppState>,
    caller: Option<AuthUser>,
    ApiQuery(q): ApiQuery<LeaderboardQuery>,
) -> Result<axum::Json<Leaderboard>, ApiError> {
    let default_world =
        i64::try_from(state.game.garden.default_world).map_err(ApiError::internal)?;
    let world = q
        .world
        .as_deref()
        .map(|w| query_int("world", w))
        .transpose()?
        .unwrap_or(default_world);
    let metric = q
        .metric
        .as_deref()
        .map(parse_metric)
        .transpose()?
        .unwrap_or(LeaderboardMetric::TotalDust);
    let limit = q
        .limit
        .as_deref()
        .map(|l| query_int("limit", l))
        .transpose()?
        .unwrap_or(DEFAULT_LEADERBOARD_LIMIT);
    if !(1..=MAX_LEADERBOARD_LIMIT).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("limit must be between 1 and {MAX_LEADERBOARD_LIMIT}"),
        ));
    }
    // Visibility from the cached world summary: a leaderboard read costs no query when cached.
    super::worlds::visible_summary(&state, world, caller).await?;
    let metric_name = serde_json::to_value(metric)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let key = format!("{world}:{metric_name}:{limit}");
    let store = &state.api.store;
    let entries = state
        .api
        .cache
        .get_or_load(CacheKind::Leaderboard, &key, || {
            store.leaderboard(world, metric, limit)
        })
        .await?;
    Ok(axum::Json(Leaderboard {
        world,
        metric,
        limit,
        entries,
    }))
}

#[utoipa::path(get, path = "/api/stats", tag = "leaderboard",
    responses((status = 200, body = Stats)))]
pub async fn stats(State(state): State<AppState>) -> Result<axum::Json<Stats>, ApiError> {
    let s = state.api.store.stats_summary().await?;
    Ok(axum::Json(Stats {
        totals: s,
        worlds_running: state.game.garden.worlds.all().len() as u64,
        connections: state.gateway.registry().len() as u64,
    }))
}
