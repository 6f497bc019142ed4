//! Errors that mean "could not check at all". A wrong answer is never an error: it is a failed
//! check in a [`crate::report::Report`].

use std::path::PathBuf;
use std::time::Duration;

use crate::endpoint::Endpoint;

/// The environment stopped us: no daemon, no permission, a missing context, a lost connection.
/// Maps to exit code 3.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("cannot reach Docker. Tried:\n{}\n{UNREACHABLE_FIX}", list(.tried))]
    Unreachable { tried: Vec<(Endpoint, String)> },
    #[error("permission denied on the Docker socket. Tried:\n{}\n{PERMISSION_FIX}", list(.tried))]
    PermissionDenied { tried: Vec<(Endpoint, String)> },
    #[error(
        "the Docker context '{context}' (from {source_of_name}) does not exist: no meta.json names \
         it under {}.\nList contexts with `docker context ls`, or unset DOCKER_CONTEXT.",
        looked_in.display()
    )]
    MissingContext {
        context: String,
        source_of_name: String,
        looked_in: PathBuf,
    },
    #[error("cannot reach Docker: no answer within {} s. Is the daemon running? Check `docker info`.", within.as_secs())]
    NoAnswer { within: Duration },
    #[error("Docker did not answer '{what}' within {}s; the daemon may be overloaded or restarting", deadline.as_secs())]
    Deadline { what: String, deadline: Duration },
    #[error("lost the connection to Docker during '{what}': {detail}\nIs the daemon restarting? Check `docker info`, then run the command again.")]
    ConnectionLost { what: String, detail: String },
    #[error("the disk Docker writes to is full ({detail}).\nFree space (`docker system df`, `dockdojo clean`) and try again.")]
    DiskFull { detail: String },
    #[error("Docker refused '{what}': {detail}")]
    Daemon { what: String, detail: String },
    #[error("this Dockerfile uses {what}, which only BuildKit builds, but {why}.")]
    NoBuildKit { what: String, why: String },
    #[error(
        "this Dockerfile uses {what}, which the Dockerfile frontend built into Docker Engine \
         {version} does not know ({newer}; dockdojo builds offline, so it does not fetch a newer \
         one). Grade it on a newer Docker, or write the step without it."
    )]
    FrontendTooOld {
        what: String,
        version: String,
        /// Which frontends know it ("Engine 23 and later do").
        newer: String,
    },
    #[error("{0}")]
    Other(String),
}

impl EnvError {
    /// An error about what one check inspects (an archive it could not read), not about Docker
    /// as a whole: that check reports it and the others still run.
    pub fn is_local(&self) -> bool {
        matches!(self, Self::Other(_))
    }
}

fn list(tried: &[(Endpoint, String)]) -> String {
    tried
        .iter()
        .map(|(ep, why)| format!("  - {} ({}): {why}", ep.host, ep.source))
        .collect::<Vec<_>>()
        .join("\n")
}

const UNREACHABLE_FIX: &str =
    "Is Docker running? Start it (Docker Desktop, `sudo systemctl start docker`, \
or `colima start`), or point DOCKER_HOST / `docker context use` at the daemon you want.";

const PERMISSION_FIX: &str =
    "Your user may not use that socket. On Linux add yourself to the docker \
group (`sudo usermod -aG docker $USER`, then log in again), or use rootless Docker \
(DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock); with Docker Desktop, make sure it is running.";
