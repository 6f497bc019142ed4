//! Load benchmark for `dockdojo workshop serve` (a harness, not a test): N simulated students
//! (default 300) each report a check result every 2 s for a while (default 60 s), while a
//! projector board is connected to the live event stream. Prints report latency (p50/p90/p99/max),
//! error counts, the server's memory (resident, peak) and the board's refresh delay: from the
//! moment a marked student's report is acknowledged to the first board event that shows it.
//!
//! Run: `cargo bench --bench workshop_load` (env: STUDENTS=300 SECONDS=60 INTERVAL_MS=2000).
//! The server is the release binary, started on 127.0.0.1 with a fresh data folder; the load
//! comes from the same machine, so both share its cores. Each student connects from an address
//! of its own in 127.0.0.0/8 (a laptop of its own: the server's limits are per address), and
//! the board probe is one of the STUDENTS, so `STUDENTS=2000` is the server's full room.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::Mutex;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "dockdojo"])
        .current_dir(root)
        .status()
        .expect("cargo build");
    assert!(status.success(), "release build failed");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    target.join("release/dockdojo")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Server {
    child: Child,
    url: String,
    instructor: Value,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server(bin: &Path, data: &Path) -> Server {
    let port = free_port();
    let child = Command::new(bin)
        .args(["workshop", "serve", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data")
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let url = format!("http://127.0.0.1:{port}");
    // Owned at once, so the server is killed and reaped on every way out.
    let mut server = Server {
        child,
        url: url.clone(),
        instructor: Value::Null,
    };
    let file = data.join("instructor.json");
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&file) {
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                let ok = reqwest::Client::new()
                    .get(format!("{url}/api/room"))
                    .bearer_auth(v["instructor_token"].as_str().unwrap_or(""))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    server.instructor = v;
                    return server;
                }
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Exercises the students work on, each with one of its check ids (the server accepts only
/// the course's own).
const EXERCISES: [(&str, &str); 6] = [
    ("00-first-container", "created"),
    ("01-writable-layer", "a-running"),
    ("02-graceful-stop", "builds"),
    ("03-cache-order", "cache"),
    ("04-bind-address", "answers"),
    ("05-named-volume", "kept"),
];

fn report(i: u64, n: u64) -> Value {
    let (ex, check) = EXERCISES[(i + n) as usize % EXERCISES.len()];
    let passed = n % 3 == 2;
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "kind": "check",
        "exercise": ex,
        "passed": passed,
        "failed": if passed { vec![] } else { vec![check] },
        "summary": if passed { "passed" } else { "step 2: the port does not answer" },
        "hints_used": (n % 4) as u32,
    })
}

/// An HTTP client for student `i`, on an address of its own (127.1.x.y).
fn laptop(i: u64) -> reqwest::Client {
    let ip = std::net::Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250) as u8 + 1);
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(ip))
        .build()
        .expect("an HTTP client")
}

/// The board's probe: the marked report's number and when it was acknowledged, until a board
/// event shows it.
type Marker = Arc<Mutex<Option<(u32, Instant)>>>;

#[tokio::main]
async fn main() {
    let students = env_num("STUDENTS", 300);
    let seconds = env_num("SECONDS", 60);
    let interval = Duration::from_millis(env_num("INTERVAL_MS", 2000));
    let bin = binary();
    let data = tempfile::tempdir().unwrap();
    let server = start_server(&bin, data.path()).await;
    let pid = server.child.id();
    let code = server.instructor["join_code"].as_str().unwrap().to_string();
    let board_key = server.instructor["board_key"].as_str().unwrap().to_string();
    let url = server.url.clone();
    println!(
        "workshop load: {students} students, a report each every {} ms for {seconds} s",
        interval.as_millis()
    );
    let (rss0, _) = memory_kib(pid);

    // Join everyone but the board probe (each student its own client, connection and address,
    // like separate laptops).
    let mut tokens = Vec::new();
    for i in 0..students.saturating_sub(1) {
        let name = format!("student {i:03}");
        tokens.push(join(laptop(i), &url, &code, &name, ("join", "join accepted")).await);
    }
    let (rss_joined, _) = memory_kib(pid);

    let board = Board::follow(&url, &board_key).await;
    let probe = join(
        laptop(students.saturating_sub(1)),
        &url,
        &code,
        "board probe",
        (
            "join the board probe",
            "the board probe joins (inside the room's cap)",
        ),
    )
    .await;

    let load = Load::start(&url, tokens, students, seconds, interval);
    // Memory and the board probe while the load runs.
    let peak_rss = watch(&url, &probe, &board.marker, pid, interval, load.deadline).await;
    for t in load.tasks {
        let _ = t.await;
    }
    let (rss_end, hwm) = memory_kib(pid);
    let mut lat = load.latencies.lock().await.clone();
    lat.sort_by(f64::total_cmp);
    let mut delays = board.delays.lock().await.clone();
    delays.sort_by(f64::total_cmp);
    let errors = load.errors.load(std::sync::atomic::Ordering::Relaxed);
    print_reports(&lat, errors, seconds);
    println!(
        "board refresh delay ms ({} probes): p50 {:.0}  max {:.0}  ({} events received)",
        delays.len(),
        percentile(&delays, 0.5),
        delays.last().copied().unwrap_or(f64::NAN),
        board.events.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!(
        "server memory: {:.1} MiB at start, {:.1} MiB after joins, {:.1} MiB at the end, peak resident {:.1} MiB (sampled {:.1})",
        rss0 as f64 / 1024.0,
        rss_joined as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        hwm as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    );
    let db = data.path().join("workshop.db");
    println!(
        "database: {:.1} MiB (+ WAL {:.1} MiB)",
        std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0,
        std::fs::metadata(data.path().join("workshop.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0) as f64
            / 1048576.0
    );
}

/// Join the room as `name` from `client`: the client and its token. `expect`: what the panics
/// say when the request fails or is refused.
async fn join(
    client: reqwest::Client,
    url: &str,
    code: &str,
    name: &str,
    expect: (&str, &str),
) -> (reqwest::Client, String) {
    let r: Value = client
        .post(format!("{url}/api/join"))
        .json(&json!({"code": code, "name": name}))
        .send()
        .await
        .expect(expect.0)
        .error_for_status()
        .expect(expect.1)
        .json()
        .await
        .unwrap();
    (client, r["token"].as_str().unwrap().to_string())
}

/// The projector board: the time from a marked report's acknowledgement to the first board
/// event that shows it.
struct Board {
    marker: Marker,
    delays: Arc<Mutex<Vec<f64>>>,
    events: Arc<std::sync::atomic::AtomicU64>,
}

impl Board {
    /// Open the board's event stream and read it in a task of its own.
    async fn follow(url: &str, board_key: &str) -> Board {
        let board = Board {
            marker: Arc::new(Mutex::new(None)),
            delays: Arc::new(Mutex::new(Vec::new())),
            events: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        };
        let (marker, delays, events) = (
            board.marker.clone(),
            board.delays.clone(),
            board.events.clone(),
        );
        let resp = reqwest::Client::new()
            .get(format!("{url}/board/events?key={board_key}"))
            .send()
            .await
            .expect("board stream");
        assert!(
            resp.status().is_success(),
            "board stream: {}",
            resp.status()
        );
        tokio::spawn(async move {
            let mut stream = resp.bytes_stream();
            let mut buf = String::new();
            while let Some(Ok(chunk)) = stream.next().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let event: String = buf.drain(..end + 2).collect();
                    let data: String = event
                        .lines()
                        .filter_map(|l| l.strip_prefix("data:"))
                        .map(str::trim_start)
                        .collect();
                    if data.is_empty() {
                        continue;
                    }
                    events.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Ok(room) = serde_json::from_str::<Value>(&data) else {
                        continue;
                    };
                    seen(&room, &marker, &delays).await;
                }
            }
        });
        board
    }
}

/// One board event: when it shows the marked probe report, its delay is recorded and the
/// marker cleared.
async fn seen(room: &Value, marker: &Marker, delays: &Mutex<Vec<f64>>) {
    let mut m = marker.lock().await;
    if let Some((want, at)) = *m {
        let seen = room["students"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == "board probe"))
            .and_then(|s| s["cells"]["13-non-root"]["attempts"].as_u64())
            .unwrap_or(0);
        if seen >= u64::from(want) {
            delays
                .lock()
                .await
                .push(at.elapsed().as_secs_f64() * 1000.0);
            *m = None;
        }
    }
}

/// The load: every student reports every `interval` until the deadline, starting at a spread
/// offset; each acknowledged report's latency, and the failures.
struct Load {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    latencies: Arc<Mutex<Vec<f64>>>,
    errors: Arc<std::sync::atomic::AtomicU64>,
    deadline: Instant,
}

impl Load {
    fn start(
        url: &str,
        tokens: Vec<(reqwest::Client, String)>,
        students: u64,
        seconds: u64,
        interval: Duration,
    ) -> Load {
        let latencies = Arc::new(Mutex::new(Vec::<f64>::with_capacity(
            (students * seconds * 1000 / interval.as_millis() as u64) as usize + 16,
        )));
        let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for (i, (client, token)) in tokens.into_iter().enumerate() {
            let (url, latencies, errors) = (url.to_string(), latencies.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                let offset = interval.mul_f64((i as f64 * 0.618_033_988_7).fract());
                tokio::time::sleep(offset).await;
                let mut tick = tokio::time::interval(interval);
                let mut n = 0;
                while Instant::now() < deadline {
                    tick.tick().await;
                    let body = report(i as u64, n);
                    n += 1;
                    let t = Instant::now();
                    let ok = client
                        .post(format!("{url}/api/report"))
                        .bearer_auth(&token)
                        .json(&body)
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    if ok {
                        latencies.lock().await.push(ms);
                    } else {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }));
        }
        Load {
            tasks,
            latencies,
            errors,
            deadline,
        }
    }
}

/// Until the deadline, every `interval`: the server's resident memory, and a marked report from
/// the board probe once the last one has shown on the board. The peak resident KiB sampled.
async fn watch(
    url: &str,
    probe: &(reqwest::Client, String),
    marker: &Marker,
    pid: u32,
    interval: Duration,
    deadline: Instant,
) -> u64 {
    let mut peak_rss = 0;
    let mut probe_n = 0u32;
    while Instant::now() < deadline {
        tokio::time::sleep(interval).await;
        peak_rss = peak_rss.max(memory_kib(pid).0);
        if marker.lock().await.is_some() {
            continue; // the last probe has not been seen yet
        }
        probe_n += 1;
        let body = json!({
            "id": uuid::Uuid::new_v4().to_string(), "kind": "check", "exercise": "13-non-root",
            "passed": false, "failed": ["runs"], "summary": "probe",
        });
        let ok = probe
            .0
            .post(format!("{url}/api/report"))
            .bearer_auth(&probe.1)
            .json(&body)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            *marker.lock().await = Some((probe_n, Instant::now()));
        }
    }
    peak_rss
}

fn print_reports(lat: &[f64], errors: u64, seconds: u64) {
    println!(
        "reports: {} acknowledged, {} failed, {:.0}/s",
        lat.len(),
        errors,
        lat.len() as f64 / seconds as f64
    );
    println!(
        "report latency ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        percentile(lat, 0.5),
        percentile(lat, 0.9),
        percentile(lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
}
