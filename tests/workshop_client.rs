//! The student side of a workshop, through the real `dockdojo` binary against a scripted
//! workshop server on 127.0.0.1 (it can answer 500, 401 or refuse reports on demand): joining
//! stores the token privately; check reports are queued while the server is down and delivered
//! once, in order, by `workshop sync`; 409 counts as delivered, 401 keeps the reports, a corrupt
//! outbox file is set aside; `prepare --from` downloads, verifies and loads a real archive.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{dockdojo, text, workspace};
use serde_json::{json, Value};

const CODE: &str = "abcd-efgh-jkmn";
const TOKEN: &str = "student-token-7";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Up,
    /// Every report and view request: 500.
    Broken,
    /// Every report: 401 (the server forgot the student).
    Forgot,
}

#[derive(Default)]
struct Seen {
    /// Reports stored, in arrival order.
    reports: Vec<Value>,
    ids: HashSet<String>,
    /// Answers given to report requests.
    answers: Vec<u16>,
}

/// The image manifest and the archive bytes the server hands out.
type Archive = Option<(Value, Vec<u8>)>;

#[derive(Clone)]
struct Fake {
    mode: Arc<Mutex<Mode>>,
    seen: Arc<Mutex<Seen>>,
    view: Arc<Mutex<Value>>,
    archive: Arc<Mutex<Archive>>,
}

impl Fake {
    fn set(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }
    fn reports(&self) -> Vec<Value> {
        self.seen.lock().unwrap().reports.clone()
    }
    fn answers(&self) -> Vec<u16> {
        self.seen.lock().unwrap().answers.clone()
    }
}

fn authorised(h: &HeaderMap) -> bool {
    h.get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"))
}

fn error(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

async fn join(Json(body): Json<Value>) -> Response {
    let name = body["name"].as_str().unwrap_or("").to_string();
    if body["code"] != CODE {
        return error(StatusCode::FORBIDDEN, "wrong join code");
    }
    if name.chars().count() > 40 {
        return error(
            StatusCode::BAD_REQUEST,
            "the name is longer than 40 characters",
        );
    }
    Json(json!({ "student_id": 7, "token": TOKEN, "name": name })).into_response()
}

async fn report(State(f): State<Fake>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut seen = f.seen.lock().unwrap();
    let answer = if !authorised(&h) || f.mode() == Mode::Forgot {
        error(StatusCode::UNAUTHORIZED, "unknown token")
    } else if f.mode() == Mode::Broken {
        error(StatusCode::INTERNAL_SERVER_ERROR, "database is locked")
    } else if body["summary"] == "way too long" {
        error(
            StatusCode::BAD_REQUEST,
            "the summary is longer than 500 characters",
        )
    } else {
        let id = body["id"].as_str().unwrap_or("").to_string();
        if !seen.ids.insert(id) {
            error(StatusCode::CONFLICT, "already received")
        } else {
            seen.reports.push(body);
            Json(json!({ "received_at": 1_700_000_000 })).into_response()
        }
    };
    let code = answer.status().as_u16();
    seen.answers.push(code);
    answer
}

async fn student(State(f): State<Fake>, h: HeaderMap) -> Response {
    if !authorised(&h) {
        return error(StatusCode::UNAUTHORIZED, "unknown token");
    }
    if f.mode() == Mode::Broken {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "database is locked");
    }
    Json(f.view.lock().unwrap().clone()).into_response()
}

async fn manifest(State(f): State<Fake>) -> Response {
    match &*f.archive.lock().unwrap() {
        Some((m, _)) => Json(m.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "no archive"),
    }
}

async fn archive(State(f): State<Fake>) -> Response {
    match &*f.archive.lock().unwrap() {
        Some((_, bytes)) => (StatusCode::OK, bytes.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "no archive"),
    }
}

/// Start the scripted server on its own thread; returns its URL (without a scheme, as a
/// student might type it) and its controls.
fn fake_server() -> (String, Fake) {
    let fake = Fake {
        mode: Arc::new(Mutex::new(Mode::Up)),
        seen: Arc::default(),
        view: Arc::new(Mutex::new(json!({
            "unlocked_through": 2,
            "on_break": false,
            "messages": [{"id": 1, "kind": "message", "text": "Welcome to the room!", "exercise": null, "at": 1}]
        }))),
        archive: Arc::default(),
    };
    let app = Router::new()
        .route("/api/join", post(join))
        .route("/api/report", post(report))
        .route("/api/student", get(student))
        .route("/images/manifest", get(manifest))
        .route("/images/archive", get(archive))
        .with_state(fake.clone());
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    (rx.recv().unwrap().to_string(), fake)
}

fn outbox(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join(".dockdojo/outbox"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn joined(url: &str) -> (tempfile::TempDir, PathBuf) {
    let (t, root) = workspace();
    let o = dockdojo(
        &root,
        &["workshop", "join", url, CODE, "--name", "Ada"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    (t, root)
}

/// The first exercise fails fast on a fresh workspace (no container yet): a failing report.
const FIRST: &str = "00-first-container";

#[test]
fn join_stores_the_token_privately_and_shows_the_pacing() {
    let (url, _fake) = fake_server();
    let (_t, root) = workspace();
    let o = dockdojo(
        &root,
        &[
            "workshop",
            "join",
            &format!("{url}/"),
            CODE,
            "--name",
            "Ada",
        ],
        &[],
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&format!("Joined the workshop at http://{url} as Ada")),
        "{out}"
    );
    assert!(
        out.contains("in the background") && out.contains("dockdojo workshop leave"),
        "{out}"
    );
    assert!(
        out.contains("Chapters open: 0 to 2") && out.contains("Welcome to the room!"),
        "{out}"
    );
    let file = root.join(".dockdojo/workshop.json");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["token"], TOKEN);
    assert_eq!(saved["url"], format!("http://{url}"));
    assert_eq!(saved["student_id"], 7);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "workshop.json is mode {mode:o}");
    }
}

#[test]
fn join_failures_say_what_to_do() {
    let (url, _fake) = fake_server();
    let (t, root) = workspace();
    let o = dockdojo(
        &root,
        &["workshop", "join", &url, "wrong", "--name", "Ada"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("the server refused the join code (wrong join code): check it on the instructor's screen"), "{}", text(&o));

    let long = "x".repeat(41);
    let o = dockdojo(
        &root,
        &["workshop", "join", &url, CODE, "--name", &long],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("longer than 40 characters"),
        "{}",
        text(&o)
    );

    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let o = dockdojo(
        &root,
        &["workshop", "join", &dead.to_string(), CODE, "--name", "Ada"],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains(&format!(
            "cannot reach the workshop server at http://{dead}"
        )) && out.contains("are you on the room's network?"),
        "{out}"
    );

    let o = dockdojo(
        t.path(),
        &["workshop", "join", &url, CODE, "--name", "Ada"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("not inside a dockdojo workspace"),
        "{}",
        text(&o)
    );
    assert!(!root.join(".dockdojo/workshop.json").exists());

    for cmd in ["sync", "leave"] {
        let o = dockdojo(&root, &["workshop", cmd], &[]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("this workspace has not joined a workshop (`dockdojo workshop join URL CODE --name NAME`)"), "{}", text(&o));
    }
}

#[test]
fn checks_are_queued_while_the_server_is_down_and_delivered_once_in_order() {
    let (url, fake) = fake_server();
    let (_t, root) = joined(&url);
    fake.set(Mode::Broken);
    for _ in 0..2 {
        let o = dockdojo(&root, &["check", FIRST], &[]);
        // A failing check is still a failing check, whatever the server does.
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            text(&o).contains("workshop: server unreachable;"),
            "{}",
            text(&o)
        );
    }
    let queued = outbox(&root);
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert!(fake.reports().is_empty());
    let ids: Vec<String> = queued
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect();

    // Still down: sync says so, exit 3, nothing lost.
    let o = dockdojo(&root, &["workshop", "sync"], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("2 report(s) queued"), "{}", text(&o));
    assert_eq!(outbox(&root).len(), 2);

    fake.set(Mode::Up);
    let o = dockdojo(&root, &["workshop", "sync"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("Delivered 2 queued report(s)"),
        "{}",
        text(&o)
    );
    assert!(outbox(&root).is_empty());
    let got = fake.reports();
    let got_ids: Vec<&str> = got.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(got_ids, ids, "in the order they were made");
    for r in &got {
        assert_eq!(r["kind"], "check");
        assert_eq!(r["exercise"], FIRST);
        assert_eq!(r["passed"], false);
        assert_eq!(r["failed"][0], "created", "{r}");
        assert!(
            r["summary"].as_str().unwrap().starts_with("created: "),
            "{r}"
        );
        assert!(uuid_v4(r["id"].as_str().unwrap()), "{r}");
    }

    // The next check goes straight through; nothing is sent twice.
    let o = dockdojo(&root, &["check", FIRST], &[]);
    assert!(!text(&o).contains("workshop:"), "{}", text(&o));
    assert_eq!(fake.reports().len(), 3);
    assert!(!fake.answers().contains(&409));
}

fn uuid_v4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts[2].starts_with('4')
}

/// A report the server already has (the answer to the first send was lost).
#[test]
fn a_duplicate_is_delivered_and_removed() {
    let (url, fake) = fake_server();
    let (_t, root) = joined(&url);
    fake.set(Mode::Broken);
    dockdojo(&root, &["check", FIRST], &[]);
    let file = outbox(&root).pop().expect("a queued report");
    let body = std::fs::read(&file).unwrap();
    fake.set(Mode::Up);
    let o = dockdojo(&root, &["workshop", "sync"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    std::fs::write(&file, &body).unwrap();
    let o = dockdojo(&root, &["workshop", "sync"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(fake.answers(), vec![500, 200, 409]);
    assert!(outbox(&root).is_empty(), "409 means the server has it");
    assert_eq!(fake.reports().len(), 1);
}

#[test]
fn an_unknown_token_keeps_the_reports() {
    let (url, fake) = fake_server();
    let (_t, root) = joined(&url);
    fake.set(Mode::Forgot);
    let o = dockdojo(&root, &["check", FIRST], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert_eq!(
        out.matches("the workshop server does not know this workspace any more (run `dockdojo workshop join` again)").count(),
        1,
        "{out}"
    );
    assert_eq!(outbox(&root).len(), 1);
    let o = dockdojo(&root, &["workshop", "sync"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(outbox(&root).len(), 1);
    // Joining again sends them under the new token.
    fake.set(Mode::Up);
    let o = dockdojo(
        &root,
        &["workshop", "join", &url, CODE, "--name", "Ada"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(outbox(&root).is_empty());
    assert_eq!(fake.reports().len(), 1);
}

#[test]
fn a_corrupt_outbox_file_is_set_aside() {
    let (url, fake) = fake_server();
    let (_t, root) = joined(&url);
    let dir = root.join(".dockdojo/outbox");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("00000000000000000001-torn.json"),
        b"{\"id\": \"x\", \"ki",
    )
    .unwrap();
    // A report the server refuses (400) is set aside too, never retried forever.
    std::fs::write(
        dir.join("00000000000000000002-odd.json"),
        br#"{"id":"r2","kind":"check","passed":true,"summary":"way too long"}"#,
    )
    .unwrap();
    let o = dockdojo(&root, &["workshop", "sync"], &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("00000000000000000001-torn.json was set aside"),
        "{out}"
    );
    assert!(
        out.contains("00000000000000000002-odd.json was set aside"),
        "{out}"
    );
    assert!(
        out.contains("the summary is longer than 500 characters"),
        "{out}"
    );
    assert!(outbox(&root).is_empty());
    assert!(dir
        .join("rejected/00000000000000000001-torn.json")
        .is_file());
    assert!(dir.join("rejected/00000000000000000002-odd.json").is_file());
    assert!(fake.reports().is_empty());
}

#[test]
fn leave_drops_the_queue_and_stops_reporting() {
    let (url, fake) = fake_server();
    let (_t, root) = joined(&url);
    fake.set(Mode::Broken);
    dockdojo(&root, &["check", FIRST], &[]);
    let o = dockdojo(&root, &["workshop", "leave"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("1 queued report(s) were dropped"),
        "{}",
        text(&o)
    );
    assert!(!root.join(".dockdojo/workshop.json").exists());
    assert!(outbox(&root).is_empty());
    fake.set(Mode::Up);
    let o = dockdojo(&root, &["check", FIRST], &[]);
    assert!(!text(&o).contains("workshop"), "{}", text(&o));
    assert!(fake.reports().is_empty());
}

/// `prepare --from` against a server handing out a real `docker save` archive of busybox
/// (already present: loading it again changes nothing), from a joined workspace: the prepare
/// outcome is reported too.
#[test]
fn prepare_from_downloads_verifies_and_loads() {
    use sha2::{Digest, Sha256};
    let (url, fake) = fake_server();
    let (t, root) = joined(&url);
    let tar = t.path().join("busybox.tar");
    let (ok, _) = common::docker(&["save", "-o", tar.to_str().unwrap(), "busybox:1.36.1"]);
    assert!(ok, "docker save busybox:1.36.1");
    let bytes = std::fs::read(&tar).unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    let manifest = json!({"sha256": sha, "size": bytes.len(), "images": ["busybox:1.36.1"]});
    *fake.archive.lock().unwrap() = Some((manifest, bytes));
    let cache = t.path().join("cache");
    let env = [("XDG_CACHE_HOME", cache.to_str().unwrap())];
    // The archive holds busybox only: the other course images must already be here for
    // prepare to succeed; without them Docker still loads busybox and prepare names the rest.
    let others = ["gcc:12.2.0-bookworm", "registry:2.8.2"]
        .iter()
        .all(|i| common::docker(&["image", "inspect", i]).0);
    let o = dockdojo(&root, &["prepare", "--from", &url], &env);
    let out = text(&o);
    let kept = cache.join("dockdojo").join(format!("images-{sha}.tar"));
    assert!(kept.is_file(), "{out}");
    assert!(out.contains("downloaded and verified"), "{out}");
    let reports = fake.reports();
    let prep = reports
        .iter()
        .find(|r| r["kind"] == "prepare")
        .expect("a prepare report");
    if others {
        assert!(o.status.success(), "{out}");
        assert!(out.contains("loaded from the archive"), "{out}");
        assert_eq!(prep["passed"], true);
        assert!(
            prep["summary"]
                .as_str()
                .unwrap()
                .contains("busybox:1.36.1 loaded from the archive"),
            "{prep}"
        );
    } else {
        assert_eq!(o.status.code(), Some(2), "{out}");
        assert!(out.contains("(it held: busybox:1.36.1)"), "{out}");
        assert_eq!(prep["passed"], false);
        assert!(
            prep["summary"]
                .as_str()
                .unwrap()
                .contains("does not contain"),
            "{prep}"
        );
    }

    // A tampered archive is refused before Docker sees it, and reported as a failed prepare.
    std::fs::remove_file(&kept).unwrap();
    if let Some((_, b)) = fake.archive.lock().unwrap().as_mut() {
        let last = b.len() - 1;
        b[last] ^= 0xff;
    }
    let o = dockdojo(&root, &["prepare", "--from", &url], &env);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains(&format!(
            "does not match its manifest (sha256 {sha}); try again"
        )),
        "{out}"
    );
    assert_eq!(
        std::fs::read_dir(cache.join("dockdojo")).unwrap().count(),
        0
    );
    let reports = fake.reports();
    let failed = reports
        .iter()
        .filter(|r| r["kind"] == "prepare")
        .nth(1)
        .expect("a second prepare report");
    assert_eq!(failed["passed"], false);
    assert!(
        failed["summary"]
            .as_str()
            .unwrap()
            .contains("does not match its manifest"),
        "{failed}"
    );
    let (present, _) = common::docker(&["image", "inspect", "busybox:1.36.1"]);
    assert!(present);
}

/// A real `dockdojo workshop serve` on a fixed port and data folder (so it can be restarted).
struct RealServer {
    child: std::process::Child,
    port: u16,
    data: PathBuf,
}

impl RealServer {
    fn start(port: u16, data: &Path) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("serve.log"))
            .unwrap();
        let child = std::process::Command::new(common::bin())
            .args(["workshop", "serve", "--bind", &format!("127.0.0.1:{port}")])
            .arg("--data")
            .arg(data)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut s = RealServer {
            child,
            port,
            data: data.to_path_buf(),
        };
        let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while s.try_room().is_none() {
            if let Ok(Some(st)) = s.child.try_wait() {
                panic!("the server exited ({st}):\n{}", s.log());
            }
            assert!(
                std::time::Instant::now() < until,
                "no answer within 30 s:\n{}",
                s.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        s
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("serve.log")).unwrap_or_default()
    }

    fn instructor(&self) -> Option<Value> {
        let t = std::fs::read_to_string(self.data.join("instructor.json")).ok()?;
        serde_json::from_str(&t).ok()
    }

    fn try_room(&self) -> Option<Value> {
        let token = self.instructor()?["instructor_token"].as_str()?.to_string();
        let resp = reqwest::blocking::Client::new()
            .get(format!("http://127.0.0.1:{}/api/room", self.port))
            .bearer_auth(token)
            .send()
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        resp.json().ok()
    }

    /// Attempts of `exercise` the room shows for the only student.
    fn attempts(&self, exercise: &str) -> u64 {
        let room = self.try_room().expect("the room");
        room["students"][0]["cells"][exercise]["attempts"]
            .as_u64()
            .unwrap_or(0)
    }

    /// kill -9: no chance to finish anything.
    fn kill9(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-9", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Against the real server: a check arrives in the room; the server is killed (kill -9) while
/// the student checks again, so that report is queued; after a restart `workshop sync` delivers
/// it and the room counts it exactly once.
#[test]
fn real_server_killed_and_restarted_loses_nothing() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = RealServer::start(port, data.path());
    let code = server.instructor().unwrap()["join_code"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("127.0.0.1:{port}");
    let (_t, root) = workspace();
    let o = dockdojo(
        &root,
        &["workshop", "join", &url, &code, "--name", "Grace"],
        &[],
    );
    assert!(o.status.success(), "{}\n{}", text(&o), server.log());
    let o = dockdojo(&root, &["check", FIRST], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!text(&o).contains("workshop:"), "{}", text(&o));
    assert_eq!(server.attempts(FIRST), 1, "{}", server.try_room().unwrap());
    let room = server.try_room().unwrap();
    assert_eq!(room["students"][0]["name"], "Grace");
    assert_eq!(
        room["students"][0]["cells"][FIRST]["failing_check"],
        "created"
    );

    server.kill9();
    let o = dockdojo(&root, &["check", FIRST], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("workshop: server unreachable; 1 report(s) queued"),
        "{}",
        text(&o)
    );
    assert_eq!(outbox(&root).len(), 1);

    let server = RealServer::start(port, data.path());
    let o = dockdojo(&root, &["workshop", "sync"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", text(&o), server.log());
    assert!(outbox(&root).is_empty());
    assert_eq!(server.attempts(FIRST), 2, "{}", server.try_room().unwrap());
    // Nothing more to send: the room still counts two.
    let o = dockdojo(&root, &["workshop", "sync"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.attempts(FIRST), 2);
}

/// `check` shows the room's state under its verdict: the break each time, the instructor's
/// latest message once; a server that fails keeps it silent, never slower or failing.
#[test]
fn check_shows_the_break_and_a_new_message_once() {
    let (url, fake) = fake_server();
    let (_t, root) = joined(&url);
    *fake.view.lock().unwrap() = json!({
        "unlocked_through": null,
        "on_break": true,
        "messages": [
            {"id": 1, "kind": "message", "text": "Welcome to the room!", "exercise": null, "at": 1},
            {"id": 2, "kind": "hint", "text": "look at `docker ps -a`", "exercise": FIRST, "at": 2, "student": 7}
        ]
    });
    let o = dockdojo(&root, &["check", FIRST], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("Break: the room is on a break"), "{out}");
    assert!(
        out.contains(&format!(
            "From your instructor: (to you) Hint for {FIRST}: look at `docker ps -a`"
        )),
        "{out}"
    );
    assert!(!out.contains("Welcome"), "only the latest: {out}");
    // A learner's check says nothing of who started it (an older server reads it).
    assert!(fake.reports().iter().all(|r| r.get("started_by").is_none()));
    let o = dockdojo(&root, &["check", FIRST], &[]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("Break:"), "{out}");
    assert!(!out.contains("From your instructor"), "shown once: {out}");
    // Break over, a new message: that one, once.
    {
        let mut v = fake.view.lock().unwrap();
        v["on_break"] = json!(false);
        v["messages"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": 3, "kind": "message", "text": "back from the break", "at": 3}));
    }
    let o = dockdojo(&root, &["check", FIRST], &[]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(!out.contains("Break:"), "{out}");
    assert!(
        out.contains("From your instructor: back from the break"),
        "{out}"
    );
    // A failing server: the verdict, the queue line, nothing of the room.
    fake.set(Mode::Broken);
    {
        let mut v = fake.view.lock().unwrap();
        v["messages"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": 4, "kind": "message", "text": "unseen", "at": 4}));
    }
    let o = dockdojo(&root, &["check", FIRST], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!text(&o).contains("From your instructor"), "{}", text(&o));
    // Back up: the message missed meanwhile comes with the next check.
    fake.set(Mode::Up);
    let o = dockdojo(&root, &["check", FIRST], &[]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("From your instructor: unseen"),
        "{}",
        text(&o)
    );
    // A break with an end time: the minutes left, by the server's clock.
    {
        let mut v = fake.view.lock().unwrap();
        v["on_break"] = json!(true);
        v["break_left_s"] = json!(125);
    }
    let o = dockdojo(&root, &["check", FIRST], &[]);
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("Break: 3 min left, then back to the exercises."),
        "{}",
        text(&o)
    );
}
