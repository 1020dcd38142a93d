//! The garden composed into the server: the `/ws` route (credentials resolved here, never in the
//! gateway), the garden's storage and accounts backed by the store and the JWT settings, and starting
//! worlds from storage.

pub mod loader;
mod seams;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use gateway::Principal;
use serde::Deserialize;

pub use seams::ServerAccounts;

use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    pub token: Option<String>,
}

/// `GET /ws`: the garden's WebSocket (v0 without a subprotocol, v1 with `cosmic.v1.bin` / `.json`).
pub async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    ws: gateway::WsUpgrade,
) -> Response {
    let request_id = crate::request_id::of(&headers);
    let principal = match &query.token {
        None => Principal::Anonymous,
        Some(t) => match crate::tokens::verify_access(&state.api.auth, t) {
            Ok(claims) => {
                let api = &state.api;
                match crate::accounts::exists(&api.store, &api.cache, claims.sub).await {
                    Ok(true) => Principal::Account(claims.sub as u64),
                    _ => Principal::Rejected,
                }
            }
            Err(_) => Principal::Rejected,
        },
    };
    state.gateway.upgrade(
        ws,
        state.game.garden.clone(),
        principal,
        query.token,
        request_id,
    )
}
