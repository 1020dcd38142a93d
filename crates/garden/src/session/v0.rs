//! Protocol v0 (compat): the existing web client's JSON. No hello: the connection plays at once, as the
//! account of `?token=` or as a new guest, in the default world.

use gateway::close::code;
use gateway::{
    CloseCause, CloseReason, Cursor, Feed, Flow, Handshake, Incoming, Link, Outbound, Principal,
};
use protocol::v0::{self, ClientMessage, ServerMessage};
use sim::{CommandKind, PlayerId};

use super::admit::{self, Denied};
use super::refused;
use super::reply::V0Reply;
use crate::wire::{Format, v0_text};
use crate::worlds::{ToWorld, WorldHandle};
use crate::{Garden, mapping};

/// A v0 connection in the default world.
#[derive(Debug)]
pub struct V0Session {
    link: Link,
    world: WorldHandle,
    player: PlayerId,
}

impl V0Session {
    /// Resolves the player (the token's, or a new guest), enters the default world and follows it.
    pub async fn open(garden: &Garden, hs: Handshake, link: Link) -> Result<Self, CloseReason> {
        let player = match hs.principal {
            Principal::Account(id) => PlayerId(id),
            Principal::Rejected => {
                error(&link, "unknown or expired token");
                return Err(CloseReason::new(
                    code::POLICY,
                    "unauthorized",
                    CloseCause::Unauthorized,
                ));
            }
            Principal::Anonymous => match garden.accounts.new_guest().await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "Cannot create a guest account.");
                    error(&link, "cannot create a guest account: try again");
                    return Err(unavailable("storage unavailable"));
                }
            },
        };
        let entered = match admit::visible(garden, garden.default_world, Some(player)).await {
            Ok(world) => admit::enter(&world, player).await.map(|()| world),
            Err(denied) => Err(denied),
        };
        let world = match entered {
            Ok(world) => world,
            Err(Denied::NotFound) => {
                error(&link, "no such world");
                return Err(refused("no such world"));
            }
            Err(Denied::Full) => {
                error(&link, "the world is full: try again later");
                return Err(refused("world full"));
            }
            Err(Denied::Unavailable) => {
                error(&link, "the world is unavailable: try again");
                return Err(unavailable("world unavailable"));
            }
        };
        link.set_principal(player.0);
        link.follow(Feed::new(
            world.feed.clone(),
            Cursor {
                subscriber: player.0,
                format: Format::V0 as u8,
                ..Cursor::default()
            },
        ));
        Ok(Self {
            link,
            world,
            player,
        })
    }

    pub async fn on_message(&mut self, msg: Incoming) -> Flow {
        let text = match msg {
            Incoming::Text(t) => t,
            Incoming::Binary(_) => {
                error(&self.link, "binary messages are not part of this protocol");
                return Flow::Continue;
            }
            Incoming::Limited => {
                error(&self.link, "rate limit: slow down");
                return Flow::Continue;
            }
        };
        let msg = match serde_json::from_str::<ClientMessage>(&text) {
            Ok(m) => m,
            Err(e) => {
                error(&self.link, &format!("malformed message: {e}"));
                return Flow::Continue;
            }
        };
        let (kind, reply) = match msg {
            ClientMessage::Heartbeat => return Flow::Continue,
            ClientMessage::GetGameState => {
                self.game_state_now();
                return Flow::Continue;
            }
            ClientMessage::SetGameRunning { running } => {
                self.link.send(Outbound::Pause(!running));
                return Flow::Continue;
            }
            ClientMessage::SaveGame { .. } => {
                error(
                    &self.link,
                    "SaveGame is not accepted: the server owns and saves the game state",
                );
                return Flow::Continue;
            }
            ClientMessage::SpendResources { .. } => {
                error(
                    &self.link,
                    "SpendResources is not accepted: the server charges costs when it applies an action",
                );
                return Flow::Continue;
            }
            ClientMessage::CreateBody {
                body_type,
                position,
            } => {
                let Some(kind) = v0::kind_code(&body_type).and_then(mapping::kind_from_code) else {
                    let msg = ServerMessage::BodyCreated {
                        body_id: None,
                        success: false,
                        error: Some(format!("unknown body_type {body_type:?}")),
                    };
                    self.link.message(v0_text(&msg));
                    return Flow::Continue;
                };
                let kind = CommandKind::CreateBody {
                    kind,
                    position,
                    velocity: None,
                };
                (kind, V0Reply::Create(self.link.clone()))
            }
            ClientMessage::RemoveBody { body_id } => (
                CommandKind::RemoveBody {
                    body: sim::BodyId(body_id),
                },
                V0Reply::Remove(self.link.clone(), body_id),
            ),
        };
        let command = ToWorld::Command {
            player: self.player,
            kind,
            reply: Box::new(reply),
        };
        if self.world.tx.try_send(command).is_err() {
            error(&self.link, "the world is busy: try again");
        }
        Flow::Continue
    }

    /// `GetGameState`: the newest `GameState` now, paused or not (once the player is in the world's
    /// frames; before that, with the first frame that has the player).
    fn game_state_now(&self) {
        let frame = self.world.frames.borrow().clone();
        if frame.has_player(self.player.0) {
            let text = frame.v0_game_state(self.player.0);
            self.link.message(gateway::Message::Text(text.into()));
        } else {
            self.link.send(Outbound::Refresh);
        }
    }

    pub fn leave(self) {
        admit::exit(&self.world, self.player);
    }
}

fn error(link: &Link, message: &str) {
    let msg = ServerMessage::Error {
        message: message.to_string(),
    };
    link.message(v0_text(&msg));
}

fn unavailable(reason: &str) -> CloseReason {
    CloseReason::new(code::INTERNAL, reason, CloseCause::Internal)
}
