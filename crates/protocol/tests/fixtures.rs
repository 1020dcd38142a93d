//! Golden binary messages for the TypeScript decoder, committed at `web/src/net/fixtures/frames.json`.
//!
//! A fixed world goes through a snapshot, a one-tick (predicted) delta and a multi-tick delta (with
//! motions), each made into the exact binary WebSocket message the server sends (codec byte, then the
//! compressed payload) with codecs none, lz4 and deflate; plus a `welcome` control message as
//! `ws/writer.rs` frames it. Each case carries the frame and control message as serde JSON and the bodies
//! the client holds after applying the frames in order, so the web client's tests can decode every
//! message and compare. This test fails when the file is stale; regenerate it with
//! `UPDATE_TS_TYPES=1 cargo test -p protocol --test fixtures`.
//!
//! Masses and radii are dyadic fractions (12.5, 63.71875, …): exact in f32 and printed exactly in JSON,
//! so a decoder's f32 reads compare equal to the JSON numbers without rounding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use protocol::codec::{Codec, compress_into};
use protocol::frame::{
    self, Frame, WireBody, WireEvent, WorldView, apply, delta, encode, snapshot,
};
use protocol::v1::{KIND_CONTROL, ServerMessage};
use serde_json::{Value, json};

const REGENERATE: &str = "UPDATE_TS_TYPES=1 cargo test -p protocol --test fixtures";
/// 2026-01-01T00:00:00Z in microseconds; ticks are 50 ms apart.
const T0_US: u64 = 1_767_225_600_000_000;
const TICK_US: u64 = 50_000;
const CODECS: [Codec; 3] = [Codec::None, Codec::Lz4, Codec::Deflate];
/// Asteroids in the belt (ids 100…): enough bodies that lz4 and deflate have something to compress.
const BELT: u64 = 40;

#[allow(clippy::too_many_arguments)]
fn body(
    id: u64,
    kind: u8,
    owner: u64,
    pos: [i32; 3],
    mv: [i32; 3],
    mass: f32,
    radius: f32,
    life: u8,
) -> WireBody {
    WireBody {
        id,
        kind,
        owner,
        pos,
        // One tick is 1/20 s; velocity quanta are 1/64 unit/s and position quanta 1/256 unit.
        vel: mv.map(|v| v * 5),
        mv,
        mass,
        radius,
        life,
    }
}

/// Tick 1000: a star, a black hole, a planet with plant life and its moon (player 7's), a fast comet, a
/// dwarf planet and a belt of [`BELT`] asteroids, at positions out to ±12,000,000.
fn view0() -> WorldView {
    let mut bodies = vec![
        body(1, 12, 0, [0, 0, 0], [1, 0, -1], 16_000_000.0, 4096.5, 0),
        body(
            2,
            5,
            0,
            [-12_000_000, 12_000_000, -3_000_000],
            [0, 0, 0],
            8_000_000.5,
            1024.25,
            0,
        ),
        body(
            7,
            4,
            7,
            [12_000_000, -4_500_000, 250_000],
            [-240, 128, 1],
            5973.5,
            63.71875,
            2,
        ),
        body(
            8,
            2,
            7,
            [12_001_500, -4_499_000, 250_010],
            [-245, 130, 2],
            73.25,
            17.375,
            0,
        ),
        body(
            15,
            1,
            0,
            [-11_999_999, -12_000_000, 12_000_000],
            [4000, 3800, -2500],
            0.5,
            0.0625,
            0,
        ),
        body(
            21,
            3,
            7,
            [-7_654_321, 1_234_567, -89_012],
            [17, -33, 0],
            1.5,
            3.0,
            0,
        ),
    ];
    for i in 0..BELT as i32 {
        let sign = if i % 2 == 0 { 1 } else { -1 };
        bodies.push(body(
            100 + i as u64,
            0,
            0,
            [1_000_000 + i * 37_000, -i * 12_345, (i % 3 - 1) * 8_000],
            [sign * (i % 5), 3, -(i % 2)],
            12.5 + (i % 4) as f32 * 0.25,
            0.75,
            0,
        ));
    }
    WorldView {
        tick: 1000,
        time_us: T0_US,
        bodies,
    }
}

/// One tick later: every body follows its motion plus a residual (0, small, one large), the comet is
/// absorbed by the planet (removed; the planet's mass changes), player 7 creates a new planet.
fn view1(v0: &WorldView) -> (WorldView, Vec<WireEvent>) {
    let mut bodies = Vec::new();
    for (n, b) in v0.bodies.iter().enumerate() {
        let n = n as i32;
        let r = match b.id {
            1 => [0, 0, 0],
            2 => [1, -1, 0],
            7 => [-3, 2, 0],
            8 => [-2, 1, -1],
            15 => continue,
            21 => [300, -301, 2],
            _ => [n % 3 - 1, 0, n % 2],
        };
        let mut next = b.clone();
        next.mv = std::array::from_fn(|k| b.mv[k] + r[k]);
        next.pos = std::array::from_fn(|k| b.pos[k] + next.mv[k]);
        if b.id == 7 {
            next.mass = 5974.0;
        }
        bodies.push(next);
    }
    bodies.push(body(
        40,
        4,
        7,
        [500_000, 500_000, -500_000],
        [0, 0, 0],
        10.0,
        2.5,
        0,
    ));
    bodies.sort_by_key(|b| b.id);
    let view = WorldView {
        tick: v0.tick + 1,
        time_us: v0.time_us + TICK_US,
        bodies,
    };
    let events = vec![WireEvent::Merged {
        survivor: 7,
        absorbed: 15,
    }];
    (view, events)
}

/// Three ticks after `v1`: bodies move about three times their motion and their motion changes; the
/// planet's life advances to animals; the last asteroid of the belt escapes.
fn view3(v1: &WorldView) -> (WorldView, Vec<WireEvent>) {
    let mut bodies = Vec::new();
    for (n, b) in v1.bodies.iter().enumerate() {
        if b.id == 99 + BELT {
            continue;
        }
        let n = n as i32;
        let mut next = b.clone();
        let drift = [n % 4 - 2, 1 - n % 3, n % 2];
        next.pos = std::array::from_fn(|k| b.pos[k] + 3 * b.mv[k] + drift[k]);
        next.mv = std::array::from_fn(|k| b.mv[k] + drift[k]);
        if b.id == 7 {
            next.life = 3;
        }
        bodies.push(next);
    }
    let view = WorldView {
        tick: v1.tick + 3,
        time_us: v1.time_us + 3 * TICK_US,
        bodies,
    };
    let events = vec![
        WireEvent::LifeAdvanced { body: 7, stage: 3 },
        WireEvent::Escaped { body: 99 + BELT },
    ];
    (view, events)
}

fn frame_message(codec: Codec, frame: &Frame) -> Vec<u8> {
    let mut payload = Vec::new();
    encode(frame, &mut payload);
    let mut out = Vec::new();
    compress_into(codec, &payload, &mut out);
    out
}

/// As `ws/writer.rs` `control` frames it for `cosmic.v1.bin`: codec byte, [`KIND_CONTROL`], the JSON.
fn control_message(codec: Codec, msg: &ServerMessage) -> Vec<u8> {
    let mut payload = vec![KIND_CONTROL];
    payload.extend_from_slice(&serde_json::to_vec(msg).unwrap());
    let mut out = Vec::new();
    compress_into(codec, &payload, &mut out);
    out
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every case, checking on the way that each message decodes back to its frame and applies in sequence.
fn cases() -> Value {
    let v0 = view0();
    let (v1, events1) = view1(&v0);
    let (v3, events3) = view3(&v1);
    let frames = [
        ("snapshot", snapshot(&v0, &[]), &v0),
        ("delta_one_tick", delta(&v0, &v1, &events1), &v1),
        ("delta_multi_tick", delta(&v1, &v3, &events3), &v3),
    ];
    check_shapes(&frames[1].1, &frames[2].1);
    let mut cases = Vec::new();
    for codec in CODECS {
        let mut client = WorldView::default();
        for (name, frame, want) in &frames {
            let message = frame_message(codec, frame);
            let (got_codec, payload) = protocol::codec::decompress(&message, 1 << 20).unwrap();
            assert_eq!(got_codec, codec);
            assert_eq!(&frame::decode(&payload).unwrap(), frame);
            apply(&mut client, frame).unwrap();
            assert_eq!(&client, *want, "{name} with {codec:?}");
            cases.push(json!({
                "name": format!("{name}/{}", codec.name()),
                "codec": codec.name(),
                "message_b64": b64(&message),
                "frame": frame,
                "control": null,
                "bodies_after": client.bodies,
            }));
        }
    }
    let snapshot_len = |c: Codec| frame_message(c, &frames[0].1).len();
    for codec in [Codec::Lz4, Codec::Deflate] {
        assert!(
            snapshot_len(codec) < snapshot_len(Codec::None) * 7 / 8,
            "{codec:?} should really compress the snapshot"
        );
    }
    let welcome = ServerMessage::Welcome {
        request_id: 1,
        protocol_hash: protocol::v1::protocol_hash_hex(),
        player: 7,
        world: 1,
        tick: v0.tick,
        tick_rate_hz: 20,
        resumed: false,
        token: "fixture-session-token".into(),
    };
    for codec in [Codec::None, Codec::Deflate] {
        let message = control_message(codec, &welcome);
        let (_, payload) = protocol::codec::decompress(&message, 1 << 20).unwrap();
        assert_eq!(payload[0], KIND_CONTROL);
        let back: ServerMessage = serde_json::from_slice(&payload[1..]).unwrap();
        assert_eq!(back, welcome);
        cases.push(json!({
            "name": format!("control_welcome/{}", codec.name()),
            "codec": codec.name(),
            "message_b64": b64(&message),
            "frame": null,
            "control": welcome,
            "bodies_after": null,
        }));
    }
    json!({ "cases": cases })
}

/// The deltas exercise what they are named for: residual moves, upserts, removals and events in the
/// one-tick delta; plain moves with motions in the multi-tick one.
fn check_shapes(one: &Frame, multi: &Frame) {
    let Frame::Delta {
        removed,
        upserts,
        moves,
        motions,
        events,
        ..
    } = one
    else {
        panic!("one-tick delta expected")
    };
    assert_eq!(removed, &[15]);
    let ids: Vec<u64> = upserts.iter().map(|b| b.id).collect();
    assert_eq!(ids, [7, 40]);
    assert_eq!(moves.len(), 4 + BELT as usize);
    assert!(motions.is_empty());
    assert_eq!(events.len(), 1);
    let Frame::Delta {
        removed,
        upserts,
        moves,
        motions,
        ..
    } = multi
    else {
        panic!("multi-tick delta expected")
    };
    assert_eq!(removed, &[99 + BELT]);
    assert_eq!(upserts.len(), 1);
    assert_eq!(moves.len(), motions.len());
    assert_eq!(moves.len(), 4 + BELT as usize);
}

/// Keys written first, in this order (the rest follow alphabetically).
const FIRST_KEYS: [&str; 10] = [
    "name",
    "codec",
    "message_b64",
    "frame",
    "control",
    "bodies_after",
    "type",
    "base_tick",
    "tick",
    "time_us",
];

/// Indented JSON with every leaf object (a body, an event) and every list of numbers on one line, so the
/// file reads and diffs one body per line.
fn layout(v: &Value, indent: usize, out: &mut String) {
    let scalar = |v: &Value| !v.is_array() && !v.is_object();
    let flat = match v {
        Value::Array(items) => items.iter().all(scalar),
        Value::Object(map) => map
            .values()
            .all(|x| scalar(x) || x.as_array().is_some_and(|a| a.iter().all(scalar))),
        _ => true,
    };
    if flat {
        out.push_str(&v.to_string());
        return;
    }
    let pad = " ".repeat(indent + 2);
    let (open, close, items): (char, char, Vec<(Option<&String>, &Value)>) = match v {
        Value::Array(items) => ('[', ']', items.iter().map(|x| (None, x)).collect()),
        Value::Object(map) => {
            let mut fields: Vec<_> = map.iter().map(|(k, x)| (Some(k), x)).collect();
            let rank = |k: &str| {
                FIRST_KEYS
                    .iter()
                    .position(|f| *f == k)
                    .unwrap_or(usize::MAX)
            };
            fields.sort_by_key(|(k, _)| k.map_or(usize::MAX, |k| rank(k)));
            ('{', '}', fields)
        }
        _ => return,
    };
    out.push(open);
    for (n, (key, item)) in items.iter().enumerate() {
        out.push_str(if n == 0 { "\n" } else { ",\n" });
        out.push_str(&pad);
        if let Some(key) = key {
            out.push_str(&Value::String((*key).clone()).to_string());
            out.push_str(": ");
        }
        layout(item, indent + 2, out);
    }
    out.push('\n');
    out.push_str(&" ".repeat(indent));
    out.push(close);
}

#[test]
fn ts_frame_fixtures_match_the_rust_codec() {
    // The control message for `none` is byte for byte what `ws/writer.rs` sends.
    let msg = ServerMessage::PlayerState {
        tick: 1,
        resources: Default::default(),
        rates: Default::default(),
    };
    let mut writer_style = vec![Codec::None as u8, KIND_CONTROL];
    writer_style.extend_from_slice(&serde_json::to_vec(&msg).unwrap());
    assert_eq!(control_message(Codec::None, &msg), writer_style);

    let mut want = String::new();
    layout(&cases(), 0, &mut want);
    want.push('\n');
    common::check_generated(
        &common::web_file("src/net/fixtures/frames.json"),
        &want,
        REGENERATE,
    );
}
