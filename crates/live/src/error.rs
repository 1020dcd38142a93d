//! Typed errors: every refusal a live client can get, with a code it can branch on and a message a
//! person can read.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What went wrong, as a client branches on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not valid JSON, or not a message of the protocol.
    InvalidMessage,
    /// A well-formed operation the state cannot take (an unknown layer, a value out of range).
    InvalidOperation,
    /// Over a limit: state size, layers, parameters, name length, message rate.
    LimitExceeded,
    /// The participant's role or capabilities do not allow this.
    Forbidden,
    /// `host_wins`: the host wrote this within the last second.
    Conflict,
    /// No such room, layer, participant or preset (or one the caller may not see).
    NotFound,
    /// The room has `maxParticipants` members.
    RoomFull,
    /// A token is needed (or the one given was refused).
    Unauthorized,
    /// The connection is in no room yet.
    NotInRoom,
    /// Too many messages: slow down.
    RateLimited,
    /// The room or the store did not answer; try again.
    Unavailable,
    /// `cosmic.live.v1`: a message before `hello`.
    HelloExpected,
    /// `cosmic.live.v1`: the client's protocol hash is not the server's.
    ProtocolMismatch,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidMessage => "invalid_message",
            Self::InvalidOperation => "invalid_operation",
            Self::LimitExceeded => "limit_exceeded",
            Self::Forbidden => "forbidden",
            Self::Conflict => "conflict",
            Self::NotFound => "not_found",
            Self::RoomFull => "room_full",
            Self::Unauthorized => "unauthorized",
            Self::NotInRoom => "not_in_room",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::HelloExpected => "hello_expected",
            Self::ProtocolMismatch => "protocol_mismatch",
        }
    }
}

/// A refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveError {
    pub code: ErrorCode,
    pub message: String,
}

impl LiveError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new(ErrorCode::Forbidden, format!("your role may not {what}"))
    }

    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::Unavailable,
            "the room is not answering; try again",
        )
    }
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for LiveError {}
