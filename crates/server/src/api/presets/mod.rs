//! Presets over HTTP: saved VJ show setups (layers, parameters, global settings) with every version
//! kept. List and read (public presets, plus the caller's own), create, replace (a new version), delete,
//! and read the history.
//!
//! Writes need a token and only the owner may replace or delete. A private preset is 404 to everyone
//! but its owner (its versions too), so its existence does not leak; someone else's public preset is 403
//! to write. A public preset is cached whole as [`CacheKind::Preset`] and invalidated by the API's own
//! writes. Bodies are parsed in [`body`]; what is stored and answered is in [`content`] and [`views`].

pub mod body;
pub mod content;
pub mod views;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use utoipa::IntoParams;

use self::body::PresetRequest;
use self::views::{Preset, PresetList, PresetVersionList};
use super::auth::AuthUser;
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::input::{query_bool, query_int};
use super::worlds::visible;
use crate::cache::CacheKind;
use crate::state::AppState;
use crate::store::{PresetFilter, PresetRow};

/// Entries a page holds unless `limit` says otherwise.
pub const DEFAULT_PAGE_LIMIT: i64 = 20;
/// The most entries one page may hold.
pub const MAX_PAGE_LIMIT: i64 = 100;
/// The furthest a page may start: deeper than this, narrow the filters instead.
pub const MAX_PAGE_OFFSET: i64 = 1_000_000;
/// The longest `q` searched for.
pub const MAX_QUERY_CHARS: usize = 100;

/// `GET /api/presets` parameters, as received (parsed by the handler so errors name them).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the caller's presets (needs a token).
    #[param(value_type = Option<bool>)]
    pub mine: Option<String>,
    /// Only public presets. Without `mine` or `public`: public presets and the caller's own.
    #[param(value_type = Option<bool>)]
    pub public: Option<String>,
    /// Only presets with this tag.
    #[param(value_type = Option<String>, pattern = r"^[a-z0-9-]{1,32}$")]
    pub tag: Option<String>,
    /// A substring of the name or the description, in any case (`%` and `_` match themselves).
    /// Trimmed; empty: no filter.
    #[param(value_type = Option<String>, max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub q: Option<String>,
    /// 1..=100, default 20.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// 0..=1000000, default 0.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub offset: Option<String>,
}

/// `GET /api/presets/{id}/versions` parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1..=100, default 20.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// 0..=1000000, default 0.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub offset: Option<String>,
}

/// `/api/presets/{id}/versions/{n}`.
#[derive(Debug, Deserialize)]
pub struct VersionPath {
    pub id: i64,
    pub n: i64,
}

/// The preset routes (under `/api`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/presets", get(list_presets).post(create_preset))
        .route(
            "/presets/{id}",
            get(get_preset).put(replace_preset).delete(delete_preset),
        )
        .route("/presets/{id}/versions", get(list_versions))
        .route("/presets/{id}/versions/{n}", get(get_version))
}

/// `limit` and `offset`, checked.
fn page(limit: Option<&str>, offset: Option<&str>) -> Result<(i64, i64), ApiError> {
    let limit = limit
        .map(|l| query_int("limit", l))
        .transpose()?
        .unwrap_or(DEFAULT_PAGE_LIMIT);
    if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE_LIMIT}"),
        ));
    }
    let offset = offset
        .map(|o| query_int("offset", o))
        .transpose()?
        .unwrap_or(0);
    if !(0..=MAX_PAGE_OFFSET).contains(&offset) {
        return Err(ApiError::validation(
            "offset",
            format!("offset must be between 0 and {MAX_PAGE_OFFSET}"),
        ));
    }
    Ok((limit, offset))
}

fn search(raw: &str) -> Result<Option<String>, ApiError> {
    let q = raw.trim();
    if q.chars().count() > MAX_QUERY_CHARS || q.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "q",
            format!("q must be at most {MAX_QUERY_CHARS} printable characters"),
        ));
    }
    Ok((!q.is_empty()).then(|| q.to_string()))
}

/// The preset if `caller` may see it (404 otherwise).
async fn visible_preset(
    state: &AppState,
    id: i64,
    caller: Option<AuthUser>,
) -> Result<PresetRow, ApiError> {
    let row = state.api.store.preset(id).await?;
    if visible(row.is_public, row.owner_id, caller) {
        Ok(row)
    } else {
        Err(ApiError::NotFound("not found"))
    }
}

/// The preset if `caller` owns it: 404 when they may not see it, 403 when they may only see it.
async fn owned_preset(state: &AppState, id: i64, caller: AuthUser) -> Result<PresetRow, ApiError> {
    let row = visible_preset(state, id, Some(caller)).await?;
    if row.owner_id == Some(caller.id) {
        Ok(row)
    } else {
        Err(ApiError::Forbidden(
            "only the preset's owner may change or delete it",
        ))
    }
}

async fn forget(state: &AppState, id: i64) {
    state
        .api
        .cache
        .invalidate(CacheKind::Preset, &id.to_string())
        .await;
}

/// Summaries (no content), newest updated first (ties: newest first).
#[utoipa::path(get, path = "/api/presets", tag = "presets", security((), ("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "A page of the presets the filters select", body = PresetList),
        (status = 400, description = "A parameter of the wrong type", body = ErrorBody),
        (status = 401, description = "`mine=true` without a token, or a bad token", body = ErrorBody),
        (status = 422, description = "A parameter out of range", body = ErrorBody)))]
pub async fn list_presets(
    State(state): State<AppState>,
    caller: Option<AuthUser>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<axum::Json<PresetList>, ApiError> {
    let mine = q
        .mine
        .as_deref()
        .map(|m| query_bool("mine", m))
        .transpose()?
        .unwrap_or(false);
    let public_only = q
        .public
        .as_deref()
        .map(|p| query_bool("public", p))
        .transpose()?
        .unwrap_or(false);
    let tag = match q.tag {
        Some(tag) if !body::is_tag(&tag) => {
            return Err(ApiError::validation(
                "tag",
                "tag must be 1 to 32 of a-z, 0-9 and -",
            ));
        }
        other => other,
    };
    let text = q.q.as_deref().map(search).transpose()?.flatten();
    let (limit, offset) = page(q.limit.as_deref(), q.offset.as_deref())?;
    let owner = match (mine, caller) {
        (false, _) => None,
        (true, Some(c)) => Some(c.id),
        (true, None) => return Err(ApiError::Unauthorized("mine=true needs an access token")),
    };
    let filter = PresetFilter {
        viewer: caller.map(|c| c.id),
        owner,
        public_only,
        tag,
        text,
        limit,
        offset,
    };
    let (rows, total) = state.api.store.presets(&filter).await?;
    Ok(axum::Json(PresetList {
        presets: rows.into_iter().map(Into::into).collect(),
        total,
        limit,
        offset,
    }))
}

/// Stores a new preset, owned by the caller (guests too), as version 1.
#[utoipa::path(post, path = "/api/presets", tag = "presets", security(("bearer" = [])),
    request_body = PresetRequest,
    responses((status = 201, description = "Stored as version 1", body = Preset),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`quota_exceeded`: the account owns as many presets as it may \
            (`quotas.guest_presets`, `quotas.player_presets`)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_preset(
    State(state): State<AppState>,
    caller: AuthUser,
    ApiJson(req): ApiJson<PresetRequest>,
) -> Result<(StatusCode, axum::Json<Preset>), ApiError> {
    let (new, content) = req.parse()?;
    let limits = state.api.quotas.config.limits(caller.guest);
    let owned = state.api.store.preset_count(caller.id).await?;
    if owned >= i64::from(limits.presets) {
        let hint = if caller.guest {
            " (register for more)"
        } else {
            ""
        };
        return Err(ApiError::QuotaExceeded {
            field: None,
            message: format!(
                "{} own {} presets at most{hint}",
                limits.who, limits.presets
            ),
        });
    }
    let row = state.api.store.create_preset(caller.id, &new).await?;
    tracing::info!(preset = row.id, owner = caller.id, "Preset created.");
    let summary = row.into();
    Ok((StatusCode::CREATED, axum::Json(Preset { summary, content })))
}

/// The current version, whole.
#[utoipa::path(get, path = "/api/presets/{id}", tag = "presets", security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Preset id")),
    responses((status = 200, body = Preset),
        (status = 404, description = "No such preset, or a private one of someone else", body = ErrorBody)))]
pub async fn get_preset(
    State(state): State<AppState>,
    caller: Option<AuthUser>,
    ApiPath(id): ApiPath<i64>,
) -> Result<axum::Json<Preset>, ApiError> {
    let cache = &state.api.cache;
    let key = id.to_string();
    // Only public presets are cached, so a hit is for anyone to see.
    if let Some(preset) = cache.get::<Preset>(CacheKind::Preset, &key).await {
        return Ok(axum::Json(preset));
    }
    let (row, content) = state.api.store.preset_with_content(id).await?;
    if !visible(row.is_public, row.owner_id, caller) {
        return Err(ApiError::NotFound("not found"));
    }
    let preset = Preset::current(row, &content)?;
    if preset.summary.is_public {
        cache.put(CacheKind::Preset, &key, &preset).await;
    }
    Ok(axum::Json(preset))
}

/// Replaces the preset (owner only) with the body, stored as its next version; earlier versions stay.
#[utoipa::path(put, path = "/api/presets/{id}", tag = "presets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Preset id")), request_body = PresetRequest,
    responses((status = 200, description = "Stored as the next version", body = Preset),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: a public preset of someone else", body = ErrorBody),
        (status = 404, description = "No such preset, or a private one of someone else", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn replace_preset(
    State(state): State<AppState>,
    caller: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PresetRequest>,
) -> Result<axum::Json<Preset>, ApiError> {
    owned_preset(&state, id, caller).await?;
    let (new, content) = req.parse()?;
    let row = state.api.store.replace_preset(id, caller.id, &new).await?;
    forget(&state, id).await;
    let summary = row.into();
    Ok(axum::Json(Preset { summary, content }))
}

/// Deletes the preset and its versions (owner only).
#[utoipa::path(delete, path = "/api/presets/{id}", tag = "presets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Preset id")),
    responses((status = 204, description = "Deleted, with every version"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: a public preset of someone else", body = ErrorBody),
        (status = 404, description = "No such preset, or a private one of someone else", body = ErrorBody)))]
pub async fn delete_preset(
    State(state): State<AppState>,
    caller: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    owned_preset(&state, id, caller).await?;
    state.api.store.delete_preset(id, caller.id).await?;
    forget(&state, id).await;
    tracing::info!(preset = id, owner = caller.id, "Preset deleted.");
    Ok(StatusCode::NO_CONTENT)
}

/// The preset's versions, newest first.
#[utoipa::path(get, path = "/api/presets/{id}/versions", tag = "presets", security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Preset id"), PageQuery),
    responses((status = 200, body = PresetVersionList),
        (status = 404, description = "No such preset, or a private one of someone else", body = ErrorBody),
        (status = 422, description = "A parameter out of range", body = ErrorBody)))]
pub async fn list_versions(
    State(state): State<AppState>,
    caller: Option<AuthUser>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<axum::Json<PresetVersionList>, ApiError> {
    let (limit, offset) = page(q.limit.as_deref(), q.offset.as_deref())?;
    visible_preset(&state, id, caller).await?;
    let (rows, total) = state.api.store.preset_versions(id, limit, offset).await?;
    Ok(axum::Json(PresetVersionList {
        versions: rows.into_iter().map(Into::into).collect(),
        total,
        limit,
        offset,
    }))
}

/// The preset as it was at version `n`, whole. Who may see it follows the preset as it is now.
#[utoipa::path(get, path = "/api/presets/{id}/versions/{n}", tag = "presets",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Preset id"), ("n" = i64, Path, description = "Version")),
    responses((status = 200, body = Preset),
        (status = 404, description = "No such preset or version, or a private preset of someone else",
            body = ErrorBody)))]
pub async fn get_version(
    State(state): State<AppState>,
    caller: Option<AuthUser>,
    ApiPath(path): ApiPath<VersionPath>,
) -> Result<axum::Json<Preset>, ApiError> {
    let row = visible_preset(&state, path.id, caller).await?;
    let version = state.api.store.preset_version(path.id, path.n).await?;
    Ok(axum::Json(Preset::at_version(row, version)?))
}
