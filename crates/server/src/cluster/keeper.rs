//! The lease keeper: one task per node that, every quarter of the lease's time to live, sends the node's
//! heartbeat, renews the lease of every world it runs (stopping those it lost or can no longer trust),
//! and takes orphaned worlds — the ones it ranks first for by rendezvous hashing over the live nodes,
//! or any that stayed orphaned for a whole time to live.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::{error, info, warn};

use super::fenced::FencedStore;
use super::leases::Renewal;
use super::nodes::NodeInfo;
use super::{Inner, Owned};
use crate::metrics::names::{
    CLUSTER_LEASES_ACQUIRED_TOTAL, CLUSTER_LEASES_LOST_TOTAL, CLUSTER_NODES, CLUSTER_WORLDS_OWNED,
};
use crate::store::{WorldRow, now_ms};

/// The node `world` prefers among `nodes`: the highest hash of (node, world). FNV-1a alone mixes the
/// high bits of short keys poorly, so its result goes through MurmurHash3's 64-bit finalizer.
pub fn rendezvous(world: u64, nodes: &[String]) -> Option<&str> {
    let score = |node: &String| {
        let mut h = protocol::v1::fnv1a(format!("{node}/{world}").as_bytes());
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    };
    nodes.iter().max_by_key(|n| score(n)).map(String::as_str)
}

impl Inner {
    pub(super) fn round_every(&self) -> Duration {
        self.config.lease_ttl / 4
    }

    /// How long a lease confirmed at `at` may be trusted (well inside its time to live).
    fn trusted_from(&self, at: Instant) -> Instant {
        at + self.config.lease_ttl * 3 / 4
    }

    /// The renewer's round: heartbeat and every owned lease. It never waits for a restore (the placer
    /// runs beside it), so a long restore cannot make this node distrust the worlds it already runs.
    pub(super) async fn renew_round(&self) {
        let started = Instant::now();
        self.heartbeat().await;
        self.renew_all(started).await;
        let owned = self.owned().len();
        metrics::gauge!(CLUSTER_WORLDS_OWNED).set(owned as f64);
    }

    /// The placer's round: take the orphaned worlds this node should run.
    pub(super) async fn place_round(&self) {
        self.place().await;
    }

    async fn heartbeat(&self) {
        let info = NodeInfo {
            id: self.node.clone(),
            listen: self.listen.clone(),
            version: env!("CARGO_PKG_VERSION").into(),
            started_ms: self.started_ms,
            heartbeat_ms: now_ms(),
            worlds: self.owned().len(),
            connections: (self.load)(),
        };
        let beat = self.nodes.heartbeat(&info).await;
        let live = match beat {
            Ok(()) => self.nodes.live().await,
            Err(e) => Err(e),
        };
        match live {
            Ok(live) => {
                metrics::gauge!(CLUSTER_NODES).set(live.len() as f64);
                *self.live.write().unwrap_or_else(|e| e.into_inner()) = live;
                self.last_heartbeat_ms.store(now_ms(), Ordering::Relaxed);
                if self.redis_down.swap(false, Ordering::Relaxed) {
                    info!(node = %self.node, "Cluster: Redis reachable again.");
                }
            }
            Err(e) => {
                if !self.redis_down.swap(true, Ordering::Relaxed) {
                    warn!(node = %self.node, error = %e, "Cluster: Redis unreachable; running owned worlds while their leases can be trusted.");
                }
            }
        }
    }

    async fn renew_all(&self, started: Instant) {
        let owned: Vec<(u64, u64, bool)> = self
            .owned()
            .iter()
            .map(|(id, o)| (*id, o.fence.load(Ordering::SeqCst), *o.stop.borrow()))
            .collect();
        for (world, fence, stopped) in owned {
            if stopped {
                // The fencing check refused a write: another node took it.
                self.lose(world, "fenced");
                continue;
            }
            match self.leases.renew(world, fence).await {
                Ok(Renewal::Renewed) => self.trust(world, started),
                Ok(Renewal::Missing) => self.reclaim(world, fence, started).await,
                Ok(Renewal::Taken) => self.lose(world, "taken"),
                Err(_) => self.distrust_if_late(world),
            }
        }
    }

    fn trust(&self, world: u64, at: Instant) {
        if let Some(o) = self.owned().get_mut(&world) {
            o.trusted_until = self.trusted_from(at);
        }
    }

    fn distrust_if_late(&self, world: u64) {
        let late = self
            .owned()
            .get(&world)
            .is_some_and(|o| Instant::now() >= o.trusted_until);
        if late {
            self.lose(world, "untrusted");
        }
    }

    /// Redis lost the lease (a restart): take it again with a new token, and keep running only if nobody
    /// claimed the world in between.
    async fn reclaim(&self, world: u64, old: u64, started: Instant) {
        let taken = match self.leases.acquire(world, old).await {
            Ok(Some(new)) => new,
            Ok(None) => return self.lose(world, "taken"),
            Err(_) => return self.distrust_if_late(world),
        };
        match self
            .store
            .reclaim_world(world as i64, old, taken, &self.node)
            .await
        {
            Ok(true) => {
                if let Some(o) = self.owned().get_mut(&world) {
                    o.fence.store(taken, Ordering::SeqCst);
                    o.trusted_until = self.trusted_from(started);
                }
                metrics::counter!(CLUSTER_LEASES_ACQUIRED_TOTAL, "how" => "reclaim").increment(1);
                info!(
                    world,
                    old,
                    fence = taken,
                    "Cluster: lease taken again after Redis lost it."
                );
            }
            _ => {
                let _ = self.leases.release(world, taken).await;
                self.lose(world, "taken");
            }
        }
    }

    /// Stops running `world` here (its lease is gone or cannot be trusted).
    pub(super) fn lose(&self, world: u64, why: &'static str) {
        let Some(o) = self.owned().remove(&world) else {
            return;
        };
        o.stop.send_replace(true);
        self.registry.remove(world);
        metrics::counter!(CLUSTER_LEASES_LOST_TOTAL, "why" => why).increment(1);
        warn!(world, why, node = %self.node, "Cluster: this node lost the world's lease; stopped it.");
        if let Some(task) = o.task {
            tokio::spawn(async move {
                let _ = task.await;
            });
        }
    }

    fn live_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .live
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|n| n.id.clone())
            .collect();
        if !ids.contains(&self.node) {
            ids.push(self.node.clone());
        }
        ids
    }

    /// Takes the orphaned worlds this node should run.
    async fn place(&self) {
        if self.redis_down.load(Ordering::Relaxed) {
            return;
        }
        let rows = match self.store.worlds().await {
            Ok(rows) => rows,
            Err(e) => return warn!(error = %e, "Cluster: cannot list worlds."),
        };
        let candidates: Vec<WorldRow> = {
            let owned = self.owned();
            rows.into_iter()
                .filter(|r| !owned.contains_key(&(r.id as u64)))
                .collect()
        };
        let ids: Vec<u64> = candidates.iter().map(|r| r.id as u64).collect();
        let Ok(holders) = self.leases.holders(&ids).await else {
            return;
        };
        // The live list as of now, not as of the renewer's last round: a node that just left (SIGTERM)
        // must not be ranked first for the worlds it released.
        if let Ok(live) = self.nodes.live().await {
            *self.live.write().unwrap_or_else(|e| e.into_inner()) = live;
        }
        let nodes = self.live_ids();
        let now = Instant::now();
        let mut orphans = self.orphan_since.lock().await;
        orphans.retain(|id, _| ids.contains(id));
        for (row, holder) in candidates.iter().zip(holders) {
            let id = row.id as u64;
            if holder.is_some() {
                orphans.remove(&id);
                continue;
            }
            let cap = self.config.max_worlds_per_node;
            if cap > 0 && self.owned().len() >= cap {
                break;
            }
            let since = *orphans.entry(id).or_insert(now);
            let mine = rendezvous(id, &nodes) == Some(self.node.as_str());
            if mine || now.duration_since(since) >= self.config.lease_ttl {
                self.take(row).await;
                orphans.remove(&id);
            }
        }
    }

    /// Takes `row`'s lease, claims it in the store, restores the world and runs it here.
    pub(super) async fn take(&self, row: &WorldRow) -> bool {
        let id = row.id as u64;
        let floor = match self.store.world_fence(row.id).await {
            Ok(f) => f.unwrap_or(0),
            Err(e) => {
                warn!(world = id, error = %e, "Cluster: cannot read the world's fence.");
                return false;
            }
        };
        let handed_off = self.leases.was_handed_off(id).await.unwrap_or(false);
        let asked = Instant::now();
        let fence = match self.leases.acquire(id, floor).await {
            Ok(Some(f)) => f,
            _ => return false,
        };
        match self.store.claim_world(row.id, fence, &self.node).await {
            Ok(true) => {}
            other => {
                warn!(world = id, fence, result = ?other, "Cluster: the store refused the claim.");
                let _ = self.leases.release(id, fence).await;
                return false;
            }
        }
        let how = match (handed_off, floor) {
            (true, _) => "handoff",
            (false, 0) => "first",
            (false, _) => "failover",
        };
        let (stop, stopped) = watch::channel(false);
        let stop = Arc::new(stop);
        let cell = Arc::new(AtomicU64::new(fence));
        let writer = Arc::new(FencedStore {
            store: self.store.clone(),
            fence: cell.clone(),
            stop: stop.clone(),
        });
        let restore = crate::loader::start_with(
            &self.store,
            &self.balance,
            row,
            &self.world_options,
            &self.registry,
            stopped,
            writer,
        );
        // A long journal replay must not outlive the lease: renew it meanwhile.
        tokio::pin!(restore);
        let mut every = tokio::time::interval(self.round_every());
        every.tick().await;
        let mut confirmed = asked;
        let started = loop {
            tokio::select! {
                started = &mut restore => break started,
                _ = every.tick() => {
                    let at = Instant::now();
                    if let Ok(Renewal::Renewed) = self.leases.renew(id, fence).await {
                        confirmed = at;
                    }
                }
            }
        };
        match started {
            Ok(task) => {
                let owned = Owned {
                    fence: cell,
                    stop: stop.clone(),
                    task: Some(task),
                    trusted_until: self.trusted_from(confirmed),
                };
                // Checked under the lock that the hand-off drains the map with.
                let refused = {
                    let mut map = self.owned();
                    if self.leaving.load(Ordering::SeqCst) {
                        Some(owned)
                    } else {
                        map.insert(id, owned);
                        None
                    }
                };
                if let Some(owned) = refused {
                    // The node began shutting down during the restore: give the world straight back.
                    stop.send_replace(true);
                    if let Some(task) = owned.task {
                        let _ = task.await;
                    }
                    self.registry.remove(id);
                    let _ = self.leases.release(id, fence).await;
                    return false;
                }
                metrics::counter!(CLUSTER_LEASES_ACQUIRED_TOTAL, "how" => how).increment(1);
                info!(world = id, fence, how, node = %self.node, "Cluster: world taken; running it here.");
                true
            }
            Err(e) => {
                error!(world = id, error = %format!("{e:#}"), "Cluster: cannot start the world.");
                let _ = self.leases.release(id, fence).await;
                false
            }
        }
    }

    /// Shutdown: leaves the membership (others stop ranking this node), stops every owned world (each
    /// writes its final snapshot with its token), then releases the leases marked as handed off.
    pub(super) async fn hand_off_all(&self) {
        let _ = self.nodes.leave(&self.node).await;
        let owned: HashMap<u64, Owned> = {
            let mut map = self.owned();
            self.leaving.store(true, Ordering::SeqCst);
            std::mem::take(&mut *map)
        };
        for o in owned.values() {
            o.stop.send_replace(true);
        }
        for (world, o) in owned {
            if let Some(task) = o.task {
                let _ = task.await;
            }
            self.registry.remove(world);
            let fence = o.fence.load(Ordering::SeqCst);
            match self.leases.release(world, fence).await {
                Ok(true) => info!(world, fence, "Cluster: world handed off."),
                _ => warn!(
                    world,
                    fence, "Cluster: could not release the lease; it expires by itself."
                ),
            }
        }
        metrics::gauge!(CLUSTER_WORLDS_OWNED).set(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendezvous_spreads_worlds_and_moves_only_a_dead_nodes_worlds() {
        let three: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let two: Vec<String> = ["a", "c"].map(String::from).to_vec();
        let mut per_node: HashMap<&str, usize> = HashMap::new();
        for w in 0..300 {
            let first = rendezvous(w, &three).unwrap();
            *per_node.entry(first).or_default() += 1;
            if first != "b" {
                assert_eq!(rendezvous(w, &two), Some(first), "world {w} moved");
            }
        }
        for n in ["a", "b", "c"] {
            assert!(per_node[n] > 60, "{per_node:?}");
        }
        assert_eq!(rendezvous(1, &[]), None);
    }
}
