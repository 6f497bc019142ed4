//! Docker access: one [`Engine`] per dockdojo run. It connects the way the CLI does, gives every
//! call its own deadline, labels everything it creates with this run's session, and removes only
//! what carries those labels (re-checked on the client before each delete).

pub mod build;
pub mod builder;
pub mod cleanup;
pub mod compose;
pub mod connect;
pub mod context_tar;
pub mod dial;
pub mod exec;
pub mod files;
pub mod http;
pub mod inspect;
pub mod logs;
pub mod probe;
pub mod save;
pub mod session;

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use bollard::Docker;

use crate::error::EnvError;
use crate::labels;
use connect::{describe_bollard, Endpoint, LookupEnv};

/// Deadlines for the kinds of calls we make.
pub mod deadline {
    use std::time::Duration;
    /// Inspect, list, remove, create.
    pub const QUICK: Duration = Duration::from_secs(15);
    /// Stopping a container (on top of its own stop timeout).
    pub const STOP_GRACE: Duration = Duration::from_secs(10);
    /// Finding and reaching the daemon, all candidates together.
    pub const CONNECT: Duration = Duration::from_secs(10);
    /// A learner's build, unless the exercise says otherwise.
    pub const BUILD: Duration = Duration::from_secs(300);
}

/// Which runtime answers the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Docker,
    Podman,
}

/// A connected daemon plus this run's identity.
#[derive(Clone)]
pub struct Engine {
    pub docker: Docker,
    pub endpoint: Endpoint,
    pub runtime: Runtime,
    pub server_version: String,
    pub api_version: String,
    /// The builders the daemon offers and the one `DOCKER_BUILDKIT` asks for.
    pub builders: builder::Builders,
    /// A fresh UUID per dockdojo process.
    pub session: String,
}

impl Engine {
    /// Connect within `limit` (the lookup tries each candidate with its own shorter deadline).
    /// An `ssh://` endpoint gets at least [`connect::SSH_DEADLINE`]: a login comes first.
    pub async fn reach(limit: Duration) -> Result<Self, EnvError> {
        let ssh = connect::resolve(&LookupEnv::from_process())
            .is_ok_and(|c| c.iter().any(|e| e.host.starts_with("ssh://")));
        let limit = if ssh {
            limit.max(connect::SSH_DEADLINE)
        } else {
            limit
        };
        tokio::time::timeout(limit, Self::connect())
            .await
            .unwrap_or(Err(EnvError::NoAnswer { within: limit }))
    }

    /// How every command starts: connect within `limit`, then sweep what dockdojo runs that were
    /// killed left behind (a quiet best effort with a deadline of its own). Returns the names
    /// swept, for the caller to report or not.
    pub async fn open(limit: Duration) -> Result<(Self, Vec<String>), EnvError> {
        let engine = Self::reach(limit).await?;
        let swept = engine.sweep_quietly().await;
        Ok((engine, swept))
    }

    /// Like [`Engine::open`], but the sweep runs beside whatever the caller does next (`check`'s
    /// checks: the names they create carry random suffixes, so a dead run's leftovers cannot be
    /// in their way). Await the handle before exiting; a sweep cut short loses nothing, what it
    /// did not remove is still labelled for the next one.
    pub async fn open_sweeping_behind(
        limit: Duration,
    ) -> Result<(Self, tokio::task::JoinHandle<Vec<String>>), EnvError> {
        let engine = Self::reach(limit).await?;
        let sweeper = engine.clone();
        let swept = tokio::spawn(async move { sweeper.sweep_quietly().await });
        Ok((engine, swept))
    }

    /// The startup sweep as a quiet best effort with a deadline of its own: the names removed.
    async fn sweep_quietly(&self) -> Vec<String> {
        tokio::time::timeout(deadline::QUICK, self.sweep_dead_sessions())
            .await
            .ok()
            .and_then(Result::ok)
            .map(|c| c.removed)
            .unwrap_or_default()
    }

    /// Connect (the CLI's lookup order), learn the runtime, and start a session.
    pub async fn connect() -> Result<Self, EnvError> {
        Self::connect_with(&LookupEnv::from_process()).await
    }

    pub async fn connect_with(env: &LookupEnv) -> Result<Self, EnvError> {
        let (docker, endpoint, ping) = connect::connect(env).await?;
        // Docker Engine names itself in the ping's headers; anything else (Podman) is asked.
        let (runtime, server_version, api_version, os) =
            match (ping.docker_version(), &ping.api_version) {
                (Some(v), Some(api)) => (
                    Runtime::Docker,
                    v.to_string(),
                    api.clone(),
                    ping.os.clone().unwrap_or_default(),
                ),
                _ => {
                    let version = call("version", deadline::QUICK, docker.version()).await?;
                    let runtime = if is_podman_version(&version) {
                        Runtime::Podman
                    } else {
                        Runtime::Docker
                    };
                    (
                        runtime,
                        version.version.unwrap_or_default(),
                        version.api_version.unwrap_or_default(),
                        version.os.unwrap_or_default(),
                    )
                }
            };
        let builders = builder::Builders::from_ping(&ping, runtime, &os, &api_version);
        Ok(Self {
            docker,
            endpoint,
            runtime,
            server_version,
            api_version,
            builders,
            session: uuid::Uuid::new_v4().to_string(),
        })
    }

    /// The same connection with a session of its own (for runs side by side: each run's cleanup
    /// removes only its own session's resources).
    pub fn fork_session(&self) -> Self {
        Self {
            session: uuid::Uuid::new_v4().to_string(),
            ..self.clone()
        }
    }

    /// The labels for something this run creates for `exercise`.
    pub fn labels(&self, exercise: &str) -> HashMap<String, String> {
        let mut l = self.build_labels();
        l.insert(labels::EXERCISE.to_string(), exercise.to_string());
        l
    }

    /// The labels for images this run builds. The classic builder turns each label into a build
    /// step of its own, so images carry only what ownership needs (their tag names the exercise).
    pub fn build_labels(&self) -> HashMap<String, String> {
        HashMap::from([
            (labels::MANAGED.to_string(), "true".to_string()),
            (labels::SESSION.to_string(), self.session.clone()),
            (labels::OWNER.to_string(), cleanup::owner()),
        ])
    }

    /// A name for a resource of this run: `dockdojo-<exercise>-<what>-<8 hex of the session>`.
    pub fn name(&self, exercise: &str, what: &str) -> String {
        format!("dockdojo-{exercise}-{what}-{}", &self.session[..8])
    }
}

/// Answers of Podman that a moment later are different: a container that has just stopped is
/// `stopped` until its cleanup has run (then `exited`), and bollard knows only Docker's states;
/// an image list fails ("image not known", "locating item named …") when an image goes while
/// it is being listed; an inspect fails ("read /proc/N/cgroup: no such process") while the
/// container's process exits.
pub fn is_transient_podman_state(e: &bollard::errors::Error) -> bool {
    let text = crate::docker::connect::describe_bollard(e);
    text.contains("unknown variant `stopped`")
        || text.contains("unknown variant `configured`")
        || (text.contains("locating image with ID") && text.contains("image not known"))
        || (text.contains("locating item named") && text.contains("file does not exist"))
        // Inspecting a container whose process is exiting at that moment: Podman reads the
        // process's cgroup and finds it gone.
        || (text.contains("/cgroup") && text.contains("no such process"))
        // Not Podman's: Docker's containerd image store (Engine 26) fails a whole image list
        // when an image is removed while it lists them ("failed to read config content" or
        // "failed to calculate size of image …": a blob of it is already gone).
        || (text.contains("content digest") && text.contains("not found"))
        // Podman's image list, likewise, when an image is removed while it lists them (seen in
        // a self-test at three jobs: "retrieving label for image …: reading data blob size …:
        // size is not known").
        || (text.contains("reading data blob size") && text.contains("size is not known"))
}

/// How long to read through Podman's transient states before giving up.
const TRANSIENT_STATE_WAIT: Duration = Duration::from_secs(5);

/// Retry `f` while its answer is one of Podman's transient container states (or the containerd
/// image store's image list that raced a removal).
pub async fn through_transient_states<T, F, Fut>(mut f: F) -> Result<T, bollard::errors::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, bollard::errors::Error>>,
{
    let until = tokio::time::Instant::now() + TRANSIENT_STATE_WAIT;
    loop {
        match f().await {
            Err(e) if is_transient_podman_state(&e) && tokio::time::Instant::now() < until => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// `GET /containers/{id}/json`, read through Podman's transient states.
pub async fn inspect_container(
    docker: &Docker,
    id: &str,
) -> Result<bollard::models::ContainerInspectResponse, bollard::errors::Error> {
    through_transient_states(|| docker.inspect_container(id, None)).await
}

/// An image reference in Docker Hub's short form: `docker.io/library/busybox:1.36.1` and
/// `busybox:1.36.1` are the same image, and a reference without tag or digest means `:latest`.
/// Podman reports the long form (`Config.Image`) for what a learner typed short.
pub fn short_reference(reference: &str) -> String {
    let r = display_reference(reference);
    let name_end = r.rfind('/').map_or(0, |i| i + 1);
    if r.contains('@') || r[name_end..].contains(':') {
        r.to_string()
    } else {
        format!("{r}:latest")
    }
}

/// The repository a reference names, without its tag or digest (`reg:5000/app:1.0` →
/// `reg:5000/app`), as a learner writes it.
pub fn repository(reference: &str) -> &str {
    let r = display_reference(reference);
    let r = r.split_once('@').map_or(r, |(repo, _)| repo);
    let name_end = r.rfind('/').map_or(0, |i| i + 1);
    match r[name_end..].rfind(':') {
        Some(i) => &r[..name_end + i],
        None => r,
    }
}

/// A reference as a learner writes it: without the `docker.io/library/` Podman puts in front.
pub fn display_reference(reference: &str) -> &str {
    let mut r = reference.trim();
    for prefix in [
        "docker.io/library/",
        "index.docker.io/library/",
        "docker.io/",
        "index.docker.io/",
    ] {
        if let Some(rest) = r.strip_prefix(prefix) {
            r = rest;
            break;
        }
    }
    r
}

/// Do two image references name the same image (see [`short_reference`])?
pub fn same_reference(a: &str, b: &str) -> bool {
    short_reference(a) == short_reference(b)
}

/// Does a `/version` answer come from Podman (a component named "Podman Engine")?
pub fn is_podman_version(version: &bollard::models::SystemVersion) -> bool {
    version
        .components
        .as_ref()
        .is_some_and(|cs| cs.iter().any(|c| c.name.to_lowercase().contains("podman")))
}

/// Run one Docker call with its own deadline, turning transport and daemon errors into
/// [`EnvError`]s that tell causes apart.
pub async fn call<T>(
    what: &str,
    limit: Duration,
    fut: impl Future<Output = Result<T, bollard::errors::Error>>,
) -> Result<T, EnvError> {
    match tokio::time::timeout(limit, fut).await {
        Err(_) => Err(EnvError::Deadline {
            what: what.to_string(),
            deadline: limit,
        }),
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(classify(what, &e)),
    }
}

/// Sort a bollard error into the causes a learner can act on.
pub fn classify(what: &str, e: &bollard::errors::Error) -> EnvError {
    use bollard::errors::Error as B;
    let detail = describe_bollard(e);
    if detail.contains("no space left on device") {
        return EnvError::DiskFull { detail };
    }
    match e {
        B::DockerResponseServerError { message, .. } => EnvError::Daemon {
            what: what.to_string(),
            detail: message.clone(),
        },
        B::RequestTimeoutError => EnvError::Deadline {
            what: what.to_string(),
            deadline: Duration::from_secs(120),
        },
        B::HyperResponseError { .. } | B::IOError { .. } | B::HyperLegacyError { .. } => {
            EnvError::ConnectionLost {
                what: what.to_string(),
                detail,
            }
        }
        _ => EnvError::Daemon {
            what: what.to_string(),
            detail,
        },
    }
}

/// True for "404 no such …" answers.
pub fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_compare_in_short_form() {
        assert!(same_reference(
            "docker.io/library/busybox:1.36.1",
            "busybox:1.36.1"
        ));
        assert!(same_reference("busybox", "busybox:latest"));
        assert!(same_reference("docker.io/me/app:1", "me/app:1"));
        assert!(same_reference(
            "localhost:5000/app",
            "localhost:5000/app:latest"
        ));
        assert!(!same_reference("busybox", "busybox:1.36.1"));
        assert!(!same_reference("quay.io/busybox:1.36.1", "busybox:1.36.1"));
        assert_eq!(
            short_reference("localhost:5000/app@sha256:ab"),
            "localhost:5000/app@sha256:ab"
        );
    }

    /// Engine 26's containerd image store and Podman, listing images while one is removed.
    #[test]
    fn an_image_list_that_raced_a_removal_is_read_again() {
        let raced = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "failed to read config content: content digest \
                      sha256:ef1781c22b6f119cfb6d886b842ae4863a4c90519e54e2d5429e2974aeb4ca9f: \
                      not found"
                .into(),
        };
        assert!(is_transient_podman_state(&raced));
        let sized = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "failed to calculate size of image \
                      docker.io/dockdojo-check/10-moved-tag:00616541-app: content digest \
                      sha256:aa0df3f3210192e76b304f25564e326c3b5fc4df1642147330a6fde98349a98a: \
                      not found"
                .into(),
        };
        assert!(is_transient_podman_state(&sized));
        let podman = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "retrieving label for image \"0d9a1cd89079\": you may need to remove the \
                      image to resolve the error: fallback error checking whether image is a \
                      manifest list: reading data blob size \"sha256:0d9a1cd89079\" for \
                      \"0d9a1cd89079\": size is not known"
                .into(),
        };
        assert!(is_transient_podman_state(&podman));
        let gone = bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message: "No such image: dojo-app:latest".into(),
        };
        assert!(!is_transient_podman_state(&gone));
    }
}
