//! The state machine without a terminal: what each action does and which effects it asks for.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::action::{map, Action, Event};
use crate::tui::tests::{check, fixture};

fn checks(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Check { id } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

fn report(id: &str, passed: bool) -> Report {
    Report {
        exercise: id.into(),
        passed,
        duration_ms: 10,
        checks: vec![check("a check", passed)],
    }
}

fn key(app: &App, code: KeyCode) -> Option<Action> {
    map(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)), app)
}

#[test]
fn saving_a_file_rechecks_only_the_current_exercise() {
    let mut app = fixture();
    let now = Instant::now();
    let saved = |ex: &str| Action::FileSaved {
        exercise: ex.into(),
        path: "Dockerfile".into(),
    };
    assert!(checks(&app.update(saved("03-cache-order"), now)).is_empty());
    assert_eq!(
        checks(&app.update(saved("05-named-volume"), now)),
        vec!["05-named-volume"]
    );
    assert!(
        matches!(app.running.as_ref().map(|r| &r.trigger), Some(Trigger::FileSaved(p)) if p == "Dockerfile")
    );
    // Saved again while it runs: once more right after, not twice at once.
    assert!(checks(&app.update(saved("05-named-volume"), now)).is_empty());
    let fx = app.update(
        Action::CheckDone {
            id: "05-named-volume".into(),
            report: report("05-named-volume", false),
        },
        now,
    );
    assert_eq!(checks(&fx), vec!["05-named-volume"]);
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Record(Delta::Report(..)))));
    assert_eq!(app.status("05-named-volume"), Status::Failing);
}

#[test]
fn manual_mode_ignores_saves_and_daemon_events() {
    let mut app = fixture();
    let now = Instant::now();
    app.update(Action::CycleWatch, now);
    let fx = app.update(Action::CycleWatch, now);
    assert_eq!(app.watch, WatchMode::Manual);
    assert!(matches!(
        fx.as_slice(),
        [Effect::SetWatch(WatchMode::Manual)]
    ));
    let saved = Action::FileSaved {
        exercise: "05-named-volume".into(),
        path: "x".into(),
    };
    assert!(app.update(saved, now).is_empty());
    let ev = Action::DaemonChanged {
        exercises: vec!["05-named-volume".into()],
        what: "x".into(),
        exec_only: false,
    };
    assert!(app.update(ev, now).is_empty());
    assert_eq!(
        checks(&app.update(Action::Check, now)),
        vec!["05-named-volume"]
    );
}

#[test]
fn daemon_events_recheck_live_exercises_but_not_our_own_execs() {
    let mut app = fixture();
    let t0 = Instant::now();
    let ev = |exec_only| Action::DaemonChanged {
        exercises: vec!["05-named-volume".into()],
        what: "container dojo-notes: start".into(),
        exec_only,
    };
    assert_eq!(checks(&app.update(ev(false), t0)), vec!["05-named-volume"]);
    // Our own probe's exec during the run, and just after it: ignored.
    assert!(app.update(ev(true), t0).is_empty());
    assert!(app.pending.is_none());
    app.update(
        Action::CheckDone {
            id: "05-named-volume".into(),
            report: report("05-named-volume", false),
        },
        t0,
    );
    assert!(app
        .update(ev(true), t0 + Duration::from_millis(300))
        .is_empty());
    // A learner's exec later on: re-checked.
    assert_eq!(
        checks(&app.update(ev(true), t0 + Duration::from_secs(5))),
        vec!["05-named-volume"]
    );
    // Events about another exercise's names, or for a build exercise, do nothing.
    app.update(
        Action::CheckDone {
            id: "05-named-volume".into(),
            report: report("05-named-volume", false),
        },
        t0,
    );
    let other = Action::DaemonChanged {
        exercises: vec!["04-publish-port".into()],
        what: "x".into(),
        exec_only: false,
    };
    assert!(app.update(other, t0).is_empty());
}

#[test]
fn passing_the_last_of_a_chapter_shows_its_summary() {
    let mut app = fixture();
    let now = Instant::now();
    app.update(Action::Select(-2), now);
    assert_eq!(app.current().map(|e| e.id.as_str()), Some("03-cache-order"));
    app.update(Action::Check, now);
    app.update(
        Action::CheckDone {
            id: "03-cache-order".into(),
            report: report("03-cache-order", true),
        },
        now,
    );
    assert_eq!(app.overlay, Overlay::Summary(SummaryKind::Chapter(3)));
    assert_eq!(app.status("03-cache-order"), Status::Passed);
    assert!(matches!(app.message, Some((Level::Good, _))));
}

#[test]
fn hints_are_revealed_one_at_a_time_and_recorded() {
    let mut app = fixture();
    let now = Instant::now();
    let recorded = |fx: &[Effect]| {
        fx.iter()
            .any(|e| matches!(e, Effect::Record(Delta::Hint { .. })))
    };
    assert!(recorded(&app.update(Action::NextHint, now)));
    assert!(recorded(&app.update(Action::NextHint, now)));
    assert!(
        !recorded(&app.update(Action::NextHint, now)),
        "only two hints"
    );
    assert_eq!(app.hints_used("05-named-volume"), 2);
    assert_eq!(app.overlay, Overlay::Hints);
}

#[test]
fn the_solution_waits_for_a_pass() {
    let mut app = fixture();
    let now = Instant::now();
    app.update(Action::ShowSolution, now);
    assert_eq!(app.overlay, Overlay::None);
    assert!(matches!(app.message, Some((Level::Warn, _))));
    app.update(Action::Select(-4), now);
    app.update(Action::ShowSolution, now);
    assert_eq!(app.overlay, Overlay::Solution { scroll: 0 });
}

#[test]
fn switching_exercises_records_time_spent() {
    let mut app = fixture();
    let t0 = Instant::now();
    app.update(Action::Scroll(1), t0 + Duration::from_secs(30));
    let fx = app.update(Action::Select(1), t0 + Duration::from_secs(95));
    assert!(fx.iter().any(
        |e| matches!(e, Effect::Record(Delta::Time { id, seconds: 95 }) if id == "05-named-volume")
    ));
    assert_eq!(app.progress.exercises["05-named-volume"].time_spent_s, 95);
    let fx = app.update(Action::Quit, t0 + Duration::from_secs(100));
    assert!(app.quit);
    assert!(fx.iter().any(
        |e| matches!(e, Effect::Record(Delta::Time { id, seconds: 5 }) if id == "07-multi-stage")
    ));
}

#[test]
fn keys_depend_on_what_is_on_screen() {
    let mut app = fixture();
    let now = Instant::now();
    assert!(matches!(key(&app, KeyCode::Char('q')), Some(Action::Quit)));
    assert!(matches!(key(&app, KeyCode::Char('c')), Some(Action::Check)));
    assert!(matches!(key(&app, KeyCode::Down), Some(Action::Select(1))));
    assert!(key(&app, KeyCode::Char('z')).is_none());
    let ctrl_c = map(
        Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        &app,
    );
    assert!(matches!(ctrl_c, Some(Action::Quit)));
    // Reset asks first; anything but y keeps the folder.
    app.update(Action::AskReset, now);
    assert!(matches!(key(&app, KeyCode::Char('n')), Some(Action::Close)));
    let yes = key(&app, KeyCode::Char('y')).expect("an action");
    let fx = app.update(yes, now);
    assert!(matches!(fx.as_slice(), [Effect::Reset(id)] if id == "05-named-volume"));
    // In the layer explorer, Esc goes back and ↑↓ move within it.
    let fx = app.update(Action::OpenLayers, now);
    assert!(matches!(fx.as_slice(), [Effect::ListImages]));
    assert!(matches!(
        key(&app, KeyCode::Down),
        Some(Action::LayersMove(1))
    ));
    let esc = key(&app, KeyCode::Esc).expect("an action");
    app.update(esc, now);
    assert!(matches!(app.screen, Screen::Main));
}

#[test]
fn an_environment_error_is_kept_apart_from_a_verdict() {
    let mut app = fixture();
    let now = Instant::now();
    app.update(Action::Check, now);
    app.update(
        Action::CheckFailed {
            id: "05-named-volume".into(),
            error: "cannot reach Docker".into(),
        },
        now,
    );
    assert!(app.running.is_none());
    assert!(matches!(
        app.last["05-named-volume"].outcome,
        Outcome::Env(_)
    ));
    assert_eq!(
        app.status("05-named-volume"),
        Status::NotStarted,
        "no verdict is recorded"
    );
}

#[test]
fn locked_chapters_are_checked_only_on_request() {
    use crate::workshop::client::{Link, RoomStatus};
    let mut app = fixture();
    let now = Instant::now();
    app.workshop = Some(RoomStatus {
        link: Link::Connected,
        queued: 0,
        view: Some(crate::workshop::proto::StudentView {
            unlocked_through: Some(4),
            on_break: false,
            messages: vec![],
            break_left_s: None,
        }),
    });
    // 05-named-volume (chapter 5) is selected and locked.
    assert!(app.locked(5) && !app.locked(4));
    let saved = Action::FileSaved {
        exercise: "05-named-volume".into(),
        path: "Dockerfile".into(),
    };
    assert!(checks(&app.update(saved, now)).is_empty());
    let daemon = Action::DaemonChanged {
        exercises: vec!["05-named-volume".into()],
        what: "container dojo-notes: start".into(),
        exec_only: false,
    };
    assert!(checks(&app.update(daemon, now)).is_empty());
    assert_eq!(
        checks(&app.update(Action::Check, now)),
        vec!["05-named-volume"]
    );
    // Moving onto a locked chapter says when it opens.
    app.running = None;
    app.update(Action::Select(-1), now);
    assert_eq!(app.message, None);
    app.update(Action::Select(1), now);
    let said = app
        .message
        .as_ref()
        .map(|m| m.1.clone())
        .unwrap_or_default();
    assert!(
        said.contains("Chapter 5 opens when your instructor unlocks it"),
        "{said}"
    );
    // Everything open again: no lock.
    app.update(Action::Workshop(None), now);
    assert!(!app.locked(5));
}

/// Who started each recorded check, in order.
fn started(fx: &[Effect]) -> Vec<StartedBy> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Record(Delta::Report(_, by)) => Some(*by),
            _ => None,
        })
        .collect()
}

fn records(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::Record(Delta::Report(..))))
        .count()
}

#[test]
fn quiet_until_asked_and_the_mark_follows_the_latest_verdict() {
    let mut app = fixture();
    let t0 = Instant::now();
    let id = "05-named-volume";
    // Passed in an earlier session: the list says ✓ until this session finds otherwise.
    app.progress.exercises.entry(id.into()).or_default().status = Status::Passed;
    assert_eq!(app.mark(id), Status::Passed);
    // Selecting exercises checks nothing and records nothing.
    let fx = [
        app.update(Action::Select(1), t0),
        app.update(Action::Select(-1), t0),
    ]
    .concat();
    assert!(checks(&fx).is_empty() && records(&fx) == 0, "{fx:?}");
    // The learner's docker command: a re-check, recorded; now it fails, and the mark says so.
    let ev = || Action::DaemonChanged {
        exercises: vec![id.into()],
        what: "container dojo-notes: start".into(),
        exec_only: false,
    };
    app.update(ev(), t0);
    let done = |app: &mut App, passed| {
        app.update(
            Action::CheckDone {
                id: id.into(),
                report: report(id, passed),
            },
            t0,
        )
    };
    // Started by a Docker event: recorded, but no attempt for the workshop room.
    assert_eq!(started(&done(&mut app, false)), [StartedBy::Auto]);
    assert_eq!(app.mark(id), Status::Failing);
    assert_eq!(app.status(id), Status::Passed, "the pass stays in progress");
    let attempts = app.progress.exercises[id].attempts;
    // Docker events that find the same again are no new attempts.
    app.update(ev(), t0 + Duration::from_secs(5));
    assert_eq!(records(&done(&mut app, false)), 0);
    assert_eq!(app.progress.exercises[id].attempts, attempts);
    // A key press always counts; a changed verdict from an event counts too.
    app.update(Action::Check, t0 + Duration::from_secs(6));
    assert_eq!(started(&done(&mut app, false)), [StartedBy::Learner]);
    app.update(ev(), t0 + Duration::from_secs(9));
    assert_eq!(started(&done(&mut app, true)), [StartedBy::Auto]);
    assert_eq!(app.mark(id), Status::Passed);
    // A saved file is the learner's doing.
    app.update(
        Action::FileSaved {
            exercise: id.into(),
            path: "Dockerfile".into(),
        },
        t0 + Duration::from_secs(12),
    );
    assert_eq!(started(&done(&mut app, false)), [StartedBy::Learner]);
}

#[test]
fn a_running_check_collects_each_result_as_it_comes() {
    let mut app = fixture();
    let now = Instant::now();
    app.update(Action::Check, now);
    let id = app.running.as_ref().expect("a check runs").id.clone();
    let first = report(&id, true).checks[0].clone();
    let progress = |id: &str| Action::CheckProgress {
        id: id.into(),
        result: Box::new(first.clone()),
    };
    // Another exercise's result (a run that ended before a switch) is not this run's.
    app.update(progress("03-cache-order"), now);
    app.update(progress(&id), now);
    assert_eq!(app.running.as_ref().map(|r| r.done.len()), Some(1));
    app.update(
        Action::CheckDone {
            id: id.clone(),
            report: report(&id, true),
        },
        now,
    );
    assert!(app.running.is_none());
}
