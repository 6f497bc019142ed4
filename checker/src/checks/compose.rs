//! The `compose` check: a Compose project's state read from the labels Compose v1 and v2 both put
//! on what they create (`com.docker.compose.project`, `.service`, `.volume`).

use crate::checks::Kind;
use std::collections::HashMap;

use bollard::query_parameters::ListVolumesOptionsBuilder;

use bollard::models::{ContainerInspectResponse, ContainerSummary, Volume};

use crate::checks::{Ctx, Verdict};
use crate::docker::{call, deadline};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeCheck {
    /// The project name (`-p`, `name:`, or the folder name).
    pub project: String,
    /// Services with a running container.
    #[serde(default)]
    pub running: Vec<String>,
    /// Volumes (as named in the compose file) that must exist.
    #[serde(default)]
    pub volumes: Vec<String>,
    /// `false`: the project must have no containers at all (it was brought down).
    pub up: Option<bool>,
    /// Volumes (as named in the compose file) that must be mounted where a service keeps its
    /// data: volume → `service:/path`. Data that outlives `down` and `up` could also sit in a
    /// bind-mounted folder; this asks for the named volume.
    #[serde(default)]
    pub mounted: std::collections::BTreeMap<String, String>,
}

impl Kind for ComposeCheck {
    /// A Compose project built and brought up.
    fn weight(&self) -> u32 {
        40
    }
    fn problem(&self) -> Option<String> {
        for (v, at) in &self.mounted {
            match at.split_once(':') {
                Some((s, path)) if !s.is_empty() && path.starts_with('/') => {}
                _ => {
                    return Some(format!(
                        "`mounted` of {v} must be `service:/path`, not {at:?}"
                    ))
                }
            }
            if !self.volumes.contains(v) {
                return Some(format!(
                    "`mounted` names {v}, which `volumes` does not list"
                ));
            }
        }
        None
    }
}

const PROJECT: &str = "com.docker.compose.project";
const SERVICE: &str = "com.docker.compose.service";
const VOLUME: &str = "com.docker.compose.volume";

/// What the `compose` check found.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// The containers listed with the project's label (re-checked by [`judge`]).
    pub containers: Vec<ContainerSummary>,
    /// Each listed container of a service the spec wants running that is not running, by id:
    /// its inspection (`None`: gone since the list) and its last log lines.
    pub stopped: Vec<(String, Option<ContainerInspectResponse>, String)>,
    /// The volumes listed with the project's label, when the spec names volumes.
    pub volumes: Vec<Volume>,
    /// For each service that `mounted` names, its running container's mounts (from its
    /// inspection: a list's mounts differ between engines).
    pub mounts: Vec<(String, Vec<bollard::models::MountPoint>)>,
}

fn label<'a>(labels: Option<&'a HashMap<String, String>>, key: &str) -> Option<&'a str> {
    labels.and_then(|l| l.get(key)).map(String::as_str)
}

fn service(c: &ContainerSummary) -> String {
    label(c.labels.as_ref(), SERVICE)
        .unwrap_or_default()
        .to_string()
}

fn is_running(c: &ContainerSummary) -> bool {
    c.state.map(|s| s.to_string()).as_deref() == Some("running")
}

/// The `compose` check: list the project's containers (and volumes), look at the stopped
/// ones, then [`judge`].
pub async fn check(ctx: &mut Ctx<'_>, spec: &ComposeCheck) -> Result<Verdict, EnvError> {
    Ok(judge(spec, &list(ctx, spec).await?))
}

async fn list(ctx: &Ctx<'_>, spec: &ComposeCheck) -> Result<Project, EnvError> {
    let p = &spec.project;
    let by_label = vec![format!("{PROJECT}={p}")];
    let containers =
        crate::docker::inspect::containers(ctx.engine, true, &[("label", by_label.clone())])
            .await?;
    let mut stopped = Vec::new();
    if spec.up != Some(false) {
        let wanted = |c: &&ContainerSummary| spec.running.contains(&service(c));
        for c in containers.iter().filter(|c| !is_running(c)).filter(wanted) {
            let id = c.id.clone().unwrap_or_default();
            let info = ctx.inspect(&id).await?;
            let logs = crate::docker::logs::logs_tail(ctx.engine, &id, 4).await;
            stopped.push((id, info, logs));
        }
    }
    let volumes = if spec.volumes.is_empty() || spec.up == Some(false) {
        Vec::new()
    } else {
        let filters = HashMap::from([("label".to_string(), by_label)]);
        let vopts = ListVolumesOptionsBuilder::new().filters(&filters).build();
        call(
            "list volumes",
            deadline::QUICK,
            ctx.engine.docker.list_volumes(Some(vopts)),
        )
        .await?
        .volumes
        .unwrap_or_default()
    };
    let mut mounts = Vec::new();
    for at in spec.mounted.values() {
        let Some((s, _)) = at.split_once(':') else {
            continue;
        };
        if mounts.iter().any(|(m, _)| m == s) {
            continue;
        }
        let c = containers
            .iter()
            .filter(|c| label(c.labels.as_ref(), PROJECT) == Some(p.as_str()))
            .find(|c| service(c) == s && is_running(c));
        if let Some(id) = c.and_then(|c| c.id.clone()) {
            let info = ctx.inspect(&id).await?.unwrap_or_default();
            mounts.push((s.to_string(), info.mounts.unwrap_or_default()));
        }
    }
    Ok(Project {
        containers,
        stopped,
        volumes,
        mounts,
    })
}

/// The verdict on a project's containers and volumes (no I/O).
pub fn judge(spec: &ComposeCheck, project: &Project) -> Verdict {
    let p = &spec.project;
    // The daemon filtered by label; re-checked here, for a runtime that filters loosely.
    let containers: Vec<&ContainerSummary> = project
        .containers
        .iter()
        .filter(|c| label(c.labels.as_ref(), PROJECT) == Some(p.as_str()))
        .collect();
    if spec.up == Some(false) {
        let expected = format!("project {p} is down (no containers)");
        return if containers.is_empty() {
            Verdict::pass(expected, "no containers")
        } else {
            Verdict::fail(
                expected,
                format!(
                    "{} container(s) remain: {}",
                    containers.len(),
                    containers
                        .iter()
                        .map(|c| service(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        };
    }
    let mut expected = format!("Compose project {p}");
    if !spec.running.is_empty() {
        expected.push_str(&format!(" with {} running", spec.running.join(", ")));
    }
    if !spec.volumes.is_empty() {
        expected.push_str(&format!(" and volume(s) {}", spec.volumes.join(", ")));
    }
    let running: Vec<String> = containers
        .iter()
        .filter(|c| is_running(c))
        .map(|c| service(c))
        .collect();
    if let Some(s) = spec.running.iter().find(|s| !running.contains(s)) {
        return judge_not_running(p, s, &containers, &running, project, expected);
    }
    if !spec.volumes.is_empty() {
        let names: Vec<&str> = project
            .volumes
            .iter()
            .filter(|v| label(Some(&v.labels), PROJECT) == Some(p.as_str()))
            .filter_map(|v| label(Some(&v.labels), VOLUME))
            .collect();
        if let Some(v) = spec.volumes.iter().find(|v| !names.contains(&v.as_str())) {
            // Named volumes its services mount that Compose did not make for the project: an
            // `external: true` one, or one made by hand.
            let mut outside: Vec<String> = containers
                .iter()
                .flat_map(|c| c.mounts.iter().flatten())
                .filter(|m| m.typ.as_deref() == Some("volume"))
                .filter_map(|m| m.name.clone())
                .filter(|n| {
                    let anonymous = n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit());
                    let its_own = project.volumes.iter().any(|pv| {
                        pv.name == *n && label(Some(&pv.labels), PROJECT) == Some(p.as_str())
                    });
                    !anonymous && !its_own
                })
                .collect();
            outside.sort();
            outside.dedup();
            if !outside.is_empty() {
                return Verdict::fail(
                    expected,
                    format!(
                        "project {p} has no volume {v} of its own; its services mount {}, made \
                         outside the project",
                        outside.join(", ")
                    ),
                )
                .advise(format!(
                    "A volume declared `external: true` (or made with `docker volume create`) is not the project's: Compose neither makes it nor removes it with `down -v`. Declare `{v}:` under the top-level `volumes:` key without `external` or `name`, and Compose makes it for the project."
                ));
            }
            return Verdict::fail(
                expected,
                format!(
                    "project {p} has no volume {v} (volumes: {})",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ),
            )
            .advise(
                "Compose makes a volume only when a service mounts it: declare it under the \
                 top-level `volumes:` key, and mount it in the service that keeps the data \
                 (`volumes: [\"NAME:/path\"]` under the service).",
            );
        }
    }
    for (v, at) in &spec.mounted {
        let Some((s, path)) = at.split_once(':') else {
            continue;
        };
        let name = project
            .volumes
            .iter()
            .filter(|x| label(Some(&x.labels), PROJECT) == Some(p.as_str()))
            .find(|x| label(Some(&x.labels), VOLUME) == Some(v.as_str()))
            .map(|x| x.name.clone())
            .unwrap_or_default();
        let mounts = project
            .mounts
            .iter()
            .find(|(m, _)| m == s)
            .map(|(_, m)| m.as_slice())
            .unwrap_or_default();
        let here = mounts
            .iter()
            .find(|m| m.destination.as_deref().map(|d| d.trim_end_matches('/')) == Some(path));
        let is_volume = |m: &bollard::models::MountPoint| m.typ.as_deref() == Some("volume");
        let actual = match here {
            Some(m) if is_volume(m) && m.name.as_deref() == Some(name.as_str()) => continue,
            Some(m) if is_volume(m) => format!(
                "{s}'s {path} is the volume {}, not the project's volume {v} ({name})",
                m.name.as_deref().unwrap_or("?")
            ),
            Some(m) => format!(
                "{s}'s {path} is a {} mount of {}, not the volume {v}",
                m.typ.as_deref().unwrap_or("?"),
                m.source.as_deref().unwrap_or("?")
            ),
            None => format!(
                "nothing is mounted at {path} in {s}, so what it keeps there goes with its container"
            ),
        };
        let elsewhere = mounts
            .iter()
            .find(|m| is_volume(m) && m.name.as_deref() == Some(name.as_str()))
            .and_then(|m| m.destination.clone());
        let actual = match elsewhere {
            Some(d) => format!("{actual}; the volume {v} is mounted at {d}"),
            None => actual,
        };
        return Verdict::fail(format!("{expected}, {v} mounted at {s}:{path}"), actual).advise(
            format!(
                "The task keeps {s}'s {path} in the named volume {v}: under the service, \
                 `volumes: [\"{v}:{path}\"]`. A bind-mounted folder also outlives the \
                 container, but it is a folder of this machine, not a volume Docker manages."
            ),
        );
    }
    Verdict::pass(expected, format!("running: {}", running.join(", ")))
}

/// A service the spec wants running that is not: no project, no such service, or its
/// container stopped (with its exit code and log).
fn judge_not_running(
    p: &str,
    s: &str,
    containers: &[&ContainerSummary],
    running: &[String],
    project: &Project,
    expected: String,
) -> Verdict {
    if containers.is_empty() {
        return Verdict::fail(expected, format!("no containers belong to project {p}")).advise(format!(
            "Run the stack with the project name the task gives: `docker compose -p {p} up -d` (or `docker-compose -p {p} up -d`); `docker compose -p {p} ps` shows it."
        ));
    }
    let others = if running.is_empty() {
        "none".into()
    } else {
        running.join(", ")
    };
    let Some(c) = containers.iter().find(|c| service(c) == s) else {
        return Verdict::fail(
            expected,
            format!("project {p} has no service {s} (running: {others})"),
        )
        .advise(format!(
            "Declare the service `{s}` under `services:` in the compose file."
        ));
    };
    let id = c.id.clone().unwrap_or_default();
    let (info, logs) = project
        .stopped
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, info, logs)| (info.clone().unwrap_or_default(), logs.as_str()))
        .unwrap_or_default();
    let st = info.state.unwrap_or_default();
    Verdict::fail(
        expected,
        format!(
            "{s} is not running (running: {others}); it exited with code {}\n--- its last log lines ---\n{}",
            crate::docker::probe::explain_exit(st.exit_code.unwrap_or(0), st.oom_killed.unwrap_or(false)),
            if logs.is_empty() { "(no output)" } else { logs }
        ),
    )
    .advise(format!("`docker compose -p {p} logs {s}` shows why it stopped."))
}
