//! The `http` check: a real HTTP request through a published host port, over IPv4 127.0.0.1, or
//! to the daemon's own host when it is another machine ([`Endpoint::probe_host`]).
//!
//! [`Endpoint::probe_host`]: crate::docker::connect::Endpoint::probe_host
//! A TCP connect is not an answer (docker-proxy accepts before the app listens); only a status
//! line counts. When it fails, the container is examined to say why.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{container, exec};
use crate::engine::{Ctx, Verdict};
use crate::error::EnvError;
use crate::spec::HttpCheck;

/// One request's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    Answer {
        status: u16,
        body: String,
    },
    Refused,
    /// Connected, but the connection closed (or stalled) without an HTTP answer.
    NoAnswer(String),
}

/// One GET to host:port (the daemon's host, see [`crate::docker::connect::Endpoint::probe_host`])
/// with a short deadline.
pub async fn get(host: &str, port: u16, path: &str) -> Probe {
    get_with(host, port, path, &[]).await.0
}

/// One GET to host:port with extra request headers; the answer and its headers (names in lower
/// case).
pub async fn get_with(
    host: &str,
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
) -> (Probe, Vec<(String, String)>) {
    let attempt = async {
        let mut s = match tokio::net::TcpStream::connect((host, port)).await {
            Ok(s) => s,
            Err(_) => return (Probe::Refused, Vec::new()),
        };
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let req = format!("GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: dockdojo\r\n{extra}Connection: close\r\n\r\n");
        if let Err(e) = s.write_all(req.as_bytes()).await {
            return (Probe::NoAnswer(e.to_string()), Vec::new());
        }
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match s.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.len() > 1 << 20 {
                        break;
                    }
                }
                Err(e) if buf.is_empty() => return (Probe::NoAnswer(e.to_string()), Vec::new()),
                Err(_) => break,
            }
        }
        (parse_response(&buf), response_headers(&buf))
    };
    match tokio::time::timeout(Duration::from_secs(3), attempt).await {
        Ok(p) => p,
        Err(_) => (Probe::NoAnswer("no answer within 3 s".into()), Vec::new()),
    }
}

fn response_headers(buf: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(buf);
    let head = text
        .split_once("\r\n\r\n")
        .map_or(text.as_ref(), |(h, _)| h);
    head.lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect()
}

fn parse_response(buf: &[u8]) -> Probe {
    let text = String::from_utf8_lossy(buf);
    let Some(first) = text.lines().next().filter(|l| l.starts_with("HTTP/")) else {
        return Probe::NoAnswer(if buf.is_empty() {
            "the connection closed without a reply".into()
        } else {
            "the reply was not HTTP".into()
        });
    };
    let status = first
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Probe::Answer { status, body }
}

/// Listening TCP sockets in `/proc/net/tcp{,6}` text: (local address, port).
pub fn listeners(proc_net_tcp: &str) -> Vec<(String, u16)> {
    let mut v = Vec::new();
    for line in proc_net_tcp.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || f[3] != "0A" {
            continue;
        }
        let Some((addr, port)) = f[1].split_once(':') else {
            continue;
        };
        let Ok(port) = u16::from_str_radix(port, 16) else {
            continue;
        };
        let addr = match addr {
            "0100007F" => "127.0.0.1".to_string(),
            "00000000" => "0.0.0.0".to_string(),
            "00000000000000000000000000000000" => "::".to_string(),
            "00000000000000000000000001000000" => "::1".to_string(),
            other => other.to_string(),
        };
        v.push((addr, port));
    }
    v
}

/// The `http` check.
pub async fn probe(ctx: &mut Ctx<'_>, spec: &HttpCheck) -> Result<Verdict, EnvError> {
    let (host_port, container_name, cport) = match (&spec.container, spec.host_port) {
        (Some(c), _) => {
            let Some(info) = container::inspect(ctx, c).await? else {
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
        Probe::Answer { status, body } => format!("{status}; body: {}", super::tail(body, 3)),
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
    let Some(info) = container::inspect(ctx, name).await? else {
        return Ok(None);
    };
    let st = info.state.clone().unwrap_or_default();
    if st.running != Some(true) {
        let target = ctx.container_id(name).unwrap_or_else(|| name.to_string());
        let logs = super::run::logs_tail(ctx.engine, &target, 5).await;
        return Ok(Some(format!(
            "{name} is not running (exit code {}). Its last log lines:\n{logs}",
            super::run::explain_exit(st.exit_code.unwrap_or(0), st.oom_killed.unwrap_or(false))
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
    let Some(out) = exec::exec_in(ctx.engine, &target, &cmd, Duration::from_secs(5)).await? else {
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
mod tests {
    use super::*;

    #[test]
    fn proc_net_tcp_is_read() {
        let t = "  sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A 0\n   1: 00000000:0050 00000000:0000 0A 0\n   2: 0100007F:1F90 0100007F:9999 01 0\n";
        assert_eq!(
            listeners(t),
            vec![("127.0.0.1".to_string(), 8080), ("0.0.0.0".to_string(), 80)]
        );
    }

    #[test]
    fn responses_are_parsed() {
        assert_eq!(
            parse_response(b""),
            Probe::NoAnswer("the connection closed without a reply".into())
        );
        assert_eq!(
            parse_response(b"HTTP/1.0 200 OK\r\nA: b\r\n\r\nhello"),
            Probe::Answer {
                status: 200,
                body: "hello".into()
            }
        );
    }
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
