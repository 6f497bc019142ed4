//! The instructor's dashboard, the real `dockdojo workshop dash` in a real terminal (tmux),
//! against the real `dockdojo workshop serve`: it shows the students who joined and what they
//! fail; `u` unlocks the next chapter, `b` sends a message students receive, `h` a hint, `p`
//! starts a break (each checked through the server's API), `q` quits and gives the terminal
//! back, even after a panic. With the server gone it says so and still quits. Without an
//! instructor file or a terminal it explains what to do.

mod common;
mod tui_support;
mod workshop_support;

use std::time::Duration;

use common::{dockdojo, text};
use serde_json::{json, Value};
use tui_support::{sh_quote, Tmux};
use workshop_support::Server;

const WAIT: Duration = Duration::from_secs(20);

fn dash_command(data: &std::path::Path) -> String {
    format!(
        "env NO_COLOR=1 {} workshop dash --data {}",
        sh_quote(&common::bin().display().to_string()),
        sh_quote(&data.display().to_string())
    )
}

fn student_view(s: &Server, token: &str) -> Value {
    let (status, v) = s.call("GET", "/api/student", Some(token), None);
    assert_eq!(status, 200, "{v}");
    v
}

#[test]
fn the_dashboard_shows_the_room_and_paces_it() {
    let s = Server::start();
    s.pace(json!({ "unlocked_through": 1 }));
    let ana = s.join("Ana Lima");
    let evil = s.join("<img src=x onerror=alert(1)>");
    let bo = s.join("Bo");
    s.report(&ana, "00-first-container", &[]);
    for _ in 0..3 {
        s.report(&evil, "01-writable-layer", &["a-has-file"]);
    }
    s.report(&bo, "01-writable-layer", &["a-has-file"]);
    s.setup_report(&bo, "doctor", false);

    let dir = tempfile::tempdir().expect("a folder");
    let tmux = Tmux::start("dash", dir.path(), &dash_command(&s.data_dir()), 100, 30);
    let screen = tmux
        .wait_for("Bo", WAIT)
        .unwrap_or_else(|sc| panic!("the room did not show:\n{sc}\n{}", s.log()));
    assert!(tmux.alternate_screen());
    for want in [
        "Ana Lima",
        "<img src=x onerror",
        "a-has-file",
        "3 students",
        "chapters 0–1",
    ] {
        assert!(screen.contains(want), "{want:?} missing:\n{screen}");
    }
    assert!(screen.lines().all(|l| l.chars().count() <= 100), "{screen}");

    // u: the next chapter opens, on the server.
    tmux.keys(&["u"]);
    s.wait_room(|r| r["unlocked_through"] == 2, WAIT)
        .unwrap_or_else(|r| panic!("chapter 2 was not unlocked: {r}\n{}", tmux.screen()));
    tmux.wait_for("chapter 2 unlocked", WAIT)
        .unwrap_or_else(|sc| panic!("no confirmation:\n{sc}"));
    assert_eq!(student_view(&s, &bo)["unlocked_through"], 2);

    // b: a message to the room reaches a student.
    tmux.keys(&["b"]);
    tmux.wait_for("Message to the whole room", WAIT)
        .unwrap_or_else(|sc| panic!("no message input:\n{sc}"));
    tmux.keys(&["-l", "Break at 10:30, finish chapter 1"]);
    tmux.wait_for("finish chapter 1", WAIT)
        .unwrap_or_else(|sc| panic!("the typing does not show:\n{sc}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("message sent to the room", WAIT)
        .unwrap_or_else(|sc| panic!("the message was not confirmed:\n{sc}\n{}", s.log()));
    let messages = student_view(&s, &ana)["messages"].clone();
    assert!(
        messages.as_array().is_some_and(|m| m
            .iter()
            .any(|m| m["text"] == "Break at 10:30, finish chapter 1" && m["kind"] == "message")),
        "{messages}"
    );

    // h: a hint, about the exercise most of the room fails by default.
    tmux.keys(&["h"]);
    tmux.wait_for("Hint: which exercise?", WAIT)
        .unwrap_or_else(|sc| panic!("no hint input:\n{sc}"));
    tmux.wait_for("01-writable-layer▏", WAIT)
        .unwrap_or_else(|sc| panic!("the default exercise is not the most failed:\n{sc}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("Hint for 01-writable-layer", WAIT)
        .unwrap_or_else(|sc| panic!("no hint text input:\n{sc}"));
    tmux.keys(&["-l", "docker diff shows the writable layer"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("hint for 01-writable-layer sent", WAIT)
        .unwrap_or_else(|sc| panic!("the hint was not confirmed:\n{sc}\n{}", s.log()));
    let messages = student_view(&s, &bo)["messages"].clone();
    assert!(
        messages
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["kind"] == "hint"
                && m["exercise"] == "01-writable-layer"
                && m["text"] == "docker diff shows the writable layer")),
        "{messages}"
    );

    // Esc in an input cancels it, nothing sent.
    tmux.keys(&["b"]);
    tmux.wait_for("Message to the whole room", WAIT)
        .unwrap_or_else(|sc| panic!("no message input:\n{sc}"));
    tmux.keys(&["-l", "never sent"]);
    tmux.esc();
    tmux.wait_until(|sc| !sc.contains("Message to the whole room"), WAIT)
        .unwrap_or_else(|sc| panic!("Esc did not close the input:\n{sc}"));

    // p: a break, on the server and on screen.
    tmux.keys(&["p"]);
    s.wait_room(|r| r["on_break"] == true, WAIT)
        .unwrap_or_else(|r| panic!("no break: {r}\n{}", tmux.screen()));
    tmux.wait_for("ON BREAK", WAIT)
        .unwrap_or_else(|sc| panic!("the break does not show:\n{sc}"));
    assert_eq!(student_view(&s, &ana)["on_break"], true);
    let all = student_view(&s, &ana)["messages"].to_string();
    assert!(!all.contains("never sent"), "{all}");

    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(WAIT), Some(0), "{}", tmux.screen());
    assert!(!tmux.alternate_screen(), "the alternate screen was left");
}

#[test]
fn with_the_server_gone_it_says_so_and_still_quits() {
    let mut s = Server::start();
    s.join("Ana");
    let dir = tempfile::tempdir().expect("a folder");
    let tmux = Tmux::start(
        "dash-down",
        dir.path(),
        &dash_command(&s.data_dir()),
        80,
        24,
    );
    tmux.wait_for("Ana", WAIT)
        .unwrap_or_else(|sc| panic!("the room did not show:\n{sc}"));
    s.stop();
    let screen = tmux
        .wait_for("server unreachable (last update", WAIT)
        .unwrap_or_else(|sc| panic!("the outage is not shown:\n{sc}"));
    assert!(screen.contains("Ana"), "the last view stays:\n{screen}");
    // Actions while it is down say why they failed, and nothing crashes.
    tmux.keys(&["p"]);
    tmux.wait_for("connection refused", WAIT)
        .unwrap_or_else(|sc| panic!("the failed action is not explained:\n{sc}"));
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(WAIT), Some(0), "{}", tmux.screen());
    assert!(!tmux.alternate_screen());
}

/// The panic switch exists in debug builds only (the test binary is built like the app).
#[cfg(debug_assertions)]
#[test]
fn a_panic_gives_the_terminal_back() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("a folder");
    // A shell runs the dashboard, then reports the terminal's mode once it is gone.
    let script = format!(
        "env RUST_BACKTRACE=0 DOCKDOJO_TEST_PANIC=1 {} workshop dash --data {}; echo exit=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'; sleep 60",
        sh_quote(&common::bin().display().to_string()),
        sh_quote(&s.data_dir().display().to_string())
    );
    let tmux = Tmux::start(
        "dash-panic",
        dir.path(),
        &format!("sh -c {}", sh_quote(&script)),
        80,
        24,
    );
    let screen = tmux
        .wait_until(
            |sc| sc.lines().any(|l| l.trim_end().ends_with("icanon")),
            WAIT,
        )
        .unwrap_or_else(|sc| panic!("the shell did not get the terminal back:\n{sc}"));
    assert!(screen.contains("panicking on purpose"), "{screen}");
    assert!(screen.contains("exit=101"), "{screen}");
    assert!(
        screen.lines().any(|l| l.trim() == "icanon"),
        "the terminal is back in canonical mode:\n{screen}"
    );
    assert!(!tmux.alternate_screen(), "the alternate screen was left");
}

#[test]
fn without_an_instructor_file_or_a_terminal_it_explains() {
    let dir = tempfile::tempdir().expect("a folder");
    let o = dockdojo(dir.path(), &["workshop", "dash", "--data", "nowhere"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("is `dockdojo workshop serve` running with --data nowhere?"),
        "{}",
        text(&o)
    );

    let s = Server::start();
    let data = s.data_dir();
    let o = dockdojo(
        dir.path(),
        &["workshop", "dash", "--data", &data.display().to_string()],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("needs an interactive terminal"),
        "{}",
        text(&o)
    );
}

/// Moderation from the dashboard, each checked through the server's API (Enter first shows the
/// selected student's details): `L` locks the room,
/// `x` (after a confirmation) removes the selected student, `r` renames one, `H` hides one from
/// the board, `C` (confirmed) makes a new join code.
#[test]
fn the_dashboard_moderates_the_room() {
    let s = Server::start();
    s.join("Ana");
    s.join("Bo");
    s.join("SPAM SPAM");
    let dir = tempfile::tempdir().expect("a folder");
    let tmux = Tmux::start("mod", dir.path(), &dash_command(&s.data_dir()), 100, 30);
    tmux.wait_for("SPAM SPAM", WAIT)
        .unwrap_or_else(|sc| panic!("the room did not show:\n{sc}\n{}", s.log()));
    // Enter: the selected student's details; any key closes them.
    tmux.keys(&["Enter"]);
    tmux.wait_for("no check reported yet", WAIT)
        .unwrap_or_else(|sc| panic!("no details:\n{sc}"));
    tmux.esc();
    tmux.keys(&["L"]);
    s.wait_room(|r| r["locked"] == true, WAIT)
        .unwrap_or_else(|r| panic!("the room was not locked: {r}\n{}", tmux.screen()));
    tmux.wait_for("LOCKED", WAIT)
        .unwrap_or_else(|sc| panic!("the header does not say locked:\n{sc}"));
    // The third student: remove, confirmed.
    tmux.keys(&["Down", "Down", "x"]);
    tmux.wait_for("Remove SPAM SPAM", WAIT)
        .unwrap_or_else(|sc| panic!("no confirmation asked:\n{sc}"));
    tmux.keys(&["Enter"]);
    s.wait_room(
        |r| r["students"].as_array().is_some_and(|a| a.len() == 2),
        WAIT,
    )
    .unwrap_or_else(|r| panic!("the student was not removed: {r}\n{}", tmux.screen()));
    tmux.wait_for("SPAM SPAM removed", WAIT)
        .unwrap_or_else(|sc| panic!("no confirmation:\n{sc}"));
    // The selection is now Bo: rename.
    tmux.keys(&["r"]);
    tmux.wait_for("New name for Bo", WAIT)
        .unwrap_or_else(|sc| panic!("no rename input:\n{sc}"));
    tmux.keys(&["BSpace", "BSpace"]);
    tmux.keys(&["-l", "Bo Chen"]);
    tmux.keys(&["Enter"]);
    s.wait_room(|r| r["students"][1]["name"] == "Bo Chen", WAIT)
        .unwrap_or_else(|r| panic!("not renamed: {r}\n{}", tmux.screen()));
    tmux.keys(&["H"]);
    s.wait_room(|r| r["students"][1]["hidden"] == true, WAIT)
        .unwrap_or_else(|r| panic!("not hidden: {r}\n{}", tmux.screen()));
    let code = s.code();
    tmux.keys(&["C"]);
    tmux.wait_for("new join code?", WAIT)
        .unwrap_or_else(|sc| panic!("no confirmation asked:\n{sc}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the old one no longer joins", WAIT)
        .unwrap_or_else(|sc| panic!("no new code:\n{sc}\n{}", s.log()));
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(s.data_dir().join("instructor.json")).expect("instructor file"),
    )
    .expect("JSON");
    assert_ne!(file["join_code"].as_str(), Some(code.as_str()));
    tmux.keys(&["q"]);
}
