//! The summary: shown when a chapter or the whole course is complete (and on `g`): each
//! exercise with its status, time spent, hints used and checks run; one row per chapter when
//! the whole course does not fit the terminal.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::progress::{ExerciseProgress, Status};
use crate::term::popup::popup;
use crate::term::theme::Theme;
use crate::tui::app::{App, SummaryKind};

/// Totals over some exercises.
#[derive(Default)]
struct Tally {
    secs: u64,
    hints: u32,
    runs: u32,
    passed: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, p: &ExerciseProgress) {
        self.secs += p.time_spent_s;
        self.hints += p.hints_used;
        self.runs += p.attempts;
        self.total += 1;
        self.passed += usize::from(p.status == Status::Passed);
    }
    fn stats(&self) -> String {
        let s = if self.hints == 1 { "" } else { "s" };
        format!(
            "{:>7}  {} hint{s}  checked {}×",
            duration(self.secs),
            self.hints,
            self.runs
        )
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, kind: SummaryKind) {
    let t = &app.theme;
    let heading = match kind {
        SummaryKind::Course => "You completed the whole course. Congratulations!".to_string(),
        SummaryKind::Chapter(c) => format!("Chapter {c} complete!"),
        SummaryKind::Progress => "Your progress".to_string(),
    };
    let shown: Vec<_> = app
        .exercises
        .iter()
        .filter(|e| !matches!(kind, SummaryKind::Chapter(c) if e.chapter != c))
        .map(|e| {
            let p = app
                .progress
                .exercises
                .get(&e.id)
                .cloned()
                .unwrap_or_default();
            (e.chapter, e.id.as_str(), p)
        })
        .collect();
    let mut chapters: Vec<(u32, Tally)> = Vec::new();
    let mut all = Tally::default();
    for (ch, _, p) in &shown {
        all.add(p);
        match chapters.last_mut() {
            Some((c, tally)) if c == ch => tally.add(p),
            _ => {
                let mut tally = Tally::default();
                tally.add(p);
                chapters.push((*ch, tally));
            }
        }
    }
    let mut lines = vec![Line::from(Span::styled(heading, t.ok())), Line::from("")];
    // Heading, blank, rows, blank, total, and the frame.
    let detailed = shown.len() + chapters.len() + 6 <= area.height as usize;
    if detailed {
        let mut chapter = None;
        for (ch, id, p) in &shown {
            if chapter != Some(*ch) {
                chapter = Some(*ch);
                lines.push(Line::from(Span::styled(format!("Chapter {ch}"), t.label())));
            }
            let mut one = Tally::default();
            one.add(p);
            let (mark, style) = mark(p.status, t);
            lines.push(row(mark, style, &format!("{id:<22}"), &one, t));
        }
    } else {
        for (ch, tally) in &chapters {
            let (mark, style) = if tally.passed == tally.total {
                mark(Status::Passed, t)
            } else if tally.runs > 0 {
                ("◐", t.warn())
            } else {
                mark(Status::NotStarted, t)
            };
            let name = format!("Chapter {ch:<3} {}/{} passed", tally.passed, tally.total);
            lines.push(row(mark, style, &format!("{name:<24}"), tally, t));
        }
    }
    lines.push(Line::from(""));
    let s = if all.hints == 1 { "" } else { "s" };
    lines.push(Line::from(Span::styled(
        format!(
            "{} of {} passed · {} spent · {} hint{s} used",
            all.passed,
            all.total,
            duration(all.secs),
            all.hints
        ),
        t.bold(),
    )));
    let r = popup(f, area, 62, lines.len() as u16 + 2);
    let block = super::panel(app, Span::styled(" Summary ", t.bold()), true)
        .title_bottom(Line::from(Span::styled(" any key closes ", t.dim())).right_aligned());
    f.render_widget(Paragraph::new(lines).block(block), r);
}

fn mark(s: Status, t: &Theme) -> (&'static str, Style) {
    match s {
        Status::Passed => ("✓", t.ok()),
        Status::Failing => ("✗", t.fail()),
        Status::NotStarted => ("·", t.dim()),
    }
}

fn row(mark: &str, style: Style, name: &str, tally: &Tally, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {mark} "), style),
        Span::raw(name.to_string()),
        Span::styled(tally.stats(), t.dim()),
    ])
}

/// `42 s`, `12 min`, `1 h 05`.
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ => format!("{} h {:02}", secs / 3600, (secs % 3600) / 60),
    }
}
