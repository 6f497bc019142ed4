//! The room's abuse limits (docs/RELIABILITY.md rule 11, cases 39–47): numbers a real room never
//! reaches and one hostile laptop always does, and the two small tools that enforce them.
//!
//! - [`AddrSlots`]: at most N things at once per peer address (connections, board streams,
//!   archive downloads). A slot is given back when its [`AddrSlot`] is dropped.
//! - [`Buckets`]: token buckets keyed by anything (joins per address, reports per student).
//!
//! A peer address is the TCP peer (never `X-Forwarded-For`): an IPv4 address, or the /64 of an
//! IPv6 one ([`addr_key`]). A classroom behind one NAT shares one address, so every per-address
//! number leaves room for a few dozen students behind it.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Connections open at once from one address (a student's app holds one or two).
pub const CONNECTIONS_PER_ADDRESS: usize = 64;
/// Time a new connection has to send its first byte (a real client sends its request at once).
pub const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(3);
/// Board streams open at once from one address (the projector holds one).
pub const BOARD_STREAMS_PER_ADDRESS: usize = 4;
/// Archive downloads at once, in all and per address; more get 503 with `Retry-After`.
pub const DOWNLOADS: usize = 16;
pub const DOWNLOADS_PER_ADDRESS: usize = 2;
/// A download must move at least this many bytes per [`DOWNLOAD_WINDOW`], or its connection is
/// closed (`prepare --from` resumes where it stopped).
pub const DOWNLOAD_MIN_BYTES_PER_SEC: u64 = 32 * 1024;
pub const DOWNLOAD_WINDOW: Duration = Duration::from_secs(20);
/// Seconds a client is told to wait when the downloads are all taken.
pub const DOWNLOAD_RETRY_AFTER_SECS: u64 = 20;
/// Successful joins per address: a burst, then one per second.
pub const JOIN_BURST: f64 = 60.0;
pub const JOINS_PER_SEC: f64 = 1.0;
/// After the allowed wrong codes, each further wrong code from that address is answered only
/// after this delay (the right code is always compared and always joins).
pub const WRONG_CODE_DELAY: Duration = Duration::from_secs(2);
/// Reports per student: a burst (an outbox emptying after a lost network), then one per second.
pub const REPORT_BURST: f64 = 60.0;
pub const REPORTS_PER_SEC: f64 = 1.0;
/// Reports stored per student; a day of real work is a few hundred.
pub const REPORTS_PER_STUDENT: u32 = 2000;

/// The key a peer is limited by: its IPv4 address, or the /64 of an IPv6 one (a host usually
/// holds a whole /64).
pub fn addr_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// At most `max` slots per address at once.
#[derive(Clone)]
pub struct AddrSlots {
    max: usize,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One slot, given back on drop.
pub struct AddrSlot {
    key: IpAddr,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl AddrSlots {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            held: Arc::default(),
        }
    }

    /// A slot for `ip`, or `None` when that address holds `max` already.
    pub fn try_take(&self, ip: IpAddr) -> Option<AddrSlot> {
        let key = addr_key(ip);
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddrSlot {
            key,
            held: self.held.clone(),
        })
    }
}

impl Drop for AddrSlot {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// Token buckets: each key may spend `burst` at once, refilled at `per_sec`.
pub struct Buckets<K> {
    burst: f64,
    per_sec: f64,
    map: HashMap<K, (f64, Instant)>,
    last_sweep: Option<Instant>,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    pub fn new(burst: f64, per_sec: f64) -> Self {
        Self {
            burst,
            per_sec,
            map: HashMap::new(),
            last_sweep: None,
        }
    }

    fn level(&self, k: &K, now: Instant) -> f64 {
        match self.map.get(k) {
            Some((tokens, at)) => (tokens
                + now.saturating_duration_since(*at).as_secs_f64() * self.per_sec)
                .min(self.burst),
            None => self.burst,
        }
    }

    /// Spend one token of `k`; `Err(wait)` when there is none (how long until there is).
    pub fn take(&mut self, k: &K, now: Instant) -> Result<(), Duration> {
        self.sweep(now);
        let level = self.level(k, now);
        if level < 1.0 {
            let wait = (1.0 - level) / self.per_sec.max(f64::MIN_POSITIVE);
            return Err(Duration::from_secs_f64(wait.min(86_400.0)));
        }
        self.map.insert(k.clone(), (level - 1.0, now));
        Ok(())
    }

    /// Forget full buckets now and then, so the map stays as small as the active keys.
    fn sweep(&mut self, now: Instant) {
        let every = Duration::from_secs(60);
        if self
            .last_sweep
            .is_some_and(|t| now.saturating_duration_since(t) < every)
        {
            return;
        }
        self.last_sweep = Some(now);
        let (burst, per_sec) = (self.burst, self.per_sec);
        self.map.retain(|_, (tokens, at)| {
            *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec < burst
        });
    }
}

/// Seconds for a `Retry-After` header: at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs_f64().ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_per_address_and_come_back_on_drop() {
        let s = AddrSlots::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let one = s.try_take(a).unwrap();
        let _two = s.try_take(a).unwrap();
        assert!(s.try_take(a).is_none());
        assert!(s.try_take(b).is_some());
        drop(one);
        assert!(s.try_take(a).is_some());
        // One IPv6 /64 is one address.
        let v6 = AddrSlots::new(1);
        let _x = v6.try_take("2001:db8::1".parse().unwrap()).unwrap();
        assert!(v6.try_take("2001:db8::2".parse().unwrap()).is_none());
        assert!(v6.try_take("2001:db8:0:1::2".parse().unwrap()).is_some());
    }

    #[test]
    fn buckets_allow_a_burst_then_the_rate() {
        let mut b = Buckets::new(3.0, 1.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.take(&1, t0).is_ok());
        }
        let wait = b.take(&1, t0).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert_eq!(retry_after_secs(wait), 1);
        assert!(b.take(&2, t0).is_ok());
        assert!(b.take(&1, t0 + Duration::from_millis(1000)).is_ok());
        assert!(b.take(&1, t0 + Duration::from_millis(1100)).is_err());
        assert!(b.take(&1, t0 + Duration::from_secs(10)).is_ok());
    }
}
