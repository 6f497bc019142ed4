//! The `network` check: containers attached to a user-defined network, and reaching each other
//! by name through Docker's embedded DNS.

use crate::checks::{Kind, Needs};
use std::time::Duration;

use crate::checks::{Ctx, Verdict};
use crate::docker::{deadline, is_not_found};
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
    fn needs(&self) -> Needs<'_> {
        Needs {
            network: Some(&self.network),
            ..Needs::default()
        }
    }
}

pub async fn check(ctx: &mut Ctx<'_>, spec: &NetworkCheck) -> Result<Verdict, EnvError> {
    let n = &spec.network;
    let expected = format!(
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
    );
    let info = match tokio::time::timeout(deadline::QUICK, ctx.engine.docker.inspect_network(n, None)).await {
        Err(_) => return Err(EnvError::Deadline { what: "inspect network".into(), deadline: deadline::QUICK }),
        Ok(Err(e)) if is_not_found(&e) => {
            return Ok(Verdict::fail(expected, format!("there is no network named {n}"))
                .advise("`docker network ls` lists networks. The default bridge has no name resolution: the task's network is one you create yourself."))
        }
        Ok(r) => r.map_err(|e| crate::docker::classify("inspect network", &e))?,
    };
    let attached: Vec<String> = info
        .containers
        .unwrap_or_default()
        .values()
        .filter_map(|c| c.name.clone())
        .collect();
    for m in &spec.members {
        if !attached.contains(m) {
            // Docker lists only running containers as attached: say which it is.
            let stopped = match ctx.inspect(m).await? {
                None => Some(format!("there is no container named {m}")),
                Some(info) if info.state.as_ref().and_then(|s| s.running) != Some(true) => {
                    let on = info
                        .host_config
                        .as_ref()
                        .and_then(|h| h.network_mode.clone())
                        .unwrap_or_default();
                    Some(format!("{m} is not running (its network: {on})"))
                }
                Some(_) => None,
            };
            let actual = stopped.unwrap_or_else(|| {
                format!(
                    "{m} is not attached to {n} (attached: {})",
                    if attached.is_empty() {
                        "none".into()
                    } else {
                        attached.join(", ")
                    }
                )
            });
            return Ok(Verdict::fail(expected, actual).advise(format!(
                "{m} is not attached to {n}: a container joins a network when it is started on it, or when it is connected to it later (`docker network inspect {n}` lists who is attached)."
            )));
        }
    }
    for [from, to] in &spec.resolves {
        // Resolve first (so a DNS failure is named as one), then fetch through the container port.
        // No `wget -T`: some static busybox builds crash on it; the exec has its own deadline.
        // Docker's embedded DNS is 127.0.0.11; Podman's (aardvark-dns) listens on the network's
        // gateway, the first nameserver in the container's resolv.conf.
        let server = match ctx.engine.runtime {
            crate::docker::Runtime::Docker => " 127.0.0.11",
            crate::docker::Runtime::Podman => "",
        };
        let resolve = format!("nslookup {to}{server} >/dev/null 2>&1 && echo DOJO-RESOLVED");
        let fetch = spec
            .http_port
            .map(|p| format!("wget -q -O- http://{to}:{p}/ >/dev/null && echo DOJO-FETCHED"));
        let script = match &fetch {
            Some(f) => format!("{resolve}; {f}"),
            None => resolve.clone(),
        };
        let out = crate::docker::exec::exec_in(
            ctx.engine,
            from,
            &["sh".into(), "-c".into(), script],
            Duration::from_secs(10),
        )
        .await?;
        let Some(o) = out else {
            return Ok(Verdict::fail(expected, format!("{from} is not running")));
        };
        if !o.stdout.contains("DOJO-RESOLVED") {
            return Ok(Verdict::fail(expected, format!("from {from}, the name {to} does not resolve"))
                .advise(if n == "bridge" {
                    format!("Docker's DNS (127.0.0.11) answers names only on user-defined networks; the default bridge has none. Create one (`docker network create NAME`) and run {from} and {to} with `--network NAME`.")
                } else {
                    format!("Docker's DNS (127.0.0.11) answers names only on user-defined networks; the default bridge has none. Put {from} and {to} on the same network you created (`--network {n}`).")
                }));
        }
        if let Some(p) = spec.http_port {
            if !o.stdout.contains("DOJO-FETCHED") {
                return Ok(Verdict::fail(
                    expected,
                    format!("from {from}, {to} resolves, but nothing answers at http://{to}:{p}/ {}", crate::docker::logs::tail(&o.stderr, 2)),
                )
                .advise(format!("Between containers, use the container port ({p}), not a port published on the host; and the app must listen on 0.0.0.0.")));
            }
        }
    }
    Ok(Verdict::pass(
        expected,
        format!("attached: {}", attached.join(", ")),
    ))
}
