//! Word wrapping with a hanging indent, so a long Expected / Actual / Hint (or a list item of a
//! task) reads as a block under its label instead of running back to the panel's edge. Styles of
//! the pieces (bold, code) are kept.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// `head` then `text` wrapped to `width` columns; every further line starts `indent` columns in.
/// Line breaks in `text` are kept.
pub fn hanging(
    head: Vec<Span<'static>>,
    text: &str,
    style: Style,
    width: u16,
    indent: usize,
) -> Vec<Line<'static>> {
    hanging_spans(
        head,
        vec![Span::styled(text.to_string(), style)],
        width,
        indent,
    )
}

enum Token {
    Word {
        text: String,
        style: Style,
        space_before: bool,
    },
    Newline,
}

fn tokens(body: Vec<Span<'static>>) -> Vec<Token> {
    let mut out = Vec::new();
    let mut pending_space = false;
    for span in body {
        for (li, line) in span.content.split('\n').enumerate() {
            if li > 0 {
                out.push(Token::Newline);
                pending_space = false;
            }
            // Leading spaces of a source line are kept (log output, nested lists).
            let lead = line.len() - line.trim_start_matches(' ').len();
            let at_line_start =
                li > 0 || out.is_empty() || matches!(out.last(), Some(Token::Newline));
            for (wi, word) in line.trim_start_matches(' ').split(' ').enumerate() {
                if word.is_empty() {
                    pending_space = true;
                    continue;
                }
                let mut text = word.to_string();
                if wi == 0 && lead > 0 && at_line_start {
                    text = format!("{}{text}", " ".repeat(lead));
                }
                let space_before =
                    pending_space || wi > 0 || (wi == 0 && lead > 0 && !at_line_start);
                out.push(Token::Word {
                    text,
                    style: span.style,
                    space_before,
                });
                pending_space = false;
            }
        }
    }
    out
}

/// Like [`hanging`], for styled pieces.
pub fn hanging_spans(
    head: Vec<Span<'static>>,
    body: Vec<Span<'static>>,
    width: u16,
    indent: usize,
) -> Vec<Line<'static>> {
    let width = (width as usize).max(indent + 8);
    let room = width - indent;
    let pad = " ".repeat(indent);
    let mut out = Vec::new();
    let mut current = head;
    let mut used: usize = current.iter().map(|s| s.width()).sum();
    let mut line_start = true;
    let mut first_row = true;
    let mut flush = |current: &mut Vec<Span<'static>>, used: &mut usize| {
        out.push(Line::from(std::mem::take(current)));
        current.push(Span::raw(pad.clone()));
        *used = indent;
    };
    for token in tokens(body) {
        let (mut text, style, space_before) = match token {
            Token::Newline => {
                flush(&mut current, &mut used);
                line_start = true;
                first_row = false;
                continue;
            }
            Token::Word {
                text,
                style,
                space_before,
            } => (text, style, space_before),
        };
        loop {
            let w = Span::raw(text.as_str()).width();
            let sep = usize::from(space_before && !line_start);
            if used + sep + w <= width {
                let piece = if sep == 1 {
                    format!(" {text}")
                } else {
                    text.clone()
                };
                current.push(Span::styled(piece, style));
                used += sep + w;
                line_start = false;
                break;
            }
            if !line_start || (first_row && used > indent) {
                flush(&mut current, &mut used);
                line_start = true;
                first_row = false;
                continue;
            }
            // A word longer than the room: split it.
            let cut: String = text.chars().take(room).collect();
            let rest: String = text.chars().skip(room).collect();
            current.push(Span::styled(cut, style));
            flush(&mut current, &mut used);
            first_row = false;
            text = rest;
            if text.is_empty() {
                break;
            }
        }
    }
    out.push(Line::from(current));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn continuation_lines_hang_under_the_text() {
        let lines = hanging(
            vec![Span::raw("  Hint: ")],
            "run the container with the volume mounted\nthen remove it",
            Style::new(),
            24,
            8,
        );
        assert_eq!(
            text(&lines),
            vec![
                "  Hint: run the",
                "        container with",
                "        the volume",
                "        mounted",
                "        then remove it",
            ]
        );
    }

    #[test]
    fn long_words_are_split() {
        let lines = hanging(
            vec![Span::raw("> ")],
            "abcdefghijklmnopqrstuvwxyz",
            Style::new(),
            12,
            2,
        );
        assert_eq!(
            text(&lines),
            vec!["> abcdefghij", "  klmnopqrst", "  uvwxyz"]
        );
    }

    #[test]
    fn styled_pieces_keep_their_spacing() {
        let body = vec![
            Span::raw("Run "),
            Span::raw("dojo-notes"),
            Span::raw(", then"),
            Span::raw(" go"),
        ];
        let lines = hanging_spans(vec![], body, 40, 0);
        assert_eq!(text(&lines), vec!["Run dojo-notes, then go"]);
        let logs = hanging(vec![], "Step 1/2\n  ---> abc", Style::new(), 40, 0);
        assert_eq!(text(&logs), vec!["Step 1/2", "  ---> abc"]);
    }
}
