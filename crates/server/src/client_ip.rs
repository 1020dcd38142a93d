//! The client's address, for everything counted per address (login throttling, guest accounts, new
//! worlds): the peer's address, or — when the peer is one of `http.trusted_proxies` — the nearest
//! address in `X-Forwarded-For` that is not itself a trusted proxy. A client that is not behind a
//! trusted proxy cannot choose its address by sending the header.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::state::AppState;

/// The header a trusted proxy appends the address it saw to.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client behind `peer`, as described in the module docs.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return peer;
    }
    // Each proxy appends what it saw: read from the right, past the trusted hops.
    let hops = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Ok(addr) = hop.trim().parse::<IpAddr>() else {
            // A hop the proxies did not write: nothing left of it can be trusted.
            break;
        };
        let addr = addr.to_canonical();
        if !trusted.contains(&addr) {
            return addr;
        }
    }
    peer
}

/// The caller's address (none when the request did not come over a socket, as in in-process tests).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Self(peer.map(|p| {
            resolve(p, &parts.headers, &state.api.trusted_proxies)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(FORWARDED_FOR, v.parse().unwrap());
        }
        h
    }

    const PROXY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));
    const EDGE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 3));

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(resolve(peer, &headers(&["1.2.3.4"]), &[PROXY]), peer);
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let trusted = [PROXY, EDGE];
        // The client forged the first entry; the edge appended what it saw, then the proxy.
        let h = headers(&["1.2.3.4, 198.51.100.7", "10.0.0.3"]);
        assert_eq!(
            resolve(PROXY, &h, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_trusted_peer_without_a_usable_header_is_itself() {
        assert_eq!(resolve(PROXY, &HeaderMap::new(), &[PROXY]), PROXY);
        assert_eq!(resolve(PROXY, &headers(&["not-an-ip"]), &[PROXY]), PROXY);
    }

    #[test]
    fn mapped_ipv4_is_canonical() {
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        let h = headers(&["::ffff:198.51.100.7"]);
        assert_eq!(
            resolve(mapped, &h, &[PROXY]),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }
}
