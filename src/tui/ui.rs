//! Rendering: the screen as a function of the [`App`] state, one file per region. Nothing here
//! changes state or does I/O, so every screen is tested with `TestBackend` snapshots.

mod checks;
mod footer;
mod header;
mod help;
mod layers;
mod list;
mod markdown;
mod popups;
mod room;
mod summary;
mod task;
mod wrap;

use ratatui::layout::{Constraint, Layout};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType};
use ratatui::Frame;

use super::app::{App, Focus, Overlay, Screen};

pub fn render(f: &mut Frame, app: &App) {
    // The workshop line takes a row only when the workspace joined a workshop.
    let room_rows = u16::from(app.workshop.is_some());
    let [header, room_line, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(room_rows),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    header::render(f, header, app);
    if let Some(r) = &app.workshop {
        room::render(f, room_line, app, r);
    }
    match &app.screen {
        Screen::Main => {
            let list_width = if body.width >= 110 { 34 } else { 26 };
            let [left, right] =
                Layout::horizontal([Constraint::Length(list_width), Constraint::Fill(1)])
                    .areas(body);
            list::render(f, left, app);
            let task_share = match app.focus {
                Focus::Task => 65,
                Focus::Checks => 35,
            };
            let [task_area, checks_area] =
                Layout::vertical([Constraint::Percentage(task_share), Constraint::Fill(1)])
                    .areas(right);
            task::render(f, task_area, app);
            checks::render(f, checks_area, app);
        }
        Screen::Layers(view) => layers::render(f, body, app, view),
    }
    footer::render(f, footer, app);
    match app.overlay {
        Overlay::None | Overlay::ConfirmReset => {}
        Overlay::Help => help::render(f, body, app),
        Overlay::Hints => popups::hints(f, body, app),
        Overlay::Solution { scroll } => popups::solution(f, body, app, scroll),
        Overlay::Summary(kind) => summary::render(f, body, app, kind),
    }
}

/// A panel's frame; the focused one stands out.
fn panel<'a>(app: &App, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    let style = if focused {
        app.theme.focus_border()
    } else {
        app.theme.border()
    };
    Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(style)
        .title(title)
}
