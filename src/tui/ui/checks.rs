//! The checks panel: the current exercise's checks as they run (a spinner each), then ✓ / ✗ with
//! Expected / Actual, the hint and the book section for every failure; an environment problem
//! (no daemon) is told apart from a wrong answer.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use checker::report::Status as CheckStatus;
use checker::{CheckResult, Report};

use super::wrap;
use crate::progress::Status;
use crate::term::theme::Theme;
use crate::tui::app::{App, ExerciseInfo, Focus, LastRun, Outcome, WatchMode};

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let Some(e) = app.current() else { return };
    let w = area.width.saturating_sub(2);
    let (title, lines) = if let Some(r) = app.running.as_ref().filter(|r| r.id == e.id) {
        let title = format!(
            " Checks · {} checking… {:.1} s ",
            app.spinner_char(),
            r.elapsed.as_secs_f64()
        );
        let mut lines = wrap::hanging(
            vec![],
            &format!("Checking {}", r.trigger.describe()),
            t.dim(),
            w,
            0,
        );
        // Checks with a result show it at once; the others spin until theirs comes.
        for (i, c) in e.checks.iter().enumerate() {
            let head = match r.done.get(i) {
                Some(done) => vec![mark(done, t)],
                None => vec![Span::styled(format!("{} ", app.spinner_char()), t.accent())],
            };
            lines.extend(wrap::hanging(head, c, Style::new(), w, 2));
        }
        (title, lines)
    } else if let Some(last) = app.last.get(&e.id) {
        last_run(e, last, t, w)
    } else {
        not_checked(app, e, w)
    };
    let mut lines = lines;
    hints(app, e, &mut lines, w);
    let footer = match (app.watch, e.is_live()) {
        (WatchMode::Manual, _) => " manual: press c ",
        (_, true) => " auto re-check: files + Docker ",
        (_, false) => " auto re-check: saved files ",
    };
    let block = super::panel(
        app,
        Span::styled(title, t.bold()),
        app.focus == Focus::Checks,
    )
    .title_bottom(Line::from(Span::styled(footer, t.dim())).right_aligned());
    let body = Paragraph::new(lines)
        .scroll((app.checks_scroll, 0))
        .block(block);
    f.render_widget(body, area);
}

fn last_run(e: &ExerciseInfo, last: &LastRun, t: &Theme, w: u16) -> (String, Vec<Line<'static>>) {
    match &last.outcome {
        Outcome::Report(r) => (summary(r), report_lines(r, &last.trigger.describe(), t, w)),
        Outcome::NeedsSetup => {
            let lines = wrap::hanging(
                vec![Span::styled("! ", t.warn())],
                &crate::cmd::check::needs_setup(&e.id),
                t.warn(),
                w,
                2,
            );
            (" Checks · not run ".to_string(), lines)
        }
        Outcome::Env(why) => {
            let head = vec![Span::styled("! ", t.warn())];
            let mut lines = wrap::hanging(
                head,
                "Could not check: this is your Docker setup, not your answer.",
                t.warn(),
                w,
                2,
            );
            lines.extend(wrap::hanging(
                vec![Span::raw("  ")],
                why,
                Style::new(),
                w,
                2,
            ));
            lines.push(Line::from(""));
            let next = format!(
                "Fix it (`dockdojo doctor` helps), then press c. {} checks wait.",
                e.checks.len()
            );
            lines.extend(wrap::hanging(vec![], &next, t.dim(), w, 0));
            (" Checks · not run ".to_string(), lines)
        }
    }
}

fn summary(r: &Report) -> String {
    let passed = r
        .checks
        .iter()
        .filter(|c| c.status() == CheckStatus::Passed)
        .count();
    let mark = if r.passed { "✓" } else { "✗" };
    format!(" Checks · {mark} {passed} of {} passed ", r.checks.len())
}

fn report_lines(r: &Report, trigger: &str, t: &Theme, w: u16) -> Vec<Line<'static>> {
    let about = format!("Checked {trigger} ({:.1} s)", r.duration_ms as f64 / 1000.0);
    let mut lines = wrap::hanging(vec![], &about, t.dim(), w, 0);
    for c in &r.checks {
        lines.extend(wrap::hanging(
            vec![mark(c, t)],
            &c.title,
            Style::new(),
            w,
            2,
        ));
        match c.status() {
            CheckStatus::Passed => continue,
            CheckStatus::Skipped | CheckStatus::Unsupported => {
                lines.extend(wrap::hanging(
                    vec![Span::raw("    ")],
                    &c.actual,
                    t.dim(),
                    w,
                    4,
                ));
                continue;
            }
            CheckStatus::Failed | CheckStatus::Error => {}
        }
        field(&mut lines, "Expected", &c.expected, t.bold(), t, w);
        field(&mut lines, "Actual", &c.actual, t.fail(), t, w);
        field(&mut lines, "Hint", &c.hint, Style::new(), t, w);
        field(
            &mut lines,
            "Book",
            &format!("{}  (b)", c.book),
            t.dim(),
            t,
            w,
        );
    }
    if r.passed {
        lines.push(Line::from(""));
        let done = "All checks pass. s shows the reference solution; n moves on.";
        lines.extend(wrap::hanging(vec![], done, t.ok(), w, 0));
    }
    lines
}

fn mark(c: &CheckResult, t: &Theme) -> Span<'static> {
    let (mark, style) = match c.status() {
        CheckStatus::Passed => ("✓", t.ok()),
        CheckStatus::Unsupported => ("~", t.warn()),
        CheckStatus::Skipped => ("-", t.dim()),
        CheckStatus::Error => ("!", t.warn()),
        CheckStatus::Failed => ("✗", t.fail()),
    };
    Span::styled(format!("{mark} "), style)
}

/// `  Label: text`, wrapped lines indented under the text.
fn field(lines: &mut Vec<Line<'static>>, label: &str, text: &str, style: Style, t: &Theme, w: u16) {
    let head = vec![Span::styled(format!("  {label}: "), t.label())];
    lines.extend(wrap::hanging(head, text, style, w, label.len() + 4));
}

fn not_checked(app: &App, e: &ExerciseInfo, w: u16) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    let about = match app.status(&e.id) {
        Status::NotStarted => {
            "Not checked yet. Press c to check; saving a file here checks it too.".to_string()
        }
        Status::Failing => {
            let first = app
                .progress
                .exercises
                .get(&e.id)
                .and_then(|p| p.last_failure.clone())
                .map(|c| format!(" (first failing check: {c})"))
                .unwrap_or_default();
            format!("Not checked yet in this session: failing last time{first}. Press c to check.")
        }
        Status::Passed => {
            "Not checked yet in this session: passed before. Press c to check.".to_string()
        }
    };
    let mut lines = wrap::hanging(vec![], &about, t.dim(), w, 0);
    for c in &e.checks {
        lines.extend(wrap::hanging(
            vec![Span::styled("· ", t.dim())],
            c,
            Style::new(),
            w,
            2,
        ));
    }
    (" Checks ".to_string(), lines)
}

/// The hints revealed so far, under the checks.
fn hints(app: &App, e: &ExerciseInfo, lines: &mut Vec<Line<'static>>, w: u16) {
    let used = app.hints_used(&e.id).min(e.hints.len());
    if used == 0 {
        return;
    }
    let t = &app.theme;
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!("Hints {used} of {} (h for the next)", e.hints.len()),
        t.label(),
    )));
    for (i, h) in e.hints.iter().take(used).enumerate() {
        lines.extend(wrap::hanging(
            vec![Span::raw(format!("{}. ", i + 1))],
            h,
            Style::new(),
            w,
            3,
        ));
    }
}
