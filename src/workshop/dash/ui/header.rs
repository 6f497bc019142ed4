//! The top line: which chapters are open, a break, how many students are connected, and
//! whether the server answers (with the age of what is shown when it does not).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::workshop::dash::state::{Dash, Link};
use crate::workshop::dash::text;

pub fn render(f: &mut Frame, area: Rect, dash: &Dash) {
    let t = &dash.theme;
    let sep = || Span::styled(" · ", t.dim());
    let mut spans = vec![Span::styled(" dockdojo room", t.bold()), sep()];
    // The connection first: it must never be cut off a narrow terminal.
    let age = dash.age().map(|d| d.as_secs());
    spans.push(match (&dash.link, age) {
        (Link::Connecting, _) => Span::styled(format!("connecting to {}…", dash.url), t.dim()),
        (Link::Up, Some(s)) if s >= 3 => Span::styled(format!("updated {s}s ago"), t.warn()),
        (Link::Up, _) => Span::styled("live", t.ok()),
        (Link::Down(_), Some(s)) => Span::styled(
            format!("server unreachable (last update {s}s ago)"),
            t.fail(),
        ),
        (Link::Down(e), None) => {
            Span::styled(format!("server unreachable: {}", text::clean(e)), t.fail())
        }
    });
    if let Some(room) = &dash.room {
        if room.on_break {
            spans.push(sep());
            let label = match room.break_until {
                Some(until) => {
                    let left = (until - room.now).max(0);
                    format!(" ON BREAK · {} min left ", (left + 59) / 60)
                }
                None => " ON BREAK ".to_string(),
            };
            spans.push(Span::styled(label, t.selected()));
        }
        if room.locked {
            spans.push(sep());
            spans.push(Span::styled(" LOCKED ", t.selected()));
        }
        spans.push(sep());
        spans.push(match room.unlocked_through {
            None => Span::raw("all chapters open"),
            Some(0) => Span::raw(format!("chapter 0 of {} open", dash.last_chapter())),
            Some(n) => Span::raw(format!("chapters 0–{n} of {} open", dash.last_chapter())),
        });
        spans.push(sep());
        spans.push(Span::raw(format!(
            "{} student{}, {} connected",
            room.students.len(),
            if room.students.len() == 1 { "" } else { "s" },
            dash.connected()
        )));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
