//! The `compose` check: a Compose project's state read from the labels Compose v1 and v2 both put
//! on what they create (`com.docker.compose.project`, `.service`, `.volume`).

use crate::checks::Kind;
use std::collections::HashMap;

use bollard::query_parameters::{ListContainersOptionsBuilder, ListVolumesOptionsBuilder};

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
}

impl Kind for ComposeCheck {}

const PROJECT: &str = "com.docker.compose.project";

pub async fn check(ctx: &mut Ctx<'_>, spec: &ComposeCheck) -> Result<Verdict, EnvError> {
    let p = &spec.project;
    let filters = HashMap::from([("label".to_string(), vec![format!("{PROJECT}={p}")])]);
    let opts = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let containers = call(
        "list containers",
        deadline::QUICK,
        crate::docker::through_transient_states(|| {
            ctx.engine.docker.list_containers(Some(opts.clone()))
        }),
    )
    .await?;
    let containers: Vec<_> = containers
        .into_iter()
        .filter(|c| {
            c.labels
                .as_ref()
                .and_then(|l| l.get(PROJECT))
                .map(String::as_str)
                == Some(p.as_str())
        })
        .collect();
    let service = |c: &bollard::models::ContainerSummary| {
        c.labels
            .as_ref()
            .and_then(|l| l.get("com.docker.compose.service"))
            .cloned()
            .unwrap_or_default()
    };
    if spec.up == Some(false) {
        let expected = format!("project {p} is down (no containers)");
        return Ok(if containers.is_empty() {
            Verdict::pass(expected, "no containers")
        } else {
            Verdict::fail(
                expected,
                format!(
                    "{} container(s) remain: {}",
                    containers.len(),
                    containers
                        .iter()
                        .map(&service)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        });
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
        .filter(|c| c.state.map(|s| s.to_string()).as_deref() == Some("running"))
        .map(&service)
        .collect();
    for s in &spec.running {
        if !running.contains(s) {
            if containers.is_empty() {
                return Ok(Verdict::fail(expected, format!("no containers belong to project {p}")).advise(format!(
                    "Run the stack with the project name the task gives: `docker compose -p {p} up -d` (or `docker-compose -p {p} up -d`); `docker compose -p {p} ps` shows it."
                )));
            }
            let others = if running.is_empty() {
                "none".into()
            } else {
                running.join(", ")
            };
            let Some(c) = containers.iter().find(|c| &service(c) == s) else {
                return Ok(Verdict::fail(
                    expected,
                    format!("project {p} has no service {s} (running: {others})"),
                )
                .advise(format!(
                    "Declare the service `{s}` under `services:` in the compose file."
                )));
            };
            let id = c.id.clone().unwrap_or_default();
            let info = ctx.inspect(&id).await?.unwrap_or_default();
            let st = info.state.unwrap_or_default();
            let logs = crate::docker::logs::logs_tail(ctx.engine, &id, 4).await;
            return Ok(Verdict::fail(
                expected,
                format!(
                    "{s} is not running (running: {others}); it exited with code {}\n--- its last log lines ---\n{}",
                    crate::docker::probe::explain_exit(st.exit_code.unwrap_or(0), st.oom_killed.unwrap_or(false)),
                    if logs.is_empty() { "(no output)".into() } else { logs }
                ),
            )
            .advise(format!("`docker compose -p {p} logs {s}` shows why it stopped.")));
        }
    }
    if !spec.volumes.is_empty() {
        let vf = HashMap::from([("label".to_string(), vec![format!("{PROJECT}={p}")])]);
        let vopts = ListVolumesOptionsBuilder::new().filters(&vf).build();
        let vols = call(
            "list volumes",
            deadline::QUICK,
            ctx.engine.docker.list_volumes(Some(vopts)),
        )
        .await?;
        let names: Vec<String> = vols
            .volumes
            .unwrap_or_default()
            .into_iter()
            .filter(|v| v.labels.get(PROJECT).map(String::as_str) == Some(p.as_str()))
            .filter_map(|v| v.labels.get("com.docker.compose.volume").cloned())
            .collect();
        for v in &spec.volumes {
            if !names.contains(v) {
                return Ok(Verdict::fail(
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
                    "Declare it under the top-level `volumes:` key and mount it in the service.",
                ));
            }
        }
    }
    Ok(Verdict::pass(
        expected,
        format!("running: {}", running.join(", ")),
    ))
}
