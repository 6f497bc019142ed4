//! One module per check kind, each in its own file: its spec (re-exported from
//! [`crate::spec`]), what it gathers from Docker and how it judges that; here, the registry of
//! kinds and [`Check`], the fields every check shares. Kinds never call each other; what they
//! share with Docker is in [`crate::docker`] (probe containers, exec, logs, HTTP, builds), what
//! they share with the run in [`ctx`]. Nothing here reads [`crate::spec`]: the exercise-level
//! model is built on the checks, not the other way round.

pub mod answer;
pub mod build;
pub mod compose;
pub mod container;
pub mod context;
pub mod ctx;
pub(crate) mod defaults;
pub mod diff;
pub mod dockerfile;
pub mod exec;
pub mod file;
pub mod http;
pub mod image;
pub mod layers;
pub mod network;
pub mod rebuild;
pub mod recreate;
pub mod reload;
pub mod restart;
pub mod run;
pub mod situation;
pub mod stop;
pub mod volume;

use crate::error::EnvError;
use serde::{Deserialize, Serialize};

pub use ctx::{BuiltImage, Ctx, Verdict};

/// One check: fields every kind shares, plus the kind's own.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Unique within the exercise; mutants name it in `expect.toml`.
    pub id: String,
    /// What it verifies, as a learner reads it: "The app answers through the published port".
    pub title: String,
    /// Shown when the check fails.
    pub hint: String,
    /// The book section explaining it (defaults to the exercise's `book`).
    pub book: Option<String>,
    /// The line of its `[[checks]]` table in exercise.toml.
    #[serde(skip)]
    pub line: usize,
    #[serde(flatten)]
    pub kind: CheckKind,
}

/// What a check kind tells the rest of the checker about its spec, beyond running it: problems
/// serde cannot see (reported with the check's id when the exercise loads), and the handles it
/// needs from earlier checks and makes for later ones (the loader refuses an image handle no
/// earlier `build` makes; a run skips a check whose handle an earlier failure left missing).
/// Every method has a default: a kind states only what applies to it.
pub trait Kind {
    fn problem(&self) -> Option<String> {
        None
    }
    fn needs(&self) -> Needs<'_> {
        Needs::default()
    }
    fn makes(&self) -> Makes<'_> {
        Makes::default()
    }
    /// Does a failure of this check stop the checks after it? Only for a check whose later
    /// checks would give its answer away (a diagnosis asked before the fix: the fix's checks
    /// print the exit code and the reason the learner is asked to find).
    fn gates(&self) -> bool {
        false
    }
    /// What a case of an exercise with this check usually costs beyond a few inspections, in
    /// tenths of a second on a local engine: the check's own waits (a build, a probe's interval,
    /// a stop timeout) and what the learner's commands it grades take (a Compose project brought
    /// up). Only `self-test` reads it, to start the longest exercises first.
    fn weight(&self) -> u32 {
        0
    }
    /// Does this check only look (it starts, stops, changes or removes nothing of the learner's,
    /// and asks their app nothing)? The inspections made for a run of such checks, back to back,
    /// are shared between them ([`Ctx::inspect_shared`]); any other check, or one that waited,
    /// ends the sharing, so no check reads a container as it was before something changed it.
    fn reads_only(&self) -> bool {
        false
    }
}

/// What a check needs from earlier checks or from the learner's Docker.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Needs<'a> {
    /// An image handle an earlier `build` check makes (`image = "app"`).
    pub image: Option<&'a str>,
    /// An image handle, or an image reference (`busybox:1.36.1`) that needs nothing earlier.
    pub image_or_reference: Option<&'a str>,
    /// A run handle an earlier `run` check starts, or a live container's name.
    pub container: Option<&'a str>,
    /// A network by name.
    pub network: Option<&'a str>,
}

/// The handles a check makes for later ones.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Makes<'a> {
    pub image: Option<&'a str>,
    pub container: Option<&'a str>,
}

/// The registry: one line per kind, `Variant(module::Spec) = "name"`, its doc the kind's
/// description. It makes the `kind = "…"` tagged enum of exercise.toml, the kind's name, the
/// [`Kind`] answers and the dispatch to `module::check`; the matches it writes have no catch-all,
/// so a kind added here is a kind the compiler makes every other place handle.
macro_rules! check_kinds {
    ($( $(#[$doc:meta])* $variant:ident($module:ident :: $spec:ident) = $name:literal, )*) => {
        /// The kinds of check, tagged by `kind = "…"`. Names that refer to things the checker
        /// built or started in this run (`image = "app"`, `container = "app"`) are *handles*; a
        /// container name that is not a handle is looked up live (e.g. `dojo-web`).
        // A spec is read once per exercise and never moved in a hot loop: the container
        // kind's many optional fields make its variant the largest, and boxing it would only
        // add a layer to every match.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, Deserialize, Serialize)]
        #[serde(tag = "kind")]
        pub enum CheckKind {
            $( $(#[$doc])* #[serde(rename = $name)] $variant($module::$spec), )*
        }

        impl CheckKind {
            /// The kind's name, as exercise.toml writes it.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => $name, )*
                }
            }

            /// The kind's spec as a [`Kind`]: its problems, what it needs and makes.
            pub fn kind(&self) -> &dyn Kind {
                match self {
                    $( Self::$variant(s) => s, )*
                }
            }
        }

        /// Dispatch a check to its kind.
        pub async fn run(ctx: &mut Ctx<'_>, check: &Check) -> Result<Verdict, EnvError> {
            match &check.kind {
                $( CheckKind::$variant(c) => $module::check(ctx, c).await, )*
            }
        }
    };
}

check_kinds! {
    /// Build the learner's Dockerfile (after the untrusted-Dockerfile rules). The build log is kept.
    Build(build::BuildCheck) = "build",
    /// A static rule on the Dockerfile text (only for what is static by nature).
    Dockerfile(dockerfile::DockerfileCheck) = "dockerfile",
    /// Image metadata: size, layers, user, cmd/entrypoint and their form, env, ports, labels.
    Image(image::ImageCheck) = "image",
    /// A file present or absent in an image's filesystem (optionally its content).
    File(file::FileCheck) = "file",
    /// Start a container from a built image (labelled, limited, published on 127.0.0.1).
    Run(run::RunCheck) = "run",
    /// Run a command in a container (a handle, a live name, or a fresh one from an image).
    Exec(exec::ExecCheck) = "exec",
    /// A live container's state and config.
    Container(container::ContainerCheck) = "container",
    /// An HTTP request through a published host port gets a real answer.
    Http(http::HttpCheck) = "http",
    /// A named volume holds data that survives container removal.
    Volume(volume::VolumeCheck) = "volume",
    /// Network membership and DNS resolution by container name.
    Network(network::NetworkCheck) = "network",
    /// Rebuild after changing a file: which steps hit the cache.
    Rebuild(rebuild::RebuildCheck) = "rebuild",
    /// A real `docker stop`: how long the container took and its exit code.
    Stop(stop::StopCheck) = "stop",
    /// `docker diff`: files a container added or changed in its writable layer.
    Diff(diff::DiffCheck) = "diff",
    /// Make a running container's process fail and see its restart policy bring it back.
    Restart(restart::RestartCheck) = "restart",
    /// Scan every layer of an image (as `docker save` ships it) for paths or text.
    Layers(layers::LayersCheck) = "layers",
    /// The build context as Docker would send it (after `.dockerignore`).
    Context(context::ContextCheck) = "context",
    /// Change a file on the host and see the change served through a published port (bind mounts).
    Reload(reload::ReloadCheck) = "reload",
    /// A Compose project's state, by the `com.docker.compose.*` labels.
    Compose(compose::ComposeCheck) = "compose",
    /// Take a Compose project down and up again: every service comes back, and a note kept
    /// through the app survives.
    Recreate(recreate::RecreateCheck) = "recreate",
    /// The learner's diagnosis in words (`ANSWER.md`), judged against the accepted forms.
    Answer(answer::AnswerCheck) = "answer",
    /// What a scenario's setup arranged (containers, images, networks, volumes) is still there.
    Situation(situation::SituationCheck) = "situation",
}

/// Why a container a check needs running is not: (actual, advice), told by its state. `info` is
/// the container as inspected (`None`: there is no such container). A paused container cannot be
/// started, an exited one says with which code, a created one was never started.
pub fn not_running(
    name: &str,
    info: Option<&bollard::models::ContainerInspectResponse>,
) -> (String, String) {
    use bollard::models::ContainerStateStatusEnum as Status;
    let Some(info) = info else {
        return (
            format!("there is no container named {name}"),
            format!("`docker ps -a` lists every container, running or not: the task says how to create this one, and `--name {name}` on `docker run` names it."),
        );
    };
    let st = info.state.clone().unwrap_or_default();
    let logs = format!("`docker logs {name}` shows its last lines, and so why it ends.");
    if st.paused == Some(true) || st.status == Some(Status::PAUSED) {
        return (
            format!("{name} is paused: its processes are frozen"),
            format!("`docker unpause {name}` lets it run on (`docker start` does not apply to a paused container)."),
        );
    }
    if st.restarting == Some(true) || st.status == Some(Status::RESTARTING) {
        return (
            format!("{name} keeps restarting: its process exits each time"),
            format!("Its restart policy starts it again each time its main process ends; {logs}"),
        );
    }
    if st.running == Some(true) {
        return (
            format!("{name} was not running when the check asked it"),
            format!("`docker ps -a --filter name={name}` shows its state: run the check again once it stays up."),
        );
    }
    if st.status == Some(Status::CREATED) {
        return (
            format!("{name} was created but never started"),
            format!("`docker start {name}` starts it (`docker create` only prepares a container)."),
        );
    }
    (
        format!(
            "{name} is not running: it exited with code {}",
            crate::docker::probe::explain_exit(
                st.exit_code.unwrap_or(0),
                st.oom_killed.unwrap_or(false)
            )
        ),
        format!("A container stops when its main process ends; `docker logs {name}` shows its last lines. A server that goes into the background (httpd without -f, a daemon mode) lets the main process end at once."),
    )
}

/// The first `KEY=value` in `want` that `env` (Docker's `KEY=value` list) does not have:
/// (key, wanted value, what is there instead).
/// Two settings mean the same: equal text, or two HTTP(S) URLs naming the same scheme, host, port
/// and path (`http://api:8080` is `http://api:8080/`; `HTTP://API:80/` is `http://api/`). A
/// container's name qualified by its network (`api.app-net`, which Docker's DNS answers too) is
/// the same host as the bare name.
pub fn same_value(got: &str, want: &str) -> bool {
    if got == want {
        return true;
    }
    let web = |s: &str| {
        url::Url::parse(s)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    };
    match (web(got), web(want)) {
        (Some(g), Some(w)) => {
            let same_host = match (g.host_str(), w.host_str()) {
                (Some(gh), Some(wh)) => {
                    gh == wh
                        || (!wh.contains('.')
                            && gh.strip_prefix(wh).is_some_and(|rest| {
                                rest.len() > 1 && rest.starts_with('.') && !rest.ends_with('.')
                            }))
                }
                (gh, wh) => gh == wh,
            };
            g.scheme() == w.scheme()
                && same_host
                && g.port_or_known_default() == w.port_or_known_default()
                && g.path() == w.path()
                && g.query() == w.query()
                && g.username() == w.username()
                && g.password() == w.password()
        }
        _ => false,
    }
}

pub fn env_mismatch<'a>(
    env: &[String],
    want: &'a std::collections::BTreeMap<String, String>,
) -> Option<(&'a str, &'a str, String)> {
    want.iter().find_map(|(k, v)| {
        let found = env.iter().find_map(|e| {
            e.split_once('=')
                .filter(|(ek, _)| ek == k)
                .map(|(_, ev)| ev)
        });
        match found {
            Some(f) if same_value(f, v) => None,
            Some(f) => {
                let quoted = ['"', '\''].iter().any(|q| {
                    f.len() >= 2
                        && f.starts_with(*q)
                        && f.ends_with(*q)
                        && same_value(&f[1..f.len() - 1], v)
                });
                let why = if quoted {
                    " (the quotes are part of the value: an --env-file line, or a quoted value \
                     inside -e \"…\", is taken as written, quotes and all)"
                } else {
                    url_difference(f, v)
                };
                Some((k.as_str(), v.as_str(), format!("{k}={f}{why}")))
            }
            None => Some((k.as_str(), v.as_str(), format!("{k} is not set"))),
        }
    })
}

/// `scheme://host:port/rest` → (scheme, host, port, rest); `None` for anything else.
fn url_parts(u: &str) -> Option<(&str, &str, &str, &str)> {
    let (scheme, rest) = u.split_once("://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = authority.rsplit_once(':').unwrap_or((authority, ""));
    (!host.is_empty()).then_some((scheme, host, port, path))
}

/// What tells two URLs apart when only their host or only their port does (empty otherwise): a
/// learner who used the peer's address, or the port published on the host, reads which part is
/// off.
fn url_difference(got: &str, want: &str) -> &'static str {
    let (Some(g), Some(w)) = (url_parts(got), url_parts(want)) else {
        return "";
    };
    let ip = |h: &str| h.parse::<std::net::IpAddr>().is_ok();
    if (g.0, g.2, g.3) == (w.0, w.2, w.3) && g.1 != w.1 && ip(g.1) && !ip(w.1) {
        " (an address where the task names a container: a container's address can change each \
         time it is created, its name on a user-defined network always resolves to it)"
    } else if (g.0, g.1, g.3) == (w.0, w.1, w.3) && g.2 != w.2 {
        " (only the port differs)"
    } else if (g.0, g.1, g.2) == (w.0, w.1, w.2) && g.3 != w.3 {
        " (only the path differs: the address and port are right)"
    } else {
        ""
    }
}

#[cfg(test)]
mod url_tests {
    use super::url_difference;

    #[test]
    fn a_url_that_differs_in_its_host_or_port_only_says_which() {
        let want = "http://dojo-peer-api:8080/";
        assert!(url_difference("http://172.18.0.2:8080/", want).starts_with(" (an address"));
        assert_eq!(
            url_difference("http://dojo-peer-api:18080/", want),
            " (only the port differs)"
        );
        assert_eq!(url_difference("http://localhost:18080/", want), "");
        assert_eq!(url_difference("dojo-peer-api:8080", want), "");
        assert_eq!(url_difference("http://api.example:8080/", want), "");
        assert_eq!(
            url_difference("http://dojo-peer-api:8080/index.html", want),
            " (only the path differs: the address and port are right)"
        );
    }
}

#[cfg(test)]
mod value_tests {
    use super::same_value;

    #[test]
    fn quotes_kept_from_an_env_file_are_named() {
        let want: std::collections::BTreeMap<String, String> =
            [("GREETING".to_string(), "Welcome to the dojo".to_string())].into();
        let env = vec!["GREETING=\"Welcome to the dojo\"".to_string()];
        let (_, _, actual) = super::env_mismatch(&env, &want).expect("quotes differ");
        assert!(
            actual
                .starts_with("GREETING=\"Welcome to the dojo\" (the quotes are part of the value"),
            "{actual}"
        );
        let env = vec!["GREETING=Welcome".to_string()];
        let (_, _, actual) = super::env_mismatch(&env, &want).expect("differs");
        assert_eq!(actual, "GREETING=Welcome");
    }

    #[test]
    fn urls_compare_as_urls() {
        let want = "http://dojo-peer-api:8080/";
        assert!(same_value("http://dojo-peer-api:8080", want));
        assert!(same_value("HTTP://DOJO-PEER-API:8080/", want));
        assert!(!same_value("http://dojo-peer-api:18080/", want));
        assert!(!same_value("http://localhost:8080/", want));
        assert!(!same_value("http://dojo-peer-api:8080/v2", want));
        assert!(!same_value("https://dojo-peer-api:8080/", want));
        assert!(same_value("http://api/", "http://api:80/"));
        assert!(!same_value("dojo-peer-api:8080", want));
        assert!(same_value("http://dojo-peer-api.dojo-peer-net:8080/", want));
        assert!(!same_value("http://dojo-peer-api-2:8080/", want));
        assert!(!same_value("http://dojo-peer-apix.net:8080/", want));
        assert!(!same_value(
            "http://api.net:8080/",
            "http://api.other:8080/"
        ));
        assert!(same_value("plain", "plain"));
        assert!(!same_value("plain ", "plain"));
    }
}

#[cfg(test)]
mod not_running_tests {
    use super::not_running;
    use bollard::models::{ContainerInspectResponse, ContainerState, ContainerStateStatusEnum};

    fn with(state: ContainerState) -> ContainerInspectResponse {
        ContainerInspectResponse {
            state: Some(state),
            ..Default::default()
        }
    }

    #[test]
    fn a_container_that_is_not_running_is_told_by_its_state() {
        let (actual, advice) = not_running("web", None);
        assert_eq!(actual, "there is no container named web");
        assert!(
            advice.contains("`docker ps -a`") && advice.contains("`--name web`"),
            "{advice}"
        );

        let paused = with(ContainerState {
            status: Some(ContainerStateStatusEnum::PAUSED),
            running: Some(true),
            paused: Some(true),
            ..Default::default()
        });
        let (actual, advice) = not_running("web", Some(&paused));
        assert_eq!(actual, "web is paused: its processes are frozen");
        assert!(
            advice.starts_with("`docker unpause web` lets it run on"),
            "{advice}"
        );

        let created = with(ContainerState {
            status: Some(ContainerStateStatusEnum::CREATED),
            running: Some(false),
            exit_code: Some(0),
            ..Default::default()
        });
        let (actual, advice) = not_running("web", Some(&created));
        assert_eq!(actual, "web was created but never started");
        assert!(advice.contains("`docker start web`"), "{advice}");

        let exited = with(ContainerState {
            status: Some(ContainerStateStatusEnum::EXITED),
            running: Some(false),
            exit_code: Some(0),
            ..Default::default()
        });
        let (actual, advice) = not_running("web", Some(&exited));
        assert_eq!(
            actual,
            "web is not running: it exited with code 0: it finished successfully"
        );
        assert!(
            advice.contains("`docker logs web`") && advice.contains("httpd without -f"),
            "{advice}"
        );

        let killed = with(ContainerState {
            status: Some(ContainerStateStatusEnum::EXITED),
            exit_code: Some(137),
            oom_killed: Some(true),
            ..Default::default()
        });
        let (actual, _) = not_running("web", Some(&killed));
        assert!(
            actual.starts_with("web is not running: it exited with code 137: OOM-killed"),
            "{actual}"
        );

        let restarting = with(ContainerState {
            status: Some(ContainerStateStatusEnum::RESTARTING),
            restarting: Some(true),
            exit_code: Some(1),
            ..Default::default()
        });
        let (actual, advice) = not_running("web", Some(&restarting));
        assert_eq!(actual, "web keeps restarting: its process exits each time");
        assert!(advice.contains("`docker logs web`"), "{advice}");
    }
}
