//! The garden's metrics: names (listed with their help texts in the server's metric table) and the
//! handles the world actors record through, registered once.

use std::sync::OnceLock;

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};
use protocol::Codec;

pub const WS_FRAME_BYTES_TOTAL: &str = "cosmic_ws_frame_bytes_total";
pub const TICK_DURATION_SECONDS: &str = "cosmic_tick_duration_seconds";
pub const TICK_OVERRUNS_TOTAL: &str = "cosmic_tick_overruns_total";
pub const WORLD_BODIES: &str = "cosmic_world_bodies";
pub const PHYSICS_INTERACTIONS_TOTAL: &str = "cosmic_physics_interactions_total";

/// The world actor's own tick phases, around the simulation's [`sim::Phase`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickPhase {
    /// Writing the tick's commands to the journal (write-ahead).
    Journal,
    /// Building, encoding and compressing the tick's frame.
    Publish,
}

/// The handles; get them with [`hot`] (after the server installed its recorder).
#[derive(Debug)]
pub struct Hot {
    /// By codec byte, then raw / compressed.
    frame_bytes: [[Counter; 2]; 4],
    sim_phases: Vec<(sim::Phase, Histogram)>,
    journal: Histogram,
    publish: Histogram,
    pub tick_overruns: Counter,
    pub world_bodies: Gauge,
    pub interactions: Counter,
}

static HOT: OnceLock<Hot> = OnceLock::new();

/// The garden's handles, registered with the recorder installed at the first call.
pub fn hot() -> &'static Hot {
    HOT.get_or_init(|| Hot {
        frame_bytes: Codec::ALL.map(|c| {
            ["raw", "compressed"]
                .map(|s| counter!(WS_FRAME_BYTES_TOTAL, "codec" => c.name(), "stage" => s))
        }),
        sim_phases: sim::Phase::ALL
            .iter()
            .map(|&p| (p, histogram!(TICK_DURATION_SECONDS, "phase" => p.name())))
            .collect(),
        journal: histogram!(TICK_DURATION_SECONDS, "phase" => "journal"),
        publish: histogram!(TICK_DURATION_SECONDS, "phase" => "publish"),
        tick_overruns: counter!(TICK_OVERRUNS_TOTAL),
        world_bodies: gauge!(WORLD_BODIES),
        interactions: counter!(PHYSICS_INTERACTIONS_TOTAL),
    })
}

impl Hot {
    /// Frame payload bytes a world's compressor took in (`raw`) and gave out (`compressed`) with `codec`.
    pub fn frame_bytes(&self, codec: Codec, raw: u64, compressed: u64) {
        if let Some([r, c]) = self.frame_bytes.get(codec as usize) {
            r.increment(raw);
            c.increment(compressed);
        }
    }

    /// The histogram of one of the simulation's phases.
    pub fn sim_phase(&self, phase: sim::Phase) -> Option<&Histogram> {
        self.sim_phases
            .iter()
            .find(|(p, _)| *p == phase)
            .map(|(_, h)| h)
    }

    /// The histogram of one of the actor's own tick phases.
    pub fn tick_phase(&self, phase: TickPhase) -> &Histogram {
        match phase {
            TickPhase::Journal => &self.journal,
            TickPhase::Publish => &self.publish,
        }
    }
}
