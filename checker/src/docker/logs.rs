//! A container's output, and the last lines of a text for showing it in a failure.

use std::time::Duration;

use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;

use crate::docker::Engine;

/// The last lines of a container's output (stdout and stderr).
pub async fn logs_tail(engine: &Engine, id: &str, n: usize) -> String {
    let out = read_tail(engine, id, n).await;
    if !out.is_empty() {
        return out;
    }
    // An engine can report a container exited before its log holds what it printed: Podman
    // (its log writer drains the pipes after the exit is recorded), and Docker too when the
    // log copier is slow (it waits for the copier 2 s at most; seen on Engine 26 under CI's
    // load as a `printf` container whose log read empty). An empty log is read again for up to
    // a second before it is believed.
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
/// until two reads 150 ms apart agree, for up to a second. Docker waits (up to 2 s) for its
/// log copier before it reports the exit, so one read is enough there, but for an empty log,
/// which [`logs_tail`] reads again.
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
    // A read that broke off (the connection failed) is made again, twice at most: what a
    // broken read left out must not pass for a container that printed nothing.
    let mut out = String::new();
    for attempt in 0..3 {
        let mut s = engine.docker.logs(id, Some(opts.clone()));
        out.clear();
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut broke = false;
        loop {
            match tokio::time::timeout_at(until, s.next()).await {
                Ok(Some(Ok(chunk))) => out.push_str(&chunk.to_string()),
                Ok(Some(Err(_))) => {
                    broke = true;
                    break;
                }
                Ok(None) | Err(_) => break,
            }
        }
        if !broke || attempt == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tail(&out, n)
}

/// The last `n` lines of a text, for showing logs in a failure.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
