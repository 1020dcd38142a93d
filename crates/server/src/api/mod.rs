//! The REST API under `/api`: accounts, worlds, leaderboard and stats, and VJ presets, with one error
//! type and an OpenAPI description. Handlers validate input into typed values and call the store and
//! cache; game rules stay in the world actors.
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
pub mod presets;
pub mod worlds;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::state::AppState;

pub use crate::tokens::{AuthConfig, DEV_JWT_SECRET};

/// The largest request body `/api` reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Every `/api` route (nested at `/api` by `app::router`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(accounts::router())
        .merge(worlds::router())
        .merge(leaderboard::router())
        .merge(presets::router())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
