//! The `container` check: a live container's state and configuration, gathered here and
//! judged in `judge.rs`; health in `health.rs`, the image it runs in `image.rs`.

use crate::checks::{Kind, Needs};
use bollard::models::ContainerInspectResponse;

use crate::checks::{Ctx, Verdict};
use crate::docker::{call, deadline, is_not_found};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerCheck {
    /// The container's name (or a run handle). Exactly one of `container` / `project`+`service`.
    pub container: Option<String>,
    /// A Compose project name: with `service`, finds the container by its
    /// `com.docker.compose.project` / `com.docker.compose.service` labels (Compose v1 and v2 alike).
    pub project: Option<String>,
    pub service: Option<String>,
    /// `false`: the container must be gone (e.g. removed to prove data outlives it).
    pub exists: Option<bool>,
    pub running: Option<bool>,
    /// The image it was created from (as given to `docker run`).
    pub image: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Published ports: container port (`8080/tcp` or `8080`) → host port.
    #[serde(default)]
    pub ports: BTreeMap<String, u16>,
    /// `no`, `always`, `unless-stopped`, `on-failure`.
    pub restart_policy: Option<String>,
    pub memory_mb: Option<u64>,
    /// A memory limit of at least / at most this many MB (a right-sized range instead of one value).
    pub memory_min_mb: Option<u64>,
    pub memory_max_mb: Option<u64>,
    pub cpus: Option<f64>,
    pub exit_code: Option<i64>,
    pub oom_killed: Option<bool>,
    /// Named volumes mounted: volume name → mount path.
    #[serde(default)]
    pub volumes: BTreeMap<String, String>,
    /// Bind mounts: host folder (relative to the exercise folder) → mount path.
    #[serde(default)]
    pub binds: BTreeMap<String, String>,
    /// Text its log (stdout and stderr) must contain.
    #[serde(default)]
    pub output_contains: Vec<String>,
    /// Lines its log must contain whole (nothing else on the line; trailing white space and a
    /// carriage return aside).
    #[serde(default)]
    pub output_lines: Vec<String>,
    /// The health status to reach (`healthy`, `unhealthy`), waiting up to `within_s`.
    pub health: Option<String>,
    /// Seconds to wait for `health` (default 30).
    pub within_s: Option<f64>,
    /// With `health = "healthy"`: the probe must also fail where the app is not running, run
    /// once in a fresh container of the same image with its own command left out and no network
    /// (a probe that passes there tests nothing: `|| exit 0`, the wrong port, `true`).
    #[serde(default)]
    pub probe_tested: bool,
    /// The user the container runs as must not be root (checked with `id -u` inside).
    pub non_root: Option<bool>,
    /// The container runs the very image a registry serves under this reference (compared by
    /// digest, so a look-alike built or tagged locally does not count, and a run by digest does).
    pub registry_image: Option<String>,
    /// With `registry_image`: another reference in which the registry must serve a different
    /// image (the release rolled back from, `…:2.0`, must still be its own image, not
    /// `registry_image` pushed again under its tag).
    pub registry_distinct: Option<String>,
    /// `true`: the container runs its image's own command (the Dockerfile's ENTRYPOINT and CMD),
    /// not one given on `docker run` (for tasks that ask to fix the image, not the run).
    pub image_command: Option<bool>,
}

impl Kind for ContainerCheck {
    fn reads_only(&self) -> bool {
        true
    }
    fn problem(&self) -> Option<String> {
        let by_name = self.container.is_some();
        let by_compose = self.project.is_some() && self.service.is_some();
        (by_name == by_compose || (!by_name && (self.project.is_some() != self.service.is_some())))
            .then(|| "give either `container`, or `project` and `service`".into())
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            // A container that must be gone needs nothing earlier.
            container: self
                .container
                .as_deref()
                .filter(|_| self.exists != Some(false)),
            ..Needs::default()
        }
    }
    /// A health verdict waited for, probe by probe.
    fn weight(&self) -> u32 {
        if self.health.is_some() {
            20
        } else {
            0
        }
    }
}

impl ContainerCheck {
    /// How the task names the container, for messages.
    pub fn display_name(&self) -> String {
        match (&self.container, &self.project, &self.service) {
            (Some(c), _, _) => c.clone(),
            (None, Some(p), Some(s)) => format!("service {s} of project {p}"),
            _ => "the container".into(),
        }
    }
}

/// Find a Compose service's container by its labels (re-checked on the client).
pub async fn find_compose(
    ctx: &Ctx<'_>,
    project: &str,
    service: &str,
) -> Result<Option<String>, EnvError> {
    let labels = vec![
        format!("com.docker.compose.project={project}"),
        format!("com.docker.compose.service={service}"),
    ];
    let list = crate::docker::inspect::containers(ctx.engine, true, &[("label", labels)]).await?;
    Ok(list.into_iter().find_map(|c| {
        let l = c.labels.unwrap_or_default();
        let ok = l.get("com.docker.compose.project").map(String::as_str) == Some(project)
            && l.get("com.docker.compose.service").map(String::as_str) == Some(service);
        if ok {
            c.id
        } else {
            None
        }
    }))
}

mod health;
mod image;
mod judge;

use health::{health, oom_event_since_start};
pub use image::{command_override, judge_distinct, loopback_reference, runs_served, same_image_id};
use image::{image_match, image_of, registry_mismatch, registry_same, registry_served};
pub use image::{judge_image_match, ImageMatch};
pub use judge::{cpu_cap, has_line, judge_config, judge_state, ContainerFacts};

/// The `container` check.
pub async fn check(ctx: &mut Ctx<'_>, spec: &ContainerCheck) -> Result<Verdict, EnvError> {
    let shown = spec.display_name();
    let name = &shown;
    let expected = format!("{name} configured as the task asks");
    let found = match (&spec.container, &spec.project, &spec.service) {
        (Some(c), _, _) => ctx.inspect_shared(c).await?,
        (None, Some(p), Some(s)) => match find_compose(ctx, p, s).await? {
            Some(id) => ctx.inspect_shared(&id).await?,
            None => None,
        },
        _ => None,
    };
    if spec.exists == Some(false) {
        return Ok(match found {
            None => Verdict::pass(format!("no container named {name}"), "it is gone"),
            Some(_) => Verdict::fail(
                format!("no container named {name}"),
                format!("{name} still exists"),
            )
            .advise(format!("Remove it with `docker rm -f {name}`.")),
        });
    }
    let Some(info) = found else {
        if spec.container.is_none() {
            return Ok(Verdict::fail(format!("a running container for {name}"), format!("no container for {name}"))
                .advise(format!(
                    "Bring the stack up with the project name the task gives: `docker compose -p {p} up -d` (or `docker-compose -p {p} up -d`) in the exercise folder; `docker compose -p {p} ps -a` shows it.",
                    p = spec.project.clone().unwrap_or_default()
                )));
        }
        return Ok(Verdict::no_container(name));
    };
    let id = info.id.clone().unwrap_or_default();
    let st = info.state.clone().unwrap_or_default();
    let cfg = info.config.clone().unwrap_or_default();
    let host = info.host_config.clone().unwrap_or_default();
    let running = st.running == Some(true);
    // Docker sets OOMKilled when it handles the kernel's OOM notification, and a busy daemon can
    // handle the container's exit first and leave the flag false; the `oom` event it logs is
    // there either way. A 137 under a memory limit with an `oom` event since the last start is an
    // OOM kill.
    let oom_killed = st.oom_killed.unwrap_or(false)
        || (!running
            && st.exit_code == Some(137)
            && host.memory.is_some_and(|m| m > 0)
            && ctx.engine.runtime == crate::docker::Runtime::Docker
            && oom_event_since_start(ctx, &id, st.started_at.as_deref()).await);
    let facts = ContainerFacts {
        info: &info,
        oom_killed,
        dir: &ctx.dir,
        podman: ctx.engine.runtime == crate::docker::Runtime::Podman,
        server_version: &ctx.engine.server_version,
    };
    if let Some(v) = judge_state(name, &facts, spec) {
        return Ok(v);
    }
    if let Some(want) = &spec.image {
        let got = cfg.image.clone().unwrap_or_default();
        match image_match(ctx, &info, want).await? {
            ImageMatch::Same => {}
            ImageMatch::Other => {
                return Ok(Verdict::fail(
                    format!("{name} created from {want}"),
                    format!("created from {}", crate::docker::display_reference(&got)),
                ))
            }
            ImageMatch::Rebuilt { now } => {
                let short = |id: &str| {
                    let bare = id.trim_start_matches("sha256:");
                    bare.chars().take(12).collect::<String>()
                };
                return Ok(Verdict::fail(
                    format!("{name} created from {want} as it is now"),
                    format!(
                        "created from {want} before it was built again: it still runs the \
                         earlier image ({}), and {want} now names {}",
                        short(info.image.as_deref().unwrap_or_default()),
                        short(&now)
                    ),
                )
                .advise("A container keeps the image it was created from: building the tag again changes nothing for containers already made from it. Remove the container and run it again to use the new build."));
            }
        }
    }
    if let Some(want) = &spec.registry_image {
        let served = registry_served(ctx, want).await?;
        if let Some(v) = registry_mismatch(ctx, name, want, &served, &info).await? {
            return Ok(v);
        }
        if let Some(other) = &spec.registry_distinct {
            if let Some(v) = registry_same(ctx, want, &served, other).await {
                return Ok(v);
            }
        }
    }
    if spec.image_command == Some(true) {
        let own = image_of(ctx, &info).await?.config.unwrap_or_default();
        if let Some(actual) =
            command_override((&own.entrypoint, &own.cmd), (&cfg.entrypoint, &cfg.cmd))
        {
            return Ok(Verdict::fail(
                format!("{name} runs its image's own command (the Dockerfile's CMD/ENTRYPOINT)"),
                actual,
            )
            .advise("The task is to fix the image, so that anyone who runs it gets the fix: change the Dockerfile, rebuild, and run the image without a command after its name."));
        }
    }
    if let Some(v) = judge_config(name, &facts, spec) {
        return Ok(v);
    }
    if !spec.output_contains.is_empty() || !spec.output_lines.is_empty() {
        let missing = |logs: &str| -> Option<String> {
            spec.output_contains
                .iter()
                .find(|t| !logs.contains(t.as_str()))
                .map(|t| format!("{name}'s output includes \"{t}\""))
                .or_else(|| {
                    spec.output_lines
                        .iter()
                        .find(|l| !has_line(logs, l))
                        .map(|l| format!("{name}'s output has the line \"{l}\", exactly"))
                })
        };
        // A container that just started may not have printed yet: give it a few seconds.
        let until = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut logs = crate::docker::logs::logs_tail(ctx.engine, &id, 2000).await;
        while running && missing(&logs).is_some() && tokio::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            logs = crate::docker::logs::logs_tail(ctx.engine, &id, 2000).await;
        }
        if let Some(expected) = missing(&logs) {
            return Ok(Verdict::fail(
                expected,
                if logs.is_empty() {
                    "it printed nothing".to_string()
                } else {
                    format!(
                        "its output ends with:\n{}",
                        crate::docker::logs::tail(&logs, 5)
                    )
                },
            ));
        }
    }
    if spec.non_root == Some(true) {
        if !running {
            return Ok(Verdict::fail(
                format!("{name} runs as a non-root user"),
                format!(
                    "{name} is not running, so it has no process to ask for its uid \
                     (`docker ps -a` shows how it ended)"
                ),
            ));
        }
        let cmd = ["id".to_string(), "-u".to_string()];
        let out =
            crate::docker::exec::exec_in(ctx.engine, &id, &cmd, std::time::Duration::from_secs(10))
                .await?;
        let want = format!("{name} runs as a non-root user");
        match out {
            Some(o) if o.code == 0 && o.stdout.trim() != "0" => {}
            Some(o) if o.code == 0 => {
                return Ok(Verdict::fail(want, "it runs as root (uid 0)").advise(
                    "Without a USER in the image (or `--user` on `docker run`), a container's process runs as root.",
                ))
            }
            _ => {
                return Ok(Verdict::fail(
                    want,
                    "could not run `id -u` inside it",
                ))
            }
        }
    }
    if let Some(want) = &spec.health {
        return health(
            ctx,
            &id,
            name,
            want,
            spec.within_s.unwrap_or(30.0),
            spec.probe_tested,
        )
        .await;
    }
    Ok(Verdict::pass(
        expected,
        format!("{name}: {}", if running { "running" } else { "stopped" }),
    ))
}
