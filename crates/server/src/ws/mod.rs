//! The WebSocket gateway at `/ws`: upgrade, protocol choice, and one reader plus one writer task per
//! connection.
//!
//! Pipeline: socket → reader (decode, validate, rate-limit) → world actor's bounded channel; world actor →
//! connection's bounded outbound queue + the world's frame watch → writer → socket.

mod conn;
pub mod link;
pub mod options;
mod rate;
mod read;
mod v0;
mod v1;
mod writer;

use axum::extract::{Query, State, WebSocketUpgrade};
use axum::response::Response;
use protocol::v1::{SUBPROTOCOL_BIN, SUBPROTOCOL_JSON};
use serde::Deserialize;

use crate::state::AppState;

pub use options::WsOptions;

/// Which protocol a connection speaks, from its subprotocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// No subprotocol: the compat JSON of the existing client.
    V0,
    V1Json,
    V1Bin,
}

impl Proto {
    pub fn label(self) -> &'static str {
        match self {
            Self::V0 => "v0",
            Self::V1Json => "v1_json",
            Self::V1Bin => "v1_bin",
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    pub token: Option<String>,
}

/// `GET /ws`: upgrades with the connection limits of [`WsOptions`].
pub async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let request_id = crate::request_id::of(&headers);
    let o = &state.ws;
    ws.protocols([SUBPROTOCOL_BIN, SUBPROTOCOL_JSON])
        .read_buffer_size(o.read_buffer)
        .write_buffer_size(o.write_buffer)
        .max_message_size(o.hard_max_message_size())
        .max_frame_size(o.hard_max_message_size())
        .on_upgrade(move |socket| conn::run(socket, state, query.token, request_id))
}
