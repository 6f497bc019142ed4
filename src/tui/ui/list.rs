//! The exercise list, grouped by chapter, each with its status (this session's latest verdict,
//! else the remembered one): · not started, ✗ failing, ✓ passed, a spinner while its checks run; in a workshop, 🔒 and dimmed for a chapter the
//! instructor has not opened yet.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState};
use ratatui::Frame;

use crate::progress::Status;
use crate::tui::app::App;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let mut items = Vec::new();
    let mut selected_row = 0;
    let mut chapter = None;
    for (i, e) in app.exercises.iter().enumerate() {
        let locked = app.locked(e.chapter);
        if chapter != Some(e.chapter) {
            chapter = Some(e.chapter);
            let head = if locked {
                Line::from(vec![
                    Span::styled(format!("Chapter {}", e.chapter), t.dim()),
                    Span::styled(" · locked", t.dim()),
                ])
            } else {
                Line::from(Span::styled(format!("Chapter {}", e.chapter), t.label()))
            };
            items.push(ListItem::new(head));
        }
        let (mark, style) = if app.is_running(&e.id) {
            (app.spinner_char().to_string(), t.accent())
        } else if locked {
            // The lock is two columns wide: it takes the space after the mark.
            ("🔒".to_string(), t.dim())
        } else {
            match app.mark(&e.id) {
                Status::Passed => ("✓".to_string(), t.ok()),
                Status::Failing => ("✗".to_string(), t.fail()),
                Status::NotStarted => ("·".to_string(), t.dim()),
            }
        };
        if i == app.selected {
            selected_row = items.len();
        }
        let wide = locked && !app.is_running(&e.id);
        items.push(ListItem::new(Line::from(vec![
            Span::raw(" "),
            Span::styled(mark, style),
            Span::raw(if wide { "" } else { " " }),
            if locked {
                Span::styled(e.id.clone(), t.dim())
            } else {
                Span::raw(e.id.clone())
            },
        ])));
    }
    let list = List::new(items)
        .block(super::panel(app, " Exercises ", false))
        .highlight_style(t.selected());
    let mut state = ListState::default().with_selected(Some(selected_row));
    f.render_stateful_widget(list, area, &mut state);
}
