//! The bottom line: the latest note (an action's outcome, the server's refusal), else the keys.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::workshop::dash::state::{Dash, Level, Overlay};
use crate::workshop::dash::text;

const KEYS: &[(&str, &str)] = &[
    ("u", "unlock"),
    ("d", "lock"),
    ("p", "break"),
    ("b", "message"),
    ("h", "hint"),
    ("?", "help"),
    ("q", "quit"),
];

pub fn render(f: &mut Frame, area: Rect, dash: &Dash) {
    let t = &dash.theme;
    let line = match (&dash.note, &dash.overlay) {
        (_, Overlay::Help | Overlay::Student(_)) => Line::from(vec![
            Span::raw(" "),
            Span::styled("any key", t.key()),
            Span::raw(" closes"),
        ]),
        (Some((level, note)), _) => {
            let style = match level {
                Level::Info => t.bold(),
                Level::Good => t.ok(),
                Level::Warn => t.warn(),
            };
            Line::from(Span::styled(format!(" {}", text::clean(note)), style))
        }
        (None, Overlay::Prompt(_)) => Line::from(vec![
            Span::raw(" "),
            Span::styled("Enter", t.key()),
            Span::raw(" send · "),
            Span::styled("Esc", t.key()),
            Span::raw(" cancel"),
        ]),
        (None, Overlay::None) => {
            let mut spans = vec![Span::raw(" ")];
            for (i, (k, what)) in KEYS.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" · ", t.dim()));
                }
                spans.push(Span::styled(*k, t.key()));
                spans.push(Span::raw(format!(" {what}")));
            }
            Line::from(spans)
        }
    };
    f.render_widget(Paragraph::new(line), area);
}
