//! A real `dockdojo workshop serve` on 127.0.0.1 for the instructor-side tests (dashboard,
//! projector board): started with a temporary data folder, waited for, stopped on drop; plus
//! the few API calls the tests make as students and as the instructor.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub struct Server {
    child: Option<Child>,
    pub data: tempfile::TempDir,
    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// instructor.json as written by the server.
    pub file: Value,
}

impl Server {
    /// Start the server on a free port and wait until it answers the instructor.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// [`Server::start`] with more `workshop serve` arguments (e.g. `--archive FILE`).
    pub fn start_with(extra: &[&std::ffi::OsStr]) -> Self {
        let data = tempfile::tempdir().expect("a data folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = std::fs::File::create(data.path().join("serve.log")).expect("a log file");
        let child = Command::new(super::common::bin())
            .args(["workshop", "serve", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data")
            .arg(data.path())
            .args(extra)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start dockdojo workshop serve");
        let mut s = Server {
            child: Some(child),
            data,
            url: format!("http://127.0.0.1:{port}"),
            file: Value::Null,
        };
        let until = Instant::now() + Duration::from_secs(30);
        let path = s.data.path().join("instructor.json");
        loop {
            if let Some(f) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            {
                s.file = f;
                if s.try_call("GET", "/api/room", Some(&s.token()), None)
                    .is_some()
                {
                    return s;
                }
            }
            if let Some(c) = s.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    panic!("the server exited ({status}):\n{}", s.log());
                }
            }
            assert!(
                Instant::now() < until,
                "the server did not answer within 30 s:\n{}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data.path().to_path_buf()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("serve.log")).unwrap_or_default()
    }

    fn field(&self, k: &str) -> String {
        self.file[k].as_str().unwrap_or_default().to_string()
    }
    pub fn token(&self) -> String {
        self.field("instructor_token")
    }
    pub fn code(&self) -> String {
        self.field("join_code")
    }
    pub fn board_key(&self) -> String {
        self.field("board_key")
    }

    /// Stop the server (the test's own child process).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn try_call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Option<(u16, Value)> {
        http(method, &format!("{}{path}", self.url), token, body).ok()
    }

    /// A request that must get an answer: (status, JSON body or the text as a string).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        http(method, &format!("{}{path}", self.url), token, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.log()))
    }

    /// Join as a student; returns the student's token.
    pub fn join(&self, name: &str) -> String {
        let (status, v) = self.call(
            "POST",
            "/api/join",
            None,
            Some(json!({ "code": self.code(), "name": name })),
        );
        assert_eq!(status, 200, "join {name:?}: {v}");
        v["token"].as_str().expect("a token").to_string()
    }

    /// A student's check report.
    pub fn report(&self, token: &str, exercise: &str, failed: &[&str]) {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!(
            "00000000-0000-4000-8000-{:06x}{:06x}",
            std::process::id() & 0xff_ffff,
            n
        );
        let body = json!({
            "id": id,
            "kind": "check",
            "exercise": exercise,
            "passed": failed.is_empty(),
            "failed": failed,
            "summary": if failed.is_empty() { "all checks passed".to_string() } else { format!("{} failed", failed[0]) },
        });
        let (status, v) = self.call("POST", "/api/report", Some(token), Some(body));
        assert_eq!(status, 200, "report: {v}");
    }

    /// A student's doctor or prepare report.
    pub fn setup_report(&self, token: &str, kind: &str, passed: bool) {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!(
            "00000000-0000-4000-9000-{:06x}{:06x}",
            std::process::id() & 0xff_ffff,
            n
        );
        let body = json!({ "id": id, "kind": kind, "passed": passed });
        let (status, v) = self.call("POST", "/api/report", Some(token), Some(body));
        assert_eq!(status, 200, "{kind} report: {v}");
    }

    pub fn room(&self) -> Value {
        let (status, v) = self.call("GET", "/api/room", Some(&self.token()), None);
        assert_eq!(status, 200, "room: {v}");
        v
    }

    pub fn pace(&self, body: Value) -> Value {
        let (status, v) = self.call("POST", "/api/pace", Some(&self.token()), Some(body));
        assert_eq!(status, 200, "pace: {v}");
        v
    }

    /// Wait until the room satisfies `ok`; the room at that moment, or the last one seen.
    pub fn wait_room(
        &self,
        ok: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Result<Value, Value> {
        let until = Instant::now() + timeout;
        loop {
            let r = self.room();
            if ok(&r) {
                return Ok(r);
            }
            if Instant::now() > until {
                return Err(r);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One HTTP request (with the Host header the server expects: the address it binds).
pub fn http(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = client.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| e.to_string())?;
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, v))
    })
}
