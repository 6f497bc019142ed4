//! Fixtures for tests that grade against the real Docker daemon: an exercise folder in a tempdir,
//! an `exercise.toml` made of a fixed header and a few `[[checks]]`, one run through
//! `checker::run_exercise` (which must leave nothing of its session behind), and the live
//! containers, volumes and networks a test creates itself, removed when the test ends, pass or
//! fail.
//!
//! Every name is unique per test (`dojo-kt-<8 hex>-…`), and every Dockerfile starts with a label
//! of its own, so tests running in parallel never share names, ports or build cache (one test's
//! cleanup could otherwise delete a cached layer another test is building on).

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use checker::docker::builder::Builder;
use checker::docker::Engine;
use checker::error::EnvError;
use checker::report::{CheckResult, Report};
use checker::{run_exercise, RunOptions};

/// The course base image every fixture builds from (present locally; there is no registry).
pub const BASE: &str = "busybox:1.36.1";

/// Eight random hex digits.
pub fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

/// Seconds since the epoch, as `docker events --since/--until` take them.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

/// A 127.0.0.1 port nothing listens on right now (the OS picked it, then we let it go).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

// ---------------------------------------------------------------------------------------------
// The exercise folder and its exercise.toml
// ---------------------------------------------------------------------------------------------

/// An exercise folder in a tempdir.
pub struct Fixture {
    dir: tempfile::TempDir,
    /// This fixture's own value for the `kt.case` label its Dockerfiles start with.
    pub case: String,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            case: unique(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file (parents created), byte for byte.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write fixture file");
        self
    }

    /// `Dockerfile`: `FROM busybox:1.36.1`, this fixture's `LABEL kt.case=…`, then `rest`.
    pub fn dockerfile(&self, rest: &str) -> &Self {
        self.dockerfile_named("Dockerfile", rest)
    }

    /// Like [`Fixture::dockerfile`], under another file name (`Dockerfile.web`…).
    pub fn dockerfile_named(&self, name: &str, rest: &str) -> &Self {
        self.write(name, format!("{}{rest}", self.preamble()))
    }

    /// The first two lines of every [`Fixture::dockerfile`].
    pub fn preamble(&self) -> String {
        format!("FROM {BASE}\nLABEL kt.case=\"{}\"\n", self.case)
    }
}

impl Drop for Fixture {
    /// A safety net, not a substitute for the checker's own cleanup (tests that care assert
    /// [`case_leftovers`] first): remove whatever a build of this fixture's Dockerfiles left.
    /// The `kt.case` value is unique to this fixture, so nothing else carries it.
    fn drop(&mut self) {
        for _ in 0..10 {
            let left = case_leftovers(&self.case);
            if left.is_empty() {
                return;
            }
            for l in left {
                match l.split_once(' ') {
                    Some(("container", id)) => {
                        let _ = docker_try(&["rm", "-f", id]);
                    }
                    Some((_, id)) => {
                        let _ = docker_try(&["rmi", id]);
                    }
                    None => {}
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// One `[[checks]]` table: `title` is the id, `hint` is `hint for <id>`, then the kind's own
/// fields, one `key = value` per line.
pub fn check(id: &str, kind: &str, fields: &str) -> String {
    format!(
        "\n[[checks]]\nid = \"{id}\"\ntitle = \"{id}\"\nhint = \"hint for {id}\"\nkind = \"{kind}\"\n{fields}\n"
    )
}

/// A whole `exercise.toml`.
pub fn exercise_toml(id: &str, mode: &str, checks: &str) -> String {
    format!(
        r#"schema_version = 1
id = "{id}"
title = "check kind test {id}"
chapter = 0
minutes = 1
difficulty = "easy"
mode = "{mode}"
book = "ch00-check-kinds.md"
hints = ["the first hint"]
{checks}"#
    )
}

// ---------------------------------------------------------------------------------------------
// Grading
// ---------------------------------------------------------------------------------------------

/// A finished run: its report and the session it ran under.
pub struct Graded {
    pub report: Report,
    pub session: String,
}

/// Parse the exercise, connect a fresh engine (a fresh session), grade `dir`, and prove the run
/// left nothing labelled with its session. `DOJO_SHOW_REPORTS=1` prints every result (run the
/// tests with `--nocapture` to read them).
pub async fn grade(id: &str, mode: &str, checks: &str, dir: &Path) -> Graded {
    grade_on(id, mode, checks, dir, None).await
}

/// Like [`grade`], with every build on `builder` (as `DOCKER_BUILDKIT=1` or `0` asks).
pub async fn grade_with_builder(
    id: &str,
    mode: &str,
    checks: &str,
    dir: &Path,
    builder: Builder,
) -> Graded {
    grade_on(id, mode, checks, dir, Some(builder)).await
}

async fn grade_on(
    id: &str,
    mode: &str,
    checks: &str,
    dir: &Path,
    builder: Option<Builder>,
) -> Graded {
    try_grade(id, mode, checks, dir, builder)
        .await
        .unwrap_or_else(|e| panic!("run_exercise could not check at all: {e}"))
}

/// One run that may end in an environment error (exit 3) instead of a report; either way it
/// leaves nothing of its session behind. `builder` as in [`grade_with_builder`].
pub async fn try_grade(
    id: &str,
    mode: &str,
    checks: &str,
    dir: &Path,
    builder: Option<Builder>,
) -> Result<Graded, EnvError> {
    try_grade_opts(id, mode, checks, dir, builder, false).await
}

/// [`grade`] as `self-test` runs a starter or a mutant: no check after the first failure.
pub async fn grade_to_first_failure(id: &str, mode: &str, checks: &str, dir: &Path) -> Graded {
    try_grade_opts(id, mode, checks, dir, None, true)
        .await
        .unwrap_or_else(|e| panic!("run_exercise could not check at all: {e}"))
}

async fn try_grade_opts(
    id: &str,
    mode: &str,
    checks: &str,
    dir: &Path,
    builder: Option<Builder>,
    stop_at_first_failure: bool,
) -> Result<Graded, EnvError> {
    let text = exercise_toml(id, mode, checks);
    let exercise = checker::spec::parse_exercise("exercise.toml", &text)
        .unwrap_or_else(|e| panic!("the fixture exercise does not parse: {e}\n{text}"));
    let mut engine = Engine::connect()
        .await
        .unwrap_or_else(|e| panic!("these tests need a reachable Docker daemon: {e}"));
    if builder.is_some() {
        engine.builders.requested = builder;
    }
    let opts = RunOptions {
        dir: dir.to_path_buf(),
        stop_at_first_failure,
    };
    let report = run_exercise(&engine, &exercise, &opts).await;
    assert_session_clean(&engine.session);
    let report = report?;
    if std::env::var_os("DOJO_SHOW_REPORTS").is_some() {
        for r in &report.checks {
            eprintln!("[{id}] {}", show(r));
        }
    }
    Ok(Graded {
        report,
        session: engine.session.clone(),
    })
}

/// The major version of the daemon the tests run against (`20` for 20.10.24).
pub async fn engine_major() -> u32 {
    let engine = Engine::connect()
        .await
        .unwrap_or_else(|e| panic!("these tests need a reachable Docker daemon: {e}"));
    engine
        .server_version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// A check result as a learner would read it (for assertion messages).
pub fn show(r: &CheckResult) -> String {
    format!(
        "check '{}': passed={} skipped={} unsupported={}\n  expected: {}\n  actual:   {}\n  hint:     {}",
        r.id, r.passed, r.skipped, r.unsupported, r.expected, r.actual, r.hint
    )
}

impl Graded {
    pub fn check(&self, id: &str) -> &CheckResult {
        self.report
            .checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check '{id}' in the report"))
    }

    /// The check passed.
    pub fn passed(&self, id: &str) -> &CheckResult {
        let r = self.check(id);
        assert!(r.passed && !r.skipped, "expected a pass:\n{}", show(r));
        r
    }

    /// The check ran and failed, and its message (expected + actual + hint) names every needle.
    pub fn failed(&self, id: &str, needles: &[&str]) -> &CheckResult {
        let r = self.check(id);
        assert!(
            !r.passed && !r.skipped && !r.unsupported,
            "expected a failure of its own:\n{}",
            show(r)
        );
        let message = format!("{}\n{}\n{}", r.expected, r.actual, r.hint);
        for n in needles {
            assert!(
                message.contains(n),
                "the failure message lacks {n:?}:\n{}",
                show(r)
            );
        }
        r
    }

    /// The check did not run because an earlier one did not produce what it needs.
    pub fn skipped(&self, id: &str) -> &CheckResult {
        let r = self.check(id);
        assert!(r.skipped && !r.passed, "expected a skip:\n{}", show(r));
        r
    }
}

// ---------------------------------------------------------------------------------------------
// The docker CLI
// ---------------------------------------------------------------------------------------------

/// Run `docker …`; its stdout, or None when it failed.
pub fn docker_try(args: &[&str]) -> Option<String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Run `docker …`, which must succeed; its stdout.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI");
    assert!(
        out.status.success(),
        "docker {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Everything on the daemon labelled with `session`.
pub fn session_leftovers(session: &str) -> Vec<String> {
    let f = format!("label={}={session}", checker::labels::SESSION);
    let listings: [(&str, Vec<&str>); 4] = [
        ("container", vec!["ps", "-aq", "--filter", &f]),
        ("volume", vec!["volume", "ls", "-q", "--filter", &f]),
        ("network", vec!["network", "ls", "-q", "--filter", &f]),
        ("image", vec!["images", "-aq", "--filter", &f]),
    ];
    let mut left = Vec::new();
    for (what, args) in listings {
        for l in lines(&docker(&args)) {
            left.push(format!("{what} {l}"));
        }
    }
    left
}

pub fn assert_session_clean(session: &str) {
    let left = session_leftovers(session);
    assert!(
        left.is_empty(),
        "run_exercise left resources of session {session}: {left:?}"
    );
}

/// Images and containers (any state) carrying this fixture's `kt.case` label: what a build of
/// its Dockerfile left behind.
pub fn case_leftovers(case: &str) -> Vec<String> {
    let f = format!("label=kt.case={case}");
    let mut left: Vec<String> = lines(&docker(&["images", "-aq", "--filter", &f]))
        .into_iter()
        .map(|i| format!("image {i}"))
        .collect();
    left.extend(
        lines(&docker(&["ps", "-aq", "--filter", &f]))
            .into_iter()
            .map(|c| format!("container {c}")),
    );
    left
}

/// Names of images tagged between `since` and now whose name contains `needle` (the daemon's
/// event log: it shows a build happened even after the image is gone).
pub fn image_tags_since(since: f64, needle: &str) -> Vec<String> {
    let out = docker(&[
        "events",
        "--since",
        &format!("{since:.3}"),
        "--until",
        &format!("{:.3}", now() + 1.0),
        "--filter",
        "type=image",
        "--filter",
        "event=tag",
        "--format",
        "{{.Actor.Attributes.name}}",
    ]);
    lines(&out)
        .into_iter()
        .filter(|n| n.contains(needle))
        .collect()
}

/// Poll `docker exec <container> sh -c <script>` until it succeeds (panics after 15 s).
pub fn wait_until_exec(container: &str, script: &str) {
    let until = Instant::now() + Duration::from_secs(15);
    while docker_try(&["exec", container, "sh", "-c", script]).is_none() {
        assert!(
            Instant::now() < until,
            "`{script}` in {container} never succeeded"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------------------------
// Live resources a test owns
// ---------------------------------------------------------------------------------------------

/// Containers, volumes and networks one test created with the docker CLI, all named
/// `dojo-kt-<8 hex>-<what>`, removed on drop (also when the test panics). Only names this guard
/// created are ever removed.
pub struct Live {
    prefix: String,
    containers: Vec<String>,
    volumes: Vec<String>,
    networks: Vec<String>,
}

impl Live {
    pub fn new() -> Self {
        Self {
            prefix: format!("dojo-kt-{}", unique()),
            containers: vec![],
            volumes: vec![],
            networks: vec![],
        }
    }

    /// A name in this test's namespace, for things that must NOT exist.
    pub fn name(&self, what: &str) -> String {
        format!("{}-{what}", self.prefix)
    }

    /// `docker run -d --name <name> <args…>`: a background container.
    pub fn run(&mut self, what: &str, args: &[&str]) -> String {
        self.create(what, &["run", "-d"], args)
    }

    /// `docker run --name <name> <args…>`: waits until the container exits, keeps it.
    pub fn run_to_exit(&mut self, what: &str, args: &[&str]) -> String {
        let name = self.name(what);
        self.containers.push(name.clone());
        let mut full = vec!["run", "--name", &name];
        full.extend_from_slice(args);
        // Its exit code is the point of such a container; only the CLI itself failing matters.
        let out = Command::new("docker")
            .args(&full)
            .output()
            .expect("the docker CLI");
        assert!(
            docker_try(&["inspect", &name]).is_some(),
            "docker {} created nothing: {}",
            full.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        name
    }

    fn create(&mut self, what: &str, cmd: &[&str], args: &[&str]) -> String {
        let name = self.name(what);
        self.containers.push(name.clone());
        let mut full = cmd.to_vec();
        full.extend_from_slice(&["--name", &name]);
        full.extend_from_slice(args);
        docker(&full);
        name
    }

    pub fn volume(&mut self, what: &str) -> String {
        let name = self.name(what);
        self.volumes.push(name.clone());
        docker(&["volume", "create", &name]);
        name
    }

    pub fn network(&mut self, what: &str) -> String {
        let name = self.name(what);
        self.networks.push(name.clone());
        docker(&["network", "create", &name]);
        name
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let quiet = |args: &[&str]| {
            let _ = Command::new("docker").args(args).output();
        };
        for c in &self.containers {
            quiet(&["rm", "-f", "-v", c]);
        }
        for n in &self.networks {
            quiet(&["network", "rm", n]);
        }
        for v in &self.volumes {
            quiet(&["volume", "rm", "-f", v]);
        }
    }
}
