//! Protocol v1: `hello` first (protocol hash, optional token, world, resume tick, codecs), then requests
//! that each carry a `request_id` echoed by their reply.

use gateway::close::code;
use gateway::{CloseCause, CloseReason, Cursor, Feed, Flow, Handshake, Incoming, Link, Principal};
use protocol::Codec;
use protocol::v1::{self, ClientMessage, ErrorCode, ReplyBody, ServerMessage};
use sim::{CommandKind, PlayerId};

use super::admit::{self, Denied};
use super::refused;
use super::reply::V1Reply;
use crate::wire::{Format, control};
use crate::worlds::{ToWorld, WorldHandle};
use crate::{Garden, mapping};

/// The world a v1 connection follows, and the player it plays as (none: watching).
#[derive(Debug)]
struct Joined {
    world: WorldHandle,
    player: Option<PlayerId>,
}

/// A v1 connection: waiting for its hello, then following a world.
#[derive(Debug)]
pub struct V1Session {
    garden: Garden,
    link: Link,
    format: Format,
    /// The principal of the upgrade's `?token=` (a hello's token takes precedence).
    principal: Principal,
    /// The upgrade's `?token=`, echoed in the welcome when the hello has none.
    upgrade_token: Option<String>,
    joined: Option<Joined>,
}

/// The `hello` fields the session acts on.
struct Hello {
    request_id: u32,
    protocol_hash: String,
    token: Option<String>,
    world: Option<u64>,
    resume_tick: Option<u64>,
    codecs: Option<Vec<Codec>>,
}

impl V1Session {
    pub fn new(garden: &Garden, hs: Handshake, link: Link, format: Format) -> Self {
        Self {
            garden: garden.clone(),
            link,
            format,
            principal: hs.principal,
            upgrade_token: hs.credential,
            joined: None,
        }
    }

    pub fn awaiting_hello(&self) -> bool {
        self.joined.is_none()
    }

    pub async fn on_message(&mut self, msg: Incoming) -> Flow {
        let text = match msg {
            Incoming::Text(t) => t,
            Incoming::Binary(_) if self.joined.is_none() => {
                return self.refuse(
                    None,
                    ErrorCode::HelloExpected,
                    "send hello (JSON text) first",
                    code::POLICY,
                );
            }
            Incoming::Binary(_) => {
                self.error(None, ErrorCode::BadMessage, "client messages are JSON text");
                return Flow::Continue;
            }
            Incoming::Limited => {
                self.error(None, ErrorCode::RateLimited, "rate limit: slow down");
                return Flow::Continue;
            }
        };
        let msg = serde_json::from_str::<ClientMessage>(&text);
        if self.joined.is_none() {
            return match msg {
                Ok(ClientMessage::Hello {
                    request_id,
                    protocol_hash,
                    token,
                    world,
                    resume_tick,
                    codecs,
                }) => {
                    let hello = Hello {
                        request_id,
                        protocol_hash,
                        token,
                        world,
                        resume_tick,
                        codecs,
                    };
                    self.hello(hello).await
                }
                _ => self.refuse(
                    None,
                    ErrorCode::HelloExpected,
                    "the first message must be hello",
                    code::POLICY,
                ),
            };
        }
        match msg {
            Ok(msg) => self.request(msg),
            Err(e) => self.error(
                None,
                ErrorCode::BadMessage,
                &format!("malformed message: {e}"),
            ),
        }
        Flow::Continue
    }

    async fn hello(&mut self, hello: Hello) -> Flow {
        let rid = Some(hello.request_id);
        let ours = v1::protocol_hash_hex();
        if !hello.protocol_hash.eq_ignore_ascii_case(&ours) {
            let msg = format!(
                "protocol hash {} does not match the server's {ours}",
                hello.protocol_hash
            );
            return self.refuse(rid, ErrorCode::ProtocolMismatch, &msg, code::PROTOCOL_ERROR);
        }
        // With a token the connection plays as its account; without one it may only watch a public world.
        let (player, token) = match hello.token {
            Some(t) => match self.garden.accounts.player_for_token(&t).await {
                Some(p) => (Some(p), t),
                None => return self.unauthorized(rid),
            },
            None => match self.principal {
                Principal::Account(id) => (
                    Some(PlayerId(id)),
                    self.upgrade_token.clone().unwrap_or_default(),
                ),
                Principal::Rejected => return self.unauthorized(rid),
                Principal::Anonymous => (None, String::new()),
            },
        };
        let id = hello.world.unwrap_or(self.garden.default_world);
        let entered = match admit::visible(&self.garden, id, player).await {
            Ok(world) => match player {
                Some(p) => admit::enter(&world, p).await.map(|()| world),
                None => Ok(world),
            },
            Err(denied) => Err(denied),
        };
        let world = match entered {
            Ok(world) => world,
            Err(Denied::NotFound) => {
                return self.refuse(rid, ErrorCode::WorldNotFound, "no such world", code::POLICY);
            }
            Err(Denied::Full) => {
                return self.refuse(
                    rid,
                    ErrorCode::WorldFull,
                    "the world is full: try again later",
                    code::POLICY,
                );
            }
            Err(Denied::Unavailable) => {
                self.error(
                    rid,
                    ErrorCode::Internal,
                    "the world is unavailable: try again",
                );
                return Flow::Close(CloseReason::new(
                    code::INTERNAL,
                    "world unavailable",
                    CloseCause::Internal,
                ));
            }
        };
        if let Some(p) = player {
            self.link.set_principal(p.0);
        }
        let codecs = hello.codecs.map_or(u8::MAX, |list| {
            list.iter().fold(Codec::None.bit(), |m, c| m | c.bit())
        });
        let frame = world.frames.borrow().clone();
        let resumed = hello.resume_tick.is_some_and(|t| frame.has_base(t));
        self.send(&ServerMessage::Welcome {
            request_id: hello.request_id,
            protocol_hash: ours,
            player: player.map_or(0, |p| p.0),
            world: world.id,
            tick: frame.tick,
            tick_rate_hz: frame.tick_rate_hz,
            resumed,
            token,
        });
        self.link.follow(Feed::new(
            world.feed.clone(),
            Cursor {
                subscriber: player.map_or(0, |p| p.0),
                base: hello.resume_tick.filter(|_| resumed),
                codecs,
                format: self.format as u8,
                sent: 0,
            },
        ));
        self.joined = Some(Joined { world, player });
        Flow::Continue
    }

    /// A request after the hello.
    fn request(&self, msg: ClientMessage) {
        let Some(joined) = &self.joined else {
            return;
        };
        let (request_id, kind) = match msg {
            ClientMessage::Hello { request_id, .. } => {
                self.error(
                    Some(request_id),
                    ErrorCode::HelloExpected,
                    "hello was already received",
                );
                return;
            }
            ClientMessage::Ping { request_id } => {
                self.send(&ServerMessage::Reply {
                    request_id,
                    result: ReplyBody::Pong,
                });
                return;
            }
            ClientMessage::CreateBody {
                request_id,
                kind,
                position,
                velocity,
            } => {
                let Some(kind) = mapping::kind_from_name(&kind) else {
                    self.error(
                        Some(request_id),
                        ErrorCode::UnknownKind,
                        &format!("unknown body kind {kind:?}"),
                    );
                    return;
                };
                let kind = CommandKind::CreateBody {
                    kind,
                    position,
                    velocity,
                };
                (request_id, kind)
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
                    self.error(
                        Some(request_id),
                        ErrorCode::UnknownResearch,
                        &format!("unknown research {research:?}"),
                    );
                    return;
                };
                (request_id, CommandKind::BuyResearch { research })
            }
        };
        let Some(player) = joined.player else {
            self.error(
                Some(request_id),
                ErrorCode::ReadOnly,
                "watching only: connect with a token to play",
            );
            return;
        };
        let reply = V1Reply {
            link: self.link.clone(),
            request_id,
            format: self.format,
        };
        let command = ToWorld::Command {
            player,
            kind,
            reply: Box::new(reply),
        };
        if joined.world.tx.try_send(command).is_err() {
            self.error(
                Some(request_id),
                ErrorCode::Overloaded,
                "the world is busy: try again",
            );
        }
    }

    pub fn leave(self) {
        if let Some(Joined {
            world,
            player: Some(player),
        }) = self.joined
        {
            admit::exit(&world, player);
        }
    }

    fn send(&self, msg: &ServerMessage) {
        self.link.message(control(msg, self.format));
    }

    fn error(&self, request_id: Option<u32>, code: ErrorCode, message: &str) {
        self.send(&ServerMessage::Error {
            request_id,
            code,
            message: message.to_string(),
        });
    }

    /// Sends an error, then closes with `close_code`.
    fn refuse(
        &self,
        request_id: Option<u32>,
        code: ErrorCode,
        message: &str,
        close_code: u16,
    ) -> Flow {
        self.error(request_id, code, message);
        let mut reason = refused(message);
        reason.code = close_code;
        Flow::Close(reason)
    }

    fn unauthorized(&self, request_id: Option<u32>) -> Flow {
        self.error(
            request_id,
            ErrorCode::Unauthorized,
            "unknown or expired token",
        );
        Flow::Close(CloseReason::new(
            code::POLICY,
            "unknown or expired token",
            CloseCause::Unauthorized,
        ))
    }
}
