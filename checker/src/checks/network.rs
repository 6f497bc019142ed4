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
            return Verdict::fail(expected, format!("{from} is not running"));
        };
        if !o.stdout.contains("DOJO-RESOLVED") {
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
        Some(None) => format!("there is no container named {m}"),
        Some(Some(info)) if info.state.as_ref().and_then(|s| s.running) != Some(true) => {
            let on = info
                .host_config
                .as_ref()
                .and_then(|h| h.network_mode.clone())
                .unwrap_or_default();
            format!("{m} is not running (its network: {on})")
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
