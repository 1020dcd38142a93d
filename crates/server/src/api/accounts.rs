//! Accounts: register, log in, play as a guest, refresh and log out, and the caller's own profile.
//!
//! Access tokens are short-lived JWTs; refresh tokens are single-use and rotate: each refresh marks the
//! presented token used and issues a new one in the same family, and presenting a used token revokes the
//! whole family (it was stolen, or replayed). Handlers parse input into [`super::input`] types and leave
//! SQL to the store; unique-constraint violations become 409s naming the field.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{AuthUser, issue_access};
use super::credentials::{
    hash_password, new_family, new_refresh_token, token_hash, verify_password,
};
use super::error::{ApiError, ApiJson, ErrorBody};
use super::input::{Email, Password, Secret, Username};
use crate::cache::CacheKind;
use crate::client_ip::ClientIp;
use crate::state::AppState;
use crate::store::{NewUser, StoreError, User, now_ms};

/// `POST /api/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Trimmed and lower-cased; the pattern is the common form (the server also takes other
    /// addresses with one `@` and a dot in the domain).
    #[schema(
        max_length = 254,
        pattern = r"^[A-Za-z0-9._%+-]{1,32}@[A-Za-z0-9-]{1,20}(\.[A-Za-z0-9-]{1,20}){1,4}$"
    )]
    pub email: String,
    #[schema(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9_-]{3,32}$")]
    pub username: String,
    /// 8–128 characters, at least one of them neither a space nor a control character.
    #[schema(value_type = String, min_length = 8, max_length = 128, pattern = r"[^\s\x00-\x1f\x7f-\x9f]")]
    pub password: Secret,
}

/// `POST /api/auth/login`: `login` is an email or a username.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    #[schema(value_type = String)]
    pub password: Secret,
}

/// `POST /api/auth/refresh` and `POST /api/auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    #[schema(value_type = String)]
    pub refresh_token: Secret,
}

/// `PATCH /api/users/me`: only the fields present change. A guest that has an email and a password
/// afterwards is a full account.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateMeRequest {
    /// As in registration.
    #[schema(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9_-]{3,32}$")]
    pub username: Option<String>,
    #[schema(
        max_length = 254,
        pattern = r"^[A-Za-z0-9._%+-]{1,32}@[A-Za-z0-9-]{1,20}(\.[A-Za-z0-9-]{1,20}){1,4}$"
    )]
    pub email: Option<String>,
    #[schema(value_type = Option<String>, min_length = 8, max_length = 128, pattern = r"[^\s\x00-\x1f\x7f-\x9f]")]
    pub password: Option<Secret>,
}

/// An account as its owner sees it. `created_at` is Unix milliseconds.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: Option<String>,
    pub email: Option<String>,
    pub guest: bool,
    pub created_at: i64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            guest: u.is_guest,
            created_at: u.created_at,
        }
    }
}

/// Tokens for a session. `expires_in` is the access token's lifetime in seconds.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
    pub user: UserView,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The account routes (under `/api`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/guest", post(guest))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/users/me", get(me).patch(update_me).delete(delete_me))
}

/// Issues an access token and a new refresh token in `family` for `user`.
async fn issue(state: &AppState, user: &User, family: &str) -> Result<TokenResponse, ApiError> {
    let access_token =
        issue_access(&state.api.auth, user.id, user.is_guest).map_err(ApiError::internal)?;
    let refresh_token = new_refresh_token();
    let ttl_ms = i64::try_from(state.api.auth.refresh_ttl.as_millis()).unwrap_or(i64::MAX);
    let expires_at = now_ms().saturating_add(ttl_ms);
    state
        .api
        .store
        .insert_refresh_token(user.id, &token_hash(&refresh_token), family, expires_at)
        .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.api.auth.access_ttl.as_secs(),
        refresh_token,
        user: UserView::from(user),
    })
}

#[utoipa::path(post, path = "/api/auth/register", tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, description = "Account created", body = TokenResponse),
        (status = 400, body = ErrorBody), (status = 409, description = "Email or username taken", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
        (status = 429, description = "The password hasher is busy: wait `Retry-After` seconds", body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, axum::Json<TokenResponse>), ApiError> {
    let email = Email::parse(&req.email)?;
    let username = Username::parse(&req.username)?;
    let password = Password::parse(req.password.expose())?;
    let password_hash = hash_password(&state, &password).await?;
    let user = state
        .api
        .store
        .create_user(&NewUser {
            username: Some(username.as_str().to_string()),
            email: Some(email.as_str().to_string()),
            password_hash: Some(password_hash),
            is_guest: false,
        })
        .await?;
    tracing::info!(user = user.id, "Account registered.");
    let tokens = issue(&state, &user, &new_family()).await?;
    Ok((StatusCode::CREATED, axum::Json(tokens)))
}

const BAD_LOGIN: &str = "wrong login or password";

#[utoipa::path(post, path = "/api/auth/login", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse),
        (status = 401, description = "Wrong login or password (the same answer for both)", body = ErrorBody),
        (status = 429, description = "Too many failed logins for this login or address, or the password \
            hasher is busy: wait `Retry-After` seconds", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(address): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let login = req.login.trim();
    let throttle = &state.api.login_throttle;
    if let Err(t) = throttle.check(login, address) {
        crate::metrics::auth::throttled(t.by);
        return Err(ApiError::TooManyRequests {
            message: "too many failed logins: wait before trying again",
            retry_after_secs: t.retry_after.as_secs_f64().ceil() as u64,
        });
    }
    let user = match state.api.store.user_by_login(login).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // Unknown accounts are checked against a dummy hash: the answer takes as long either way.
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let raw = req.password.expose();
    let normalized = super::input::normalize_password(raw);
    let mut ok = verify_password(&state, &normalized, hash.clone()).await?;
    if !ok && normalized != raw && user.is_some() {
        // An account registered before passwords were normalised.
        ok = verify_password(&state, raw, hash).await?;
    }
    match user {
        Some(user) if ok => {
            throttle.succeeded(login);
            Ok(axum::Json(issue(&state, &user, &new_family()).await?))
        }
        _ => {
            throttle.failed(login, address);
            Err(ApiError::Unauthorized(BAD_LOGIN))
        }
    }
}

#[utoipa::path(post, path = "/api/auth/guest", tag = "accounts",
    responses((status = 201, description = "A new guest account", body = TokenResponse),
        (status = 429, description = "Too many guest accounts from this address \
            (`quotas.guests_per_address_per_hour`): wait `Retry-After` seconds", body = ErrorBody)))]
pub async fn guest(
    State(state): State<AppState>,
    ClientIp(address): ClientIp,
) -> Result<(StatusCode, axum::Json<TokenResponse>), ApiError> {
    if let Err(refusal) = state.api.quotas.check_guest(address) {
        crate::metrics::quotas::refused("guest", refusal.reason());
        return Err(refusal.into());
    }
    let user = state
        .api
        .store
        .create_user(&NewUser {
            is_guest: true,
            ..Default::default()
        })
        .await?;
    let tokens = issue(&state, &user, &new_family()).await?;
    Ok((StatusCode::CREATED, axum::Json(tokens)))
}

const BAD_REFRESH: &str = "invalid or expired refresh token";

#[utoipa::path(post, path = "/api/auth/refresh", tag = "accounts", request_body = RefreshRequest,
    responses((status = 200, description = "New tokens; the presented refresh token is now used", body = TokenResponse),
        (status = 401, description = "Unknown, expired or reused token (reuse revokes its family)", body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let token = match state
        .api
        .store
        .take_refresh_token(&token_hash(req.refresh_token.expose()))
        .await
    {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Err(ApiError::Unauthorized(BAD_REFRESH)),
        Err(e) => return Err(e.into()),
    };
    if token.revoked_at.is_some() {
        state.api.store.revoke_family(&token.family).await?;
        tracing::warn!(
            user = token.user_id,
            "Refresh token reused: its family is revoked."
        );
        return Err(ApiError::Unauthorized(BAD_REFRESH));
    }
    if token.expires_at <= now_ms() {
        return Err(ApiError::Unauthorized(BAD_REFRESH));
    }
    let user = match state.api.store.user(token.user_id).await {
        Ok(u) => u,
        Err(StoreError::NotFound) => return Err(ApiError::Unauthorized(BAD_REFRESH)),
        Err(e) => return Err(e.into()),
    };
    Ok(axum::Json(issue(&state, &user, &token.family).await?))
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts", request_body = RefreshRequest,
    responses((status = 204, description = "The token's family is revoked (an unknown token is ignored)")))]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    match state
        .api
        .store
        .refresh_family(&token_hash(req.refresh_token.expose()))
        .await
    {
        Ok(family) => state.api.store.revoke_family(&family).await?,
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/users/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody),
        (status = 404, description = "The account was deleted", body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<axum::Json<UserView>, ApiError> {
    let store = &state.api.store;
    let view = state
        .api
        .cache
        .get_or_load(CacheKind::UserProfile, &caller.id.to_string(), || async {
            store.user(caller.id).await.map(|u| UserView::from(&u))
        })
        .await?;
    Ok(axum::Json(view))
}

#[utoipa::path(patch, path = "/api/users/me", tag = "accounts", security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    caller: AuthUser,
    ApiJson(req): ApiJson<UpdateMeRequest>,
) -> Result<axum::Json<UserView>, ApiError> {
    let username = req.username.as_deref().map(Username::parse).transpose()?;
    let email = req.email.as_deref().map(Email::parse).transpose()?;
    let password = req
        .password
        .as_ref()
        .map(|p| Password::parse(p.expose()))
        .transpose()?;
    let password_hash = match &password {
        Some(p) => Some(hash_password(&state, p).await?),
        None => None,
    };
    let user = state
        .api
        .store
        .update_user(
            caller.id,
            username.as_ref().map(Username::as_str),
            email.as_ref().map(Email::as_str),
            password_hash.as_deref(),
        )
        .await?;
    state
        .api
        .cache
        .invalidate(CacheKind::UserProfile, &caller.id.to_string())
        .await;
    Ok(axum::Json(UserView::from(&user)))
}

#[utoipa::path(delete, path = "/api/users/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 204, description = "The account and its sessions are gone"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_me(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<StatusCode, ApiError> {
    state.api.store.delete_user(caller.id).await?;
    crate::accounts::forget(&state.api.cache, caller.id).await;
    tracing::info!(user = caller.id, "Account deleted.");
    Ok(StatusCode::NO_CONTENT)
}
