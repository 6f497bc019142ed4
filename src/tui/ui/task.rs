//! The task panel: the selected exercise's README, scrollable when it has the focus.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::markdown;
use crate::tui::app::{App, Focus};

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let Some(e) = app.current() else {
        f.render_widget(
            Paragraph::new("No exercises in this build.").block(super::panel(app, " Task ", false)),
            area,
        );
        return;
    };
    let title = Line::from(vec![
        Span::raw(" "),
        Span::styled(e.id.clone(), t.bold()),
        Span::raw(" · "),
        Span::raw(e.title.clone()),
        Span::raw(" "),
    ]);
    let mode = match e.mode {
        checker::spec::Mode::Build => "build",
        checker::spec::Mode::Live => "live",
        checker::spec::Mode::Scenario => "scenario",
    };
    let about = Line::from(Span::styled(
        format!(" chapter {} · {} min · {mode} ", e.chapter, e.minutes),
        t.dim(),
    ))
    .right_aligned();
    let block = super::panel(app, title, app.focus == Focus::Task).title_bottom(about);
    let mut lines = markdown::lines(&e.task, t, area.width.saturating_sub(2));
    // The README's own heading repeats the title in the frame.
    if lines.first().is_some_and(|l| l.to_string() == e.title) {
        lines.remove(0);
        while lines.first().is_some_and(|l| l.width() == 0) {
            lines.remove(0);
        }
    }
    let body = Paragraph::new(lines)
        .scroll((app.task_scroll, 0))
        .block(block);
    f.render_widget(body, area);
}
