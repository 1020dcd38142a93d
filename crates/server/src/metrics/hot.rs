//! Pre-registered handles for the series updated on hot paths (every message, every tick, every query):
//! each is looked up once at install, so recording is an atomic add (counters, gauges) or a lock-free push
//! (histograms) with no key hashing, no label allocation and no map lookup.
//!
//! Label values here come from enums (`Proto`, `sim::Phase`, `Codec`, [`TickPhase`], [`DbOp`]) or from
//! the fixed set of close causes; a cause nobody listed yet is still counted, through the slower path.

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};
use protocol::Codec;

use super::names::{
    CACHE_REQUESTS_TOTAL, DB_QUERY_DURATION_SECONDS, PHYSICS_INTERACTIONS_TOTAL,
    TICK_DURATION_SECONDS, TICK_OVERRUNS_TOTAL, WORLD_BODIES, WS_BYTES_TOTAL, WS_CONNECTIONS,
    WS_CONNECTIONS_ACCEPTED_TOTAL, WS_CONNECTIONS_CLOSED_TOTAL, WS_FRAME_BYTES_TOTAL,
    WS_MESSAGES_TOTAL,
};
use crate::ws::Proto;

/// Close causes known today (`CloseReason::cause`); pre-registered so each series exists at 0.
pub const CLOSE_CAUSES: [&str; 14] = [
    "client_closed",
    "client_gone",
    "protocol_error",
    "too_big",
    "idle_timeout",
    "rate_limited",
    "slow_consumer",
    "shutdown",
    "world_stopped",
    "hello_timeout",
    "refused",
    "unauthorized",
    "internal",
    "server",
];

/// The server's own tick phases, around the simulation's [`sim::Phase`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickPhase {
    /// Writing the tick's commands to the journal (write-ahead).
    Journal,
    /// Building, encoding and compressing the tick's frame.
    Publish,
}

/// Which part of the store ran a statement (from the module the statement is written in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbOp {
    Users,
    Worlds,
    Journal,
    Other,
}

impl DbOp {
    const ALL: [Self; 4] = [Self::Users, Self::Worlds, Self::Journal, Self::Other];

    pub fn label(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Worlds => "worlds",
            Self::Journal => "journal",
            Self::Other => "other",
        }
    }

    /// The area of a `module_path!()` inside `crate::store`.
    pub fn from_module(path: &str) -> Self {
        match path.rsplit("::").next() {
            Some("users") => Self::Users,
            Some("worlds") => Self::Worlds,
            Some("journal") => Self::Journal,
            _ => Self::Other,
        }
    }
}

/// The handles; get them with [`super::hot`].
#[derive(Debug)]
pub struct Hot {
    ws_connections: Gauge,
    ws_accepted: [Counter; 3],
    ws_closed: [Counter; CLOSE_CAUSES.len()],
    /// Index 0: in, 1: out.
    ws_messages: [Counter; 2],
    ws_bytes: [Counter; 2],
    /// By codec byte, then raw / compressed.
    frame_bytes: [[Counter; 2]; 4],
    sim_phases: Vec<(sim::Phase, Histogram)>,
    journal: Histogram,
    publish: Histogram,
    pub tick_overruns: Counter,
    pub world_bodies: Gauge,
    pub interactions: Counter,
    /// hit, miss, error.
    cache: [Counter; 3],
    db: [Histogram; 4],
}

impl Hot {
    /// Registers every handle with the installed recorder.
    pub(super) fn register() -> Self {
        let dir = ["in", "out"];
        Self {
            ws_connections: gauge!(WS_CONNECTIONS),
            ws_accepted: [Proto::V0, Proto::V1Json, Proto::V1Bin]
                .map(|p| counter!(WS_CONNECTIONS_ACCEPTED_TOTAL, "protocol" => p.label())),
            ws_closed: CLOSE_CAUSES.map(|c| counter!(WS_CONNECTIONS_CLOSED_TOTAL, "cause" => c)),
            ws_messages: dir.map(|d| counter!(WS_MESSAGES_TOTAL, "direction" => d)),
            ws_bytes: dir.map(|d| counter!(WS_BYTES_TOTAL, "direction" => d)),
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
            cache: ["hit", "miss", "error"].map(|r| counter!(CACHE_REQUESTS_TOTAL, "result" => r)),
            db: DbOp::ALL.map(|op| histogram!(DB_QUERY_DURATION_SECONDS, "op" => op.label())),
        }
    }

    /// A connection was accepted and is now open.
    pub fn ws_opened(&self, proto: Proto) {
        self.ws_connections.increment(1.0);
        let i = match proto {
            Proto::V0 => 0,
            Proto::V1Json => 1,
            Proto::V1Bin => 2,
        };
        self.ws_accepted[i].increment(1);
    }

    /// A connection closed for `cause` (a `CloseReason::cause`).
    pub fn ws_closed(&self, cause: &'static str) {
        self.ws_connections.decrement(1.0);
        match CLOSE_CAUSES.iter().position(|&c| c == cause) {
            Some(i) => self.ws_closed[i].increment(1),
            None => counter!(WS_CONNECTIONS_CLOSED_TOTAL, "cause" => cause).increment(1),
        }
    }

    /// A data message of `bytes` was read from a client.
    pub fn ws_in(&self, bytes: usize) {
        self.ws_messages[0].increment(1);
        self.ws_bytes[0].increment(bytes as u64);
    }

    /// A data message of `bytes` was written to a client.
    pub fn ws_out(&self, bytes: usize) {
        self.ws_messages[1].increment(1);
        self.ws_bytes[1].increment(bytes as u64);
    }

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

    /// The histogram of one of the server's own tick phases.
    pub fn tick_phase(&self, phase: TickPhase) -> &Histogram {
        match phase {
            TickPhase::Journal => &self.journal,
            TickPhase::Publish => &self.publish,
        }
    }

    /// A cache read was a hit (`true`) or a miss.
    pub fn cache_read(&self, hit: bool) {
        self.cache[usize::from(!hit)].increment(1);
    }

    /// A cache backend call failed.
    pub fn cache_error(&self) {
        self.cache[2].increment(1);
    }

    /// The statement-time histogram of a store area.
    pub fn db_query(&self, op: DbOp) -> &Histogram {
        &self.db[op as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::DbOp;

    #[test]
    fn store_modules_map_to_their_op() {
        assert_eq!(DbOp::from_module("server::store::users"), DbOp::Users);
        assert_eq!(DbOp::from_module("server::store::worlds"), DbOp::Worlds);
        assert_eq!(DbOp::from_module("server::store::journal"), DbOp::Journal);
        assert_eq!(DbOp::from_module("server::store"), DbOp::Other);
    }
}
