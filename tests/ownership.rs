//! Ownership against the real daemon: bystanders (including ones named like ours, or carrying our
//! managed flag without a session) survive `check`, `reset` and `clean`; Ctrl-C and SIGTERM during
//! a check cancel the build, clean up and exit 130.

mod common;

use std::time::{Duration, Instant};

use common::running::{building, hanging_build, spawn, wait_until_building};
use common::{
    apply_solution, dockdojo, dockdojo_pid, docker, docker_ok, leftovers_of, short_id, text,
    workspace,
};

struct Bystanders {
    x: String,
}

impl Bystanders {
    fn create() -> Self {
        let x = short_id();
        let b = Self { x: x.clone() };
        docker_ok(&[
            "run",
            "-d",
            "--name",
            &format!("dojo-bystander-{x}"),
            "busybox:1.36.1",
            "sleep",
            "600",
        ]);
        docker_ok(&[
            "create",
            "--name",
            &format!("bystander-flagged-{x}"),
            "--label",
            "io.dockdojo.managed=true",
            "busybox:1.36.1",
            "true",
        ]);
        docker_ok(&["volume", "create", &format!("dojo-bystander-{x}")]);
        docker_ok(&["network", "create", &format!("dojo-bystander-{x}")]);
        docker_ok(&[
            "tag",
            "busybox:1.36.1",
            &format!("dockdojo-check/bystander:{x}"),
        ]);
        b
    }

    fn assert_intact(&self, after: &str) {
        let x = &self.x;
        for (what, kind, name) in [
            ("container", "container", format!("dojo-bystander-{x}")),
            (
                "flagged container",
                "container",
                format!("bystander-flagged-{x}"),
            ),
            ("volume", "volume", format!("dojo-bystander-{x}")),
            ("network", "network", format!("dojo-bystander-{x}")),
            ("image", "image", format!("dockdojo-check/bystander:{x}")),
        ] {
            assert!(
                docker(&[kind, "inspect", &name]).0,
                "the bystander {what} did not survive {after}"
            );
        }
        let running = docker_ok(&[
            "inspect",
            "-f",
            "{{.State.Running}}",
            &format!("dojo-bystander-{x}"),
        ]);
        assert_eq!(
            running, "true",
            "the bystander container was stopped by {after}"
        );
    }
}

impl Drop for Bystanders {
    fn drop(&mut self) {
        let x = &self.x;
        docker(&[
            "rm",
            "-f",
            &format!("dojo-bystander-{x}"),
            &format!("bystander-flagged-{x}"),
        ]);
        docker(&["volume", "rm", &format!("dojo-bystander-{x}")]);
        docker(&["network", "rm", &format!("dojo-bystander-{x}")]);
        docker(&["rmi", &format!("dockdojo-check/bystander:{x}")]);
    }
}

#[test]
fn bystanders_survive_check_reset_and_clean() {
    let by = Bystanders::create();
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    let (o, pid) = dockdojo_pid(&root, &["check", id], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(leftovers_of(pid).is_empty(), "{:?}", leftovers_of(pid));
    by.assert_intact("check");

    let (o, _) = dockdojo_pid(&root, &["reset", id], &[]);
    assert!(o.status.success(), "{}", text(&o));
    by.assert_intact("reset");

    let (o, _) = dockdojo_pid(&root, &["clean"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    by.assert_intact("clean");
    // Base images are kept by a plain clean.
    assert!(docker(&["image", "inspect", "busybox:1.36.1"]).0);
}

/// Start a check whose build hangs, send `signal` once the build runs, and expect a clean exit 130.
fn interrupt_a_hanging_build(signal: &str, marker: &str) {
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    hanging_build(&root, id, marker);
    let run = spawn(&root, &["check", id], &[]);
    let pid = run.pid;
    wait_until_building(marker);
    run.signal(signal);
    let t1 = Instant::now();
    let (code, all, _) = run.finish();
    assert_eq!(code, Some(130), "{all}");
    assert!(
        t1.elapsed() < Duration::from_secs(30),
        "cleanup took {:?}",
        t1.elapsed()
    );
    assert!(all.contains("Interrupted"), "{all}");
    assert!(leftovers_of(pid).is_empty(), "{:?}", leftovers_of(pid));
    // The daemon cancels the build when the client goes away (with BuildKit, when the session and
    // the build request close); give it a moment.
    let t2 = Instant::now();
    while building(marker) {
        assert!(
            t2.elapsed() < Duration::from_secs(20),
            "the build step still runs"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // Progress was not touched by the interrupted run.
    assert!(!root.join(".dockdojo/progress.json").exists());
}

#[test]
fn ctrl_c_during_a_build_cleans_up_and_exits_130() {
    interrupt_a_hanging_build("-INT", "613");
}

#[test]
fn sigterm_during_a_build_cleans_up_and_exits_130() {
    interrupt_a_hanging_build("-TERM", "617");
}

/// `dockdojo clean ID` removes exactly the names the task uses, after asking: here 10-moved-tag's
/// registry container, the learner's image and every copy of the registry's base (the setup
/// pushes two, so one is left untagged). Bystanders, a look-alike repository on the same
/// registry address and the course base images stay.
#[test]
fn clean_id_removes_the_tasks_names_and_nothing_else() {
    let by = Bystanders::create();
    let (_t, root) = workspace();
    let id = "10-moved-tag";
    let o = dockdojo(&root, &["setup", id], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let dir = root.join(id);
    docker_ok(&["build", "-q", "-t", "dojo-moved-app", dir.to_str().unwrap()]);
    // As the task goes: today's base by its tag, yesterday's by its digest (left untagged).
    let base = "127.0.0.1:18100/dojo-base";
    docker_ok(&["pull", "-q", &format!("{base}:3.12-slim")]);
    let digest = std::fs::read_to_string(dir.join("base-digest.txt")).unwrap();
    docker_ok(&["pull", "-q", &format!("{base}@{}", digest.trim())]);
    let lookalike = format!("127.0.0.1:18100/dojo-base-bystander:{}", by.x);
    docker_ok(&["tag", "busybox:1.36.1", &lookalike]);
    let copies = || {
        docker_ok(&[
            "images",
            "--digests",
            "--format",
            "{{.Repository}}@{{.Digest}} {{.ID}}",
            "127.0.0.1:18100/dojo-base",
        ])
    };
    assert!(copies().lines().count() >= 2, "{}", copies());

    // No answer on stdin: the list, and nothing removed.
    let o = dockdojo(&root, &["clean", id], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    for name in [
        "container dojo-moved-registry",
        "image dojo-moved-app",
        "image 127.0.0.1:18100/dojo-base",
        "untagged",
    ] {
        assert!(out.contains(name), "{name} is listed:\n{out}");
    }
    assert!(out.contains("Nothing removed"), "{out}");
    assert!(!out.contains("bystander"), "{out}");
    assert!(docker(&["container", "inspect", "dojo-moved-registry"]).0);

    let o = dockdojo(&root, &["clean", id, "--yes"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!docker(&["container", "inspect", "dojo-moved-registry"]).0);
    assert!(!docker(&["image", "inspect", "dojo-moved-app"]).0);
    assert_eq!(copies(), "", "every copy of the base is gone");
    assert!(
        docker(&["image", "inspect", &lookalike]).0,
        "{lookalike} stays"
    );
    docker(&["rmi", &lookalike]);
    by.assert_intact("clean ID");
    assert!(docker(&["image", "inspect", "busybox:1.36.1"]).0);
    assert!(docker(&["image", "inspect", "registry:2.8.2"]).0);
    // Again: nothing left to remove.
    let o = dockdojo(&root, &["clean", id, "--yes"], &[]);
    assert!(text(&o).contains("Nothing to remove"), "{}", text(&o));
}
