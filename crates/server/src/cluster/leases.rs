//! World leases in Redis: `lease:world:<id>` holds `"<node> <fence>"` with a time to live; the fencing
//! token comes from the counter `fence:world:<id>`, raised past the newest token the database has seen
//! (Redis keeps nothing on disk: after a restart its counters start again, the database's do not).
//! Taking, renewing and releasing are single Lua scripts, so two nodes can never both hold a lease.

use super::conn::{Redis, RedisError};

/// Takes the lease if nobody holds it. KEYS: lease, counter. ARGV: node, ttl ms, floor. Returns the new
/// fencing token, or 0 if the lease is held.
const ACQUIRE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local f = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if f <= floor then
  f = floor + 1
  redis.call('SET', KEYS[2], f)
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. f, 'PX', ARGV[2])
return f
";

/// Extends the lease if it is still ours. KEYS: lease. ARGV: `"<node> <fence>"`, ttl ms. Returns 1
/// (renewed), 0 (nobody holds it: Redis lost it) or -1 (another holder).
const RENEW: &str = r"
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if v == false then return 0 end
return -1
";

/// Releases the lease if it is ours and leaves a handoff marker. KEYS: lease, marker. ARGV: `"<node>
/// <fence>"`, marker ttl ms. Returns 1 if released.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
";

/// What renewing a lease found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renewal {
    Renewed,
    /// Nobody holds it (Redis restarted or evicted it): it may be taken again.
    Missing,
    /// Another node holds it.
    Taken,
}

/// Who holds a world's lease.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Holder {
    pub node: String,
    pub fence: u64,
}

impl Holder {
    fn parse(value: &str) -> Option<Self> {
        let (node, fence) = value.rsplit_once(' ')?;
        Some(Self {
            node: node.to_string(),
            fence: fence.parse().ok()?,
        })
    }
}

/// This node's view of the world leases.
#[derive(Clone, Debug)]
pub struct Leases {
    pub redis: Redis,
    /// Key prefix (`<cache.namespace>:cluster`).
    pub prefix: String,
    pub node: String,
    pub ttl_ms: u64,
}

impl Leases {
    pub fn lease_key(&self, world: u64) -> String {
        format!("{}:lease:world:{world}", self.prefix)
    }

    fn fence_key(&self, world: u64) -> String {
        format!("{}:fence:world:{world}", self.prefix)
    }

    fn released_key(&self, world: u64) -> String {
        format!("{}:released:world:{world}", self.prefix)
    }

    fn value(&self, fence: u64) -> String {
        format!("{} {fence}", self.node)
    }

    /// Takes `world`'s lease with a token above `floor`; `None` if another node holds it.
    pub async fn acquire(&self, world: u64, floor: u64) -> Result<Option<u64>, RedisError> {
        let (lease, fence) = (self.lease_key(world), self.fence_key(world));
        let args = [
            self.node.clone(),
            self.ttl_ms.to_string(),
            floor.to_string(),
        ];
        let keys = [lease.as_str(), fence.as_str()];
        let token: u64 = self.redis.eval(ACQUIRE, &keys, &args).await?;
        Ok((token > 0).then_some(token))
    }

    pub async fn renew(&self, world: u64, fence: u64) -> Result<Renewal, RedisError> {
        let args = [self.value(fence), self.ttl_ms.to_string()];
        let found: i64 = self
            .redis
            .eval(RENEW, &[self.lease_key(world).as_str()], &args)
            .await?;
        Ok(match found {
            1 => Renewal::Renewed,
            0 => Renewal::Missing,
            _ => Renewal::Taken,
        })
    }

    /// Releases `world`'s lease (if still ours), marking it as handed off for a while.
    pub async fn release(&self, world: u64, fence: u64) -> Result<bool, RedisError> {
        let (lease, marker) = (self.lease_key(world), self.released_key(world));
        let args = [self.value(fence), (self.ttl_ms * 10).to_string()];
        let keys = [lease.as_str(), marker.as_str()];
        let released: i64 = self.redis.eval(RELEASE, &keys, &args).await?;
        Ok(released == 1)
    }

    /// Whether `world` was released by a node shutting down (recently).
    pub async fn was_handed_off(&self, world: u64) -> Result<bool, RedisError> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(self.released_key(world));
        let n: i64 = self.redis.run(&cmd).await?;
        Ok(n == 1)
    }

    /// The holder of each of `worlds`' leases (`None`: orphaned).
    pub async fn holders(&self, worlds: &[u64]) -> Result<Vec<Option<Holder>>, RedisError> {
        if worlds.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("MGET");
        for w in worlds {
            cmd.arg(self.lease_key(*w));
        }
        let values: Vec<Option<String>> = self.redis.run(&cmd).await?;
        Ok(values
            .into_iter()
            .map(|v| v.as_deref().and_then(Holder::parse))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_is_the_node_and_its_token() {
        assert_eq!(
            Holder::parse("node-a 42"),
            Some(Holder {
                node: "node-a".into(),
                fence: 42
            })
        );
        assert_eq!(Holder::parse("node-a"), None);
        assert_eq!(Holder::parse("node-a x"), None);
    }
}
