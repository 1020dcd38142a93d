//! Protocol v1: `hello` first (protocol hash, optional token, world, resume tick, codecs), then requests
//! that each carry a `request_id` echoed by their reply.

use protocol::Codec;
use protocol::v1::{self, ClientMessage, ErrorCode, ReplyBody, ServerMessage};
use sim::{CommandKind, PlayerId};

use super::link::{CloseReason, ConnLink, Outbound};
use super::read::{Incoming, Reader, bye};
use crate::state::AppState;
use crate::worlds::{ReplyTag, ToWorld, WorldHandle, mapping};

pub async fn serve(
    reader: &mut Reader,
    state: &AppState,
    link: &ConnLink,
    query_token: Option<String>,
    conn: u64,
) -> (Option<(WorldHandle, PlayerId)>, CloseReason) {
    let hello = match tokio::time::timeout(state.ws.hello_timeout, reader.next(link)).await {
        Err(_) => return (None, bye(1008, "hello expected", "hello_timeout")),
        Ok(Err(reason)) => return (None, reason),
        Ok(Ok(Incoming::Text(t))) => serde_json::from_str::<ClientMessage>(&t),
        Ok(Ok(_)) => {
            return (
                None,
                refuse(
                    link,
                    None,
                    ErrorCode::HelloExpected,
                    "send hello (JSON text) first",
                    1008,
                ),
            );
        }
    };
    let Ok(ClientMessage::Hello {
        request_id,
        protocol_hash,
        token,
        world,
        resume_tick,
        codecs,
    }) = hello
    else {
        return (
            None,
            refuse(
                link,
                None,
                ErrorCode::HelloExpected,
                "the first message must be hello",
                1008,
            ),
        );
    };
    let ours = v1::protocol_hash_hex();
    if !protocol_hash.eq_ignore_ascii_case(&ours) {
        let msg = format!("protocol hash {protocol_hash} does not match the server's {ours}");
        return (
            None,
            refuse(
                link,
                Some(request_id),
                ErrorCode::ProtocolMismatch,
                &msg,
                1002,
            ),
        );
    }
    // With a token the connection plays as its account; without one it may only watch a public world.
    let (player, token) = match token.or(query_token) {
        Some(t) => match state.player_for_token(&t) {
            Some(p) => (Some(p), t),
            None => {
                return (
                    None,
                    refuse(
                        link,
                        Some(request_id),
                        ErrorCode::Unauthorized,
                        "unknown or expired token",
                        1008,
                    ),
                );
            }
        },
        None => (None, String::new()),
    };
    let world_id = world.unwrap_or(state.default_world);
    let Some(world) = state.worlds.get(world_id) else {
        return (
            None,
            refuse(
                link,
                Some(request_id),
                ErrorCode::WorldNotFound,
                "no such world",
                1008,
            ),
        );
    };
    if player.is_none() && !world.is_public() {
        return (
            None,
            refuse(
                link,
                Some(request_id),
                ErrorCode::Unauthorized,
                "sign in to watch a private world",
                1008,
            ),
        );
    }
    if let Some(player) = player {
        if world.tx.send(ToWorld::Enter { player }).await.is_err() {
            return (None, bye(1011, "world unavailable", "internal"));
        }
        state.set_player(conn, player);
    }
    let codecs = codecs.map_or(u8::MAX, |list| {
        list.iter().fold(Codec::None.bit(), |m, c| m | c.bit())
    });
    let frame = world.frames.borrow().clone();
    let resumed = resume_tick.is_some_and(|t| frame.has_base(t));
    link.send(Outbound::Control(Box::new(ServerMessage::Welcome {
        request_id,
        protocol_hash: ours,
        player: player.map_or(0, |p| p.0),
        world: world.id,
        tick: frame.tick,
        tick_rate_hz: frame.tick_rate_hz,
        resumed,
        token,
    })));
    link.send(Outbound::Subscribe {
        frames: world.frames.clone(),
        player: player.map_or(0, |p| p.0),
        base: resume_tick.filter(|_| resumed),
        codecs,
    });
    let joined = player.map(|p| (world.clone(), p));
    loop {
        let text = match reader.next(link).await {
            Ok(Incoming::Text(t)) => t,
            Ok(Incoming::Binary) => {
                link.send(error(
                    None,
                    ErrorCode::BadMessage,
                    "client messages are JSON text",
                ));
                continue;
            }
            Ok(Incoming::Limited) => {
                link.send(error(None, ErrorCode::RateLimited, "rate limit: slow down"));
                continue;
            }
            Err(reason) => return (joined, reason),
        };
        let msg = match serde_json::from_str::<ClientMessage>(&text) {
            Ok(m) => m,
            Err(e) => {
                link.send(error(
                    None,
                    ErrorCode::BadMessage,
                    &format!("malformed message: {e}"),
                ));
                continue;
            }
        };
        let (request_id, kind) = match msg {
            ClientMessage::Hello { request_id, .. } => {
                link.send(error(
                    Some(request_id),
                    ErrorCode::HelloExpected,
                    "hello was already received",
                ));
                continue;
            }
            ClientMessage::Ack { .. } => continue,
            ClientMessage::Ping { request_id } => {
                link.send(Outbound::Control(Box::new(ServerMessage::Reply {
                    request_id,
                    result: ReplyBody::Pong,
                })));
                continue;
            }
            ClientMessage::CreateBody {
                request_id,
                kind,
                position,
                velocity,
            } => {
                let Some(kind) = mapping::kind_from_name(&kind) else {
                    link.send(error(
                        Some(request_id),
                        ErrorCode::UnknownKind,
                        &format!("unknown body kind {kind:?}"),
                    ));
                    continue;
                };
                (
                    request_id,
                    CommandKind::CreateBody {
                        kind,
                        position,
                        velocity,
                    },
                )
            }
            ClientMessage::RemoveBody { request_id, body } => (
                request_id,
                CommandKind::RemoveBody {
                    body: sim::BodyId(body),
                },
            ),
            ClientMessage::BuyResearch {
                request_id,
                research,
            } => {
                let Some(research) = mapping::research_from_name(&research) else {
                    link.send(error(
                        Some(request_id),
                        ErrorCode::UnknownResearch,
                        &format!("unknown research {research:?}"),
                    ));
                    continue;
                };
                (request_id, CommandKind::BuyResearch { research })
            }
        };
        let Some(player) = player else {
            link.send(error(
                Some(request_id),
                ErrorCode::ReadOnly,
                "watching only: connect with a token to play",
            ));
            continue;
        };
        let command = ToWorld::Command {
            player,
            kind,
            tag: ReplyTag::V1(request_id),
            link: link.clone(),
        };
        if world.tx.try_send(command).is_err() {
            link.send(error(
                Some(request_id),
                ErrorCode::Overloaded,
                "the world is busy: try again",
            ));
        }
    }
}

fn error(request_id: Option<u32>, code: ErrorCode, message: &str) -> Outbound {
    Outbound::Control(Box::new(ServerMessage::Error {
        request_id,
        code,
        message: message.to_string(),
    }))
}

/// Sends an error, then closes with `close_code`.
fn refuse(
    link: &ConnLink,
    request_id: Option<u32>,
    code: ErrorCode,
    message: &str,
    close_code: u16,
) -> CloseReason {
    link.send(error(request_id, code, message));
    bye(close_code, message, "refused")
}
