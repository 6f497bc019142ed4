//! Snapshots of the main screens at 80×24 (`TestBackend` + insta), from fixture state: the
//! exercise list before any check, checks running, a failure with its hint, an environment error,
//! the help, the chapter summary, the layer explorer and its image picker. Review changes with
//! `cargo insta review` (or accept with `INSTA_UPDATE=always`).

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::action::Action;
use super::app::{
    App, ExerciseInfo, LastRun, Outcome, Overlay, Running, Screen, SummaryKind, Trigger,
};
use super::layers_view::{ImageRow, LayersView};
use crate::layers::archive::{Added, Kind, LayerListing, Removed, Saved};
use crate::layers::model::{self, HistoryRow};
use crate::progress::{Progress, Status};
use crate::term::theme::Theme;
use checker::spec::{Live, Mode};
use checker::{CheckResult, Report};

pub fn exercise(id: &str, chapter: u32, mode: Mode, checks: &[&str]) -> ExerciseInfo {
    ExerciseInfo {
        id: id.into(),
        title: format!("Title of {id}"),
        chapter,
        minutes: 10,
        mode,
        task: format!("# Title of {id}\n\nRun a container named **`dojo-notes`** from `busybox:1.36.1`, with the\nnamed volume `dojo-notes-data` mounted at `/notes`, then remove it."),
        checks: checks.iter().map(|c| c.to_string()).collect(),
        hints: vec![
            "A named volume lives outside any container.".into(),
            "`-v NAME:/path` mounts the named volume NAME at /path.".into(),
        ],
        book: "ch05-volumes.md#named-volume".into(),
        solution: vec![("solve.sh".into(), "docker run --name dojo-notes -v dojo-notes-data:/notes busybox:1.36.1 sh -c 'echo hi > /notes/todo.txt'\ndocker rm dojo-notes\n".into())],
        live: Live {
            containers: vec!["dojo-notes".into()],
            volumes: vec!["dojo-notes-data".into()],
            ..Live::default()
        },
    }
}

/// Six exercises over four chapters, the fifth selected; the first two passed.
pub fn fixture() -> App {
    let exercises = vec![
        exercise("01-writable-layer", 1, Mode::Live, &["a runs"]),
        exercise("03-first-dockerfile", 3, Mode::Build, &["builds"]),
        exercise("03-cache-order", 3, Mode::Build, &["builds"]),
        exercise("04-publish-port", 4, Mode::Live, &["answers"]),
        exercise(
            "05-named-volume",
            5,
            Mode::Live,
            &[
                "The named volume dojo-notes-data still holds todo.txt",
                "The container dojo-notes has been removed",
            ],
        ),
        exercise("07-multi-stage", 7, Mode::Build, &["builds"]),
    ];
    let mut progress = Progress::default();
    for (id, status) in [
        ("01-writable-layer", Status::Passed),
        ("03-first-dockerfile", Status::Passed),
        ("03-cache-order", Status::Failing),
    ] {
        progress.exercises.entry(id.into()).or_default().status = status;
    }
    let mut app = App::new(exercises, progress, 4, Instant::now());
    app.theme = Theme { color: false };
    app.docker = super::app::DockerStatus::Connected("Docker 20.10.24".into());
    app
}

pub fn check(title: &str, passed: bool) -> CheckResult {
    CheckResult {
        id: title.split(' ').nth(1).unwrap_or("x").into(),
        title: title.into(),
        passed,
        expected: "no container named dojo-notes".into(),
        actual: "dojo-notes still exists (exited)".into(),
        hint: "The point is that the data outlives its container: remove it with `docker rm dojo-notes`.".into(),
        book: "ch05-volumes.md#named-volume".into(),
        duration_ms: 5,
        skipped: false,
        unsupported: false,
        error: false,
    }
}

fn failing_report() -> Report {
    Report {
        exercise: "05-named-volume".into(),
        passed: false,
        duration_ms: 840,
        checks: vec![
            check(
                "The named volume dojo-notes-data still holds todo.txt",
                true,
            ),
            check("The container dojo-notes has been removed", false),
        ],
    }
}

fn draw(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    t.draw(|f| super::ui::render(f, app)).expect("draw");
    t.backend().to_string()
}

#[test]
fn list_before_any_check() {
    insta::assert_snapshot!(draw(&fixture()));
}

#[test]
fn checks_running() {
    let mut app = fixture();
    app.running = Some(Running {
        id: "05-named-volume".into(),
        trigger: Trigger::Daemon("container dojo-notes: destroy".into()),
        started: Instant::now(),
        elapsed: Duration::from_millis(1300),
        done: Vec::new(),
    });
    app.spinner = 3;
    insta::assert_snapshot!(draw(&app));
}

/// Checks that have their result show it while the rest still run.
#[test]
fn checks_running_turn_green_one_by_one() {
    let mut app = fixture();
    let report = failing_report();
    app.running = Some(Running {
        id: "05-named-volume".into(),
        trigger: Trigger::Key,
        started: Instant::now(),
        elapsed: Duration::from_millis(400),
        done: report.checks[..2].to_vec(),
    });
    app.spinner = 3;
    insta::assert_snapshot!(draw(&app));
}

#[test]
fn failure_with_hint() {
    let mut app = fixture();
    app.last.insert(
        "05-named-volume".into(),
        LastRun {
            outcome: Outcome::Report(failing_report()),
            trigger: Trigger::FileSaved("Dockerfile".into()),
        },
    );
    app.progress
        .exercises
        .entry("05-named-volume".into())
        .or_default()
        .hints_used = 1;
    app.progress
        .exercises
        .entry("05-named-volume".into())
        .or_default()
        .status = Status::Failing;
    insta::assert_snapshot!(draw(&app));
    // The hints window after `h`.
    app.update(Action::NextHint, Instant::now());
    assert_eq!(app.overlay, Overlay::Hints);
    insta::assert_snapshot!("hints_window", draw(&app));
}

#[test]
fn daemon_unreachable_is_an_environment_problem() {
    let mut app = fixture();
    app.docker = super::app::DockerStatus::Unreachable("cannot reach Docker".into());
    app.last.insert(
        "05-named-volume".into(),
        LastRun {
            outcome: Outcome::Env("cannot reach Docker. Tried:\n  - unix:///nonexistent.sock (DOCKER_HOST): No such file or directory".into()),
            trigger: Trigger::Key,
        },
    );
    insta::assert_snapshot!(draw(&app));
}

#[test]
fn help() {
    let mut app = fixture();
    app.overlay = Overlay::Help;
    insta::assert_snapshot!(draw(&app));
}

#[test]
fn chapter_summary() {
    let mut app = fixture();
    app.progress
        .exercises
        .entry("03-cache-order".into())
        .or_default()
        .status = Status::Passed;
    let p = app
        .progress
        .exercises
        .entry("03-first-dockerfile".into())
        .or_default();
    p.time_spent_s = 754;
    p.hints_used = 2;
    p.attempts = 3;
    app.overlay = Overlay::Summary(SummaryKind::Chapter(3));
    insta::assert_snapshot!(draw(&app));
}

#[test]
fn course_summary_by_chapter_when_it_does_not_fit() {
    let mut app = fixture();
    for ch in 8..14 {
        for n in 0..3 {
            let id = format!("{ch:02}-extra-{n}");
            app.exercises
                .push(exercise(&id, ch, Mode::Build, &["builds"]));
        }
    }
    let p = app
        .progress
        .exercises
        .entry("03-cache-order".into())
        .or_default();
    p.attempts = 4;
    p.time_spent_s = 3 * 3600 + 5 * 60;
    app.overlay = Overlay::Summary(SummaryKind::Progress);
    insta::assert_snapshot!(draw(&app));
}

/// An image whose second step writes 10 MB that the fourth deletes.
pub fn explored() -> model::ImageLayers {
    let file = |p: &str, s: u64| Added {
        path: p.into(),
        size: s,
        kind: Kind::File,
    };
    let mut saved = Saved::default();
    let layers = [
        LayerListing {
            added: vec![file("/bin/busybox", 1_980_000), file("/etc/passwd", 120)],
            ..Default::default()
        },
        LayerListing {
            added: vec![file("/big.bin", 10_485_760), file("/keep.txt", 5)],
            ..Default::default()
        },
        LayerListing {
            added: vec![file("/keep.txt", 8)],
            removed: vec![Removed {
                path: "/big.bin".into(),
                opaque: false,
            }],
        },
    ];
    let paths: Vec<String> = (0..3).map(|i| format!("l{i}/layer.tar")).collect();
    for (p, l) in paths.iter().zip(layers) {
        saved.layers.insert(p.clone(), Ok(l));
    }
    saved.manifest = serde_json::from_value(
        serde_json::json!([{"Config": "c.json", "RepoTags": ["demo:1"], "Layers": paths}]),
    )
    .expect("manifest");
    saved.json.insert(
        "c.json".into(),
        br#"{"history":[{"created_by":"/bin/sh -c #(nop) ADD file:1 in / "},{"created_by":"/bin/sh -c dd if=/dev/zero of=/big.bin bs=1M count=10"},{"created_by":"/bin/sh -c #(nop)  ENV STAGE=cleanup","empty_layer":true},{"created_by":"/bin/sh -c rm /big.bin && echo changed > /keep.txt"},{"created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}]}"#.to_vec(),
    );
    let sizes = [1_980_120u64, 10_485_765, 0, 8, 0];
    let api: Vec<HistoryRow> = sizes
        .iter()
        .map(|s| HistoryRow {
            created_by: String::new(),
            size: *s,
            comment: String::new(),
        })
        .collect();
    model::build("demo:1", "sha256:51d7801039db", &saved, &api)
}

#[test]
fn layer_explorer() {
    let mut app = fixture();
    let mut view = LayersView::Loading {
        image: "demo:1".into(),
    };
    view.loaded("demo:1", Ok(Box::new(explored())));
    app.screen = Screen::Layers(view);
    insta::assert_snapshot!(draw(&app));
}

#[test]
fn layer_explorer_picker() {
    let mut app = fixture();
    let mut view = LayersView::picker(Some("demo:1".into()));
    view.set_images(Ok(vec![
        ImageRow {
            reference: "gcc:12.2.0-bookworm".into(),
            size: 325_000_000,
        },
        ImageRow {
            reference: "demo:1".into(),
            size: 12_465_893,
        },
        ImageRow {
            reference: "busybox:1.36.1".into(),
            size: 1_980_120,
        },
    ]));
    app.screen = Screen::Layers(view);
    insta::assert_snapshot!(draw(&app));
}

#[test]
fn colour_only_without_no_color() {
    use ratatui::style::Color;
    let mut app = fixture();
    let render = |app: &App| {
        let mut t = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
        t.draw(|f| super::ui::render(f, app)).expect("draw");
        t.backend().buffer().clone()
    };
    // The ✓ of 01-writable-layer in the list.
    let find = |buf: &ratatui::buffer::Buffer| {
        (0..24u16)
            .find_map(|y| {
                (0..26u16)
                    .find(|x| buf[(*x, y)].symbol() == "✓")
                    .map(|x| buf[(x, y)].fg)
            })
            .expect("a ✓ in the list")
    };
    assert_eq!(find(&render(&app)), Color::Reset);
    app.theme = Theme { color: true };
    assert_eq!(find(&render(&app)), Color::Green);
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = fixture();
    app.last.insert(
        "05-named-volume".into(),
        LastRun {
            outcome: Outcome::Report(failing_report()),
            trigger: Trigger::Key,
        },
    );
    let overlays = [
        Overlay::None,
        Overlay::Help,
        Overlay::Hints,
        Overlay::Solution { scroll: 3 },
        Overlay::Summary(SummaryKind::Course),
        Overlay::ConfirmReset,
    ];
    for (w, h) in [(1, 1), (20, 5), (30, 8), (200, 60)] {
        for o in overlays {
            app.overlay = o;
            let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
            t.draw(|f| super::ui::render(f, &app)).expect("draw");
        }
        let mut view = LayersView::Loading {
            image: "demo:1".into(),
        };
        view.loaded("demo:1", Ok(Box::new(explored())));
        app.screen = Screen::Layers(view);
        app.overlay = Overlay::None;
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        t.draw(|f| super::ui::render(f, &app)).expect("draw");
        app.screen = Screen::Main;
    }
}

/// The fixture in a workshop: chapters up to 4 open, connected, no messages.
fn in_workshop() -> App {
    use crate::workshop::client::{Link, RoomStatus};
    use crate::workshop::proto::StudentView;
    let mut app = fixture();
    app.selected = 3;
    app.workshop = Some(RoomStatus {
        link: Link::Connected,
        queued: 0,
        view: Some(StudentView {
            unlocked_through: Some(4),
            on_break: false,
            messages: vec![],
            break_left_s: None,
        }),
    });
    app
}

fn message(
    id: i64,
    kind: crate::workshop::proto::MessageKind,
    text: &str,
    exercise: Option<&str>,
) -> crate::workshop::proto::Message {
    crate::workshop::proto::Message {
        id,
        kind,
        text: text.into(),
        exercise: exercise.map(str::to_string),
        student: None,
        at: 1_700_000_000 + id,
    }
}

#[test]
fn workshop_locked_chapters() {
    let mut app = in_workshop();
    insta::assert_snapshot!(draw(&app));
    // Selecting a locked exercise says so instead of checking it.
    let fx = app.update(Action::Select(1), Instant::now());
    assert!(!fx
        .iter()
        .any(|e| matches!(e, super::app::Effect::Check { .. })));
    insta::assert_snapshot!("workshop_locked_exercise_selected", draw(&app));
}

#[test]
fn workshop_broadcast_message() {
    use crate::workshop::proto::MessageKind;
    let mut app = in_workshop();
    if let Some(v) = app.workshop.as_mut().and_then(|w| w.view.as_mut()) {
        v.messages = vec![
            message(1, MessageKind::Message, "Welcome!", None),
            message(
                2,
                MessageKind::Message,
                "Chapter 4 is open: publish a port and check it in your browser.",
                None,
            ),
        ];
    }
    insta::assert_snapshot!(draw(&app));
    // A hint about the exercise on screen is addressed to the learner.
    if let Some(v) = app.workshop.as_mut().and_then(|w| w.view.as_mut()) {
        v.messages.push(message(
            3,
            MessageKind::Hint,
            "-p HOST:CONTAINER, host port first",
            Some("04-publish-port"),
        ));
    }
    insta::assert_snapshot!("workshop_hint_for_the_current_exercise", draw(&app));
}

#[test]
fn workshop_on_break() {
    let mut app = in_workshop();
    if let Some(v) = app.workshop.as_mut().and_then(|w| w.view.as_mut()) {
        v.on_break = true;
        v.unlocked_through = None;
    }
    insta::assert_snapshot!(draw(&app));
    // A break of so many minutes: what is left, by the server's clock.
    if let Some(v) = app.workshop.as_mut().and_then(|w| w.view.as_mut()) {
        v.break_left_s = Some(301);
    }
    let screen = draw(&app);
    assert!(screen.contains("on break · 6 min left"), "{screen}");
}

#[test]
fn workshop_unreachable() {
    use crate::workshop::client::Link;
    let mut app = in_workshop();
    if let Some(w) = app.workshop.as_mut() {
        w.link = Link::Unreachable("Connection refused (os error 111)".into());
        w.queued = 3;
    }
    insta::assert_snapshot!(draw(&app));
}

/// A pass remembered from an earlier session, failing now: the list shows ✗ like the panel.
#[test]
fn list_mark_follows_the_latest_verdict() {
    let mut app = fixture();
    app.progress
        .exercises
        .entry("05-named-volume".into())
        .or_default()
        .status = Status::Passed;
    app.progress
        .exercises
        .entry("04-publish-port".into())
        .or_default()
        .status = Status::Passed;
    app.last.insert(
        "05-named-volume".into(),
        LastRun {
            outcome: Outcome::Report(Report {
                exercise: "05-named-volume".into(),
                passed: false,
                duration_ms: 10,
                checks: vec![check("a check", true), check("b check", false)],
            }),
            trigger: Trigger::Key,
        },
    );
    let screen = draw(&app);
    assert!(screen.contains("✗ 05-named-volume"), "{screen}");
    assert!(screen.contains("✓ 04-publish-port"), "{screen}");
    assert!(screen.contains("1 of 2 passed"), "{screen}");
    // The other, unchecked this session: "not checked yet", with what it was.
    app.selected = 3;
    let screen = draw(&app);
    assert!(
        screen.contains("Not checked yet in this session"),
        "{screen}"
    );
}

/// A scenario asked to be checked before its setup: the panel says to run it, nothing else.
#[test]
fn a_scenario_before_its_setup_says_run_setup_first() {
    let mut app = fixture();
    app.last.insert(
        "05-named-volume".into(),
        LastRun {
            outcome: Outcome::NeedsSetup,
            trigger: Trigger::Key,
        },
    );
    let screen = draw(&app);
    assert!(screen.contains("Checks · not run"), "{screen}");
    assert!(screen.contains("`dockdojo setup"), "{screen}");
    assert!(!screen.contains("Docker setup"), "{screen}");
}
