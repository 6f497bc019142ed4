//! The course app image on each engine: `dockdojo prepare --app-image` makes `dockdojo:<version>`
//! from the binary under test, and `dockdojo check` run from inside it (the README's `docker run`
//! line: the engine's socket mounted, the workspace at the same path, the host's network, a
//! learner's user id) grades 05-bind-mount-reload against the engine: the starter fails with the
//! words the host's own `check` prints, the solved folder passes (its container bind-mounts the
//! workspace by its host path, the `reload` check edits a file there and sees it served through the
//! published port), and what the app wrote belongs to that user. `--save` carries the image in the
//! course archive and `--load` brings it back. The image is removed afterwards unless it was there
//! before; nothing labelled `io.dockdojo.managed` is left.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Instant;

use super::{dockdojo_on, engine, exec_on, managed_on, Engine};
use crate::common::text;

const ID: &str = "05-bind-mount-reload";
/// A learner's user id, when the tests run as root.
const LEARNER: u32 = 1000;

fn docker_on(e: Engine, args: &[&str]) -> std::process::Output {
    exec_on(e, Path::new("/"), Path::new("docker"), args)
}

/// `docker run` of the app image as the README says, with `args` for dockdojo, in `dir`.
fn run_app(e: Engine, app: &str, ws: &Path, dir: &Path, uid: u32, args: &[&str]) -> String {
    let socket = format!("{}:/var/run/docker.sock", e.socket());
    let group = std::fs::metadata(e.socket()).unwrap().gid().to_string();
    let user = format!("{uid}:{uid}");
    let mount = format!("{0}:{0}", ws.display());
    let mut all = vec![
        "run",
        "--rm",
        "--network",
        "host",
        "-v",
        &socket,
        "--group-add",
        &group,
        "-u",
        &user,
        "-v",
        &mount,
        "-w",
    ];
    let dir = dir.to_str().unwrap();
    all.extend([dir, "-e", "NO_COLOR=1", app]);
    all.extend(args);
    let o = docker_on(e, &all);
    format!("exit {}\n{}", o.status.code().unwrap_or(-1), text(&o))
}

/// The Expected/Actual lines of a `check` output: what a learner reads about each check.
fn verdict_lines(out: &str) -> Vec<String> {
    out.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("Expected:") || l.starts_with("Actual:"))
        .map(str::to_string)
        .collect()
}

pub(super) fn app_image_grades_from_inside(e: Engine) {
    let Some(_engine) = engine(e) else { return };
    let app = format!("dockdojo:{}", env!("CARGO_PKG_VERSION"));
    let had = docker_on(e, &["image", "inspect", &app]).status.success();
    let t = tempfile::tempdir().unwrap();

    let started = Instant::now();
    let o = dockdojo_on(e, t.path(), &["prepare", "--app-image"]);
    let out = text(&o);
    println!(
        "prepare --app-image on {} ({:.1} s):\n{out}",
        e.name(),
        started.elapsed().as_secs_f64()
    );
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&app) && out.contains("made from this dockdojo"),
        "{out}"
    );
    let size = docker_on(e, &["image", "inspect", "--format", "{{.Size}}", &app]);
    println!("{app} on {}: {} bytes", e.name(), text(&size).trim());

    let ws = t.path().join("dojo");
    let o = crate::common::dockdojo(t.path(), &["init", ws.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let mut uid = std::fs::metadata(&ws).unwrap().uid();
    if uid == 0 {
        let o = std::process::Command::new("chown")
            .args(["-R", &format!("{LEARNER}:{LEARNER}")])
            .arg(&ws)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        uid = LEARNER;
    }
    let dir = ws.join(ID);

    // The starter fails, with the words the host's own `check` prints.
    let inside = run_app(e, &app, &ws, &dir, uid, &["check"]);
    println!("check of the starter inside {app}:\n{inside}");
    assert!(inside.starts_with("exit 1\n"), "{inside}");
    assert!(
        inside.contains("there is no container named dojo-reload-web"),
        "{inside}"
    );
    let host = dockdojo_on(e, &dir, &["check"]);
    assert_eq!(host.status.code(), Some(1), "{}", text(&host));
    assert_eq!(verdict_lines(&inside), verdict_lines(&text(&host)));

    // Solved as a learner does it, from their own terminal: the inside check passes.
    let solve =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("exercises/{ID}/solution/solve.sh"));
    let o = exec_on(e, &dir, Path::new("bash"), &[solve.to_str().unwrap()]);
    assert!(o.status.success(), "solve.sh: {}", text(&o));
    let inside = run_app(e, &app, &ws, &dir, uid, &["check"]);
    println!("check of the solution inside {app}:\n{inside}");
    let cleaned = dockdojo_on(e, &ws, &["clean", ID, "--yes"]);
    assert!(inside.starts_with("exit 0\n"), "{inside}");
    assert!(inside.contains("3 of 3 checks passed"), "{inside}");
    assert!(cleaned.status.success(), "{}", text(&cleaned));
    let progress = std::fs::metadata(ws.join(".dockdojo/progress.json")).unwrap();
    assert_eq!(progress.uid(), uid, "progress.json belongs to the learner");

    // The course archive carries it, and `--load` brings it back.
    let archive = t.path().join("course.tar");
    let o = dockdojo_on(
        e,
        t.path(),
        &[
            "prepare",
            "--app-image",
            "--save",
            archive.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let rmi = docker_on(e, &["rmi", &app]);
    assert!(rmi.status.success(), "{}", text(&rmi));
    let o = dockdojo_on(
        e,
        t.path(),
        &["prepare", "--load", archive.to_str().unwrap()],
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains(&app) && l.contains("loaded from the archive")),
        "{out}"
    );
    let again = run_app(e, &app, &ws, &ws, uid, &["--version"]);
    assert!(again.starts_with("exit 0\n"), "{again}");

    if !had {
        let rmi = docker_on(e, &["rmi", &app]);
        assert!(rmi.status.success(), "{}", text(&rmi));
    }
    assert!(
        managed_on(e).is_empty(),
        "left {:?} on {}",
        managed_on(e),
        e.name()
    );
}
