//! One HTTP GET to a host port, over IPv4 127.0.0.1 or the daemon's own host when it is another
//! machine ([`crate::docker::connect::Endpoint::probe_host`]). A TCP connect is not an answer
//! (docker-proxy accepts before the app listens); only a status line counts. Also reading the
//! listening sockets in a container's `/proc/net/tcp`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
