//! `cosmic.live.v1`: our own protocol on `/live` (subprotocols `cosmic.live.v1.json` and
//! `cosmic.live.v1.bin`). `hello` first (protocol hash, room or new room, resume version, codecs), then
//! requests with `request_id`s answered by `reply` or a typed `error`. The room's state comes as one
//! full `state`, then `delta`s against what the connection last received, at most `fanout_hz` a second.
//! Audio features are binary messages ([`crate::audio`]) in both subprotocols.
//!
//! In `.json` every other message is JSON text. In `.bin` the server sends binary messages: a codec
//! byte ([`protocol::codec`]), then [`KIND_CONTROL`] and the JSON of a [`ServerMessage`]; clients send
//! JSON text in both. See docs/live.md.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::delta::StateDelta;
use crate::error::ErrorCode;
use crate::room::{NewRoom, Participant, Role, RoomView};
use crate::state::{Op, ShowState};

pub const SUBPROTOCOL_JSON: &str = "cosmic.live.v1.json";
pub const SUBPROTOCOL_BIN: &str = "cosmic.live.v1.bin";

/// Payload kind byte of a control message in `cosmic.live.v1.bin` (after the codec byte).
pub const KIND_CONTROL: u8 = 1;

/// The message schema, hashed into [`PROTOCOL_HASH`]: change it with any message layout.
pub const SCHEMA: &str = "cosmic.live.v1;
hello{request_id,protocol_hash,room?,invite?,create?,name?,role?,resume_version?,codecs?};invite{request_id,role?,ttl_secs?};ping{request_id,client_time?};
op{request_id,op};load_preset{request_id,preset_id};set_role{request_id,participant,role};message{request_id?,target?,data};leave{request_id};
welcome{request_id,protocol_hash,room,participant,version,server_time,fanout_hz,resumed};reply{request_id,version?};
error{request_id?,code,message};pong{request_id,server_time,client_time?};state{server_time,state};delta{server_time,delta};
presence{event,participant};invitation{request_id,token,room,role,expires_at};message{from,kind,data,target?};
delta{base,version,timestamp,parameters?,removedParameters?,layers?,removedLayers?,activePresetId?,tempo?};
audio:'A',flags,n<=32,level_u8*n,server_time_f64le(server only);codec{none,lz4,deflate_raw,zstd}";

/// FNV-1a 64 of [`SCHEMA`], as 16 hex digits in messages.
pub const PROTOCOL_HASH: u64 = protocol::v1::fnv1a(SCHEMA.as_bytes());

pub fn protocol_hash_hex() -> String {
    format!("{PROTOCOL_HASH:016x}")
}

/// Client → server (JSON text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Joins a room (`room`: its id or join code) or creates one (`create`), as `name` in `role`.
    /// `resume_version`: the version of the state the client still has (after a reconnect).
    Hello {
        request_id: u32,
        protocol_hash: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        room: Option<String>,
        /// An invitation's token: into its room, in its role.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        invite: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        create: Option<NewRoom>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        role: Option<Role>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        resume_version: Option<u64>,
        /// Codecs the client decodes in `.bin` (`none` is always understood).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[ts(as = "Option<Vec<protocol::codec::Codec>>", optional)]
        codecs: Vec<protocol::codec::Codec>,
    },
    Ping {
        request_id: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        client_time: Option<f64>,
    },
    /// One operation on the show state.
    Op {
        request_id: u32,
        op: Op,
    },
    /// Replaces the state with a stored preset's (the presets API's id).
    LoadPreset {
        request_id: u32,
        preset_id: String,
    },
    /// The host sets a member's role.
    SetRole {
        request_id: u32,
        participant: String,
        role: Role,
    },
    /// Anything for the other members (or one: `target`, a participant id), relayed as it is.
    Message {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        request_id: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        target: Option<String>,
        #[ts(type = "unknown")]
        data: Value,
    },
    Leave {
        request_id: u32,
    },
    /// A single-use invitation into this room as `role` (default `controller`), valid `ttl_secs`
    /// (default a day, at most a week). Needs `canInviteOthers`.
    Invite {
        request_id: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        role: Option<Role>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        ttl_secs: Option<u64>,
    },
}

/// Server → client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome {
        request_id: u32,
        protocol_hash: String,
        room: RoomView,
        participant: Participant,
        /// The state's version now; a `state` or `delta` follows (nothing when `resume_version` was it).
        #[ts(type = "number")]
        version: u64,
        #[ts(type = "number")]
        server_time: i64,
        /// States are sent at most this often.
        fanout_hz: u32,
        /// Whether the hello named a version to resume from.
        resumed: bool,
    },
    Reply {
        request_id: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        version: Option<u64>,
    },
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        request_id: Option<u32>,
        code: ErrorCode,
        message: String,
    },
    Pong {
        request_id: u32,
        /// Unix ms, for the client's clock offset.
        #[ts(type = "number")]
        server_time: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        client_time: Option<f64>,
    },
    /// The whole state (after joining, or when the client missed a frame).
    State {
        #[ts(type = "number")]
        server_time: i64,
        state: ShowState,
    },
    /// The change since the state the connection last received (`delta.base`).
    Delta {
        #[ts(type = "number")]
        server_time: i64,
        delta: StateDelta,
    },
    /// The answer to `invite`: the token a joiner passes in its hello (`invite`).
    Invitation {
        request_id: u32,
        token: String,
        room: String,
        role: Role,
        #[ts(type = "number")]
        expires_at: i64,
    },
    /// `participant_joined`, `participant_left`, `role_changed`.
    Presence {
        event: String,
        participant: Participant,
    },
    /// Another member's message (`kind`: `broadcast`, `direct_message`, `voice_command`, …).
    Message {
        from: String,
        kind: String,
        #[ts(type = "unknown")]
        data: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        target: Option<String>,
    },
}

impl ServerMessage {
    pub fn error(request_id: Option<u32>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error {
            request_id,
            code,
            message: message.into(),
        }
    }

    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A control message's bytes in `.bin` with no compression: codec byte, kind byte, JSON.
pub fn bin_control(json: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 2);
    out.push(protocol::codec::Codec::None as u8);
    out.push(KIND_CONTROL);
    out.extend_from_slice(json.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_documented() {
        let hello: ClientMessage = serde_json::from_str(
            r#"{"type":"hello","request_id":1,"protocol_hash":"x","room":"ABC234","resume_version":4,"codecs":["deflate"]}"#,
        )
        .unwrap();
        assert!(matches!(
            hello,
            ClientMessage::Hello {
                resume_version: Some(4),
                ..
            }
        ));
        let op: ClientMessage = serde_json::from_str(
            r#"{"type":"op","request_id":2,"op":{"op":"set_parameters","parameters":{"hue":0.5}}}"#,
        )
        .unwrap();
        assert!(matches!(op, ClientMessage::Op { request_id: 2, .. }));
        let bad = serde_json::from_str::<ClientMessage>(r#"{"type":"ping"}"#);
        assert!(bad.is_err(), "request_id is needed");
        let err = ServerMessage::error(None, ErrorCode::Forbidden, "no").json();
        assert_eq!(err, r#"{"type":"error","code":"forbidden","message":"no"}"#);
    }
}
