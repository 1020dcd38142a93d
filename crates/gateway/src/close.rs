//! Why a connection ends: one enum of causes (the metric label and log field) and the close frame that
//! goes with it. Nothing here matches error texts: the causes are decided where the event is known.

use std::fmt;

/// Why a connection was closed. [`CloseCause::as_str`] is the `cause` label of
/// `cosmic_ws_connections_closed_total` and the `cause` field of the log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseCause {
    /// The client sent a close frame (answered with ours: the handshake completes).
    ClientClosed,
    /// The socket ended without a close frame.
    ClientGone,
    /// The client broke the WebSocket protocol (bad framing, unmasked frame, invalid UTF-8 …).
    ProtocolError,
    /// A message over `max_message_size`.
    TooBig,
    /// Nothing read for `idle_timeout`.
    IdleTimeout,
    /// Too many messages refused by the rate limit.
    RateLimited,
    /// The client does not read: its reply queue filled or a write timed out.
    SlowConsumer,
    /// The server is shutting down (the client may reconnect).
    Shutdown,
    /// The feed the connection followed has ended (its source stopped; the client may reconnect).
    FeedEnded,
    /// No hello within `hello_timeout`.
    HelloTimeout,
    /// The session refused the connection after its handshake (the error message says why).
    Refused,
    /// Bad or expired credentials.
    Unauthorized,
    /// A server-side failure (storage, an actor gone).
    Internal,
    /// Closed by the server for another reason.
    Server,
}

impl CloseCause {
    /// Every cause, for pre-registering metric series.
    pub const ALL: [Self; 14] = [
        Self::ClientClosed,
        Self::ClientGone,
        Self::ProtocolError,
        Self::TooBig,
        Self::IdleTimeout,
        Self::RateLimited,
        Self::SlowConsumer,
        Self::Shutdown,
        Self::FeedEnded,
        Self::HelloTimeout,
        Self::Refused,
        Self::Unauthorized,
        Self::Internal,
        Self::Server,
    ];

    /// The metric label and log field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientClosed => "client_closed",
            Self::ClientGone => "client_gone",
            Self::ProtocolError => "protocol_error",
            Self::TooBig => "too_big",
            Self::IdleTimeout => "idle_timeout",
            Self::RateLimited => "rate_limited",
            Self::SlowConsumer => "slow_consumer",
            Self::Shutdown => "shutdown",
            Self::FeedEnded => "feed_ended",
            Self::HelloTimeout => "hello_timeout",
            Self::Refused => "refused",
            Self::Unauthorized => "unauthorized",
            Self::Internal => "internal",
            Self::Server => "server",
        }
    }

    /// Whether the client's input is read until its close frame after ours went out. Not when it
    /// closed or went away already, nor when its input can no longer be parsed (a protocol error, a
    /// message over the socket layer's limit).
    pub fn drains_input(self) -> bool {
        !matches!(
            self,
            Self::ClientClosed | Self::ClientGone | Self::ProtocolError | Self::TooBig
        )
    }
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Close codes of RFC 6455 the gateway sends.
pub mod code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message that is not UTF-8 (RFC 6455 §7.4.1).
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const INTERNAL: u16 = 1011;
    pub const RESTART: u16 = 1012;
}

/// Why and how a connection is being closed: the close frame's code and reason, and the cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    /// The close frame's reason text (at most 123 bytes are sent).
    pub reason: String,
    pub cause: CloseCause,
}

impl CloseReason {
    pub fn new(code: u16, reason: impl Into<String>, cause: CloseCause) -> Self {
        Self {
            code,
            reason: reason.into(),
            cause,
        }
    }

    /// The reason cut to what a close frame holds (123 bytes), on a character boundary.
    pub fn frame_reason(&self) -> &str {
        let mut end = self.reason.len().min(123);
        while !self.reason.is_char_boundary(end) {
            end -= 1;
        }
        &self.reason[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_distinct() {
        let mut labels: Vec<_> = CloseCause::ALL.iter().map(|c| c.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), CloseCause::ALL.len());
    }

    #[test]
    fn long_reasons_fit_a_close_frame() {
        let r = CloseReason::new(1000, "é".repeat(100), CloseCause::Server);
        assert!(r.frame_reason().len() <= 123);
        assert!(r.frame_reason().chars().all(|c| c == 'é'));
    }
}
