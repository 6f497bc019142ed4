//! Daemon faults without touching the shared Docker daemon: a Unix-socket [`Proxy`] in front of
//! `/var/run/docker.sock` that can play a daemon that went away, restarted or hangs, and a
//! [`FakeApi`] that answers the Docker API itself (a daemon that ignores label filters, a full
//! disk, a runtime without healthchecks). Point the real binary at either with
//! `DOCKER_HOST=unix://<socket>`. Plain std threads: nothing here needs the test to be async.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The real daemon behind the proxy.
pub const DOCKER_SOCK: &str = "/var/run/docker.sock";

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pass everything through.
    Forward,
    /// The daemon is gone: connections are cut and new ones refused (ECONNREFUSED).
    Down,
    /// The daemon hangs: connections are accepted, nothing is ever answered.
    Hang,
}

struct Shared {
    mode: Mutex<Mode>,
    conns: Mutex<Vec<UnixStream>>,
    accepted: AtomicUsize,
    /// Bytes sent from clients to the daemon.
    uploaded: AtomicU64,
    /// Client-to-daemon bytes per second (0: unlimited).
    throttle: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }

    fn cut_all(&self) {
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

/// A fault-injecting proxy to the real daemon; stops (cutting every connection) on drop.
pub struct Proxy {
    pub socket: PathBuf,
    shared: Arc<Shared>,
    _dir: tempfile::TempDir,
}

impl Proxy {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("proxy.sock");
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Forward),
            conns: Mutex::new(Vec::new()),
            accepted: AtomicUsize::new(0),
            uploaded: AtomicU64::new(0),
            throttle: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let listener = bind(&socket);
        let (s, path) = (shared.clone(), socket.clone());
        std::thread::spawn(move || accept_loop(s, path, Some(listener)));
        Self {
            socket,
            shared,
            _dir: dir,
        }
    }

    /// `unix:///…/proxy.sock`, for DOCKER_HOST.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The daemon went away: cut every connection, refuse new ones.
    pub fn down(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Down;
        self.shared.cut_all();
    }

    /// The daemon restarted: every open connection is cut, new ones are served again.
    pub fn restart(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Forward;
        self.shared.cut_all();
    }

    /// The daemon hangs: nothing sent from now on is answered (open connections included).
    pub fn hang(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Hang;
    }

    /// Back to normal (after `down` or `hang`); held connections are cut.
    pub fn up(&self) {
        self.shared.cut_all();
        *self.shared.mode.lock().unwrap() = Mode::Forward;
    }

    /// Limit client-to-daemon traffic (a slow upload); 0 lifts the limit.
    pub fn throttle(&self, bytes_per_second: u64) {
        self.shared
            .throttle
            .store(bytes_per_second, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Bytes clients sent to the daemon so far.
    pub fn uploaded(&self) -> u64 {
        self.shared.uploaded.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.cut_all();
    }
}

fn bind(path: &Path) -> UnixListener {
    let _ = std::fs::remove_file(path);
    let l = UnixListener::bind(path).unwrap();
    l.set_nonblocking(true).unwrap();
    l
}

fn accept_loop(shared: Arc<Shared>, path: PathBuf, mut listener: Option<UnixListener>) {
    while !shared.stop.load(Ordering::SeqCst) {
        if shared.mode() == Mode::Down {
            // Closing the listener while the socket file stays: clients get ECONNREFUSED, as
            // from a daemon that died.
            listener = None;
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let l = listener.get_or_insert_with(|| bind(&path));
        match l.accept() {
            Ok((client, _)) => {
                client.set_nonblocking(false).unwrap();
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let s = shared.clone();
                std::thread::spawn(move || serve(s, client));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn serve(shared: Arc<Shared>, client: UnixStream) {
    let Ok(daemon) = UnixStream::connect(DOCKER_SOCK) else {
        return;
    };
    {
        let mut conns = shared.conns.lock().unwrap();
        conns.push(client.try_clone().unwrap());
        conns.push(daemon.try_clone().unwrap());
    }
    let (c2, d2, s2) = (
        client.try_clone().unwrap(),
        daemon.try_clone().unwrap(),
        shared.clone(),
    );
    std::thread::spawn(move || pump(s2, c2, d2, true));
    pump(shared, daemon, client, false);
}

/// Copy `from` → `to` until either side closes, obeying the mode.
fn pump(shared: Arc<Shared>, mut from: UnixStream, mut to: UnixStream, upstream: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        while shared.mode() == Mode::Hang && !shared.stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        if shared.mode() == Mode::Down || shared.stop.load(Ordering::SeqCst) {
            break;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        if upstream {
            shared.uploaded.fetch_add(n as u64, Ordering::SeqCst);
            let rate = shared.throttle.load(Ordering::SeqCst);
            if rate > 0 {
                std::thread::sleep(Duration::from_secs_f64(n as f64 / rate as f64));
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

// ---------------------------------------------------------------------------------------------
// A fake Docker API
// ---------------------------------------------------------------------------------------------

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Without the `/v1.NN` prefix and without the query.
    pub path: String,
    pub query: String,
    pub body: Vec<u8>,
}

/// An answer: status, content type, body.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(v: serde_json::Value) -> Self {
        Self {
            status: 200,
            content_type: "application/json",
            body: v.to_string().into_bytes(),
        }
    }

    /// `{"message": …}` with a status, as the daemon reports errors.
    pub fn error(status: u16, message: &str) -> Self {
        Self {
            status,
            ..Self::json(serde_json::json!({ "message": message }))
        }
    }

    /// A JSON-lines stream (build output).
    pub fn stream(lines: &[serde_json::Value]) -> Self {
        let mut body = Vec::new();
        for l in lines {
            body.extend_from_slice(l.to_string().as_bytes());
            body.push(b'\n');
        }
        Self {
            status: 200,
            content_type: "application/json",
            body,
        }
    }
}

type Handler = dyn Fn(&Request) -> Option<Response> + Send + Sync;

/// A fake daemon on a Unix socket. `/_ping` and `/version` are answered (as Docker 20.10, or
/// Podman with [`FakeApi::podman`]); the managed-resource lists are empty; everything else goes
/// to the test's handler, and what the handler does not answer is a 404. Every request is logged.
pub struct FakeApi {
    pub socket: PathBuf,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
}

impl FakeApi {
    pub fn start(handler: impl Fn(&Request) -> Option<Response> + Send + Sync + 'static) -> Self {
        Self::start_as("Engine", handler)
    }

    /// A fake that says it is Podman.
    pub fn podman(handler: impl Fn(&Request) -> Option<Response> + Send + Sync + 'static) -> Self {
        Self::start_as("Podman Engine", handler)
    }

    fn start_as(
        component: &'static str,
        handler: impl Fn(&Request) -> Option<Response> + Send + Sync + 'static,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("fake.sock");
        let listener = bind(&socket);
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (l2, s2) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((c, _)) => {
                        c.set_nonblocking(false).unwrap();
                        let (l3, h3) = (l2.clone(), handler.clone());
                        std::thread::spawn(move || http_conn(c, &l3, &*h3, component));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            socket,
            log,
            stop,
            _dir: dir,
        }
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// `METHOD path` of every request so far.
    pub fn calls(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn default_answer(r: &Request, component: &str) -> Response {
    match (r.method.as_str(), r.path.as_str()) {
        (_, "/_ping") => Response {
            status: 200,
            content_type: "text/plain",
            body: if r.method == "HEAD" {
                vec![]
            } else {
                b"OK".to_vec()
            },
        },
        ("GET", "/version") => Response::json(serde_json::json!({
            "Version": "20.10.24", "ApiVersion": "1.41", "MinAPIVersion": "1.12",
            "Os": "linux", "Arch": "amd64",
            "Components": [{"Name": component, "Version": "20.10.24"}]
        })),
        ("GET", "/containers/json") | ("GET", "/networks") | ("GET", "/images/json") => {
            Response::json(serde_json::json!([]))
        }
        ("GET", "/volumes") => Response::json(serde_json::json!({"Volumes": [], "Warnings": []})),
        _ => Response::error(
            404,
            &format!("the fake daemon has no {} {}", r.method, r.path),
        ),
    }
}

/// Serve HTTP/1.1 requests on one connection until the client closes it.
fn http_conn(c: UnixStream, log: &Mutex<Vec<Request>>, handler: &Handler, component: &str) {
    let mut out = c.try_clone().unwrap();
    let mut rd = BufReader::new(c);
    loop {
        let mut line = String::new();
        if rd.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, target) = (method.to_string(), target.to_string());
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            let mut h = String::new();
            if rd.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_lowercase(), v.trim());
                if k == "content-length" {
                    length = v.parse().unwrap_or(0);
                } else if k == "transfer-encoding" && v.contains("chunked") {
                    chunked = true;
                }
            }
        }
        let mut body = vec![0u8; length];
        if rd.read_exact(&mut body).is_err() {
            return;
        }
        if chunked {
            loop {
                let mut size = String::new();
                if rd.read_line(&mut size).unwrap_or(0) == 0 {
                    return;
                }
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0u8; n + 2];
                if rd.read_exact(&mut chunk).is_err() {
                    return;
                }
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (target.clone(), String::new()),
        };
        let path = match path.strip_prefix("/v1.") {
            Some(rest) => rest
                .find('/')
                .map(|i| rest[i..].to_string())
                .unwrap_or(path.clone()),
            None => path,
        };
        let req = Request {
            method,
            path,
            query,
            body,
        };
        log.lock().unwrap().push(req.clone());
        let resp = handler(&req).unwrap_or_else(|| default_answer(&req, component));
        // As the real daemons name themselves in every answer's headers.
        let server = if component == "Podman Engine" {
            "Libpod/4.3.1 (linux)"
        } else {
            "Docker/20.10.24 (linux)"
        };
        let head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nApi-Version: 1.41\r\n\
             Server: {server}\r\n\r\n",
            resp.status,
            resp.content_type,
            resp.body.len()
        );
        if out.write_all(head.as_bytes()).is_err()
            || (req.method != "HEAD" && out.write_all(&resp.body).is_err())
        {
            return;
        }
    }
}
