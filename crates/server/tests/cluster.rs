//! Cluster mode with real processes: `cosmic serve` nodes on one PostgreSQL database and one Redis, on
//! loopback ports. A world is run by exactly one node; when its owner is killed another node restores it
//! and runs it with no acknowledged command lost; an owner paused past its lease is fenced off; SIGTERM
//! hands worlds over; a node with another JWT secret is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)] // tests: figures go to the output

mod common;

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use server::store::Store;

const SECRET: &str = "cluster-test-secret-0123456789abcdef";

/// What the nodes of one test share: a fresh database, a Redis namespace, a balance file.
struct Cluster {
    dir: tempfile::TempDir,
    database_url: String,
    redis_url: String,
    namespace: String,
    balance: sim::Balance,
}

/// One `cosmic serve` process.
struct Node {
    id: String,
    child: tokio::process::Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Cluster {
    async fn new() -> Option<Self> {
        let database_url = fresh_database(Backend::Postgres).await?;
        let redis_url = service_url("TEST_REDIS_URL", "Redis")?;
        let dir = tempfile::tempdir().unwrap();
        // Rich players, so that they keep creating for as long as a test needs.
        let text = include_str!("../../sim/data/balance.toml").replace(
            "starting_resources = { cosmic_dust = 1000.0 }",
            "starting_resources = { cosmic_dust = 1.0e9 }",
        );
        std::fs::write(dir.path().join("balance.toml"), &text).unwrap();
        let namespace =
            format!("cosmic_test_{}", std::process::id()) + &format!("_{}", rand_suffix());
        Some(Self {
            dir,
            database_url,
            redis_url,
            namespace,
            balance: sim::Balance::from_toml(&text).unwrap(),
        })
    }

    /// The same on a Redis of the test's own (one it may kill and restart).
    async fn on_redis(url: String) -> Option<Self> {
        let mut c = Self::new().await?;
        c.redis_url = url;
        Some(c)
    }

    async fn start(&self, id: &str) -> Node {
        self.start_with(id, SECRET).await.expect("the node starts")
    }

    /// Starts node `id`; `Err(log)` if it exits before serving.
    async fn start_with(&self, id: &str, secret: &str) -> Result<Node, String> {
        let port = free_port();
        let data = self.dir.path().join(id);
        std::fs::create_dir_all(&data).unwrap();
        let log = self.dir.path().join(format!("{id}.log"));
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosmic"));
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--world-bodies", "60", "--database-url", &self.database_url])
            .args(["--redis-url", &self.redis_url, "--data-dir"])
            .arg(&data)
            .arg("--balance")
            .arg(self.dir.path().join("balance.toml"))
            .env("COSMIC_CLUSTER__ENABLED", "true")
            .env("COSMIC_CLUSTER__NODE_ID", id)
            .env("COSMIC_CLUSTER__LEASE_TTL_SECS", "2")
            .env("COSMIC_CACHE__NAMESPACE", &self.namespace)
            .env("COSMIC_AUTH__JWT_SECRET", secret)
            .env("COSMIC_WORLD__SNAPSHOT_EVERY_SECS", "1")
            .env("RUST_LOG", "info")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("cosmic starts");
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(Some(_)) = child.try_wait() {
                return Err(std::fs::read_to_string(&log).unwrap_or_default());
            }
            let up = client
                .get(format!("http://127.0.0.1:{port}/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return Ok(Node {
                    id: id.to_string(),
                    child,
                    port,
                    log,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("node {id} did not come up on port {port}");
    }

    async fn store(&self) -> Store {
        Store::connect(
            Some(&self.database_url),
            self.dir.path(),
            Duration::from_secs(10),
        )
        .await
        .unwrap()
    }

    /// Access tokens of `n` new guest accounts, signed with the nodes' secret.
    async fn players(&self, n: usize) -> Vec<(i64, String)> {
        let store = self.store().await;
        let tokens = guests_with_tokens(&store, SECRET, n).await;
        store.close().await;
        tokens
    }
}

fn rand_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

impl Node {
    async fn detailed(&self) -> Option<Value> {
        let url = format!("http://127.0.0.1:{}/health/detailed", self.port);
        let r = reqwest::Client::new()
            .get(url)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }

    /// The worlds this node says it runs, each with its fencing token.
    async fn owned(&self) -> Vec<(u64, u64)> {
        let Some(d) = self.detailed().await else {
            return Vec::new();
        };
        d["cluster"]["owned"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| (o["world"].as_u64().unwrap(), o["fence"].as_u64().unwrap()))
            .collect()
    }

    /// Ticks of `world` on this node (none: it does not run it).
    async fn ticks(&self, world: u64) -> Option<u64> {
        let d = self.detailed().await?;
        d["worlds"]
            .as_array()?
            .iter()
            .find(|w| w["id"].as_u64() == Some(world))?["ticks"]
            .as_u64()
    }

    async fn metric(&self, series: &str) -> f64 {
        let url = format!("http://127.0.0.1:{}/metrics", self.port);
        let Ok(r) = reqwest::get(url).await else {
            return 0.0;
        };
        let text = r.text().await.unwrap_or_default();
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0.0)
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().unwrap().to_string();
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} {pid}");
    }

    async fn ready(&self) -> (u16, Value) {
        let url = format!("http://127.0.0.1:{}/health/ready", self.port);
        let r = reqwest::get(url).await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or_default())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Waits (up to `limit`) until exactly one of `nodes` runs `world`; returns its index and token.
async fn owner_of(nodes: &[&Node], world: u64, limit: Duration) -> (usize, u64) {
    let deadline = Instant::now() + limit;
    loop {
        let mut holders = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            if let Some((_, fence)) = n.owned().await.into_iter().find(|(w, _)| *w == world) {
                holders.push((i, fence));
            }
        }
        assert!(
            holders.len() <= 1,
            "world {world} runs on two nodes: {holders:?}"
        );
        if let [one] = holders[..] {
            return one;
        }
        assert!(
            Instant::now() < deadline,
            "no node runs world {world} after {limit:?}; logs:\n{}",
            nodes
                .iter()
                .map(|n| n.log())
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Players on `port` creating bodies until their connection drops; returns their tasks and the live count.
fn players_on(
    port: u16,
    tokens: &[(i64, String)],
) -> (Vec<tokio::task::JoinHandle<(i64, u64)>>, Arc<AtomicU64>) {
    let acked = Arc::new(AtomicU64::new(0));
    let tasks = tokens
        .iter()
        .cloned()
        .map(|(user, token)| {
            let acked = acked.clone();
            tokio::spawn(async move {
                let n = creating_player(port, &token, user as u32 * 100, 2_000, &acked).await;
                (user, n)
            })
        })
        .collect();
    (tasks, acked)
}

/// Every creation the clients were told about is in the world as the journal restores it.
async fn assert_acknowledged_present(c: &Cluster, acked: &[(i64, u64)]) {
    let store = c.store().await;
    let row = store.world(1).await.unwrap();
    let world = server::game::loader::restore(&store, &c.balance, &row)
        .await
        .unwrap();
    for (user, count) in acked {
        let created = world
            .player(sim::PlayerId(*user as u64))
            .map_or(0, |p| p.stats.bodies_created);
        assert!(
            created >= *count,
            "player {user}: {count} creations acknowledged, the world has {created}"
        );
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_owners_world_ticks_again_on_another_node_with_every_acknowledged_command() {
    let Some(c) = Cluster::new().await else {
        return;
    };
    let tokens = c.players(3).await;
    let mut nodes = vec![c.start("node-a").await, c.start("node-b").await];
    let (owner, fence) = owner_of(&[&nodes[0], &nodes[1]], 1, Duration::from_secs(10)).await;
    let (tasks, acked) = players_on(nodes[owner].port, &tokens);
    let deadline = Instant::now() + Duration::from_secs(10);
    while acked.load(Ordering::SeqCst) < 20 {
        assert!(Instant::now() < deadline, "the players got no replies");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut dead = nodes.remove(owner);
    dead.child.kill().await.unwrap(); // SIGKILL
    let killed = Instant::now();
    let survivor = &nodes[0];
    // Liveness bounds, not the target: the failover time is measured by scripts/failover-bench.py.
    let (_, new_fence) = owner_of(&[survivor], 1, Duration::from_secs(30)).await;
    let before = survivor.ticks(1).await.unwrap_or(0);
    while survivor.ticks(1).await.unwrap_or(0) <= before {
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "world 1 does not tick"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let failover = killed.elapsed();
    assert!(
        new_fence > fence,
        "the new owner's token {new_fence} > {fence}"
    );
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.unwrap());
    }
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    eprintln!(
        "failover: world 1 ticked again on {} {:.2} s after SIGKILL of {}; {total} acknowledged creations",
        survivor.id,
        failover.as_secs_f64(),
        dead.id
    );
    assert_eq!(
        survivor
            .metric("cosmic_cluster_leases_acquired_total{how=\"failover\"}")
            .await,
        1.0
    );
    assert_acknowledged_present(&c, &counts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_paused_past_its_lease_is_fenced_off_and_steps_down() {
    let Some(c) = Cluster::new().await else {
        return;
    };
    let tokens = c.players(2).await;
    let nodes = [c.start("node-a").await, c.start("node-b").await];
    let (owner, old) = owner_of(&[&nodes[0], &nodes[1]], 1, Duration::from_secs(10)).await;
    let (paused, other) = (&nodes[owner], &nodes[1 - owner]);
    // Its players keep sending while it is paused: their commands wait in its sockets.
    let (tasks, acked) = players_on(paused.port, &tokens);
    while acked.load(Ordering::SeqCst) < 10 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    paused.signal("STOP");
    let (_, new) = owner_of(&[other], 1, Duration::from_secs(15)).await;
    assert!(new > old);
    while other.ticks(1).await.unwrap_or(0) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    paused.signal("CONT");
    // It finds out (a renewal sees another holder, or a write is refused) and stops the world.
    let deadline = Instant::now() + Duration::from_secs(10);
    while paused.owned().await.iter().any(|(w, _)| *w == 1) || paused.ticks(1).await.is_some() {
        assert!(
            Instant::now() < deadline,
            "the paused owner still runs world 1"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lost = paused
        .metric("cosmic_cluster_leases_lost_total{why=\"taken\"}")
        .await
        + paused
            .metric("cosmic_cluster_leases_lost_total{why=\"fenced\"}")
            .await;
    assert_eq!(lost, 1.0, "{}", paused.log());
    // Let its clients' queued commands reach it and be refused, then look at what was written.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for t in tasks {
        t.abort();
        let _ = t.await;
    }
    let store = c.store().await;
    let (late, takeover) = store.fence_audit(1, old, new).await.unwrap();
    assert!(
        late.is_none_or(|t| takeover.is_some_and(|k| t <= k)),
        "the paused owner wrote tick {late:?} after the takeover at {takeover:?}"
    );
    store.close().await;
    let refused = paused.metric("cosmic_cluster_fenced_writes_total").await;
    eprintln!(
        "fencing: {} paused, {} took world 1 with token {new} (was {old}); {refused} late writes refused",
        paused.id, other.id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_hands_the_worlds_to_another_node_and_loses_nothing() {
    let Some(c) = Cluster::new().await else {
        return;
    };
    let tokens = c.players(3).await;
    let mut nodes = vec![c.start("node-a").await, c.start("node-b").await];
    let (owner, _) = owner_of(&[&nodes[0], &nodes[1]], 1, Duration::from_secs(10)).await;
    let (tasks, acked) = players_on(nodes[owner].port, &tokens);
    while acked.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut leaving = nodes.remove(owner);
    leaving.signal("TERM");
    let asked = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(30), leaving.child.wait())
        .await
        .expect("the node stops")
        .unwrap();
    assert!(status.success(), "exit 0, got {status}: {}", leaving.log());
    let survivor = &nodes[0];
    owner_of(&[survivor], 1, Duration::from_secs(10)).await;
    while survivor.ticks(1).await.unwrap_or(0) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let moved = asked.elapsed();
    assert_eq!(
        survivor
            .metric("cosmic_cluster_leases_acquired_total{how=\"handoff\"}")
            .await,
        1.0
    );
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.unwrap());
    }
    eprintln!(
        "handoff: world 1 ticked on {} {:.2} s after SIGTERM of {}",
        survivor.id,
        moved.as_secs_f64(),
        leaving.id
    );
    assert_acknowledged_present(&c, &counts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_redis_restart_every_world_is_owned_exactly_once_again() {
    let port = free_port();
    let redis = PrivateRedis::start(port);
    let Some(c) = Cluster::on_redis(redis.url()).await else {
        return;
    };
    let nodes = [c.start("node-a").await, c.start("node-b").await];
    let (owner, old) = owner_of(&[&nodes[0], &nodes[1]], 1, Duration::from_secs(10)).await;
    drop(redis); // SIGKILL: every lease, counter and heartbeat is gone
    // Nobody can trust a lease now: the owner stops the world and says it is not ready.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = nodes[owner].ready().await;
        if status == 503 && nodes[owner].ticks(1).await.is_none() {
            assert_eq!(body["status"], "cluster_unavailable");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the owner kept world 1 without Redis"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _redis = PrivateRedis::start(port);
    let (_, new) = owner_of(&[&nodes[0], &nodes[1]], 1, Duration::from_secs(15)).await;
    assert!(
        new > old,
        "the token {new} is above the database's {old}, though Redis forgot its counter"
    );
    for n in &nodes {
        let deadline = Instant::now() + Duration::from_secs(10);
        while n.ready().await.0 != 200 {
            assert!(Instant::now() < deadline, "{} not ready again", n.id);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn a_node_with_another_jwt_secret_is_refused() {
    let Some(c) = Cluster::new().await else {
        return;
    };
    let _a = c.start("node-a").await;
    let log = match c
        .start_with("node-b", "another-secret-0123456789abcdef0123")
        .await
    {
        Err(log) => log,
        Ok(_) => panic!("node-b started with another JWT secret"),
    };
    assert!(log.contains("auth.jwt_secret"), "{log}");
}

#[tokio::test]
async fn the_store_refuses_a_write_with_a_stale_token() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let url = fresh_database(backend).await;
        let store = Store::connect(url.as_deref(), dir.path(), Duration::from_secs(10))
            .await
            .unwrap();
        let row = store
            .create_world(&server::store::NewWorld {
                name: "fenced".into(),
                public: true,
                max_players: 10,
                tick_rate: 20,
                seed: 1,
                bodies: 0,
                owner_id: None,
                max_bodies: None,
            })
            .await
            .unwrap();
        let command = |n: u64| sim::Command {
            player: sim::PlayerId(n),
            kind: sim::CommandKind::Leave,
        };
        assert!(store.claim_world(row.id, 1, "a").await.unwrap());
        store
            .append_commands_fenced(row.id, Some(1), 1, &[command(1)])
            .await
            .unwrap();
        assert!(
            !store.claim_world(row.id, 1, "b").await.unwrap(),
            "{backend:?}"
        );
        assert!(store.claim_world(row.id, 2, "b").await.unwrap());
        let stale = store
            .append_commands_fenced(row.id, Some(1), 2, &[command(2)])
            .await;
        assert!(
            matches!(
                stale,
                Err(server::store::StoreError::Fenced {
                    token: 1,
                    newest: 2
                })
            ),
            "{backend:?}: {stale:?}"
        );
        store
            .append_commands_fenced(row.id, Some(2), 2, &[command(3)])
            .await
            .unwrap();
        let state = sim::World::generate(
            std::sync::Arc::new(sim::Balance::default()),
            &sim::GenerateOptions::default(),
        )
        .snapshot();
        assert!(
            store
                .save_snapshot_fenced(row.id, Some(1), &state)
                .await
                .is_err()
        );
        let journal = store.commands_after(row.id, 0).await.unwrap();
        let players: Vec<u64> = journal
            .iter()
            .flat_map(|(_, cs)| cs.iter().map(|c| c.player.0))
            .collect();
        assert_eq!(players, [1, 3], "{backend:?}: the stale write left nothing");
        assert!(!store.reclaim_world(row.id, 1, 3, "b").await.unwrap());
        assert!(store.reclaim_world(row.id, 2, 3, "b").await.unwrap());
        assert_eq!(store.world_fence(row.id).await.unwrap(), Some(3));
        store.close().await;
    }
}

/// Every node restores every live room; a node's idle copy must not delete a room another node runs (its
/// actor keeps `last_active` fresh while anyone is in it).
#[tokio::test]
async fn an_idle_copy_of_a_room_does_not_delete_it_while_it_is_active_elsewhere() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let url = fresh_database(backend).await;
        let store = Store::connect(url.as_deref(), dir.path(), Duration::from_secs(10))
            .await
            .unwrap();
        let mut room = server::store::LiveRoomRow {
            id: "r1".into(),
            code: "ABCD".into(),
            owner_id: 1,
            meta: "{}".into(),
            state: "{}".into(),
            last_active: 1_000,
        };
        store.save_live_room(&room).await.unwrap();
        // Another node, where people are, refreshed it.
        room.last_active = 5_000;
        store.save_live_room(&room).await.unwrap();
        assert!(
            !store.delete_live_room("r1", 1_000).await.unwrap(),
            "{backend:?}"
        );
        assert_eq!(store.live_rooms().await.unwrap().len(), 1);
        assert!(store.delete_live_room("r1", 5_000).await.unwrap());
        assert!(store.live_rooms().await.unwrap().is_empty());
        store.close().await;
    }
}
