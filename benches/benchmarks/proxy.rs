//! A recording proxy for the Docker API on a Unix socket: point `DOCKER_HOST` at it and it
//! forwards every request to the real daemon socket, recording when each request started (its
//! first byte arrived) and ended (the last byte of its response was passed on). Keep-alive
//! connections, chunked and fixed-length bodies, streamed responses (build, logs) and hijacked
//! connections (exec attach: `101 UPGRADED`) are all followed.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

/// One API call as seen on the wire.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The path with its query string, API version prefix removed (`/containers/json?…`).
    pub path: String,
    pub status: u16,
    /// Seconds since the proxy's epoch (set by [`Proxy::reset`]).
    pub start: f64,
    pub end: f64,
    /// For builds: `steps N, cached M` read from the streamed log.
    pub note: String,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
}

/// A running proxy.
pub struct Proxy {
    pub socket: PathBuf,
    state: Arc<Mutex<State>>,
    epoch: Arc<Mutex<Instant>>,
}

impl Proxy {
    /// Listen on `socket`, forwarding to `upstream`.
    pub fn start(socket: &Path, upstream: PathBuf) -> io::Result<Self> {
        let _ = std::fs::remove_file(socket);
        let listener = UnixListener::bind(socket)?;
        let state = Arc::new(Mutex::new(State::default()));
        let epoch = Arc::new(Mutex::new(Instant::now()));
        let (st, ep) = (state.clone(), epoch.clone());
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (st, ep, up) = (st.clone(), ep.clone(), upstream.clone());
                thread::spawn(move || {
                    if let Ok(server) = UnixStream::connect(&up) {
                        let _ = serve(client, server, &st, &ep);
                    }
                });
            }
        });
        Ok(Self {
            socket: socket.to_path_buf(),
            state,
            epoch,
        })
    }

    /// Forget what was recorded and measure from now on; returns the new epoch.
    pub fn reset(&self) -> Instant {
        let now = Instant::now();
        if let Ok(mut e) = self.epoch.lock() {
            *e = now;
        }
        if let Ok(mut s) = self.state.lock() {
            s.calls.clear();
        }
        now
    }

    /// The calls recorded since the last reset, by start time.
    pub fn take(&self) -> Vec<Call> {
        let mut v = self
            .state
            .lock()
            .map(|mut s| std::mem::take(&mut s.calls))
            .unwrap_or_default();
        v.sort_by(|a, b| a.start.total_cmp(&b.start));
        v
    }
}

fn secs(epoch: &Arc<Mutex<Instant>>) -> f64 {
    epoch
        .lock()
        .map(|e| e.elapsed().as_secs_f64())
        .unwrap_or_default()
}

/// The head of a request or response: its first line and lower-cased headers.
struct Head {
    raw: Vec<u8>,
    first: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }
    fn length(&self) -> Option<u64> {
        self.header("content-length")
            .and_then(|v| v.trim().parse().ok())
    }
}

/// Read a head; `Ok(None)` at a clean end of stream.
fn read_head(r: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut raw = Vec::new();
    let mut first = String::new();
    let mut headers = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = r.read_until(b'\n', &mut line)?;
        if n == 0 {
            return if raw.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        raw.extend_from_slice(&line);
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        if text.is_empty() {
            if first.is_empty() {
                // Stray CRLF between messages.
                raw.clear();
                continue;
            }
            return Ok(Some(Head {
                raw,
                first,
                headers,
            }));
        }
        if first.is_empty() {
            first = text;
        } else if let Some((k, v)) = text.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
}

/// A writer that passes bytes on and keeps a copy.
struct Tee<'a, W: Write> {
    inner: &'a mut W,
    copy: Option<&'a mut Vec<u8>>,
}

impl<W: Write> Write for Tee<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(c) = self.copy.as_deref_mut() {
            c.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Pass a body on: chunked, fixed length, or (neither) nothing.
fn forward_body(head: &Head, r: &mut impl BufRead, w: &mut impl Write) -> io::Result<()> {
    if head.chunked() {
        loop {
            let mut line = Vec::new();
            if r.read_until(b'\n', &mut line)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            w.write_all(&line)?;
            let size_text = String::from_utf8_lossy(&line);
            let size =
                u64::from_str_radix(size_text.trim().split(';').next().unwrap_or("0").trim(), 16)
                    .unwrap_or(0);
            if size == 0 {
                // Trailers up to the empty line.
                loop {
                    let mut t = Vec::new();
                    if r.read_until(b'\n', &mut t)? == 0 {
                        return Ok(());
                    }
                    w.write_all(&t)?;
                    if t == b"\r\n" || t == b"\n" {
                        return Ok(());
                    }
                }
            }
            io::copy(&mut r.by_ref().take(size + 2), w)?;
            w.flush()?;
        }
    } else if let Some(n) = head.length() {
        io::copy(&mut r.by_ref().take(n), w)?;
    }
    w.flush()
}

fn serve(
    client: UnixStream,
    server: UnixStream,
    state: &Arc<Mutex<State>>,
    epoch: &Arc<Mutex<Instant>>,
) -> io::Result<()> {
    let mut c_read = BufReader::new(client.try_clone()?);
    let mut c_write = client.try_clone()?;
    let mut s_read = BufReader::new(server.try_clone()?);
    let mut s_write = server.try_clone()?;
    loop {
        // Wait for the next request's first byte; that is when the call starts.
        if c_read.fill_buf()?.is_empty() {
            return Ok(());
        }
        let start = secs(epoch);
        let Some(req) = read_head(&mut c_read)? else {
            return Ok(());
        };
        s_write.write_all(&req.raw)?;
        forward_body(&req, &mut c_read, &mut s_write)?;
        let mut parts = req.first.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let full = parts.next().unwrap_or_default().to_string();
        let path = match full.strip_prefix("/v1.") {
            Some(rest) => rest
                .find('/')
                .map(|i| rest[i..].to_string())
                .unwrap_or(full.clone()),
            None => full.clone(),
        };
        let Some(resp) = read_head(&mut s_read)? else {
            return Ok(());
        };
        c_write.write_all(&resp.raw)?;
        let status: u16 = resp
            .first
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut note = String::new();
        let record = |end: f64, note: &str| {
            if let Ok(mut s) = state.lock() {
                s.calls.push(Call {
                    method: method.clone(),
                    path: path.clone(),
                    status,
                    start,
                    end,
                    note: note.to_string(),
                });
            }
        };
        let hijacked = status == 101
            || resp
                .header("content-type")
                .is_some_and(|t| t.contains("vnd.docker.raw-stream") || t.contains("multiplexed"))
                && resp.length().is_none()
                && !resp.chunked();
        if hijacked {
            // Raw both ways until the daemon hangs up.
            let mut up = s_write;
            let mut from_client = c_read;
            let t = thread::spawn(move || {
                let _ = io::copy(&mut from_client, &mut up);
                let _ = up.shutdown(std::net::Shutdown::Write);
            });
            let _ = io::copy(&mut s_read, &mut c_write);
            record(secs(epoch), &note);
            let _ = client.shutdown(std::net::Shutdown::Both);
            let _ = t.join();
            return Ok(());
        }
        let no_body = method == "HEAD" || status == 204 || status == 304 || status < 200;
        if no_body {
            c_write.flush()?;
        } else if resp.chunked() || resp.length().is_some() {
            let is_build = method == "POST" && path.starts_with("/build");
            let mut copy = Vec::new();
            let mut tee = Tee {
                inner: &mut c_write,
                copy: is_build.then_some(&mut copy),
            };
            forward_body(&resp, &mut s_read, &mut tee)?;
            if is_build {
                let text = String::from_utf8_lossy(&copy);
                note = format!(
                    "steps {}, cached {}",
                    text.matches("Step ").count(),
                    text.matches("Using cache").count()
                );
            }
        } else {
            // Delimited by the connection's end.
            io::copy(&mut s_read, &mut c_write)?;
            record(secs(epoch), &note);
            let _ = client.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
        record(secs(epoch), &note);
        if resp
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
        {
            let _ = client.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
    }
}

/// The total length of the union of the calls' intervals (time with at least one call open).
pub fn union_secs(calls: &[Call]) -> f64 {
    let mut iv: Vec<(f64, f64)> = calls.iter().map(|c| (c.start, c.end)).collect();
    iv.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut cur: Option<(f64, f64)> = None;
    for (s, e) in iv {
        cur = match cur {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some((cs, ce)) = cur {
        total += ce - cs;
    }
    total
}
