//! Cluster mode: several `cosmic serve` nodes on one PostgreSQL database and one Redis. Redis holds the
//! membership (heartbeats with a time to live) and one lease per world with a fencing token; PostgreSQL
//! refuses any journal or snapshot write whose token is older than the world's newest claim. No consensus
//! of our own: Redis and PostgreSQL are the distributed engine.
//!
//! - [`conn`]: the bounded Redis connection; [`leases`]: take, renew, release; [`nodes`]: membership and the
//!   start-up checks; [`fenced`]: a world's storage with its token; [`keeper`]: the loop that runs it all.
//!
//! Not built yet (see docs/cluster.md): relaying clients of a world to the node that owns it, live
//! rooms' leases, and `GET /api/cluster`.

mod conn;
mod fenced;
mod keeper;
mod leases;
mod nodes;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use garden::{WorldOptions, WorldRegistry};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::store::{NewWorld, Store, WorldRow, now_ms};
pub use keeper::rendezvous;
pub use nodes::NodeInfo;

/// A lease lives this long unless renewed (renewals run every quarter of it).
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(4);

/// `[cluster]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    pub enabled: bool,
    /// This node's id (none: the host name and a random suffix).
    pub node_id: Option<String>,
    pub lease_ttl: Duration,
    /// Worlds one node runs at most (0: no cap).
    pub max_worlds_per_node: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            node_id: None,
            lease_ttl: DEFAULT_LEASE_TTL,
            max_worlds_per_node: 0,
        }
    }
}

/// A world this node runs.
#[derive(Debug)]
struct Owned {
    fence: Arc<AtomicU64>,
    stop: Arc<watch::Sender<bool>>,
    task: Option<JoinHandle<sim::WorldState>>,
    trusted_until: Instant,
}

/// What the cluster mode of one node needs to start.
pub struct Parts {
    pub config: ClusterConfig,
    pub redis_url: String,
    pub namespace: String,
    pub listen: String,
    pub jwt_secret: String,
    pub store: Store,
    pub balance: Arc<sim::Balance>,
    pub world_options: WorldOptions,
    pub registry: WorldRegistry,
    /// The node's open connections, for its heartbeat.
    pub load: Box<dyn Fn() -> usize + Send + Sync>,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("config", &self.config)
            .field("namespace", &self.namespace)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: ClusterConfig,
    node: String,
    listen: String,
    started_ms: i64,
    leases: leases::Leases,
    nodes: nodes::Nodes,
    store: Store,
    balance: Arc<sim::Balance>,
    world_options: WorldOptions,
    registry: WorldRegistry,
    load: Box<dyn Fn() -> usize + Send + Sync>,
    owned: Mutex<HashMap<u64, Owned>>,
    live: RwLock<Vec<NodeInfo>>,
    orphan_since: tokio::sync::Mutex<HashMap<u64, Instant>>,
    last_heartbeat_ms: AtomicI64,
    redis_down: AtomicBool,
    /// Set when the hand-off at shutdown begins (a world taken after it is given back at once).
    leaving: AtomicBool,
    done: AtomicBool,
}

impl Inner {
    fn owned(&self) -> MutexGuard<'_, HashMap<u64, Owned>> {
        self.owned.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// This node's membership of the cluster: cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("node", &self.inner.node)
            .finish_non_exhaustive()
    }
}

/// A node id of its own: the host name and six random characters.
fn generated_node_id() -> String {
    use rand::Rng;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    let mut rng = rand::rng();
    let suffix: String = (0..6)
        .map(|_| char::from_digit(rng.random_range(0..36), 36).unwrap_or('0'))
        .collect();
    format!("{host}-{suffix}")
}

impl Cluster {
    /// Joins the cluster: checks Redis answers (for up to `patience`) and that this node's JWT secret is
    /// the others'. Does not take any world yet ([`Cluster::spawn`] does).
    pub async fn join(parts: Parts, patience: Duration) -> anyhow::Result<Self> {
        let redis = conn::Redis::connect(&parts.redis_url).context("cluster: redis.url")?;
        let ttl_ms = parts.config.lease_ttl.as_millis() as u64;
        let prefix = format!("{}:cluster", parts.namespace);
        let node = parts
            .config
            .node_id
            .clone()
            .unwrap_or_else(generated_node_id);
        let nodes = nodes::Nodes {
            redis: redis.clone(),
            prefix: prefix.clone(),
            ttl_ms,
        };
        let deadline = Instant::now() + patience;
        let same_secret = loop {
            match nodes.check_secret(&parts.jwt_secret).await {
                Ok(same) => break same,
                Err(e) if Instant::now() >= deadline => {
                    bail!("cluster mode needs Redis, which did not answer within {patience:?}: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        };
        if !same_secret {
            bail!(
                "auth.jwt_secret: this node's secret differs from the one the cluster's other nodes use \
                 (tokens one node signs would be refused by the others); give every node the same secret"
            );
        }
        info!(node = %node, lease_ttl_s = parts.config.lease_ttl.as_secs_f64(), "Cluster mode: joined.");
        let inner = Inner {
            leases: leases::Leases {
                redis,
                prefix,
                node: node.clone(),
                ttl_ms,
            },
            nodes,
            node,
            listen: parts.listen,
            started_ms: now_ms(),
            config: parts.config,
            store: parts.store,
            balance: parts.balance,
            world_options: parts.world_options,
            registry: parts.registry,
            load: parts.load,
            owned: Mutex::default(),
            live: RwLock::default(),
            orphan_since: tokio::sync::Mutex::default(),
            last_heartbeat_ms: AtomicI64::new(0),
            redis_down: AtomicBool::new(false),
            leaving: AtomicBool::new(false),
            done: AtomicBool::new(false),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// The stored worlds; on an empty database one node (under a cluster-wide lock) creates `default`.
    pub async fn ensure_worlds(&self, default: &NewWorld) -> anyhow::Result<Vec<WorldRow>> {
        let store = &self.inner.store;
        for _ in 0..120 {
            let rows = store.worlds().await?;
            if !rows.is_empty() {
                return Ok(rows);
            }
            if self.inner.nodes.lock_init(&self.inner.node).await? {
                let rows = store.worlds().await?;
                if !rows.is_empty() {
                    return Ok(rows);
                }
                return Ok(vec![store.create_world(default).await?]);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        bail!("cluster: another node holds the start-up lock but created no world within 30 s")
    }

    /// Starts the lease keeper's two loops, the renewer and the placer; both stop after
    /// [`Cluster::hand_off`], and the placer takes nothing once the server is shutting down.
    pub fn spawn(&self, shutdown: watch::Receiver<bool>) {
        let renewer = self.inner.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(renewer.round_every());
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !renewer.done.load(Ordering::Relaxed) {
                every.tick().await;
                renewer.renew_round().await;
            }
        });
        let placer = self.inner.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(placer.round_every());
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let shutting_down = *shutdown.borrow();
                if shutting_down || placer.done.load(Ordering::Relaxed) {
                    break;
                }
                placer.place_round().await;
            }
        });
    }

    /// Runs a world created on this node (through the API) here at once.
    pub async fn take_new(&self, row: &WorldRow) -> anyhow::Result<()> {
        if self.inner.take(row).await {
            Ok(())
        } else {
            bail!("cluster: could not take the new world {}'s lease", row.id)
        }
    }

    /// Shutdown: hands every world to the other nodes (final snapshot, release) and stops the keeper.
    pub async fn hand_off(&self) {
        self.inner.hand_off_all().await;
        self.inner.done.store(true, Ordering::Relaxed);
    }

    /// Whether this node may take new clients: its last heartbeat reached Redis within a lease's time.
    pub fn healthy(&self) -> bool {
        let last = self.inner.last_heartbeat_ms.load(Ordering::Relaxed);
        !self.inner.redis_down.load(Ordering::Relaxed)
            && now_ms() - last <= self.inner.config.lease_ttl.as_millis() as i64
    }

    /// For `/health/detailed`: this node, the live nodes and the worlds this node runs.
    pub fn status(&self) -> Value {
        let owned: Vec<Value> = {
            let mut list: Vec<(u64, u64)> = self
                .inner
                .owned()
                .iter()
                .map(|(id, o)| (*id, o.fence.load(Ordering::SeqCst)))
                .collect();
            list.sort_unstable();
            list.into_iter()
                .map(|(world, fence)| json!({ "world": world, "fence": fence }))
                .collect()
        };
        let live = self
            .inner
            .live
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        json!({
            "node": self.inner.node,
            "healthy": self.healthy(),
            "lease_ttl_ms": self.inner.config.lease_ttl.as_millis() as u64,
            "owned": owned,
            "nodes": live,
        })
    }
}
