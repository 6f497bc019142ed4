//! The grading suite against a second real engine: Podman's Docker-compatible API, on the socket
//! `.ci/podman-up` starts (`unix:///run/dockdojo-podman/podman.sock`).
//!
//! Each test first makes the course images available on Podman with the real `dockdojo prepare`
//! (once per run), then proves: `doctor` passes; `check --json` keeps the report contract; a
//! check Podman cannot do is reported "unsupported on this runtime", never a false fail; and the
//! whole course passes `self-test` (every case behaves as expected, or is declared unsupported
//! on Podman with its reason). Nothing labelled by these runs is left on Podman.
//!
//! When the socket does not answer, the tests print why and return, unless `CI=true`: CI must
//! have started Podman, so there they fail.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};

use common::{apply_solution, dockdojo_pid, text, workspace};

/// The socket `.ci/podman-up` starts the Podman service on.
const SOCKET: &str = "/run/dockdojo-podman/podman.sock";
const HOST: &str = "unix:///run/dockdojo-podman/podman.sock";

/// Does the Podman service answer `GET /_ping` with `OK`?
fn ping() -> Result<(), String> {
    common::ping_socket(Path::new(SOCKET))
}

/// One test at a time (they share the course images and the exercises' names), after one
/// `dockdojo prepare` on Podman. `None`: Podman is not running here (and this is not CI).
fn podman() -> Option<MutexGuard<'static, ()>> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static PREPARED: OnceLock<Result<(), String>> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(why) = ping() {
        let msg = format!(
            "Podman's API does not answer on {SOCKET} ({why}). Start it with `.ci/podman-up`."
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} CI must start it before the tests.");
        }
        println!("skipped: {msg}");
        return None;
    }
    let prepared = PREPARED.get_or_init(|| {
        let t = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (o, _) = on_podman(t.path(), &["prepare"]);
        println!("dockdojo prepare on Podman:\n{}", text(&o));
        if o.status.success() {
            Ok(())
        } else {
            Err(text(&o))
        }
    });
    if let Err(out) = prepared {
        panic!("`dockdojo prepare` failed on Podman:\n{out}");
    }
    Some(guard)
}

/// Run dockdojo against Podman.
fn on_podman(dir: &Path, args: &[&str]) -> (Output, u32) {
    dockdojo_pid(dir, args, &[("DOCKER_HOST", HOST)])
}

/// Resources on Podman left by the dockdojo process `pid` (all kinds, stopped containers too).
fn leftovers_on_podman(pid: u32) -> Vec<String> {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let filter = format!("label=io.dockdojo.owner={host}/{pid}");
    let mut out = Vec::new();
    for (kind, args) in [
        ("container", vec!["ps", "-a", "-q", "--filter", &filter]),
        ("image", vec!["images", "-q", "--filter", &filter]),
        ("volume", vec!["volume", "ls", "-q", "--filter", &filter]),
        ("network", vec!["network", "ls", "-q", "--filter", &filter]),
    ] {
        let o = Command::new("docker")
            .args(&args)
            .env("DOCKER_HOST", HOST)
            .output()
            .expect("run docker");
        assert!(
            o.status.success(),
            "docker {args:?} on Podman failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        for l in String::from_utf8_lossy(&o.stdout).lines() {
            if !l.trim().is_empty() {
                out.push(format!("{kind} {}", l.trim()));
            }
        }
    }
    out
}

#[test]
fn podman_doctor_passes() {
    let Some(_podman) = podman() else { return };
    let t = tempfile::tempdir().unwrap();
    let (o, pid) = on_podman(t.path(), &["doctor"]);
    let out = text(&o);
    println!("{out}");
    assert!(o.status.success(), "doctor failed on Podman:\n{out}");
    assert!(out.contains("Podman"), "doctor names the runtime:\n{out}");
    assert!(
        leftovers_on_podman(pid).is_empty(),
        "{:?}",
        leftovers_on_podman(pid)
    );
}

#[test]
fn podman_check_json_follows_the_report_contract() {
    let Some(_podman) = podman() else { return };
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    let (o, pid) = on_podman(&root, &["check", id, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        leftovers_on_podman(pid).is_empty(),
        "{:?}",
        leftovers_on_podman(pid)
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(r["exercise"], id);
    assert_eq!(r["passed"], false);
    assert!(r["duration_ms"].is_u64());
    let checks = r["checks"].as_array().expect("checks");
    assert!(!checks.is_empty());
    for c in checks {
        for k in ["id", "title", "expected", "actual", "hint", "book"] {
            assert!(c[k].is_string(), "{k} in {c}");
        }
        assert!(c["passed"].is_boolean() && c["duration_ms"].is_u64(), "{c}");
    }
    let failed = checks
        .iter()
        .find(|c| c["passed"] == false)
        .expect("a failed check");
    assert!(
        failed["book"].as_str().unwrap_or("").contains(".md#"),
        "{failed}"
    );

    apply_solution(&root, id);
    let (o, pid) = on_podman(&root.join(id), &["check", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        leftovers_on_podman(pid).is_empty(),
        "{:?}",
        leftovers_on_podman(pid)
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(r["passed"], true, "{r}");
}

/// Podman 4.3 without systemd never runs a healthcheck: the health checks of the reference
/// solution say so ("unsupported on this runtime") instead of failing it.
#[test]
fn podman_healthchecks_are_unsupported_never_failed() {
    let Some(_podman) = podman() else { return };
    let (_t, root) = workspace();
    let id = "11-healthcheck";
    apply_solution(&root, id);
    let (o, pid) = on_podman(&root.join(id), &["check", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        leftovers_on_podman(pid).is_empty(),
        "{:?}",
        leftovers_on_podman(pid)
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(r["passed"], true, "{r}");
    let checks = r["checks"].as_array().expect("checks");
    let by_id = |id: &str| {
        checks
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id} in {r}"))
    };
    // The image's HEALTHCHECK is still checked (Podman's image inspect hides it; a container
    // created from the image shows it).
    assert_eq!(by_id("has-healthcheck")["passed"], true, "{r}");
    for id in ["healthy", "catches-broken"] {
        let c = by_id(id);
        assert_eq!(c["unsupported"], true, "{c}");
        assert_eq!(c["passed"], false, "{c}");
        let actual = c["actual"].as_str().unwrap_or("");
        assert!(
            actual.contains("unsupported on this runtime") && actual.contains("Podman"),
            "{c}"
        );
    }
    // The first wait found that no probe runs; the second is told at once, not after its 10 s.
    let second = by_id("catches-broken")["actual"].as_str().unwrap_or("");
    assert!(second.contains("an earlier container"), "{second}");
    // The terminal report marks them apart from failures.
    let (o, _) = on_podman(&root.join(id), &["check"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("  ~ ") && out.contains("unsupported on this runtime"),
        "{out}"
    );
}

#[test]
fn podman_self_test_proves_every_exercise() {
    let Some(_podman) = podman() else { return };
    let t = tempfile::tempdir().unwrap();
    // A killed self-test's kept build is removed by the next one (asserted below): Podman names
    // it `docker.io/library/dojo-selftest-keep:…`.
    common::stale_kept_image(Some(HOST));
    let (o, pid) = on_podman(t.path(), &["self-test"]);
    let out = text(&o);
    // Its end first: a shortened log of a failure still shows which cases misbehaved.
    println!(
        "{}\n\nthe whole report:\n{out}",
        common::selftest_verdict(&out)
    );
    assert!(
        leftovers_on_podman(pid).is_empty(),
        "self-test left {:?} on Podman",
        leftovers_on_podman(pid)
    );
    // The builds kept between an exercise's cases go with its last case; a killed one's, first.
    let kept = Command::new("docker")
        .args(["images", "-q", "dojo-selftest-keep"])
        .env("DOCKER_HOST", HOST)
        .output()
        .expect("run docker");
    assert!(
        kept.status.success() && kept.stdout.is_empty(),
        "self-test kept images on Podman: {}",
        text(&kept)
    );
    assert!(
        o.status.success(),
        "self-test failed on Podman (the whole report is printed above):\n{}",
        common::selftest_verdict(&out)
    );
    let exercises = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("exercise.toml").is_file())
        .count();
    let last = out
        .lines()
        .rfind(|l| l.ends_with("failed"))
        .unwrap_or_default()
        .to_string();
    let (passed, failed) = last.split_once(" passed, ").expect("the closing line");
    assert_eq!(
        failed.trim(),
        "0 failed",
        "{}",
        common::selftest_verdict(&out)
    );
    let passed: usize = passed.trim().parse().expect("a count");
    let unsupported: Vec<&str> = out.lines().filter(|l| l.starts_with("  unsup ")).collect();
    assert!(
        passed + unsupported.len() >= exercises * 4,
        "{passed} passed and {} unsupported cases for {exercises} exercises",
        unsupported.len()
    );
    // Every starter fails and every solution passes, on Podman too, except where a Dockerfile
    // needs BuildKit (cache and secret mounts), which Podman's builder does not run: those
    // cases say so.
    for case in ["starter fails", "solution passes"] {
        let ok = out.matches(&format!("  ok   {case}")).count();
        let unsup: Vec<&str> = out
            .lines()
            .filter(|l| l.starts_with(&format!("  unsup {case}")))
            .collect();
        assert_eq!(ok + unsup.len(), exercises, "{case}:\n{out}");
        for l in &unsup {
            assert!(l.contains("only BuildKit builds"), "{l}");
        }
        assert!(unsup.len() <= 2, "{case}: {unsup:?}");
    }
    // What Podman cannot prove is said, with its reason.
    for l in &unsupported {
        assert!(
            l.contains("unsupported on this runtime: Podman"),
            "an unsupported case without its reason: {l}"
        );
    }
    println!("unsupported on Podman ({}):", unsupported.len());
    for l in &unsupported {
        println!("{l}");
    }
}
