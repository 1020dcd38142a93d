//! The garden composed into the server: the `/ws` route (credentials resolved here, never in the
//! gateway), the garden's storage and accounts backed by the store and the JWT settings, and starting
//! worlds from storage.

/// Starting worlds from storage (a module of its own: cluster mode uses it too).
pub use crate::loader;
mod seams;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use gateway::Principal;
use serde::Deserialize;

pub use seams::ServerAccounts;

use crate::client_ip::ClientIp;
use crate::quotas::Refusal;
use crate::state::AppState;

/// The API's 429 (the same body and `Retry-After`), answered instead of upgrading.
fn too_many_guests(refusal: &Refusal) -> Response {
    let (message, wait) = match refusal {
        Refusal::Rate {
            message,
            retry_after,
        } => (*message, retry_after.as_secs_f64().ceil().max(1.0) as u64),
        _ => ("too many guest accounts from this address", 60),
    };
    let body = serde_json::json!({"error": {"code": "too_many_requests", "message": message}});
    let status = axum::http::StatusCode::TOO_MANY_REQUESTS;
    let mut response = (status, axum::Json(body)).into_response();
    let retry = axum::http::header::RETRY_AFTER;
    response.headers_mut().insert(retry, wait.into());
    response
}

/// Whether the upgrade asks for one of the garden's subprotocols (v1); without one it is v0.
fn offers_subprotocol(headers: &HeaderMap) -> bool {
    let subprotocols: Vec<&str> = garden::PROTOCOLS
        .iter()
        .filter_map(|p| p.subprotocol)
        .collect();
    headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|offered| subprotocols.contains(&offered.trim()))
}

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    pub token: Option<String>,
}

/// Who an upgrade's `?token=` belongs to: no token, a valid one of an existing account, or refused.
pub async fn principal(state: &AppState, token: Option<&str>) -> Principal {
    let Some(token) = token else {
        return Principal::Anonymous;
    };
    let Ok(claims) = crate::tokens::verify_access(&state.api.auth, token) else {
        return Principal::Rejected;
    };
    let api = &state.api;
    match crate::accounts::exists(&api.store, &api.cache, claims.sub).await {
        Ok(true) => Principal::Account(claims.sub as u64),
        _ => Principal::Rejected,
    }
}

/// `GET /ws`: the garden's WebSocket (v0 without a subprotocol, v1 with `cosmic.v1.bin` / `.json`).
pub async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    ClientIp(address): ClientIp,
    headers: HeaderMap,
    ws: gateway::WsUpgrade,
) -> Response {
    let request_id = crate::request_id::of(&headers);
    // A v0 connection without a token plays as a new guest account: counted like `POST /api/auth/guest`.
    if query.token.is_none()
        && !offers_subprotocol(&headers)
        && let Err(refusal) = state.api.quotas.check_guest(address)
    {
        crate::metrics::quotas::refused("guest", refusal.reason());
        return too_many_guests(&refusal);
    }
    let principal = principal(&state, query.token.as_deref()).await;
    state.gateway.upgrade(
        ws,
        state.game.garden.clone(),
        principal,
        query.token,
        request_id,
    )
}
