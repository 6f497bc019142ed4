//! A container's output, and the last lines of a text for showing it in a failure.

use std::time::Duration;

use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;

use crate::docker::Engine;

/// The last lines of a container's output (stdout and stderr).
pub async fn logs_tail(engine: &Engine, id: &str, n: usize) -> String {
    let out = read_tail(engine, id, n).await;
    if !out.is_empty() || engine.runtime != crate::docker::Runtime::Podman {
        return out;
    }
    // Podman can report a container exited before its log file holds what it printed (seen on
    // a loaded machine): an empty log is read again for up to a second before it is believed.
    let until = tokio::time::Instant::now() + Duration::from_secs(1);
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let out = read_tail(engine, id, n).await;
        if !out.is_empty() {
            return out;
        }
    }
    String::new()
}

/// The last lines of the output of a container that has exited: all of it, as far as the
/// engine lets us know.
///
/// Podman can report a container exited while its log still lacks the last lines it printed
/// (its log writer drains the container's pipes after the exit is recorded: seen under load as
/// a log holding one of the two lines a failing start script wrote). There, the log is read again
/// until two reads 150 ms apart agree, for up to a second. Docker writes the log before it
/// reports the exit, so one read is enough.
pub async fn logs_of_exited(engine: &Engine, id: &str, n: usize) -> String {
    let mut out = logs_tail(engine, id, n).await;
    if engine.runtime != crate::docker::Runtime::Podman {
        return out;
    }
    let until = tokio::time::Instant::now() + Duration::from_secs(1);
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let again = read_tail(engine, id, n).await;
        if again == out {
            break;
        }
        out = again;
    }
    out
}

async fn read_tail(engine: &Engine, id: &str, n: usize) -> String {
    let opts = LogsOptionsBuilder::new()
        .stdout(true)
        .stderr(true)
        .tail(&n.to_string())
        .build();
    let mut s = engine.docker.logs(id, Some(opts));
    let mut out = String::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(until, s.next()).await {
        out.push_str(&chunk.to_string());
    }
    tail(&out, n)
}

/// The last `n` lines of a text, for showing logs in a failure.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
