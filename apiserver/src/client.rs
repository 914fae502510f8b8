//! Where a request comes from: the client's address (the TCP peer, or `X-Forwarded-For` only through
//! proxies named in `TRUSTED_PROXIES`) and whether it reached us over TLS (for the cookie's `Secure`).

use crate::app::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// A network: an address and a prefix length (`10.0.0.0/8`, `2001:db8::/32`; a bare address is one host).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Net(ipnet::IpNet);

impl std::str::FromStr for Net {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("{text:?} is not an IP address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max}"))?,
        };
        ipnet::IpNet::new(addr, prefix).map(Self).map_err(|e| format!("{text:?}: {e}"))
    }
}

impl Net {
    /// Whether `ip` is in the network (an IPv4-mapped IPv6 address as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.0.contains(&ip)
    }
}

/// Where the refresh-token cookie may travel (`COOKIE_SECURE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieSecure {
    /// `Secure` unless the request came straight from a loopback address over plain HTTP (`make up`,
    /// `npm run dev`, `kubectl port-forward`); a trusted proxy's `X-Forwarded-Proto: https` counts as TLS.
    Auto,
    Always,
    Never,
}

/// The caller's network side of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    /// The TCP peer.
    pub peer: IpAddr,
    /// The client's address: the peer, or what trusted proxies say in `X-Forwarded-For`.
    pub addr: IpAddr,
    /// Whether the client reached us over TLS (as a trusted proxy says in `X-Forwarded-Proto`).
    pub tls: bool,
}

impl Client {
    /// The client of a request from `peer` with `headers`, trusting the forwarding headers only from
    /// proxies in `trusted`.
    pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[Net]) -> Self {
        let peer = peer.to_canonical();
        let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
        if !is_trusted(peer) {
            return Self { peer, addr: peer, tls: false };
        }
        let values = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(',').map(|s| s.trim().to_string()))
                .filter(|s| !s.is_empty())
                .collect()
        };
        // from the nearest hop back: each trusted proxy vouches for the address before it
        let mut addr = peer;
        for hop in values("x-forwarded-for").iter().rev() {
            if !is_trusted(addr) {
                break;
            }
            match parse_hop(hop) {
                Some(ip) => addr = ip.to_canonical(),
                None => break,
            }
        }
        let tls = values("x-forwarded-proto").last().is_some_and(|p| p.eq_ignore_ascii_case("https"));
        Self { peer, addr, tls }
    }

    /// Whether the refresh-token cookie gets `Secure`.
    pub fn cookie_secure(&self, mode: CookieSecure) -> bool {
        match mode {
            CookieSecure::Always => true,
            CookieSecure::Never => false,
            CookieSecure::Auto => self.tls || !self.peer.is_loopback(),
        }
    }
}

/// One entry of `X-Forwarded-For`: an address, perhaps with a port (`192.0.2.1:4711`, `[2001:db8::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sock) = hop.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok())
}

impl FromRequestParts<Arc<AppState>> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        // the connection's (or, in tests, `MockConnectInfo`'s) peer address
        let ConnectInfo(peer) =
            ConnectInfo::<SocketAddr>::from_request_parts(parts, state).await.map_err(|_| {
                ApiError::internal(
                    "find the client's address",
                    "no ConnectInfo: the router must be served with into_make_service_with_connect_info",
                )
            })?;
        Ok(Self::resolve(peer.ip(), &parts.headers, &state.config.trusted_proxies))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::headers;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<Net> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn networks_parse_and_match() {
        let n: Net = "10.1.0.0/16".parse().unwrap();
        assert!(n.contains(ip("10.1.200.3")) && !n.contains(ip("10.2.0.1")));
        assert!(n.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped");
        let one: Net = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: Net = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!("0.0.0.0/0".parse::<Net>().unwrap().contains(ip("203.0.113.9")));
        assert!("10.0.0.0/33".parse::<Net>().unwrap_err().contains("0 to 32"));
        assert!("proxy.local".parse::<Net>().unwrap_err().contains("not an IP address"));
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9"), ("x-forwarded-proto", "https")]);
        let direct = Client::resolve(ip("198.51.100.1"), &h, &[]);
        assert_eq!(direct, Client { peer: ip("198.51.100.1"), addr: ip("198.51.100.1"), tls: false });
        let proxied = Client::resolve(ip("10.0.0.5"), &h, &nets(&["10.0.0.0/8"]));
        assert_eq!(proxied, Client { peer: ip("10.0.0.5"), addr: ip("203.0.113.9"), tls: true });
    }

    #[test]
    fn a_forged_left_part_of_x_forwarded_for_is_not_believed() {
        // the client sent "1.2.3.4" itself; the trusted proxy appended the real address
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9")]);
        let c = Client::resolve(ip("10.0.0.5"), &h, &nets(&["10.0.0.0/8"]));
        assert_eq!(c.addr, ip("203.0.113.9"));
        // two trusted hops, in two headers, one with a port
        let h =
            headers(&[("x-forwarded-for", "1.2.3.4, [2001:db8::9]:5555"), ("x-forwarded-for", "10.0.0.7")]);
        let c = Client::resolve(ip("10.0.0.5"), &h, &nets(&["10.0.0.0/8"]));
        assert_eq!(c.addr, ip("2001:db8::9"));
        // garbage stops at the last address vouched for
        let h = headers(&[("x-forwarded-for", "nonsense")]);
        assert_eq!(Client::resolve(ip("10.0.0.5"), &h, &nets(&["10.0.0.0/8"])).addr, ip("10.0.0.5"));
    }

    #[test]
    fn the_cookie_is_secure_except_for_plain_http_on_loopback() {
        let local = Client { peer: ip("127.0.0.1"), addr: ip("127.0.0.1"), tls: false };
        let remote = Client { peer: ip("10.0.0.5"), addr: ip("10.0.0.5"), tls: false };
        let local_tls = Client { tls: true, ..local };
        assert!(!local.cookie_secure(CookieSecure::Auto));
        assert!(local_tls.cookie_secure(CookieSecure::Auto));
        assert!(remote.cookie_secure(CookieSecure::Auto));
        assert!(local.cookie_secure(CookieSecure::Always));
        assert!(!remote.cookie_secure(CookieSecure::Never));
        let v6_local = Client { peer: ip("::1"), addr: ip("::1"), tls: false };
        assert!(!v6_local.cookie_secure(CookieSecure::Auto));
        let mapped = Client::resolve(ip("::ffff:127.0.0.1"), &HeaderMap::new(), &[]);
        assert!(!mapped.cookie_secure(CookieSecure::Auto), "a dual-stack listener's loopback");
    }
}
