//! Which builder grades a Dockerfile: BuildKit or the classic one.
//!
//! `docker build` on Engine 23 and later is BuildKit, and the daemon says so: its `GET /_ping`
//! answers `Builder-Version: 2`. Older Docker daemons (20.10) answer `1` but still run BuildKit
//! through the API when a build asks for it with a session, so dockdojo grades with BuildKit on
//! every Docker Engine, whatever the learner's CLI defaults to. Podman keeps its own builder.
//! `DOCKER_BUILDKIT=0` asks for the classic builder, as with the Docker CLI.
//!
//! A BuildKit build reads its context through dockdojo's own session ([`super::session`]), as
//! with the Docker CLI; the classic builder gets it in the request body.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::connect::Endpoint;
use super::{Engine, Runtime};
use crate::error::EnvError;

/// A builder a build runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    Classic,
    BuildKit,
}

impl Builder {
    /// How build output names it: "built with BuildKit", "the build failed with the classic
    /// builder".
    pub fn describe(self) -> &'static str {
        match self {
            Builder::Classic => "the classic builder",
            Builder::BuildKit => "BuildKit",
        }
    }
}

/// What a daemon offers and what the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builders {
    /// The daemon runs BuildKit builds (Docker Engine on a Linux daemon).
    pub buildkit: bool,
    /// The daemon's default (`Builder-Version` of `_ping`; `None` when it did not say).
    pub default: Option<Builder>,
    /// `DOCKER_BUILDKIT`, when set to a boolean.
    pub requested: Option<Builder>,
}

impl Builders {
    /// Learn what the daemon offers; never fails (an unreadable ping means "did not say").
    pub async fn probe(endpoint: &Endpoint, runtime: Runtime, os: &str, api_version: &str) -> Self {
        let buildkit = runtime == Runtime::Docker
            && !os.eq_ignore_ascii_case("windows")
            && api_at_least(api_version, 1, 39);
        let default = if runtime == Runtime::Docker {
            ping_builder_version(endpoint)
                .await
                .and_then(|v| match v.trim() {
                    "2" => Some(Builder::BuildKit),
                    "1" => Some(Builder::Classic),
                    _ => None,
                })
        } else {
            None
        };
        let requested = requested_from(std::env::var("DOCKER_BUILDKIT").ok().as_deref());
        Self {
            buildkit,
            default,
            requested,
        }
    }

    /// The builder for a Dockerfile; `needs` names the BuildKit feature it uses, if any.
    pub fn choose(&self, needs: Option<&str>) -> Result<Builder, EnvError> {
        let usable = self.buildkit;
        match (needs, self.requested) {
            (Some(what), Some(Builder::Classic)) => Err(EnvError::NoBuildKit {
                what: what.to_string(),
                why: "DOCKER_BUILDKIT=0 is set, which asks for the classic builder; unset it"
                    .into(),
            }),
            (Some(what), _) if !self.buildkit => Err(EnvError::NoBuildKit {
                what: what.to_string(),
                why: "this daemon builds only with its own builder (Podman, or a Windows \
                      daemon); the course's exercises need Docker Engine for such steps"
                    .into(),
            }),
            (Some(_), _) => Ok(Builder::BuildKit),
            (None, Some(Builder::BuildKit)) if usable => Ok(Builder::BuildKit),
            (None, Some(_)) => Ok(Builder::Classic),
            // Every Docker Engine since 18.09 runs BuildKit builds, whatever its CLI's default.
            (None, None) if usable => Ok(Builder::BuildKit),
            (None, None) => Ok(Builder::Classic),
        }
    }

    /// The builder a Dockerfile without BuildKit-only steps gets, for `doctor`.
    pub fn describe(&self) -> String {
        let plain = self.choose(None).unwrap_or(Builder::Classic);
        match (plain, self.buildkit) {
            (Builder::BuildKit, _) => "BuildKit".into(),
            (Builder::Classic, true) => {
                "classic builder (DOCKER_BUILDKIT=0); BuildKit for Dockerfiles that need it".into()
            }
            (Builder::Classic, false) => "the daemon's own builder (no BuildKit)".into(),
        }
    }
}

impl Engine {
    /// The builder for a Dockerfile (see [`Builders::choose`]).
    pub fn builder_for(&self, needs: Option<&str>) -> Result<Builder, EnvError> {
        self.builders.choose(needs)
    }
}

/// `DOCKER_BUILDKIT` as the Docker CLI reads it (a boolean).
pub fn requested_from(value: Option<&str>) -> Option<Builder> {
    match value?.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" => Some(Builder::BuildKit),
        "0" | "false" | "f" => Some(Builder::Classic),
        _ => None,
    }
}

fn api_at_least(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

const PING_DEADLINE: Duration = Duration::from_secs(5);

/// The `Builder-Version` header of `GET /_ping`. bollard's `ping` returns only the body, so the
/// request is made by hand on a connection of its own ([`super::dial`]).
pub async fn ping_builder_version(endpoint: &Endpoint) -> Option<String> {
    ping_header(endpoint, "builder-version").await
}

/// One header of `GET /_ping` (names are case-insensitive).
pub async fn ping_header(endpoint: &Endpoint, name: &str) -> Option<String> {
    let request = b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";
    let fut = async {
        let mut s = super::dial::dial(endpoint).await.ok()?;
        s.write_all(request).await.ok()?;
        let response = read_head(&mut s).await;
        header(&String::from_utf8_lossy(&response), name)
    };
    tokio::time::timeout(PING_DEADLINE, fut).await.ok()?
}

/// A response up to the end of its headers (a server may keep the connection open).
async fn read_head(s: &mut (impl tokio::io::AsyncRead + Unpin)) -> Vec<u8> {
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") && response.len() < 64 * 1024 {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
        }
    }
    response
}

/// A header's value in a raw HTTP response.
fn header(response: &str, name: &str) -> Option<String> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offers(buildkit: bool, default: Option<Builder>, requested: Option<Builder>) -> Builders {
        Builders {
            buildkit,
            default,
            requested,
        }
    }

    #[test]
    fn buildkit_wherever_the_daemon_offers_it_unless_asked_otherwise() {
        use Builder::*;
        let engine23 = offers(true, Some(BuildKit), None);
        assert_eq!(engine23.choose(None).unwrap(), BuildKit);
        let engine20 = offers(true, Some(Classic), None);
        assert_eq!(engine20.choose(None).unwrap(), BuildKit);
        assert_eq!(engine20.choose(Some("--mount")).unwrap(), BuildKit);
        let off = offers(true, Some(BuildKit), Some(Classic));
        assert_eq!(off.choose(None).unwrap(), Classic);
        assert!(matches!(
            off.choose(Some("--mount")),
            Err(EnvError::NoBuildKit { .. })
        ));
        let on = offers(true, Some(Classic), Some(BuildKit));
        assert_eq!(on.choose(None).unwrap(), BuildKit);
        let podman = offers(false, None, Some(BuildKit));
        assert_eq!(podman.choose(None).unwrap(), Classic);
        let e = podman.choose(Some("--mount")).unwrap_err().to_string();
        assert!(e.contains("--mount") && e.contains("BuildKit"), "{e}");
    }

    #[test]
    fn ping_headers_and_env_values_are_read() {
        let r = "HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\nBuilder-Version: 2\r\n\r\nOK";
        assert_eq!(header(r, "builder-version").as_deref(), Some("2"));
        assert_eq!(header("HTTP/1.0 200 OK\r\n\r\nOK", "builder-version"), None);
        assert_eq!(requested_from(Some("0")), Some(Builder::Classic));
        assert_eq!(requested_from(Some("true")), Some(Builder::BuildKit));
        assert_eq!(requested_from(Some("")), None);
        assert!(api_at_least("1.41", 1, 39) && !api_at_least("1.38", 1, 39));
    }
}
