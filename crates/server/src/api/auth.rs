//! The extractor that authenticates a request by its access token (see [`crate::tokens`]). Access tokens are
//! stateless and short-lived; refresh tokens (stored, rotated) live in `credentials`. Never log a token.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AuthConfig;
use super::error::ApiError;
use crate::state::AppState;

pub use crate::tokens::{Claims, issue_access, verify_access};

/// The caller, authenticated by `Authorization: Bearer <access token>`. Extracting it answers 401 when
/// the header is missing, malformed, or the token is invalid or expired; `Option<AuthUser>` is `None`
/// without the header but still 401 for a bad token (a client that sends one wants to know).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthUser {
    pub id: i64,
    /// As the token says: a guest that has since upgraded stays a guest until its next refresh.
    pub guest: bool,
}

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::Unauthorized(
            "expected `Authorization: Bearer <access token>`",
        )),
    }
}

/// `user` if its account still exists.
async fn live(state: &AppState, user: AuthUser) -> Result<AuthUser, ApiError> {
    let api = &state.api;
    if crate::accounts::exists(&api.store, &api.cache, user.id).await? {
        Ok(user)
    } else {
        Err(ApiError::Unauthorized("this account no longer exists"))
    }
}

fn authenticate(config: &AuthConfig, token: &str) -> Result<AuthUser, ApiError> {
    use jsonwebtoken::errors::ErrorKind;
    match verify_access(config, token) {
        Ok(c) => Ok(AuthUser {
            id: c.sub,
            guest: c.guest,
        }),
        Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
            Err(ApiError::Unauthorized("access token expired"))
        }
        Err(_) => Err(ApiError::Unauthorized("invalid access token")),
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match bearer(parts)? {
            Some(token) => live(state, authenticate(&state.api.auth, token)?).await,
            None => Err(ApiError::Unauthorized("missing access token")),
        }
    }
}

impl OptionalFromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match bearer(parts)? {
            Some(token) => Ok(Some(
                live(state, authenticate(&state.api.auth, token)?).await?,
            )),
            None => Ok(None),
        }
    }
}
