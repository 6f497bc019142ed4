//! `dockdojo workshop serve` and `workshop export` end to end: the real binary on 127.0.0.1
//! with a real SQLite file in a temp folder (reliability cases 34–38, export, images, board).
//!
//! Each test starts its own server with `--bind 127.0.0.1:0`: the server listens on a port the
//! system picks, prints "Serving." once ready and has written the actual URL to the instructor
//! file, which the test reads (no port race).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dockdojo"))
}

/// A running `workshop serve`; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    url: String,
    addr: String,
    token: String,
    code: String,
    board_key: String,
    /// Everything it printed before "Serving.".
    banner: String,
}

impl Server {
    /// The board's event stream, opened with the board key (a client that waits up to 60 s).
    fn board_events(&self) -> reqwest::blocking::Response {
        let sse = Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let r = sse
            .get(format!("{}/board/events?key={}", self.url, self.board_key))
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r
    }

    fn start(data: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(bin())
            .args(["workshop", "serve", "--bind", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dockdojo workshop serve");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Keep draining so the server never blocks on a full pipe.
                    continue;
                }
            }
        });
        let mut banner = String::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => {
                    banner.push_str(&line);
                    banner.push('\n');
                    if line.starts_with("Serving.") {
                        break;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let o = child.wait_with_output().unwrap();
                    panic!(
                        "the server did not start:\n{banner}\n{}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                }
            }
        }
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(data.join("instructor.json")).unwrap())
                .unwrap();
        let url = file["url"].as_str().unwrap().to_string();
        Self {
            child,
            addr: url.trim_start_matches("http://").to_string(),
            url,
            token: file["instructor_token"].as_str().unwrap().to_string(),
            code: file["join_code"].as_str().unwrap().to_string(),
            board_key: file["board_key"].as_str().unwrap().to_string(),
            banner,
        }
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn room(&self, c: &Client) -> Value {
        let r = c
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

    /// Join with the right code; returns (student id, token).
    fn student(&self, c: &Client, name: &str) -> (i64, String) {
        let (status, body) = self.join(c, &self.code, name);
        assert_eq!(status, StatusCode::OK, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        (
            v["student_id"].as_i64().unwrap(),
            v["token"].as_str().unwrap().to_string(),
        )
    }

    fn report(&self, c: &Client, token: Option<&str>, body: &Value) -> Response {
        let mut req = c.post(format!("{}/api/report", self.url)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A check id of `exercise` (reports name only the course's check ids).
fn a_check(exercise: &str) -> &'static str {
    match exercise {
        "00-first-container" => "created",
        "03-cache-order" => "cache",
        "05-named-volume" => "kept",
        _ => "builds",
    }
}

fn check(id: &str, exercise: &str, passed: bool, failed: &[&str]) -> Value {
    json!({
        "id": id,
        "kind": "check",
        "exercise": exercise,
        "passed": passed,
        "failed": failed,
        "summary": if passed { "all checks passed" } else { "a check failed" },
        "hints_used": 1,
        "client_time": 0,
    })
}

/// Send raw bytes, read the answer until the server closes (or 30 s).
fn raw(addr: &str, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

fn status_of(raw_answer: &str) -> &str {
    raw_answer.split(' ').nth(1).unwrap_or("")
}

/// The room without its clock, to compare two snapshots.
fn without_now(mut v: Value) -> Value {
    v["now"] = Value::Null;
    if let Some(students) = v["students"].as_array_mut() {
        for s in students {
            s["stuck"] = Value::Null;
        }
    }
    v
}

/// Case 34: guessing codes in bulk gets the wrong-code answer, byte for byte, slower past the
/// allowance; the right code is never refused (case 42 runs the same from behind one address).
#[test]
fn join_code_brute_force_is_limited_and_answers_like_a_wrong_code() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let (status, wrong) = s.join(&c, "aaaa-bbbb-cccc-dddd-eeee", "Mallory");
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(wrong, r#"{"error":"wrong join code"}"#);
    for i in 0..12 {
        let (st, body) = s.join(&c, &format!("guess-{i}"), "Mallory");
        assert_eq!((st, body.as_str()), (StatusCode::FORBIDDEN, wrong.as_str()));
    }
    assert_eq!(s.room(&c)["students"].as_array().unwrap().len(), 0);
    // The code is compared ignoring case, spaces and dashes, from the guessing address too.
    let typed = s.code.to_uppercase().replace('-', " ");
    let (st, body) = s.join(&c, &typed, "Alice");
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(s.room(&c)["students"].as_array().unwrap().len(), 1);
}

/// Case 35: reports need their student's token; a replay is a 409 that changes nothing.
#[test]
fn reports_need_the_right_token_and_replays_change_nothing() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let (ada_id, ada) = s.student(&c, "Ada");
    let (bob_id, bob) = s.student(&c, "Bob");
    let r1 = check("r1", "00-first-container", false, &["created"]);
    let r = s.report(&c, Some(&ada), &r1);
    assert_eq!(r.status(), StatusCode::OK);
    let ack: Value = r.json().unwrap();
    assert!(ack["received_at"].as_i64().unwrap() > 1_600_000_000);
    // Report ids are unique per student: Bob's token files Bob's report, not Ada's.
    assert_eq!(s.report(&c, Some(&bob), &r1).status(), StatusCode::OK);
    let before = without_now(s.room(&c));
    let cell = |room: &Value, id: i64| {
        room["students"]
            .as_array()
            .unwrap()
            .iter()
            .find(|st| st["id"] == id)
            .unwrap()["cells"]["00-first-container"]
            .clone()
    };
    assert_eq!(cell(&before, ada_id)["attempts"], 1);
    assert_eq!(cell(&before, bob_id)["attempts"], 1);

    let r2 = check("r2", "00-first-container", true, &[]);
    let ada_hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(ada.as_bytes()))
    };
    let mut flipped = ada.clone().into_bytes();
    flipped[0] = if flipped[0] == b'a' { b'b' } else { b'a' };
    let flipped = String::from_utf8(flipped).unwrap();
    for token in [
        None,
        Some("garbage"),
        Some(""),
        Some(ada_hash.as_str()),
        Some(flipped.as_str()),
    ] {
        let r = s.report(&c, token, &r2);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "token {token:?}");
        let e: Value = r.json().unwrap();
        assert!(e["error"].as_str().unwrap().contains("token"), "{e}");
    }
    // Not a Bearer token.
    let r = c
        .post(format!("{}/api/report", s.url))
        .header("Authorization", format!("Basic {ada}"))
        .json(&r2)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Replays: identical, and same id with other content.
    for body in [&r1, &check("r1", "00-first-container", true, &[])] {
        let r = s.report(&c, Some(&ada), body);
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(r.text().unwrap(), r#"{"error":"duplicate report"}"#);
    }
    assert_eq!(without_now(s.room(&c)), before);
}

/// Case 36: sizes, syntax, unknown fields, names, Host and Origin, tokens and keys.
#[test]
fn hostile_input_is_refused_with_the_right_status() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let post_join = |body: &str, ctype: &str| {
        let r = c
            .post(format!("{}/api/join", s.url))
            .header("Content-Type", ctype)
            .body(body.to_string())
            .send()
            .unwrap();
        let status = r.status();
        let v: Value = r.json().unwrap();
        (status, v["error"].as_str().unwrap_or("").to_string())
    };
    let code = s.code.clone();
    // A 10 MB body: refused from its declared length, before it is read...
    let head = format!(
        "POST /api/join HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        s.addr,
        10 * 1024 * 1024
    );
    let answer = raw(&s.addr, head.as_bytes());
    assert_eq!(status_of(&answer), "413", "{answer}");
    assert!(answer.contains("too large"), "{answer}");
    // ...and sent whole by a real client.
    let big = format!(
        r#"{{"code":"{code}","name":"{}"}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    match c
        .post(format!("{}/api/join", s.url))
        .header("Content-Type", "application/json")
        .body(big)
        .send()
    {
        Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
        // The server may close before the client finished sending: also a refusal.
        Err(e) => assert!(!e.is_timeout(), "{e}"),
    }
    // Chunked (no declared length): cut at the limit.
    let chunk = "y".repeat(20 * 1024);
    let req = format!(
        "POST /api/join HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        s.addr,
        chunk.len()
    );
    assert_eq!(status_of(&raw(&s.addr, req.as_bytes())), "413");

    let ok = "application/json";
    let (st, e) = post_join(r#"{"code": "x", "name": "#, ok);
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert!(e.starts_with("malformed JSON"), "{e}");
    let (st, e) = post_join(
        &format!(r#"{{"code":"{code}","name":"A","admin":true}}"#),
        ok,
    );
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(e.contains("unknown field `admin`"), "{e}");
    let (st, e) = post_join(&format!(r#"{{"code":"{code}","name":5}}"#), ok);
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(e.contains("invalid type"), "{e}");
    let (st, _) = post_join(&format!(r#"{{"code":"{code}","name":"A"}}"#), "text/plain");
    assert_eq!(st, StatusCode::BAD_REQUEST);
    for name in [
        "x".repeat(10 * 1024),
        "a\u{7}b".into(),
        "   ".into(),
        "x".repeat(41),
    ] {
        let (st, e) = s.join(&c, &code, &name);
        assert_eq!(st, StatusCode::BAD_REQUEST, "{name:?}: {e}");
    }
    // 40 characters (not bytes) is fine.
    let (st, _) = s.join(&c, &code, &"é".repeat(40));
    assert_eq!(st, StatusCode::OK);
    // A hostile-looking name is text: accepted and returned verbatim (the board escapes it).
    let xss = "<img src=x onerror=alert(1)>";
    let (st, body) = s.join(&c, &code, &format!("  {xss} "));
    assert_eq!(st, StatusCode::OK, "{body}");
    let joined: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(joined["name"], xss);
    let token = joined["token"].as_str().unwrap().to_string();
    let room = s.room(&c);
    assert!(room["students"]
        .as_array()
        .unwrap()
        .iter()
        .any(|st| st["name"] == xss));

    // Reports: unknown exercise, too many failed checks, a long summary, a doctor with an
    // exercise, a wrong type.
    let mut bad = vec![
        check("b1", "99-no-such-exercise", false, &["x"]),
        check("b2", "00-first-container", false, &vec!["c"; 33]),
        check("b3", "00-first-container", false, &[&"c".repeat(101)]),
    ];
    let mut long = check("b4", "00-first-container", false, &["x"]);
    long["summary"] = json!("s".repeat(501));
    bad.push(long);
    bad.push(
        json!({"id": "b5", "kind": "doctor", "exercise": "00-first-container", "passed": true}),
    );
    bad.push(
        json!({"id": "b6", "kind": "check", "exercise": "00-first-container", "passed": "yes"}),
    );
    bad.push(json!({"id": "", "kind": "doctor", "passed": true}));
    for b in &bad {
        let r = s.report(&c, Some(&token), b);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{b}");
    }
    assert_eq!(
        s.report(
            &c,
            Some(&token),
            &json!({"id": "d1", "kind": "doctor", "passed": true})
        )
        .status(),
        StatusCode::OK
    );

    // Host: only this server's own names.
    for host in [
        "evil.example",
        "evil.example:80",
        &s.addr.replace("127.0.0.1", "10.1.2.3"),
    ] {
        let answer = raw(
            &s.addr,
            format!("GET /images/manifest HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        assert_eq!(status_of(&answer), "421", "{host}: {answer}");
        assert!(answer.contains("--allow-host"), "{answer}");
    }
    let answer = raw(
        &s.addr,
        b"GET /images/manifest HTTP/1.0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&answer), "400", "{answer}");
    let port = s.addr.rsplit(':').next().unwrap();
    let answer = raw(
        &s.addr,
        format!(
            "GET /images/manifest HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(status_of(&answer), "404", "{answer}");

    // Origin: a POST from another site's page is refused; our own origin is fine.
    let r = c
        .post(format!("{}/api/join", s.url))
        .header("Origin", "http://evil.example")
        .json(&json!({"code": code, "name": "Eve"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().unwrap().contains("Origin"));
    let r = c
        .post(format!("{}/api/join", s.url))
        .header("Origin", &s.url)
        .json(&json!({"code": code, "name": "Eve"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Instructor endpoints: no token, a student's token, a wrong one → 401.
    for t in [None, Some(token.as_str()), Some("0000")] {
        for (method, path) in [
            ("GET", "/api/room"),
            ("GET", "/api/export?format=csv"),
            ("POST", "/api/pace"),
            ("POST", "/api/message"),
        ] {
            let mut req = if method == "GET" {
                c.get(format!("{}{path}", s.url))
            } else {
                c.post(format!("{}{path}", s.url)).json(&json!({}))
            };
            if let Some(t) = t {
                req = req.bearer_auth(t);
            }
            assert_eq!(
                req.send().unwrap().status(),
                StatusCode::UNAUTHORIZED,
                "{path}"
            );
        }
    }
    // The student view needs a student token.
    let r = c.get(format!("{}/api/student", s.url)).send().unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .get(format!("{}/api/student", s.url))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sv: Value = r.json().unwrap();
    assert_eq!(sv["on_break"], false);

    // The board: a wrong or missing key is a 404 that looks like any unknown page.
    let not_found = c.get(format!("{}/nothing-here", s.url)).send().unwrap();
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    for q in ["", "?key=", "?key=wrong", "?other=1"] {
        for path in ["/board", "/board/events"] {
            let r = c.get(format!("{}{path}{q}", s.url)).send().unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}{q}");
            assert!(!r.text().unwrap().contains("key"));
        }
    }
    let r = c
        .get(format!("{}/board?key={}", s.url, s.board_key))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.headers().contains_key("content-security-policy"));
}

/// Case 37: a thousand joins while a few connections stall half-way through their headers: the
/// server keeps answering, and closes the stalled connections by itself.
#[test]
fn many_joins_and_stalled_connections_do_not_stop_the_server() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let mut stalled = Vec::new();
    for _ in 0..5 {
        let mut t = TcpStream::connect(&s.addr).unwrap();
        t.write_all(
            format!("POST /api/join HTTP/1.1\r\nHost: {}\r\nContent-Le", s.addr).as_bytes(),
        )
        .unwrap();
        stalled.push(t);
    }
    // A request whose body never comes: answered 408 by the request timeout.
    let mut slow_body = TcpStream::connect(&s.addr).unwrap();
    slow_body
        .write_all(
            format!(
                "POST /api/join HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"code\":",
                s.addr
            )
            .as_bytes(),
        )
        .unwrap();
    // A thousand joins from twenty addresses (each address joins 50, within its burst).
    let threads: Vec<_> = (0..20u8)
        .map(|t| {
            let url = s.url.clone();
            let code = s.code.clone();
            std::thread::spawn(move || {
                let c = Client::builder()
                    .no_proxy()
                    .local_address(IpAddr::from([127, 0, 5, 1 + t]))
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                for i in 0..50 {
                    let r = c
                        .post(format!("{url}/api/join"))
                        .json(&json!({"code": code, "name": format!("student {t}-{i}")}))
                        .send()
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::OK);
                }
            })
        })
        .collect();
    // A normal request is answered while the joins run.
    let c = client();
    let r = c
        .get(format!("{}/api/room", s.url))
        .bearer_auth(&s.token)
        .send()
        .expect("the server answers while connections stall");
    assert_eq!(r.status(), StatusCode::OK);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(s.room(&c)["students"].as_array().unwrap().len(), 1000);
    slow_body
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut answer = String::new();
    let _ = slow_body.read_to_string(&mut answer);
    assert_eq!(status_of(&answer), "408", "{answer}");
    // The server closes the stalled connections itself (its header read timeout).
    for mut t in stalled {
        t.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut buf = [0u8; 1024];
        // EOF (possibly after a short error answer) or a reset: closed by the server.
        loop {
            match t.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) => {
                    assert!(
                        !matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ),
                        "the stalled connection is still open: {e}"
                    );
                    break;
                }
            }
        }
    }
}

/// Case 38: `kill -9` and a restart on the same folder: every acknowledged report is there, and
/// the join code, instructor token and student tokens still work.
#[test]
fn a_killed_server_restarts_with_every_acknowledged_report() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let (_, ada) = s.student(&c, "Ada");
    let (_, bob) = s.student(&c, "Bob");
    let exercises = ["00-first-container", "03-cache-order", "05-named-volume"];
    for i in 0..30 {
        let token = if i % 2 == 0 { &ada } else { &bob };
        let ex = exercises[i % 3];
        let r = s.report(
            &c,
            Some(token),
            &check(&format!("r{i}"), ex, i >= 24, &[a_check(ex)]),
        );
        assert_eq!(r.status(), StatusCode::OK);
    }
    let before = without_now(s.room(&c));
    let (url, token, code, key) = (
        s.url.clone(),
        s.token.clone(),
        s.code.clone(),
        s.board_key.clone(),
    );
    s.kill9();

    let s = Server::start(data.path(), &[]);
    assert!(
        s.banner
            .contains("resuming workshop (2 students, 30 reports)"),
        "{}",
        s.banner
    );
    assert_eq!((&s.token, &s.code, &s.board_key), (&token, &code, &key));
    let _ = url; // the port may differ (port 0); the secrets may not.
    let after = without_now(s.room(&c));
    assert_eq!(after, before);
    let attempts: u64 = after["students"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|st| st["cells"].as_object().unwrap().values())
        .map(|cell| cell["attempts"].as_u64().unwrap())
        .sum();
    assert_eq!(attempts, 30);
    // Old ids are still known (a client resending after the crash gets 409), new ones land.
    assert_eq!(
        s.report(
            &c,
            Some(&ada),
            &check("r0", exercises[0], false, &[a_check(exercises[0])])
        )
        .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        s.report(&c, Some(&bob), &check("r30", exercises[0], true, &[]))
            .status(),
        StatusCode::OK
    );
    s.student(&c, "Cy");
}

#[test]
fn a_port_in_use_is_exit_3_and_sigterm_stops_cleanly() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let data = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .args(["workshop", "serve", "--bind", &addr, "--data"])
        .arg(data.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{addr} is already in use")) && err.contains("--bind"),
        "{err}"
    );
    drop(taken);

    let mut s = Server::start(data.path(), &[]);
    // An open board stream does not hold the shutdown up.
    let r = client()
        .get(format!("{}/board/events?key={}", s.url, s.board_key))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ok = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = s.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    BufReader::new(r).read_to_string(&mut rest).unwrap();
    assert!(rest.contains("data:"), "{rest}");
}

/// `workshop export` through the real command: columns, the self-reported label, quoting and
/// formula neutralisation; a stopped server is explained.
#[test]
fn export_csv_and_json_through_the_command() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let (ada_id, ada) = s.student(&c, "Lovelace, Ada \"The Countess\"");
    let (_, eve) = s.student(&c, "=HYPERLINK(\"http://x\")");
    for (i, (token, ex, passed)) in [
        (&ada, "00-first-container", false),
        (&ada, "00-first-container", true),
        (&ada, "00-first-container", true),
        (&eve, "03-cache-order", false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = check(
            &format!("e{i}"),
            ex,
            passed,
            &[a_check(ex)][..usize::from(!passed)],
        );
        r["hints_used"] = json!(i);
        assert_eq!(s.report(&c, Some(token), &r).status(), StatusCode::OK);
    }
    let run = |args: &[&str]| {
        Command::new(bin())
            .args(["workshop", "export"])
            .args(args)
            .arg("--data")
            .arg(data.path())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let o = run(&["--csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "student,student_id,exercise,attempts,passed,first_pass_at,hints_used,source,time_spent_s,solve_s"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    let prefix =
        format!("\"Lovelace, Ada \"\"The Countess\"\"\",{ada_id},00-first-container,3,true,");
    assert!(lines[1].starts_with(&prefix), "{}", lines[1]);
    let time = lines[1][prefix.len()..].split(',').next().unwrap();
    assert!(
        time.len() == 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
        "{time}"
    );
    // No time measured by a course app; solved on the server's clock within the test.
    let (head, solve) = lines[1].rsplit_once(',').unwrap();
    assert!(head.ends_with(",2,self-reported,"), "{}", lines[1]);
    assert!(solve.parse::<u64>().is_ok(), "{}", lines[1]);
    assert!(
        lines[2].starts_with("\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].ends_with(",03-cache-order,1,false,,3,self-reported,,"),
        "{}",
        lines[2]
    );

    let out = data.path().join("results.json");
    let o = run(&["--json", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("self-reported"));
    let rows: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["student"], "Lovelace, Ada \"The Countess\"");
    assert_eq!(rows[0]["attempts"], 3);
    assert!(rows[0]["first_pass_at"].as_i64().unwrap() > 1_600_000_000);
    assert_eq!(rows[1]["first_pass_at"], Value::Null);
    assert!(rows.iter().all(|r| r["source"] == "self-reported"));

    // With the server stopped, the export reads the database: the same rows.
    let served_csv = run(&["--csv"]);
    assert!(served_csv.status.success());
    s.kill9();
    let o = run(&["--csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not running: exporting from its database"));
    assert_eq!(o.stdout, served_csv.stdout);
    let o = run(&["--json", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(again.as_array().unwrap().len(), 2);
    let empty = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .args(["workshop", "export", "--json", "--data"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("workshop serve"));
}

/// Solve times from check reports to `dockdojo calibrate`, without Docker: a student fails,
/// then passes one exercise; the export carries the app's time and the server's solve time,
/// the same from a stopped server's database, and calibrate counts that learner.
#[test]
fn solve_times_reach_calibrate_through_the_export() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let (ada_id, ada) = s.student(&c, "Ada");
    let mut first = check("t1", "00-first-container", false, &["created"]);
    first["time_spent_s"] = json!(120);
    assert_eq!(s.report(&c, Some(&ada), &first).status(), StatusCode::OK);
    // The server's clock counts whole seconds: let one pass.
    std::thread::sleep(Duration::from_millis(1100));
    let mut pass = check("t2", "00-first-container", true, &[]);
    pass["time_spent_s"] = json!(300);
    assert_eq!(s.report(&c, Some(&ada), &pass).status(), StatusCode::OK);
    // An implausible time is refused, not stored.
    let mut absurd = check("t3", "00-first-container", true, &[]);
    absurd["time_spent_s"] = json!(u64::MAX);
    assert_eq!(
        s.report(&c, Some(&ada), &absurd).status(),
        StatusCode::BAD_REQUEST
    );

    let export = |format: &str, out: &Path| {
        let o = Command::new(bin())
            .args(["workshop", "export", format, "--out"])
            .arg(out)
            .arg("--data")
            .arg(data.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out).unwrap()
    };
    let csv_path = data.path().join("room.csv");
    let csv = export("--csv", &csv_path);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0].ends_with(",source,time_spent_s,solve_s"),
        "{}",
        lines[0]
    );
    let fields: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        fields[..3],
        ["Ada", ada_id.to_string().as_str(), "00-first-container"]
    );
    assert_eq!(fields[8], "300", "{}", lines[1]);
    let solve: u64 = fields[9].parse().unwrap();
    assert!((1..60).contains(&solve), "{}", lines[1]);
    let json_path = data.path().join("room.json");
    let rows: Value = serde_json::from_str(&export("--json", &json_path)).unwrap();
    assert_eq!(rows[0]["time_spent_s"], 300);
    assert_eq!(rows[0]["solve_s"], solve);

    // The stopped server's database gives the same rows.
    s.kill9();
    assert_eq!(export("--csv", &data.path().join("again.csv")), csv);

    let o = Command::new(bin())
        .args(["calibrate", "--export"])
        .arg(&csv_path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let row: Vec<&str> = out
        .lines()
        .find(|l| l.starts_with("00-first-container "))
        .unwrap_or_else(|| panic!("{out}"))
        .split_whitespace()
        .collect();
    // One learner, 300 s: a median of 5 minutes.
    assert_eq!(row[1..3], ["1", "5"], "{out}");
}

/// `--archive`: the manifest (SHA-256, size, images) and a resumable download (Range).
#[test]
fn images_manifest_and_ranged_archive() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("course-images.tar");
    {
        let mut b = tar::Builder::new(std::fs::File::create(&archive).unwrap());
        let manifest = br#"[{"Config":"c.json","RepoTags":["gcc:12.2.0-bookworm","busybox:1.36.1"],"Layers":["l/layer.tar"]}]"#;
        let mut h = tar::Header::new_gnu();
        h.set_size(manifest.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "manifest.json", &manifest[..])
            .unwrap();
        let layer: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = tar::Header::new_gnu();
        h.set_size(layer.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "l/layer.tar", &layer[..]).unwrap();
        b.finish().unwrap();
    }
    let bytes = std::fs::read(&archive).unwrap();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &["--archive", archive.to_str().unwrap()]);
    assert!(s.banner.contains(&sha), "{}", s.banner);
    let c = client();
    let m: Value = c
        .get(format!("{}/images/manifest", s.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(m["sha256"], sha);
    assert_eq!(m["size"], bytes.len());
    assert_eq!(
        m["images"],
        json!(["busybox:1.36.1", "gcc:12.2.0-bookworm"])
    );
    let r = c
        .get(format!("{}/images/archive", s.url))
        .header("Range", "bytes=1000-50999")
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers()["content-range"].to_str().unwrap(),
        format!("bytes 1000-50999/{}", bytes.len())
    );
    assert_eq!(&r.bytes().unwrap()[..], &bytes[1000..51000]);
    // Resume from an offset to the end.
    let r = c
        .get(format!("{}/images/archive", s.url))
        .header("Range", format!("bytes={}-", bytes.len() - 10))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(&r.bytes().unwrap()[..], &bytes[bytes.len() - 10..]);
    let r = c.get(format!("{}/images/archive", s.url)).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().unwrap().len(), bytes.len());
    drop(s);

    // Without --archive: a clear 404.
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    for path in ["/images/manifest", "/images/archive"] {
        let r = c.get(format!("{}{path}", s.url)).send().unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let e: Value = r.json().unwrap();
        assert!(e["error"].as_str().unwrap().contains("--archive"), "{e}");
    }
    // A file that is not a `docker save` archive is refused at start.
    let bogus = dir.path().join("bogus.tar");
    std::fs::write(&bogus, b"not a tar at all").unwrap();
    let o = Command::new(bin())
        .args(["workshop", "serve", "--bind", "127.0.0.1:0", "--archive"])
        .arg(&bogus)
        .arg("--data")
        .arg(data.path().join("other"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("docker save"));
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

/// The board's event stream: a view at once, then a later one with the new report; pacing and
/// messages reach students and the board.
#[test]
fn board_events_follow_the_room() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let (_, ada) = s.student(&c, "Ada");
    let r = s.board_events();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut lines = BufReader::new(r).lines();
    let first = next_view(&mut lines, |_| true);
    assert_eq!(first["students"][0]["name"], "Ada");
    assert_eq!(first["self_reported"], true);
    assert!(first["exercises"].as_array().unwrap().len() > 20);
    // The join screen: only in the board's stream (behind the board key).
    let join = &first["join"];
    assert_eq!(join["url"], json!(s.url));
    assert_eq!(join["code"], json!(s.code));
    assert_eq!(
        join["command"],
        json!(format!(
            "dockdojo workshop join {} {} --name \"Your Name\"",
            s.url, s.code
        ))
    );
    assert!(join["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    assert_eq!(join["archive"], Value::Null);

    let r = s.report(
        &c,
        Some(&ada),
        &check("s1", "03-cache-order", false, &["cache"]),
    );
    assert_eq!(r.status(), StatusCode::OK);
    let v = next_view(&mut lines, |v| {
        v["students"][0]["cells"]["03-cache-order"]["attempts"] == 1
    });
    assert_eq!(
        v["failing"][0],
        json!({"exercise": "03-cache-order", "check": "cache", "students": 1})
    );

    // Pacing and a message: the instructor's answer, the student's view and the board.
    let r = c
        .post(format!("{}/api/pace", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"unlocked_through": 3, "on_break": true}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let room: Value = r.json().unwrap();
    assert_eq!(
        (room["unlocked_through"].clone(), room["on_break"].clone()),
        (json!(3), json!(true))
    );
    let r = c
        .post(format!("{}/api/pace", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"unlocked_through": 99}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .post(format!("{}/api/message", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"kind": "hint", "text": "Order the COPY after the install", "exercise": "03-cache-order"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let m: Value = r.json().unwrap();
    assert_eq!(m["kind"], "hint");
    let sv: Value = c
        .get(format!("{}/api/student", s.url))
        .bearer_auth(&ada)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(sv["unlocked_through"], 3);
    assert_eq!(sv["on_break"], true);
    assert_eq!(
        sv["messages"][0]["text"],
        "Order the COPY after the install"
    );
    let v = next_view(&mut lines, |v| {
        v["messages"].as_array().is_some_and(|m| !m.is_empty())
    });
    assert_eq!(v["on_break"], true);
    // Open everything again (null).
    let r = c
        .post(format!("{}/api/pace", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"unlocked_through": null}))
        .send()
        .unwrap();
    let room: Value = r.json().unwrap();
    assert_eq!(room["unlocked_through"], Value::Null);
    assert_eq!(room["on_break"], true);
    assert!(room.get("join").is_none(), "{room}");

    // A new join code reaches the board's join screen.
    let r = c
        .post(format!("{}/api/moderate", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"action": "rotate_code"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let new = r.json::<Value>().unwrap()["join_code"].clone();
    assert_ne!(new, json!(s.code));
    let v = next_view(&mut lines, |v| v["join"]["code"] == new);
    assert!(v["join"]["command"]
        .as_str()
        .unwrap()
        .contains(new.as_str().unwrap()));
}

/// A board key read off the projector is retired with a new one: the open board's stream
/// closes, the old address is a 404, the new one serves, and the instructor file and a restart
/// keep the new key.
#[test]
fn a_new_board_key_closes_open_boards_and_retires_the_old_address() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let r = s.board_events();
    let mut lines = BufReader::new(r).lines();
    next_view(&mut lines, |_| true);
    // A student's token cannot do it.
    let (_, ada) = s.student(&c, "Ada");
    let rotate = |token: &str| {
        c.post(format!("{}/api/moderate", s.url))
            .bearer_auth(token)
            .json(&json!({"action": "rotate_board_key"}))
            .send()
            .unwrap()
    };
    assert_eq!(rotate(&ada).status(), StatusCode::UNAUTHORIZED);
    let r = rotate(&s.token);
    assert_eq!(r.status(), StatusCode::OK);
    let done = r.json::<Value>().unwrap()["done"]
        .as_str()
        .unwrap()
        .to_string();
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(data.path().join("instructor.json")).unwrap(),
    )
    .unwrap();
    let new = file["board_key"].as_str().unwrap().to_string();
    assert_ne!(new, s.board_key);
    assert!(
        done.contains(&format!("{}/board?key={new}", s.url)),
        "{done}"
    );
    // The open board's stream ends: the server closes it (a read that timed out would be an
    // error here, not the end).
    for line in lines {
        if let Err(e) = line {
            panic!("the board's stream was not closed: {e}");
        }
    }
    for (key, status) in [
        (&s.board_key, StatusCode::NOT_FOUND),
        (&new, StatusCode::OK),
    ] {
        let r = c.get(format!("{}/board?key={key}", s.url)).send().unwrap();
        assert_eq!(r.status(), status, "board with key {key}");
        let r = c
            .get(format!("{}/board/events?key={key}", s.url))
            .timeout(Duration::from_secs(2))
            .send();
        match status {
            StatusCode::OK => assert_eq!(r.unwrap().status(), StatusCode::OK),
            _ => assert_eq!(r.unwrap().status(), status),
        }
    }
    // The server started again from the same data folder keeps the new key.
    drop(s);
    let s = Server::start(data.path(), &[]);
    assert_eq!(s.board_key, new);
}

/// A message or hint to one student: only the instructor sends it, only that student (and the
/// instructor's views) see it, never the board; an unknown student is a 404, the text is
/// held to the same rules as a message to the room.
#[test]
fn a_message_to_one_student_reaches_only_them() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let (ada_id, ada) = s.student(&c, "Ada");
    let (_, bob) = s.student(&c, "Bob");
    let send = |token: &str, body: &Value| {
        c.post(format!("{}/api/message", s.url))
            .bearer_auth(token)
            .json(body)
            .send()
            .unwrap()
    };
    let room_wide = json!({"kind": "message", "text": "back at 10:45"});
    assert_eq!(send(&s.token, &room_wide).status(), StatusCode::OK);
    let to_ada = json!({"kind": "hint", "text": "check the port", "exercise": "00-first-container", "student": ada_id});
    // A student's token sends nothing, to anyone.
    assert_eq!(send(&ada, &to_ada).status(), StatusCode::UNAUTHORIZED);
    let r = send(&s.token, &to_ada);
    assert_eq!(r.status(), StatusCode::OK);
    let m: Value = r.json().unwrap();
    assert_eq!(m["student"], ada_id);
    for (body, status) in [
        (
            json!({"kind": "message", "text": "hi", "student": 999}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"kind": "message", "text": "hi\u{1b}[2J", "student": ada_id}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"kind": "message", "text": "hi", "student": "Ada"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        assert_eq!(send(&s.token, &body).status(), status, "{body}");
    }
    let texts = |token: &str| -> Vec<String> {
        let v: Value = c
            .get(format!("{}/api/student", s.url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(texts(&ada), ["back at 10:45", "check the port"]);
    assert_eq!(texts(&bob), ["back at 10:45"]);
    let room = s.room(&c);
    assert_eq!(room["messages"].as_array().unwrap().len(), 2);
    assert_eq!(room["messages"][1]["student"], ada_id);
    // The projector's stream never carries it.
    let r = s.board_events();
    let board = next_view(&mut BufReader::new(r).lines(), |_| true);
    let on_board: Vec<&str> = board["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(on_board, ["back at 10:45"]);
}

/// Checks dockdojo started on its own (`started_by: auto`) are kept but are no attempts and
/// never make a student stuck; reports without the field (older clients) count as before.
#[test]
fn only_learner_started_checks_are_attempts() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &["--stuck-after", "2"]);
    let c = client();
    let (ada_id, ada) = s.student(&c, "Ada");
    let ex = "00-first-container";
    for i in 0..4 {
        let mut r = check(&format!("auto{i}"), ex, false, &["created"]);
        r["started_by"] = json!("auto");
        assert_eq!(s.report(&c, Some(&ada), &r).status(), StatusCode::OK);
    }
    let ada_row = |room: &Value| {
        room["students"]
            .as_array()
            .unwrap()
            .iter()
            .find(|st| st["id"] == ada_id)
            .unwrap()
            .clone()
    };
    let row = ada_row(&s.room(&c));
    assert!(row["cells"].get(ex).is_none(), "{row}");
    assert_eq!(row["stuck"], Value::Null);
    // Learner-started (no field, as an older client sends it): attempts, then stuck.
    for i in 0..2 {
        let r = check(&format!("l{i}"), ex, false, &["created"]);
        assert_eq!(s.report(&c, Some(&ada), &r).status(), StatusCode::OK);
    }
    let row = ada_row(&s.room(&c));
    assert_eq!(row["cells"][ex]["attempts"], 2);
    assert!(row["stuck"].as_str().unwrap().contains("2 times"), "{row}");
    // Anything else is refused.
    let mut r = check("bad", ex, false, &["created"]);
    r["started_by"] = json!("instructor");
    assert_eq!(
        s.report(&c, Some(&ada), &r).status(),
        StatusCode::BAD_REQUEST
    );
}

/// A break with an end time: students get the minutes left by the server's clock, the
/// instructor's view the end; out-of-range lengths are refused; ending the break forgets it.
#[test]
fn a_break_of_n_minutes_counts_down_for_students() {
    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let c = client();
    let (_, ada) = s.student(&c, "Ada");
    let pace = |body: Value| {
        c.post(format!("{}/api/pace", s.url))
            .bearer_auth(&s.token)
            .json(&body)
            .send()
            .unwrap()
    };
    let view = || -> Value {
        c.get(format!("{}/api/student", s.url))
            .bearer_auth(&ada)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    for bad in [
        json!({"on_break": true, "break_minutes": 0}),
        json!({"on_break": true, "break_minutes": 241}),
        json!({"on_break": false, "break_minutes": 10}),
        json!({"break_minutes": 10}),
    ] {
        assert_eq!(pace(bad.clone()).status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = pace(json!({"on_break": true, "break_minutes": 15}));
    assert_eq!(r.status(), StatusCode::OK);
    let room: Value = r.json().unwrap();
    let left = room["break_until"].as_i64().unwrap() - room["now"].as_i64().unwrap();
    assert!((899..=900).contains(&left), "{room}");
    let v = view();
    assert_eq!(v["on_break"], true);
    let left = v["break_left_s"].as_u64().unwrap();
    assert!((890..=900).contains(&left), "{v}");
    // Open-ended break, then none: no time left to show.
    assert_eq!(pace(json!({"on_break": true})).status(), StatusCode::OK);
    assert!(view().get("break_left_s").is_none());
    assert_eq!(pace(json!({"on_break": false})).status(), StatusCode::OK);
    let v = view();
    assert_eq!(
        (v["on_break"].clone(), v.get("break_left_s")),
        (json!(false), None)
    );
}
