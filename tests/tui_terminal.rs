//! The app in a real terminal (tmux), without needing a daemon: it falls back to lines without a
//! TTY, opens and explains when Docker is unreachable, answers its keys at 80×24, and gives the
//! terminal back when it quits and when it panics.

mod common;
mod tui_support;

use std::time::Duration;

use common::{dockdojo, text, workspace};
use tui_support::{app_command, sh_quote, Tmux};

const NO_DAEMON: (&str, &str) = ("DOCKER_HOST", "unix:///nonexistent/dockdojo-test.sock");
const WAIT: Duration = Duration::from_secs(20);

#[test]
fn without_a_tty_it_prints_the_list() {
    let (_t, root) = workspace();
    let o = dockdojo(&root, &[], &[NO_DAEMON]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("Chapter 1"), "{out}");
    assert!(out.contains("01-writable-layer"), "{out}");
    assert!(
        !out.contains("\x1b[?1049h"),
        "no alternate screen without a TTY"
    );
}

#[test]
fn opens_without_a_daemon_and_says_why() {
    let (_t, root) = workspace();
    let tmux = Tmux::start(
        "nodaemon",
        &root.join("05-named-volume"),
        &app_command(&[NO_DAEMON]),
        80,
        24,
    );
    // Nothing is checked on opening; the header says why Docker is out of reach at once.
    tmux.wait_for("Docker unreachable", WAIT)
        .unwrap_or_else(|s| panic!("no Docker status shown:\n{s}"));
    tmux.keys(&["c"]);
    let screen = tmux
        .wait_for("Could not check", WAIT)
        .unwrap_or_else(|s| panic!("no environment error shown:\n{s}"));
    assert!(screen.contains("Docker unreachable"), "{screen}");
    assert!(screen.contains("your Docker setup"), "{screen}");
    assert!(screen.contains("05-named-volume"), "{screen}");
    assert!(tmux.alternate_screen());
    // Every line fits 80 columns and the key bar is there.
    assert!(screen.lines().all(|l| l.chars().count() <= 80), "{screen}");
    assert!(screen.contains("q quit"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(WAIT), Some(0), "{}", tmux.screen());
}

#[test]
fn keys_open_help_hints_layers_and_move_between_exercises() {
    let (_t, root) = workspace();
    let tmux = Tmux::start(
        "keys",
        &root.join("05-named-volume"),
        &app_command(&[NO_DAEMON]),
        80,
        24,
    );
    tmux.wait_for("Not checked yet", WAIT)
        .unwrap_or_else(|s| panic!("app did not open:\n{s}"));
    tmux.keys(&["?"]);
    tmux.wait_for("Live re-checks", WAIT)
        .unwrap_or_else(|s| panic!("no help:\n{s}"));
    tmux.esc();
    tmux.wait_until(|s| !s.contains("Live re-checks"), WAIT)
        .unwrap_or_else(|s| panic!("help did not close:\n{s}"));
    tmux.keys(&["h"]);
    tmux.wait_for("Hints for 05-named-volume · 1 of", WAIT)
        .unwrap_or_else(|s| panic!("no hint:\n{s}"));
    tmux.esc();
    // The hint is remembered in the progress file.
    let progress =
        std::fs::read_to_string(root.join(".dockdojo/progress.json")).unwrap_or_default();
    assert!(progress.contains("\"hints_used\": 1"), "{progress}");
    tmux.keys(&["s"]);
    tmux.wait_for("opens once you pass", WAIT)
        .unwrap_or_else(|s| panic!("solution was not refused:\n{s}"));
    tmux.keys(&["l"]);
    tmux.wait_for("Could not list images", WAIT)
        .unwrap_or_else(|s| panic!("no layer explorer:\n{s}"));
    tmux.esc();
    tmux.wait_for("l layers", WAIT)
        .unwrap_or_else(|s| panic!("the explorer did not close:\n{s}"));
    tmux.keys(&["Down"]);
    tmux.wait_until(
        |s| {
            s.lines()
                .nth(1)
                .is_some_and(|l| !l.contains("05-named-volume ·"))
        },
        WAIT,
    )
    .unwrap_or_else(|s| panic!("the selection did not move:\n{s}"));
    tmux.keys(&["C-c"]);
    assert_eq!(tmux.wait_exit(WAIT), Some(0), "{}", tmux.screen());
}

/// The panic switch exists in debug builds only (the test binary is built like the app).
#[cfg(debug_assertions)]
#[test]
fn a_panic_gives_the_terminal_back() {
    let (_t, root) = workspace();
    // A shell runs the app, then reports the terminal's mode once the app is gone.
    let script = format!(
        "env RUST_BACKTRACE=0 DOCKDOJO_TEST_PANIC=1 {} {}; echo exit=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'; sleep 60",
        NO_DAEMON.0.to_owned() + "=" + &sh_quote(NO_DAEMON.1),
        sh_quote(&common::bin().display().to_string())
    );
    let tmux = Tmux::start(
        "panic",
        &root,
        &format!("sh -c {}", sh_quote(&script)),
        80,
        24,
    );
    let screen = tmux
        .wait_until(
            |s| s.lines().any(|l| l.trim_end().ends_with("icanon")),
            WAIT,
        )
        .unwrap_or_else(|s| panic!("the shell did not get the terminal back:\n{s}"));
    assert!(
        screen.contains("panicking on purpose"),
        "the panic message is readable:\n{screen}"
    );
    assert!(screen.contains("exit=101"), "{screen}");
    assert!(
        screen.lines().any(|l| l.trim() == "icanon"),
        "the terminal is back in canonical mode:\n{screen}"
    );
    assert!(!tmux.alternate_screen(), "the alternate screen was left");
}
