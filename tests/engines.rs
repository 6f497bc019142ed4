//! The grading suite against what learners run today: Docker Engine 26 with BuildKit and Compose
//! v2, once with the graph-driver image store (`e26`) and once with the containerd image store
//! (`e26c`: `docker save` writes OCI layouts with gzip layers, BuildKit pushes image indexes).
//! `.ci/engines-up` starts both daemons, each in its own network namespace; every client here
//! runs through `.ci/engine-exec NAME`, in that namespace (published ports answer on 127.0.0.1)
//! with Engine 26's `docker` CLI and its buildx and Compose v2 plugins first.
//!
//! For each engine: the course images are made available (built once as stand-ins by the real
//! `dockdojo prepare --save`, then `prepare --load` on the other engine), `doctor` passes, and the
//! whole course passes `self-test` with 0 failed. One engine's self-test at a time. Nothing
//! labelled `io.dockdojo.managed` is left on the engine afterwards.
//!
//! On each engine too, the course app image: made by `prepare --app-image`, it grades an exercise
//! from inside (`engines/app_image.rs`).
//!
//! When an engine's socket does not answer, its tests print why and return, unless `CI=true`:
//! CI must have started the engines, so there they fail.

#[path = "engines/app_image.rs"]
mod app_image;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use common::{bin, text};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Engine {
    /// Engine 26, graph-driver image store.
    E26,
    /// Engine 26, containerd image store.
    E26c,
}

impl Engine {
    const ALL: [Engine; 2] = [Engine::E26, Engine::E26c];

    /// The name `.ci/engine-exec` takes.
    fn name(self) -> &'static str {
        match self {
            Engine::E26 => "e26",
            Engine::E26c => "e26c",
        }
    }

    fn socket(self) -> &'static str {
        match self {
            Engine::E26 => "/run/dockdojo-engines/docker26.sock",
            Engine::E26c => "/run/dockdojo-engines/docker26-containerd.sock",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Engine::E26 => "Docker Engine 26 (graph-driver image store)",
            Engine::E26c => "Docker Engine 26 (containerd image store)",
        }
    }

    fn index(self) -> usize {
        match self {
            Engine::E26 => 0,
            Engine::E26c => 1,
        }
    }
}

/// Does the engine answer `GET /_ping` with `OK`?
fn ping(e: Engine) -> Result<(), String> {
    common::ping_socket(Path::new(e.socket()))
}

fn engine_exec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/engine-exec")
}

/// Run `program args…` through `.ci/engine-exec` for engine `e`, in `dir`; never a terminal.
fn exec_on(e: Engine, dir: &Path, program: &Path, args: &[&str]) -> Output {
    Command::new(engine_exec())
        .arg(e.name())
        .arg(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run .ci/engine-exec")
}

/// dockdojo as a client of engine `e`.
fn dockdojo_on(e: Engine, dir: &Path, args: &[&str]) -> Output {
    exec_on(e, dir, &bin(), args)
}

/// dockdojo against engine `e` from the host's network namespace: `prepare` builds stand-ins
/// with debootstrap and `apt-get download`, which need the Debian mirror (the engines'
/// namespaces have no way out).
fn dockdojo_from_host(e: Engine, args: &[&str]) -> Output {
    let t = tempfile::tempdir().unwrap();
    Command::new(bin())
        .args(args)
        .current_dir(t.path())
        .env("NO_COLOR", "1")
        .env("DOCKER_HOST", format!("unix://{}", e.socket()))
        .env_remove("DOCKER_CONTEXT")
        .stdin(Stdio::null())
        .output()
        .expect("run dockdojo")
}

/// Everything labelled `io.dockdojo.managed` on engine `e` (all kinds, stopped containers too).
fn managed_on(e: Engine) -> Vec<String> {
    let filter = "label=io.dockdojo.managed";
    let mut out = Vec::new();
    for (kind, args) in [
        ("container", vec!["ps", "-a", "-q", "--filter", filter]),
        ("image", vec!["images", "-q", "--filter", filter]),
        ("volume", vec!["volume", "ls", "-q", "--filter", filter]),
        ("network", vec!["network", "ls", "-q", "--filter", filter]),
    ] {
        let o = exec_on(e, Path::new("/"), Path::new("docker"), &args);
        assert!(
            o.status.success(),
            "docker {args:?} on {} failed: {}",
            e.name(),
            text(&o)
        );
        for l in String::from_utf8_lossy(&o.stdout).lines() {
            if !l.trim().is_empty() {
                out.push(format!("{kind} {}", l.trim()));
            }
        }
    }
    out
}

/// The course images as one archive, made once by `dockdojo prepare --save` on the first engine
/// a test uses (stand-ins built from host packages when that engine lacks them; instant when it
/// has them): `(the engine it came from, the archive)`.
fn course_archive(first: Engine) -> &'static Result<(Engine, PathBuf), String> {
    static ARCHIVE: OnceLock<Result<(Engine, PathBuf), String>> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("engines-course-images.tar");
        let o = dockdojo_from_host(first, &["prepare", "--save", path.to_str().unwrap()]);
        println!("dockdojo prepare --save on {}:\n{}", first.name(), text(&o));
        if o.status.success() {
            Ok((first, path))
        } else {
            Err(text(&o))
        }
    })
}

/// One test at a time across both engines (a self-test keeps the machine busy; the exercises'
/// names are per engine but the archive is shared), after the course images are on `e`.
/// `None`: the engine is not running here (and this is not CI).
fn engine(e: Engine) -> Option<MutexGuard<'static, ()>> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static PREPARED: [OnceLock<Result<(), String>>; 2] = [OnceLock::new(), OnceLock::new()];
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(why) = ping(e) {
        let msg = format!(
            "{} does not answer on {} ({why}). Start it with `.ci/engines-up`.",
            e.describe(),
            e.socket()
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} CI must start it before the tests.");
        }
        println!("skipped: {msg}");
        return None;
    }
    let prepared = PREPARED[e.index()].get_or_init(|| {
        let (from, archive) = course_archive(e).as_ref().map_err(Clone::clone)?;
        if *from == e {
            return Ok(());
        }
        let o = dockdojo_from_host(e, &["prepare", "--load", archive.to_str().unwrap()]);
        println!("dockdojo prepare --load on {}:\n{}", e.name(), text(&o));
        if o.status.success() {
            Ok(())
        } else {
            Err(text(&o))
        }
    });
    if let Err(out) = prepared {
        panic!(
            "making the course images available on {} failed:\n{out}",
            e.name()
        );
    }
    Some(guard)
}

fn doctor_passes(e: Engine) {
    let Some(_engine) = engine(e) else { return };
    let t = tempfile::tempdir().unwrap();
    let o = dockdojo_on(e, t.path(), &["doctor"]);
    let out = text(&o);
    println!("{out}");
    assert!(o.status.success(), "doctor failed on {}:\n{out}", e.name());
    assert!(
        out.contains("Docker 26."),
        "doctor names the engine:\n{out}"
    );
    // BuildKit grades in both image stores (the context travels through dockdojo's session).
    assert!(
        out.lines()
            .any(|l| l.contains("builder") && l.trim_end().ends_with("BuildKit")),
        "doctor names BuildKit as the builder on {}:\n{out}",
        e.name()
    );
    assert!(
        managed_on(e).is_empty(),
        "doctor left {:?} on {}",
        managed_on(e),
        e.name()
    );
}

fn self_test_proves_every_exercise(e: Engine) {
    let Some(_engine) = engine(e) else { return };
    let t = tempfile::tempdir().unwrap();
    let o = dockdojo_on(e, t.path(), &["self-test"]);
    let out = text(&o);
    // Its end first: a shortened log of a failure still shows which cases misbehaved.
    println!(
        "self-test on {} ({}):\n{}\n\nthe whole report:\n{out}",
        e.name(),
        e.describe(),
        common::selftest_verdict(&out)
    );
    assert!(
        managed_on(e).is_empty(),
        "self-test left {:?} on {}",
        managed_on(e),
        e.name()
    );
    // The builds kept between an exercise's cases go with its last case.
    let kept = exec_on(
        e,
        Path::new("/"),
        Path::new("docker"),
        &["images", "-q", "dojo-selftest-keep"],
    );
    assert!(
        kept.status.success() && kept.stdout.is_empty(),
        "self-test kept images on {}: {}",
        e.name(),
        text(&kept)
    );
    let last = out
        .lines()
        .rfind(|l| l.ends_with("failed"))
        .unwrap_or_default()
        .to_string();
    let (passed, failed) = last
        .split_once(" passed, ")
        .unwrap_or_else(|| panic!("no closing line on {}:\n{out}", e.name()));
    assert_eq!(
        failed.trim(),
        "0 failed",
        "self-test on {} ({}):\n{}",
        e.name(),
        e.describe(),
        common::selftest_verdict(&out)
    );
    assert!(
        o.status.success(),
        "self-test failed on {} (the whole report is printed above):\n{}",
        e.name(),
        common::selftest_verdict(&out)
    );
    let exercises = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("exercise.toml").is_file())
        .count();
    let passed: usize = passed.trim().parse().expect("a count");
    assert!(
        passed >= exercises * 4,
        "{passed} passed cases for {exercises} exercises"
    );
    // Every starter fails and every solution passes.
    assert_eq!(
        out.matches("  ok   starter fails").count(),
        exercises,
        "{out}"
    );
    assert_eq!(
        out.matches("  ok   solution passes").count(),
        exercises,
        "{out}"
    );
    let unsupported: Vec<&str> = out.lines().filter(|l| l.starts_with("  unsup ")).collect();
    println!("unsupported on {} ({}):", e.name(), unsupported.len());
    for l in &unsupported {
        println!("{l}");
    }
}

#[test]
fn e26_doctor_passes() {
    doctor_passes(Engine::E26);
}

#[test]
fn e26c_doctor_passes() {
    doctor_passes(Engine::E26c);
}

#[test]
fn e26_app_image_grades_from_inside() {
    app_image::app_image_grades_from_inside(Engine::E26);
}

#[test]
fn e26c_app_image_grades_from_inside() {
    app_image::app_image_grades_from_inside(Engine::E26c);
}

#[test]
fn e26_self_test_proves_every_exercise() {
    self_test_proves_every_exercise(Engine::E26);
}

#[test]
fn e26c_self_test_proves_every_exercise() {
    self_test_proves_every_exercise(Engine::E26c);
}

/// Both engines are what they claim: Engine 26, BuildKit by default, the right image store.
#[test]
fn engines_are_engine_26_with_buildkit_and_their_image_store() {
    for e in Engine::ALL {
        let Some(_engine) = engine(e) else { continue };
        let o = exec_on(
            e,
            Path::new("/"),
            Path::new("docker"),
            &[
                "info",
                "--format",
                "{{.ServerVersion}} {{.Driver}} {{.DriverStatus}}",
            ],
        );
        let out = text(&o);
        assert!(o.status.success(), "{out}");
        assert!(out.starts_with("26."), "{}: {out}", e.name());
        let containerd_store = out.contains("io.containerd.snapshotter");
        assert_eq!(containerd_store, e == Engine::E26c, "{}: {out}", e.name());
        let o = exec_on(
            e,
            Path::new("/"),
            Path::new("docker"),
            &["compose", "version", "--short"],
        );
        assert!(
            o.status.success() && text(&o).starts_with('2'),
            "{}",
            text(&o)
        );
    }
}
