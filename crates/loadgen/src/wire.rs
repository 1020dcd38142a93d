//! Turning server messages into the few facts the load generator counts, as cheaply as possible, and
//! building the client's requests.
//!
//! Without `--verify` only headers are read: the `type`, `tick`, `time_us`, `request_id` and `code` of JSON
//! messages (borrowed, the rest skipped), and the first varints of binary world frames. With `--verify`
//! every frame is decoded fully and applied to a per-client [`WorldView`]. Bad input is an
//! [`Event::Bad`], never a panic.

use protocol::Codec;
use protocol::frame::{self, WorldView};
use protocol::v1::{ClientMessage, KIND_CONTROL};
use protocol::varint::Reader;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::cli::Proto;
use crate::head::{self, HEAD};

/// Largest decompressed message accepted.
const MAX_MESSAGE: usize = 64 << 20;
const SNAPSHOT: u8 = 2;
const DELTA: u8 = 3;
/// Bytes of a JSON message searched for a world frame's `time_us`.
const JSON_HEAD: usize = 160;

/// What a message was, as far as the load generator cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A world frame (v0: `GameState`, which carries no publish time). `verified`: false when `--verify`
    /// found it inconsistent with the client's view.
    Frame {
        time_us: Option<u64>,
        verified: bool,
    },
    Welcome,
    Reply {
        request_id: u32,
    },
    Error {
        request_id: Option<u32>,
        code: &'a str,
    },
    /// v0 answer to `CreateBody` (v0 has no request ids: answers come in order).
    V0Created {
        ok: bool,
    },
    Other,
    Bad,
}

/// The header fields of any JSON message, borrowed from the text.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    time_us: Option<u64>,
    request_id: Option<u32>,
    /// A string in `error`, a number in `closing`.
    #[serde(borrow)]
    code: Option<&'a RawValue>,
    success: Option<bool>,
}

/// One client's decoder: its protocol, and with `--verify` its view of the world.
#[derive(Debug)]
pub struct Decoder {
    proto: Proto,
    verify: bool,
    view: WorldView,
    scratch: Vec<u8>,
}

impl Decoder {
    pub fn new(proto: Proto, verify: bool) -> Self {
        Self {
            proto,
            verify,
            view: WorldView::default(),
            scratch: Vec::new(),
        }
    }

    pub fn text<'a>(&'a mut self, text: &'a str) -> Event<'a> {
        if !self.verify
            && let Some(event) = json_frame_head(text.as_bytes())
        {
            return event;
        }
        let Ok(head) = serde_json::from_str::<Head<'_>>(text) else {
            return Event::Bad;
        };
        let event = head_event(&head);
        if !self.verify {
            return event;
        }
        match (self.proto, event) {
            (Proto::V0, e) => match serde_json::from_str::<protocol::v0::ServerMessage>(text) {
                Ok(_) => e,
                Err(_) => Event::Bad,
            },
            (_, Event::Frame { time_us, .. }) => {
                let verified = serde_json::from_str::<protocol::Frame>(text)
                    .is_ok_and(|f| frame::apply(&mut self.view, &f).is_ok());
                Event::Frame { time_us, verified }
            }
            (_, e) => e,
        }
    }

    pub fn binary<'a>(&'a mut self, message: &'a [u8]) -> Event<'a> {
        if !self.verify
            && let Some(event) = compressed_frame_head(message)
        {
            return event;
        }
        let payload: &[u8] = match message.split_first() {
            Some((0, rest)) => rest,
            Some(_) => match protocol::codec::decompress(message, MAX_MESSAGE) {
                Ok((_, bytes)) => {
                    self.scratch = bytes;
                    &self.scratch
                }
                Err(_) => return Event::Bad,
            },
            None => return Event::Bad,
        };
        match payload.split_first() {
            Some((&KIND_CONTROL, json)) => serde_json::from_slice::<Head<'_>>(json)
                .map_or(Event::Bad, |head| head_event(&head)),
            Some((&(SNAPSHOT | DELTA), _)) if self.verify => match frame::decode(payload) {
                Ok(f) => Event::Frame {
                    time_us: Some(f.time_us()),
                    verified: frame::apply(&mut self.view, &f).is_ok(),
                },
                Err(_) => Event::Bad,
            },
            Some((&(SNAPSHOT | DELTA), _)) => {
                frame_time(payload).map_or(Event::Bad, |t| Event::Frame {
                    time_us: Some(t),
                    verified: true,
                })
            }
            _ => Event::Bad,
        }
    }
}

/// A JSON world frame recognised from its first bytes (serde writes `type` first, then the ticks and
/// `time_us`, then the bodies), so a large frame is not scanned to the end; `None` if the prefix is not
/// as expected, and the caller parses the whole message.
fn json_frame_head(text: &[u8]) -> Option<Event<'static>> {
    const KEY: &[u8] = br#""time_us":"#;
    let head = text.get(..text.len().min(JSON_HEAD))?;
    if head.starts_with(br#"{"type":"GameState""#) {
        return Some(Event::Frame {
            time_us: None,
            verified: true,
        });
    }
    if !(head.starts_with(br#"{"type":"snapshot""#) || head.starts_with(br#"{"type":"delta""#)) {
        return None;
    }
    let at = head.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits = head.get(at..)?;
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    let time_us = std::str::from_utf8(digits.get(..end)?).ok()?.parse().ok()?;
    Some(Event::Frame {
        time_us: Some(time_us),
        verified: true,
    })
}

/// A compressed world frame read from its decompressed head only (see [`head`]); `None` for anything
/// else (control messages, uncompressed messages), which the caller decodes fully.
fn compressed_frame_head(message: &[u8]) -> Option<Event<'static>> {
    let (&byte, body) = message.split_first()?;
    let codec = Codec::from_byte(byte).filter(|c| *c != Codec::None)?;
    let frame = |t| Event::Frame {
        time_us: Some(t),
        verified: true,
    };
    let key = head::fingerprint(message);
    if let Some(t) = head::cached_time(key) {
        return Some(frame(t));
    }
    let mut out = [0; HEAD];
    let n = head::decode(codec, body, &mut out)?;
    match out.get(..n)? {
        h @ [SNAPSHOT | DELTA, ..] => Some(frame_time(h).map_or(Event::Bad, |t| {
            head::remember_time(key, t);
            frame(t)
        })),
        _ => None,
    }
}

/// The publish time of a binary world frame, from its first varints only.
fn frame_time(payload: &[u8]) -> Option<u64> {
    let mut r = Reader::new(payload);
    if r.u8().ok()? == DELTA {
        r.u64().ok()?; // base tick
    }
    r.u64().ok()?; // tick
    r.u64().ok()
}

fn head_event<'a>(h: &Head<'a>) -> Event<'a> {
    match h.kind {
        "snapshot" | "delta" => Event::Frame {
            time_us: h.time_us,
            verified: true,
        },
        "GameState" => Event::Frame {
            time_us: None,
            verified: true,
        },
        "welcome" => Event::Welcome,
        "reply" => h
            .request_id
            .map_or(Event::Bad, |request_id| Event::Reply { request_id }),
        "error" => Event::Error {
            request_id: h.request_id,
            code: h.code.map_or("unknown", |c| c.get().trim_matches('"')),
        },
        "BodyCreated" => Event::V0Created {
            ok: h.success.unwrap_or(false),
        },
        "Error" => Event::Error {
            request_id: None,
            code: "v0_error",
        },
        _ => Event::Other,
    }
}

/// The v1 `hello`, the same for every client (without a token the clients only watch).
pub fn hello(world: Option<u64>, codecs: Vec<protocol::Codec>, token: Option<String>) -> String {
    to_json(&ClientMessage::Hello {
        request_id: 1,
        protocol_hash: protocol::v1::protocol_hash_hex(),
        token,
        world,
        resume_tick: None,
        codecs: Some(codecs),
    })
}

pub fn ping(request_id: u32) -> String {
    to_json(&ClientMessage::Ping { request_id })
}

pub fn create(request_id: u32, position: [f64; 3]) -> String {
    to_json(&ClientMessage::CreateBody {
        request_id,
        kind: "asteroid".into(),
        position,
        velocity: None,
    })
}

pub fn v0_create(position: [f64; 3]) -> String {
    let [x, y, z] = position;
    format!(r#"{{"type":"CreateBody","body_type":"Asteroid","position":[{x},{y},{z}]}}"#)
}

pub const V0_HEARTBEAT: &str = r#"{"type":"Heartbeat"}"#;

fn to_json(m: &ClientMessage) -> String {
    // Serializing these plain enums cannot fail; an empty message would be answered by bad_message.
    serde_json::to_string(m).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_without_panicking() {
        let mut d = Decoder::new(Proto::V1Json, false);
        let e = d
            .text(r#"{"type":"error","request_id":7,"code":"not_enough_resources","message":"x"}"#);
        assert_eq!(
            e,
            Event::Error {
                request_id: Some(7),
                code: "not_enough_resources"
            }
        );
        assert_eq!(
            d.text(r#"{"type":"closing","code":1001,"reason":"x","retry_after_ms":null}"#),
            Event::Other
        );
        assert_eq!(d.text("{not json"), Event::Bad);
        let view = WorldView {
            tick: 2,
            time_us: 987_654_321,
            bodies: Vec::new(),
        };
        let snapshot = protocol::v1::ServerMessage::Frame(frame::snapshot(&view, &[]));
        let json = serde_json::to_string(&snapshot).expect("serializable");
        assert_eq!(
            d.text(&json),
            Event::Frame {
                time_us: Some(987_654_321),
                verified: true
            }
        );
        assert_eq!(d.binary(&[]), Event::Bad);
        assert_eq!(d.binary(&[9, 1, 2]), Event::Bad);

        let view = WorldView {
            tick: 5,
            time_us: 1_234_567,
            bodies: Vec::new(),
        };
        let mut bytes = vec![0];
        frame::encode(&frame::snapshot(&view, &[]), &mut bytes);
        for verify in [false, true] {
            let mut d = Decoder::new(Proto::V1Bin, verify);
            assert_eq!(
                d.binary(&bytes),
                Event::Frame {
                    time_us: Some(1_234_567),
                    verified: true
                }
            );
            assert_eq!(d.binary(&bytes[..3]), Event::Bad);
        }
    }

    #[test]
    fn reads_the_time_of_compressed_frames() {
        // Events rather than bodies make the payload large: their layout changes less often.
        let events: Vec<_> = (1..2_000)
            .map(|body| protocol::WireEvent::Collapsed { body })
            .collect();
        let view = WorldView {
            tick: 300,
            time_us: 1_700_000_000_000_000,
            bodies: Vec::new(),
        };
        let mut payload = Vec::new();
        frame::encode(&frame::snapshot(&view, &events), &mut payload);
        for codec in [Codec::Lz4, Codec::Deflate, Codec::Zstd] {
            let mut message = Vec::new();
            protocol::codec::compress_into(codec, &payload, &mut message);
            for verify in [false, true] {
                let mut d = Decoder::new(Proto::V1Bin, verify);
                let e = d.binary(&message);
                let want = Event::Frame {
                    time_us: Some(view.time_us),
                    verified: true,
                };
                assert_eq!(e, want, "{codec:?} verify={verify}");
            }
        }
    }
}
