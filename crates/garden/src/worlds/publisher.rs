//! Turns a world's state after a tick into the [`TickFrame`] its subscribers read: quantized view, player
//! figures, and the delta from the previous tick compressed once by the world's adaptive compressor.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use protocol::frame::{WireEvent, WorldView};
use protocol::{AdaptiveCompressor, Codec, CodecStats};

use super::frames::{PlayerFigures, TickFrame, TickInput};
use crate::mapping;

/// One world's frame builder: keeps the recent views (delta bases) and the compressor's statistics.
#[derive(Debug)]
pub struct Publisher {
    world: u64,
    history: VecDeque<Arc<WorldView>>,
    history_ticks: usize,
    compressor: AdaptiveCompressor,
    player_state_every: u64,
}

impl Publisher {
    pub fn new(world: u64, history_ticks: usize, player_state_every: u64) -> Self {
        Self {
            world,
            history: VecDeque::new(),
            history_ticks,
            compressor: AdaptiveCompressor::default(),
            player_state_every,
        }
    }

    /// The frame for the world's current tick; its view becomes a base for later deltas.
    pub fn frame(&mut self, world: &sim::World, events: Vec<WireEvent>) -> TickFrame {
        let rates = world.production_rates();
        let players: HashMap<u64, PlayerFigures> = world
            .players()
            .filter(|p| p.online)
            .map(|p| {
                let rate = rates.get(&p.id).copied().unwrap_or_default();
                let figures = PlayerFigures {
                    resources: mapping::resources(&p.resources),
                    rates: mapping::resources(&rate),
                };
                (p.id.0, figures)
            })
            .collect();
        let time_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        let dt = world.balance().dt();
        let mut bodies: Vec<_> = world
            .bodies()
            .iter()
            .map(|b| mapping::wire_body(b, dt))
            .collect();
        if let Some(previous) = self.history.back() {
            observed_moves(&previous.bodies, &mut bodies);
        }
        let view = Arc::new(WorldView {
            tick: world.tick().0,
            time_us,
            bodies,
        });
        let input = TickInput {
            world: self.world,
            tick_rate_hz: world.balance().world.tick_rate_hz,
            view: view.clone(),
            events,
            ages: world.bodies().iter().map(|b| b.age).collect(),
            players: Arc::new(players),
            history: self.history.clone(),
            player_state_every: self.player_state_every,
        };
        let compressor = &mut self.compressor;
        let frame = TickFrame::build(input, |payload| compressor.compress(payload));
        self.history.push_back(view);
        while self.history.len() > self.history_ticks {
            self.history.pop_front();
        }
        frame
    }

    pub fn codec_stats(&self, codec: Codec) -> CodecStats {
        self.compressor.stats(codec)
    }
}

/// Sets each body's `mv` to its move since `previous` (both sorted by id), so one-tick deltas predict
/// exactly what the client can reconstruct.
fn observed_moves(previous: &[protocol::WireBody], bodies: &mut [protocol::WireBody]) {
    let mut p = previous.iter().peekable();
    for b in bodies {
        while p.next_if(|old| old.id < b.id).is_some() {}
        if let Some(old) = p.peek()
            && old.id == b.id
        {
            b.mv = std::array::from_fn(|k| b.pos[k].wrapping_sub(old.pos[k]));
        }
    }
}
