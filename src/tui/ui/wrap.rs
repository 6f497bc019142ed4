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
    /// Pieces with no space between them (`busybox:1.36.1` in code, then `,`) wrap as one.
    Word {
        pieces: Vec<(String, Style)>,
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
                match out.last_mut() {
                    Some(Token::Word { pieces, .. }) if !space_before => {
                        pieces.push((text, span.style))
                    }
                    _ => out.push(Token::Word {
                        pieces: vec![(text, span.style)],
                        space_before,
                    }),
                }
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
        let (mut pieces, space_before) = match token {
            Token::Newline => {
                flush(&mut current, &mut used);
                line_start = true;
                first_row = false;
                continue;
            }
            Token::Word {
                pieces,
                space_before,
            } => (pieces, space_before),
        };
        loop {
            let w: usize = pieces
                .iter()
                .map(|(p, _)| Span::raw(p.as_str()).width())
                .sum();
            let sep = usize::from(space_before && !line_start);
            if used + sep + w <= width {
                if sep == 1 {
                    current.push(Span::raw(" "));
                }
                current.extend(pieces.drain(..).map(|(p, st)| Span::styled(p, st)));
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
            // A word longer than the room: split it, piece by piece.
            let mut room_left = room;
            let mut rest = Vec::new();
            for (p, st) in pieces.drain(..) {
                let n = p.chars().count();
                if room_left == 0 {
                    rest.push((p, st));
                } else if n <= room_left {
                    room_left -= n;
                    current.push(Span::styled(p, st));
                } else {
                    current.push(Span::styled(
                        p.chars().take(room_left).collect::<String>(),
                        st,
                    ));
                    rest.push((p.chars().skip(room_left).collect(), st));
                    room_left = 0;
                }
            }
            flush(&mut current, &mut used);
            first_row = false;
            pieces = rest;
            if pieces.is_empty() {
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
        // A word and the comma after it move together.
        let glued = hanging_spans(
            vec![],
            vec![
                Span::raw("from "),
                Span::raw("busybox:1.36.1"),
                Span::raw(", with"),
            ],
            19,
            0,
        );
        assert_eq!(text(&glued), vec!["from", "busybox:1.36.1,", "with"]);
    }
}
