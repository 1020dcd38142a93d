//! A room's published state for `cosmic.live.v1` followers: the full state and the delta from the
//! previously published one, each encoded at most once per format (JSON text; `.bin` raw and, for
//! large frames, deflated), when a follower first needs it, and shared by every follower. A follower
//! that has the previous frame gets the delta; one that missed it (it just joined, or it was too slow
//! to take every frame) gets the full state.

use std::io::Write as _;
use std::sync::OnceLock;

use gateway::{Cursor, FeedFrame, Wire};
use protocol::codec::{Codec, compress_into};

use crate::delta::StateDelta;
use crate::state::ShowState;
use crate::v1::{KIND_CONTROL, ServerMessage, bin_control};

/// `Cursor::format` of a `.json` follower…
pub const FORMAT_JSON: u8 = 0;
/// …and of a `.bin` one.
pub const FORMAT_BIN: u8 = 1;

/// Frames smaller than this go out uncompressed (deflate would not pay for its header).
const COMPRESS_FROM: usize = 512;

/// One message in every form a follower may take, each encoded the first time a follower needs it
/// (and then shared): a room with only JSON followers never deflates.
#[derive(Debug)]
struct Encoded {
    json: String,
    text: OnceLock<Wire>,
    bin: OnceLock<Wire>,
    /// The deflated `.bin` form, when it is smaller (`None` inside: it is not).
    deflated: OnceLock<Option<Wire>>,
}

impl Encoded {
    fn new(msg: &ServerMessage) -> Self {
        Self {
            json: msg.json(),
            text: OnceLock::new(),
            bin: OnceLock::new(),
            deflated: OnceLock::new(),
        }
    }

    fn deflated(&self) -> Option<&Wire> {
        self.deflated
            .get_or_init(|| {
                let json = &self.json;
                if json.len() < COMPRESS_FROM {
                    return None;
                }
                let mut payload = Vec::with_capacity(json.len() + 1);
                payload.push(KIND_CONTROL);
                let _ = payload.write_all(json.as_bytes());
                let mut out = Vec::with_capacity(json.len() / 2);
                compress_into(Codec::Deflate, &payload, &mut out);
                (out.len() < payload.len()).then(|| Wire::binary(&out))
            })
            .as_ref()
    }

    fn for_cursor(&self, cursor: &Cursor) -> Wire {
        if cursor.format == FORMAT_JSON {
            return self.text.get_or_init(|| Wire::text(&self.json)).clone();
        }
        if cursor.codecs & Codec::Deflate.bit() != 0
            && let Some(d) = self.deflated()
        {
            return d.clone();
        }
        self.bin
            .get_or_init(|| Wire::binary(&bin_control(&self.json)))
            .clone()
    }
}

/// What a room publishes after a change (at most `fanout_hz` a second).
#[derive(Debug)]
pub struct LiveFrame {
    pub version: u64,
    /// The version of the frame published before this one (`None`: the first of the room).
    pub base: Option<u64>,
    full: Encoded,
    delta: Option<Encoded>,
}

impl LiveFrame {
    /// The frame for `state`, with its delta from `previous` (the state of the last published frame).
    pub fn new(previous: Option<&ShowState>, state: &ShowState, server_time: i64) -> Self {
        let full = Encoded::new(&ServerMessage::State {
            server_time,
            state: state.clone(),
        });
        let delta = previous.map(|p| {
            Encoded::new(&ServerMessage::Delta {
                server_time,
                delta: StateDelta::between(p, state),
            })
        });
        Self {
            version: state.version,
            base: previous.map(|p| p.version),
            full,
            delta,
        }
    }
}

impl FeedFrame for LiveFrame {
    fn emit(&self, cursor: &mut Cursor, out: &mut Vec<Wire>) {
        if cursor.base == Some(self.version) {
            return;
        }
        let wire = match (&self.delta, self.base) {
            (Some(d), Some(base)) if cursor.base == Some(base) => d.for_cursor(cursor),
            _ => self.full.for_cursor(cursor),
        };
        out.push(wire);
        cursor.base = Some(self.version);
        cursor.sent += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Value;

    fn text(w: &Wire) -> serde_json::Value {
        let payload = w.payload();
        serde_json::from_slice(&payload).unwrap()
    }

    #[test]
    fn a_follower_gets_the_full_state_then_deltas_then_nothing() {
        let a = ShowState::default();
        let mut b = a.clone();
        b.version = 1;
        b.parameters.insert("hue".into(), Value::Number(0.25));
        let first = LiveFrame::new(None, &a, 5);
        let second = LiveFrame::new(Some(&a), &b, 6);
        let mut cursor = Cursor::default();
        let mut out = Vec::new();
        first.emit(&mut cursor, &mut out);
        second.emit(&mut cursor, &mut out);
        second.emit(&mut cursor, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(text(&out[0])["type"], "state");
        assert_eq!(text(&out[1])["type"], "delta");
        assert_eq!(text(&out[1])["delta"]["parameters"]["hue"], 0.25);
        // One that missed the first frame gets the whole state.
        let mut late = Cursor::default();
        let mut out = Vec::new();
        second.emit(&mut late, &mut out);
        assert_eq!(text(&out[0])["type"], "state");
        assert_eq!(late.base, Some(1));
    }

    #[test]
    fn large_bin_frames_are_deflated_for_clients_that_take_it() {
        let mut s = ShowState::default();
        for i in 0..100 {
            s.parameters
                .insert(format!("p{i}"), Value::Number(f64::from(i)));
        }
        let f = LiveFrame::new(None, &s, 0);
        let mut out = Vec::new();
        let mut raw = Cursor {
            format: FORMAT_BIN,
            ..Cursor::default()
        };
        f.emit(&mut raw, &mut out);
        let mut z = Cursor {
            format: FORMAT_BIN,
            codecs: Codec::Deflate.bit(),
            ..Cursor::default()
        };
        f.emit(&mut z, &mut out);
        let (codec, payload) = protocol::codec::decompress(&out[1].payload(), 1 << 20).unwrap();
        assert_eq!(codec, Codec::Deflate);
        assert_eq!(&payload[1..], &out[0].payload()[2..]);
        assert!(out[1].payload_len() < out[0].payload_len());
    }
}
