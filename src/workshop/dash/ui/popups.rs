//! Windows over the dashboard: the help, and the one-line text input for a message or a hint.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::term::popup::popup;
use crate::workshop::dash::state::{Dash, Prompt, Purpose};
use crate::workshop::dash::text;

const KEYS: &[(&str, &str)] = &[
    ("u", "unlock the next chapter"),
    ("U", "open every chapter"),
    ("d", "lock the last open chapter again"),
    ("p P", "start / end a break; a break of N minutes"),
    ("b", "message to the whole room"),
    ("h", "hint for one exercise"),
    ("t T", "message / hint to the selected student only"),
    ("Enter", "the selected student's details"),
    ("x r m", "remove / rename / merge the selected student"),
    ("H L", "hide student on the board / lock the room"),
    ("C K", "new join code / new board key (closes boards)"),
    ("R c", "retract latest message / clear board banner"),
    ("↑↓ PgUp PgDn", "scroll the students"),
    ("←→", "select an exercise column"),
    ("? q Esc", "this help / quit"),
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
    let r = popup(f, area, 66, lines.len() as u16 + 6);
    let block = super::panel(dash, Span::styled(" Help ", t.bold()))
        .border_style(t.bold())
        .title_bottom(Line::from(Span::styled(" any key closes ", t.dim())).right_aligned());
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        r,
    );
}

/// One student: when they joined and were last heard from, their setup, and per exercise the
/// attempts, the failing check and the latest failure's summary.
pub fn student(f: &mut Frame, area: Rect, dash: &Dash, id: i64) {
    let t = &dash.theme;
    let Some(room) = &dash.room else { return };
    let Some(s) = room.students.iter().find(|s| s.id == id) else {
        return;
    };
    let ago = |at: i64| {
        let secs = (room.now - at).max(0);
        match secs {
            0..=119 => format!("{secs} s ago"),
            120..=7199 => format!("{} min ago", secs / 60),
            _ => format!("{} h ago", secs / 3600),
        }
    };
    let yes_no = |v: Option<bool>| match v {
        Some(true) => "ok",
        Some(false) => "FAILED",
        None => "not run",
    };
    let mut lines = vec![
        Line::from(format!(
            " joined {} · last report {}{}",
            ago(s.joined_at),
            s.last_seen.map_or("none".to_string(), ago),
            if s.hidden {
                " · hidden from the board"
            } else {
                ""
            }
        )),
        Line::from(format!(
            " doctor {}{} · prepare {}",
            yes_no(s.doctor_ok),
            if s.doctor_failed.is_empty() {
                String::new()
            } else {
                format!(" ({})", text::clean(&s.doctor_failed.join(", ")))
            },
            yes_no(s.prepare_ok)
        )),
    ];
    if let Some(why) = &s.stuck {
        lines.push(Line::from(Span::styled(
            format!(" stuck: {}", text::clean(why)),
            t.fail(),
        )));
    }
    lines.push(Line::from(""));
    let order = |ex: &str| room.exercises.iter().position(|e| e.id == ex);
    let mut cells: Vec<_> = s.cells.iter().collect();
    cells.sort_by_key(|(ex, _)| order(ex));
    if cells.is_empty() {
        lines.push(Line::from(Span::styled(" no check reported yet", t.dim())));
    }
    for (ex, c) in cells {
        let state = if c.passed {
            Span::styled("✓ passed", t.ok())
        } else if let Some(check) = &c.failing_check {
            Span::styled(
                format!("✗ {} ×{}", text::clean(check), c.fail_streak),
                t.fail(),
            )
        } else {
            Span::raw("~ tried")
        };
        lines.push(Line::from(vec![
            Span::raw(format!(" {:<22} ", text::fit(&text::clean(ex), 22))),
            state,
            Span::styled(
                format!(
                    " · {} attempt{}, {} hint{}",
                    c.attempts,
                    if c.attempts == 1 { "" } else { "s" },
                    c.hints_used,
                    if c.hints_used == 1 { "" } else { "s" }
                ),
                t.dim(),
            ),
        ]));
        if let Some(summary) = &c.summary {
            lines.push(Line::from(Span::styled(
                format!("   {}", text::fit(&text::clean(summary), 70)),
                t.dim(),
            )));
        }
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = popup(f, area, 78, h);
    let title = format!(" {} ", text::fit(&text::clean(&s.name), 40));
    let block = super::panel(dash, Span::styled(title, t.bold()))
        .border_style(t.bold())
        .title_bottom(Line::from(Span::styled(" any key closes ", t.dim())).right_aligned());
    f.render_widget(Paragraph::new(lines).block(block), r);
}

pub fn prompt(f: &mut Frame, area: Rect, dash: &Dash, p: &Prompt) {
    let t = &dash.theme;
    let title = match &p.purpose {
        Purpose::Broadcast => " Message to the whole room ".to_string(),
        Purpose::BreakMinutes => " Break: how many minutes? ".to_string(),
        Purpose::HintExercise => " Hint: which exercise? ".to_string(),
        Purpose::HintText { exercise } => format!(" Hint for {} ", text::clean(exercise)),
        Purpose::Tell {
            name,
            exercise: None,
            ..
        } => format!(" Message to {} only ", text::clean(name)),
        Purpose::Tell {
            name,
            exercise: Some(ex),
            ..
        } => format!(
            " Hint for {} to {} only ",
            text::clean(ex),
            text::clean(name)
        ),
        Purpose::Rename { name, .. } => format!(" New name for {} ", text::clean(name)),
        Purpose::MergeInto { name, .. } => {
            format!(" Merge {} into (name or number) ", text::clean(name))
        }
        Purpose::Confirm { question, .. } => format!(" {} ", text::clean(question)),
    };
    let r = popup(f, area, area.width.saturating_sub(4).min(76), 3);
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
