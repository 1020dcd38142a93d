//! A connection's write side: replies and errors from its queue, the newest world frame from the world's
//! watch (a slow client skips frames instead of building a backlog), pings, and the close frame.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use protocol::Codec;
use protocol::v0;
use protocol::v1::{ErrorCode, KIND_CONTROL, ReplyBody, ServerMessage};
use tokio::sync::{mpsc, watch};
use tracing::debug;

use super::Proto;
use super::link::{Closer, Outbound};
use super::options::WsOptions;
use crate::worlds::{ReplyTag, TickFrame, mapping};

/// The world a connection follows.
struct Subscription {
    frames: watch::Receiver<Arc<TickFrame>>,
    player: u64,
    /// The last tick written to this socket: the base of the next delta (TCP delivers in order).
    last_sent: Option<u64>,
    codecs: u8,
    running: bool,
    frames_sent: u64,
}

type Sink = SplitSink<WebSocket, Message>;

/// Runs until the connection closes, then sends the close frame if the socket still takes it.
pub async fn run(
    mut sink: Sink,
    mut rx: mpsc::Receiver<Outbound>,
    closer: Arc<Closer>,
    proto: Proto,
    mut shutdown: watch::Receiver<bool>,
    options: Arc<WsOptions>,
) {
    let mut sub: Option<Subscription> = None;
    let start = tokio::time::Instant::now() + options.ping_interval;
    let mut ping = tokio::time::interval_at(start, options.ping_interval);
    let mut batch: Vec<Message> = Vec::with_capacity(2);
    loop {
        tokio::select! {
            biased;
            _ = closer.closed() => break,
            _ = shutdown.wait_for(|stop| *stop) => {
                closer.close(1001, "server shutting down; reconnect in a few seconds", "shutdown");
                break;
            }
            out = rx.recv() => match out {
                None => break,
                Some(Outbound::Subscribe { mut frames, player, base, codecs }) => {
                    frames.mark_changed();
                    sub = Some(Subscription { frames, player, last_sent: base, codecs, running: true, frames_sent: 0 });
                }
                Some(Outbound::Running(running)) => {
                    if let Some(s) = sub.as_mut() { s.running = running; }
                }
                Some(Outbound::Resend) => {
                    if let Some(s) = sub.as_mut() { s.frames.mark_changed(); }
                }
                Some(other) => batch.extend(encode(other, proto)),
            },
            changed = frame_changed(&mut sub) => {
                if !changed {
                    closer.close(1012, "world stopped; reconnect", "world_stopped");
                    break;
                }
                if let Some(s) = sub.as_mut() {
                    frame_messages(s, proto, options.player_state_every, &mut batch);
                }
            }
            _ = ping.tick() => batch.push(Message::Ping(Bytes::new())),
        }
        for msg in batch.drain(..) {
            if !send(&mut sink, msg, options.write_timeout).await {
                closer.close(1008, "too slow: write timed out", "slow_consumer");
                return;
            }
        }
    }
    // Replies and errors already queued go out before the close frame (e.g. the error that explains it).
    while let Ok(out) = rx.try_recv() {
        if let Some(msg) = encode(out, proto)
            && !send(&mut sink, msg, options.close_timeout).await
        {
            return;
        }
    }
    if let Some(reason) = closer.reason() {
        let frame = CloseFrame {
            code: reason.code,
            reason: reason.reason.into(),
        };
        let _ = tokio::time::timeout(
            options.close_timeout,
            sink.send(Message::Close(Some(frame))),
        )
        .await;
        debug!(
            code = reason.code,
            cause = reason.cause,
            "Close frame sent."
        );
    }
}

async fn send(sink: &mut Sink, msg: Message, limit: Duration) -> bool {
    let data = match &msg {
        Message::Text(t) => Some(t.len()),
        Message::Binary(b) => Some(b.len()),
        _ => None,
    };
    let sent = matches!(
        tokio::time::timeout(limit, sink.send(msg)).await,
        Ok(Ok(()))
    );
    if sent && let Some(bytes) = data {
        crate::metrics::hot().ws_out(bytes);
    }
    sent
}

/// Resolves when the followed world publishes a new frame (`false` if the world is gone); never
/// resolves without a subscription or while paused.
async fn frame_changed(sub: &mut Option<Subscription>) -> bool {
    match sub {
        Some(s) if s.running => s.frames.changed().await.is_ok(),
        _ => std::future::pending().await,
    }
}

/// The messages for the newest frame: the world frame, and every few ticks the player's figures.
fn frame_messages(s: &mut Subscription, proto: Proto, state_every: u64, out: &mut Vec<Message>) {
    let frame = s.frames.borrow_and_update().clone();
    match proto {
        Proto::V0 => out.push(Message::Text(frame.v0_game_state(s.player).into())),
        Proto::V1Json | Proto::V1Bin => {
            let Some(encoded) = frame.for_base(s.last_sent) else {
                return;
            };
            out.push(match proto {
                Proto::V1Bin => Message::Binary(encoded.binary_for(frame.codec, s.codecs)),
                _ => Message::Text(utf8(encoded.json())),
            });
            s.last_sent = Some(frame.tick);
            if s.frames_sent.is_multiple_of(state_every.max(1))
                && let Some(figures) = frame.players.get(&s.player)
            {
                let msg = ServerMessage::PlayerState {
                    tick: frame.tick,
                    resources: figures.resources,
                    rates: figures.rates,
                };
                out.push(control(&msg, proto));
            }
        }
    }
    s.frames_sent += 1;
}

fn utf8(bytes: Bytes) -> axum::extract::ws::Utf8Bytes {
    String::from_utf8(bytes.to_vec()).unwrap_or_default().into()
}

/// A v1 control message in the connection's framing.
fn control(msg: &ServerMessage, proto: Proto) -> Message {
    let json = serde_json::to_vec(msg).unwrap_or_default();
    match proto {
        Proto::V1Bin => {
            let mut out = Vec::with_capacity(json.len() + 2);
            out.push(Codec::None as u8);
            out.push(KIND_CONTROL);
            out.extend_from_slice(&json);
            Message::Binary(out.into())
        }
        _ => Message::Text(String::from_utf8(json).unwrap_or_default().into()),
    }
}

fn v0_text(msg: &v0::ServerMessage) -> Message {
    Message::Text(serde_json::to_string(msg).unwrap_or_default().into())
}

/// The socket message for a queued item; `None` for the items that steer the writer instead of being sent.
fn encode(out: Outbound, proto: Proto) -> Option<Message> {
    Some(match out {
        Outbound::Control(msg) => control(&msg, proto),
        Outbound::V0(msg) => v0_text(&msg),
        Outbound::Reply { tag, outcome } => reply(tag, *outcome, proto),
        Outbound::Subscribe { .. } | Outbound::Running(_) | Outbound::Resend => return None,
    })
}

fn reply(tag: ReplyTag, outcome: sim::Outcome, proto: Proto) -> Message {
    match tag {
        ReplyTag::V1(request_id) => {
            let msg = match outcome {
                Ok(applied) => match reply_body(applied) {
                    Some(result) => ServerMessage::Reply { request_id, result },
                    None => ServerMessage::Error {
                        request_id: Some(request_id),
                        code: ErrorCode::Internal,
                        message: "unexpected outcome".into(),
                    },
                },
                Err(rejection) => ServerMessage::Error {
                    request_id: Some(request_id),
                    code: mapping::error_code(&rejection),
                    message: rejection.to_string(),
                },
            };
            control(&msg, proto)
        }
        ReplyTag::V0Create => v0_text(&match outcome {
            Ok(sim::Applied::BodyCreated { body }) => v0::ServerMessage::BodyCreated {
                body_id: Some(body.0.to_string()),
                success: true,
                error: None,
            },
            Ok(_) => v0::ServerMessage::BodyCreated {
                body_id: None,
                success: false,
                error: Some("unexpected outcome".into()),
            },
            Err(e) => v0::ServerMessage::BodyCreated {
                body_id: None,
                success: false,
                error: Some(e.to_string()),
            },
        }),
        ReplyTag::V0Remove(body) => v0_text(&v0::ServerMessage::BodyRemoved {
            body_id: body.to_string(),
            success: outcome.is_ok(),
        }),
    }
}

fn reply_body(applied: sim::Applied) -> Option<ReplyBody> {
    Some(match applied {
        sim::Applied::BodyCreated { body } => ReplyBody::BodyCreated { body: body.0 },
        sim::Applied::BodyRemoved { body } => ReplyBody::BodyRemoved { body: body.0 },
        sim::Applied::ResearchBought { research, level } => ReplyBody::ResearchBought {
            research: research.key().to_string(),
            level,
        },
        sim::Applied::Joined { .. } | sim::Applied::Left => return None,
    })
}
