//! Student-provided text made safe for a terminal cell grid: control and bidirectional-override
//! characters removed (a name must not move the cursor, ring the bell or reverse the line), then
//! cut to a display width with ratatui's own grapheme and width handling, so a 40-character
//! CJK name (80 columns) or a combining sequence never breaks the layout.

use ratatui::style::Style;
use ratatui::text::Span;

/// `s` without control characters (C0, C1, DEL) and invisible formatting characters that can
/// reorder or hide text (bidi embeddings/overrides/isolates, zero-width marks, BOM). Newlines
/// and tabs become spaces.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}' => None,
            c => Some(c),
        })
        .collect()
}

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` cleaned and cut to at most `max` columns; a cut ends with `…`.
pub fn fit(s: &str, max: usize) -> String {
    let s = clean(s);
    if width(&s) <= max {
        return s;
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in Span::raw(s.as_str()).styled_graphemes(Style::default()) {
        let w = width(g.symbol);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push_str(g.symbol);
    }
    out.push('…');
    out
}

/// [`fit`], then padded with spaces to exactly `cols` columns.
pub fn pad(s: &str, cols: usize) -> String {
    let mut out = fit(s, cols);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_overrides_are_removed() {
        assert_eq!(clean("a\x1b[2Jb\x07c"), "a[2Jbc");
        assert_eq!(clean("evil\u{202E}txt.exe"), "eviltxt.exe");
        assert_eq!(clean("two\nlines\u{85}"), "two lines");
        assert_eq!(
            clean("<img src=x onerror=alert(1)>"),
            "<img src=x onerror=alert(1)>"
        );
    }

    #[test]
    fn wide_names_are_cut_by_columns() {
        let cjk = "漢".repeat(40);
        assert_eq!(width(&cjk), 80);
        let cut = fit(&cjk, 15);
        assert!(width(&cut) <= 15, "{cut}");
        assert!(cut.ends_with('…'));
        assert_eq!(width(&pad(&cjk, 15)), 15);
        assert_eq!(pad("Ann", 6), "Ann   ");
        assert_eq!(fit("Ann", 3), "Ann");
        assert_eq!(fit("Anna", 3), "An…");
        assert_eq!(fit("Anna", 0), "");
        // A combining accent stays with its letter.
        assert_eq!(fit("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
    }
}
