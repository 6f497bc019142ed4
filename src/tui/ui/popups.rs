//! Overlays over the main screen: the hints revealed so far, and the reference solution.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::wrap;
use crate::term::popup::popup;
use crate::tui::app::App;

pub fn hints(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let Some(e) = app.current() else { return };
    let used = app.hints_used(&e.id).min(e.hints.len());
    let width = 70.min(area.width);
    let inner = width.saturating_sub(2);
    let mut lines = Vec::new();
    for (i, h) in e.hints.iter().take(used).enumerate() {
        if i > 0 {
            lines.push(Line::from(""));
        }
        let head = vec![Span::styled(format!("{}. ", i + 1), t.label())];
        lines.extend(wrap::hanging_spans(
            head,
            super::markdown::inline(h, t),
            inner,
            3,
        ));
    }
    if used == e.hints.len() {
        lines.push(Line::from(""));
        let last = format!("That was the last hint. The book explains it: {}", e.book);
        lines.extend(wrap::hanging(vec![], &last, t.dim(), inner, 0));
    }
    let r = popup(f, area, width, lines.len() as u16 + 2);
    let title = format!(" Hints for {} · {used} of {} ", e.id, e.hints.len());
    let block = super::panel(app, Span::styled(title, t.bold()), true);
    f.render_widget(Paragraph::new(lines).block(block), r);
}

pub fn solution(f: &mut Frame, area: Rect, app: &App, scroll: u16) {
    let t = &app.theme;
    let Some(e) = app.current() else { return };
    let mut lines = Vec::new();
    for (path, text) in &e.solution {
        lines.push(Line::from(Span::styled(format!("── {path}"), t.label())));
        lines.extend(
            text.lines()
                .map(|l| Line::from(Span::styled(l.to_string(), t.code()))),
        );
        lines.push(Line::from(""));
    }
    if e.solution.is_empty() {
        lines.push(Line::from("This exercise ships no reference solution."));
    }
    let r = popup(
        f,
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let block = super::panel(
        app,
        Span::styled(format!(" Reference solution · {} ", e.id), t.bold()),
        true,
    );
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(block),
        r,
    );
}
