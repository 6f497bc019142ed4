//! The help overlay: every key, and how live re-checks work.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::term::popup::popup;
use crate::tui::app::App;

const KEYS: &[(&str, &str)] = &[
    ("c, Enter", "check the exercise now"),
    ("h", "next hint (they are remembered)"),
    ("s", "the reference solution, once you pass"),
    ("r", "reset the exercise folder (yours is backed up)"),
    ("b", "the book section that explains it"),
    ("↑↓ j k n p", "previous / next exercise"),
    ("Tab", "move the focus: task or checks"),
    ("PgUp PgDn", "scroll the focused panel"),
    ("l", "layer explorer: any local image"),
    ("g", "your progress: time, hints, attempts"),
    ("a", "re-checks: auto → polling → manual"),
    ("?", "this help"),
    ("q, Ctrl-C", "quit (Esc closes a window)"),
];

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<11}"), t.key()),
                Span::raw(what.to_string()),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(
        " Live re-checks: saving a file in the exercise folder checks it again; for live \
         exercises, so does Docker reporting a change to the containers, volumes or networks \
         the task names. Run docker in another terminal and watch.",
    ));
    let r = popup(f, area, 64, lines.len() as u16 + 5);
    let block = super::panel(app, Span::styled(" Help ", t.bold()), true)
        .title_bottom(Line::from(Span::styled(" any key closes ", t.dim())).right_aligned());
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        r,
    );
}
