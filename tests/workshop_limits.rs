//! The attacks a hostile student can make on `dockdojo workshop serve`, each against the real
//! server on 127.0.0.1 (docs/RELIABILITY.md cases 39–47): addresses from 127.0.0.0/8 stand for
//! different laptops. Each test runs its attack and shows the room is still served meanwhile:
//! another student's report is acknowledged within [`STILL_SERVED`] (generous: it proves "served",
//! not "fast"; the measured time is printed), the right join code joins, and the board shows only
//! the course's check ids.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A report acknowledged within this while an attack runs counts as "the room is served".
const STILL_SERVED: Duration = Duration::from_secs(2);

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dockdojo"))
}

/// A running `workshop serve`; killed when dropped.
struct Server {
    child: Child,
    url: String,
    addr: SocketAddr,
    token: String,
    code: String,
    board_key: String,
    banner: String,
}

impl Server {
    fn start(data: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(bin())
            .args(["workshop", "serve", "--bind", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dockdojo workshop serve");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let mut banner = String::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| panic!("the server did not start:\n{banner}"));
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("Serving.") {
                break;
            }
        }
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(data.join("instructor.json")).unwrap())
                .unwrap();
        let url = file["url"].as_str().unwrap().to_string();
        Self {
            child,
            addr: url.trim_start_matches("http://").parse().unwrap(),
            url,
            token: file["instructor_token"].as_str().unwrap().to_string(),
            code: file["join_code"].as_str().unwrap().to_string(),
            board_key: file["board_key"].as_str().unwrap().to_string(),
            banner,
        }
    }

    fn room(&self) -> Value {
        let r = from(1)
            .get(format!("{}/api/room", self.url))
            .bearer_auth(&self.token)
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().unwrap()
    }

    fn join(&self, c: &Client, code: &str, name: &str) -> (StatusCode, String) {
        let r = c
            .post(format!("{}/api/join", self.url))
            .json(&json!({"code": code, "name": name}))
            .send()
            .unwrap();
        (r.status(), r.text().unwrap())
    }

    /// A student joined from `c`: (id, token).
    fn student(&self, c: &Client, name: &str) -> (i64, String) {
        let (st, body) = self.join(c, &self.code, name);
        assert_eq!(st, StatusCode::OK, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        (
            v["student_id"].as_i64().unwrap(),
            v["token"].as_str().unwrap().to_string(),
        )
    }

    fn report(&self, c: &Client, token: &str, body: &Value) -> reqwest::blocking::Response {
        c.post(format!("{}/api/report", self.url))
            .bearer_auth(token)
            .json(body)
            .send()
            .unwrap()
    }

    /// The room still serves a real student: a fresh laptop (`from_addr`) joins with the right
    /// code and its report is acknowledged within [`STILL_SERVED`].
    fn still_serves(&self, from_addr: u8, what: &str) {
        let c = from(from_addr);
        let t = Instant::now();
        let (_, token) = self.student(&c, &format!("student {from_addr}"));
        let joined = t.elapsed();
        let t = Instant::now();
        let r = self.report(
            &c,
            &token,
            &check("00-first-container", false, &["created"]),
        );
        let acked = t.elapsed();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().unwrap());
        eprintln!("{what}: joined in {joined:?}, report acknowledged in {acked:?}");
        assert!(
            acked < STILL_SERVED,
            "{what}: the report took {acked:?} to be acknowledged"
        );
    }
}

impl Server {
    /// The server's resident memory in MiB (Linux; 0 elsewhere), printed beside the attacks.
    fn rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<f64>().ok())
            })
            .unwrap_or(0.0)
            / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client on 127.0.0.`n` (another "laptop").
fn from(n: u8) -> Client {
    from_ip(IpAddr::from([127, 0, 0, n]))
}

fn from_ip(ip: IpAddr) -> Client {
    Client::builder()
        .no_proxy()
        .local_address(ip)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A TCP connection from `ip` to the server.
fn tcp_from(ip: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    // A small receive window, as on a slow laptop: what is not read stays on the server.
    sock.set_recv_buffer_size(64 * 1024)?;
    sock.bind(&SocketAddr::new(ip, 0).into())?;
    sock.connect_timeout(&to.into(), Duration::from_secs(5))?;
    Ok(sock.into())
}

fn check(exercise: &str, passed: bool, failed: &[&str]) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "kind": "check",
        "exercise": exercise,
        "passed": passed,
        "failed": failed,
        "summary": if passed { "passed" } else { "a check failed" },
        "hints_used": 0,
    })
}

/// Whether the server closed `t` (EOF or reset) within `wait`, after whatever it had sent;
/// returns the bytes read.
fn closed_within(t: &mut TcpStream, wait: Duration) -> Option<usize> {
    let until = Instant::now() + wait;
    let mut n = 0;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        t.set_read_timeout(Some(left)).unwrap();
        match t.read(&mut buf) {
            Ok(0) => return Some(n),
            Ok(k) => n += k,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None
            }
            Err(_) => return Some(n),
        }
    }
}

/// A `docker save`-shaped archive with a layer of `layer_bytes`.
fn archive(dir: &Path, layer_bytes: usize) -> PathBuf {
    let path = dir.join("course-images.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
    let manifest =
        br#"[{"Config":"c.json","RepoTags":["busybox:1.36.1"],"Layers":["l/layer.tar"]}]"#;
    let mut h = tar::Header::new_gnu();
    h.set_size(manifest.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "manifest.json", &manifest[..])
        .unwrap();
    let layer: Vec<u8> = (0..layer_bytes).map(|i| (i * 7 % 251) as u8).collect();
    let mut h = tar::Header::new_gnu();
    h.set_size(layer.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "l/layer.tar", &layer[..]).unwrap();
    b.finish().unwrap();
    path
}

/// Case 39 (finding 1): 1 100 connections from four laptops ask for the archive and never
/// read. Each address holds at most its connection share and two downloads; the stalled
/// downloads are closed once they fall under the minimum rate; meanwhile students join, report
/// and download the archive in full.
#[test]
fn case_39_a_stalled_archive_flood_leaves_the_room_served() {
    let dir = tempfile::tempdir().unwrap();
    let size = 48 << 20;
    let archive = archive(dir.path(), size);
    let total = std::fs::metadata(&archive).unwrap().len() as usize;
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &["--archive", archive.to_str().unwrap()]);
    let mut held = Vec::new();
    for i in 0..1100 {
        let ip = IpAddr::from([127, 0, 1, 1 + (i % 4) as u8]);
        let Ok(mut t) = tcp_from(ip, s.addr) else {
            continue;
        };
        let req = format!("GET /images/archive HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr);
        if t.write_all(req.as_bytes()).is_ok() {
            held.push(t);
        }
    }
    s.still_serves(9, "during the archive flood");
    eprintln!(
        "archive flood: {} connections sent, server memory {:.1} MiB",
        held.len(),
        s.rss_mib()
    );
    // Another laptop downloads the whole archive while the flood is on.
    let r = from(10)
        .get(format!("{}/images/archive", s.url))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().unwrap().len(), total);
    // A third download from one address is told to come back later.
    let c = from(11);
    let mut mine = Vec::new();
    for _ in 0..2 {
        let mut t = tcp_from(IpAddr::from([127, 0, 0, 11]), s.addr).unwrap();
        t.write_all(format!("GET /images/archive HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr).as_bytes())
            .unwrap();
        let mut head = [0u8; 12];
        t.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        mine.push(t);
    }
    let r = c.get(format!("{}/images/archive", s.url)).send().unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    // The stalled downloads are closed by the server before they are complete: two windows of
    // the minimum rate (the first is filled by the socket buffers), then a margin.
    std::thread::sleep(Duration::from_secs(50));
    s.still_serves(13, "while the stalled downloads are cut");
    for mut t in mine {
        let got = closed_within(&mut t, Duration::from_secs(30))
            .expect("a stalled download is closed by the server");
        assert!(
            got < total,
            "the stalled download was not cut ({got} bytes)"
        );
    }
    s.still_serves(12, "after the archive flood");
}

/// Case 40 (finding 2): one laptop with the join code joins as fast as it can. It gets a
/// burst, then one a second; the room does not fill, and another laptop joins at once.
#[test]
fn case_40_a_join_flood_from_one_address_is_slowed() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let (ok, slowed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (url, code) = (s.url.clone(), s.code.clone());
            let (ok, slowed) = (ok.clone(), slowed.clone());
            std::thread::spawn(move || {
                let c = from(2);
                for i in 0..250 {
                    let r = c
                        .post(format!("{url}/api/join"))
                        .json(&json!({"code": code, "name": format!("bot {t}-{i}")}))
                        .send()
                        .unwrap();
                    match r.status() {
                        StatusCode::OK => ok.fetch_add(1, Ordering::Relaxed),
                        StatusCode::TOO_MANY_REQUESTS => {
                            assert!(r.headers().contains_key("retry-after"));
                            slowed.fetch_add(1, Ordering::Relaxed)
                        }
                        st => panic!("{st}: {}", r.text().unwrap()),
                    };
                }
            })
        })
        .collect();
    s.still_serves(3, "during the join flood");
    for t in threads {
        t.join().unwrap();
    }
    let (ok, slowed) = (ok.load(Ordering::Relaxed), slowed.load(Ordering::Relaxed));
    eprintln!("join flood: {ok} joined, {slowed} slowed");
    // A burst of 60 and one a second while the flood lasts (generously bounded).
    assert!((60..=200).contains(&ok), "{ok} joins went through");
    assert_eq!(ok + slowed, 1000);
    s.still_serves(4, "after the join flood");
    let room = s.room();
    assert_eq!(room["students"].as_array().unwrap().len(), ok + 2);
}

/// Case 41 (finding 3): one student token sends reports as fast as eight threads can. Past a
/// burst they are refused with 429 (the outbox keeps them), the database stays small, and other
/// students' reports are acknowledged meanwhile.
#[test]
fn case_41_a_report_flood_is_limited_per_student() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let (_, flooder) = s.student(&from(2), "flooder");
    let stored = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (url, token, stored) = (s.url.clone(), flooder.clone(), stored.clone());
            std::thread::spawn(move || {
                let c = from(2);
                for _ in 0..400 {
                    let mut body = check("03-cache-order", false, &["cache"]);
                    body["summary"] = json!("s".repeat(500));
                    let r = c
                        .post(format!("{url}/api/report"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .unwrap();
                    match r.status() {
                        StatusCode::OK => {
                            stored.fetch_add(1, Ordering::Relaxed);
                        }
                        StatusCode::TOO_MANY_REQUESTS => {
                            assert!(r.headers().contains_key("retry-after"));
                        }
                        st => panic!("{st}: {}", r.text().unwrap()),
                    }
                }
            })
        })
        .collect();
    s.still_serves(3, "during the report flood");
    for t in threads {
        t.join().unwrap();
    }
    let secs = started.elapsed().as_secs() as usize;
    let stored = stored.load(Ordering::Relaxed);
    eprintln!(
        "report flood: {stored} of 3200 stored in {secs} s, server memory {:.1} MiB",
        s.rss_mib()
    );
    assert!(
        stored <= 60 + secs + 2,
        "{stored} stored in {secs} s: not limited"
    );
    let db = std::fs::metadata(data.path().join("workshop.db"))
        .unwrap()
        .len()
        + std::fs::metadata(data.path().join("workshop.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    assert!(db < 8 << 20, "the database grew to {db} bytes");
    s.still_serves(4, "after the report flood");
}

/// Case 42 (finding 4): wrong codes from one address (a venue NAT, a tunnel) past the allowance
/// are answered slowly, exactly as a mistyped code; the right code from that same address
/// still joins at once.
#[test]
fn case_42_wrong_codes_are_slowed_and_the_right_code_always_joins() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = from(1);
    let (st, wrong) = s.join(&c, "aaaa-bbbb-cccc-dddd-eeee", "Mallory");
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(wrong, r#"{"error":"wrong join code"}"#);
    for i in 0..12 {
        let (st, body) = s.join(&c, &format!("guess-{i}"), "Mallory");
        assert_eq!((st, body.as_str()), (StatusCode::FORBIDDEN, wrong.as_str()));
    }
    // Past the allowance: still the wrong-code answer, after a delay.
    let t = Instant::now();
    let (st, body) = s.join(&c, "guess-again", "Mallory");
    assert_eq!((st, body.as_str()), (StatusCode::FORBIDDEN, wrong.as_str()));
    assert!(
        t.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    // A guesser keeps guessing in parallel; the right code, typed loosely, joins meanwhile
    // from the same address, and X-Forwarded-For changes nothing.
    let guesser = {
        let (url, c) = (s.url.clone(), c.clone());
        std::thread::spawn(move || {
            for i in 0..5 {
                let r = c
                    .post(format!("{url}/api/join"))
                    .header("X-Forwarded-For", "10.9.8.7")
                    .json(&json!({"code": format!("more-{i}"), "name": "Mallory"}))
                    .send()
                    .unwrap();
                assert_eq!(r.status(), StatusCode::FORBIDDEN);
            }
        })
    };
    let typed = s.code.to_uppercase().replace('-', " ");
    let t = Instant::now();
    let (st, body) = s.join(&c, &typed, "Alice");
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(t.elapsed() < STILL_SERVED, "{:?}", t.elapsed());
    s.still_serves(1, "behind the guessing address");
    guesser.join().unwrap();
    let names: Vec<String> = s.room()["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"Alice".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("Mallory")), "{names:?}");
}

/// Read SSE `data:` lines until one satisfies `want`.
fn next_view(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    want: impl Fn(&Value) -> bool,
) -> Value {
    for line in lines {
        let line = line.expect("the event stream ended");
        if let Some(data) = line.strip_prefix("data:") {
            let v: Value = serde_json::from_str(data.trim()).unwrap();
            if want(&v) {
                return v;
            }
        }
    }
    panic!("the event stream ended");
}

/// Case 43 (finding 5): free text as a failed check ("FREE PIZZA…") is refused; the board's
/// "failing right now" holds only the course's check ids; unknown doctor steps become "other".
#[test]
fn case_43_only_catalog_check_ids_reach_the_projector() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = from(2);
    let (_, token) = s.student(&c, "Mallory");
    for failed in [
        "FREE PIZZA IN ROOM 4 - CLASS IS OVER, GO",
        "Builds",
        "cache ",
        "said-hello", // a check of another exercise
    ] {
        let r = s.report(&c, &token, &check("03-cache-order", false, &[failed]));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{failed}");
        let e: Value = r.json().unwrap();
        assert!(
            e["error"].as_str().unwrap().contains("not a check of"),
            "{e}"
        );
    }
    let r = s.report(
        &c,
        &token,
        &check("03-cache-order", false, &["cache", "runs"]),
    );
    assert_eq!(r.status(), StatusCode::OK);
    let doctor = json!({"id": "d1", "kind": "doctor", "passed": false,
        "failed": ["daemon", "GO HOME NOW"], "summary": "daemon: no"});
    assert_eq!(s.report(&c, &token, &doctor).status(), StatusCode::OK);
    let prepare = json!({"id": "p1", "kind": "prepare", "passed": false, "failed": ["PIZZA"]});
    assert_eq!(
        s.report(&c, &token, &prepare).status(),
        StatusCode::BAD_REQUEST
    );
    s.still_serves(3, "after the graffiti");
    let r = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .get(format!("{}/board/events?key={}", s.url, s.board_key))
        .send()
        .unwrap();
    let mut lines = BufReader::new(r).lines();
    let v = next_view(&mut lines, |v| {
        v["failing"].as_array().is_some_and(|f| f.len() >= 2)
    });
    let failing: Vec<(String, String)> = v["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["exercise"].as_str().unwrap().to_string(),
                f["check"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        failing,
        vec![
            ("00-first-container".to_string(), "created".to_string()),
            ("03-cache-order".to_string(), "cache".to_string()),
        ]
    );
    assert!(!v.to_string().contains("PIZZA"), "{v}");
    // Summaries (free text) are for the instructor's views, never the board.
    assert!(!v.to_string().contains("a check failed"), "{v}");
    let room = s.room();
    assert!(room.to_string().contains("a check failed"), "{room}");
}

/// Case 44 (finding 6): someone who read the board key off the projector opens board streams
/// from their laptop: only a few are theirs, and the real projector still connects (and
/// reconnects).
#[test]
fn case_44_board_streams_are_capped_per_address() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let url = format!("{}/board/events?key={}", s.url, s.board_key);
    let thief = Client::builder()
        .no_proxy()
        .local_address(IpAddr::from([127, 0, 2, 1]))
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut open = Vec::new();
    let mut refused = 0;
    for _ in 0..40 {
        let r = thief.get(&url).send().unwrap();
        match r.status() {
            StatusCode::OK => open.push(r),
            StatusCode::SERVICE_UNAVAILABLE => refused += 1,
            st => panic!("{st}"),
        }
    }
    assert_eq!((open.len(), refused), (4, 36));
    let projector = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    for attempt in 0..3 {
        let r = projector.get(&url).send().unwrap();
        assert_eq!(r.status(), StatusCode::OK, "projector connection {attempt}");
        let mut lines = BufReader::new(r).lines();
        next_view(&mut lines, |v| v["self_reported"] == true);
    }
    s.still_serves(3, "with the board streams taken");
}

/// Case 45 (finding 7): 2 000 idle connections and 1 500 that send their request head a byte
/// at a time, from two laptops: a student's report is still acknowledged at once, and the
/// server closes what it does not serve.
#[test]
fn case_45_idle_and_slowloris_connections_do_not_delay_reports() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let mut idle = Vec::new();
    for _ in 0..2000 {
        if let Ok(t) = tcp_from(IpAddr::from([127, 0, 3, 1]), s.addr) {
            idle.push(t);
        }
    }
    let mut slow = Vec::new();
    for _ in 0..1500 {
        if let Ok(mut t) = tcp_from(IpAddr::from([127, 0, 3, 2]), s.addr) {
            let _ = t.write_all(b"G");
            slow.push(t);
        }
    }
    // The slow ones keep dribbling their head.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let dribble = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut open = slow.len();
            for _ in 0..30 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                open = 0;
                for t in &mut slow {
                    if t.write_all(b"E").is_ok() {
                        open += 1;
                    }
                }
                std::thread::sleep(Duration::from_millis(500));
            }
            open
        })
    };
    eprintln!(
        "idle and slowloris flood: server memory {:.1} MiB",
        s.rss_mib()
    );
    for i in 0..5 {
        s.still_serves(10 + i, "during the idle and slowloris flood");
        std::thread::sleep(Duration::from_millis(500));
    }
    // The idle ones are closed by the server (the first-byte timeout, or at once past the
    // address's share).
    let mut still_open = 0;
    for t in idle.iter_mut().take(200) {
        if closed_within(t, Duration::from_secs(10)).is_none() {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 0, "idle connections the server kept open");
    stop.store(true, Ordering::Relaxed);
    let _ = dribble.join();
    s.still_serves(20, "after the flood");
}

/// Case 47 (finding 9): names that show nothing are refused, names are unique in the room, and
/// the CSV export quotes `;` so a semicolon-locale spreadsheet cannot start a formula.
#[test]
fn case_47_names_are_normalised_unique_and_csv_quotes_semicolons() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = from(2);
    for blank in [
        "\u{200B}\u{200B}",
        "\u{3164}",
        "\u{115F}\u{1160}",
        "\u{FFA0} \u{2800}",
        "\u{2060}",
    ] {
        let (st, body) = s.join(&c, &s.code, blank);
        assert_eq!(st, StatusCode::BAD_REQUEST, "{blank:?}: {body}");
    }
    let names: Vec<String> = ["Ada", "ada\u{200B}", " Ada ", "Ada\u{00A0}Lovelace"]
        .iter()
        .map(|n| {
            let (st, body) = s.join(&c, &s.code, n);
            assert_eq!(st, StatusCode::OK, "{body}");
            serde_json::from_str::<Value>(&body).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["Ada", "ada (2)", "Ada (3)", "Ada Lovelace"]);
    let (_, token) = s.student(&c, ";=cmd|' /C calc'!A0");
    assert_eq!(
        s.report(&c, &token, &check("00-first-container", true, &[]))
            .status(),
        StatusCode::OK
    );
    let csv = from(1)
        .get(format!("{}/api/export?format=csv", s.url))
        .bearer_auth(&s.token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("\";=cmd|' /C calc'!A0\",")),
        "{csv}"
    );
    s.still_serves(3, "after the names");
}

/// Case 46 (finding 8), the server's side: the banner gives the archive's SHA-256 with the
/// command that pins it (the client's refusal of another digest is a unit test of
/// `prepare --from`).
#[test]
fn case_46_the_banner_gives_the_archive_digest_to_pin() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive(dir.path(), 100_000);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&archive).unwrap()))
    };
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &["--archive", archive.to_str().unwrap()]);
    assert!(
        s.banner
            .contains(&format!("dockdojo prepare --from {} --sha256 {sha}", s.url)),
        "{}",
        s.banner
    );
}

impl Server {
    fn moderate(&self, body: Value) -> (StatusCode, Value) {
        let r = from(1)
            .post(format!("{}/api/moderate", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .unwrap();
        (r.status(), r.json().unwrap_or(Value::Null))
    }
}

/// Case 40, the remedy (finding 2): after a join flood the instructor locks the room, removes
/// the bots, merges a ghost row, renames and hides a student, retracts a message, clears the
/// board's banner and rotates the join code; every change is kept across a restart. Only the
/// instructor token moderates.
#[test]
fn case_40_the_instructor_undoes_a_join_flood() {
    let data = tempfile::tempdir().unwrap();
    let mut s = Server::start(data.path(), &["--start-locked"]);
    assert_eq!(s.room()["locked"], true);
    let c = from(2);
    let (st, body) = s.join(&c, &s.code, "early bird");
    assert_eq!(st, StatusCode::LOCKED, "{body}");
    assert_eq!(
        s.moderate(json!({"action": "lock", "locked": false})).0,
        StatusCode::OK
    );
    let bots: Vec<i64> = (0..5)
        .map(|i| s.student(&c, &format!("bot {i}")).0)
        .collect();
    let (ada_old, ada_old_token) = s.student(&from(3), "Ada");
    let (ada, ada_token) = s.student(&from(3), "Ada");
    let (rude, _) = s.student(&from(4), "RUDE NAME");
    let r = s.report(
        &from(3),
        &ada_old_token,
        &check("00-first-container", false, &["created"]),
    );
    assert_eq!(r.status(), StatusCode::OK);
    let r = s.report(
        &from(3),
        &ada_token,
        &check("00-first-container", true, &[]),
    );
    assert_eq!(r.status(), StatusCode::OK);
    // Only the instructor moderates.
    let r = from(2)
        .post(format!("{}/api/moderate", s.url))
        .bearer_auth(&ada_token)
        .json(&json!({"action": "remove", "student": ada}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.moderate(json!({"action": "lock", "locked": true})).0,
        StatusCode::OK
    );
    for b in &bots {
        let (st, v) = s.moderate(json!({"action": "remove", "student": b}));
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    assert_eq!(
        s.moderate(json!({"action": "remove", "student": bots[0]}))
            .0,
        StatusCode::NOT_FOUND
    );
    let (st, v) = s.moderate(json!({"action": "merge", "from": ada, "into": ada_old}));
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["done"], "Ada (2) merged into Ada");
    let (st, v) = s.moderate(json!({"action": "rename", "student": rude, "name": "\u{200B}"}));
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, v) = s.moderate(json!({"action": "rename", "student": rude, "name": "ada"}));
    assert_eq!(
        (st, v["done"].clone()),
        (StatusCode::OK, json!("RUDE NAME is now ada (2)"))
    );
    assert_eq!(
        s.moderate(json!({"action": "hide", "student": rude, "hidden": true}))
            .0,
        StatusCode::OK
    );
    // A message, retracted; another, cleared from the board only.
    let msg = |text: &str| -> i64 {
        from(1)
            .post(format!("{}/api/message", s.url))
            .bearer_auth(&s.token)
            .json(&json!({"kind": "message", "text": text}))
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let oops = msg("the wrong room number");
    msg("back at 11:00");
    assert_eq!(
        s.moderate(json!({"action": "retract", "message": oops})).0,
        StatusCode::OK
    );
    assert_eq!(
        s.moderate(json!({"action": "clear_banner"})).0,
        StatusCode::OK
    );
    let (st, v) = s.moderate(json!({"action": "rotate_code"}));
    assert_eq!(st, StatusCode::OK, "{v}");
    let new_code = v["join_code"].as_str().unwrap().to_string();
    assert_ne!(new_code, s.code);
    assert_eq!(
        s.moderate(json!({"action": "lock", "locked": false})).0,
        StatusCode::OK
    );
    let (st, _) = s.join(&c, &s.code, "late bot");
    assert_eq!(st, StatusCode::FORBIDDEN, "the old code no longer joins");
    let (st, body) = s.join(&from(5), &new_code, "Bob");
    assert_eq!(st, StatusCode::OK, "{body}");
    // The merged student's old token still reports; the merged-away one does not.
    let r = s.report(
        &from(3),
        &ada_old_token,
        &check("03-cache-order", true, &[]),
    );
    assert_eq!(r.status(), StatusCode::OK);
    let r = s.report(&from(3), &ada_token, &check("03-cache-order", true, &[]));
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let check_room = |s: &Server| {
        let room = s.room();
        let names: Vec<&str> = room["students"]
            .as_array()
            .unwrap()
            .iter()
            .map(|st| st["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Ada", "ada (2)", "Bob"]);
        let ada = &room["students"][0];
        assert_eq!(ada["cells"]["00-first-container"]["attempts"], 2);
        assert_eq!(ada["cells"]["00-first-container"]["passed"], true);
        assert_eq!(room["students"][1]["hidden"], true);
        let texts: Vec<&str> = room["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap())
            .collect();
        assert_eq!(texts, ["back at 11:00"]);
        // The board: no hidden student, no banner.
        let r = Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
            .get(format!("{}/board/events?key={}", s.url, s.board_key))
            .send()
            .unwrap();
        let mut lines = BufReader::new(r).lines();
        let board = next_view(&mut lines, |_| true);
        let shown: Vec<&str> = board["students"]
            .as_array()
            .unwrap()
            .iter()
            .map(|st| st["name"].as_str().unwrap())
            .collect();
        assert_eq!(shown, ["Ada", "Bob"]);
        assert_eq!(board["messages"], json!([]));
    };
    check_room(&s);
    // Everything is in the database: a restart (same data folder) shows the same room, and the
    // instructor file carries the new code.
    let _ = s.child.kill();
    let _ = s.child.wait();
    s = Server::start(data.path(), &[]);
    assert_eq!(s.code, new_code);
    check_room(&s);
}
