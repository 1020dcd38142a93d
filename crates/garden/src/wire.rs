//! The garden's messages as socket messages: a v1 control message in a connection's framing (binary:
//! codec byte, kind byte, JSON; JSON subprotocol: the JSON text) and a v0 message as its JSON text.

use gateway::Message;
use protocol::Codec;
use protocol::v0;
use protocol::v1::{KIND_CONTROL, ServerMessage};

/// Which of the garden's encodings a connection takes (the gateway cursor's `format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Format {
    /// v0 compat JSON.
    V0 = 0,
    /// `cosmic.v1.json`.
    V1Json = 1,
    /// `cosmic.v1.bin`.
    V1Bin = 2,
}

impl Format {
    pub fn from_u8(b: u8) -> Self {
        match b {
            1 => Self::V1Json,
            2 => Self::V1Bin,
            _ => Self::V0,
        }
    }
}

/// A v1 control message in the connection's framing.
pub fn control(msg: &ServerMessage, format: Format) -> Message {
    let json = serde_json::to_vec(msg).unwrap_or_default();
    match format {
        Format::V1Bin => {
            let mut out = Vec::with_capacity(json.len() + 2);
            out.push(Codec::None as u8);
            out.push(KIND_CONTROL);
            out.extend_from_slice(&json);
            Message::Binary(out.into())
        }
        _ => Message::Text(String::from_utf8(json).unwrap_or_default().into()),
    }
}

/// A v0 message as its JSON text.
pub fn v0_text(msg: &v0::ServerMessage) -> Message {
    Message::Text(serde_json::to_string(msg).unwrap_or_default().into())
}
