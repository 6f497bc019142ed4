//! The `network` check: containers attached to a user-defined network, and reaching each other
//! by name through Docker's embedded DNS.

use std::time::Duration;

use crate::docker::{deadline, is_not_found};
use crate::engine::{Ctx, Verdict};
use crate::error::EnvError;
use crate::spec::NetworkCheck;

pub async fn network(ctx: &mut Ctx<'_>, spec: &NetworkCheck) -> Result<Verdict, EnvError> {
    let n = &spec.network;
    let expected = format!(
        "network {n} with {}{}",
        spec.members.join(", "),
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
                .advise(format!("Create it with `docker network create {n}`; the default bridge has no name resolution.")))
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
            return Ok(Verdict::fail(
                expected,
                format!(
                    "{m} is not attached to {n} (attached: {})",
                    if attached.is_empty() {
                        "none".into()
                    } else {
                        attached.join(", ")
                    }
                ),
            )
            .advise(format!(
                "Start it with `--network {n}`, or `docker network connect {n} {m}`."
            )));
        }
    }
    for [from, to] in &spec.resolves {
        let cmd = match spec.http_port {
            Some(p) => format!("wget -q -O- -T 3 http://{to}:{p}/ >/dev/null && echo DOJO-OK"),
            None => format!("nslookup {to} 127.0.0.11 >/dev/null 2>&1 && echo DOJO-OK"),
        };
        let out = super::exec::exec_in(
            ctx.engine,
            from,
            &["sh".into(), "-c".into(), cmd.clone()],
            Duration::from_secs(10),
        )
        .await?;
        match out {
            None => return Ok(Verdict::fail(expected, format!("{from} is not running"))),
            Some(o) if o.stdout.contains("DOJO-OK") => {}
            Some(o) => {
                return Ok(Verdict::fail(
                    expected,
                    format!(
                        "from {from}, `{}` failed: {}",
                        cmd.trim_end_matches(" >/dev/null && echo DOJO-OK"),
                        super::tail(&format!("{}{}", o.stdout, o.stderr), 3)
                    ),
                ))
            }
        }
    }
    Ok(Verdict::pass(
        expected,
        format!("attached: {}", attached.join(", ")),
    ))
}
