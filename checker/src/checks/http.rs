//! The `http` check: a real HTTP request through a published host port, over IPv4 127.0.0.1, or
//! to the daemon's own host when it is another machine ([`crate::docker::connect::Endpoint::probe_host`]).
//! A TCP connect is not an answer (docker-proxy accepts before the app listens); only a status
//! line counts. When it fails, the container is examined to say why.

use crate::checks::{Kind, Needs};
use std::time::Duration;

use crate::checks::{Ctx, Verdict};
use crate::docker::exec::exec_in;
use crate::docker::http::listeners;
use crate::docker::http::{get, Probe};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    /// A fixed host port (live exercises). Exactly one of `host_port` / `container`.
    pub host_port: Option<u16>,
    /// A run handle or live name whose published `port` is probed.
    pub container: Option<String>,
    /// The container port (with `container`).
    pub port: Option<u16>,
    #[serde(default = "crate::checks::defaults::default_path")]
    pub path: String,
    #[serde(default = "crate::checks::defaults::default_status")]
    pub status: u16,
    pub body_contains: Option<String>,
    /// Keep retrying until this many seconds have passed.
    #[serde(default = "crate::checks::defaults::default_within")]
    pub within_s: f64,
    /// After a right answer, the body must change within this many seconds (a page that
    /// something keeps rewriting, not a fixed copy of it).
    pub changes_within_s: Option<f64>,
}

impl Kind for HttpCheck {
    fn problem(&self) -> Option<String> {
        (self.host_port.is_some() == self.container.is_some()
            || (self.container.is_some() && self.port.is_none()))
        .then(|| "give either `host_port`, or `container` and `port`".into())
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            container: self.container.as_deref(),
            ..Needs::default()
        }
    }
}

/// The `http` check.
pub async fn check(ctx: &mut Ctx<'_>, spec: &HttpCheck) -> Result<Verdict, EnvError> {
    let (host_port, container_name, cport) = match (&spec.container, spec.host_port) {
        (Some(c), _) => {
            let Some(info) = ctx.inspect(c).await? else {
                return Ok(Verdict::fail(
                    "an HTTP answer",
                    format!("there is no container named {c}"),
                ));
            };
            let key = format!("{}/tcp", spec.port.unwrap_or(80));
            let port = info
                .network_settings
                .and_then(|n| n.ports)
                .and_then(|p| p.get(&key).cloned().flatten())
                .and_then(|b| {
                    b.iter()
                        .find_map(|b| b.host_port.as_ref().and_then(|p| p.parse::<u16>().ok()))
                });
            match port {
                Some(p) => (p, Some(c.clone()), spec.port),
                None => {
                    return Ok(Verdict::fail(
                        format!("container port {key} published on the host"),
                        format!("{c} publishes no host port for {key}"),
                    ))
                }
            }
        }
        (None, Some(p)) => (p, find_publisher(ctx, p).await?, None),
        (None, None) => unreachable!("validated in the spec"),
    };
    let host = ctx.engine.endpoint.probe_host();
    let mut expected = format!(
        "GET http://{host}:{host_port}{} answers {}",
        spec.path, spec.status
    );
    if let Some(b) = &spec.body_contains {
        expected.push_str(&format!(" with \"{b}\" in the body"));
    }
    let until = tokio::time::Instant::now() + Duration::from_secs_f64(spec.within_s);
    let mut last;
    loop {
        last = get(&host, host_port, &spec.path).await;
        if let Probe::Answer { status, body } = &last {
            if *status == spec.status
                && spec
                    .body_contains
                    .as_ref()
                    .is_none_or(|b| body.contains(b.as_str()))
            {
                if let Some(secs) = spec.changes_within_s {
                    return Ok(changes(&host, host_port, spec, expected, body.clone(), secs).await);
                }
                return Ok(Verdict::pass(
                    expected,
                    format!("{status}, {} bytes", body.len()),
                ));
            }
        }
        if tokio::time::Instant::now() >= until || settled(&last, container_name.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let actual = match &last {
        Probe::Answer { status, body } => {
            format!("{status}; body: {}", crate::docker::logs::tail(body, 3))
        }
        Probe::Refused => {
            format!("connection refused on {host}:{host_port}: nothing listens on that host port")
        }
        Probe::NoAnswer(why) => {
            format!("connected to {host}:{host_port} but got no HTTP answer ({why})")
        }
    };
    let mut v = Verdict::fail(expected, actual);
    if let Some(c) = container_name {
        if let Some(advice) = diagnose(ctx, &c, cport).await? {
            v = v.advise(advice);
        }
    } else if matches!(last, Probe::Refused) {
        v = v.advise(format!("No container publishes host port {host_port}: run yours with `-p {host_port}:<container port>`."));
    }
    Ok(v)
}

/// Is a wrong answer already certain, so that waiting out `within_s` would only delay it?
/// Refused with no container publishing the port: nothing is starting that could answer. A
/// client error (404, 403…): the server is up and has decided.
fn settled(last: &Probe, has_publisher: bool) -> bool {
    match last {
        Probe::Refused => !has_publisher,
        Probe::Answer { status, .. } => (400..500).contains(status),
        Probe::NoAnswer(_) => false,
    }
}

/// After a right answer `first`: ask again until the body changes (still a right answer) or
/// `secs` pass.
async fn changes(
    host: &str,
    port: u16,
    spec: &HttpCheck,
    expected: String,
    first: String,
    secs: f64,
) -> Verdict {
    let expected = format!("{expected}, and a body that changes within {secs} s");
    let until = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Probe::Answer { status, body } = get(host, port, &spec.path).await {
            let right = status == spec.status
                && spec
                    .body_contains
                    .as_ref()
                    .is_none_or(|b| body.contains(b.as_str()));
            if right && body != first {
                return Verdict::pass(
                    expected,
                    format!("\"{}\" became \"{}\"", one_line(&first), one_line(&body)),
                );
            }
        }
    }
    Verdict::fail(
        expected,
        format!("the same body for {secs} s: \"{}\"", one_line(&first)),
    )
    .advise("The page is served, but nothing rewrites it: it is a fixed copy, not the file the other service keeps updating. Serve the folder both services share.")
}

fn one_line(s: &str) -> String {
    let l = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    l.chars().take(80).collect()
}

/// The live container publishing `host_port`, if any.
async fn find_publisher(ctx: &Ctx<'_>, host_port: u16) -> Result<Option<String>, EnvError> {
    let list = crate::docker::call(
        "list containers",
        crate::docker::deadline::QUICK,
        crate::docker::through_transient_states(|| {
            ctx.engine
                .docker
                .list_containers(None::<bollard::query_parameters::ListContainersOptions>)
        }),
    )
    .await?;
    Ok(list.into_iter().find_map(|c| {
        let publishes = c
            .ports
            .as_ref()
            .is_some_and(|ps| ps.iter().any(|p| p.public_port == Some(host_port)));
        if publishes {
            c.names
                .and_then(|n| n.first().map(|s| s.trim_start_matches('/').to_string()))
        } else {
            None
        }
    }))
}

/// Why did a container not answer? Not running, or listening on the wrong address/port.
async fn diagnose(
    ctx: &Ctx<'_>,
    name: &str,
    cport: Option<u16>,
) -> Result<Option<String>, EnvError> {
    let Some(info) = ctx.inspect(name).await? else {
        return Ok(None);
    };
    let st = info.state.clone().unwrap_or_default();
    if st.running != Some(true) {
        let target = ctx.container_id(name).unwrap_or_else(|| name.to_string());
        let logs = crate::docker::logs::logs_tail(ctx.engine, &target, 5).await;
        return Ok(Some(format!(
            "{name} is not running (exit code {}). Its last log lines:\n{logs}",
            crate::docker::probe::explain_exit(
                st.exit_code.unwrap_or(0),
                st.oom_killed.unwrap_or(false)
            )
        )));
    }
    let cport = cport.or_else(|| {
        info.host_config
            .as_ref()?
            .port_bindings
            .as_ref()?
            .keys()
            .next()?
            .split('/')
            .next()?
            .parse()
            .ok()
    });
    let target = ctx.container_id(name).unwrap_or_else(|| name.to_string());
    let cmd = vec![
        "cat".to_string(),
        "/proc/net/tcp".to_string(),
        "/proc/net/tcp6".to_string(),
    ];
    let Some(out) = exec_in(ctx.engine, &target, &cmd, Duration::from_secs(5)).await? else {
        return Ok(None);
    };
    let ls = listeners(&out.stdout);
    if ls.is_empty() && out.code != 0 {
        return Ok(None);
    }
    let Some(cport) = cport else { return Ok(None) };
    let on_port: Vec<&(String, u16)> = ls.iter().filter(|(_, p)| *p == cport).collect();
    if on_port.is_empty() {
        let ports: Vec<String> = ls.iter().map(|(a, p)| format!("{a}:{p}")).collect();
        return Ok(Some(format!(
            "Inside {name}, nothing listens on port {cport}{}: the published port must lead to the port the app really listens on.",
            if ports.is_empty() { String::new() } else { format!(" (it listens on {})", ports.join(", ")) }
        )));
    }
    if on_port.iter().all(|(a, _)| a == "127.0.0.1" || a == "::1") {
        return Ok(Some(format!(
            "The app inside {name} listens on 127.0.0.1:{cport}, the container's own loopback only, so \
             traffic from the published port never reaches it: which address does it have to \
             listen on to be reached from outside the container?"
        )));
    }
    Ok(None)
}
#[cfg(test)]
mod settled_tests {
    use super::{settled, Probe};

    #[test]
    fn certain_answers_end_the_wait() {
        assert!(settled(&Probe::Refused, false));
        assert!(
            !settled(&Probe::Refused, true),
            "a published container may still be starting"
        );
        let answer = |status| Probe::Answer {
            status,
            body: String::new(),
        };
        assert!(settled(&answer(404), true));
        assert!(!settled(&answer(503), true), "a server still warming up");
        assert!(!settled(&Probe::NoAnswer("reset".into()), false));
    }
}
