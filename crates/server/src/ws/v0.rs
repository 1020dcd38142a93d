//! Protocol v0 (compat): the existing web client's JSON. No hello: the connection plays at once, as the
//! account of `?token=` or as a new guest, in the default world.

use protocol::v0::{self, ClientMessage, ServerMessage};
use sim::{CommandKind, PlayerId};

use super::link::{CloseReason, ConnLink, Outbound};
use super::read::{Incoming, Reader, bye};
use crate::state::AppState;
use crate::worlds::{ReplyTag, ToWorld, WorldHandle, mapping};

pub async fn serve(
    reader: &mut Reader,
    state: &AppState,
    link: &ConnLink,
    token: Option<String>,
    conn: u64,
) -> (Option<(WorldHandle, PlayerId)>, CloseReason) {
    let player = match token {
        Some(t) => match state.player_for_token(&t) {
            Some(p) => p,
            None => {
                link.send(error("unknown or expired token"));
                return (None, bye(1008, "unauthorized", "unauthorized"));
            }
        },
        None => match state.new_guest().await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "Cannot create a guest account.");
                link.send(error("cannot create a guest account: try again"));
                return (None, bye(1011, "storage unavailable", "internal"));
            }
        },
    };
    let Some(world) = state.worlds.get(state.default_world) else {
        return (None, bye(1011, "no default world", "internal"));
    };
    if world.tx.send(ToWorld::Enter { player }).await.is_err() {
        return (None, bye(1011, "world unavailable", "internal"));
    }
    state.set_player(conn, player);
    link.send(Outbound::Subscribe {
        frames: world.frames.clone(),
        player: player.0,
        base: None,
        codecs: 0,
    });
    let joined = Some((world.clone(), player));
    loop {
        let text = match reader.next(link).await {
            Ok(Incoming::Text(t)) => t,
            Ok(Incoming::Binary) => {
                link.send(error("binary messages are not part of this protocol"));
                continue;
            }
            Ok(Incoming::Limited) => {
                link.send(error("rate limit: slow down"));
                continue;
            }
            Err(reason) => return (joined, reason),
        };
        let msg = match serde_json::from_str::<ClientMessage>(&text) {
            Ok(m) => m,
            Err(e) => {
                link.send(error(&format!("malformed message: {e}")));
                continue;
            }
        };
        let (kind, tag) = match msg {
            ClientMessage::Heartbeat => continue,
            ClientMessage::GetGameState => {
                link.send(Outbound::Resend);
                continue;
            }
            ClientMessage::SetGameRunning { running } => {
                link.send(Outbound::Running(running));
                continue;
            }
            ClientMessage::SaveGame { .. } => {
                link.send(error(
                    "SaveGame is not accepted: the server owns and saves the game state",
                ));
                continue;
            }
            ClientMessage::SpendResources { .. } => {
                link.send(error("SpendResources is not accepted: the server charges costs when it applies an action"));
                continue;
            }
            ClientMessage::CreateBody {
                body_type,
                position,
            } => {
                let Some(kind) = v0::kind_code(&body_type).and_then(mapping::kind_from_code) else {
                    link.send(Outbound::V0(Box::new(ServerMessage::BodyCreated {
                        body_id: None,
                        success: false,
                        error: Some(format!("unknown body_type {body_type:?}")),
                    })));
                    continue;
                };
                (
                    CommandKind::CreateBody {
                        kind,
                        position,
                        velocity: None,
                    },
                    ReplyTag::V0Create,
                )
            }
            ClientMessage::RemoveBody { body_id } => (
                CommandKind::RemoveBody {
                    body: sim::BodyId(body_id),
                },
                ReplyTag::V0Remove(body_id),
            ),
        };
        let command = ToWorld::Command {
            player,
            kind,
            tag,
            link: link.clone(),
        };
        if world.tx.try_send(command).is_err() {
            link.send(error("the world is busy: try again"));
        }
    }
}

fn error(message: &str) -> Outbound {
    Outbound::V0(Box::new(ServerMessage::Error {
        message: message.to_string(),
    }))
}
