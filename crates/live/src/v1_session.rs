//! One `cosmic.live.v1` connection: `hello` (protocol hash, room, resume version, codecs), then
//! requests answered by `reply` or `error`, the room's feed of states and deltas, and audio features.

use gateway::close::code;
use gateway::{CloseCause, CloseReason, Flow, Incoming, Link, Principal};
use protocol::codec::Codec;

use crate::actor::{Greeting, Joiner, Speaks, ToRoom};
use crate::audio::{AudioFeatures, MAGIC};
use crate::error::{ErrorCode, LiveError};
use crate::room::NewRoom;
use crate::rooms::RoomHandle;
use crate::state::Op;
use crate::v1::{ClientMessage, ServerMessage, bin_control, protocol_hash_hex};
use crate::{Live, now_ms};

#[derive(Debug)]
pub struct V1Session {
    live: Live,
    link: Link,
    account: Option<u64>,
    binary: bool,
    room: Option<RoomHandle>,
    /// Whether a hello was accepted (a connection that left its room may send another).
    greeted: bool,
}

/// The `hello` fields the session acts on.
struct Hello {
    request_id: u32,
    room: Option<String>,
    invite: Option<String>,
    create: Option<NewRoom>,
    name: Option<String>,
    role: Option<crate::room::Role>,
    resume_version: Option<u64>,
    codecs: Vec<Codec>,
}

impl V1Session {
    pub fn new(live: Live, link: Link, principal: Principal, binary: bool) -> Self {
        let account = match principal {
            Principal::Account(id) => Some(id),
            _ => None,
        };
        Self {
            live,
            link,
            account,
            binary,
            room: None,
            greeted: false,
        }
    }

    pub fn awaiting_hello(&self) -> bool {
        !self.greeted
    }

    fn send(&self, msg: &ServerMessage) {
        let json = msg.json();
        if self.binary {
            self.link.binary(bin_control(&json));
        } else {
            self.link.text(json);
        }
    }

    fn error(&self, request_id: Option<u32>, e: &LiveError) {
        self.send(&ServerMessage::error(request_id, e.code, e.message.clone()));
    }

    pub async fn on_message(&mut self, msg: Incoming) -> Flow {
        let text = match msg {
            Incoming::Text(t) => t,
            Incoming::Binary(b) if b.first() == Some(&MAGIC) => {
                self.audio(&b);
                return Flow::Continue;
            }
            Incoming::Binary(_) => {
                let m =
                    "client messages are JSON text, or audio features (binary, starting with 'A')";
                self.error(None, &LiveError::new(ErrorCode::InvalidMessage, m));
                return Flow::Continue;
            }
            Incoming::Limited => {
                let m = "too many messages: slow down";
                self.error(None, &LiveError::new(ErrorCode::RateLimited, m));
                return Flow::Continue;
            }
        };
        let msg = match serde_json::from_str::<ClientMessage>(text.as_str()) {
            Ok(m) => m,
            Err(e) => {
                let request_id = serde_json::from_str::<serde_json::Value>(text.as_str())
                    .ok()
                    .and_then(|v| v.get("request_id")?.as_u64())
                    .and_then(|r| u32::try_from(r).ok());
                let m = format!("malformed message: {e}");
                self.error(request_id, &LiveError::new(ErrorCode::InvalidMessage, m));
                return Flow::Continue;
            }
        };
        if !self.greeted
            && !matches!(
                msg,
                ClientMessage::Hello { .. } | ClientMessage::Ping { .. }
            )
        {
            let m = "send hello first";
            self.error(None, &LiveError::new(ErrorCode::HelloExpected, m));
            return Flow::Continue;
        }
        self.request(msg).await
    }

    async fn request(&mut self, msg: ClientMessage) -> Flow {
        let (rid, result) = match msg {
            ClientMessage::Hello {
                request_id,
                protocol_hash,
                room,
                invite,
                create,
                name,
                role,
                resume_version,
                codecs,
            } => {
                let ours = protocol_hash_hex();
                if !protocol_hash.eq_ignore_ascii_case(&ours) {
                    let m =
                        format!("protocol hash {protocol_hash} does not match the server's {ours}");
                    let e = LiveError::new(ErrorCode::ProtocolMismatch, m);
                    self.error(Some(request_id), &e);
                    return Flow::Close(CloseReason::new(
                        code::PROTOCOL_ERROR,
                        "protocol mismatch",
                        CloseCause::Refused,
                    ));
                }
                let hello = Hello {
                    request_id,
                    room,
                    invite,
                    create,
                    name,
                    role,
                    resume_version,
                    codecs,
                };
                if let Err(e) = self.hello(hello).await {
                    self.error(Some(request_id), &e);
                }
                return Flow::Continue;
            }
            ClientMessage::Ping {
                request_id,
                client_time,
            } => {
                self.send(&ServerMessage::Pong {
                    request_id,
                    server_time: now_ms(),
                    client_time,
                });
                return Flow::Continue;
            }
            ClientMessage::Op { request_id, op } => (request_id, self.apply(op).await.map(Some)),
            ClientMessage::LoadPreset {
                request_id,
                preset_id,
            } => {
                let op = self
                    .live
                    .preset_op(&preset_id, self.account.unwrap_or(0))
                    .await;
                let result = match op {
                    Ok(op) => self.apply(op).await.map(Some),
                    Err(e) => Err(e),
                };
                (request_id, result)
            }
            ClientMessage::SetRole {
                request_id,
                participant,
                role,
            } => {
                let conn = self.link.conn();
                let result = match self.joined() {
                    Ok(room) => room
                        .ask(|reply| ToRoom::SetRole {
                            conn,
                            participant,
                            role,
                            reply,
                        })
                        .await
                        .and_then(|r| r.map(|_| None)),
                    Err(e) => Err(e),
                };
                (request_id, result)
            }
            ClientMessage::Message {
                request_id,
                target,
                data,
            } => {
                let conn = self.link.conn();
                let kind = if target.is_some() {
                    "direct_message"
                } else {
                    "broadcast"
                };
                let result = match self.joined() {
                    Ok(room) => room
                        .ask(|reply| ToRoom::Relay {
                            conn,
                            kind,
                            data,
                            target,
                            control: false,
                            reply,
                        })
                        .await
                        .and_then(|r| r.map(|()| None)),
                    Err(e) => Err(e),
                };
                match request_id {
                    Some(rid) => (rid, result),
                    None => {
                        if let Err(e) = result {
                            self.error(None, &e);
                        }
                        return Flow::Continue;
                    }
                }
            }
            ClientMessage::Invite {
                request_id,
                role,
                ttl_secs,
            } => {
                let role = role.unwrap_or(crate::room::Role::Controller);
                match self
                    .live
                    .invite(self.joined().ok(), self.link.conn(), role, ttl_secs)
                    .await
                {
                    Ok((token, room, expires_at)) => self.send(&ServerMessage::Invitation {
                        request_id,
                        token,
                        room,
                        role,
                        expires_at,
                    }),
                    Err(e) => self.error(Some(request_id), &e),
                }
                return Flow::Continue;
            }
            ClientMessage::Leave { request_id } => {
                self.leave();
                (request_id, Ok(None))
            }
        };
        match result {
            Ok(version) => self.send(&ServerMessage::Reply {
                request_id: rid,
                version,
            }),
            Err(e) => self.error(Some(rid), &e),
        }
        Flow::Continue
    }

    fn joined(&self) -> Result<&RoomHandle, LiveError> {
        self.room
            .as_ref()
            .ok_or_else(|| LiveError::new(ErrorCode::NotInRoom, "send hello with a room first"))
    }

    async fn apply(&self, op: Op) -> Result<u64, LiveError> {
        let room = self.joined()?;
        let conn = self.link.conn();
        room.ask(|reply| ToRoom::Apply {
            conn,
            op,
            relay: None,
            reply,
        })
        .await?
    }

    fn audio(&self, bytes: &[u8]) {
        let result = AudioFeatures::read(bytes).and_then(|features| {
            let room = self.joined()?;
            let conn = self.link.conn();
            room.tx
                .try_send(ToRoom::Audio { conn, features })
                .map_err(|_| LiveError::unavailable())
        });
        if let Err(e) = result {
            self.error(None, &e);
        }
    }

    /// Joins (or creates) the room; the welcome goes first, then the room's feed: the full state, or a
    /// delta (or nothing) for a client that resumes from a version it has.
    async fn hello(&mut self, hello: Hello) -> Result<(), LiveError> {
        if self.room.is_some() {
            return Err(LiveError::new(
                ErrorCode::InvalidMessage,
                "already in a room: leave it first",
            ));
        }
        let account = self.account.ok_or_else(|| {
            LiveError::new(
                ErrorCode::Unauthorized,
                "a token is needed: connect to /live?token=… (POST /api/auth/guest gives one)",
            )
        })?;
        let mut invited = None;
        let room = match (hello.invite, hello.room, hello.create) {
            (Some(token), _, _) => {
                let (room, role) = self.live.rooms.redeem(&token)?;
                invited = Some(role);
                room
            }
            (None, Some(key), _) => self
                .live
                .rooms
                .find(&key)
                .ok_or_else(|| LiveError::new(ErrorCode::NotFound, "no such room"))?,
            (None, None, Some(given)) => self.live.rooms.create(account, given).await?,
            (None, None, None) => {
                return Err(LiveError::new(
                    ErrorCode::InvalidMessage,
                    "hello needs a room (its id or join code) or create",
                ));
            }
        };
        let name = hello
            .name
            .map(|n| n.trim().chars().take(64).collect::<String>())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "guest".into());
        let codecs = hello
            .codecs
            .iter()
            .fold(Codec::None.bit(), |b, c| b | c.bit());
        let joiner = Joiner {
            conn: self.link.conn(),
            link: self.link.clone(),
            account,
            name,
            role: hello.role.map(|r| r.as_str().to_owned()),
            id_hint: None,
            metadata: serde_json::Map::new(),
            speaks: Speaks::V1 {
                binary: self.binary,
            },
            invited,
            greet: Some(Greeting {
                request_id: hello.request_id,
                resume_version: hello.resume_version,
                codecs,
            }),
        };
        // The room sends the welcome and starts the feed itself, so nothing of the room comes first.
        room.ask(|reply| ToRoom::Join { joiner, reply }).await??;
        self.link.set_principal(account);
        self.room = Some(room);
        self.greeted = true;
        Ok(())
    }

    fn leave(&mut self) {
        if let Some(room) = self.room.take() {
            // Nothing more of that room's feed.
            self.link.send(gateway::Outbound::Pause(true));
            let conn = self.link.conn();
            if room.tx.try_send(ToRoom::Leave { conn }).is_err() {
                tokio::spawn(async move {
                    let _ = room.tx.send(ToRoom::Leave { conn }).await;
                });
            }
        }
    }

    pub fn on_close(mut self) {
        self.leave();
    }
}
