//! The students × exercises grid: one row per student, one column per exercise of the open
//! chapters, two characters per cell (✓ passed, ✗ failing with its streak, ~ tried, · not
//! started). The selected column is named in the title; rows and columns scroll.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::term::theme::Theme;
use crate::workshop::dash::state::{Dash, Link};
use crate::workshop::dash::text;
use crate::workshop::proto::{Cell, ExerciseHead, StudentRow};

/// Columns per exercise: a two-character cell and a space.
const CELL: usize = 3;

pub fn render(f: &mut Frame, area: Rect, dash: &Dash) {
    let t = &dash.theme;
    let cols = dash.columns();
    let mut title = vec![Span::styled(" Room ", t.bold())];
    if let (Some(room), Some(e)) = (&dash.room, cols.get(dash.col)) {
        let (mut passed, mut working, mut fresh) = (0, 0, 0);
        for s in &room.students {
            match s.cells.get(&e.id) {
                Some(c) if c.passed => passed += 1,
                Some(c) if c.attempts > 0 => working += 1,
                _ => fresh += 1,
            }
        }
        title.push(Span::raw(format!(
            "#{} {} (ch {}): {passed} passed, {working} working, {fresh} new ",
            dash.col + 1,
            text::clean(&e.id),
            e.chapter
        )));
    }
    let legend = Line::from(Span::styled(
        " ✓ passed ✗n failing n× ~ tried · new ! stuck · self-reported ",
        t.dim(),
    ))
    .right_aligned();
    let block = super::panel(dash, Line::from(title)).title_bottom(legend);
    let inner = block.inner(area);
    f.render_widget(block, area);

    let Some(room) = &dash.room else {
        let msg = match &dash.link {
            Link::Down(e) => format!(
                "Cannot reach the server at {}: {}.\n\nIs `dockdojo workshop serve` running? Trying again every second.",
                dash.url,
                text::clean(e)
            ),
            _ => format!("Connecting to {}…", dash.url),
        };
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: false }), inner);
        return;
    };
    if room.students.is_empty() {
        let code = dash.join_code.as_deref().unwrap_or("CODE");
        let msg = format!(
            "No students yet. Each student runs, in their workspace:\n\n  dockdojo workshop join {} {code} --name NAME",
            dash.url
        );
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: false }), inner);
        return;
    }

    let width = inner.width as usize;
    let longest = room
        .students
        .iter()
        .map(|s| text::width(&text::clean(&s.name)))
        .max()
        .unwrap_or(0);
    let name_w = longest.clamp(8, (width / 4).clamp(8, 24));
    let visible = (width.saturating_sub(name_w + 2) / CELL).max(1);
    let first = (dash.col + 1).saturating_sub(visible);

    let mut head = vec![
        Span::styled(format!(" {}", text::pad("student", name_w)), t.dim()),
        // More columns to the left / right of those shown.
        Span::styled(if first > 0 { "‹" } else { " " }, t.dim()),
    ];
    for (i, _) in cols.iter().enumerate().skip(first).take(visible) {
        let style = if i == dash.col { t.selected() } else { t.dim() };
        head.push(Span::styled(format!("{:02}", i + 1), style));
        head.push(Span::raw(" "));
    }
    if first + visible < cols.len() {
        head.push(Span::styled("›", t.dim()));
    }
    let mut lines = vec![Line::from(head)];

    let rows = (inner.height as usize).saturating_sub(1);
    let start = dash
        .row
        .min(room.students.len().saturating_sub(rows.max(1)));
    for (i, s) in room.students.iter().enumerate().skip(start).take(rows) {
        let mut line = row(s, &cols, first, visible, name_w, t);
        // The selected student (what x, r, m and H act on).
        if i == dash.row && s.stuck.is_none() {
            if let Some(first) = line.spans.first_mut() {
                *first = Span::styled("›", t.key());
            }
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
    if room.students.len() > rows && rows > 0 {
        let end = (start + rows).min(room.students.len());
        let pos = Line::from(Span::styled(
            format!(" rows {}–{end} of {} ", start + 1, room.students.len()),
            t.dim(),
        ));
        let at = Rect {
            x: area.x + 1,
            y: area.y + area.height.saturating_sub(1),
            width: (pos.width() as u16).min(area.width.saturating_sub(2)),
            height: 1,
        };
        f.render_widget(Paragraph::new(pos), at);
    }
}

fn row(
    s: &StudentRow,
    cols: &[&ExerciseHead],
    first: usize,
    visible: usize,
    name_w: usize,
    t: &Theme,
) -> Line<'static> {
    let mut spans = if s.stuck.is_some() {
        vec![Span::styled("!", t.fail())]
    } else {
        vec![Span::raw(" ")]
    };
    spans.push(Span::raw(text::pad(&s.name, name_w)));
    spans.push(Span::raw(" "));
    for e in cols.iter().skip(first).take(visible) {
        let (mark, style) = cell(s.cells.get(&e.id), t);
        spans.push(Span::styled(mark, style));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

/// A cell's two characters and style.
fn cell(c: Option<&Cell>, t: &Theme) -> (String, Style) {
    match c {
        None => ("· ".into(), t.dim()),
        Some(c) if c.attempts == 0 => ("· ".into(), t.dim()),
        Some(c) if c.passed => ("✓ ".into(), t.ok()),
        Some(c) if c.failing_check.is_some() && c.fail_streak >= 2 => {
            (format!("✗{}", c.fail_streak.min(9)), t.fail())
        }
        Some(c) if c.failing_check.is_some() => ("✗ ".into(), t.fail()),
        Some(_) => ("~ ".into(), t.warn()),
    }
}
