//! Connection admission: a cap on the TCP connections of one client address and a cap on all of them,
//! below the open-file limit, so that one address cannot take every descriptor and health checks and
//! connected players are still served when the server is full.
//!
//! A connection holds its [`Slot`] until it closes — an upgraded WebSocket too (the upgrade takes a
//! clone from the request's extensions), since it keeps the same socket.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;
use metrics::{Counter, Gauge, counter, gauge};

pub const HTTP_CONNECTIONS: &str = "cosmic_http_connections";
pub const HTTP_CONNECTIONS_REFUSED_TOTAL: &str = "cosmic_http_connections_refused_total";

/// What a new connection may do.
pub(crate) enum Admit {
    /// Everything.
    Serve(ConnSlot),
    /// The server is at its connection cap: health checks only; everything else gets a 503.
    HealthOnly(ConnSlot),
    /// Its address is at its cap: a 429, then closed.
    TooMany,
}

pub(crate) struct Admission {
    max_total: usize,
    max_per_address: usize,
    exempt: Vec<IpAddr>,
    total: AtomicUsize,
    per_address: DashMap<IpAddr, usize>,
    open: Gauge,
    refused_per_address: Counter,
    refused_full: Counter,
}

impl Admission {
    pub fn new(max_total: usize, max_per_address: usize, exempt: Vec<IpAddr>) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_address,
            exempt,
            total: AtomicUsize::new(0),
            per_address: DashMap::new(),
            open: gauge!(HTTP_CONNECTIONS),
            refused_per_address: counter!(HTTP_CONNECTIONS_REFUSED_TOTAL, "reason" => "per_address"),
            refused_full: counter!(HTTP_CONNECTIONS_REFUSED_TOTAL, "reason" => "server_full"),
        })
    }

    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Admit {
        let ip = ip.to_canonical();
        let counted = self.max_per_address > 0 && !self.exempt.contains(&ip);
        if counted {
            let mut n = self.per_address.entry(ip).or_insert(0);
            if *n >= self.max_per_address {
                drop(n);
                self.refused_per_address.increment(1);
                return Admit::TooMany;
            }
            *n += 1;
        }
        let before = self.total.fetch_add(1, Ordering::Relaxed);
        self.open.increment(1.0);
        let slot = ConnSlot(Arc::new(Slot {
            admission: self.clone(),
            ip: counted.then_some(ip),
        }));
        if before >= self.max_total {
            self.refused_full.increment(1);
            Admit::HealthOnly(slot)
        } else {
            Admit::Serve(slot)
        }
    }

    #[cfg(test)]
    fn open(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
}

/// A connection's place under the caps; freed when the last clone drops.
#[derive(Clone)]
pub struct ConnSlot(#[allow(dead_code)] Arc<Slot>);

impl std::fmt::Debug for ConnSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnSlot").finish_non_exhaustive()
    }
}

pub(crate) struct Slot {
    admission: Arc<Admission>,
    ip: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let a = &self.admission;
        a.total.fetch_sub(1, Ordering::Relaxed);
        a.open.decrement(1.0);
        if let Some(ip) = self.ip {
            a.per_address.remove_if_mut(&ip, |_, n| {
                *n -= 1;
                *n == 0
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_address_and_in_total_and_frees_on_drop() {
        let exempt: IpAddr = "10.0.0.9".parse().unwrap();
        let a = Admission::new(3, 2, vec![exempt]);
        let one: IpAddr = "10.0.0.1".parse().unwrap();
        let mut held = vec![a.admit(one), a.admit(one)];
        assert!(matches!(a.admit(one), Admit::TooMany));
        held.push(a.admit("10.0.0.2".parse().unwrap()));
        assert!(matches!(held[2], Admit::Serve(_)));
        // The server is full: the next connections (exempt from the per-address cap or not) may only
        // check health.
        for _ in 0..3 {
            held.push(a.admit(exempt));
            assert!(matches!(held.last(), Some(Admit::HealthOnly(_))));
        }
        assert_eq!(a.open(), 6);
        drop(held);
        assert_eq!(a.open(), 0);
        assert!(a.per_address.is_empty());
        assert!(matches!(a.admit(one), Admit::Serve(_)));
    }
}
