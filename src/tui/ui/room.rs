//! The workshop line under the header, shown only when the workspace joined a workshop: the
//! connection ("connected", "unreachable", how many reports wait), "on break", and the newest
//! instructor message or hint (a hint about the exercise on screen stands out).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::app::App;
use crate::workshop::client::{message_line, Link, RoomStatus};
use crate::workshop::proto::MessageKind;

pub fn render(f: &mut Frame, area: Rect, app: &App, room: &RoomStatus) {
    let t = &app.theme;
    let sep = || Span::styled(" · ", t.dim());
    let mut spans = vec![Span::raw(" ")];
    let queued = match room.queued {
        0 => String::new(),
        n => format!(" · {n} queued"),
    };
    spans.push(match &room.link {
        Link::Connected => Span::styled(format!("workshop: connected{queued}"), t.ok()),
        Link::Unreachable(_) => Span::styled(format!("workshop: unreachable{queued}"), t.warn()),
        Link::Unknown => Span::styled(
            "workshop: not recognised (run `dockdojo workshop join` again)",
            t.fail(),
        ),
    });
    if let Some(v) = &room.view {
        if v.on_break {
            spans.push(sep());
            let label = match v.break_left_s {
                Some(s) if s > 0 => format!("on break · {} min left", s.div_ceil(60)),
                _ => "on break".to_string(),
            };
            spans.push(Span::styled(label, t.label()));
        }
        if let Some(m) = v.messages.last() {
            let current = app.current().map(|e| e.id.as_str());
            let for_here = m.kind == MessageKind::Hint
                && m.exercise.is_some()
                && m.exercise.as_deref() == current;
            spans.push(sep());
            if for_here {
                spans.push(Span::styled(format!("Hint for you: {}", m.text), t.label()));
            } else {
                spans.push(Span::styled(message_line(m), t.bold()));
            }
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
