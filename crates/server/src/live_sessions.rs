//! Live sessions composed into the server: the `/live` route (credentials resolved here), rooms kept
//! in the store, and presets read from it.

use axum::extract::{Query, State};
use axum::http::header::UPGRADE;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use live::state::StateInput;
use live::{Presets, RoomStore, StoreFailure, StoredRoom};

use crate::game::WsQuery;
use crate::state::AppState;
use crate::store::{LiveRoomRow, Store, StoreError};

fn failure(e: StoreError) -> StoreFailure {
    StoreFailure(e.to_string())
}

/// The store, as live rooms and presets see it.
#[derive(Clone, Debug)]
pub struct LiveStore(pub Store);

impl RoomStore for LiveStore {
    fn load_rooms(&self) -> BoxFuture<'_, Result<Vec<StoredRoom>, StoreFailure>> {
        async move {
            let rows = self.0.live_rooms().await.map_err(failure)?;
            Ok(rows
                .into_iter()
                .map(|r| StoredRoom {
                    id: r.id,
                    code: r.code,
                    owner: r.owner_id as u64,
                    meta: r.meta,
                    state: r.state,
                    last_active: r.last_active,
                })
                .collect())
        }
        .boxed()
    }

    fn save_room<'a>(&'a self, room: &'a StoredRoom) -> BoxFuture<'a, Result<(), StoreFailure>> {
        async move {
            let row = LiveRoomRow {
                id: room.id.clone(),
                code: room.code.clone(),
                owner_id: room.owner as i64,
                meta: room.meta.clone(),
                state: room.state.clone(),
                last_active: room.last_active,
            };
            self.0.save_live_room(&row).await.map_err(failure)
        }
        .boxed()
    }

    fn delete_room<'a>(
        &'a self,
        id: &'a str,
        idle_since: i64,
    ) -> BoxFuture<'a, Result<(), StoreFailure>> {
        async move {
            self.0
                .delete_live_room(id, idle_since)
                .await
                .map(|_| ())
                .map_err(failure)
        }
        .boxed()
    }
}

impl Presets for LiveStore {
    fn load<'a>(
        &'a self,
        id: &'a str,
        account: u64,
    ) -> BoxFuture<'a, Result<Option<StateInput>, StoreFailure>> {
        async move {
            let Ok(id) = id.parse::<i64>() else {
                return Ok(None);
            };
            let Some((owner, public, content)) =
                self.0.preset_content(id).await.map_err(failure)?
            else {
                return Ok(None);
            };
            if !public && owner != Some(account as i64) {
                return Ok(None);
            }
            preset_state(&content).map(Some)
        }
        .boxed()
    }
}

/// A stored preset's content (`{layers, parameters, globalSettings}`) as a room state.
fn preset_state(content: &str) -> Result<StateInput, StoreFailure> {
    let v: serde_json::Value = serde_json::from_str(content)
        .map_err(|e| StoreFailure(format!("a stored preset does not read: {e}")))?;
    let mut state: StateInput = serde_json::from_value(serde_json::json!({
        "layers": v.get("layers").cloned().unwrap_or_else(|| serde_json::json!([])),
        "parameters": v.get("parameters").cloned().unwrap_or_else(|| serde_json::json!({})),
    }))
    .map_err(|e| StoreFailure(format!("a stored preset does not fit a room: {e}")))?;
    if let Some(bpm) = v
        .pointer("/globalSettings/bpm")
        .and_then(serde_json::Value::as_f64)
    {
        state.tempo = Some(live::state::TempoInput {
            bpm,
            beat_origin: None,
        });
    }
    Ok(state)
}

/// `GET /live`: live sessions' WebSocket (v1z3r's envelope without a subprotocol); to a browser that
/// navigates there (no `Upgrade` header), the VJ controller's page.
pub async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    method: Method,
    headers: HeaderMap,
    ws: Result<gateway::WsUpgrade, gateway::UpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(_) if !headers.contains_key(UPGRADE) => {
            return crate::web::page(&state.web, &method, &headers, "/live.html");
        }
        Err(rejection) => return rejection.into_response(),
    };
    let request_id = crate::request_id::of(&headers);
    let principal = crate::game::principal(&state, query.token.as_deref()).await;
    state
        .gateway
        .upgrade(ws, state.live.clone(), principal, query.token, request_id)
}
