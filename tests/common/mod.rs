//! Helpers shared by the integration tests: running the real binary, the docker CLI, and
//! checking that nothing labelled by dockdojo is left behind.
#![allow(dead_code)]

pub mod fault;
pub mod running;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dockdojo"))
}

/// Run dockdojo in `dir` with extra env vars; never inherits a terminal.
pub fn dockdojo(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    dockdojo_pid(dir, args, env).0
}

/// Like [`dockdojo`], also returning the process id (its resources carry
/// `io.dockdojo.owner=<host>/<pid>`).
pub fn dockdojo_pid(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Output, u32) {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let child = c.spawn().expect("run dockdojo");
    let pid = child.id();
    (child.wait_with_output().expect("wait for dockdojo"), pid)
}

/// Resources left by the dockdojo process `pid` (all kinds, stopped containers included).
pub fn leftovers_of(pid: u32) -> Vec<String> {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    labelled(&format!("label=io.dockdojo.owner={host}/{pid}"))
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Run the docker CLI; returns (success, stdout).
pub fn docker(args: &[&str]) -> (bool, String) {
    let o = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).trim().to_string(),
    )
}

pub fn docker_ok(args: &[&str]) -> String {
    let (ok, out) = docker(args);
    assert!(ok, "docker {args:?} failed");
    out
}

/// A fresh workspace in a temp dir; returns (tempdir guard, workspace root).
pub fn workspace() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("dojo");
    let o = dockdojo(t.path(), &["init", root.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", text(&o));
    (t, root)
}

/// Copy an exercise's reference solution files (not scripts) over its workspace folder.
pub fn apply_solution(root: &Path, id: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("exercises")
        .join(id)
        .join("solution");
    copy_tree(&src, &root.join(id));
}

pub fn copy_tree(src: &Path, dest: &Path) {
    for e in std::fs::read_dir(src).unwrap().flatten() {
        let to = dest.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
            copy_tree(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// Everything carrying a session label, by kind (containers incl. stopped, images, volumes,
/// networks). `session` None means any session.
pub fn labelled_leftovers(session: Option<&str>) -> Vec<String> {
    let filter = match session {
        Some(s) => format!("label=io.dockdojo.session={s}"),
        None => "label=io.dockdojo.session".to_string(),
    };
    labelled(&filter)
}

fn labelled(filter: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, args) in [
        ("container", vec!["ps", "-a", "-q", "--filter", filter]),
        ("image", vec!["images", "-q", "--filter", filter]),
        ("volume", vec!["volume", "ls", "-q", "--filter", filter]),
        ("network", vec!["network", "ls", "-q", "--filter", filter]),
    ] {
        let (_, o) = docker(&args);
        for l in o.lines().filter(|l| !l.is_empty()) {
            out.push(format!("{kind} {l}"));
        }
    }
    out
}

pub fn short_id() -> String {
    uuid_like()
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{:x}",
        (n ^ (std::process::id() as u128) << 20) & 0xffff_ffff
    )
}

/// Does the API on this unix socket answer `GET /_ping` with `OK`?
pub fn ping_socket(socket: &Path) -> Result<(), String> {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(socket)
        .map_err(|e| format!("cannot connect: {e}"))?;
    let limit = Some(std::time::Duration::from_secs(5));
    s.set_read_timeout(limit).map_err(|e| e.to_string())?;
    s.set_write_timeout(limit).map_err(|e| e.to_string())?;
    s.write_all(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
        .map_err(|e| format!("cannot send: {e}"))?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)
        .map_err(|e| format!("no answer: {e}"))?;
    if answer.starts_with("HTTP/1.") && answer.contains(" 200 ") && answer.ends_with("OK") {
        Ok(())
    } else {
        Err(format!(
            "unexpected answer: {}",
            answer.lines().next().unwrap_or("")
        ))
    }
}

/// The end of a self-test's report: the cases that did not behave as expected and the totals
/// (or, when there is no such list, its last lines), for failure messages that a shortened log
/// still shows whole.
#[allow(dead_code)]
pub fn selftest_verdict(out: &str) -> String {
    let lines: Vec<&str> = out.lines().collect();
    let from = lines
        .iter()
        .rposition(|l| l.ends_with("did not behave as expected:"))
        .unwrap_or(lines.len().saturating_sub(20));
    lines[from..].join("\n")
}

/// Leave what a self-test that was killed leaves: an image of its own kept under
/// `dojo-selftest-keep` (built from `busybox:1.36.1` with one label, so removing it removes
/// nothing else), on the engine at `docker_host` (`None`: the docker CLI's default).
#[allow(dead_code)]
pub fn stale_kept_image(docker_host: Option<&str>) {
    use std::io::Write;
    let mut cmd = Command::new("docker");
    cmd.args([
        "build",
        "-q",
        "-t",
        "dojo-selftest-keep:zz-killed-000000000000",
        "-",
    ])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    if let Some(h) = docker_host {
        cmd.env("DOCKER_HOST", h);
    }
    let mut child = cmd.spawn().expect("run docker build");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"FROM busybox:1.36.1\nLABEL io.dockdojo.test=killed-self-test\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "docker build: {}", text(&o));
}
