//! The summary: shown when a chapter or the whole course is complete (and on `g`): each
//! chapter's exercises with status, time spent, hints used and attempts.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::progress::Status;
use crate::tui::app::{App, SummaryKind};

pub fn render(f: &mut Frame, area: Rect, app: &App, kind: SummaryKind) {
    let t = &app.theme;
    let heading = match kind {
        SummaryKind::Course => "You completed the whole course. Congratulations!".to_string(),
        SummaryKind::Chapter(c) => format!("Chapter {c} complete!"),
        SummaryKind::Progress => "Your progress".to_string(),
    };
    let mut lines = vec![Line::from(Span::styled(heading, t.ok())), Line::from("")];
    let (mut secs, mut hints, mut passed, mut total) = (0u64, 0u32, 0usize, 0usize);
    let mut chapter = None;
    for e in &app.exercises {
        if let SummaryKind::Chapter(c) = kind {
            if e.chapter != c {
                continue;
            }
        }
        if chapter != Some(e.chapter) {
            chapter = Some(e.chapter);
            lines.push(Line::from(Span::styled(
                format!("Chapter {}", e.chapter),
                t.label(),
            )));
        }
        let p = app
            .progress
            .exercises
            .get(&e.id)
            .cloned()
            .unwrap_or_default();
        total += 1;
        secs += p.time_spent_s;
        hints += p.hints_used;
        let (mark, style) = match p.status {
            Status::Passed => {
                passed += 1;
                ("✓", t.ok())
            }
            Status::Failing => ("✗", t.fail()),
            Status::NotStarted => ("·", t.dim()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::raw(format!("{:<22}", e.id)),
            Span::styled(
                format!(
                    "{:>7}  {} hint{}  checked {}×",
                    duration(p.time_spent_s),
                    p.hints_used,
                    if p.hints_used == 1 { "" } else { "s" },
                    p.attempts,
                ),
                t.dim(),
            ),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!(
            "{passed} of {total} passed · {} spent · {hints} hint{} used",
            duration(secs),
            if hints == 1 { "" } else { "s" }
        ),
        t.bold(),
    )));
    let r = super::popup(f, area, 62, lines.len() as u16 + 2);
    let block = super::panel(app, Span::styled(" Summary ", t.bold()), true)
        .title_bottom(Line::from(Span::styled(" any key closes ", t.dim())).right_aligned());
    f.render_widget(Paragraph::new(lines).block(block), r);
}

/// `42 s`, `12 min`, `1 h 05`.
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ => format!("{} h {:02}", secs / 3600, (secs % 3600) / 60),
    }
}
