//! Rendering: the screen as a function of the [`Dash`] state, one file per region. Nothing here
//! changes state or does I/O, so every screen is tested with `TestBackend` snapshots.
//!
//! Wide terminals (120 columns or more) put the grid on the left and the room's trouble on the
//! right; narrower ones put the trouble under the grid.

mod footer;
mod grid;
mod header;
mod popups;
mod side;

use ratatui::layout::{Constraint, Layout};
use ratatui::text::Line;
use ratatui::widgets::Block;
use ratatui::Frame;

use super::state::{Dash, Overlay};

/// Terminals at least this wide get the side-by-side layout.
const WIDE: u16 = 120;

pub fn render(f: &mut Frame, dash: &Dash) {
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    header::render(f, top, dash);
    let (grid_area, failing, stuck, setup) = if body.width >= WIDE {
        let [grid_area, right] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(48)]).areas(body);
        let [failing, stuck, setup] = Layout::vertical([
            Constraint::Percentage(40),
            Constraint::Fill(1),
            Constraint::Length(8),
        ])
        .areas(right);
        (grid_area, failing, stuck, setup)
    } else {
        let [grid_area, under] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(9)]).areas(body);
        let [failing, stuck, setup] = Layout::horizontal([
            Constraint::Length(24),
            Constraint::Fill(1),
            Constraint::Length(22),
        ])
        .areas(under);
        (grid_area, failing, stuck, setup)
    };
    grid::render(f, grid_area, dash);
    side::failing(f, failing, dash);
    side::stuck(f, stuck, dash);
    side::setup(f, setup, dash);
    footer::render(f, bottom, dash);
    match &dash.overlay {
        Overlay::None => {}
        Overlay::Help => popups::help(f, body, dash),
        Overlay::Prompt(p) => popups::prompt(f, body, dash, p),
        Overlay::Student(id) => popups::student(f, body, dash, *id),
    }
}

/// A panel's frame.
fn panel<'a>(dash: &Dash, title: impl Into<Line<'a>>) -> Block<'a> {
    Block::bordered()
        .border_style(dash.theme.border())
        .title(title)
}
