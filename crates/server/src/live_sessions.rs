//! Live sessions composed into the server: the `/live` route (credentials resolved here), rooms kept
//! in the store, and presets read from it.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
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

    fn delete_room<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), StoreFailure>> {
        async move { self.0.delete_live_room(id).await.map_err(failure) }.boxed()
    }
}

impl Presets for LiveStore {
    fn load<'a>(
        &'a self,
        id: &'a str,
        account: u64,
    ) -> BoxFuture<'a, Result<Option<StateInput>, StoreFailure>> {
        async move {
            // No presets are stored yet (the presets API lands on its own): every id is "no such
            // preset", which the room answers with `not_found`.
            let _ = (id, account);
            Ok(None)
        }
        .boxed()
    }
}

/// `GET /live`: live sessions' WebSocket (v1z3r's envelope without a subprotocol).
pub async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    ws: gateway::WsUpgrade,
) -> Response {
    let request_id = crate::request_id::of(&headers);
    let principal = crate::game::principal(&state, query.token.as_deref()).await;
    state
        .gateway
        .upgrade(ws, state.live.clone(), principal, query.token, request_id)
}
