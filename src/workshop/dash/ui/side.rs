//! The room's trouble: the checks failed by most students right now, who is stuck and why,
//! and whose setup (`doctor`, `prepare`) is broken.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::workshop::dash::state::{Dash, Tally};
use crate::workshop::dash::text;

/// "What is the room failing most right now": exercise, check, how many students.
pub fn failing(f: &mut Frame, area: Rect, dash: &Dash) {
    let t = &dash.theme;
    let block = super::panel(dash, Span::styled(" Failing most ", t.bold()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let list = dash.room.as_ref().map(|r| &r.failing[..]).unwrap_or(&[]);
    let mut lines = Vec::new();
    if list.is_empty() {
        lines.push(Line::from(Span::styled("nothing failing", t.dim())));
    }
    for fc in list.iter().take(inner.height as usize / 2) {
        let n = format!("{:>3} ", fc.students);
        lines.push(Line::from(vec![
            Span::styled(n.clone(), t.fail()),
            Span::styled(text::fit(&fc.exercise, w.saturating_sub(n.len())), t.bold()),
        ]));
        lines.push(Line::from(Span::raw(format!(
            "    {}",
            text::fit(&fc.check, w.saturating_sub(4))
        ))));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Stuck students, most stuck first, each with the server's reason.
pub fn stuck(f: &mut Frame, area: Rect, dash: &Dash) {
    let t = &dash.theme;
    let stuck = dash.stuck();
    let block = super::panel(
        dash,
        Span::styled(format!(" Stuck ({}) ", stuck.len()), t.bold()),
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let mut lines = Vec::new();
    if stuck.is_empty() {
        lines.push(Line::from(Span::styled("nobody is stuck", t.dim())));
    }
    let fits = inner.height as usize / 2;
    for s in stuck.iter().take(fits) {
        lines.push(Line::from(Span::styled(text::fit(&s.name, w), t.fail())));
        let why = s.stuck.as_deref().unwrap_or_default();
        lines.push(Line::from(Span::raw(format!(
            "  {}",
            text::fit(why, w.saturating_sub(2))
        ))));
    }
    if stuck.len() > fits && fits > 0 {
        // Say how many more did not fit, on the last line.
        lines.truncate((fits - 1) * 2 + 1);
        lines.push(Line::from(Span::styled(
            format!("  …and {} more", stuck.len() - fits + 1),
            t.dim(),
        )));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Setup health: doctor / prepare results over the room, and who is broken.
pub fn setup(f: &mut Frame, area: Rect, dash: &Dash) {
    let t = &dash.theme;
    let block = super::panel(dash, Span::styled(" Setup ", t.bold()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let students = dash.room.as_ref().map(|r| &r.students[..]).unwrap_or(&[]);
    let tally = |name: &str, v: Tally| {
        Line::from(vec![
            Span::raw(format!("{name:<8}")),
            Span::styled(format!("✓{} ", v.ok), t.ok()),
            Span::styled(format!("✗{} ", v.broken), t.fail()),
            Span::styled(format!("?{}", v.unknown), t.dim()),
        ])
    };
    let mut lines = vec![
        tally("doctor", Tally::of(students.iter().map(|s| s.doctor_ok))),
        tally("prepare", Tally::of(students.iter().map(|s| s.prepare_ok))),
    ];
    let broken: Vec<_> = students
        .iter()
        .filter(|s| s.doctor_ok == Some(false) || s.prepare_ok == Some(false))
        .collect();
    let room = (inner.height as usize).saturating_sub(lines.len());
    for (i, s) in broken.iter().enumerate() {
        if i + 1 == room && broken.len() > room {
            lines.push(Line::from(Span::styled(
                format!("…and {} more", broken.len() - i),
                t.dim(),
            )));
            break;
        }
        let what = match (s.doctor_ok, s.prepare_ok) {
            (Some(false), Some(false)) => "doctor, prepare",
            (Some(false), _) => "doctor",
            _ => "prepare",
        };
        let tail = format!(": {what}");
        lines.push(Line::from(vec![
            Span::styled(text::fit(&s.name, w.saturating_sub(tail.len())), t.warn()),
            Span::raw(tail),
        ]));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
