//! The dashboard as the instructor sees it (`TestBackend` + insta snapshots, from fixture room
//! views): an empty room, a populated one at 80×24 and on a wide terminal, hostile and very
//! wide names, the message input, the help and a server that stopped answering. Then the
//! state: which requests each key makes. Review changes with `cargo insta review` (or accept
//! with `INSTA_UPDATE=always`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::action::Action;
use super::state::{Dash, Effect, Level, Link, Overlay, Purpose};
use crate::term::theme::Theme;
use crate::workshop::proto::{
    Cell, ExerciseHead, FailingCheck, MessageKind, Moderation, NewMessage, Pace, RoomView,
    StudentRow,
};

const NOW: i64 = 1_700_000_000;

fn heads() -> Vec<ExerciseHead> {
    [
        ("00-first-container", 0),
        ("01-writable-layer", 1),
        ("02-graceful-stop", 2),
        ("03-cache-order", 3),
        ("03-dockerignore", 3),
        ("03-first-dockerfile", 3),
        ("04-publish-port", 4),
        ("05-named-volume", 5),
    ]
    .into_iter()
    .map(|(id, chapter)| ExerciseHead {
        id: id.into(),
        chapter,
        title: format!("Title of {id}"),
    })
    .collect()
}

fn passed() -> Cell {
    Cell {
        attempts: 2,
        passed: true,
        first_pass_at: Some(NOW - 600),
        ..Cell::default()
    }
}

fn failing(check: &str, streak: u32) -> Cell {
    Cell {
        attempts: streak + 1,
        failing_check: Some(check.into()),
        fail_streak: streak,
        ..Cell::default()
    }
}

fn student(id: i64, name: &str, cells: &[(&str, Cell)]) -> StudentRow {
    StudentRow {
        id,
        name: name.into(),
        joined_at: NOW - 3600,
        last_seen: Some(NOW - 30),
        doctor_ok: Some(true),
        prepare_ok: Some(true),
        cells: cells
            .iter()
            .map(|(k, c)| (k.to_string(), c.clone()))
            .collect::<BTreeMap<_, _>>(),
        stuck: None,
        hidden: false,
        doctor_failed: Vec::new(),
    }
}

fn empty_room() -> RoomView {
    RoomView {
        now: NOW,
        exercises: heads(),
        students: Vec::new(),
        failing: Vec::new(),
        unlocked_through: Some(0),
        on_break: false,
        messages: Vec::new(),
        self_reported: true,
        locked: false,
        break_until: None,
    }
}

/// Five students, two stuck, two with a broken setup and one not heard from for a while.
fn room() -> RoomView {
    let ana = student(
        1,
        "Ana",
        &[
            ("00-first-container", passed()),
            ("01-writable-layer", passed()),
            ("02-graceful-stop", passed()),
            ("03-cache-order", failing("cache-hit", 1)),
        ],
    );
    let mut bo = student(
        2,
        "Bo",
        &[
            ("00-first-container", passed()),
            ("01-writable-layer", failing("layer-kept", 4)),
        ],
    );
    bo.stuck = Some("01-writable-layer: `layer-kept` failed 4 times in a row".into());
    let mut chen = student(
        3,
        "Chen Wei",
        &[
            ("00-first-container", passed()),
            ("01-writable-layer", passed()),
            ("02-graceful-stop", failing("stops-fast", 2)),
            (
                "03-cache-order",
                Cell {
                    attempts: 1,
                    ..Cell::default()
                },
            ),
        ],
    );
    chen.doctor_ok = Some(false);
    chen.prepare_ok = None;
    chen.stuck = Some("02-graceful-stop: `stops-fast` failed 2 times in a row".into());
    let mut dana = student(4, "Dana", &[("00-first-container", passed())]);
    dana.prepare_ok = Some(false);
    let mut eli = student(5, "Eli", &[]);
    eli.last_seen = Some(NOW - 900);
    eli.doctor_ok = None;
    eli.prepare_ok = None;
    RoomView {
        students: vec![ana, bo, chen, dana, eli],
        failing: vec![
            FailingCheck {
                exercise: "01-writable-layer".into(),
                check: "layer-kept".into(),
                students: 1,
            },
            FailingCheck {
                exercise: "02-graceful-stop".into(),
                check: "stops-fast".into(),
                students: 1,
            },
            FailingCheck {
                exercise: "03-cache-order".into(),
                check: "cache-hit".into(),
                students: 1,
            },
        ],
        unlocked_through: Some(3),
        ..empty_room()
    }
}

fn dash_with(room: Option<RoomView>) -> Dash {
    let now = Instant::now();
    let mut d = Dash::new("http://127.0.0.1:4040".into(), now);
    d.theme = Theme { color: false };
    d.join_code = Some("abcd-efgh-jkmn-pqrs-tuvw".into());
    if let Some(r) = room {
        d.update(Action::Room(Ok(Box::new(r))), now);
    }
    d
}

fn draw(d: &Dash, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| super::ui::render(f, d)).expect("draw");
    t.backend().to_string()
}

#[test]
fn empty_room_says_how_to_join() {
    let screen = draw(&dash_with(Some(empty_room())), 80, 24);
    assert!(screen.contains("abcd-efgh-jkmn-pqrs-tuvw"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn populated_room() {
    insta::assert_snapshot!(draw(&dash_with(Some(room())), 80, 24));
}

#[test]
fn populated_room_wide() {
    let mut r = room();
    r.unlocked_through = None;
    r.on_break = true;
    insta::assert_snapshot!(draw(&dash_with(Some(r)), 160, 30));
}

#[test]
fn hostile_and_wide_names_keep_the_layout() {
    let mut r = room();
    r.students[1].name = "<img src=x onerror=alert(1)>".into();
    r.students[2].name = "漢字かなカナ한국어".repeat(5).chars().take(40).collect();
    r.students[3].name = "evil\x1b[2J\u{202E}name\x07".into();
    let d = dash_with(Some(r));
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    t.draw(|f| super::ui::render(f, &d)).expect("draw");
    let screen = t.backend().to_string();
    assert!(screen.contains("<img src=x onerror"), "{screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202E}'));
    // The grid's right border is in place on every row: no wide character pushed it out.
    let buf = t.backend().buffer();
    for y in 1..14 {
        let right = buf[(79, y)].symbol();
        assert!(
            ["│", "┐", "┘"].contains(&right),
            "row {y} ends with {right:?}:\n{screen}"
        );
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn broadcast_input_open() {
    let mut d = dash_with(Some(room()));
    d.update(Action::Broadcast, Instant::now());
    for c in "Break in 5 minutes: finish chapter 3".chars() {
        d.update(Action::Type(c), Instant::now());
    }
    insta::assert_snapshot!(draw(&d, 80, 24));
}

#[test]
fn help() {
    let mut d = dash_with(Some(room()));
    d.update(Action::Help, Instant::now());
    insta::assert_snapshot!(draw(&d, 80, 24));
}

#[test]
fn server_unreachable_keeps_the_last_view() {
    let start = Instant::now();
    let mut d = dash_with(None);
    d.update(Action::Room(Ok(Box::new(room()))), start);
    d.update(
        Action::Room(Err("connection refused or no route".into())),
        start + Duration::from_secs(12),
    );
    assert_eq!(d.link, Link::Down("connection refused or no route".into()));
    let screen = draw(&d, 80, 24);
    assert!(
        screen.contains("server unreachable (last update 12s ago)"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn server_never_reached() {
    let mut d = dash_with(None);
    d.update(
        Action::Room(Err("connection refused or no route".into())),
        Instant::now(),
    );
    insta::assert_snapshot!(draw(&d, 80, 24));
}

#[test]
fn many_students_scroll() {
    let mut r = room();
    let extra: Vec<StudentRow> = (10..40)
        .map(|i| {
            student(
                i,
                &format!("Student {i}"),
                &[("00-first-container", passed())],
            )
        })
        .collect();
    r.students.extend(extra);
    let mut d = dash_with(Some(r));
    d.update(Action::Scroll(10), Instant::now());
    let screen = draw(&d, 80, 24);
    assert!(screen.contains("rows 11–"), "{screen}");
    assert!(screen.contains("Student 15"), "{screen}");
    assert!(!screen.contains("Ana"), "{screen}");
}

#[test]
fn columns_scroll_to_the_selected_exercise() {
    let mut r = room();
    r.unlocked_through = None;
    let mut d = dash_with(Some(r));
    for _ in 0..20 {
        d.update(Action::Column(1), Instant::now());
    }
    assert_eq!(d.col, 7, "stops at the last column");
    let screen = draw(&d, 30, 24);
    assert!(screen.contains("08"), "{screen}");
    assert!(screen.contains("05-named-volume"), "{screen}");
    assert!(screen.contains("student ‹03 04"), "{screen}");
}

// --- state: what each key asks of the server ---

#[test]
fn unlock_lock_and_open_all_send_the_right_pace() {
    let mut d = dash_with(Some(room()));
    let now = Instant::now();
    let pace = |unlocked_through, on_break| Pace {
        unlocked_through,
        on_break,
        break_minutes: None,
    };
    assert_eq!(
        d.update(Action::Unlock, now),
        vec![Effect::Pace(
            pace(Some(Some(4)), None),
            "chapter 4 unlocked".into()
        )]
    );
    assert_eq!(
        d.update(Action::LockBack, now),
        vec![Effect::Pace(
            pace(Some(Some(2)), None),
            "chapters after 2 locked".into()
        )]
    );
    assert_eq!(
        d.update(Action::OpenAll, now),
        vec![Effect::Pace(
            pace(Some(None), None),
            "every chapter is open".into()
        )]
    );
    assert_eq!(
        d.update(Action::ToggleBreak, now),
        vec![Effect::Pace(pace(None, Some(true)), "break started".into())]
    );
    // Everything open: nothing more to unlock, and it says so.
    let mut r = room();
    r.unlocked_through = None;
    d.update(Action::Room(Ok(Box::new(r))), now);
    assert!(d.update(Action::Unlock, now).is_empty());
    assert_eq!(
        d.note,
        Some((Level::Info, "every chapter is already open".into()))
    );
    // Nothing loaded yet: no request.
    let mut fresh = dash_with(None);
    assert!(fresh.update(Action::Unlock, now).is_empty());
}

#[test]
fn broadcast_sends_the_typed_text_and_esc_cancels() {
    let now = Instant::now();
    let mut d = dash_with(Some(room()));
    d.update(Action::Broadcast, now);
    d.update(Action::Submit, now);
    assert!(
        matches!(d.overlay, Overlay::Prompt(_)),
        "empty text is not sent"
    );
    for c in "hi all!".chars() {
        d.update(Action::Type(c), now);
    }
    d.update(Action::Backspace, now);
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Send(NewMessage {
            kind: MessageKind::Message,
            text: "hi all".into(),
            exercise: None,
            student: None,
        })]
    );
    assert_eq!(d.overlay, Overlay::None);
    d.update(Action::Broadcast, now);
    d.update(Action::Type('x'), now);
    d.update(Action::Close, now);
    assert_eq!(d.overlay, Overlay::None);
}

#[test]
fn a_break_of_n_minutes() {
    let now = Instant::now();
    let mut d = dash_with(Some(room()));
    d.update(Action::TimedBreak, now);
    let Overlay::Prompt(p) = &d.overlay else {
        panic!("no prompt")
    };
    assert_eq!(
        (&p.purpose, p.text.as_str()),
        (&Purpose::BreakMinutes, "15")
    );
    for text in ["", "0", "241", "ten"] {
        for _ in 0..5 {
            d.update(Action::Backspace, now);
        }
        for c in text.chars() {
            d.update(Action::Type(c), now);
        }
        assert!(d.update(Action::Submit, now).is_empty(), "{text:?}");
        assert!(matches!(d.overlay, Overlay::Prompt(_)));
    }
    for _ in 0..5 {
        d.update(Action::Backspace, now);
    }
    d.update(Action::Type('2'), now);
    d.update(Action::Type('0'), now);
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Pace(
            Pace {
                unlocked_through: None,
                on_break: Some(true),
                break_minutes: Some(20),
            },
            "break started: 20 min".into()
        )]
    );
    assert_eq!(d.overlay, Overlay::None);
    // The header counts down from the server's clock.
    let mut r = room();
    r.on_break = true;
    r.break_until = Some(NOW + 19 * 60 + 1);
    d.update(Action::Room(Ok(Box::new(r))), now);
    let screen = draw(&d, 120, 24);
    assert!(screen.contains("ON BREAK · 20 min left"), "{screen}");
}

#[test]
fn a_message_and_a_hint_to_the_selected_student_only() {
    let now = Instant::now();
    let mut d = dash_with(Some(room()));
    d.update(Action::Scroll(1), now);
    d.update(Action::Tell, now);
    let Overlay::Prompt(p) = &d.overlay else {
        panic!("no prompt")
    };
    assert_eq!(
        p.purpose,
        Purpose::Tell {
            student: 2,
            name: "Bo".into(),
            exercise: None
        }
    );
    assert!(
        d.update(Action::Submit, now).is_empty(),
        "empty text is not sent"
    );
    for c in "come see me".chars() {
        d.update(Action::Type(c), now);
    }
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Send(NewMessage {
            kind: MessageKind::Message,
            text: "come see me".into(),
            exercise: None,
            student: Some(2),
        })]
    );
    assert_eq!(d.overlay, Overlay::None);
    // T: a hint about the selected exercise column, to that student only.
    d.update(Action::Column(1), now);
    d.update(Action::TellHint, now);
    insta::assert_snapshot!(draw(&d, 80, 24));
    for c in "read the layer again".chars() {
        d.update(Action::Type(c), now);
    }
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Send(NewMessage {
            kind: MessageKind::Hint,
            text: "read the layer again".into(),
            exercise: Some("01-writable-layer".into()),
            student: Some(2),
        })]
    );
    // Nobody to tell: said so, nothing sent.
    let mut d = dash_with(Some(empty_room()));
    assert!(d.update(Action::Tell, now).is_empty());
    assert_eq!(d.overlay, Overlay::None);
    assert!(d.note.as_ref().is_some_and(|(l, _)| *l == Level::Warn));
}

#[test]
fn a_hint_defaults_to_the_most_failed_exercise() {
    let now = Instant::now();
    let mut r = room();
    r.failing.push(FailingCheck {
        exercise: "03-cache-order".into(),
        check: "cache-size".into(),
        students: 1,
    });
    let mut d = dash_with(Some(r));
    d.update(Action::Hint, now);
    let Overlay::Prompt(p) = &d.overlay else {
        panic!("no prompt")
    };
    assert_eq!(p.purpose, Purpose::HintExercise);
    assert_eq!(p.text, "03-cache-order");
    d.update(Action::Submit, now);
    let Overlay::Prompt(p) = &d.overlay else {
        panic!("no text prompt")
    };
    assert_eq!(
        p.purpose,
        Purpose::HintText {
            exercise: "03-cache-order".into()
        }
    );
    for c in "look at the order of COPY".chars() {
        d.update(Action::Type(c), now);
    }
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Send(NewMessage {
            kind: MessageKind::Hint,
            text: "look at the order of COPY".into(),
            exercise: Some("03-cache-order".into()),
            student: None,
        })]
    );
    // An unknown exercise is refused with what to type.
    d.update(Action::Hint, now);
    for _ in 0..20 {
        d.update(Action::Backspace, now);
    }
    for c in "nope".chars() {
        d.update(Action::Type(c), now);
    }
    assert!(d.update(Action::Submit, now).is_empty());
    assert!(d
        .note
        .as_ref()
        .is_some_and(|(_, n)| n.contains("no exercise")));
}

#[test]
fn a_refusal_shows_the_server_text() {
    let mut d = dash_with(Some(room()));
    d.update(
        Action::Done(Err(
            "the server refused (400 Bad Request): text is empty".into()
        )),
        Instant::now(),
    );
    let screen = draw(&d, 80, 24);
    assert!(screen.contains("text is empty"), "{screen}");
}

#[test]
fn stuck_students_most_stuck_first_and_connected_count() {
    let d = dash_with(Some(room()));
    let names: Vec<&str> = d.stuck().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Bo", "Chen Wei"]);
    assert_eq!(d.connected(), 4);
    assert_eq!(d.columns().len(), 6);
}

// --- moderation: the selected student and the room ---

#[test]
fn moderation_keys_ask_then_send_the_right_action() {
    let now = Instant::now();
    let mut d = dash_with(Some(room()));
    let first = d.selected().expect("a selected student").clone();
    // Remove asks first; Esc does nothing, Enter removes.
    assert!(d.update(Action::Remove, now).is_empty());
    assert!(matches!(d.overlay, Overlay::Prompt(_)));
    assert!(d.update(Action::Close, now).is_empty());
    d.update(Action::Remove, now);
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Moderate(Moderation::Remove { student: first.id })]
    );
    assert_eq!(d.overlay, Overlay::None);
    // Rename starts from the current name.
    d.update(Action::Rename, now);
    match &d.overlay {
        Overlay::Prompt(p) => assert_eq!(p.text, first.name),
        o => panic!("{o:?}"),
    }
    for _ in 0..first.name.chars().count() {
        d.update(Action::Backspace, now);
    }
    for c in "Ana B".chars() {
        d.update(Action::Type(c), now);
    }
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Moderate(Moderation::Rename {
            student: first.id,
            name: "Ana B".into()
        })]
    );
    // Merge into another student, by exact name; an unknown name is said, not sent.
    d.update(Action::Scroll(1), now);
    let second = d.selected().unwrap().clone();
    d.update(Action::Merge, now);
    for c in "nobody".chars() {
        d.update(Action::Type(c), now);
    }
    assert!(d.update(Action::Submit, now).is_empty());
    assert!(d.note.as_ref().unwrap().1.contains("no student"));
    d.update(Action::Close, now);
    d.update(Action::Merge, now);
    for c in first.name.chars() {
        d.update(Action::Type(c), now);
    }
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Moderate(Moderation::Merge {
            from: second.id,
            into: first.id
        })]
    );
    // Hide toggles, lock toggles, a new code and retracting ask first, clearing does not.
    assert_eq!(
        d.update(Action::ToggleHidden, now),
        vec![Effect::Moderate(Moderation::Hide {
            student: second.id,
            hidden: true
        })]
    );
    assert_eq!(
        d.update(Action::ToggleLock, now),
        vec![Effect::Moderate(Moderation::Lock { locked: true })]
    );
    assert!(d.update(Action::RotateCode, now).is_empty());
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Moderate(Moderation::RotateCode)]
    );
    assert!(d.update(Action::RotateBoardKey, now).is_empty());
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Moderate(Moderation::RotateBoardKey)]
    );
    assert_eq!(
        d.update(Action::ClearBanner, now),
        vec![Effect::Moderate(Moderation::ClearBanner)]
    );
    // No message yet: nothing to retract, and it says so.
    assert!(d.update(Action::RetractLatest, now).is_empty());
    assert_eq!(d.overlay, Overlay::None);
}

#[test]
fn a_confirmation_and_a_locked_room() {
    let mut r = room();
    r.locked = true;
    let mut d = dash_with(Some(r));
    d.update(Action::Scroll(1), Instant::now());
    d.update(Action::Remove, Instant::now());
    insta::assert_snapshot!(draw(&d, 100, 24));
}

#[test]
fn a_student_s_details() {
    let mut r = room();
    r.students[2]
        .cells
        .get_mut("02-graceful-stop")
        .unwrap()
        .summary = Some("stops-fast: the container stops within 3 s (got: 10.2 s, SIGKILL)".into());
    r.students[2].doctor_failed = vec!["published port".into()];
    let mut d = dash_with(Some(r));
    d.update(Action::Scroll(2), Instant::now());
    d.update(Action::Detail, Instant::now());
    assert_eq!(d.overlay, Overlay::Student(3));
    insta::assert_snapshot!(draw(&d, 100, 30));
    d.update(Action::Close, Instant::now());
    assert_eq!(d.overlay, Overlay::None);
}

#[test]
fn retracting_a_message_to_one_student_names_them() {
    let now = Instant::now();
    let mut r = room();
    let ana = r.students[0].id;
    r.messages.push(crate::workshop::proto::Message {
        id: 7,
        kind: MessageKind::Message,
        text: "come see me".into(),
        exercise: None,
        at: 0,
        student: Some(ana),
    });
    let mut d = dash_with(Some(r));
    assert!(d.update(Action::RetractLatest, now).is_empty());
    match &d.overlay {
        Overlay::Prompt(p) => match &p.purpose {
            Purpose::Confirm { question, .. } => {
                assert_eq!(question, "Retract \"come see me\" from Ana's app?")
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(
        d.update(Action::Submit, now),
        vec![Effect::Moderate(Moderation::Retract { message: 7 })]
    );
}
