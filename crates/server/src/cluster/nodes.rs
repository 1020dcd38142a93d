//! Cluster membership: each node writes `node:<id>` (what it is and carries, with a time to live) and its
//! heartbeat time in the sorted set `nodes`; the live nodes are those whose heartbeat is recent. Also the start-up checks every node makes: the shared JWT secret.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::conn::{Redis, RedisError};
use crate::store::now_ms;

/// What a node publishes about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub id: String,
    /// The address it listens on (as configured).
    pub listen: String,
    pub version: String,
    pub started_ms: i64,
    pub heartbeat_ms: i64,
    pub worlds: usize,
    pub connections: usize,
}

/// The membership keys of one cluster.
#[derive(Clone, Debug)]
pub struct Nodes {
    pub redis: Redis,
    pub prefix: String,
    pub ttl_ms: u64,
}

impl Nodes {
    fn node_key(&self, id: &str) -> String {
        format!("{}:node:{id}", self.prefix)
    }

    fn set_key(&self) -> String {
        format!("{}:nodes", self.prefix)
    }

    /// Writes `info` and its heartbeat; forgets nodes silent for ten times the time to live.
    pub async fn heartbeat(&self, info: &NodeInfo) -> Result<(), RedisError> {
        let json = serde_json::to_string(info).unwrap_or_default();
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(self.node_key(&info.id))
            .arg(json)
            .arg("PX")
            .arg(self.ttl_ms)
            .ignore();
        pipe.cmd("ZADD")
            .arg(self.set_key())
            .arg(info.heartbeat_ms)
            .arg(&info.id)
            .ignore();
        let forget = now_ms() - (self.ttl_ms * 10) as i64;
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(self.set_key())
            .arg("-inf")
            .arg(forget)
            .ignore();
        self.redis.run_pipeline::<()>(&pipe).await
    }

    /// Leaves the membership at once (shutdown), instead of waiting for the heartbeat to age out.
    pub async fn leave(&self, id: &str) -> Result<(), RedisError> {
        let mut pipe = redis::pipe();
        pipe.cmd("ZREM").arg(self.set_key()).arg(id).ignore();
        pipe.cmd("DEL").arg(self.node_key(id)).ignore();
        self.redis.run_pipeline::<()>(&pipe).await
    }

    /// The live nodes, by id: heartbeats (sent every quarter of the time to live) younger than three
    /// quarters of it, so that a dead node leaves the list before its leases expire.
    pub async fn live(&self) -> Result<Vec<NodeInfo>, RedisError> {
        let since = now_ms() - (self.ttl_ms * 3 / 4) as i64;
        let mut cmd = redis::cmd("ZRANGEBYSCORE");
        cmd.arg(self.set_key()).arg(since).arg("+inf");
        let ids: Vec<String> = self.redis.run(&cmd).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut get = redis::cmd("MGET");
        for id in &ids {
            get.arg(self.node_key(id));
        }
        let values: Vec<Option<String>> = self.redis.run(&get).await?;
        let mut nodes: Vec<NodeInfo> = values
            .into_iter()
            .flatten()
            .filter_map(|v| serde_json::from_str(&v).ok())
            .collect();
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(nodes)
    }

    /// Refuses to join a cluster whose nodes sign tokens with another JWT secret: the first node records
    /// the secret's SHA-256 (never the secret), the others compare. The record lives as long as nodes keep
    /// refreshing it, so a secret rotated on every node at once is accepted after the old nodes are gone.
    pub async fn check_secret(&self, secret: &str) -> Result<bool, RedisError> {
        let digest: String = Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let key = format!("{}:jwt_secret_sha256", self.prefix);
        let mut set = redis::cmd("SET");
        set.arg(&key)
            .arg(&digest)
            .arg("NX")
            .arg("PX")
            .arg(self.ttl_ms * 10);
        let _: Option<String> = self.redis.run(&set).await?;
        let mut get = redis::cmd("GET");
        get.arg(&key);
        let recorded: Option<String> = self.redis.run(&get).await?;
        let same = recorded.as_deref() == Some(digest.as_str());
        if same {
            let mut touch = redis::cmd("PEXPIRE");
            touch.arg(&key).arg(self.ttl_ms * 10);
            let _: i64 = self.redis.run(&touch).await?;
        }
        Ok(same)
    }

    /// Takes the cluster-wide start-up lock (creating the default world); `false` if another node has it.
    pub async fn lock_init(&self, node: &str) -> Result<bool, RedisError> {
        let mut set = redis::cmd("SET");
        set.arg(format!("{}:init", self.prefix))
            .arg(node)
            .arg("NX")
            .arg("PX")
            .arg(30_000);
        let taken: Option<String> = self.redis.run(&set).await?;
        Ok(taken.is_some())
    }
}
