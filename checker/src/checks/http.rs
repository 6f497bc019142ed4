//! The `http` check: a real HTTP request through a published host port, over IPv4 127.0.0.1, or
//! to the daemon's own host when it is another machine ([`crate::docker::connect::Endpoint::probe_host`]).
//! A TCP connect is not an answer (docker-proxy accepts before the app listens); only a status
//! line counts. When it fails, the container is examined to say why.

use crate::checks::{Kind, Needs};
use std::time::Duration;

use bollard::models::ContainerInspectResponse;

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
    /// Requests until the right answer comes.
    fn weight(&self) -> u32 {
        10
    }
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

/// What the `http` check found.
#[derive(Debug, Clone, PartialEq)]
pub enum Asked {
    /// The spec names a container that does not exist.
    NoContainer(String),
    /// The container publishes no host port for `key` (`8080/tcp`). `stopped`: how it stands
    /// when it is not running (`exited with code 1`): Docker reports no published port for a
    /// container that is not running, whatever it was run with.
    NotPublished {
        container: String,
        key: String,
        stopped: Option<String>,
    },
    /// The port was asked.
    Probed(Probed),
}

/// The requests made to a host port, and what the container behind it showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Probed {
    /// Where the port is: 127.0.0.1, or the daemon's own host.
    pub host: String,
    pub host_port: u16,
    /// The container publishing the port: the one the spec names, or a live one found by it.
    pub publisher: Option<String>,
    /// The last answer: the right one, when one came.
    pub last: Probe,
    /// With `changes_within_s`, after a right answer: the first later right body that differed
    /// from it (`None`: it stayed the same).
    pub changed: Option<String>,
    /// When no right answer came: what the publishing container showed, when it could be seen.
    pub inside: Option<Inside>,
}

/// The publishing container, seen from inside, after no right answer came.
#[derive(Debug, Clone, PartialEq)]
pub enum Inside {
    /// Not running: its exit code, whether it was OOM-killed, its last log lines.
    Stopped {
        exit_code: i64,
        oom: bool,
        logs: String,
    },
    /// Running: the container port the app should listen on (the spec's, else its first
    /// published one) and what `cat /proc/net/tcp /proc/net/tcp6` printed in it.
    Running {
        cport: Option<u16>,
        sockets: crate::docker::exec::Output,
    },
}

/// How a container that is not running stands (`exited with code 1`); `None` while it runs (or
/// when its state is not reported).
fn not_running(info: &ContainerInspectResponse) -> Option<String> {
    use bollard::models::ContainerStateStatusEnum as S;
    let state = info.state.as_ref()?;
    if state.running != Some(false) {
        return None;
    }
    Some(match (state.status, state.exit_code) {
        (Some(S::EXITED), Some(code)) => format!("exited with code {code}"),
        (Some(S::CREATED), _) => "created, never started".to_string(),
        (Some(status), _) if status != S::EMPTY => status.to_string(),
        _ => "stopped".to_string(),
    })
}

/// The host port a container publishes for `key` (`8080/tcp`), as its inspection reports it.
pub fn published_port(info: &ContainerInspectResponse, key: &str) -> Option<u16> {
    info.network_settings
        .as_ref()?
        .ports
        .as_ref()?
        .get(key)
        .cloned()
        .flatten()?
        .iter()
        .find_map(|b| b.host_port.as_ref().and_then(|p| p.parse::<u16>().ok()))
}

/// The first container port a container asked to publish (`-p HOST:PORT`).
pub fn first_bound_port(info: &ContainerInspectResponse) -> Option<u16> {
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
}

/// Is this the answer the spec wants?
fn right(spec: &HttpCheck, probe: &Probe) -> bool {
    match probe {
        Probe::Answer { status, body } => {
            *status == spec.status
                && spec
                    .body_contains
                    .as_ref()
                    .is_none_or(|b| body.contains(b.as_str()))
        }
        _ => false,
    }
}

/// The `http` check: find the port, ask it until the right answer comes (or `within_s`
/// passes), look inside the container when it did not, then [`judge`].
pub async fn check(ctx: &mut Ctx<'_>, spec: &HttpCheck) -> Result<Verdict, EnvError> {
    Ok(judge(spec, &ask(ctx, spec).await?))
}

async fn ask(ctx: &Ctx<'_>, spec: &HttpCheck) -> Result<Asked, EnvError> {
    let (host_port, publisher, cport) = match (&spec.container, spec.host_port) {
        (Some(c), _) => {
            let Some(info) = ctx.inspect_shared(c).await? else {
                return Ok(Asked::NoContainer(c.clone()));
            };
            let key = format!("{}/tcp", spec.port.unwrap_or(80));
            match published_port(&info, &key) {
                Some(p) => (p, Some(c.clone()), spec.port),
                None => {
                    return Ok(Asked::NotPublished {
                        container: c.clone(),
                        key,
                        stopped: not_running(&info),
                    })
                }
            }
        }
        (None, Some(p)) => (p, find_publisher(ctx, p).await?, None),
        (None, None) => unreachable!("validated in the spec"),
    };
    let host = ctx.engine.endpoint.probe_host();
    let until = tokio::time::Instant::now() + Duration::from_secs_f64(spec.within_s);
    let mut last;
    loop {
        last = get(&host, host_port, &spec.path).await;
        if right(spec, &last)
            || tokio::time::Instant::now() >= until
            || settled(&last, publisher.is_some())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut probed = Probed {
        host,
        host_port,
        publisher,
        last,
        changed: None,
        inside: None,
    };
    if let (Probe::Answer { body, .. }, true) = (&probed.last, right(spec, &probed.last)) {
        if let Some(secs) = spec.changes_within_s {
            probed.changed = changes(&probed.host, host_port, spec, body, secs).await;
        }
    } else if let Some(c) = &probed.publisher {
        probed.inside = look_inside(ctx, c, cport).await?;
    } else if matches!(probed.last, Probe::Refused) {
        // Nothing publishes the port now: a container that asked for it but is not running
        // (it exited, or was never started) is why, and its log says more.
        if let Some(c) = stopped_binder(ctx, host_port).await? {
            probed.inside = look_inside(ctx, &c, cport).await?;
            probed.publisher = Some(c);
        }
    }
    Ok(Asked::Probed(probed))
}

/// The verdict on what the port answered (no I/O).
pub fn judge(spec: &HttpCheck, asked: &Asked) -> Verdict {
    let p = match asked {
        Asked::NoContainer(c) => {
            return Verdict::fail("an HTTP answer", format!("there is no container named {c}"))
        }
        Asked::NotPublished {
            container,
            key,
            stopped,
        } => {
            let actual = match stopped {
                Some(how) => format!(
                    "{container} is not running ({how}), and a container that is not running \
                     publishes no port"
                ),
                None => format!("{container} publishes no host port for {key}"),
            };
            return Verdict::fail(
                format!("container port {key} published on the host"),
                actual,
            );
        }
        Asked::Probed(p) => p,
    };
    let (host, host_port) = (&p.host, p.host_port);
    let mut expected = format!(
        "GET http://{host}:{host_port}{} answers {}",
        spec.path, spec.status
    );
    if let Some(b) = &spec.body_contains {
        expected.push_str(&format!(" with \"{b}\" in the body"));
    }
    if let (Probe::Answer { status, body }, true) = (&p.last, right(spec, &p.last)) {
        let Some(secs) = spec.changes_within_s else {
            return Verdict::pass(expected, format!("{status}, {} bytes", body.len()));
        };
        let expected = format!("{expected}, and a body that changes within {secs} s");
        return match &p.changed {
            Some(later) => Verdict::pass(
                expected,
                format!("\"{}\" became \"{}\"", one_line(body), one_line(later)),
            ),
            None => Verdict::fail(
                expected,
                format!("the same body for {secs} s: \"{}\"", one_line(body)),
            )
            .advise("The page is served, but nothing rewrites it: it is a fixed copy, not the file the other service keeps updating. Serve the folder both services share."),
        };
    }
    let actual = match &p.last {
        Probe::Answer { status, body } => {
            format!("{status}; body: {}", crate::docker::logs::tail(body, 3))
        }
        // Podman's port forwarder refuses when nothing listens inside the container, where
        // Docker's accepts and then closes: a publisher means the port is published.
        Probe::Refused => match &p.publisher {
            Some(c) if matches!(p.inside, Some(Inside::Stopped { .. })) => format!(
                "connection refused on {host}:{host_port}: {c} asks for that port (`-p`), but \
                 it is not running, and a container that is not running publishes no port"
            ),
            Some(c) => format!(
                "connection refused on {host}:{host_port}: {c} publishes it, but nothing in \
                 the container accepts the connection"
            ),
            None => format!(
                "connection refused on {host}:{host_port}: nothing listens on that host port"
            ),
        },
        Probe::NoAnswer(why) => {
            format!("connected to {host}:{host_port} but got no HTTP answer ({why})")
        }
    };
    let v = Verdict::fail(expected, actual);
    let advice = match (&p.publisher, &p.inside) {
        (Some(c), Some(inside)) => diagnose(c, inside),
        (Some(_), None) => None,
        (None, _) => matches!(p.last, Probe::Refused).then(|| format!("No container publishes host port {host_port}: run yours with `-p {host_port}:<container port>`.")),
    };
    match advice {
        Some(a) => v.advise(a),
        None => v,
    }
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

/// After a right answer `first`: ask again until a right answer with another body comes
/// (returned) or `secs` pass.
async fn changes(
    host: &str,
    port: u16,
    spec: &HttpCheck,
    first: &str,
    secs: f64,
) -> Option<String> {
    let until = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let probe = get(host, port, &spec.path).await;
        if let (Probe::Answer { body, .. }, true) = (&probe, right(spec, &probe)) {
            if body != first {
                return Some(body.clone());
            }
        }
    }
    None
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
    let list = crate::docker::inspect::containers(ctx.engine, false, &[]).await?;
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

/// A container that is not running but asks to publish `host_port` (`-p host_port:…`), looked
/// for among the stopped ones (a few inspections: their list entries show no ports).
async fn stopped_binder(ctx: &Ctx<'_>, host_port: u16) -> Result<Option<String>, EnvError> {
    let stopped = ["created", "exited", "dead"].map(String::from).to_vec();
    let list = crate::docker::inspect::containers(ctx.engine, true, &[("status", stopped)]).await?;
    let want = host_port.to_string();
    for c in list.into_iter().take(20) {
        let Some(name) = c
            .names
            .and_then(|n| n.first().map(|s| s.trim_start_matches('/').to_string()))
        else {
            continue;
        };
        let Some(info) = ctx.inspect(&name).await? else {
            continue;
        };
        let binds = info
            .host_config
            .and_then(|h| h.port_bindings)
            .unwrap_or_default();
        let asks = binds
            .values()
            .flatten()
            .flatten()
            .any(|b| b.host_port.as_deref() == Some(want.as_str()));
        if asks {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// The container behind a port that gave no right answer: stopped (with its log), or running
/// (with its listening sockets). `None` when it is gone or cannot be looked into.
async fn look_inside(
    ctx: &Ctx<'_>,
    name: &str,
    cport: Option<u16>,
) -> Result<Option<Inside>, EnvError> {
    let Some(info) = ctx.inspect(name).await? else {
        return Ok(None);
    };
    let target = ctx.container_id(name).unwrap_or_else(|| name.to_string());
    let st = info.state.clone().unwrap_or_default();
    if st.running != Some(true) {
        return Ok(Some(Inside::Stopped {
            exit_code: st.exit_code.unwrap_or(0),
            oom: st.oom_killed.unwrap_or(false),
            logs: crate::docker::logs::logs_tail(ctx.engine, &target, 5).await,
        }));
    }
    let cmd = vec![
        "cat".to_string(),
        "/proc/net/tcp".to_string(),
        "/proc/net/tcp6".to_string(),
    ];
    let sockets = exec_in(ctx.engine, &target, &cmd, Duration::from_secs(5)).await?;
    Ok(sockets.map(|sockets| Inside::Running {
        cport: cport.or_else(|| first_bound_port(&info)),
        sockets,
    }))
}

/// Why did a container not answer? Not running, or listening on the wrong address or port.
pub fn diagnose(name: &str, inside: &Inside) -> Option<String> {
    let (cport, sockets) = match inside {
        Inside::Stopped {
            exit_code,
            oom,
            logs,
        } => {
            return Some(format!(
                "{name} is not running (exit code {}). Its last log lines:\n{logs}",
                crate::docker::probe::explain_exit(*exit_code, *oom)
            ))
        }
        Inside::Running { cport, sockets } => (cport, sockets),
    };
    let ls = listeners(&sockets.stdout);
    if ls.is_empty() && sockets.code != 0 {
        return None;
    }
    let cport = (*cport)?;
    let on_port: Vec<&(String, u16)> = ls.iter().filter(|(_, p)| *p == cport).collect();
    if on_port.is_empty() {
        let ports: Vec<String> = ls.iter().map(|(a, p)| format!("{a}:{p}")).collect();
        return Some(format!(
            "Inside {name}, nothing listens on port {cport}{}: the published port must lead to the port the app really listens on.",
            if ports.is_empty() { String::new() } else { format!(" (it listens on {})", ports.join(", ")) }
        ));
    }
    if on_port.iter().all(|(a, _)| a == "127.0.0.1" || a == "::1") {
        return Some(format!(
            "The app inside {name} listens on 127.0.0.1:{cport}, the container's own loopback only, so \
             traffic from the published port never reaches it: which address does it have to \
             listen on to be reached from outside the container?"
        ));
    }
    None
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
