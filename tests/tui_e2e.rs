//! End to end, as a learner works: the real binary in a terminal (tmux) against the real daemon.
//! The app is open on a live exercise and checks nothing until the learner does something; docker
//! commands run from another shell; the check turns green without a key press. Then a Dockerfile is saved and the build exercise re-checks itself.
//!
//! The live exercise's names (`dojo-notes`, `dojo-notes-data`) are fixed by its task, so this is
//! the only test in its binary (cargo runs test binaries one after another) and it waits until
//! nobody else uses those names. It removes exactly the names it created, nothing else.

mod common;
mod tui_support;

use std::time::Duration;

use common::{apply_solution, docker_ok, leftovers_of, workspace};
use tui_support::{app_command, LiveNames, Tmux, CONTAINER, VOLUME};

/// Wait for a screen showing every one of `all`; on failure show the screen and the app's trace.
fn wait(tmux: &Tmux, all: &[&str], secs: u64, why: &str, trace: &std::path::Path) -> String {
    tmux.wait_until(
        |s| all.iter().all(|w| s.contains(w)),
        Duration::from_secs(secs),
    )
    .unwrap_or_else(|s| {
        let log = std::fs::read_to_string(trace).unwrap_or_default();
        panic!("{why}: {all:?} did not appear; the screen:\n{s}\nthe app's trace:\n{log}")
    })
}

#[test]
fn checks_turn_green_by_themselves() {
    let (_t, root) = workspace();
    let names = LiveNames::claim();

    // 1. A live exercise: the learner runs docker in another terminal.
    let trace = root.join("trace-live.log");
    let tmux = Tmux::start(
        "e2e-live",
        &root.join("05-named-volume"),
        &app_command(&[("DOCKDOJO_TRACE", trace.to_str().unwrap())]),
        100,
        30,
    );
    // Quiet until asked: a first look checks nothing, records nothing, marks nothing ✗.
    let first = tmux
        .wait_until(
            |s| s.contains("Not checked yet") && (s.contains("Docker 2") || s.contains("Docker 1")),
            Duration::from_secs(60),
        )
        .unwrap_or_else(|s| panic!("the first look, unchecked, connected:\n{s}"));
    assert!(!first.contains('✗'), "{first}");
    std::thread::sleep(Duration::from_secs(2));
    assert!(!tmux.screen().contains('✗'), "{}", tmux.screen());
    let progress =
        std::fs::read_to_string(root.join(".dockdojo/progress.json")).unwrap_or_default();
    assert!(!progress.contains("05-named-volume"), "{progress}");
    let pid = tmux.pid();

    docker_ok(&[
        "run",
        "--name",
        CONTAINER,
        "-v",
        &format!("{VOLUME}:/notes"),
        "busybox:1.36.1",
        "sh",
        "-c",
        "echo 'water the plants' > /notes/todo.txt",
    ]);
    // A finished re-check ("Checked", not "Checking") made while the container still exists:
    // one still running when `docker rm` lands could pass on the run's events instead.
    wait(
        &tmux,
        &["Checks · ✗", "Checked after Docker reported"],
        60,
        "a re-check after `docker run`",
        &trace,
    );
    docker_ok(&["rm", CONTAINER]);
    let green = wait(
        &tmux,
        &["Checks · ✓", "destroy"],
        60,
        "green after `docker rm`, without a key press",
        &trace,
    );
    assert!(green.contains("destroy"), "{green}");
    let log = std::fs::read_to_string(&trace).unwrap_or_default();
    assert!(log.contains("drawn 05-named-volume passed"), "{log}");
    let progress = std::fs::read_to_string(root.join(".dockdojo/progress.json")).unwrap();
    assert!(progress.contains("\"status\": \"passed\""), "{progress}");

    tmux.keys(&["q"]);
    assert_eq!(
        tmux.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        tmux.screen()
    );
    assert!(
        leftovers_of(pid).is_empty(),
        "the app left {:?}",
        leftovers_of(pid)
    );
    drop(tmux);
    drop(names);

    // 2. A build exercise: saving the Dockerfile re-checks it.
    let id = "03-first-dockerfile";
    let trace = root.join("trace-build.log");
    let tmux = Tmux::start(
        "e2e-build",
        &root.join(id),
        &app_command(&[("DOCKDOJO_TRACE", trace.to_str().unwrap())]),
        100,
        30,
    );
    wait(&tmux, &["Not checked yet"], 60, "the first look", &trace);
    tmux.keys(&["c"]);
    wait(
        &tmux,
        &["Checks · ✗", "Checked on request"],
        120,
        "the starter fails when checked",
        &trace,
    );
    let pid = tmux.pid();
    apply_solution(&root, id);
    let green = wait(
        &tmux,
        &["Checks · ✓"],
        180,
        "green after saving the Dockerfile",
        &trace,
    );
    assert!(green.contains("after you saved Dockerfile"), "{green}");
    tmux.keys(&["q"]);
    assert_eq!(
        tmux.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        tmux.screen()
    );
    assert!(
        leftovers_of(pid).is_empty(),
        "the app left {:?}",
        leftovers_of(pid)
    );
}
