//! Every metric the server exports, declared once: its name, kind, help text and (for histograms) its
//! buckets. [`super::install`] describes them all from [`ALL`]; instrumentation refers to the consts.
//!
//! Names follow `cosmic_<what>_<unit>[_total]`. Labels come from enums or matched routes only: never user
//! ids, world ids or raw paths.

use metrics::Unit;

/// What kind of series a metric is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// One metric's declaration.
#[derive(Clone, Copy, Debug)]
pub struct Def {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: Unit,
    pub help: &'static str,
    /// Histogram bucket upper bounds (histograms only).
    pub buckets: &'static [f64],
}

/// Request latencies: 1 ms to 10 s.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Tick phases: 10 µs to 250 ms (a 20 Hz tick has 50 ms in all).
const TICK_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25,
];
/// Database statements: 50 µs to 5 s (the pool's acquire timeout).
const DB_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0,
];

pub const HTTP_REQUESTS_TOTAL: &str = "cosmic_http_requests_total";
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "cosmic_http_request_duration_seconds";
// Recorded by the gateway and the garden, declared here with the rest.
pub use garden::metrics::{
    PHYSICS_INTERACTIONS_TOTAL, TICK_DURATION_SECONDS, TICK_OVERRUNS_TOTAL, WORLD_BODIES,
    WS_FRAME_BYTES_TOTAL,
};
pub use gateway::admit::{HTTP_CONNECTIONS, HTTP_CONNECTIONS_REFUSED_TOTAL};
pub use gateway::metrics::{
    WS_BYTES_TOTAL, WS_CONNECTIONS, WS_CONNECTIONS_ACCEPTED_TOTAL, WS_CONNECTIONS_CLOSED_TOTAL,
    WS_MESSAGES_TOTAL,
};
pub use live::metrics::{
    FANOUT_BUCKETS, LIVE_FANOUT_DELAY_SECONDS, LIVE_FANOUT_MESSAGES_TOTAL, LIVE_MESSAGES_TOTAL,
    LIVE_PARTICIPANTS, LIVE_ROOMS,
};
pub const AUTH_THROTTLED_TOTAL: &str = "cosmic_auth_throttled_total";
pub const QUOTA_REFUSALS_TOTAL: &str = "cosmic_quota_refusals_total";
pub const GUESTS_REMOVED_TOTAL: &str = "cosmic_guests_removed_total";
pub const WORLDS_SLOWED: &str = "cosmic_worlds_slowed";
pub const CACHE_REQUESTS_TOTAL: &str = "cosmic_cache_requests_total";
pub const DB_POOL_CONNECTIONS: &str = "cosmic_db_pool_connections";
pub const DB_QUERY_DURATION_SECONDS: &str = "cosmic_db_query_duration_seconds";
pub const BUILD_INFO: &str = "cosmic_build_info";
pub const CLUSTER_NODES: &str = "cosmic_cluster_nodes";
pub const CLUSTER_WORLDS_OWNED: &str = "cosmic_cluster_worlds_owned";
pub const CLUSTER_LEASES_ACQUIRED_TOTAL: &str = "cosmic_cluster_leases_acquired_total";
pub const CLUSTER_LEASES_LOST_TOTAL: &str = "cosmic_cluster_leases_lost_total";
pub const CLUSTER_FENCED_WRITES_TOTAL: &str = "cosmic_cluster_fenced_writes_total";
pub const CLUSTER_REDIS_ERRORS_TOTAL: &str = "cosmic_cluster_redis_errors_total";
pub const PROCESS_START_TIME_SECONDS: &str = "cosmic_process_start_time_seconds";

const fn counter(name: &'static str, unit: Unit, help: &'static str) -> Def {
    Def {
        name,
        kind: Kind::Counter,
        unit,
        help,
        buckets: &[],
    }
}

const fn gauge(name: &'static str, unit: Unit, help: &'static str) -> Def {
    Def {
        name,
        kind: Kind::Gauge,
        unit,
        help,
        buckets: &[],
    }
}

const fn histogram(name: &'static str, buckets: &'static [f64], help: &'static str) -> Def {
    Def {
        name,
        kind: Kind::Histogram,
        unit: Unit::Seconds,
        help,
        buckets,
    }
}

/// Every metric, in the order an operator would read them.
pub const ALL: &[Def] = &[
    gauge(
        CLUSTER_NODES,
        Unit::Count,
        "Cluster mode: live nodes this node sees (its heartbeat included); 0 on a single node.",
    ),
    gauge(
        CLUSTER_WORLDS_OWNED,
        Unit::Count,
        "Cluster mode: worlds this node holds the lease of and runs.",
    ),
    counter(
        CLUSTER_LEASES_ACQUIRED_TOTAL,
        Unit::Count,
        "Cluster mode: world leases taken, by how: first (never owned before), failover (its owner's \
         lease expired), handoff (released by a node shutting down), reclaim (taken again after Redis \
         lost it, without a restart).",
    ),
    counter(
        CLUSTER_LEASES_LOST_TOTAL,
        Unit::Count,
        "Cluster mode: worlds this node stopped running because it lost their lease, by why: taken \
         (another node holds it), fenced (the store refused a write with its token), untrusted (Redis \
         did not confirm the lease in time).",
    ),
    counter(
        CLUSTER_FENCED_WRITES_TOTAL,
        Unit::Count,
        "Cluster mode: journal or snapshot writes the store refused because their fencing token was stale.",
    ),
    counter(
        CLUSTER_REDIS_ERRORS_TOTAL,
        Unit::Count,
        "Cluster mode: Redis calls of the lease keeper that failed or timed out.",
    ),
    counter(
        HTTP_REQUESTS_TOTAL,
        Unit::Count,
        "HTTP requests answered, by method, matched route (\"unmatched\" for unknown paths) and status.",
    ),
    histogram(
        HTTP_REQUEST_DURATION_SECONDS,
        HTTP_BUCKETS,
        "Time from request to response head, by method and matched route.",
    ),
    counter(
        AUTH_THROTTLED_TOTAL,
        Unit::Count,
        "Authentication attempts refused with a 429 before any password was checked, by reason: login \
         (too many failures for that login name), address (for that client address), hasher_busy (the \
         password hasher's queue was full).",
    ),
    counter(
        QUOTA_REFUSALS_TOTAL,
        Unit::Count,
        "Creations refused by quotas, by what (world, guest) and reason: quota (the account's caps: a \
         403), rate (too many from one address: a 429), budget (the node's simulation budget or the \
         owner's share of it: a 503).",
    ),
    counter(
        GUESTS_REMOVED_TOTAL,
        Unit::Count,
        "Guest accounts removed after quotas.guest_ttl_days without use.",
    ),
    gauge(
        WORLDS_SLOWED,
        Unit::Count,
        "Worlds running below full speed because the node is over quotas.node_budget.",
    ),
    gauge(
        HTTP_CONNECTIONS,
        Unit::Count,
        "TCP connections open now (plain HTTP and upgraded WebSockets).",
    ),
    counter(
        HTTP_CONNECTIONS_REFUSED_TOTAL,
        Unit::Count,
        "Connections refused by reason: per_address (over http.max_connections_per_address: a 429) or \
         server_full (over http.max_connections: health checks only, a 503 for the rest).",
    ),
    gauge(LIVE_ROOMS, Unit::Count, "Live-session rooms on this node."),
    gauge(
        LIVE_PARTICIPANTS,
        Unit::Count,
        "Members of live rooms, by role (host, controller, display, viewer).",
    ),
    counter(
        LIVE_MESSAGES_TOTAL,
        Unit::Count,
        "Live-session messages handled by rooms, by type (an operation or an envelope type).",
    ),
    counter(
        LIVE_FANOUT_MESSAGES_TOTAL,
        Unit::Count,
        "Messages written to live-room members by relays and presence (one per member reached).",
    ),
    histogram(
        LIVE_FANOUT_DELAY_SECONDS,
        FANOUT_BUCKETS,
        "Time from the first change a live room coalesces to the publication of its state to \
         cosmic.live.v1 members (at most one fan-out period, 1/live.fanout_hz, plus encoding).",
    ),
    gauge(
        WS_CONNECTIONS,
        Unit::Count,
        "WebSocket connections open now.",
    ),
    counter(
        WS_CONNECTIONS_ACCEPTED_TOTAL,
        Unit::Count,
        "WebSocket connections accepted, by protocol (v0, v1_json, v1_bin).",
    ),
    counter(
        WS_CONNECTIONS_CLOSED_TOTAL,
        Unit::Count,
        "WebSocket connections closed, by cause (client_closed, idle_timeout, slow_consumer, ...).",
    ),
    counter(
        WS_MESSAGES_TOTAL,
        Unit::Count,
        "WebSocket data messages (text and binary), by direction (in, out).",
    ),
    counter(
        WS_BYTES_TOTAL,
        Unit::Bytes,
        "Payload bytes of WebSocket data messages, by direction (in, out).",
    ),
    counter(
        WS_FRAME_BYTES_TOTAL,
        Unit::Bytes,
        "World frame payload bytes encoded once per tick, by codec and stage (raw before compression, \
         compressed after).",
    ),
    histogram(
        TICK_DURATION_SECONDS,
        TICK_BUCKETS,
        "Time spent in each phase of a world tick (the simulation's phases, journal, publish).",
    ),
    counter(
        TICK_OVERRUNS_TOTAL,
        Unit::Count,
        "Ticks that took longer than the tick period (including the wait for their start).",
    ),
    gauge(WORLD_BODIES, Unit::Count, "Bodies in all running worlds."),
    counter(
        PHYSICS_INTERACTIONS_TOTAL,
        Unit::Count,
        "Gravity interactions evaluated (pairs, or body-cell pairs for Barnes-Hut).",
    ),
    counter(
        CACHE_REQUESTS_TOTAL,
        Unit::Count,
        "Cache reads by result: hit or miss (every read is one of them), and error (failed backend calls \
         of any kind, on top).",
    ),
    gauge(
        DB_POOL_CONNECTIONS,
        Unit::Count,
        "Database pool connections by state (idle, busy), as of the scrape.",
    ),
    histogram(
        DB_QUERY_DURATION_SECONDS,
        DB_BUCKETS,
        "Database statement time including the wait for a pooled connection, by store area (op).",
    ),
    gauge(
        BUILD_INFO,
        Unit::Count,
        "Always 1; the server's version is the label.",
    ),
    gauge(
        PROCESS_START_TIME_SECONDS,
        Unit::Seconds,
        "When metrics started being recorded, in seconds since the Unix epoch.",
    ),
];

/// The label value for a route no handler matched.
pub const UNMATCHED: &str = "unmatched";
