//! Login throttling: failed logins are counted per login name (known or not, so that a refusal reveals
//! nothing) and per client address; past a few free failures each key must wait, twice as long after
//! every further failure, before its next attempt is even checked. A success clears the login's count.
//! The state is this node's (a cluster throttles per node).

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dashmap::DashMap;

/// Failures a login name may have before it waits.
pub const FREE_PER_LOGIN: u32 = 5;
/// Failures an address may have before it waits (several people can share one address).
pub const FREE_PER_ADDRESS: u32 = 20;
/// The first wait, doubled after every further failure, up to [`MAX_WAIT`].
pub const FIRST_WAIT: Duration = Duration::from_secs(1);
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// A key with no failure for this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
    wait_until: Instant,
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    logins: DashMap<String, Failures>,
    addresses: DashMap<IpAddr, Failures>,
    last_sweep: Mutex<Option<Instant>>,
}

/// Why an attempt is refused before its password is checked, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    pub by: &'static str,
    pub retry_after: Duration,
}

fn login_key(login: &str) -> String {
    login.trim().to_lowercase()
}

fn wait_for(count: u32, free: u32) -> Duration {
    let extra = count.saturating_sub(free);
    if extra == 0 {
        return Duration::ZERO;
    }
    FIRST_WAIT
        .saturating_mul(1u32 << (extra - 1).min(20))
        .min(MAX_WAIT)
}

fn check<K: std::hash::Hash + Eq>(
    map: &DashMap<K, Failures>,
    key: &K,
    now: Instant,
) -> Option<Duration> {
    let f = map.get(key)?;
    (f.wait_until > now).then(|| f.wait_until - now)
}

fn fail<K: std::hash::Hash + Eq>(map: &DashMap<K, Failures>, key: K, free: u32, now: Instant) {
    let mut f = map.entry(key).or_insert(Failures {
        count: 0,
        last: now,
        wait_until: now,
    });
    f.count += 1;
    f.last = now;
    f.wait_until = now + wait_for(f.count, free);
}

impl LoginThrottle {
    /// `Err` when `login` or `address` must still wait.
    pub fn check(&self, login: &str, address: Option<IpAddr>) -> Result<(), Throttled> {
        let now = Instant::now();
        if let Some(wait) = check(&self.logins, &login_key(login), now) {
            return Err(Throttled {
                by: "login",
                retry_after: wait,
            });
        }
        if let Some(wait) = address.and_then(|a| check(&self.addresses, &a, now)) {
            return Err(Throttled {
                by: "address",
                retry_after: wait,
            });
        }
        Ok(())
    }

    pub fn failed(&self, login: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        self.sweep(now);
        fail(&self.logins, login_key(login), FREE_PER_LOGIN, now);
        if let Some(a) = address {
            fail(&self.addresses, a, FREE_PER_ADDRESS, now);
        }
    }

    pub fn succeeded(&self, login: &str) {
        self.logins.remove(&login_key(login));
    }

    /// Forgets keys without a failure for an hour, at most once a minute.
    fn sweep(&self, now: Instant) {
        let mut last = self.last_sweep.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|t| now.duration_since(t) < Duration::from_secs(60)) {
            return;
        }
        *last = Some(now);
        drop(last);
        self.logins
            .retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
        self.addresses
            .retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_after_the_free_failures() {
        assert_eq!(wait_for(5, 5), Duration::ZERO);
        assert_eq!(wait_for(6, 5), Duration::from_secs(1));
        assert_eq!(wait_for(7, 5), Duration::from_secs(2));
        assert_eq!(wait_for(10, 5), Duration::from_secs(16));
        assert_eq!(wait_for(60, 5), MAX_WAIT);
    }

    #[test]
    fn a_login_is_throttled_known_or_not_and_a_success_clears_it() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..FREE_PER_LOGIN {
            assert!(t.check("Nobody", Some(ip)).is_ok());
            t.failed("Nobody", Some(ip));
        }
        t.failed("nobody ", Some(ip));
        let refused = t.check("NOBODY", None).unwrap_err();
        assert_eq!(refused.by, "login");
        assert!(refused.retry_after <= FIRST_WAIT);
        assert!(
            t.check("someone-else", Some(ip)).is_ok(),
            "another login from the same address"
        );
        t.succeeded("nobody");
        assert!(t.check("nobody", Some(ip)).is_ok());
    }

    #[test]
    fn an_address_is_throttled_across_logins() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..=FREE_PER_ADDRESS {
            t.failed(&format!("user{i}"), Some(ip));
        }
        assert_eq!(t.check("fresh", Some(ip)).unwrap_err().by, "address");
        assert!(t.check("fresh", Some("10.0.0.3".parse().unwrap())).is_ok());
    }
}
