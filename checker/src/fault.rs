//! Fault injection for the reliability tests, compiled into debug builds only. The tests run the
//! real binary with `DOCKDOJO_FAULT` set to a comma-separated list of faults:
//!
//! - `panic-after-create`: panic right after a checker-owned container is created (proves the
//!   interrupt guard removes it, reliability case 4);
//! - `host-port=<port>`: publish checker-owned containers on this fixed 127.0.0.1 port instead of
//!   a random one (proves a port clash is named and the container stuck in `Created` is removed,
//!   cases 10 and 27).
//!
//! In release builds [`fault`] is always `None`: nothing here can change a learner's run.

/// The value of fault `name` (`""` for a flag), when the tests asked for it.
#[cfg(debug_assertions)]
pub fn fault(name: &str) -> Option<String> {
    let all = std::env::var("DOCKDOJO_FAULT").ok()?;
    all.split(',').find_map(|f| {
        let f = f.trim();
        match f.split_once('=') {
            Some((k, v)) if k == name => Some(v.to_string()),
            None if f == name => Some(String::new()),
            _ => None,
        }
    })
}

/// Release builds never inject faults.
#[cfg(not(debug_assertions))]
pub fn fault(_name: &str) -> Option<String> {
    None
}
