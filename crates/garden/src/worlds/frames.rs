//! What a world publishes each tick: the quantized view, and its encodings shared by every subscriber.
//!
//! The world actor builds one [`TickFrame`] per tick with the delta from the previous tick already encoded
//! and compressed. Connections that need something else (a snapshot on join, a delta from an older base
//! after they fell behind or resumed) get it computed once on first request and cached in the frame, so
//! each distinct encoding is made once per tick per world, never once per client.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use gateway::Wire;
use gateway::feed::{Cursor, FeedFrame, choose_codec};
use protocol::codec::{self, Codec};
use protocol::frame::{self, Frame, WireEvent, WorldView};
use protocol::v0;
use protocol::v1::{ServerMessage, WireResources};

/// A player's figures at a tick, for `PlayerState` / v0 `GameState`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlayerFigures {
    pub resources: WireResources,
    pub rates: WireResources,
}

/// One encoded world frame in every form a connection may ask for.
#[derive(Debug)]
pub struct Encoded {
    pub frame: Frame,
    /// The binary frame before compression.
    payload: Vec<u8>,
    /// The binary message (header byte + compressed payload) per codec as a complete WebSocket frame,
    /// made on first use (the actor pre-fills one): every connection taking it writes these bytes.
    by_codec: [OnceLock<Wire>; 4],
    json: OnceLock<Wire>,
}

impl Encoded {
    fn new(frame: Frame) -> Self {
        let mut payload = Vec::with_capacity(256);
        frame::encode(&frame, &mut payload);
        Self {
            frame,
            payload,
            by_codec: Default::default(),
            json: OnceLock::new(),
        }
    }

    pub fn payload_len(&self) -> usize {
        self.payload.len()
    }

    /// The binary message with `codec`, as a WebSocket frame.
    pub fn wire(&self, codec: Codec) -> &Wire {
        self.by_codec[codec as usize].get_or_init(|| {
            let mut out = Vec::with_capacity(self.payload.len() / 2 + 16);
            codec::compress_into(codec, &self.payload, &mut out);
            Wire::binary(&out)
        })
    }

    /// The binary message with `codec`.
    pub fn with_codec(&self, codec: Codec) -> Bytes {
        self.wire(codec).payload()
    }

    /// The binary message for a client accepting `accepted` (a [`Codec::bit`] set): the codec already made
    /// if the client takes it, else the best the client takes.
    pub fn binary_for(&self, preferred: Codec, accepted: u8) -> Bytes {
        self.with_codec(choose_codec(preferred, accepted))
    }

    /// The frame as a `cosmic.v1.json` text message, as a WebSocket frame.
    pub fn json_wire(&self) -> &Wire {
        self.json.get_or_init(|| {
            let json = serde_json::to_string(&ServerMessage::Frame(self.frame.clone()));
            Wire::text(&json.unwrap_or_default())
        })
    }

    /// The frame as a `cosmic.v1.json` text message.
    pub fn json(&self) -> Bytes {
        self.json_wire().payload()
    }
}

/// Everything a world publishes for one tick.
#[derive(Debug)]
pub struct TickFrame {
    pub world: u64,
    pub tick: u64,
    pub tick_rate_hz: u32,
    pub view: Arc<WorldView>,
    pub events: Arc<[WireEvent]>,
    /// Ages of the bodies in `view` (same order), for v0's `GameState`.
    pub ages: Arc<[u64]>,
    /// Players in the world now, refreshed every few ticks.
    pub players: Arc<HashMap<u64, PlayerFigures>>,
    /// Recent views (oldest first, this tick's excluded): bases a delta can start from.
    history: VecDeque<Arc<WorldView>>,
    /// Delta from the previous tick, made by the actor with the codec it chose.
    from_previous: Option<Arc<Encoded>>,
    /// The codec the adaptive compressor chose this tick.
    pub codec: Codec,
    /// Snapshot and deltas from older bases, made on first request.
    others: Mutex<Vec<(Option<u64>, Arc<Encoded>)>>,
    v0_bodies: OnceLock<Bytes>,
    /// A v1 connection gets its `PlayerState` every this many frames.
    player_state_every: u64,
}

/// What the actor hands to [`TickFrame::build`].
#[derive(Debug)]
pub struct TickInput {
    pub world: u64,
    pub tick_rate_hz: u32,
    pub view: Arc<WorldView>,
    pub events: Vec<WireEvent>,
    pub ages: Vec<u64>,
    pub players: Arc<HashMap<u64, PlayerFigures>>,
    pub history: VecDeque<Arc<WorldView>>,
    pub player_state_every: u64,
}

impl TickFrame {
    /// Builds the frame and encodes the delta from the previous tick with `compress` (the world's adaptive
    /// compressor), once.
    pub fn build(input: TickInput, compress: impl FnOnce(&[u8]) -> Vec<u8>) -> Self {
        let events: Arc<[WireEvent]> = input.events.into();
        let mut codec = Codec::None;
        let from_previous = input.history.back().map(|base| {
            let encoded = Encoded::new(frame::delta(base, &input.view, &events));
            let message = compress(&encoded.payload);
            codec = message
                .first()
                .and_then(|b| Codec::from_byte(*b))
                .unwrap_or(Codec::None);
            let _ = encoded.by_codec[codec as usize].set(Wire::binary(&message));
            Arc::new(encoded)
        });
        Self {
            world: input.world,
            tick: input.view.tick,
            tick_rate_hz: input.tick_rate_hz,
            view: input.view,
            events,
            ages: input.ages.into(),
            players: input.players,
            history: input.history,
            from_previous,
            codec,
            others: Mutex::new(Vec::new()),
            v0_bodies: OnceLock::new(),
            player_state_every: input.player_state_every.max(1),
        }
    }

    /// The frame that brings a client from `base` (the last tick it has) to this tick: the shared delta
    /// when the base is the previous tick, a delta from an older base still in history, else a snapshot.
    /// `None` when the client already has this tick.
    pub fn for_base(&self, base: Option<u64>) -> Option<Arc<Encoded>> {
        if base == Some(self.tick) {
            return None;
        }
        if let (Some(b), Some(prev)) = (base, &self.from_previous)
            && self.history.back().is_some_and(|v| v.tick == b)
        {
            return Some(prev.clone());
        }
        let base = base.filter(|b| self.history.iter().any(|v| v.tick == *b));
        let mut others = self.others.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, e)) = others.iter().find(|(b, _)| *b == base) {
            return Some(e.clone());
        }
        let frame = match base.and_then(|b| self.history.iter().find(|v| v.tick == b)) {
            Some(view) => frame::delta(view, &self.view, &self.events),
            None => frame::snapshot(&self.view, &self.events),
        };
        let encoded = Arc::new(Encoded::new(frame));
        others.push((base, encoded.clone()));
        Some(encoded)
    }

    /// Whether a client at `base` gets a delta (not a snapshot).
    pub fn has_base(&self, base: u64) -> bool {
        self.history.iter().any(|v| v.tick == base)
    }

    /// Whether `player` is in the world at this tick (its figures are in the frame).
    pub fn has_player(&self, player: u64) -> bool {
        self.players.contains_key(&player)
    }

    /// The v0 `GameState` for `player`: the bodies' JSON is made once per tick and shared.
    pub fn v0_game_state(&self, player: u64) -> String {
        let bodies = self.v0_bodies.get_or_init(|| {
            let bodies: Vec<v0::Body> = self
                .view
                .bodies
                .iter()
                .zip(self.ages.iter())
                .map(|(b, age)| v0::Body {
                    id: b.id.to_string(),
                    body_type: v0::kind_name(b.kind).to_string(),
                    position: protocol::quant::position_from(b.pos),
                    velocity: protocol::quant::velocity_from(b.vel),
                    mass: f64::from(b.mass),
                    radius: f64::from(b.radius),
                    age: *age,
                    population: v0::population(b.life),
                })
                .collect();
            serde_json::to_vec(&bodies)
                .map(Bytes::from)
                .unwrap_or_default()
        });
        let resources = self
            .players
            .get(&player)
            .map(|p| p.resources)
            .unwrap_or_default();
        let resources = serde_json::to_string(&resources).unwrap_or_default();
        let bodies = std::str::from_utf8(bodies).unwrap_or("[]");
        format!(
            r#"{{"type":"GameState","resources":{resources},"bodies":{bodies},"tick":{}}}"#,
            self.tick
        )
    }
}

impl FeedFrame for TickFrame {
    /// v0: the player's `GameState`, from the first tick the player is in (so its resources are real
    /// from the very first frame). v1: the frame from the connection's base in its codec, and every few
    /// frames the player's `PlayerState`.
    fn emit(&self, cursor: &mut Cursor, out: &mut Vec<Wire>) {
        use crate::wire::{Format, control};
        let format = Format::from_u8(cursor.format);
        if format == Format::V0 {
            if !self.has_player(cursor.subscriber) || cursor.base == Some(self.tick) {
                return;
            }
            out.push(Wire::text(&self.v0_game_state(cursor.subscriber)));
        } else {
            let Some(encoded) = self.for_base(cursor.base) else {
                return;
            };
            out.push(match format {
                Format::V1Bin => encoded
                    .wire(choose_codec(self.codec, cursor.codecs))
                    .clone(),
                _ => encoded.json_wire().clone(),
            });
            if cursor.sent.is_multiple_of(self.player_state_every)
                && let Some(figures) = self.players.get(&cursor.subscriber)
            {
                let msg = ServerMessage::PlayerState {
                    tick: self.tick,
                    resources: figures.resources,
                    rates: figures.rates,
                };
                out.push(Wire::message(&control(&msg, format)));
            }
        }
        cursor.base = Some(self.tick);
        cursor.sent += 1;
    }
}
