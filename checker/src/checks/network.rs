//! The `network` check: containers attached to a user-defined network, and reaching each other
//! by name through Docker's embedded DNS.

use crate::checks::{Kind, Needs};
use std::time::Duration;

use bollard::models::{ContainerInspectResponse, NetworkInspect};

use crate::checks::{Ctx, Verdict};
use crate::docker::exec::Output;
use crate::docker::{deadline, is_not_found, Runtime};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkCheck {
    pub network: String,
    /// Containers that must be attached.
    #[serde(default)]
    pub members: Vec<String>,
    /// `[from, to]` pairs: `from` must resolve `to` by name and reach it.
    #[serde(default)]
    pub resolves: Vec<[String; 2]>,
    /// Probe `http://<to>:<port>/` from `from` (with `resolves`).
    pub http_port: Option<u16>,
}

impl Kind for NetworkCheck {
    fn reads_only(&self) -> bool {
        true
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            network: Some(&self.network),
            ..Needs::default()
        }
    }
}

/// What the `network` check found.
#[derive(Debug, Clone, Default)]
pub struct Reached {
    /// The network as inspected; `None`: there is no network by that name.
    pub network: Option<NetworkInspect>,
    /// The members the network does not list as attached, each as inspected (`None`: there is
    /// no such container). Docker lists only running containers; Podman stopped ones too.
    pub unlisted: Vec<(String, Option<ContainerInspectResponse>)>,
    /// What the probe script printed in each `resolves` pair's `from`, in order, up to the first
    /// that fell short (`None`: `from` was not running). None are made while a member is
    /// unlisted.
    pub probes: Vec<Option<Output>>,
    /// The container behind the last probe that fell short, as inspected (`None`: there is no
    /// such container): its `from` when that was not running, else its `to` when the name did
    /// not resolve. Its state tells a stopped container from a DNS matter.
    pub inspected: Vec<(String, Option<ContainerInspectResponse>)>,
}

/// The containers a network lists as attached, by name.
pub fn attached(info: &NetworkInspect) -> Vec<String> {
    let mut names: Vec<String> = info
        .containers
        .as_ref()
        .map(|c| c.values().filter_map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Did a probe find the name and, with `http_port`, an answer behind it?
fn reached(probe: &Option<Output>, http_port: Option<u16>) -> bool {
    probe.as_ref().is_some_and(|o| {
        o.stdout.contains("DOJO-RESOLVED")
            && (http_port.is_none() || o.stdout.contains("DOJO-FETCHED"))
    })
}

/// The probe script run in `from`: resolve `to` first (so a DNS failure is named as one), then
/// fetch through the container port. No `wget -T`: some static busybox builds crash on it; the
/// exec has its own deadline. Docker's embedded DNS is 127.0.0.11; Podman's (aardvark-dns)
/// listens on the network's gateway, the first nameserver in the container's resolv.conf.
fn probe_script(runtime: Runtime, to: &str, http_port: Option<u16>) -> String {
    let server = match runtime {
        Runtime::Docker => " 127.0.0.11",
        Runtime::Podman => "",
    };
    let resolve = format!("nslookup {to}{server} >/dev/null 2>&1 && echo DOJO-RESOLVED");
    match http_port {
        Some(p) => {
            format!("{resolve}; wget -q -O- http://{to}:{p}/ >/dev/null && echo DOJO-FETCHED")
        }
        None => resolve,
    }
}

/// The `network` check: inspect the network and its members, probe each `resolves` pair from
/// inside, then [`judge`].
pub async fn check(ctx: &mut Ctx<'_>, spec: &NetworkCheck) -> Result<Verdict, EnvError> {
    Ok(judge(spec, &reach(ctx, spec).await?))
}

async fn reach(ctx: &Ctx<'_>, spec: &NetworkCheck) -> Result<Reached, EnvError> {
    let n = &spec.network;
    let inspected =
        tokio::time::timeout(deadline::QUICK, ctx.engine.docker.inspect_network(n, None)).await;
    let info = match inspected {
        Err(_) => {
            return Err(EnvError::Deadline {
                what: "inspect network".into(),
                deadline: deadline::QUICK,
            })
        }
        Ok(Err(e)) if is_not_found(&e) => return Ok(Reached::default()),
        Ok(r) => r.map_err(|e| crate::docker::classify("inspect network", &e))?,
    };
    let listed = attached(&info);
    let mut reached_so_far = Reached {
        network: Some(info),
        ..Reached::default()
    };
    for m in spec.members.iter().filter(|m| !listed.contains(m)) {
        let info = ctx.inspect_shared(m).await?;
        reached_so_far.unlisted.push((m.clone(), info));
    }
    if !reached_so_far.unlisted.is_empty() {
        return Ok(reached_so_far);
    }
    for [from, to] in &spec.resolves {
        let script = probe_script(ctx.engine.runtime, to, spec.http_port);
        let out = crate::docker::exec::exec_in(
            ctx.engine,
            from,
            &["sh".into(), "-c".into(), script],
            Duration::from_secs(10),
        )
        .await?;
        let done = !reached(&out, spec.http_port);
        let why = match &out {
            None => Some(from),
            Some(o) if !o.stdout.contains("DOJO-RESOLVED") => Some(to),
            Some(_) => None,
        };
        if let Some(name) = why {
            let info = ctx.inspect_shared(name).await?;
            reached_so_far.inspected.push((name.clone(), info));
        }
        reached_so_far.probes.push(out);
        if done {
            break;
        }
    }
    Ok(reached_so_far)
}

/// What the check expects, in words.
fn expectation(spec: &NetworkCheck) -> String {
    let n = &spec.network;
    format!(
        "network {n}{}{}",
        if spec.members.is_empty() {
            String::new()
        } else {
            format!(" with {}", spec.members.join(", "))
        },
        if spec.resolves.is_empty() {
            String::new()
        } else {
            format!(
                "; {}",
                spec.resolves
                    .iter()
                    .map(|[a, b]| format!("{a} reaches {b} by name"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    )
}

/// The verdict on the network, its members and the probes (no I/O).
pub fn judge(spec: &NetworkCheck, r: &Reached) -> Verdict {
    let n = &spec.network;
    let expected = expectation(spec);
    let Some(info) = &r.network else {
        return Verdict::fail(expected, format!("there is no network named {n}"))
            .advise("`docker network ls` lists networks. The default bridge has no name resolution: the task's network is one you create yourself.");
    };
    let listed = attached(info);
    if let Some(m) = spec.members.iter().find(|m| !listed.contains(m)) {
        return judge_unlisted(spec, m, r, &listed);
    }
    for (i, [from, to]) in spec.resolves.iter().enumerate() {
        let Some(probe) = r.probes.get(i) else {
            return Verdict::fail(expected, format!("nothing was asked from {from}"));
        };
        let Some(o) = probe else {
            return match seen(r, from) {
                Some(info) => {
                    let (actual, advice) = crate::checks::not_running(from, info);
                    Verdict::fail(expected, actual).advise(advice)
                }
                None => Verdict::fail(expected, format!("{from} is not running")),
            };
        };
        if !o.stdout.contains("DOJO-RESOLVED") {
            // `to` stopped (or never made) has no name on any network: that, not DNS, is why.
            if let Some(info) = seen(r, to).filter(|i| !i.is_some_and(is_up)) {
                let (actual, mut advice) = crate::checks::not_running(to, info);
                if info.is_none() {
                    advice.push_str(&format!(" A name can also be an alias on the network: `--network-alias {to}` on `docker run` gives one."));
                }
                return Verdict::fail(
                    expected,
                    format!("from {from}, the name {to} does not resolve: {actual}"),
                )
                .advise(advice);
            }
            return Verdict::fail(expected, format!("from {from}, the name {to} does not resolve"))
                .advise(if n == "bridge" {
                    format!("Docker's DNS (127.0.0.11) answers names only on user-defined networks; the default bridge has none. Create one (`docker network create NAME`) and run {from} and {to} with `--network NAME`.")
                } else {
                    format!("Docker's DNS (127.0.0.11) answers names only on user-defined networks; the default bridge has none. Put {from} and {to} on the same network you created (`--network {n}`).")
                });
        }
        if let Some(p) = spec.http_port {
            if !o.stdout.contains("DOJO-FETCHED") {
                // busybox wget: "server returned error: HTTP/1.1 404 Not Found".
                if let Some(status) = o
                    .stderr
                    .split_once("server returned error: ")
                    .map(|(_, s)| s.lines().next().unwrap_or_default().trim().to_string())
                {
                    return Verdict::fail(
                        expected,
                        format!("from {from}, {to} resolves and answers at http://{to}:{p}/, but with an error: {status}"),
                    )
                    .advise("The connection works: the server runs and listens on that port. What it answers is the app's own matter: what it serves, and from which folder.");
                }
                return Verdict::fail(
                    expected,
                    format!("from {from}, {to} resolves, but nothing answers at http://{to}:{p}/ {}", crate::docker::logs::tail(&o.stderr, 2)),
                )
                .advise(format!("Between containers, use the container port ({p}), not a port published on the host; and the app must listen on 0.0.0.0."));
            }
        }
    }
    Verdict::pass(expected, format!("attached: {}", listed.join(", ")))
}

/// How a probe's container was found, when it was inspected: `Some(None)` is "no such
/// container".
fn seen<'r>(r: &'r Reached, name: &str) -> Option<Option<&'r ContainerInspectResponse>> {
    r.inspected
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, i)| i.as_ref())
}

/// Is the container running, neither paused nor between restarts?
fn is_up(info: &ContainerInspectResponse) -> bool {
    info.state.as_ref().is_some_and(|s| {
        s.running == Some(true) && s.paused != Some(true) && s.restarting != Some(true)
    })
}

/// A member the network does not list: missing, stopped (Docker lists only running
/// containers), or running elsewhere.
fn judge_unlisted(spec: &NetworkCheck, m: &str, r: &Reached, listed: &[String]) -> Verdict {
    let n = &spec.network;
    let seen = r
        .unlisted
        .iter()
        .find(|(name, _)| name == m)
        .map(|(_, i)| i);
    let actual = match seen {
        Some(None) => {
            let (actual, advice) = crate::checks::not_running(m, None);
            return Verdict::fail(expectation(spec), actual).advise(advice);
        }
        Some(Some(info)) if info.state.as_ref().and_then(|s| s.running) != Some(true) => {
            let on = info
                .host_config
                .as_ref()
                .and_then(|h| h.network_mode.clone())
                .unwrap_or_default();
            // Docker lists only running containers: it may well be on the network, stopped.
            let (actual, advice) = crate::checks::not_running(m, Some(info));
            return Verdict::fail(expectation(spec), format!("{actual} (its network: {on})"))
                .advise(format!("{advice} Only a running container is attached: `docker network inspect {n}` lists who is attached."));
        }
        _ => format!(
            "{m} is not attached to {n} (attached: {})",
            if listed.is_empty() {
                "none".into()
            } else {
                listed.join(", ")
            }
        ),
    };
    Verdict::fail(expectation(spec), actual).advise(format!(
        "{m} is not attached to {n}: a container joins a network when it is started on it, or when it is connected to it later (`docker network inspect {n}` lists who is attached)."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerState, ContainerStateStatusEnum, EndpointResource, HostConfig};

    /// `dojo-net` with `dojo-client` attached (`dojo-web` is not: Docker lists only running
    /// containers).
    fn net() -> NetworkInspect {
        NetworkInspect {
            name: Some("dojo-net".into()),
            containers: Some(
                [(
                    "c1".to_string(),
                    EndpointResource {
                        name: Some("dojo-client".into()),
                        ..Default::default()
                    },
                )]
                .into(),
            ),
            ..Default::default()
        }
    }

    fn spec(members: &[&str]) -> NetworkCheck {
        NetworkCheck {
            network: "dojo-net".into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            resolves: vec![["dojo-client".into(), "dojo-web".into()]],
            http_port: Some(80),
        }
    }

    /// A container on `dojo-net` in `status`.
    fn container(status: ContainerStateStatusEnum, code: i64) -> ContainerInspectResponse {
        ContainerInspectResponse {
            state: Some(ContainerState {
                status: Some(status),
                running: Some(status == ContainerStateStatusEnum::RUNNING),
                exit_code: Some(code),
                ..Default::default()
            }),
            host_config: Some(HostConfig {
                network_mode: Some("dojo-net".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn unresolved(inspected: Vec<(String, Option<ContainerInspectResponse>)>) -> Reached {
        Reached {
            network: Some(net()),
            unlisted: vec![],
            probes: vec![Some(Output {
                code: 1,
                stdout: String::new(),
                stderr: "wget: bad address 'dojo-web'".into(),
            })],
            inspected,
        }
    }

    #[test]
    fn a_stopped_member_is_told_why_it_stopped_not_that_it_is_elsewhere() {
        let r = Reached {
            network: Some(net()),
            unlisted: vec![(
                "dojo-web".into(),
                Some(container(ContainerStateStatusEnum::EXITED, 0)),
            )],
            ..Reached::default()
        };
        let v = judge(&spec(&["dojo-client", "dojo-web"]), &r);
        assert!(!v.passed);
        assert_eq!(
            v.actual,
            "dojo-web is not running: it exited with code 0: it finished successfully (its network: dojo-net)"
        );
        let advice = v.advice.unwrap();
        assert!(
            advice.starts_with(
                "A container stops when its main process ends; `docker logs dojo-web`"
            ) && !advice.contains("is not attached to"),
            "{advice}"
        );
        let r = Reached {
            network: Some(net()),
            unlisted: vec![("dojo-web".into(), None)],
            ..Reached::default()
        };
        let v = judge(&spec(&["dojo-web"]), &r);
        assert_eq!(v.actual, "there is no container named dojo-web");
        assert!(v.advice.unwrap().contains("`--name dojo-web`"));
    }

    #[test]
    fn a_name_that_does_not_resolve_because_its_container_ended_says_so() {
        let exited = container(ContainerStateStatusEnum::EXITED, 0);
        let v = judge(
            &spec(&[]),
            &unresolved(vec![("dojo-web".into(), Some(exited))]),
        );
        assert!(!v.passed);
        assert_eq!(
            v.actual,
            "from dojo-client, the name dojo-web does not resolve: dojo-web is not running: it exited with code 0: it finished successfully"
        );
        let advice = v.advice.unwrap();
        assert!(
            advice.contains("httpd without -f") && !advice.contains("default bridge"),
            "{advice}"
        );
        let v = judge(&spec(&[]), &unresolved(vec![("dojo-web".into(), None)]));
        assert_eq!(
            v.actual,
            "from dojo-client, the name dojo-web does not resolve: there is no container named dojo-web"
        );
        assert!(v.advice.unwrap().contains("`--network-alias dojo-web`"));
        // Running (elsewhere), or not inspected: the DNS advice stands.
        let running = container(ContainerStateStatusEnum::RUNNING, 0);
        for r in [
            unresolved(vec![("dojo-web".into(), Some(running))]),
            unresolved(vec![]),
        ] {
            let v = judge(&spec(&[]), &r);
            assert_eq!(
                v.actual,
                "from dojo-client, the name dojo-web does not resolve"
            );
            assert!(v.advice.unwrap().contains("`--network dojo-net`"));
        }
    }

    #[test]
    fn a_prober_that_is_not_running_is_told_by_its_state() {
        let mut paused = container(ContainerStateStatusEnum::PAUSED, 0);
        if let Some(s) = paused.state.as_mut() {
            s.running = Some(true);
            s.paused = Some(true);
        }
        let r = Reached {
            network: Some(net()),
            probes: vec![None],
            inspected: vec![("dojo-client".into(), Some(paused))],
            ..Reached::default()
        };
        let v = judge(&spec(&[]), &r);
        assert!(!v.passed);
        assert_eq!(v.actual, "dojo-client is paused: its processes are frozen");
        assert!(v.advice.unwrap().contains("`docker unpause dojo-client`"));
    }
}
