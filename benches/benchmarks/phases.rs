//! Where a proxied `check` run spends its time: its recorded daemon calls split into phases, and
//! the calls written out for reading.

use std::fmt::Write as _;
use std::path::Path;

use crate::proxy;

/// Where one proxied `check` spent its time.
#[derive(Default, Clone)]
pub struct Phases {
    pub wall: f64,
    pub startup: f64,
    pub connect: f64,
    pub sweep: f64,
    pub checks_span: f64,
    pub checks_daemon: f64,
    pub cleanup: f64,
    pub exit: f64,
    pub calls: usize,
    pub daemon: f64,
    /// The longest stretches without a daemon call during the checks: (seconds, after, before).
    pub gaps: Vec<(f64, String, String)>,
}

fn is_managed_list(c: &proxy::Call, what: &str) -> bool {
    c.method == "GET" && c.path.starts_with(what) && c.path.contains("io.dockdojo.managed")
}

/// Split one proxied run's calls into its phases (connect, sweep, checks, cleanup) by the
/// managed-label list calls that open the sweep and the cleanup.
pub fn phases(calls: &[proxy::Call], wall: f64) -> Phases {
    let mut p = Phases {
        wall,
        calls: calls.len(),
        daemon: proxy::union_secs(calls),
        ..Default::default()
    };
    if calls.is_empty() {
        return p;
    }
    p.startup = calls[0].start;
    let first_list = calls
        .iter()
        .position(|c| is_managed_list(c, "/containers/json"))
        .unwrap_or(0);
    let sweep_end = calls
        .iter()
        .skip(first_list)
        .position(|c| is_managed_list(c, "/images/json"))
        .map(|i| i + first_list)
        .unwrap_or(first_list);
    let cleanup_start = calls
        .iter()
        .rposition(|c| is_managed_list(c, "/containers/json"))
        .filter(|i| *i > sweep_end)
        .unwrap_or(calls.len());
    let span = |cs: &[proxy::Call]| match (cs.first(), cs.iter().map(|c| c.end).reduce(f64::max)) {
        (Some(f), Some(e)) => e - f.start,
        _ => 0.0,
    };
    p.connect = span(&calls[..first_list]);
    p.sweep = span(&calls[first_list..=sweep_end.min(calls.len() - 1)]);
    let checks = &calls[(sweep_end + 1).min(calls.len())..cleanup_start];
    let sweep_done = calls[..=sweep_end.min(calls.len() - 1)]
        .iter()
        .map(|c| c.end)
        .fold(0.0, f64::max);
    let cleanup_begins = calls.get(cleanup_start).map_or(wall, |c| c.start);
    p.checks_span = cleanup_begins - sweep_done;
    p.checks_daemon = proxy::union_secs(checks);
    p.cleanup = span(&calls[cleanup_start.min(calls.len())..]);
    let last_end = calls.iter().map(|c| c.end).fold(0.0, f64::max);
    p.exit = wall - last_end;
    // Gaps in the checks phase, between the end of daemon activity and the next call.
    let mut covered_until = sweep_done;
    let mut prev = calls
        .get(sweep_end)
        .map(call_name)
        .unwrap_or_else(|| "start".into());
    for c in checks.iter().chain(calls.get(cleanup_start)) {
        if c.start > covered_until {
            p.gaps
                .push((c.start - covered_until, prev.clone(), call_name(c)));
        }
        if c.end >= covered_until {
            covered_until = c.end;
            prev = call_name(c);
        }
    }
    p.gaps.sort_by(|a, b| b.0.total_cmp(&a.0));
    p.gaps.truncate(3);
    p
}

fn call_name(c: &proxy::Call) -> String {
    let path = c.path.split('?').next().unwrap_or_default();
    // Ids make names unreadable: keep the route's shape.
    let shape: Vec<String> = path
        .split('/')
        .map(|seg| {
            if seg.len() >= 12 && seg.chars().all(|ch| ch.is_ascii_hexdigit()) {
                "{id}".to_string()
            } else {
                seg.to_string()
            }
        })
        .collect();
    format!("{} {}", c.method, shape.join("/"))
}

/// Every call of one proxied run, as `target/benchmarks/<name>.tsv`.
pub fn write_calls(dir: &Path, name: &str, calls: &[proxy::Call]) {
    let mut s = String::from("start_s\tend_s\tms\tstatus\tcall\tnote\n");
    for c in calls {
        let _ = writeln!(
            s,
            "{:.4}\t{:.4}\t{:.1}\t{}\t{} {}\t{}",
            c.start,
            c.end,
            (c.end - c.start) * 1000.0,
            c.status,
            c.method,
            c.path,
            c.note
        );
    }
    let _ = std::fs::write(dir.join(format!("{name}.tsv")), s);
}
