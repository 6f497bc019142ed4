//! The reliability cases (docs/RELIABILITY.md) that live at the level of one check: malformed
//! and BuildKit-only Dockerfiles, a build slower than the client's default timeout, a full disk,
//! exit codes right after start, health, an app that does not really answer, OOM, and the
//! monotonic clock. Each test names its case; the end-to-end cases with the real binary are in
//! the root package's tests/reliability.rs, and the case → test table is tests/RELIABILITY.md.
//!
//! Needs the daemon and `busybox:1.36.1`, like the check-kind tests (their fixtures are reused).

mod common;

#[path = "../../tests/common/fault.rs"]
#[allow(dead_code)]
mod fault;

use std::time::Duration;

use checker::docker::builder::Builder;
use checker::docker::connect::LookupEnv;
use checker::docker::Engine;
use checker::error::EnvError;
use checker::{run_exercise, RunOptions};
use common::{assert_session_clean, check, exercise_toml, grade, try_grade, Fixture, Live, BASE};

/// Grade an exercise.toml's text on `engine` (a real daemon with a cut timeout, or a fake
/// one), in `dir`.
async fn grade_with(engine: &Engine, text: &str, dir: &std::path::Path) -> checker::Report {
    let exercise = checker::spec::parse_exercise("exercise.toml", text).unwrap();
    run_exercise(
        engine,
        &exercise,
        &RunOptions {
            dir: dir.to_path_buf(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// Case 17: an unknown instruction → a parse error with its line, graded "build failed", no crash.
#[tokio::test]
async fn case_17_unknown_instruction_is_a_parse_error_with_its_line() {
    let fx = Fixture::new();
    fx.dockerfile("COPPY app.sh /app/\nCMD [\"sh\"]\n");
    let g = grade(
        "90-rel-unknown",
        "build",
        &check("build", "build", ""),
        fx.path(),
    )
    .await;
    let r = g.failed("build", &["line 3"]);
    let all = format!("{}\n{}", r.actual, r.hint);
    assert!(
        all.contains("COPPY") || all.to_lowercase().contains("unknown"),
        "{all}"
    );
}

/// Case 18: BuildKit-only syntax (`RUN --mount=type=cache`) → built with BuildKit, even where
/// the daemon's default is the classic builder (Engine 20.10); where the classic builder is
/// asked for (`DOCKER_BUILDKIT=0`), an environment error naming the flag, never a failed attempt.
#[tokio::test]
async fn case_18_buildkit_only_syntax_builds_with_buildkit_or_says_it_needs_it() {
    let fx = Fixture::new();
    fx.dockerfile("RUN --mount=type=cache,target=/root/.cache echo cached\nCMD [\"sh\"]\n");
    let checks = check("build", "build", "");
    let engine = Engine::connect().await.unwrap();
    if engine.builder_for(Some("--mount")).is_err() {
        // No BuildKit on this runtime (Podman): see check_kinds/buildkit.rs.
        return;
    }
    let g = grade("90-rel-buildkit", "build", &checks, fx.path()).await;
    let r = g.passed("build");
    assert!(r.actual.contains("with BuildKit"), "{}", r.actual);
    let e = try_grade(
        "90-rel-buildkit-off",
        "build",
        &checks,
        fx.path(),
        Some(Builder::Classic),
    )
    .await
    .err()
    .expect("an environment error");
    assert!(matches!(e, EnvError::NoBuildKit { .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.contains("--mount")
            && e.contains("only BuildKit builds")
            && e.contains("DOCKER_BUILDKIT=0"),
        "{e}"
    );
}

/// Case 21: a legitimate build slower than the client's default timeout succeeds. The suite
/// cannot spend 120 s on bollard's default, so the engine's client timeout is cut to 2 s and
/// the build takes 6 s: it passes only because the build has a deadline of its own.
#[tokio::test]
async fn case_21_a_build_slower_than_the_client_timeout_succeeds() {
    let fx = Fixture::new();
    // A step of this run's own: BuildKit keeps its cache between runs, and a cached step is
    // not slow.
    fx.dockerfile(&format!(
        "RUN echo {} && sleep 6\nCMD [\"sh\"]\n",
        common::unique()
    ));
    let text = exercise_toml(
        "90-rel-slow",
        "build",
        &check("build", "build", "deadline_s = 60"),
    );
    let mut engine = Engine::connect().await.unwrap();
    engine.docker = engine.docker.with_timeout(Duration::from_secs(2));
    let report = grade_with(&engine, &text, fx.path()).await;
    assert_session_clean(&engine.session);
    let r = &report.checks[0];
    assert!(r.passed, "{}", common::show(r));
    assert!(
        r.duration_ms >= 5_000,
        "the build was not slow: {} ms",
        r.duration_ms
    );
}

/// Case 23: the daemon's "no space left on device" is told apart from everything else.
#[test]
fn case_23_no_space_left_is_classified_as_disk_full() {
    let e = bollard::errors::Error::DockerResponseServerError {
        status_code: 500,
        message: "write /var/lib/docker/tmp/x: no space left on device".into(),
    };
    let env = checker::docker::classify("create container", &e);
    assert!(matches!(env, checker::EnvError::DiskFull { .. }), "{env:?}");
    let msg = env.to_string();
    assert!(msg.contains("the disk Docker writes to is full"), "{msg}");
    assert!(msg.contains("docker system df"), "{msg}");
}

/// Case 24: exit 126 right after start (a script without its executable bit, run through the
/// shell) → the code explained with the last log lines. 127 and 1 are in check_kinds/run.rs.
#[tokio::test]
async fn case_24_exit_126_is_explained_with_the_log() {
    let fx = Fixture::new();
    fx.write("start.sh", "#!/bin/sh\necho started\n");
    fx.dockerfile("COPY start.sh /app/start.sh\nRUN chmod -x /app/start.sh\nCMD /app/start.sh\n");
    let checks = [
        check("build", "build", ""),
        check("run", "run", "name = \"app\""),
    ]
    .concat();
    let g = grade("90-rel-126", "build", &checks, fx.path()).await;
    g.failed(
        "run",
        &[
            "it exited right after starting, code 126: the command exists but cannot be run",
            "Permission denied",
        ],
    );
}

/// Case 25: a container that never becomes healthy, and one without a HEALTHCHECK → two
/// distinct messages.
#[tokio::test]
async fn case_25_never_healthy_and_no_healthcheck_are_told_apart() {
    let mut live = Live::new();
    let sick = live.run(
        "sick",
        &[
            "--health-cmd",
            "echo still-warming-up; exit 1",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
            BASE,
            "sleep",
            "600",
        ],
    );
    let plain = live.run("plain", &[BASE, "sleep", "600"]);
    let health = |c: &str| format!("container = \"{c}\"\nhealth = \"healthy\"\nwithin_s = 4");
    let checks = [
        check("sick", "container", &health(&sick)),
        check("plain", "container", &health(&plain)),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-rel-health", "live", &checks, fx.path()).await;
    g.failed(
        "sick",
        &[
            "reports healthy",
            "is unhealthy",
            "the last probe exited 1",
            "still-warming-up",
        ],
    );
    g.failed("plain", &["has no HEALTHCHECK", "Add a HEALTHCHECK"]);
}

/// Case 25: a runtime that does not run healthchecks (Podman without systemd timers: a
/// HEALTHCHECK in the config, no health state ever) → "unsupported on this runtime", not a fail.
/// Injected with a fake API that says it is Podman.
#[tokio::test]
async fn case_25_a_runtime_without_healthchecks_is_unsupported_not_failed() {
    let fake = fault::FakeApi::podman(|r| {
        let by_name_or_id = ["/containers/dojo-health/json", "/containers/abc123/json"];
        (r.method == "GET" && by_name_or_id.contains(&r.path.as_str())).then(|| {
            fault::Response::json(serde_json::json!({
                "Id": "abc123", "Name": "/dojo-health",
                "State": {"Status": "running", "Running": true, "ExitCode": 0},
                "Config": {"Image": "busybox:1.36.1",
                           "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 1000000000}},
                "HostConfig": {}
            }))
        })
    });
    let env = LookupEnv {
        docker_host: Some(fake.host()),
        ..Default::default()
    };
    let engine = Engine::connect_with(&env).await.unwrap();
    assert_eq!(engine.runtime, checker::docker::Runtime::Podman);
    let text = exercise_toml(
        "90-rel-podman-health",
        "live",
        &check(
            "health",
            "container",
            "container = \"dojo-health\"\nhealth = \"healthy\"\nwithin_s = 2",
        ),
    );
    let fx = Fixture::new();
    let report = grade_with(&engine, &text, fx.path()).await;
    let r = &report.checks[0];
    assert!(r.unsupported && !r.passed, "{}", common::show(r));
    assert!(
        r.actual.contains("unsupported on this runtime"),
        "{}",
        r.actual
    );
    assert!(r.actual.contains("healthchecks"), "{}", r.actual);
    assert!(report.passed, "an unsupported check is not a failure");
}

/// Case 26: an app that accepts connections but never answers HTTP is not a pass (docker-proxy
/// and a half-started app both accept); 127.0.0.1 inside is in check_kinds/http.rs.
#[tokio::test]
async fn case_26_an_accept_only_listener_is_not_an_answer() {
    let fx = Fixture::new();
    // busybox nc: accept every connection on 8080 (`-ll`: keep listening), then sit on it
    // without a word.
    fx.dockerfile(
        "USER 1000\nCMD [\"nc\", \"-ll\", \"-p\", \"8080\", \"-e\", \"sleep\", \"30\"]\n",
    );
    let checks = [
        check("build", "build", ""),
        check("run", "run", "name = \"mute\"\nports = [8080]"),
        check(
            "answers",
            "http",
            "container = \"mute\"\nport = 8080\nwithin_s = 2",
        ),
    ]
    .concat();
    let g = grade("90-rel-mute", "build", &checks, fx.path()).await;
    g.passed("run");
    g.failed("answers", &["answers 200", "got no HTTP answer"]);
}

/// Case 29: a container over its memory limit → "OOM-killed"; a 137 without OOMKilled (a
/// SIGKILL from elsewhere) → "killed by SIGKILL", "after the stop timeout".
#[tokio::test]
async fn case_29_oom_killed_and_a_plain_sigkill_are_told_apart() {
    let fx = Fixture::new();
    fx.dockerfile("CMD [\"sh\"]\n");
    // The string doubles until the shell holds more than the 16 MB limit.
    let hog = "[\"sh\", \"-c\", \"x=0123456789abcdef; while true; do x=$x$x; done\"]";
    let checks = [
        check("build", "build", ""),
        check(
            "hog",
            "run",
            &format!(
                "name = \"hog\"\ncommand = {hog}\nmemory_mb = 16\nexpect = \"exits\"\nexit_code = 0\nwithin_s = 20"
            ),
        ),
        check(
            "killed",
            "run",
            "name = \"killed\"\ncommand = [\"sh\", \"-c\", \"sh -c 'kill -9 $$'; exit $?\"]\nexpect = \"exits\"\nexit_code = 0\nwithin_s = 10",
        ),
    ]
    .concat();
    let g = grade("90-rel-oom", "build", &checks, fx.path()).await;
    g.failed("hog", &["exit code 137: OOM-killed"]);
    let r = g.failed(
        "killed",
        &["exit code 137: killed by SIGKILL", "after the stop timeout"],
    );
    assert!(!r.actual.contains("OOM"), "{}", r.actual);
}

/// Case 27 (the parsing half; the end-to-end clash is in tests/reliability.rs): the port a
/// failed start names, in the words of Docker's userland proxy and of its port allocator.
#[test]
fn case_27_the_clashing_port_is_read_from_the_daemons_message() {
    use checker::docker::probe::clashing_port;
    assert_eq!(
        clashing_port("driver failed programming external connectivity on endpoint x (abc): Bind for 127.0.0.1:18040 failed: port is already allocated"),
        Some(18040)
    );
    assert_eq!(
        clashing_port("driver failed programming external connectivity on endpoint x (abc): Error starting userland proxy: listen tcp4 127.0.0.1:18041: bind: address already in use"),
        Some(18041)
    );
    assert_eq!(
        clashing_port("exec: \"/app\": no such file or directory"),
        None
    );
}

/// Case 33: the wall clock may jump during a run; deadlines must not care. Every deadline in the
/// check engine and Docker access is measured on the monotonic clock (`tokio::time`,
/// `std::time::Instant`): no file there may read the wall clock.
#[test]
fn case_33_deadlines_never_read_the_wall_clock() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(&src).unwrap().display().to_string();
            // Base images are stamped with a creation time, and a packed build context carries
            // its files' modification times (what BuildKit's file sync compares): data, not
            // deadlines.
            let data_times = rel == "docker/context_tar.rs";
            let deadline_code = !data_times
                && (rel == "engine.rs"
                    || rel == "docker.rs"
                    || rel.starts_with("docker/")
                    || rel == "checks.rs"
                    || rel.starts_with("checks/"));
            if !deadline_code || !rel.ends_with(".rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for (i, line) in text.lines().enumerate() {
                if line.contains("SystemTime") || line.contains("chrono::") {
                    offenders.push(format!("{rel}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "deadline code reads the wall clock: {offenders:#?}"
    );
}

/// Case 19 (found by it): a sparse file in the context (a disk image, a database) must reach the
/// daemon as a regular file; a GNU sparse entry fails the build with "unhandled tar header type
/// 83".
#[test]
fn case_19_sparse_files_are_sent_as_regular_files() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("Dockerfile"), "FROM busybox:1.36.1\n").unwrap();
    let f = std::fs::File::create(t.path().join("disk.img")).unwrap();
    f.set_len(4 << 20).unwrap();
    let packed = checker::docker::context_tar::pack(t.path(), "Dockerfile", None).unwrap();
    let mut a = tar::Archive::new(&packed.tar[..]);
    let mut seen = false;
    for e in a.entries().unwrap() {
        let e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == "disk.img" {
            assert_eq!(e.header().entry_type(), tar::EntryType::Regular);
            assert_eq!(e.header().size().unwrap(), 4 << 20);
            seen = true;
        }
    }
    assert!(seen, "disk.img was not packed");
    let (total, top) = checker::docker::context_tar::measure(t.path(), "Dockerfile").unwrap();
    assert!(total >= 4 << 20);
    assert_eq!(top[0].0, "disk.img");
}

/// Podman can report a container exited while its log still lacks the last lines it printed
/// (its log writer drains the pipes after the exit is recorded; seen under load as a failing
/// start script's log with one of its two lines). The log of an exited container is read until
/// two reads agree. Injected with a fake Podman whose log gains its second line on the second
/// read.
#[tokio::test]
async fn podman_logs_of_an_exited_container_are_read_until_they_settle() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let reads = std::sync::Arc::new(AtomicUsize::new(0));
    let r2 = reads.clone();
    let fake = fault::FakeApi::podman(move |r| {
        (r.method == "GET" && r.path == "/containers/abc123/logs").then(|| {
            let text: &[u8] = if r2.fetch_add(1, Ordering::SeqCst) == 0 {
                b"notes: FATAL: cannot write to /app/data\n"
            } else {
                b"sh: can't create /app/data/notes.log: Permission denied\nnotes: FATAL: cannot write to /app/data\n"
            };
            // The multiplexed stream of a container without a TTY: stderr frames.
            let mut body = vec![2u8, 0, 0, 0];
            body.extend_from_slice(&(text.len() as u32).to_be_bytes());
            body.extend_from_slice(text);
            fault::Response {
                status: 200,
                content_type: "application/vnd.docker.multiplexed-stream",
                body,
            }
        })
    });
    let env = LookupEnv {
        docker_host: Some(fake.host()),
        ..Default::default()
    };
    let engine = Engine::connect_with(&env).await.unwrap();
    assert_eq!(engine.runtime, checker::docker::Runtime::Podman);
    let logs = checker::docker::logs::logs_of_exited(&engine, "abc123", 2000).await;
    assert!(logs.contains("Permission denied"), "{logs}");
    assert!(logs.ends_with("cannot write to /app/data"), "{logs}");
    assert!(
        reads.load(Ordering::SeqCst) >= 3,
        "read until two reads agree"
    );
}

/// Checks that only look share one inspection of a container (three checks of one container:
/// one request), and a check that does more (here an HTTP request to the app) ends the sharing:
/// the check after it inspects again and sees the container as it is now. Injected with a fake
/// daemon that counts inspections and reports the container exited from the second one on.
#[tokio::test]
async fn inspections_are_shared_only_between_checks_that_read() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let inspections = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = inspections.clone();
    let fake = fault::FakeApi::start(move |r| {
        (r.method == "GET" && r.path == "/containers/dojo-shared/json").then(|| {
            let running = seen.fetch_add(1, Ordering::SeqCst) == 0;
            fault::Response::json(serde_json::json!({
                "Id": "abc123", "Name": "/dojo-shared",
                "State": {"Status": if running { "running" } else { "exited" },
                          "Running": running, "ExitCode": 0},
                "Config": {"Image": "busybox:1.36.1", "Env": ["MODE=shared"]},
                "HostConfig": {},
                "NetworkSettings": {"Ports": {}}
            }))
        })
    });
    let env = LookupEnv {
        docker_host: Some(fake.host()),
        ..Default::default()
    };
    let engine = Engine::connect_with(&env).await.unwrap();
    let looks = [
        check("exists", "container", "container = \"dojo-shared\""),
        check(
            "running",
            "container",
            "container = \"dojo-shared\"\nrunning = true",
        ),
        check(
            "env",
            "container",
            "container = \"dojo-shared\"\nenv = { MODE = \"shared\" }",
        ),
        check(
            "answers",
            "http",
            "container = \"dojo-shared\"\nport = 8080\nwithin_s = 1",
        ),
        check(
            "still-running",
            "container",
            "container = \"dojo-shared\"\nrunning = true",
        ),
    ]
    .concat();
    let text = exercise_toml("90-rel-shared-inspect", "live", &looks);
    let fx = Fixture::new();
    let report = grade_with(&engine, &text, fx.path()).await;
    for id in ["exists", "running", "env"] {
        let r = report.checks.iter().find(|c| c.id == id).unwrap();
        assert!(r.passed, "{}", common::show(r));
    }
    let answers = report.checks.iter().find(|c| c.id == "answers").unwrap();
    assert!(!answers.passed, "{}", common::show(answers));
    let after = report
        .checks
        .iter()
        .find(|c| c.id == "still-running")
        .unwrap();
    assert!(
        !after.passed && after.actual.contains("exited"),
        "the check after the HTTP request sees the container as it is now:\n{}",
        common::show(after)
    );
    assert_eq!(
        inspections.load(Ordering::SeqCst),
        2,
        "one inspection for the first four checks, one after the HTTP request: {:?}",
        fake.calls()
    );
}
