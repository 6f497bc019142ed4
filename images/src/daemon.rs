//! The daemon calls `prepare` makes, each within a deadline of its own, and what their errors mean.

use std::future::Future;
use std::time::{Duration, Instant};

use bollard::errors::Error as BollardError;
use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::{Stream, StreamExt};

use checker::docker::connect::describe_bollard;
use checker::error::EnvError;

// ---- deadlines -------------------------------------------------------------------------------

pub(crate) const INSPECT_DEADLINE: Duration = Duration::from_secs(15);
pub(crate) const VERSION_DEADLINE: Duration = Duration::from_secs(15);
/// Until the registry's first answer: a DNS failure comes back at once, a dropped connection
/// within the daemon's dial timeout (30 s).
pub(crate) const PULL_FIRST_DEADLINE: Duration = Duration::from_secs(45);
/// Between two progress messages of a running pull.
pub(crate) const PULL_IDLE_DEADLINE: Duration = Duration::from_secs(120);
pub(crate) const PULL_TOTAL_DEADLINE: Duration = Duration::from_secs(45 * 60);
/// Importing a root filesystem tar (a few MB for busybox, ~25 MB for the registry, ~460 MB for
/// gcc).
pub(crate) const IMPORT_SMALL_DEADLINE: Duration = Duration::from_secs(120);
#[cfg_attr(not(unix), allow(dead_code))] // only the Debian stand-in (unix) is large
pub(crate) const IMPORT_LARGE_DEADLINE: Duration = Duration::from_secs(20 * 60);

/// Run `fut` with a deadline, naming the call in the error.
pub(crate) async fn within<T>(
    what: &str,
    deadline: Duration,
    fut: impl Future<Output = T>,
) -> Result<T, EnvError> {
    tokio::time::timeout(deadline, fut)
        .await
        .map_err(|_| EnvError::Deadline {
            what: what.to_string(),
            deadline,
        })
}

/// Consume a daemon stream: `first` bounds the wait for the first item, `idle` the wait between
/// items, `total` the whole. The outer error is a missed deadline; the inner one is the stream's.
pub(crate) async fn drain<T>(
    what: &str,
    stream: impl Stream<Item = Result<T, BollardError>>,
    (first, idle, total): (Duration, Duration, Duration),
    mut on_item: impl FnMut(T),
) -> Result<Result<(), BollardError>, EnvError> {
    let start = Instant::now();
    let mut stream = std::pin::pin!(stream);
    let mut wait = first;
    loop {
        let left = total.saturating_sub(start.elapsed());
        let (limit, deadline) = if left < wait {
            (left, total)
        } else {
            (wait, wait)
        };
        match tokio::time::timeout(limit, stream.next()).await {
            Err(_) => {
                return Err(EnvError::Deadline {
                    what: what.to_string(),
                    deadline,
                })
            }
            Ok(None) => return Ok(Ok(())),
            Ok(Some(Err(e))) => return Ok(Err(e)),
            Ok(Some(Ok(item))) => {
                on_item(item);
                wait = idle;
            }
        }
    }
}

// ---- errors ------------------------------------------------------------------------------------

/// Map a bollard error from a daemon call to the environment error it means.
pub(crate) fn env_error(docker: &Docker, what: &str, e: &BollardError) -> EnvError {
    let detail = describe_bollard(e);
    if detail.contains("no space left on device") {
        return EnvError::DiskFull { detail };
    }
    match e {
        BollardError::RequestTimeoutError => EnvError::Deadline {
            what: what.to_string(),
            deadline: docker.timeout(),
        },
        BollardError::HyperResponseError { .. }
        | BollardError::IOError { .. }
        | BollardError::HttpClientError { .. }
        | BollardError::HyperLegacyError { .. } => EnvError::ConnectionLost {
            what: what.to_string(),
            detail,
        },
        _ => EnvError::Daemon {
            what: what.to_string(),
            detail,
        },
    }
}

/// The daemon's own refusal message, when the error is one (rather than a transport failure).
pub(crate) fn refusal(e: &BollardError) -> Option<String> {
    match e {
        BollardError::DockerResponseServerError { message, .. } => Some(message.clone()),
        BollardError::DockerStreamError { error } => Some(error.clone()),
        _ => None,
    }
}

// ---- small daemon helpers -----------------------------------------------------------------------

/// `name:tag` → (`name`, `tag`); a missing tag is `latest`. A `:` before the last `/` is a port.
pub(crate) fn split_reference(reference: &str) -> (&str, &str) {
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[slash..].rfind(':') {
        Some(i) => (&reference[..slash + i], &reference[slash + i + 1..]),
        None => (reference, "latest"),
    }
}

/// Try the registry. `Ok(Err(why))`: the registry failed us (no DNS, refused, too slow…) and the
/// caller should fall through to a stand-in; `Err`: the daemon itself failed.
pub(crate) async fn pull(docker: &Docker, reference: &str) -> Result<Result<(), String>, EnvError> {
    let (repo, tag) = split_reference(reference);
    let opts = CreateImageOptionsBuilder::default()
        .from_image(repo)
        .tag(tag)
        .build();
    let what = format!("pull {reference}");
    let deadlines = (PULL_FIRST_DEADLINE, PULL_IDLE_DEADLINE, PULL_TOTAL_DEADLINE);
    match drain(
        &what,
        docker.create_image(Some(opts), None, None),
        deadlines,
        |_| {},
    )
    .await
    {
        Ok(Ok(())) => Ok(Ok(())),
        Ok(Err(e)) => match refusal(&e) {
            Some(msg) => Ok(Err(describe_pull_failure(&msg))),
            None => Err(env_error(docker, &what, &e)),
        },
        Err(EnvError::Deadline { deadline, .. }) => Ok(Err(format!(
            "the registry did not answer within {} s",
            deadline.as_secs()
        ))),
        Err(e) => Err(e),
    }
}

/// A short sentence for a failed pull, e.g. "no registry reachable (lookup registry-1.docker.io:
/// no such host)".
pub(crate) fn describe_pull_failure(msg: &str) -> String {
    let msg = msg.trim();
    if let Some(i) = msg.find("lookup ") {
        let host = msg[i + 7..].split_whitespace().next().unwrap_or("");
        let host = host.trim_end_matches(':');
        let tail = msg.rsplit(": ").next().unwrap_or(msg);
        return format!("no registry reachable (lookup {host}: {tail})");
    }
    let unreachable = [
        "dial tcp",
        "connection refused",
        "i/o timeout",
        "network is unreachable",
    ];
    let short: String = msg.chars().take(200).collect();
    if unreachable.iter().any(|s| msg.contains(s)) {
        format!("no registry reachable ({short})")
    } else {
        format!("pull failed ({short})")
    }
}

/// The image's size in bytes as the daemon reports it.
pub(crate) async fn image_size(docker: &Docker, reference: &str) -> Result<u64, EnvError> {
    let what = format!("inspect image {reference}");
    match within(&what, INSPECT_DEADLINE, docker.inspect_image(reference)).await? {
        Ok(img) => Ok(img.size.unwrap_or(0).max(0) as u64),
        Err(e) => Err(env_error(docker, &what, &e)),
    }
}

/// The daemon's CPU architecture in Go's naming (`amd64`, `arm64`…), if it says.
pub(crate) async fn daemon_arch(docker: &Docker) -> Result<Option<String>, EnvError> {
    let what = "query the Docker version";
    match within(what, VERSION_DEADLINE, docker.version()).await? {
        Ok(v) => Ok(v.arch),
        Err(e) => Err(env_error(docker, what, &e)),
    }
}

/// `1.9 MB` (decimal megabytes, like `docker images`).
pub(crate) fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / 1_000_000.0;
    if mb < 10.0 {
        format!("{mb:.1} MB")
    } else {
        format!("{mb:.0} MB")
    }
}
