//! Notices for the person at the terminal while a check runs (a huge build context about to be
//! sent). The library has no terminal code: the binary installs a sink, and without one notices
//! are dropped (the same facts also reach the report as advice).

use std::sync::OnceLock;

static SINK: OnceLock<fn(&str)> = OnceLock::new();

/// Install where notices go (the first call wins).
pub fn set_sink(sink: fn(&str)) {
    let _ = SINK.set(sink);
}

/// Tell the user something now.
pub fn notice(msg: &str) {
    if let Some(sink) = SINK.get() {
        sink(msg);
    }
}

static PROGRESS: OnceLock<fn(usize, usize, &str)> = OnceLock::new();

/// Install where "check i of n starts" goes (the first call wins). Without one, nothing is said.
pub fn set_progress_sink(sink: fn(usize, usize, &str)) {
    let _ = PROGRESS.set(sink);
}

/// Check `i` (from 1) of `n`, titled `title`, starts now.
pub fn progress(i: usize, n: usize, title: &str) {
    if let Some(sink) = PROGRESS.get() {
        sink(i, n, title);
    }
}
