//! The REST API under `/api`: accounts, worlds, leaderboard and stats, with one error type and an
//! OpenAPI description. Handlers validate input into typed values and call the store and cache; game
//! rules stay in the world actors.
//!
//! Every response under `/api` that is not a success is [`error::ApiError`]'s JSON body, including
//! unknown paths (404), wrong methods (405) and bodies over [`MAX_BODY_BYTES`] (413).

pub mod accounts;
pub mod auth;
pub mod credentials;
pub mod docs;
pub mod error;
pub mod input;
pub mod leaderboard;
pub mod worlds;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::state::AppState;

/// Default JWT secret: fine for development, refused in production.
pub const DEV_JWT_SECRET: &str = "cosmic-development-secret-do-not-use-in-production";

/// Token and password-hashing settings.
#[derive(Clone)]
pub struct AuthConfig {
    /// HMAC secret for access tokens (at least 32 bytes in production).
    pub jwt_secret: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Password hashes computed at once at most (each takes ~19 MiB and tens of milliseconds).
    pub hash_concurrency: usize,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt_secret", &"<redacted>")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("hash_concurrency", &self.hash_concurrency)
            .finish()
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: DEV_JWT_SECRET.to_string(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            hash_concurrency: 2,
        }
    }
}

/// The largest request body `/api` reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Every `/api` route (nested at `/api` by `app::router`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(accounts::router())
        .merge(worlds::router())
        .merge(leaderboard::router())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
