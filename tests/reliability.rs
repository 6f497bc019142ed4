//! The reliability suite: each test injects one fault from `docs/RELIABILITY.md` (its case
//! number is in the test's name and doc comment) into the real `dockdojo` binary and checks what
//! the learner gets and what is left on the daemon. Daemon faults go through a proxy or a fake
//! API on a socket of their own (`common::fault`): the shared daemon itself is never stopped.
//!
//! The case → test table is tests/RELIABILITY.md. Check-kind level cases (build inputs, probes,
//! exit codes) are in checker/tests/reliability.rs.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use common::fault::{FakeApi, Proxy, Response};
use common::running::{building, hanging_build, hostname, spawn, wait_until_building};

/// The classic builder, for the build cases whose faults are injected in the build request's
/// stream (the proxy and the fake daemon do not serve BuildKit's session upgrade).
const CLASSIC: (&str, &str) = ("DOCKER_BUILDKIT", "0");
use common::{
    apply_solution, bin, dockdojo, dockdojo_pid, docker, docker_ok, leftovers_of, short_id, text,
    workspace,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Every `dockdojo` run sweeps the leftovers of dead runs when it connects. Tests that leave
/// leftovers on purpose and then prove the *next* run sweeps them take this exclusively; every
/// other test that runs a connecting command shares it.
static SWEEPS: RwLock<()> = RwLock::new(());

fn shared_sweeps() -> RwLockReadGuard<'static, ()> {
    SWEEPS.read().unwrap_or_else(|e| e.into_inner())
}

fn exclusive_sweeps() -> RwLockWriteGuard<'static, ()> {
    SWEEPS.write().unwrap_or_else(|e| e.into_inner())
}

/// A workspace with 03-first-dockerfile's solution, but the image's command sleeps: the `runs`
/// check then waits up to 10 s for the container to exit, a wide window to inject a fault in.
fn workspace_with_a_waiting_check() -> (tempfile::TempDir, std::path::PathBuf) {
    let (t, root) = workspace();
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    std::fs::write(
        root.join(id).join("Dockerfile"),
        "FROM busybox:1.36.1\nCOPY hello.sh /app/hello.sh\nCMD [\"sleep\", \"600\"]\n",
    )
    .unwrap();
    (t, root)
}

/// Everything of the dead process `pid` is gone.
fn assert_nothing_left_by(pid: u32) {
    let left = leftovers_of(pid);
    assert!(left.is_empty(), "dockdojo (pid {pid}) left {left:?}");
}

/// Run the next `dockdojo check` (through `host` when given) and prove its startup sweep removed
/// what the dead process `dead` left.
fn next_run_sweeps(root: &Path, dead: u32, host: Option<&str>) {
    assert!(
        !leftovers_of(dead).is_empty(),
        "the fault was meant to leave something behind"
    );
    let env: Vec<(&str, &str)> = host.map(|h| ("DOCKER_HOST", h)).into_iter().collect();
    apply_solution(root, "03-first-dockerfile");
    let o = dockdojo(root, &["check", "03-first-dockerfile"], &env);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("leftover(s) of an earlier dockdojo run"),
        "{}",
        text(&o)
    );
    assert_nothing_left_by(dead);
}

// ---------------------------------------------------------------------------------------------
// Ownership and cleanup
// ---------------------------------------------------------------------------------------------

/// Case 2: a daemon that ignores label filters (a fake API answering every list with
/// unlabelled resources) → `dockdojo clean` deletes nothing and warns.
#[test]
fn case_02_a_daemon_ignoring_label_filters_loses_nothing() {
    let fake = FakeApi::start(|r| {
        let bystander = serde_json::json!({"learner": "mine"});
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/containers/json") => Some(Response::json(serde_json::json!([{
                "Id": "c0ffee00c0ffee00", "Names": ["/learners-database"], "Image": "postgres:16",
                "State": "running", "Labels": bystander
            }]))),
            ("GET", "/networks") => Some(Response::json(serde_json::json!([{
                "Name": "learners-net", "Id": "n1", "Driver": "bridge", "Labels": {}
            }]))),
            ("GET", "/volumes") => Some(Response::json(serde_json::json!({
                "Volumes": [{"Name": "learners-data", "Driver": "local", "Mountpoint": "/x",
                             "Labels": {}, "Scope": "local", "Options": {}}],
                "Warnings": []
            }))),
            ("GET", "/images/json") => Some(Response::json(serde_json::json!([{
                "Id": "sha256:abc", "ParentId": "", "RepoTags": ["learners/app:1"],
                "RepoDigests": [], "Created": 1, "Size": 1, "SharedSize": -1,
                "Labels": {}, "Containers": 0
            }]))),
            _ => None,
        }
    });
    let t = tempfile::tempdir().unwrap();
    let o = dockdojo(
        t.path(),
        &["clean", "--all"],
        &[("DOCKER_HOST", &fake.host())],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("ignores label filters"), "{out}");
    assert!(out.contains("Nothing to remove"), "{out}");
    let calls = fake.calls();
    assert!(
        calls.iter().any(|c| c == "GET /containers/json"),
        "{calls:?}"
    );
    let deletes: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("DELETE") || c.contains("/stop") || c.contains("/kill"))
        .collect();
    assert!(deletes.is_empty(), "it tried to remove {deletes:?}");
}

/// Case 4: a panic right after a container was created → the interrupt guard removes it, the
/// exit says so (debug-build fault hook `DOCKDOJO_FAULT=panic-after-create`).
#[test]
fn case_04_a_panic_after_container_create_is_cleaned_up() {
    let _g = shared_sweeps();
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    let (o, pid) = dockdojo_pid(
        &root,
        &["check", id],
        &[("DOCKDOJO_FAULT", "panic-after-create")],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(out.contains("was created"), "the fault never fired: {out}");
    assert!(out.contains("internal error"), "{out}");
    assert!(out.contains("Cleaned up ("), "{out}");
    assert_nothing_left_by(pid);
    assert!(!root.join(".dockdojo/progress.json").exists());
}

/// Case 6 (SIGINT): Ctrl-C while the http probe waits for an answer that never comes → the
/// container is stopped and removed, exit 130.
#[test]
fn case_06_sigint_while_the_http_probe_waits() {
    let _g = shared_sweeps();
    let (_t, root) = workspace();
    // The starter's server listens on 127.0.0.1 inside: the probe waits its full 3 s.
    let mut run = spawn(&root, &["check", "04-bind-address"], &[]);
    run.wait_for_container(Duration::from_secs(60));
    // The run check settles for 1 s; then the probe waits.
    std::thread::sleep(Duration::from_millis(1300));
    run.signal("-INT");
    let pid = run.pid;
    let (code, out, took) = run.finish();
    assert_eq!(code, Some(130), "{out}");
    assert!(out.contains("Interrupted"), "{out}");
    assert!(took < Duration::from_secs(30), "cleanup took {took:?}");
    assert_nothing_left_by(pid);
}

/// Case 6 (SIGTERM): SIGTERM while the checker waits for a container to exit → removed, 130.
#[test]
fn case_06_sigterm_while_a_container_is_awaited() {
    let _g = shared_sweeps();
    let (_t, root) = workspace_with_a_waiting_check();
    let mut run = spawn(&root, &["check", "03-first-dockerfile"], &[]);
    run.wait_for_container(Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(500));
    run.signal("-TERM");
    let pid = run.pid;
    let (code, out, _) = run.finish();
    assert_eq!(code, Some(130), "{out}");
    assert!(out.contains("Cleaned up ("), "{out}");
    assert_nothing_left_by(pid);
}

/// The pid of a running `bash .setup.sh` started by `parent`, if any.
fn setup_script_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        // `pid (comm) state ppid …`: the fields after the command's closing parenthesis.
        let ppid: u32 = stat
            .rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        (ppid == parent && cmd == b"bash\0.setup.sh\0").then_some(pid)
    })
}

/// Is `pid` gone (or a zombie nobody waits for: it can do nothing more)?
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Case 6 (self-test): Ctrl-C while a scenario's set-up script runs (outside any check). The
/// script and the docker commands it started are killed, no further case starts, the exercise's
/// names are removed, exit 130.
#[test]
fn case_06_ctrl_c_during_a_self_test_set_up_script_stops_it() {
    let _g = shared_sweeps();
    let t = tempfile::tempdir().unwrap();
    // 10-moved-tag's set-up starts a registry (dojo-moved-registry), then builds and pushes.
    let run = spawn(t.path(), &["self-test", "10-moved-tag"], &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let script = loop {
        if let Some(p) = setup_script_of(run.pid) {
            if docker(&["inspect", "dojo-moved-registry"]).0 {
                break p;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the set-up never ran:\n{}",
            run.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // SIGINT to dockdojo alone (not its process group): the set-up script is dockdojo's to stop.
    run.signal("-INT");
    let pid = run.pid;
    let (code, out, _) = run.finish();
    assert_eq!(code, Some(130), "{out}");
    assert!(out.contains("self-test interrupted"), "{out}");
    assert!(
        !out.contains("solution passes"),
        "a case started after Ctrl-C:\n{out}"
    );
    // Given time to do more, a surviving script would start building and pushing.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        process_gone(script),
        "the set-up script {script} still runs:\n{out}"
    );
    for name in [
        "dojo-moved-registry",
        "dojo-moved-app",
        "127.0.0.1:18100/dojo-base:3.12-slim",
    ] {
        assert!(!docker(&["inspect", name]).0, "{name} was left:\n{out}");
    }
    assert_nothing_left_by(pid);
}

/// Case 7: a second Ctrl-C while cleanup is stuck (the daemon hangs) → exit at once, say what
/// may be left and how to list and remove it; the next run sweeps it.
#[test]
fn case_07_second_ctrl_c_during_cleanup_exits_now_and_the_next_run_sweeps() {
    let _g = exclusive_sweeps();
    let proxy = Proxy::start();
    let (_t, root) = workspace_with_a_waiting_check();
    let mut run = spawn(
        &root,
        &["check", "03-first-dockerfile"],
        &[("DOCKER_HOST", &proxy.host())],
    );
    run.wait_for_container(Duration::from_secs(60));
    proxy.hang();
    run.signal("-INT");
    run.wait_for_output("Interrupted", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    run.signal("-INT");
    let pid = run.pid;
    let (code, out, took) = run.finish();
    assert_eq!(code, Some(130), "{out}");
    assert!(
        took < Duration::from_secs(5),
        "the second Ctrl-C took {took:?}"
    );
    assert!(out.contains("Quitting without finishing cleanup"), "{out}");
    assert!(
        out.contains("docker ps -a --filter label=io.dockdojo.session="),
        "{out}"
    );
    assert!(out.contains("`dockdojo clean`"), "{out}");
    proxy.up();
    next_run_sweeps(&root, pid, Some(&proxy.host()));
}

/// Case 8: SIGKILL mid-run → the next start's sweep removes that run's resources.
#[test]
fn case_08_sigkill_mid_run_is_swept_by_the_next_start() {
    let _g = exclusive_sweeps();
    let (_t, root) = workspace_with_a_waiting_check();
    let mut run = spawn(&root, &["check", "03-first-dockerfile"], &[]);
    run.wait_for_container(Duration::from_secs(60));
    run.signal("-KILL");
    let pid = run.pid;
    let (code, _, _) = run.finish();
    assert_eq!(code, None, "killed by a signal");
    next_run_sweeps(&root, pid, None);
}

/// Case 9: the daemon goes away while a check runs and cleanup cannot reach it → a bounded wait,
/// exit 3 saying cleanup did not finish and what happens to the rest; the next run (daemon back)
/// removes it. Pending ids need no journal of their own: every resource carries the run's
/// session and owner labels, which is what the startup sweep looks for.
#[test]
fn case_09_daemon_gone_at_cleanup_then_the_next_run_finishes_it() {
    let _g = exclusive_sweeps();
    let proxy = Proxy::start();
    let (_t, root) = workspace_with_a_waiting_check();
    let mut run = spawn(
        &root,
        &["check", "03-first-dockerfile"],
        &[("DOCKER_HOST", &proxy.host())],
    );
    run.wait_for_container(Duration::from_secs(60));
    proxy.down();
    let pid = run.pid;
    let (code, out, took) = run.finish();
    assert_eq!(code, Some(3), "{out}");
    assert!(took < Duration::from_secs(20), "gave up after {took:?}");
    assert!(out.contains("Cleanup could not finish"), "{out}");
    assert!(out.contains("the next dockdojo run removes it"), "{out}");
    assert!(!root.join(".dockdojo/progress.json").exists());
    proxy.up();
    next_run_sweeps(&root, pid, Some(&proxy.host()));
}

/// Cases 10 and 27: the host port a container needs is taken (by a program, by the learner's
/// own container, by another dockdojo run's container) → the start fails naming who holds it,
/// and the container stuck in `Created` is removed. Checker containers publish on random ports,
/// so the clash is provoked with the debug-build hook `DOCKDOJO_FAULT=host-port=<port>`.
#[test]
fn case_10_and_27_a_taken_host_port_is_named_and_nothing_stays_created() {
    let _g = shared_sweeps();
    let (_t, root) = workspace();
    let id = "04-bind-address";
    apply_solution(&root, id);
    let check = |port: u16, holder: &str| {
        let fault = format!("host-port={port}");
        let (o, pid) = dockdojo_pid(&root, &["check", id], &[("DOCKDOJO_FAULT", &fault)]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(out.contains("it did not start"), "{out}");
        assert!(
            out.contains("a host port it needs is already in use"),
            "{out}"
        );
        assert!(
            out.contains(holder),
            "the holder {holder:?} is not named:\n{out}"
        );
        // Nothing of the run is left, not even a container in `Created`.
        assert_nothing_left_by(pid);
    };

    // A program (this test) listens on the port.
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    check(port, "not a container");
    drop(listener);

    // The learner's own (unlabelled) container publishes it.
    let mine = format!("dojo-rel-{}", short_id());
    let publish = format!("127.0.0.1:{port}:80");
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &mine,
        "-p",
        &publish,
        "busybox:1.36.1",
        "sleep",
        "600",
    ]);
    let result = std::panic::catch_unwind(|| check(port, &format!("your container {mine}")));
    docker(&["rm", "-f", &mine]);
    result.unwrap();

    // A container of another (live: this test process) dockdojo run publishes it.
    let other = format!("dockdojo-rel-{}", short_id());
    let owner = format!("io.dockdojo.owner={}/{}", hostname(), std::process::id());
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &other,
        "-p",
        &publish,
        "--label",
        "io.dockdojo.managed=true",
        "--label",
        "io.dockdojo.session=00000000-0000-4000-8000-000000000027",
        "--label",
        &owner,
        "busybox:1.36.1",
        "sleep",
        "600",
    ]);
    let result = std::panic::catch_unwind(|| check(port, "another dockdojo run"));
    docker(&["rm", "-f", &other]);
    result.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

/// Case 12: the socket exists but this user may not use it (an unprivileged uid against the
/// root:docker 0660 socket) → exit 3 with the docker group / rootless / Desktop advice.
#[test]
fn case_12_permission_denied_on_the_socket_explains_the_docker_group() {
    let meta = std::fs::metadata(common::fault::DOCKER_SOCK).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        meta.permissions().mode() & 0o006,
        0,
        "the socket is open to everyone"
    );
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    for explicit in [false, true] {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin())
            .arg("clean")
            .current_dir(home.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home.path())
            .env("NO_COLOR", "1");
        if explicit {
            c.env("DOCKER_HOST", "unix:///var/run/docker.sock");
        }
        let o = c.output().unwrap();
        let out = text(&o);
        assert_eq!(o.status.code(), Some(3), "{out}");
        assert!(out.contains("permission denied"), "{out}");
        assert!(out.contains("docker group"), "{out}");
        assert!(out.contains("rootless"), "{out}");
        assert!(out.contains("Docker Desktop"), "{out}");
        assert!(out.contains("/var/run/docker.sock"), "{out}");
    }
}

/// Case 13: `currentContext` in config.json, and `DOCKER_CONTEXT` (which wins over it), name a
/// context whose endpoint is another socket (the proxy) → that socket is used.
#[test]
fn case_13_docker_contexts_are_followed() {
    use sha2::Digest;
    let _g = shared_sweeps();
    let proxy = Proxy::start();
    let cfg = tempfile::tempdir().unwrap();
    let name = "dojo-elsewhere";
    let meta = cfg
        .path()
        .join("contexts/meta")
        .join(hex::encode(sha2::Sha256::digest(name.as_bytes())));
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        serde_json::json!({"Name": name, "Metadata": {},
            "Endpoints": {"docker": {"Host": proxy.host(), "SkipTLSVerify": false}}})
        .to_string(),
    )
    .unwrap();
    let run = |current: &str, env_context: Option<&str>| {
        std::fs::write(
            cfg.path().join("config.json"),
            serde_json::json!({"auths": {}, "currentContext": current}).to_string(),
        )
        .unwrap();
        let before = proxy.accepted();
        let mut c = Command::new(bin());
        c.arg("clean")
            .current_dir(cfg.path())
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .env("DOCKER_CONFIG", cfg.path())
            .env("NO_COLOR", "1");
        if let Some(ctx) = env_context {
            c.env("DOCKER_CONTEXT", ctx);
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(
            proxy.accepted() > before,
            "the context's socket was never used: {}",
            text(&o)
        );
    };
    run(name, None);
    run("no-such-context", Some(name));
}

/// Case 15: the daemon restarts during a build (every connection cut, new ones accepted) → the
/// check fails well within its deadline saying the connection was lost; cleanup still runs.
#[test]
fn case_15_daemon_restarted_mid_build_says_the_connection_was_lost() {
    let _g = shared_sweeps();
    let proxy = Proxy::start();
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    let marker = "1515";
    hanging_build(&root, id, marker);
    let run = spawn(
        &root,
        &["check", id],
        &[("DOCKER_HOST", &proxy.host()), CLASSIC],
    );
    wait_until_building(marker);
    proxy.restart();
    let pid = run.pid;
    let (code, out, took) = run.finish();
    assert_eq!(code, Some(3), "{out}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(
        out.contains("lost the connection to Docker during 'build'"),
        "{out}"
    );
    assert_nothing_left_by(pid);
    assert!(!root.join(".dockdojo/progress.json").exists());
    // The daemon cancels the build once its client is gone.
    let t2 = Instant::now();
    while building(marker) {
        assert!(
            t2.elapsed() < Duration::from_secs(20),
            "the build still runs"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

// ---------------------------------------------------------------------------------------------
// Build inputs
// ---------------------------------------------------------------------------------------------

/// Case 19: a 2 GB file (sparse: no disk used) in the exercise folder, no .dockerignore → the
/// build is refused before anything is read or sent, naming the file.
#[test]
fn case_19_a_huge_context_is_refused_before_sending() {
    let _g = shared_sweeps();
    let proxy = Proxy::start();
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    let f = std::fs::File::create(root.join(id).join("disk.img")).unwrap();
    f.set_len(2 << 30).unwrap();
    let (o, pid) = dockdojo_pid(&root, &["check", id], &[("DOCKER_HOST", &proxy.host())]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("refused before sending"), "{out}");
    assert!(out.contains("disk.img (2147 MB)"), "{out}");
    assert!(out.contains(".dockerignore"), "{out}");
    assert!(
        proxy.uploaded() < 1 << 20,
        "{} bytes were sent to the daemon",
        proxy.uploaded()
    );
    assert_nothing_left_by(pid);
}

/// Case 19: a big (150 MB) context going up slowly → a warning naming the file before the
/// upload ends, and Ctrl-C during the upload exits 130 with nothing left.
#[test]
fn case_19_ctrl_c_during_a_slow_context_upload() {
    let _g = shared_sweeps();
    let proxy = Proxy::start();
    proxy.throttle(4 << 20);
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    let f = std::fs::File::create(root.join(id).join("video.mp4")).unwrap();
    f.set_len(150_000_000).unwrap();
    let mut run = spawn(
        &root,
        &["check", id],
        &[("DOCKER_HOST", &proxy.host()), CLASSIC],
    );
    run.wait_for_output("warning: the build context", Duration::from_secs(30));
    let t0 = Instant::now();
    while proxy.uploaded() < 8 << 20 {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the upload never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        proxy.uploaded() < 100_000_000,
        "the upload was not slowed down"
    );
    run.signal("-INT");
    let pid = run.pid;
    let (code, out, took) = run.finish();
    assert_eq!(code, Some(130), "{out}");
    assert!(out.contains("video.mp4 (150 MB)"), "{out}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_nothing_left_by(pid);
}

/// Case 23: the daemon's disk fills up during a build (a fake API answering the build with the
/// daemon's ENOSPC stream error) → an environment error (exit 3) saying the disk is full, and the
/// progress file is untouched.
#[test]
fn case_23_disk_full_during_a_build_is_explained_and_progress_is_intact() {
    let fake = FakeApi::start(|r| {
        (r.method == "POST" && r.path == "/build").then(|| {
            Response::stream(&[
                serde_json::json!({"stream": "Step 1/3 : FROM busybox:1.36.1\n"}),
                serde_json::json!({"stream": " ---> 3f57d9401f8d\n"}),
                serde_json::json!({
                    "errorDetail": {"message": "failed to copy files: copy file range failed: no space left on device"},
                    "error": "failed to copy files: copy file range failed: no space left on device"
                }),
            ])
        })
    });
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    let o = dockdojo(&root, &["hint", id], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let progress = root.join(".dockdojo/progress.json");
    let before = std::fs::read(&progress).unwrap();
    let o = dockdojo(
        &root,
        &["check", id],
        &[("DOCKER_HOST", &fake.host()), CLASSIC],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(out.contains("the disk Docker writes to is full"), "{out}");
    assert!(out.contains("no space left on device"), "{out}");
    assert!(out.contains("docker system df"), "{out}");
    assert!(fake.calls().iter().any(|c| c == "POST /build"));
    assert_eq!(
        std::fs::read(&progress).unwrap(),
        before,
        "progress changed"
    );
    let corrupt = std::fs::read_dir(root.join(".dockdojo"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().contains("corrupt"));
    assert!(!corrupt);
}

// ---------------------------------------------------------------------------------------------
// Local state
// ---------------------------------------------------------------------------------------------

/// The total of `hints_used` in a progress file, which must parse.
fn hints_in(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "progress.json does not parse ({e}): {:?}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(v["schema_version"], 1);
    v["exercises"]
        .as_object()
        .map(|m| m.values().map(|e| e["hints_used"].as_u64().unwrap()).sum())
        .unwrap_or(0)
}

fn exercise_ids() -> Vec<String> {
    let mut ids: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().join("exercise.toml").is_file())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
    ids.sort();
    ids
}

/// Case 31: `kill -9` at random moments while `dockdojo hint` saves progress, 200 times → the
/// file always parses and is the old or the new version (never torn, never set aside).
#[test]
fn case_31_kill_9_while_saving_progress_leaves_the_old_or_the_new_file() {
    let (_t, root) = workspace();
    let progress = root.join(".dockdojo/progress.json");
    let ids = exercise_ids();
    let mut seed: u64 = std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    // Kills land anywhere in a run: the delays span one and a half times as long as a whole
    // run takes on this machine right now (a fixed span is all-killed on a loaded machine and
    // never-killed on an idle one). Measured on a copy, so the counted file starts untouched.
    let (_m, measure_root) = workspace();
    let whole_run = (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            let o = dockdojo(&measure_root, &["hint", &ids[0]], &[]);
            assert!(o.status.success(), "{}", text(&o));
            t.elapsed()
        })
        .max()
        .unwrap();
    let span_us = (whole_run.as_micros() as u64 * 3 / 2).max(1_000);
    let mut last = 0;
    let mut killed_mid_run = 0;
    for round in 0..200 {
        let id = &ids[round % ids.len()];
        let mut child = Command::new(bin())
            .args(["hint", id])
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_micros((seed >> 33) % span_us));
        let _ = child.kill();
        let st = child.wait().unwrap();
        if st.code().is_none() {
            killed_mid_run += 1;
        }
        if progress.exists() {
            let now = hints_in(&progress);
            assert!(
                now == last || now == last + 1,
                "round {round}: {last} hints became {now}"
            );
            last = now;
        }
    }
    let corrupt: Vec<_> = std::fs::read_dir(root.join(".dockdojo"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("corrupt"))
        .collect();
    assert!(corrupt.is_empty(), "{corrupt:?}");
    assert!(
        killed_mid_run > 20,
        "only {killed_mid_run} runs were killed (a whole run takes {whole_run:?})"
    );
    assert!(last > 0, "no run ever finished a save");
    // And a later run still works on that file.
    let o = dockdojo(&root, &["hint", &ids[0]], &[]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Case 32: many runs updating one workspace's progress at once → no update is lost (the
/// progress lock), and a lock file left by a killed run does not block the next one.
#[test]
fn case_32_concurrent_runs_lose_no_progress_and_a_stale_lock_is_taken_over() {
    let (_t, root) = workspace();
    let ids = exercise_ids();
    // A lock file whose holder is long gone (a pid that cannot be running).
    std::fs::write(root.join(".dockdojo/progress.lock"), "4194999").unwrap();
    let n = 16;
    let children: Vec<Child> = (0..n)
        .map(|i| {
            Command::new(bin())
                .args(["hint", &ids[i % ids.len()]])
                .current_dir(&root)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    assert_eq!(
        hints_in(&root.join(".dockdojo/progress.json")),
        n as u64,
        "updates were lost"
    );
}

/// Case 32: two `dockdojo check` of one exercise at the same time → both complete correctly
/// (every resource name is unique per session), both attempts are recorded, nothing is left.
#[test]
fn case_32_two_concurrent_checks_of_one_exercise_both_complete() {
    let _g = shared_sweeps();
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    let a = spawn(&root, &["check", id], &[]);
    let b = spawn(&root, &["check", id], &[]);
    let (pa, pb) = (a.pid, b.pid);
    for (code, out, _) in [a.finish(), b.finish()] {
        assert_eq!(code, Some(0), "{out}");
    }
    assert_nothing_left_by(pa);
    assert_nothing_left_by(pb);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join(".dockdojo/progress.json")).unwrap())
            .unwrap();
    assert_eq!(v["exercises"][id]["attempts"], 2, "{v}");
    assert_eq!(v["exercises"][id]["status"], "passed", "{v}");
}
