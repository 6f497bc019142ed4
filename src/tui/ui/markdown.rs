//! Just enough Markdown for a task: headings, **bold**, `code`, fenced blocks. The text stays
//! as written (a learner may copy commands from it); only emphasis is turned into style.

use ratatui::text::{Line, Span};

use super::wrap;
use crate::term::theme::Theme;

pub fn lines(text: &str, t: &Theme, width: u16) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut in_code = false;
    // The paragraph or list item being gathered: source lines joined, as Markdown reads them.
    let mut block: Option<String> = None;
    let flush = |block: &mut Option<String>, out: &mut Vec<Line<'static>>| {
        if let Some(b) = block.take() {
            let marker = list_marker(&b);
            let body = inline(&b[marker..], t);
            let head = vec![Span::raw(b[..marker].to_string())];
            out.extend(wrap::hanging_spans(head, body, width, marker));
        }
    };
    for raw in text.lines() {
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") {
            flush(&mut block, &mut out);
            in_code = !in_code;
            continue;
        }
        if in_code || (block.is_none() && raw.starts_with("    ")) {
            out.push(Line::from(Span::styled(format!("  {raw}"), t.code())));
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut block, &mut out);
            out.push(Line::from(""));
            continue;
        }
        if let Some(h) = raw.strip_prefix('#') {
            flush(&mut block, &mut out);
            let h = h.trim_start_matches('#').trim();
            out.push(Line::from(Span::styled(h.to_string(), t.label())));
            continue;
        }
        if trimmed.starts_with('|') {
            flush(&mut block, &mut out);
            out.push(Line::from(inline(raw, t)));
            continue;
        }
        if list_marker(raw) > 0 {
            flush(&mut block, &mut out);
            block = Some(raw.to_string());
            continue;
        }
        match &mut block {
            Some(b) => {
                b.push(' ');
                b.push_str(trimmed);
            }
            None => block = Some(raw.to_string()),
        }
    }
    flush(&mut block, &mut out);
    // No blank line at the very top (the title is in the frame).
    while out.first().is_some_and(|l| l.width() == 0) {
        out.remove(0);
    }
    out
}

/// The width of a list item's marker (`- `, `* `, `12. `), 0 for other lines.
fn list_marker(line: &str) -> usize {
    let lead = line.len() - line.trim_start().len();
    let rest = &line[lead..];
    if rest.starts_with("- ") || rest.starts_with("* ") {
        return lead + 2;
    }
    let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && rest[digits..].starts_with(". ") {
        return lead + digits + 2;
    }
    0
}

/// `code` and **bold** spans within a line.
pub fn inline(s: &str, t: &Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let code = rest.find('`');
        let bold = rest.find("**");
        match (code, bold) {
            (Some(c), b) if b.is_none_or(|b| c < b) => {
                let Some(end) = rest[c + 1..].find('`') else {
                    spans.push(Span::raw(rest.to_string()));
                    break;
                };
                push_raw(&mut spans, &rest[..c]);
                spans.push(Span::styled(rest[c + 1..c + 1 + end].to_string(), t.code()));
                rest = &rest[c + 2 + end..];
            }
            (_, Some(b)) => {
                let Some(end) = rest[b + 2..].find("**") else {
                    spans.push(Span::raw(rest.to_string()));
                    break;
                };
                push_raw(&mut spans, &rest[..b]);
                for inner in inline(&rest[b + 2..b + 2 + end], t) {
                    spans.push(inner.patch_style(t.bold()));
                }
                rest = &rest[b + 4 + end..];
            }
            _ => {
                spans.push(Span::raw(rest.to_string()));
                break;
            }
        }
    }
    spans
}

fn push_raw(spans: &mut Vec<Span<'static>>, s: &str) {
    if !s.is_empty() {
        spans.push(Span::raw(s.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn emphasis_becomes_style_and_text_stays() {
        let t = Theme { color: false };
        let ls = lines(
            "# Title\n\nRun **`dojo-notes`** with\n`-v x:/y`.\n```\ndocker ps\n```\nA `lone tick\n\n1. first item\n   goes on",
            &t,
            40,
        );
        assert_eq!(text(&ls[0]), "Title");
        assert_eq!(text(&ls[2]), "Run dojo-notes with -v x:/y.");
        assert_eq!(text(&ls[3]), "  docker ps");
        assert_eq!(text(&ls[4]), "A `lone tick");
        assert_eq!(text(&ls[6]), "1. first item goes on");
        let narrow = lines("- a list item that wraps", &t, 14);
        assert_eq!(text(&narrow[0]), "- a list item");
        assert_eq!(text(&narrow[1]), "  that wraps");
    }
}
