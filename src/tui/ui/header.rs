//! The top line: the course progress, the Docker connection, and how re-checks happen.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::app::{App, DockerStatus, WatchMode};

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let passed = app.passed_count();
    let total = app.exercises.len();
    let docker = match &app.docker {
        DockerStatus::Connecting => Span::styled("Docker: connecting…", t.dim()),
        DockerStatus::Connected(v) => Span::styled(v.clone(), t.ok()),
        DockerStatus::Unreachable(_) => Span::styled("Docker unreachable", t.fail()),
    };
    let live = match (&app.events_note, app.watch) {
        (_, WatchMode::Manual) => Span::styled("re-check: manual (c)", t.warn()),
        (Some(_), _) => Span::styled("re-check: files only", t.warn()),
        (None, WatchMode::Poll) => Span::styled("re-check: files (polled) + events", t.dim()),
        (None, WatchMode::Auto) => Span::styled("re-check: files + events", t.dim()),
    };
    let sep = || Span::styled(" · ", t.dim());
    let line = Line::from(vec![
        Span::styled(" dockdojo ", t.bold()),
        sep(),
        Span::styled(
            format!("{passed}/{total} passed"),
            if passed == total && total > 0 {
                t.ok()
            } else {
                t.bold()
            },
        ),
        sep(),
        docker,
        sep(),
        live,
    ]);
    f.render_widget(Paragraph::new(line), area);
}
