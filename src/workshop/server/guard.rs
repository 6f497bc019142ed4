//! Request screening that does not depend on the room: which `Host` names the server answers
//! to (DNS-rebinding defence), the `Origin` check for POSTs (cross-site requests), and the
//! wrong-join-code counter keyed on the TCP peer address (past its allowance, wrong codes are
//! answered slowly; the right code is never refused).

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};

use super::limits::addr_key as key;
use std::time::{Duration, Instant};

/// Wrong join codes answered at once per peer (IPv4 address, IPv6 /64) per window; after
/// that, each wrong code is answered after [`super::limits::WRONG_CODE_DELAY`].
pub const JOIN_FAILURES_ALLOWED: usize = 10;
/// The sliding window of the join limiter.
pub const JOIN_WINDOW: Duration = Duration::from_secs(60);

/// The `Host` header values the server accepts.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    port: u16,
    /// Exact `host:port` forms, lowercase.
    exact: HashSet<String>,
    /// `--allow-host` names given without a port: any port.
    names: HashSet<String>,
    /// Bound to every interface: any IP literal with our port (a DNS-rebinding page always
    /// carries a name, never an IP literal).
    any_ip: bool,
}

impl HostPolicy {
    /// For a server listening on `bound` (the real port), plus `--allow-host` entries.
    pub fn new(bound: SocketAddr, allow: &[String]) -> Self {
        let port = bound.port();
        let mut exact = HashSet::new();
        exact.insert(authority(bound.ip(), port));
        let ip = bound.ip();
        if ip.is_loopback() || ip.is_unspecified() {
            for h in ["localhost", "127.0.0.1", "[::1]"] {
                exact.insert(format!("{h}:{port}"));
            }
        }
        let mut names = HashSet::new();
        for a in allow {
            let a = a.trim().to_ascii_lowercase();
            match split_host(&a) {
                Some((_, Some(_))) => {
                    exact.insert(a);
                }
                Some((h, None)) => {
                    names.insert(h.to_string());
                }
                None => {}
            }
        }
        Self {
            port,
            exact,
            names,
            any_ip: ip.is_unspecified(),
        }
    }

    /// Whether a request with this `Host` header is for us.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let Some((name, port)) = split_host(&host) else {
            return false;
        };
        let port_or_default = port.unwrap_or(80);
        if self.exact.contains(&format!("{name}:{port_or_default}")) {
            return true;
        }
        if self.names.contains(name) {
            return true;
        }
        if self.any_ip && port_or_default == self.port {
            let bare = name.trim_start_matches('[').trim_end_matches(']');
            return bare.parse::<IpAddr>().is_ok();
        }
        false
    }
}

/// `ip:port` as it appears in a Host header (`[v6]:port`).
pub fn authority(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// `host[:port]` → (host, port); IPv6 literals keep their brackets.
fn split_host(s: &str) -> Option<(&str, Option<u16>)> {
    if s.is_empty() || s.contains(['/', '@', ' ']) {
        return None;
    }
    if s.starts_with('[') {
        let end = s.find(']')?;
        let (h, rest) = s.split_at(end + 1);
        return match rest {
            "" => Some((h, None)),
            r => Some((h, Some(r.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match s.split_once(':') {
        None => Some((s, None)),
        Some((h, p)) if !h.is_empty() => Some((h, Some(p.parse().ok()?))),
        Some(_) => None,
    }
}

/// Whether a POST's `Origin` header (if any) is this same server as `host`.
pub fn origin_matches(origin: &str, host: &str) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    let host = host.trim().to_ascii_lowercase();
    origin == format!("http://{host}")
        || origin.strip_prefix("http://").is_some_and(|o| {
            // `Host: x:80` and `Origin: http://x` are the same origin.
            host.strip_suffix(":80") == Some(o) || o.strip_suffix(":80") == Some(host.as_str())
        })
}

/// Failed join attempts per peer in a sliding window.
#[derive(Debug, Default)]
pub struct JoinLimiter {
    failures: HashMap<IpAddr, VecDeque<Instant>>,
    last_sweep: Option<Instant>,
}

impl JoinLimiter {
    /// True when `ip` used up its wrong codes: a further wrong code is answered slowly.
    pub fn is_limited(&mut self, ip: IpAddr, now: Instant) -> bool {
        let k = key(ip);
        let Some(q) = self.failures.get_mut(&k) else {
            return false;
        };
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= JOIN_WINDOW)
        {
            q.pop_front();
        }
        if q.is_empty() {
            self.failures.remove(&k);
            return false;
        }
        q.len() >= JOIN_FAILURES_ALLOWED
    }

    /// Count a wrong code from `ip`.
    pub fn record_failure(&mut self, ip: IpAddr, now: Instant) {
        if self
            .last_sweep
            .is_none_or(|t| now.duration_since(t) >= JOIN_WINDOW)
        {
            self.failures.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < JOIN_WINDOW)
            });
            self.last_sweep = Some(now);
        }
        let q = self.failures.entry(key(ip)).or_default();
        q.push_back(now);
        while q.len() > JOIN_FAILURES_ALLOWED {
            q.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn hosts_for_a_lan_address() {
        let p = HostPolicy::new(addr("192.168.1.20:4040"), &["class.example.org".into()]);
        assert!(p.allows("192.168.1.20:4040"));
        assert!(p.allows("CLASS.example.org"));
        assert!(p.allows("class.example.org:8443"));
        assert!(!p.allows("192.168.1.20:4041"));
        assert!(!p.allows("localhost:4040"));
        assert!(!p.allows("evil.example:4040"));
        assert!(!p.allows(""));
        assert!(!p.allows("a@b:4040"));
    }

    #[test]
    fn hosts_for_loopback_and_everywhere() {
        let p = HostPolicy::new(addr("127.0.0.1:4040"), &["lab:9000".into()]);
        assert!(p.allows("127.0.0.1:4040"));
        assert!(p.allows("localhost:4040"));
        assert!(p.allows("lab:9000"));
        assert!(!p.allows("lab:4040"));
        assert!(!p.allows("10.0.0.5:4040"));
        let p = HostPolicy::new(addr("0.0.0.0:4040"), &[]);
        assert!(p.allows("10.0.0.5:4040"));
        assert!(p.allows("[fe80::1]:4040"));
        assert!(p.allows("localhost:4040"));
        assert!(!p.allows("10.0.0.5:4041"));
        assert!(!p.allows("rebind.attacker.example:4040"));
        let p = HostPolicy::new(addr("[::1]:80"), &[]);
        assert!(p.allows("[::1]"));
        assert!(p.allows("localhost"));
    }

    #[test]
    fn origins() {
        assert!(origin_matches("http://127.0.0.1:4040", "127.0.0.1:4040"));
        assert!(origin_matches("http://x", "x:80"));
        assert!(!origin_matches("http://evil.example", "127.0.0.1:4040"));
        assert!(!origin_matches("null", "127.0.0.1:4040"));
        assert!(!origin_matches("https://127.0.0.1:4040", "127.0.0.1:4040"));
    }

    #[test]
    fn limiter_counts_failures_per_peer_in_a_window() {
        let mut l = JoinLimiter::default();
        let t0 = Instant::now();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..JOIN_FAILURES_ALLOWED {
            assert!(!l.is_limited(a, t0));
            l.record_failure(a, t0);
        }
        assert!(l.is_limited(a, t0));
        assert!(!l.is_limited(b, t0));
        assert!(!l.is_limited(a, t0 + JOIN_WINDOW));
        // One IPv6 /64 is one peer.
        let v6a: IpAddr = "2001:db8::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8::ffff".parse().unwrap();
        for _ in 0..JOIN_FAILURES_ALLOWED {
            l.record_failure(v6a, t0);
        }
        assert!(l.is_limited(v6b, t0));
    }
}
