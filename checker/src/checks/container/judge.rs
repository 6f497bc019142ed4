//! The container's state and configuration judged without a daemon, from its inspection and
//! what gathering found beyond it.

use super::*;

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
                    format!("{name} {}", never_started_why(name, &st, facts.podman))
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
/// exit code, OOM kill, volumes and bind mounts, judged in that order by one small judge per
/// field. The first mismatch is the verdict.
pub fn judge_config(
    name: &str,
    facts: &ContainerFacts<'_>,
    spec: &ContainerCheck,
) -> Option<Verdict> {
    let (st, cfg, host, running) = facts.parts();
    let fields = Fields {
        name,
        facts,
        spec,
        st,
        cfg,
        host,
        running,
    };
    FIELD_JUDGES.iter().find_map(|judge| judge(&fields))
}

/// What the field judges read, taken apart once.
struct Fields<'a> {
    name: &'a str,
    facts: &'a ContainerFacts<'a>,
    spec: &'a ContainerCheck,
    st: bollard::models::ContainerState,
    cfg: bollard::models::ContainerConfig,
    host: bollard::models::HostConfig,
    running: bool,
}

type FieldJudge = fn(&Fields<'_>) -> Option<Verdict>;

/// The order a learner reads failures in: how it was run, then how it ended, then its storage.
const FIELD_JUDGES: &[FieldJudge] = &[
    env,
    ports,
    restart_policy,
    memory,
    memory_range,
    cpus,
    exit_code,
    oom_killed,
    volumes,
    binds,
];

/// Environment variables set to the values the task gives.
fn env(f: &Fields<'_>) -> Option<Verdict> {
    let Fields {
        name, spec, cfg, ..
    } = f;
    let env = cfg.env.clone().unwrap_or_default();
    if let Some((k, v, actual)) = crate::checks::env_mismatch(&env, &spec.env) {
        return Some(Verdict::fail(format!("{name} has {k}={v}"), actual));
    }
    None
}

/// Host ports published to the container ports the task gives.
fn ports(f: &Fields<'_>) -> Option<Verdict> {
    let Fields { spec, host, .. } = f;
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
    None
}

/// The restart policy (none set reads as `no`).
fn restart_policy(f: &Fields<'_>) -> Option<Verdict> {
    let Fields { spec, host, .. } = f;
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
    None
}

/// A memory limit of exactly the MB the task gives.
fn memory(f: &Fields<'_>) -> Option<Verdict> {
    let Fields { spec, host, .. } = f;
    if let Some(want) = spec.memory_mb {
        let got = host.memory.unwrap_or(0);
        if got != want as i64 * 1024 * 1024 {
            let v = Verdict::fail(
                format!("a memory limit of {want} MB (--memory {want}m)"),
                if got == 0 {
                    "no memory limit".into()
                } else {
                    format!("{} MB ({got} bytes)", got / 1024 / 1024)
                },
            );
            // A limit given in decimal bytes (64000000 for 64m): Docker's units are binary.
            if got == want as i64 * 1_000_000 {
                return Some(v.advise(format!(
                    "Docker's `m` is a mebibyte, 1,048,576 bytes: {want}m is {} bytes. Write the \
                     limit with its unit (`--memory {want}m`).",
                    want as i64 * 1024 * 1024
                )));
            }
            return Some(v);
        }
    }
    None
}

/// A memory limit within the range the task gives.
fn memory_range(f: &Fields<'_>) -> Option<Verdict> {
    let Fields { spec, host, .. } = f;
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
    None
}

/// A CPU limit, however it was set (`--cpus`, or `--cpu-period` with `--cpu-quota`).
fn cpus(f: &Fields<'_>) -> Option<Verdict> {
    let Fields { spec, host, .. } = f;
    if let Some(want) = spec.cpus {
        let got = cpu_cap(host.nano_cpus, host.cpu_quota, host.cpu_period);
        if (got - want).abs() > 0.001 {
            return Some(Verdict::fail(
                format!("a CPU limit of {want} (--cpus {want})"),
                match host.cpuset_cpus.as_deref().filter(|c| !c.is_empty()) {
                    // `--cpuset-cpus` says which CPUs it may use, not how much of them.
                    Some(set) if got == 0.0 => format!(
                        "no CPU limit: --cpuset-cpus {set} picks the CPUs it may run on, but \
                         lets it use all of each; --cpus caps how much CPU time it gets"
                    ),
                    _ if got == 0.0 => "no CPU limit".into(),
                    _ => format!("{got} CPUs"),
                },
            ));
        }
    }
    None
}

/// Why a created container never started: its start failed (the runtime's error says why), or
/// nothing started it (`docker create` alone).
fn never_started_why(name: &str, st: &bollard::models::ContainerState, podman: bool) -> String {
    match st.error.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => format!("never started (status: created): its command could not be run: {e}"),
        // Podman records no error (and no exit code) for a start that failed.
        None if podman => format!(
            "never started (status: created): its command could not be run, or nothing started \
             it (`docker start -a {name}`)"
        ),
        None => format!(
            "was created but never started (status: created): `docker start -a {name}` starts \
             it, and `docker run` creates and starts in one step"
        ),
    }
}

/// The exit code of a container that ran and stopped.
fn exit_code(f: &Fields<'_>) -> Option<Verdict> {
    let Fields {
        spec, st, running, ..
    } = f;
    let running = *running;
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
                    format!("it {}", never_started_why(f.name, st, f.facts.podman))
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
    None
}

/// Whether the kernel killed it at its memory limit.
fn oom_killed(f: &Fields<'_>) -> Option<Verdict> {
    let Fields {
        name,
        facts,
        spec,
        st,
        host,
        ..
    } = f;
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
    None
}

/// Named volumes mounted where the task says.
fn volumes(f: &Fields<'_>) -> Option<Verdict> {
    let Fields { facts, spec, .. } = f;
    let info = facts.info;
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
    None
}

/// The exercise's folders bind-mounted where the task says.
fn binds(f: &Fields<'_>) -> Option<Verdict> {
    let Fields { facts, spec, .. } = f;
    let mounts = facts.info.mounts.clone().unwrap_or_default();
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
    use super::super::{command_override, runs_served};
    use super::{cpu_cap, has_line};

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
        // Pulled from the same registry by its other loopback name.
        let as_localhost = vec![format!("localhost:18095/dojo-ship-app@{d1}")];
        assert!(runs_served(&as_localhost, want, d1));
        assert!(runs_served(
            &pulled,
            "localhost:18095/dojo-ship-app:1.0",
            d1
        ));
        assert!(!runs_served(
            &[format!("localhost:18096/dojo-ship-app@{d1}")],
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
