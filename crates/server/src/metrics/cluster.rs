//! Cluster mode's series (docs/cluster.md), registered at 0 so that a single node exports them too and
//! dashboards need no special case.

use metrics::{counter, gauge};

use super::names::{
    CLUSTER_FENCED_WRITES_TOTAL, CLUSTER_LEASES_ACQUIRED_TOTAL, CLUSTER_LEASES_LOST_TOTAL,
    CLUSTER_NODES, CLUSTER_REDIS_ERRORS_TOTAL, CLUSTER_WORLDS_OWNED,
};

/// How a node took a world's lease.
pub const HOW: [&str; 4] = ["first", "failover", "handoff", "reclaim"];
/// Why a node stopped running a world.
pub const WHY: [&str; 3] = ["taken", "fenced", "untrusted"];

/// Every series, at 0.
pub fn register() {
    gauge!(CLUSTER_NODES).set(0.0);
    gauge!(CLUSTER_WORLDS_OWNED).set(0.0);
    for how in HOW {
        counter!(CLUSTER_LEASES_ACQUIRED_TOTAL, "how" => how).increment(0);
    }
    for why in WHY {
        counter!(CLUSTER_LEASES_LOST_TOTAL, "why" => why).increment(0);
    }
    counter!(CLUSTER_FENCED_WRITES_TOTAL).increment(0);
    counter!(CLUSTER_REDIS_ERRORS_TOTAL).increment(0);
}
