//! `container` (a live container's state and config) and `diff` (its writable layer) checks.

use bollard::models::ContainerInspectResponse;

use crate::ctx::{Ctx, Verdict};
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
    /// The user the container runs as must not be root (checked with `id -u` inside).
    pub non_root: Option<bool>,
    /// The container runs the very image a registry serves under this reference (compared by
    /// digest, so a look-alike built or tagged locally does not count, and a run by digest does).
    pub registry_image: Option<String>,
    /// `true`: the container runs its image's own command (the Dockerfile's ENTRYPOINT and CMD),
    /// not one given on `docker run` (for tasks that ask to fix the image, not the run).
    pub image_command: Option<bool>,
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
    let filters = std::collections::HashMap::from([(
        "label".to_string(),
        vec![
            format!("com.docker.compose.project={project}"),
            format!("com.docker.compose.service={service}"),
        ],
    )]);
    let opts = bollard::query_parameters::ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let list = crate::docker::call(
        "list containers",
        deadline::QUICK,
        crate::docker::through_transient_states(|| {
            ctx.engine.docker.list_containers(Some(opts.clone()))
        }),
    )
    .await?;
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

/// What the `container` check knows of a container before judging it: its inspection, and
/// what gathering found beyond it.
pub struct ContainerFacts<'a> {
    pub info: &'a ContainerInspectResponse,
    /// OOMKilled as inspect says, or a 137 under a memory limit with the daemon's `oom` event.
    pub oom_killed: bool,
    /// The exercise folder (bind mounts are named relative to it).
    pub dir: &'a std::path::Path,
    /// Podman, and its version: it reports some things differently (see the judges).
    pub podman: bool,
    pub server_version: &'a str,
}

impl ContainerFacts<'_> {
    fn parts(
        &self,
    ) -> (
        bollard::models::ContainerState,
        bollard::models::ContainerConfig,
        bollard::models::HostConfig,
        bool,
    ) {
        let mut st = self.info.state.clone().unwrap_or_default();
        st.oom_killed = Some(self.oom_killed);
        let running = st.running == Some(true);
        (
            st,
            self.info.config.clone().unwrap_or_default(),
            self.info.host_config.clone().unwrap_or_default(),
            running,
        )
    }
}

/// Running or stopped, as the spec asks: judged first, before the image it runs.
pub fn judge_state(
    name: &str,
    facts: &ContainerFacts<'_>,
    spec: &ContainerCheck,
) -> Option<Verdict> {
    let (st, _, _, running) = facts.parts();
    if let Some(want) = spec.running {
        if want != running {
            let code = st.exit_code.unwrap_or(0);
            let oom = st.oom_killed.unwrap_or(false);
            return Some(Verdict::fail(
                format!("{name} {}", if want { "running" } else { "stopped" }),
                if running {
                    format!("{name} is running")
                } else if code == 0
                    && st.status.map(|s| s.to_string()).as_deref() == Some("created")
                {
                    // Never started: either only created, or its start failed on a runtime that
                    // records no exit code for that (Podman; Docker records 127/126).
                    format!("{name} is created: it never started (its command could not be run, or it was only created)")
                } else {
                    format!(
                        "{name} is {} (exit code {})",
                        st.status.map(|s| s.to_string()).unwrap_or_default(),
                        crate::docker::probe::explain_exit(code, oom)
                    )
                },
            ));
        }
    }
    None
}

/// The container's configuration and end state: environment, ports, restart policy, limits,
/// exit code, OOM kill, volumes and bind mounts. The first mismatch is the verdict.
pub fn judge_config(
    name: &str,
    facts: &ContainerFacts<'_>,
    spec: &ContainerCheck,
) -> Option<Verdict> {
    let (st, cfg, host, running) = facts.parts();
    let info = facts.info;
    let env = cfg.env.clone().unwrap_or_default();
    if let Some((k, v, actual)) = super::env_mismatch(&env, &spec.env) {
        return Some(Verdict::fail(format!("{name} has {k}={v}"), actual));
    }
    let bindings = host.port_bindings.clone().unwrap_or_default();
    for (cport, hport) in &spec.ports {
        let key = if cport.contains('/') {
            cport.clone()
        } else {
            format!("{cport}/tcp")
        };
        let got: Vec<String> = bindings
            .get(&key)
            .cloned()
            .flatten()
            .unwrap_or_default()
            .iter()
            .filter_map(|b| b.host_port.clone())
            .collect();
        if !got.iter().any(|p| p == &hport.to_string()) {
            let all: Vec<String> = bindings
                .iter()
                .flat_map(|(c, bs)| {
                    bs.clone()
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |b| format!("{}->{c}", b.host_port.unwrap_or_default()))
                })
                .collect();
            return Some(Verdict::fail(
                format!(
                    "host port {hport} published to container port {key} (-p {hport}:{})",
                    key.trim_end_matches("/tcp")
                ),
                if all.is_empty() {
                    "no ports published".into()
                } else {
                    format!("published: {}", all.join(", "))
                },
            ));
        }
    }
    if let Some(want) = &spec.restart_policy {
        let got = host
            .restart_policy
            .as_ref()
            .and_then(|r| r.name)
            .map(|n| n.to_string())
            .unwrap_or_default();
        let got = if got.is_empty() {
            "no".to_string()
        } else {
            got
        };
        if &got != want {
            return Some(Verdict::fail(
                format!("restart policy {want}"),
                format!("restart policy {got}"),
            ));
        }
    }
    if let Some(want) = spec.memory_mb {
        let got = host.memory.unwrap_or(0);
        if got != want as i64 * 1024 * 1024 {
            return Some(Verdict::fail(
                format!("a memory limit of {want} MB (--memory {want}m)"),
                if got == 0 {
                    "no memory limit".into()
                } else {
                    format!("{} MB", got / 1024 / 1024)
                },
            ));
        }
    }
    if spec.memory_min_mb.is_some() || spec.memory_max_mb.is_some() {
        let got = host.memory.unwrap_or(0) / 1024 / 1024;
        let lo = spec.memory_min_mb.unwrap_or(0) as i64;
        let hi = spec.memory_max_mb.map(|m| m as i64);
        let ok = got > 0 && got >= lo && hi.is_none_or(|h| got <= h);
        if !ok {
            let want = match hi {
                Some(h) => format!("a memory limit between {lo} and {h} MB"),
                None => format!("a memory limit of at least {lo} MB"),
            };
            return Some(Verdict::fail(
                want,
                if got == 0 {
                    "no memory limit".into()
                } else {
                    format!("{got} MB")
                },
            ));
        }
    }
    if let Some(want) = spec.cpus {
        let got = cpu_cap(host.nano_cpus, host.cpu_quota, host.cpu_period);
        if (got - want).abs() > 0.001 {
            return Some(Verdict::fail(
                format!("a CPU limit of {want} (--cpus {want})"),
                if got == 0.0 {
                    "no CPU limit".into()
                } else {
                    format!("{got} CPUs")
                },
            ));
        }
    }
    if let Some(want) = spec.exit_code {
        let got = st.exit_code.unwrap_or(0);
        // A container that never started did not exit with any code. Docker records the failed
        // start's 127/126; Podman leaves 0, which must not pass for "exited with code 0".
        let never_started = st.status.map(|s| s.to_string()).as_deref() == Some("created");
        if running || never_started || got != want {
            return Some(Verdict::fail(
                format!("exited with code {want}"),
                if running {
                    "still running".into()
                } else if never_started && got == 0 {
                    "it never started (status: created): its command could not be run".into()
                } else if never_started {
                    format!(
                        "it never started (status: created; exit code {})",
                        crate::docker::probe::explain_exit(got, false)
                    )
                } else {
                    format!(
                        "exit code {}",
                        crate::docker::probe::explain_exit(got, st.oom_killed.unwrap_or(false))
                    )
                },
            ));
        }
    }
    if let Some(want) = spec.oom_killed {
        let got = st.oom_killed.unwrap_or(false);
        let limited = host.memory.is_some_and(|m| m > 0);
        if !got && st.exit_code == Some(137) && limited && facts.podman {
            // Podman (4.3, cgroup v1 here) leaves OOMKilled false for a container the kernel
            // killed at its memory limit: a SIGKILL and an OOM kill look the same.
            return Some(Verdict::unsupported(
                if want { "OOM-killed" } else { "not OOM-killed" },
                format!(
                    "Podman {}: {name} was killed (exit code 137) under a memory limit, and this \
                     runtime does not report whether the limit did it (OOMKilled stays false)",
                    facts.server_version
                ),
            ));
        }
        if got != want {
            return Some(Verdict::fail(
                if want { "OOM-killed" } else { "not OOM-killed" },
                if got {
                    "OOMKilled: true".to_string()
                } else {
                    format!("OOMKilled: false (exit code {})", st.exit_code.unwrap_or(0))
                },
            ));
        }
    }
    let mounts = info.mounts.clone().unwrap_or_default();
    for (vol, path) in &spec.volumes {
        let ok = mounts.iter().any(|m| {
            m.name.as_deref() == Some(vol.as_str())
                && m.destination.as_deref() == Some(path.as_str())
        });
        if !ok {
            let seen: Vec<String> = mounts
                .iter()
                .map(|m| {
                    format!(
                        "{} -> {}",
                        m.name.clone().or(m.source.clone()).unwrap_or_default(),
                        m.destination.clone().unwrap_or_default()
                    )
                })
                .collect();
            return Some(Verdict::fail(
                format!("named volume {vol} mounted at {path} (-v {vol}:{path})"),
                if seen.is_empty() {
                    "no volumes mounted".into()
                } else {
                    format!("mounts: {}", seen.join(", "))
                },
            ));
        }
    }
    for (host, path) in &spec.binds {
        let want = facts.dir.join(host);
        let want = want.canonicalize().unwrap_or(want);
        let rel = host.trim_start_matches("./").trim_end_matches('/');
        let ok = mounts.iter().any(|m| {
            m.typ.as_deref() == Some("bind")
                && m.destination.as_deref() == Some(path.as_str())
                && m.source
                    .as_deref()
                    .map(std::path::Path::new)
                    .is_some_and(|s| s == want || s.ends_with(rel))
        });
        if !ok {
            let seen: Vec<String> = mounts
                .iter()
                .map(|m| {
                    format!(
                        "{} {} -> {}",
                        m.typ.clone().unwrap_or_default(),
                        m.source.clone().unwrap_or_default(),
                        m.destination.clone().unwrap_or_default()
                    )
                })
                .collect();
            return Some(Verdict::fail(
                format!("the exercise's {host} folder bind-mounted at {path} (-v \"$PWD/{rel}:{path}\")"),
                if seen.is_empty() { "no mounts".into() } else { format!("mounts: {}", seen.join(", ")) },
            ));
        }
    }
    None
}

/// The `container` check.
pub async fn check(ctx: &mut Ctx<'_>, spec: &ContainerCheck) -> Result<Verdict, EnvError> {
    let shown = spec.display_name();
    let name = &shown;
    let expected = format!("{name} configured as the task asks");
    let found = match (&spec.container, &spec.project, &spec.service) {
        (Some(c), _, _) => ctx.inspect(c).await?,
        (None, Some(p), Some(s)) => match find_compose(ctx, p, s).await? {
            Some(id) => ctx.inspect(&id).await?,
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
        if !crate::docker::same_reference(&got, want) && !runs_image_named(ctx, &info, want).await?
        {
            return Ok(Verdict::fail(
                format!("{name} created from {want}"),
                format!("created from {}", crate::docker::display_reference(&got)),
            ));
        }
    }
    if let Some(want) = &spec.registry_image {
        if let Some(v) = registry_mismatch(ctx, name, want, &info).await? {
            return Ok(v);
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
                    "could not run `id -u` inside it (is it running?)",
                ))
            }
        }
    }
    if let Some(want) = &spec.health {
        return health(ctx, &id, name, want, spec.within_s.unwrap_or(30.0)).await;
    }
    Ok(Verdict::pass(
        expected,
        format!("{name}: {}", if running { "running" } else { "stopped" }),
    ))
}

/// Wait for a container's health status.
async fn health(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
    want: &str,
    within: f64,
) -> Result<Verdict, EnvError> {
    use futures_util::StreamExt;
    let expected = format!("{name} reports {want} within {within} s");
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs_f64(within);
    // The status changes only when a probe finishes, and Docker says so as an event: wait for
    // those rather than ask over and over while the probes run (the stream opens after the first
    // inspection: it replays from the container's start).
    let mut cues = None;
    let mut opened = false;
    loop {
        let info = ctx.inspect(id).await?.unwrap_or_default();
        let st = info.state.clone().unwrap_or_default();
        if !opened {
            opened = true;
            cues = Some(health_cues(ctx, id, st.started_at.as_deref()));
        }
        let has_check = info
            .config
            .as_ref()
            .and_then(|c| c.healthcheck.as_ref())
            .and_then(|h| h.test.as_ref())
            .is_some_and(|t| !t.is_empty() && t[0] != "NONE");
        let h = st.health.clone();
        let status = h
            .as_ref()
            .and_then(|h| h.status)
            .map(|s| s.to_string())
            .unwrap_or_default();
        if !has_check {
            return Ok(Verdict::fail(
                expected,
                format!("{name} has no HEALTHCHECK, so Docker reports no health for it at all"),
            )
            .advise("Add a HEALTHCHECK to the Dockerfile (or `--health-cmd` on docker run)."));
        }
        if h.is_none()
            && st.running == Some(true)
            && ctx.engine.runtime == crate::docker::Runtime::Podman
        {
            return Ok(Verdict::unsupported(
                expected,
                format!(
                    "Podman {}: this runtime reports no health for the container (Podman runs \
                     healthchecks from systemd timers, and none has run here)",
                    ctx.engine.server_version
                ),
            ));
        }
        if status == want {
            return Ok(Verdict::pass(expected, format!("{name} is {status}")));
        }
        let probed = h
            .as_ref()
            .and_then(|h| h.log.as_ref())
            .is_some_and(|l| !l.is_empty());
        if st.running == Some(true)
            && !probed
            && ctx.engine.runtime == crate::docker::Runtime::Podman
            && tokio::time::Instant::now() >= until
        {
            return Ok(Verdict::unsupported(
                expected,
                format!(
                    "Podman {}: no health probe ran within {within} s. Podman runs \
                     healthchecks from systemd timers, and this host has no systemd to run \
                     them (`podman healthcheck run {name}` runs one by hand)",
                    ctx.engine.server_version
                ),
            ));
        }
        if st.running != Some(true) || tokio::time::Instant::now() >= until {
            let last = h
                .and_then(|h| h.log)
                .and_then(|l| l.last().cloned())
                .map(|r| {
                    format!(
                        "; the last probe exited {} with: {}",
                        r.exit_code.unwrap_or(-1),
                        r.output.unwrap_or_default().trim()
                    )
                })
                .unwrap_or_default();
            let now = if status.is_empty() {
                "without a health status"
            } else {
                status.as_str()
            };
            let actual = if st.running != Some(true) {
                format!("{name} is not running")
            } else {
                format!("{name} is {now}{last}")
            };
            return Ok(Verdict::fail(expected, actual));
        }
        // Inspect again on the next cue, or after a quiet second at most (the deadline, or a
        // cue that never came, is still met). A runtime that does not stream events is asked
        // every 100 ms instead.
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        match cues.as_mut() {
            Some(stream) => {
                let quiet = left.min(std::time::Duration::from_secs(1));
                if let Ok(Some(Err(_)) | None) = tokio::time::timeout(quiet, stream.next()).await {
                    cues = None;
                }
            }
            None => tokio::time::sleep(left.min(std::time::Duration::from_millis(100))).await,
        }
    }
}

/// Container `id`'s health-status changes and its death, as the daemon's events, replayed from
/// `started_at` (the daemon's own clock, as inspect reports it), so a change made while the
/// stream connects is not missed. Each is only a cue to inspect again: the inspection is the
/// verdict.
fn health_cues<'a>(
    ctx: &Ctx<'a>,
    id: &str,
    started_at: Option<&str>,
) -> impl futures_util::Stream<Item = Result<bollard::models::EventMessage, bollard::errors::Error>> + 'a
{
    // Docker matches `health_status` as a prefix of the action (`health_status: healthy`).
    let filters: std::collections::HashMap<&str, Vec<&str>> = [
        ("container", vec![id]),
        ("type", vec!["container"]),
        ("event", vec!["health_status", "die"]),
    ]
    .into();
    let mut opts = bollard::query_parameters::EventsOptionsBuilder::new().filters(&filters);
    if let Some(since) = started_at.and_then(unix_seconds).filter(|s| *s > 0) {
        opts = opts.since(&since.to_string());
    }
    ctx.engine.docker.events(Some(opts.build()))
}

/// Whether the daemon logged an `oom` event for container `id` since `started_at` (RFC 3339, as
/// inspect reports it). Past events come at once; the stream is read until it goes quiet.
async fn oom_event_since_start(ctx: &Ctx<'_>, id: &str, started_at: Option<&str>) -> bool {
    use futures_util::StreamExt;
    let Some(since) = started_at.and_then(unix_seconds) else {
        return false;
    };
    let filters: std::collections::HashMap<&str, Vec<&str>> =
        [("container", vec![id]), ("event", vec!["oom"])].into();
    let opts = bollard::query_parameters::EventsOptionsBuilder::new()
        .since(&since.to_string())
        .filters(&filters)
        .build();
    let mut events = ctx.engine.docker.events(Some(opts));
    // Past events are replayed first; a busy daemon (several checks at once) can take a while
    // to send them. Only a 137 under a memory limit gets here, so the wait is rarely for nothing.
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(3), events.next()).await,
        Ok(Some(Ok(_)))
    )
}

/// Unix seconds of an RFC 3339 time as Docker writes it (`2026-11-27T00:10:01.123456789Z`); the
/// events API takes Unix seconds only.
fn unix_seconds(t: &str) -> Option<i64> {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|d| d.unix_timestamp())
}

/// The image a container was created from, by its ID (whatever name it was run by).
async fn image_of(
    ctx: &Ctx<'_>,
    info: &ContainerInspectResponse,
) -> Result<bollard::models::ImageInspect, EnvError> {
    let id = info.image.clone().unwrap_or_default();
    call(
        "inspect image",
        deadline::QUICK,
        ctx.engine.docker.inspect_image(&id),
    )
    .await
}

/// Does the container run the very image `want` names on this daemon (by image ID), whatever name
/// it was run by? The name a container records is not the name a learner typed: Podman records
/// the name it resolved (`localhost/busybox:1.36.1` for a local image), and a container run by ID
/// or digest records that.
async fn runs_image_named(
    ctx: &Ctx<'_>,
    info: &ContainerInspectResponse,
    want: &str,
) -> Result<bool, EnvError> {
    let named =
        match tokio::time::timeout(deadline::QUICK, ctx.engine.docker.inspect_image(want)).await {
            Err(_) => {
                return Err(EnvError::Deadline {
                    what: "inspect image".into(),
                    deadline: deadline::QUICK,
                })
            }
            Ok(Err(e)) if is_not_found(&e) => return Ok(false),
            Ok(r) => r.map_err(|e| crate::docker::classify("inspect image", &e))?,
        };
    Ok(same_image_id(
        info.image.as_deref().unwrap_or_default(),
        named.id.as_deref().unwrap_or_default(),
    ))
}

/// Two image IDs name the same image (with or without the `sha256:` prefix Podman sometimes
/// leaves out); an empty ID matches nothing.
pub fn same_image_id(a: &str, b: &str) -> bool {
    let bare = |s: &str| s.trim().trim_start_matches("sha256:").to_string();
    !bare(a).is_empty() && bare(a) == bare(b)
}

/// Does the container run the image the registry serves for `want`? `None` when it does.
async fn registry_mismatch(
    ctx: &Ctx<'_>,
    name: &str,
    want: &str,
    info: &ContainerInspectResponse,
) -> Result<Option<Verdict>, EnvError> {
    let served = served_digest(ctx, want).await.map_err(|why| {
        EnvError::Other(format!(
            "could not ask the registry which image it serves for {want}: {why}"
        ))
    })?;
    let digests = image_of(ctx, info).await?.repo_digests.unwrap_or_default();
    if runs_served(&digests, want, &served) {
        return Ok(None);
    }
    let ran = info
        .config
        .as_ref()
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let short = |d: &str| d.chars().take(19).collect::<String>();
    let ran = crate::docker::display_reference(&ran);
    let actual = if digests.is_empty() {
        format!("it runs {ran}, which is not the image the registry serves for {want}: it was made on this machine (built or tagged here)")
    } else {
        format!(
            "it runs {ran}, which is not the image the registry serves for {want} (that is {}; this one is known as {})",
            short(&served),
            digests
                .iter()
                .map(|d| d.rsplit('@').next().map(short).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", "),
        )
    };
    Ok(Some(
        Verdict::fail(
            format!("{name} runs {want} exactly as the registry serves it ({})", short(&served)),
            actual,
        )
        .advise("A rollback runs the release the registry still holds, byte for byte: run it by its name (or digest) from the registry, without rebuilding or retagging anything."),
    ))
}

/// The digest a registry serves for `reference`. A registry on the daemon's loopback (the
/// course's) is asked directly when the daemon is on this machine, accepting every manifest and
/// index type, as a pull would; any other (and every registry of a daemon on another machine,
/// whose loopback dockdojo cannot reach) through the daemon (`docker manifest inspect`'s
/// endpoint, which Podman lacks).
async fn served_digest(ctx: &Ctx<'_>, reference: &str) -> Result<String, String> {
    let direct = loopback_reference(reference).filter(|_| !ctx.engine.endpoint.is_remote());
    if let Some((port, repo, tag)) = direct {
        let accept = "application/vnd.oci.image.index.v1+json, \
            application/vnd.docker.distribution.manifest.list.v2+json, \
            application/vnd.oci.image.manifest.v1+json, \
            application/vnd.docker.distribution.manifest.v2+json";
        let path = format!("/v2/{repo}/manifests/{tag}");
        let (answer, headers) =
            crate::docker::http::get_with("127.0.0.1", port, &path, &[("Accept", accept)]).await;
        return match answer {
            crate::docker::http::Probe::Answer { status: 200, .. } => headers
                .into_iter()
                .find(|(k, _)| k == "docker-content-digest")
                .map(|(_, v)| v)
                .ok_or_else(|| "the registry named no digest".to_string()),
            crate::docker::http::Probe::Answer { status, .. } => {
                Err(format!("the registry answered {status} for {repo}:{tag}"))
            }
            other => Err(format!("no answer from 127.0.0.1:{port}: {other:?}")),
        };
    }
    ctx.engine
        .docker
        .inspect_registry_image(reference, None)
        .await
        .map(|d| d.descriptor.digest.unwrap_or_default())
        .map_err(|e| crate::docker::classify("inspect registry image", &e).to_string())
}

/// `127.0.0.1:18095/app:1.0` → (18095, "app", "1.0"); `None` for any other registry.
pub fn loopback_reference(reference: &str) -> Option<(u16, String, String)> {
    let rest = reference
        .strip_prefix("127.0.0.1:")
        .or_else(|| reference.strip_prefix("localhost:"))?;
    let (port, path) = rest.split_once('/')?;
    let port = port.parse().ok()?;
    let (repo, tag) = match path.split_once('@') {
        Some((repo, digest)) => (repo, digest),
        None => path.rsplit_once(':').unwrap_or((path, "latest")),
    };
    Some((port, repo.to_string(), tag.to_string()))
}

/// Do an image's repo digests (`repo@sha256:…`) include what the registry serves for `want`?
pub fn runs_served(repo_digests: &[String], want: &str, served: &str) -> bool {
    let want_repo = crate::docker::repository(want);
    !served.is_empty()
        && repo_digests.iter().any(|rd| {
            rd.split_once('@').is_some_and(|(repo, digest)| {
                digest == served && crate::docker::repository(repo) == want_repo
            })
        })
}

/// How a container's command differs from its image's, if it does: `(entrypoint, cmd)` of each.
/// An absent list and an empty one are the same.
pub fn command_override(
    image: (&Option<Vec<String>>, &Option<Vec<String>>),
    container: (&Option<Vec<String>>, &Option<Vec<String>>),
) -> Option<String> {
    let words = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    let show = |v: &[String]| {
        format!(
            "[{}]",
            v.iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if words(image.0) != words(container.0) {
        return Some(format!(
            "its entrypoint was replaced on `docker run --entrypoint`: {} instead of the image's {}",
            show(&words(container.0)),
            show(&words(image.0))
        ));
    }
    if words(image.1) != words(container.1) {
        return Some(format!(
            "its command was replaced on `docker run`: {} instead of the image's {}",
            show(&words(container.1)),
            show(&words(image.1))
        ));
    }
    None
}

/// Does `logs` hold `line` as a whole line?
pub fn has_line(logs: &str, line: &str) -> bool {
    logs.lines().any(|l| l.trim_end() == line)
}

/// The CPU cap the kernel enforces, in CPUs, however it was asked for: `--cpus` (NanoCpus) or
/// `--cpu-quota` over `--cpu-period` (the CFS period defaults to 100 ms). 0: no cap.
pub fn cpu_cap(nano_cpus: Option<i64>, quota: Option<i64>, period: Option<i64>) -> f64 {
    match (nano_cpus, quota) {
        (Some(n), _) if n > 0 => n as f64 / 1e9,
        (_, Some(q)) if q > 0 => {
            let p = period.filter(|p| *p > 0).unwrap_or(100_000);
            q as f64 / p as f64
        }
        _ => 0.0,
    }
}

#[cfg(test)]
mod cpu_tests {
    use super::{command_override, cpu_cap, has_line, runs_served};

    #[test]
    fn loopback_registries_are_asked_directly() {
        use super::loopback_reference;
        assert_eq!(
            loopback_reference("127.0.0.1:18095/dojo-ship-app:1.0"),
            Some((18095, "dojo-ship-app".into(), "1.0".into()))
        );
        assert_eq!(
            loopback_reference("localhost:5001/team/app@sha256:ab"),
            Some((5001, "team/app".into(), "sha256:ab".into()))
        );
        assert_eq!(
            loopback_reference("127.0.0.1:18095/app"),
            Some((18095, "app".into(), "latest".into()))
        );
        assert_eq!(loopback_reference("registry.example.com/app:1"), None);
    }

    #[test]
    fn the_registry_digest_decides() {
        let want = "127.0.0.1:18095/dojo-ship-app:1.0";
        let d1 = "sha256:1111";
        let pulled = vec![format!("127.0.0.1:18095/dojo-ship-app@{d1}")];
        assert!(runs_served(&pulled, want, d1));
        assert!(!runs_served(&pulled, want, "sha256:2222"));
        assert!(!runs_served(&[], want, d1));
        assert!(!runs_served(
            &["elsewhere/app@sha256:1111".to_string()],
            want,
            d1
        ));
        // A digest reference names the same repository.
        assert!(runs_served(
            &pulled,
            "127.0.0.1:18095/dojo-ship-app@sha256:1111",
            d1
        ));
    }

    #[test]
    fn a_replaced_command_is_named() {
        let v = |w: &[&str]| Some(w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let image_cmd = v(&["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www"]);
        assert!(command_override((&None, &image_cmd), (&Some(vec![]), &image_cmd)).is_none());
        let run_cmd = v(&["httpd", "-f", "-p", "0.0.0.0:8080", "-h", "/www"]);
        let why = command_override((&None, &image_cmd), (&None, &run_cmd)).unwrap();
        assert!(
            why.contains("command was replaced") && why.contains("0.0.0.0"),
            "{why}"
        );
        let why = command_override((&None, &image_cmd), (&v(&["sh"]), &run_cmd)).unwrap();
        assert!(why.contains("entrypoint"), "{why}");
    }

    #[test]
    fn a_line_is_matched_whole() {
        let logs = "start\r\nHello from my first container\r\n";
        assert!(has_line(logs, "Hello from my first container"));
        assert!(!has_line(
            "Hello from my first container!!\n",
            "Hello from my first container"
        ));
        assert!(!has_line(
            "> Hello from my first container\n",
            "Hello from my first container"
        ));
    }

    /// Image IDs compare as IDs: with or without `sha256:`, never empty.
    #[test]
    fn image_ids_compare_with_or_without_their_algorithm() {
        let id = "sha256:9c44d0f8a6dc20b2e0f22cefc1bb65f1c4a05ea131c43c8c04450502e36e1d81";
        assert!(super::same_image_id(id, id));
        assert!(super::same_image_id(id, &id[7..]));
        assert!(!super::same_image_id(id, "sha256:0c44d0f8a6dc"));
        assert!(!super::same_image_id("", ""));
    }

    /// `--cpus 0.5` and `--cpu-period 100000 --cpu-quota 50000` are the same cap.
    #[test]
    fn every_spelling_of_a_cpu_cap_reads_the_same() {
        assert_eq!(cpu_cap(Some(500_000_000), Some(0), Some(0)), 0.5);
        assert_eq!(cpu_cap(Some(0), Some(50_000), Some(100_000)), 0.5);
        assert_eq!(cpu_cap(None, Some(25_000), Some(50_000)), 0.5);
        assert_eq!(cpu_cap(None, Some(50_000), None), 0.5);
        assert_eq!(cpu_cap(Some(0), Some(0), Some(100_000)), 0.0);
        assert_eq!(cpu_cap(None, Some(-1), None), 0.0);
    }
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn docker_times_read_as_unix_seconds() {
        assert_eq!(super::unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            super::unix_seconds("2026-11-27T00:10:01.123456789Z"),
            Some(1_795_738_201)
        );
        assert_eq!(
            super::unix_seconds("2000-02-29T12:00:00Z"),
            Some(951_825_600)
        );
        assert_eq!(super::unix_seconds("garbage"), None);
    }
}
