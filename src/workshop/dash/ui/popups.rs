//! Windows over the dashboard: the help, and the one-line text input for a message or a hint.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::workshop::dash::state::{Dash, Prompt, Purpose};
use crate::workshop::dash::text;

const KEYS: &[(&str, &str)] = &[
    ("u", "unlock the next chapter"),
    ("U", "open every chapter"),
    ("d", "lock the last open chapter again"),
    ("p", "start / end a break"),
    ("b", "message to the whole room"),
    ("h", "hint for one exercise"),
    ("x r m", "remove / rename / merge the selected student"),
    ("H L", "hide student on the board / lock the room"),
    ("C R c", "new join code / retract message / clear banner"),
    ("↑↓ PgUp PgDn", "scroll the students"),
    ("←→", "select an exercise column"),
    ("?", "this help"),
    ("q, Esc", "quit"),
];

pub fn help(f: &mut Frame, area: Rect, dash: &Dash) {
    let t = &dash.theme;
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<13}"), t.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(
        " Cells: ✓ passed, ✗ failing (a digit: failed that many times in a row on the same \
         check), ~ tried, · not started; ! marks a stuck student. Results are computed on the \
         students' machines: formative, not proof.",
    ));
    let r = super::popup(f, area, 66, lines.len() as u16 + 6);
    let block = super::panel(dash, Span::styled(" Help ", t.bold()))
        .border_style(t.bold())
        .title_bottom(Line::from(Span::styled(" any key closes ", t.dim())).right_aligned());
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        r,
    );
}

pub fn prompt(f: &mut Frame, area: Rect, dash: &Dash, p: &Prompt) {
    let t = &dash.theme;
    let title = match &p.purpose {
        Purpose::Broadcast => " Message to the whole room ".to_string(),
        Purpose::HintExercise => " Hint: which exercise? ".to_string(),
        Purpose::HintText { exercise } => format!(" Hint for {} ", text::clean(exercise)),
        Purpose::Rename { name, .. } => format!(" New name for {} ", text::clean(name)),
        Purpose::MergeInto { name, .. } => {
            format!(" Merge {} into (name or number) ", text::clean(name))
        }
        Purpose::Confirm { question, .. } => format!(" {} ", text::clean(question)),
    };
    let r = super::popup(f, area, area.width.saturating_sub(4).min(76), 3);
    let block = super::panel(dash, Span::styled(title, t.bold()))
        .border_style(t.bold())
        .title_bottom(
            Line::from(Span::styled(
                if matches!(p.purpose, Purpose::Confirm { .. }) {
                    " Enter yes · Esc no "
                } else {
                    " Enter send · Esc cancel "
                },
                t.dim(),
            ))
            .right_aligned(),
        );
    let inner = block.inner(r);
    // Show the end of a long text, where the typing happens.
    let room = (inner.width as usize).saturating_sub(2);
    let shown = text::clean(&p.text);
    let mut tail = String::new();
    for c in shown.chars().rev() {
        let next = format!("{c}{tail}");
        if text::width(&next) > room {
            break;
        }
        tail = next;
    }
    let line = Line::from(vec![
        Span::raw(" "),
        Span::raw(tail),
        Span::styled("▏", t.key()),
    ]);
    f.render_widget(Paragraph::new(line).block(block), r);
}
