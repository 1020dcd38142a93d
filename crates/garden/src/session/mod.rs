//! The garden's sessions at `/ws`: v0 (compat JSON, no subprotocol) and v1 (`cosmic.v1.bin`,
//! `cosmic.v1.json`). Each decodes and validates a client's messages into typed commands for its world
//! actor and answers in its protocol's words; the gateway does the rest.

mod admit;
mod reply;
mod v0;
mod v1;

use gateway::Message;
use gateway::close::code;
use gateway::{
    Application, CloseCause, CloseReason, Flow, Handshake, Incoming, Link, Protocol, Session,
};
use protocol::v1::{SUBPROTOCOL_BIN, SUBPROTOCOL_JSON, ServerMessage};

use crate::Garden;
use crate::wire::{Format, control};

/// The protocols of `/ws`, the preferred first.
pub const PROTOCOLS: &[Protocol] = &[
    Protocol {
        subprotocol: Some(SUBPROTOCOL_BIN),
        label: "v1_bin",
    },
    Protocol {
        subprotocol: Some(SUBPROTOCOL_JSON),
        label: "v1_json",
    },
    Protocol {
        subprotocol: None,
        label: "v0",
    },
];

/// How long a client told to reconnect (shutdown, a world stopping) should wait first.
pub const RECONNECT_AFTER_MS: u64 = 2_000;

fn format_of(protocol: Protocol) -> Format {
    match protocol.subprotocol {
        Some(SUBPROTOCOL_BIN) => Format::V1Bin,
        Some(SUBPROTOCOL_JSON) => Format::V1Json,
        _ => Format::V0,
    }
}

/// One connection's session.
#[derive(Debug)]
pub enum GardenSession {
    V0(v0::V0Session),
    V1(v1::V1Session),
}

impl Application for Garden {
    type Session = GardenSession;

    fn name(&self) -> &'static str {
        crate::APP
    }

    fn protocols(&self) -> &'static [Protocol] {
        PROTOCOLS
    }

    async fn open(&self, handshake: Handshake, link: Link) -> Result<GardenSession, CloseReason> {
        Ok(match format_of(handshake.protocol) {
            Format::V0 => GardenSession::V0(v0::V0Session::open(self, handshake, link).await?),
            format => GardenSession::V1(v1::V1Session::new(self, handshake, link, format)),
        })
    }

    /// v1 clients are told `closing` with a time to come back when the server shuts down or their world
    /// stops; v0 has no such message (its client reconnects on the close frame).
    fn farewell(&self, protocol: Protocol, reason: &CloseReason) -> Option<Message> {
        let format = format_of(protocol);
        let reconnect = matches!(reason.cause, CloseCause::Shutdown | CloseCause::FeedEnded);
        if format == Format::V0 || !reconnect {
            return None;
        }
        let msg = ServerMessage::Closing {
            code: reason.code,
            reason: reason.reason.clone(),
            retry_after_ms: Some(RECONNECT_AFTER_MS),
        };
        Some(control(&msg, format))
    }
}

impl Session for GardenSession {
    fn awaiting_hello(&self) -> bool {
        match self {
            Self::V0(_) => false,
            Self::V1(s) => s.awaiting_hello(),
        }
    }

    async fn on_message(&mut self, msg: Incoming) -> Flow {
        match self {
            Self::V0(s) => s.on_message(msg).await,
            Self::V1(s) => s.on_message(msg).await,
        }
    }

    async fn on_close(self, _reason: &CloseReason) {
        match self {
            Self::V0(s) => s.leave(),
            Self::V1(s) => s.leave(),
        }
    }
}

/// Closes after a refusal the client has been told about.
fn refused(reason: &str) -> CloseReason {
    CloseReason::new(code::POLICY, reason, CloseCause::Refused)
}
