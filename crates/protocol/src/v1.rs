//! Protocol v1 control messages (`cosmic.v1.bin` and `cosmic.v1.json`).
//!
//! In `cosmic.v1.json` every message is a JSON text frame, world frames included ([`crate::frame::Frame`]
//! as JSON). In `cosmic.v1.bin` the server sends binary frames: a codec byte ([`crate::codec`]), then the
//! payload, whose first byte is the message kind: [`KIND_CONTROL`] (the JSON of a [`ServerMessage`]),
//! or a world frame ([`crate::frame`]). Clients send JSON text frames in both. See docs/protocol.md.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::codec::Codec;
use crate::frame::Frame;

/// Subprotocol names.
pub const SUBPROTOCOL_BIN: &str = "cosmic.v1.bin";
pub const SUBPROTOCOL_JSON: &str = "cosmic.v1.json";

/// Payload kind byte of a control message in `cosmic.v1.bin`.
pub const KIND_CONTROL: u8 = 1;

/// The message schema, hashed into [`PROTOCOL_HASH`]: change it whenever a message or frame layout changes,
/// so mismatched clients are told at hello instead of misreading frames.
pub const SCHEMA: &str = "cosmic.v1;
hello{request_id,protocol_hash,token?,world?,resume_tick?,codecs};create_body{request_id,kind,position,velocity?};
remove_body{request_id,body};buy_research{request_id,research};ping{request_id};
welcome{request_id,protocol_hash,player,world,tick,tick_rate_hz,resumed,token};reply{request_id,result};
error{request_id?,code,message};player_state{tick,resources,rates};closing{code,reason,retry_after_ms?};
frame:snapshot{tick,time_us,n,body*,events};delta{base_tick,tick,time_us,removed,upserts,moves,motions,events};
body{id,kind,owner,pos3,vel3,mv3,mass_f32,radius_f32,life};moves:predicted_if_one_tick;pos/256;vel/64;codec{none,lz4,deflate_raw,zstd}";

/// FNV-1a 64 of [`SCHEMA`], as 16 hex digits in messages.
pub const PROTOCOL_HASH: u64 = fnv1a(SCHEMA.as_bytes());

/// FNV-1a 64: the hash of a protocol's schema text (here and in `cosmic.live.v1`).
pub const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

pub fn protocol_hash_hex() -> String {
    format!("{PROTOCOL_HASH:016x}")
}

/// The six resources, as named everywhere on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct WireResources {
    pub cosmic_dust: f64,
    pub energy: f64,
    pub organic_matter: f64,
    pub biomass: f64,
    pub dark_matter: f64,
    pub thought_points: f64,
}

/// Client → server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// First message on a connection; answered by `Welcome` (then a world frame) or `Error` + close.
    /// `resume_tick`: the last tick the client applied before reconnecting (delta if still available).
    Hello {
        request_id: u32,
        protocol_hash: String,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        #[ts(type = "number | null")]
        world: Option<u64>,
        #[serde(default)]
        #[ts(type = "number | null")]
        resume_tick: Option<u64>,
        /// Codecs the client can decode; `none` is implied. Default: all.
        #[serde(default)]
        codecs: Option<Vec<Codec>>,
    },
    /// Create a body (answered by `Reply` with `body_created`, or `Error`).
    CreateBody {
        request_id: u32,
        kind: String,
        position: [f64; 3],
        #[serde(default)]
        velocity: Option<[f64; 3]>,
    },
    /// Remove one of the player's bodies (answered by `Reply` with `body_removed`, or `Error`).
    RemoveBody {
        request_id: u32,
        #[ts(type = "number")]
        body: u64,
    },
    /// Buy the next level of a research (answered by `Reply` with `research_bought`, or `Error`).
    BuyResearch { request_id: u32, research: String },
    /// Liveness check (answered by `Reply` with `pong`).
    Ping { request_id: u32 },
}

impl ClientMessage {
    pub fn request_id(&self) -> Option<u32> {
        match self {
            Self::Hello { request_id, .. }
            | Self::CreateBody { request_id, .. }
            | Self::RemoveBody { request_id, .. }
            | Self::BuyResearch { request_id, .. }
            | Self::Ping { request_id } => Some(*request_id),
        }
    }
}

/// What a successful request did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ReplyBody {
    BodyCreated {
        #[ts(type = "number")]
        body: u64,
    },
    BodyRemoved {
        #[ts(type = "number")]
        body: u64,
    },
    ResearchBought {
        research: String,
        level: u32,
    },
    Pong,
}

/// Typed error codes; `message` says the same for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The message was not valid JSON or not a known message.
    BadMessage,
    /// The client's protocol hash differs from the server's.
    ProtocolMismatch,
    /// A message other than `hello` came first, or `hello` came twice.
    HelloExpected,
    /// Missing, expired or invalid token.
    Unauthorized,
    /// The connection may only watch (no token).
    ReadOnly,
    /// No such world, or a private one the caller may not see (the same answer for both).
    WorldNotFound,
    /// The world has `max_players` players in it; try again later.
    WorldFull,
    /// Too many messages: slow down.
    RateLimited,
    /// The world is busy; retry.
    Overloaded,
    // Rule rejections from the simulation:
    NotJoined,
    NotFinite,
    NotEnoughResources,
    OutOfBounds,
    OverlapsBody,
    TooFast,
    PlayerLimitReached,
    WorldLimitReached,
    Locked,
    NoSuchBody,
    NotOwner,
    MaxLevel,
    UnknownKind,
    UnknownResearch,
    Internal,
}

/// Server → client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Answer to `Hello`. A world frame (snapshot, or delta when resuming) follows.
    Welcome {
        request_id: u32,
        protocol_hash: String,
        #[ts(type = "number")]
        player: u64,
        #[ts(type = "number")]
        world: u64,
        #[ts(type = "number")]
        tick: u64,
        tick_rate_hz: u32,
        resumed: bool,
        /// Session token: send it in the next `hello` to resume as the same player.
        token: String,
    },
    /// Success of the request with `request_id`.
    Reply {
        request_id: u32,
        #[serde(flatten)]
        result: ReplyBody,
    },
    /// Failure of the request with `request_id` (absent when the message could not be read).
    Error {
        request_id: Option<u32>,
        code: ErrorCode,
        message: String,
    },
    /// The player's resources and production rates per second, a few times a second.
    PlayerState {
        #[ts(type = "number")]
        tick: u64,
        resources: WireResources,
        rates: WireResources,
    },
    /// The server is about to close the connection; reconnect after `retry_after_ms` if given.
    Closing {
        code: u16,
        reason: String,
        #[ts(type = "number | null")]
        retry_after_ms: Option<u64>,
    },
    /// A world frame (JSON subprotocol only; binary frames carry it in binary).
    #[serde(untagged)]
    Frame(Frame),
}
