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
