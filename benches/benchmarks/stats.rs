//! Timing a process and summing up repeated measurements.

use std::process::{Command, Output, Stdio};
use std::time::Instant;

/// The median; NaN for none.
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// The smallest and the largest.
pub fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(*x), hi.max(*x))
        })
}

/// Run `cmd` with no input: its wall seconds, and its output (`None`: it did not start).
pub fn timed(cmd: &mut Command) -> (f64, Option<Output>) {
    let t = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().ok();
    (t.elapsed().as_secs_f64(), out)
}
