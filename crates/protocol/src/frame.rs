//! World frames: a full snapshot of a world's bodies, or a delta from a base tick, in a compact binary
//! layout (and the same content as JSON for `cosmic.v1.json`).
//!
//! Binary layout (all integers LEB128 varints, signed ones zigzag; see docs/protocol.md):
//! - snapshot: `tick, time_us, n, n × body, events`
//! - delta: `base_tick, tick, time_us, removed (count, ascending ids as gaps), upserts (count, bodies),
//!   moves (count, 3 each), motions (count, 3 each), events`. Moves cover every body kept from the base and
//!   not upserted, in ascending id order (ids are implied, not sent).
//! - body: `id, kind, owner, pos×3, vel×3, mv×3, mass f32, radius f32, life`
//!
//! Moves are predicted: every body carries `mv`, its position change over the last tick. For a delta from
//! the previous tick (`tick == base_tick + 1`) a move is the residual `r` against constant motion:
//! `pos' = pos + mv + r`, `mv' = mv + r` (a second difference: mostly one byte per axis). For a delta over
//! several ticks a move is the plain difference `pos' = pos + d` and `motions` carry each body's new `mv`.

use serde::{Deserialize, Serialize};

use crate::varint::{ReadError, Reader, put_i64, put_u64};

/// One body as the wire carries it: quantized position and velocity (see [`crate::quant`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct WireBody {
    #[ts(type = "number")]
    pub id: u64,
    /// A [`crate::kinds`] code.
    pub kind: u8,
    /// Owner's player id, 0 for the world's own bodies.
    #[ts(type = "number")]
    pub owner: u64,
    pub pos: [i32; 3],
    pub vel: [i32; 3],
    /// Position change over the last tick (position quanta): the prediction for the next one.
    pub mv: [i32; 3],
    pub mass: f32,
    pub radius: f32,
    /// Life stage of a planet: 0 none, 1 microbial, 2 plant, 3 animal, 4 intelligent.
    pub life: u8,
}

impl WireBody {
    /// Whether everything but position and velocity is the same (then a delta sends only the move).
    fn same_identity(&self, other: &WireBody) -> bool {
        self.kind == other.kind
            && self.owner == other.owner
            && self.mass.to_bits() == other.mass.to_bits()
            && self.radius.to_bits() == other.radius.to_bits()
            && self.life == other.life
    }
}

/// Something that happened in the tick, for clients to animate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WireEvent {
    Merged {
        #[ts(type = "number")]
        survivor: u64,
        #[ts(type = "number")]
        absorbed: u64,
    },
    Collapsed {
        #[ts(type = "number")]
        body: u64,
    },
    Escaped {
        #[ts(type = "number")]
        body: u64,
    },
    LifeAdvanced {
        #[ts(type = "number")]
        body: u64,
        stage: u8,
    },
    LifeLost {
        #[ts(type = "number")]
        body: u64,
    },
}

/// The bodies of a world at one tick, sorted by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorldView {
    pub tick: u64,
    /// When the server published this tick: microseconds since the Unix epoch (latency measurement).
    pub time_us: u64,
    pub bodies: Vec<WireBody>,
}

/// A decoded world frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame {
    /// The whole world: sent on join and whenever a client has no usable base.
    Snapshot {
        #[ts(type = "number")]
        tick: u64,
        #[ts(type = "number")]
        time_us: u64,
        bodies: Vec<WireBody>,
        events: Vec<WireEvent>,
    },
    /// Changes from `base_tick` (which the client holds) to `tick`.
    Delta {
        #[ts(type = "number")]
        base_tick: u64,
        #[ts(type = "number")]
        tick: u64,
        #[ts(type = "number")]
        time_us: u64,
        #[ts(type = "number[]")]
        removed: Vec<u64>,
        upserts: Vec<WireBody>,
        /// Residuals (one-tick delta) or plain position differences (longer delta).
        moves: Vec<[i32; 3]>,
        /// New `mv` of each moved body, only in deltas over more than one tick.
        motions: Vec<[i32; 3]>,
        events: Vec<WireEvent>,
    },
}

impl Frame {
    pub fn tick(&self) -> u64 {
        match self {
            Self::Snapshot { tick, .. } | Self::Delta { tick, .. } => *tick,
        }
    }

    pub fn time_us(&self) -> u64 {
        match self {
            Self::Snapshot { time_us, .. } | Self::Delta { time_us, .. } => *time_us,
        }
    }
}

/// A frame could not be applied to the client's view.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("delta is based on tick {base} but the view is at tick {have}")]
    WrongBase { base: u64, have: u64 },
    #[error("delta does not match the view's bodies")]
    Mismatch,
}

/// Builds the snapshot frame of `view`.
pub fn snapshot(view: &WorldView, events: &[WireEvent]) -> Frame {
    Frame::Snapshot {
        tick: view.tick,
        time_us: view.time_us,
        bodies: view.bodies.clone(),
        events: events.to_vec(),
    }
}

/// Builds the delta that turns `base` into `view`. Both must be sorted by id.
pub fn delta(base: &WorldView, view: &WorldView, events: &[WireEvent]) -> Frame {
    let (mut removed, mut upserts) = (Vec::new(), Vec::new());
    let (mut moves, mut motions) = (Vec::new(), Vec::new());
    let predicted = view.tick == base.tick.wrapping_add(1);
    let (mut i, mut j) = (0, 0);
    let (old, new) = (&base.bodies, &view.bodies);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a.id == b.id => {
                let d: [i32; 3] = std::array::from_fn(|k| b.pos[k].wrapping_sub(a.pos[k]));
                if !a.same_identity(b) || (predicted && d != b.mv) {
                    // Changed, or its motion does not follow from the base: send the whole body.
                    upserts.push(b.clone());
                } else if predicted {
                    moves.push(std::array::from_fn(|k| b.mv[k].wrapping_sub(a.mv[k])));
                } else {
                    moves.push(d);
                    motions.push(b.mv);
                }
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a.id < b.id => {
                removed.push(a.id);
                i += 1;
            }
            (Some(a), None) => {
                removed.push(a.id);
                i += 1;
            }
            (_, Some(b)) => {
                upserts.push(b.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    Frame::Delta {
        base_tick: base.tick,
        tick: view.tick,
        time_us: view.time_us,
        removed,
        upserts,
        moves,
        motions,
        events: events.to_vec(),
    }
}

/// Applies a frame to a client's view. On error the view is unchanged.
pub fn apply(view: &mut WorldView, frame: &Frame) -> Result<(), ApplyError> {
    match frame {
        Frame::Snapshot {
            tick,
            time_us,
            bodies,
            ..
        } => {
            view.tick = *tick;
            view.time_us = *time_us;
            view.bodies = bodies.clone();
            Ok(())
        }
        Frame::Delta {
            base_tick,
            tick,
            time_us,
            removed,
            upserts,
            moves,
            motions,
            ..
        } => {
            let predicted = *tick == base_tick.wrapping_add(1);
            if !predicted && motions.len() != moves.len() {
                return Err(ApplyError::Mismatch);
            }
            if *base_tick != view.tick {
                return Err(ApplyError::WrongBase {
                    base: *base_tick,
                    have: view.tick,
                });
            }
            let mut out = Vec::with_capacity(view.bodies.len() + upserts.len());
            let (mut r, mut u, mut m) = (0, 0, 0);
            for body in &view.bodies {
                if removed.get(r) == Some(&body.id) {
                    r += 1;
                    continue;
                }
                while let Some(up) = upserts.get(u).filter(|up| up.id < body.id) {
                    out.push(up.clone());
                    u += 1;
                }
                if upserts.get(u).is_some_and(|up| up.id == body.id) {
                    out.push(upserts[u].clone());
                    u += 1;
                    continue;
                }
                let d = moves.get(m).ok_or(ApplyError::Mismatch)?;
                let mut moved = body.clone();
                if predicted {
                    moved.mv = std::array::from_fn(|k| body.mv[k].wrapping_add(d[k]));
                    moved.pos = std::array::from_fn(|k| body.pos[k].wrapping_add(moved.mv[k]));
                } else {
                    moved.pos = std::array::from_fn(|k| body.pos[k].wrapping_add(d[k]));
                    moved.mv = motions[m];
                }
                m += 1;
                out.push(moved);
            }
            out.extend(upserts[u..].iter().cloned());
            if r != removed.len() || m != moves.len() {
                return Err(ApplyError::Mismatch);
            }
            view.tick = *tick;
            view.time_us = *time_us;
            view.bodies = out;
            Ok(())
        }
    }
}

const SNAPSHOT: u8 = 2;
const DELTA: u8 = 3;

/// Appends the binary encoding of `frame` (message kind byte first) to `out`.
pub fn encode(frame: &Frame, out: &mut Vec<u8>) {
    match frame {
        Frame::Snapshot {
            tick,
            time_us,
            bodies,
            events,
        } => {
            out.push(SNAPSHOT);
            put_u64(out, *tick);
            put_u64(out, *time_us);
            put_u64(out, bodies.len() as u64);
            bodies.iter().for_each(|b| put_body(out, b));
            put_events(out, events);
        }
        Frame::Delta {
            base_tick,
            tick,
            time_us,
            removed,
            upserts,
            moves,
            motions,
            events,
        } => {
            out.push(DELTA);
            put_u64(out, *base_tick);
            put_u64(out, *tick);
            put_u64(out, *time_us);
            put_u64(out, removed.len() as u64);
            let mut last = 0;
            for id in removed {
                put_u64(out, id.wrapping_sub(last));
                last = *id;
            }
            put_u64(out, upserts.len() as u64);
            upserts.iter().for_each(|b| put_body(out, b));
            for list in [moves, motions] {
                put_u64(out, list.len() as u64);
                for d in list {
                    d.iter().for_each(|v| put_i64(out, i64::from(*v)));
                }
            }
            put_events(out, events);
        }
    }
}

/// Decodes a binary frame (starting at its kind byte). Never panics on malformed input.
pub fn decode(bytes: &[u8]) -> Result<Frame, ReadError> {
    let mut r = Reader::new(bytes);
    let frame = match r.u8()? {
        SNAPSHOT => {
            let tick = r.u64()?;
            let time_us = r.u64()?;
            let n = r.count()?;
            let bodies = (0..n)
                .map(|_| read_body(&mut r))
                .collect::<Result<_, _>>()?;
            Frame::Snapshot {
                tick,
                time_us,
                bodies,
                events: read_events(&mut r)?,
            }
        }
        DELTA => {
            let base_tick = r.u64()?;
            let tick = r.u64()?;
            let time_us = r.u64()?;
            let n = r.count()?;
            let mut last = 0u64;
            let mut removed = Vec::with_capacity(n);
            for _ in 0..n {
                last = last.wrapping_add(r.u64()?);
                removed.push(last);
            }
            let n = r.count()?;
            let upserts = (0..n)
                .map(|_| read_body(&mut r))
                .collect::<Result<_, _>>()?;
            let n = r.count()?;
            let moves = (0..n)
                .map(|_| Ok([r.i32()?, r.i32()?, r.i32()?]))
                .collect::<Result<_, ReadError>>()?;
            let n = r.count()?;
            let motions = (0..n)
                .map(|_| Ok([r.i32()?, r.i32()?, r.i32()?]))
                .collect::<Result<_, ReadError>>()?;
            Frame::Delta {
                base_tick,
                tick,
                time_us,
                removed,
                upserts,
                moves,
                motions,
                events: read_events(&mut r)?,
            }
        }
        _ => {
            return Err(ReadError {
                at: 0,
                what: "not a world frame",
            });
        }
    };
    if !r.is_empty() {
        return Err(ReadError {
            at: r.position(),
            what: "trailing bytes",
        });
    }
    Ok(frame)
}

fn put_body(out: &mut Vec<u8>, b: &WireBody) {
    put_u64(out, b.id);
    out.push(b.kind);
    put_u64(out, b.owner);
    b.pos
        .iter()
        .chain(&b.vel)
        .chain(&b.mv)
        .for_each(|v| put_i64(out, i64::from(*v)));
    out.extend_from_slice(&b.mass.to_le_bytes());
    out.extend_from_slice(&b.radius.to_le_bytes());
    out.push(b.life);
}

fn read_body(r: &mut Reader<'_>) -> Result<WireBody, ReadError> {
    Ok(WireBody {
        id: r.u64()?,
        kind: r.u8()?,
        owner: r.u64()?,
        pos: [r.i32()?, r.i32()?, r.i32()?],
        vel: [r.i32()?, r.i32()?, r.i32()?],
        mv: [r.i32()?, r.i32()?, r.i32()?],
        mass: r.f32()?,
        radius: r.f32()?,
        life: r.u8()?,
    })
}

fn put_events(out: &mut Vec<u8>, events: &[WireEvent]) {
    put_u64(out, events.len() as u64);
    for e in events {
        match e {
            WireEvent::Merged { survivor, absorbed } => {
                out.push(0);
                put_u64(out, *survivor);
                put_u64(out, *absorbed);
            }
            WireEvent::Collapsed { body } => {
                out.push(1);
                put_u64(out, *body);
            }
            WireEvent::Escaped { body } => {
                out.push(2);
                put_u64(out, *body);
            }
            WireEvent::LifeAdvanced { body, stage } => {
                out.push(3);
                put_u64(out, *body);
                out.push(*stage);
            }
            WireEvent::LifeLost { body } => {
                out.push(4);
                put_u64(out, *body);
            }
        }
    }
}

fn read_events(r: &mut Reader<'_>) -> Result<Vec<WireEvent>, ReadError> {
    let n = r.count()?;
    (0..n)
        .map(|_| {
            Ok(match r.u8()? {
                0 => WireEvent::Merged {
                    survivor: r.u64()?,
                    absorbed: r.u64()?,
                },
                1 => WireEvent::Collapsed { body: r.u64()? },
                2 => WireEvent::Escaped { body: r.u64()? },
                3 => WireEvent::LifeAdvanced {
                    body: r.u64()?,
                    stage: r.u8()?,
                },
                4 => WireEvent::LifeLost { body: r.u64()? },
                _ => {
                    return Err(ReadError {
                        at: r.position(),
                        what: "unknown event",
                    });
                }
            })
        })
        .collect()
}
