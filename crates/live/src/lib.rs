//! v1z3r live sessions on the gateway: rooms with roles, one authoritative show state per room
//! applied by the room's actor, and the protocols of `/live`.
//!
//! | module | owns |
//! |---|---|
//! | [`state`] | the show state, its operations, their validation and limits |
//! | [`room`] | a room's description, roles, capabilities, settings, join codes |
//! | [`actor`] | one task per room: members, operations in order, relays, presence, storing |
//! | [`rooms`] | the node's rooms by id and join code; create, restore, expire |
//! | [`compat`], [`envelope`] | the v1z3r `sync-core` envelope (no subprotocol) |
//! | [`v1`], [`v1_session`], [`frame`], [`delta`], [`audio`] | `cosmic.live.v1`: its messages, its connections, the room's feed of states and deltas, audio features |
//! | [`seams`] | what the server provides: room storage, presets |
//! | [`error`], [`metrics`] | typed errors; metrics |
//!
//! It knows no HTTP, no SQL and no JWT: the server composes it with the gateway and the store.

pub mod actor;
pub mod audio;
pub mod compat;
pub mod delta;
pub mod envelope;
pub mod error;
pub mod frame;
pub mod metrics;
pub mod room;
pub mod rooms;
pub mod seams;
pub mod state;
pub mod v1;
pub mod v1_session;

use std::sync::Arc;

use gateway::{
    Application, CloseReason, Flow, Handshake, Incoming, Link, Protocol, Session, WsOptions,
};

pub use error::{ErrorCode, LiveError};
pub use rooms::{RoomOptions, Rooms};
pub use seams::{Presets, RoomStore, StoreFailure, StoredRoom};

/// The application's name on the gateway.
pub const APP: &str = "live";

/// The protocols of `/live`, ours first.
pub const PROTOCOLS: &[Protocol] = &[
    Protocol {
        subprotocol: Some(v1::SUBPROTOCOL_BIN),
        label: "v1_bin",
    },
    Protocol {
        subprotocol: Some(v1::SUBPROTOCOL_JSON),
        label: "v1_json",
    },
    Protocol {
        subprotocol: None,
        label: "compat",
    },
];

/// Messages a second a live connection may send (a controller at 60 Hz plus audio features)…
pub const RATE_PER_SECOND: f64 = 240.0;
/// …and the burst above that.
pub const RATE_BURST: f64 = 480.0;
/// Largest client message: a whole state (64 KiB) in its envelope.
pub const MAX_MESSAGE_SIZE: usize = 96 * 1024;
/// Messages queued for one connection before it counts as too slow: room for the presence of a
/// thousand displays joining at once (16 bytes a slot, allocated up front).
pub const OUTBOUND_QUEUE: usize = 1024;

/// Unix time in ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Live sessions as a gateway application: cheap to clone.
#[derive(Clone, Debug)]
pub struct Live {
    pub rooms: Rooms,
    pub presets: Arc<dyn Presets>,
    limits: Arc<WsOptions>,
}

impl Live {
    /// `ws`: the gateway's limits, which live connections take but for their message rate and size and
    /// their queue.
    pub fn new(rooms: Rooms, presets: Arc<dyn Presets>, ws: &WsOptions) -> Self {
        let limits = WsOptions {
            rate_per_second: ws.rate_per_second.max(RATE_PER_SECOND),
            rate_burst: ws.rate_burst.max(RATE_BURST),
            max_message_size: ws.max_message_size.max(MAX_MESSAGE_SIZE),
            outbound_queue: ws.outbound_queue.max(OUTBOUND_QUEUE),
            ..ws.clone()
        };
        Self {
            rooms,
            presets,
            limits: Arc::new(limits),
        }
    }
}

impl Live {
    /// The operation that loads preset `id` (as `account` may see it) into a room.
    pub async fn preset_op(&self, id: &str, account: u64) -> Result<state::Op, LiveError> {
        let mut state = self
            .presets
            .load(id, account)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "Cannot read a preset.");
                LiveError::unavailable()
            })?
            .ok_or_else(|| LiveError::new(ErrorCode::NotFound, format!("no preset {id}")))?;
        state.active_preset_id = Some(id.to_owned());
        state.parameters.get_or_insert_with(state::Params::new);
        state.layers.get_or_insert_with(Vec::new);
        Ok(state::Op::ReplaceState { state })
    }
}

impl Live {
    /// An invitation into `room` (the connection's own) as `role`, if the member `conn` may invite:
    /// (token, room id, expiry in Unix ms).
    pub async fn invite(
        &self,
        room: Option<&rooms::RoomHandle>,
        conn: u64,
        role: room::Role,
        ttl_secs: Option<u64>,
    ) -> Result<(String, String, i64), LiveError> {
        let room = room.ok_or_else(|| LiveError::new(ErrorCode::NotInRoom, "join a room first"))?;
        room.ask(|reply| actor::ToRoom::MayInvite { conn, reply })
            .await??;
        let (token, expires_at) = self.rooms.invite(&room.id, role, ttl_secs)?;
        Ok((token, room.id.clone(), expires_at))
    }
}

/// One `/live` connection, in the protocol it chose.
#[derive(Debug)]
pub enum LiveSession {
    Compat(compat::CompatSession),
    V1(v1_session::V1Session),
}

impl Application for Live {
    type Session = LiveSession;

    fn name(&self) -> &'static str {
        APP
    }

    fn protocols(&self) -> &'static [Protocol] {
        PROTOCOLS
    }

    fn limits(&self) -> Option<Arc<WsOptions>> {
        Some(self.limits.clone())
    }

    async fn open(&self, handshake: Handshake, link: Link) -> Result<LiveSession, CloseReason> {
        if handshake.principal == gateway::Principal::Rejected {
            let m =
                "the token was refused: get a new one (POST /api/auth/guest or /api/auth/refresh)";
            link.text(envelope::error(ErrorCode::Unauthorized, m, None, None));
            return Err(CloseReason::new(
                gateway::close::code::POLICY,
                "token refused",
                gateway::CloseCause::Refused,
            ));
        }
        let principal = handshake.principal;
        Ok(match handshake.protocol.subprotocol {
            None => LiveSession::Compat(compat::CompatSession::new(self.clone(), link, principal)),
            Some(p) => LiveSession::V1(v1_session::V1Session::new(
                self.clone(),
                link,
                principal,
                p == v1::SUBPROTOCOL_BIN,
            )),
        })
    }
}

impl Session for LiveSession {
    fn awaiting_hello(&self) -> bool {
        match self {
            Self::Compat(_) => false,
            Self::V1(s) => s.awaiting_hello(),
        }
    }

    async fn on_message(&mut self, msg: Incoming) -> Flow {
        match self {
            Self::Compat(s) => s.on_message(msg).await,
            Self::V1(s) => s.on_message(msg).await,
        }
    }

    async fn on_close(self, _reason: &CloseReason) {
        match self {
            Self::Compat(s) => s.on_close(),
            Self::V1(s) => s.on_close(),
        }
    }
}
