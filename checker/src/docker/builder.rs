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
    pub fn from_ping(
        ping: &super::connect::Ping,
        runtime: Runtime,
        os: &str,
        api_version: &str,
    ) -> Self {
        let buildkit = runtime == Runtime::Docker
            && !os.eq_ignore_ascii_case("windows")
            && api_at_least(api_version, 1, 39);
        let default = if runtime == Runtime::Docker {
            ping.builder_version
                .as_deref()
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
    fn env_values_are_read() {
        assert_eq!(requested_from(Some("0")), Some(Builder::Classic));
        assert_eq!(requested_from(Some("true")), Some(Builder::BuildKit));
        assert_eq!(requested_from(Some("")), None);
        assert!(api_at_least("1.41", 1, 39) && !api_at_least("1.38", 1, 39));
    }
}
