//! One connection's lifetime: split the socket, start the writer, run the protocol's reader, leave the
//! world, close with the reason.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::ws::WebSocket;
use futures_util::StreamExt;
use protocol::v1::{SUBPROTOCOL_BIN, SUBPROTOCOL_JSON};
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info_span};

use super::link::{Closer, ConnLink};
use super::read::Reader;
use super::{Proto, v0, v1, writer};
use crate::state::{AppState, ConnInfo};
use crate::worlds::ToWorld;

/// Runs a connection until it closes.
/// `request_id` is the upgrade request's id: it goes on every log line of the connection with its own id.
pub async fn run(
    socket: WebSocket,
    state: AppState,
    token: Option<String>,
    request_id: Option<String>,
) {
    let proto = match socket.protocol().and_then(|p| p.to_str().ok()) {
        Some(SUBPROTOCOL_BIN) => Proto::V1Bin,
        Some(SUBPROTOCOL_JSON) => Proto::V1Json,
        _ => Proto::V0,
    };
    let id = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let span = info_span!(
        "ws",
        conn = id,
        proto = proto.label(),
        request_id = request_id.as_deref().unwrap_or("")
    );
    async move {
        crate::metrics::hot().ws_opened(proto);
        state.conns.insert(
            id,
            ConnInfo {
                proto,
                player: None,
            },
        );
        let (sink, stream) = socket.split();
        let (out, out_rx) = mpsc::channel(state.ws.outbound_queue);
        let link = ConnLink {
            out,
            closer: Arc::new(Closer::default()),
        };
        let writer = tokio::spawn(
            writer::run(
                sink,
                out_rx,
                link.closer.clone(),
                proto,
                state.shutdown.clone(),
                state.ws.clone(),
            )
            .in_current_span(),
        );
        let mut reader = Reader::new(stream, state.ws.clone());
        let (joined, reason) = match proto {
            Proto::V0 => v0::serve(&mut reader, &state, &link, token, id).await,
            Proto::V1Json | Proto::V1Bin => v1::serve(&mut reader, &state, &link, token, id).await,
        };
        if let Some((world, player)) = joined
            && world.tx.try_send(ToWorld::Exit { player }).is_err()
        {
            // The world's queue is full: leave without blocking this task's caller.
            tokio::spawn(async move {
                let _ = world.tx.send(ToWorld::Exit { player }).await;
            });
        }
        link.closer
            .close(reason.code, reason.reason.clone(), reason.cause);
        let _ = writer.await;
        if !matches!(
            reason.cause,
            "client_closed" | "client_gone" | "protocol_error" | "too_big"
        ) {
            reader.drain().await;
        }
        state.conns.remove(&id);
        crate::metrics::hot().ws_closed(reason.cause);
        debug!(
            code = reason.code,
            cause = reason.cause,
            "Connection closed."
        );
    }
    .instrument(span)
    .await;
}
