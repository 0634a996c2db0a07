//! The address a request came from, behind load balancers too.
//!
//! A load balancer appends the address it saw to `X-Forwarded-For`; anyone can write that header,
//! so it is believed only from the proxies named in `TRUSTED_PROXIES`, read from the right, and
//! the first hop that is not a trusted proxy is the client.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv6Addr, SocketAddr},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use ipnet::IpNet;

/// The client of a request; set on every request by [`crate::server::Server`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// What limits count by: the address, or for IPv6 its /64 (what one subscriber usually has,
    /// so that a client cannot dodge a limit by changing the low bits).
    pub fn limit_key(&self) -> IpAddr {
        match self.0 {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let found = parts.extensions.get::<ClientAddr>().copied().or_else(|| {
            let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
            Some(ClientAddr(peer.0.ip().to_canonical()))
        });
        Ok(found.unwrap_or(ClientAddr(IpAddr::from([0, 0, 0, 0]))))
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that arrived from `peer` with these headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return ClientAddr(client);
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else { break };
            client = ip.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        ClientAddr(client)
    }
}

/// Parses one `TRUSTED_PROXIES` entry: an address or a CIDR range.
pub fn parse_net(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is neither an IP address nor a CIDR range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in xff {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let none = TrustedProxies::default();
        let client = none.client(ip("10.0.0.5"), &headers(&["1.2.3.4"]));
        assert_eq!(client, ClientAddr(ip("10.0.0.5")));
    }

    #[test]
    fn behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client() {
        let vpc = TrustedProxies::new(vec![parse_net("10.0.0.0/16").unwrap()]);
        // The client forged the first entry; the balancer appended what it saw.
        let forged = headers(&["6.6.6.6, 1.2.3.4", "10.0.1.9"]);
        assert_eq!(
            vpc.client(ip("10.0.0.5"), &forged),
            ClientAddr(ip("1.2.3.4"))
        );
        // A trusted peer that says nothing is itself the client.
        assert_eq!(
            vpc.client(ip("10.0.0.5"), &HeaderMap::new()),
            ClientAddr(ip("10.0.0.5"))
        );
        // Garbage stops the walk at the last address that could be read.
        assert_eq!(
            vpc.client(ip("10.0.0.5"), &headers(&["1.2.3.4, bogus"])),
            ClientAddr(ip("10.0.0.5"))
        );
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let a = ClientAddr(ip("2001:db8:1:2:aaaa::1")).limit_key();
        let b = ClientAddr(ip("2001:db8:1:2:bbbb::9")).limit_key();
        assert_eq!(a, b);
        assert_eq!(ClientAddr(ip("192.0.2.1")).limit_key(), ip("192.0.2.1"));
        assert_eq!(parse_net("192.0.2.7").unwrap().to_string(), "192.0.2.7/32");
        assert!(parse_net("nope").is_err());
    }
}
