//! Server → client WebSocket frames built once, header included, ready to be written as they are.
//!
//! A server's frames are not masked (RFC 6455 §5.1), so every connection that is sent the same message
//! is sent the same bytes: an application builds a [`Wire`] once per tick per encoding and every
//! connection writes that one `Bytes`.

use bytes::{BufMut, Bytes, BytesMut};
use tungstenite::Message;

const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;
const FIN: u8 = 0x80;

/// One complete, unfragmented WebSocket frame as it goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wire {
    bytes: Bytes,
    /// Bytes of the payload (what the metrics count as the message's size).
    payload: usize,
}

impl Wire {
    /// A binary message.
    pub fn binary(payload: &[u8]) -> Self {
        Self::frame(OP_BINARY, payload)
    }

    /// A text message.
    pub fn text(payload: &str) -> Self {
        Self::frame(OP_TEXT, payload.as_bytes())
    }

    /// A ping with no payload.
    pub fn ping() -> Self {
        Self::frame(OP_PING, &[])
    }

    /// The close frame for `code` and `reason` (cut to 123 bytes by the caller).
    pub fn close(code: u16, reason: &str) -> Self {
        let mut payload = Vec::with_capacity(2 + reason.len());
        payload.extend_from_slice(&code.to_be_bytes());
        payload.extend_from_slice(reason.as_bytes());
        Self::frame(OP_CLOSE, &payload)
    }

    /// A message a session queued. Close frames are the gateway's: a `Close` here becomes 1000.
    pub fn message(msg: &Message) -> Self {
        match msg {
            Message::Text(t) => Self::text(t.as_str()),
            Message::Binary(b) => Self::binary(b),
            Message::Ping(p) => Self::frame(OP_PING, p),
            Message::Pong(p) => Self::frame(OP_PONG, p),
            Message::Close(c) => match c {
                Some(c) => Self::close(c.code.into(), c.reason.as_str()),
                None => Self::close(crate::close::code::NORMAL, ""),
            },
            Message::Frame(f) => Self::binary(f.payload()),
        }
    }

    fn frame(opcode: u8, payload: &[u8]) -> Self {
        let len = payload.len();
        let mut out = BytesMut::with_capacity(len + 10);
        out.put_u8(FIN | opcode);
        match len {
            0..=125 => out.put_u8(len as u8),
            126..=65_535 => {
                out.put_u8(126);
                out.put_u16(len as u16);
            }
            _ => {
                out.put_u8(127);
                out.put_u64(len as u64);
            }
        }
        out.put_slice(payload);
        Self {
            bytes: out.freeze(),
            payload: len,
        }
    }

    /// The frame's bytes, header included.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The frame's bytes, header included.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The payload alone (shares the frame's bytes).
    pub fn payload(&self) -> Bytes {
        self.bytes.slice(self.bytes.len() - self.payload..)
    }

    /// The payload's size.
    pub fn payload_len(&self) -> usize {
        self.payload
    }

    /// Whether the frame is a data message (text or binary), which the metrics count.
    pub(crate) fn is_data(&self) -> bool {
        matches!(
            self.bytes.first().map(|b| b & 0x0F),
            Some(OP_TEXT | OP_BINARY)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tungstenite::protocol::frame::coding::CloseCode;
    use tungstenite::protocol::{CloseFrame, Role, WebSocket};

    /// Reads `wire` back with tungstenite as a client would.
    fn read_back(wire: &Wire) -> Message {
        let stream = std::io::Cursor::new(wire.bytes().to_vec());
        let mut ws = WebSocket::from_raw_socket(stream, Role::Client, None);
        ws.read().expect("a valid frame")
    }

    #[test]
    fn every_length_encoding_reads_back() {
        for len in [0, 1, 125, 126, 127, 65_535, 65_536, 70_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let wire = Wire::binary(&payload);
            assert_eq!(wire.payload_len(), len);
            assert_eq!(wire.payload(), payload);
            assert_eq!(
                read_back(&wire),
                Message::Binary(payload.into()),
                "len {len}"
            );
        }
    }

    #[test]
    fn text_ping_and_close_read_back() {
        assert_eq!(read_back(&Wire::text("héllo")), Message::text("héllo"));
        assert_eq!(read_back(&Wire::ping()), Message::Ping(Bytes::new()));
        let close = read_back(&Wire::close(1008, "too slow"));
        assert_eq!(
            close,
            Message::Close(Some(CloseFrame {
                code: CloseCode::Policy,
                reason: "too slow".into()
            }))
        );
        assert!(Wire::text("x").is_data() && !Wire::ping().is_data());
    }
}
