//! The bottom line: a question being asked, else the latest message, else the keys that work
//! on this screen.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::app::{App, Level, Overlay, Screen};
use crate::tui::layers_view::LayersView;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = if app.overlay == Overlay::ConfirmReset {
        let id = app.current().map(|e| e.id.as_str()).unwrap_or("");
        Line::from(vec![
            Span::styled(format!(" Reset {id} to its starting files? "), t.warn()),
            Span::styled("y", t.key()),
            Span::raw(" yes, any other key no (yours is kept in .dockdojo/backup/)"),
        ])
    } else if let Some((level, text)) = &app.message {
        let style = match level {
            Level::Info => t.bold(),
            Level::Good => t.ok(),
            Level::Warn => t.warn(),
        };
        Line::from(Span::styled(format!(" {text}"), style))
    } else {
        keys(app)
    };
    f.render_widget(Paragraph::new(line), area);
}

fn keys(app: &App) -> Line<'static> {
    let list: &[(&str, &str)] = match (&app.screen, app.overlay) {
        (_, Overlay::Help | Overlay::Summary(_)) => &[("any key", "closes")],
        (_, Overlay::Hints) => &[("h", "next hint"), ("any other key", "closes")],
        (_, Overlay::Solution { .. }) => &[("↑↓ PgUp PgDn", "scroll"), ("Esc", "close")],
        (Screen::Layers(LayersView::Loaded { .. }), _) => &[
            ("↑↓", "layer"),
            ("PgUp/PgDn", "files"),
            ("i", "another image"),
            ("Esc", "back"),
            ("q", "quit"),
        ],
        (Screen::Layers(_), _) => &[
            ("↑↓", "image"),
            ("Enter", "explore"),
            ("Esc", "back"),
            ("q", "quit"),
        ],
        (Screen::Main, _) => &[
            ("c", "check"),
            ("h", "hint"),
            ("s", "solution"),
            ("r", "reset"),
            ("b", "book"),
            ("l", "layers"),
            ("?", "help"),
            ("q", "quit"),
        ],
    };
    let t = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    for (i, (k, what)) in list.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", t.dim()));
        }
        spans.push(Span::styled(k.to_string(), t.key()));
        spans.push(Span::raw(format!(" {what}")));
    }
    Line::from(spans)
}
