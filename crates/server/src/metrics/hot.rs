//! Pre-registered handles for the series updated on hot paths (every message, every tick, every query):
//! each is looked up once at install, so recording is an atomic add (counters, gauges) or a lock-free push
//! (histograms) with no key hashing, no label allocation and no map lookup.
//!
//! Label values come from enums ([`DbOp`]). The WebSocket and world series have handles of their own in
//! `gateway::metrics` and `garden::metrics`; [`super::hot`] registers those too.

use metrics::{Counter, Histogram, counter, histogram};

use super::names::{CACHE_REQUESTS_TOTAL, DB_QUERY_DURATION_SECONDS};

/// Which part of the store ran a statement (from the module the statement is written in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbOp {
    Users,
    Worlds,
    Journal,
    Presets,
    Other,
}

impl DbOp {
    const ALL: [Self; 5] = [
        Self::Users,
        Self::Worlds,
        Self::Journal,
        Self::Presets,
        Self::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Worlds => "worlds",
            Self::Journal => "journal",
            Self::Presets => "presets",
            Self::Other => "other",
        }
    }

    /// The area of a `module_path!()` inside `crate::store`.
    pub fn from_module(path: &str) -> Self {
        match path.rsplit("::").next() {
            Some("users") => Self::Users,
            Some("worlds") => Self::Worlds,
            Some("journal") => Self::Journal,
            Some("presets") => Self::Presets,
            _ => Self::Other,
        }
    }
}

/// The handles; get them with [`super::hot`].
#[derive(Debug)]
pub struct Hot {
    /// hit, miss, error.
    cache: [Counter; 3],
    db: [Histogram; 5],
}

impl Hot {
    /// Registers every handle with the installed recorder.
    pub(super) fn register() -> Self {
        Self {
            cache: ["hit", "miss", "error"].map(|r| counter!(CACHE_REQUESTS_TOTAL, "result" => r)),
            db: DbOp::ALL.map(|op| histogram!(DB_QUERY_DURATION_SECONDS, "op" => op.label())),
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
        assert_eq!(DbOp::from_module("server::store::presets"), DbOp::Presets);
        assert_eq!(DbOp::from_module("server::store"), DbOp::Other);
    }
}
