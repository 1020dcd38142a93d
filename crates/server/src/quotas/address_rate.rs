//! A rate per client address: a token bucket of `per_hour` tokens, refilled evenly over the hour.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use dashmap::DashMap;

/// Buckets kept before full ones (addresses that have waited long enough) are forgotten.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug)]
pub struct AddressRate {
    per_hour: u32,
    buckets: DashMap<IpAddr, Bucket>,
}

impl AddressRate {
    /// `per_hour` 0: no limit.
    pub fn per_hour(per_hour: u32) -> Self {
        Self {
            per_hour,
            buckets: DashMap::new(),
        }
    }

    fn per_second(&self) -> f64 {
        f64::from(self.per_hour) / 3600.0
    }

    /// Takes a token of `address`, or says how long until it has one. Without an address (a request
    /// that did not come over a socket) or a limit, always `Ok`.
    pub fn take(&self, address: Option<IpAddr>) -> Result<(), Duration> {
        let Some(address) = address.filter(|_| self.per_hour > 0) else {
            return Ok(());
        };
        if self.buckets.len() > SWEEP_ABOVE {
            self.sweep();
        }
        let now = Instant::now();
        let burst = f64::from(self.per_hour);
        let mut b = self.buckets.entry(address).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let refilled = now.saturating_duration_since(b.last).as_secs_f64() * self.per_second();
        b.tokens = (b.tokens + refilled).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - b.tokens) / self.per_second(),
            ))
        }
    }

    /// Forgets addresses whose bucket has refilled.
    pub fn sweep(&self) {
        let now = Instant::now();
        let (rate, burst) = (self.per_second(), f64::from(self.per_hour));
        self.buckets.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * rate < burst
        });
    }

    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));
    const B: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2)));

    #[test]
    fn an_address_gets_its_hourly_burst_then_waits() {
        let rate = AddressRate::per_hour(3);
        for _ in 0..3 {
            assert_eq!(rate.take(A), Ok(()));
        }
        let wait = rate.take(A).unwrap_err();
        assert!(
            wait > Duration::from_secs(1000) && wait <= Duration::from_secs(1200),
            "{wait:?}"
        );
        assert_eq!(rate.take(B), Ok(()), "another address is not affected");
        assert_eq!(rate.take(None), Ok(()), "no address, no limit");
    }

    #[test]
    fn zero_is_no_limit_and_full_buckets_are_forgotten() {
        let free = AddressRate::per_hour(0);
        for _ in 0..1000 {
            assert_eq!(free.take(A), Ok(()));
        }
        assert!(free.is_empty());
        let rate = AddressRate::per_hour(5);
        rate.take(A).unwrap();
        rate.sweep();
        assert_eq!(rate.len(), 1, "a bucket still refilling is kept");
    }
}
