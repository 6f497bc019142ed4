//! `DOCKDOJO_TRACE=FILE`: the app appends one timestamped line (Unix ms) per trigger (saved
//! file, daemon event with the daemon's own time), check started, verdict, and verdict drawn, so
//! latencies can be measured from outside (`tests/tui_latency.rs`). Off unless the variable is set.

use std::io::Write;

/// `DOCKDOJO_TRACE=FILE`: one timestamped line per trigger, check and verdict, to measure
/// latencies from outside.
pub struct Trace(Option<std::fs::File>);

impl Trace {
    pub fn from_env() -> Self {
        let file = std::env::var_os("DOCKDOJO_TRACE").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        Self(file)
    }

    pub fn log(&mut self, what: &str) {
        if let Some(f) = &mut self.0 {
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let _ = writeln!(f, "{ms} {what}");
        }
    }
}
