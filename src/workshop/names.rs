//! Display names as the room shows them: every kind of space becomes one plain space (runs
//! collapsed, ends trimmed), characters that display as nothing are removed (zero-width
//! characters, joiners, variation selectors, Hangul fillers, the braille blank, tags), control
//! and bidirectional-override characters are refused, and what is left must show at least one
//! character. [`fold`] is the form two names are compared in (case and spacing ignored), so
//! "Ada" and "ada\u{200B} " are the same name in a room.

use crate::workshop::proto::MAX_NAME_CHARS;

/// Characters that take no room on screen (Unicode's Default_Ignorable_Code_Point, plus the
/// fillers and blanks that render as empty boxes of space).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Bidirectional-text overrides and isolates: they make a name display as another.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// The name to store, or why it cannot be one.
pub fn normalize(raw: &str) -> Result<String, String> {
    if raw
        .chars()
        .any(|c| (c.is_control() && !c.is_whitespace()) || is_bidi_control(c))
    {
        return Err(
            "the name contains control characters: use letters, digits, spaces and punctuation"
                .into(),
        );
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !is_invisible(c) {
            out.push(c);
        }
    }
    let name = out.trim_end().to_string();
    let n = name.chars().count();
    if n == 0 {
        return Err(
            "the name is empty (or only invisible characters): pick the name the room will see"
                .into(),
        );
    }
    // Combining marks alone draw nothing readable.
    if name
        .chars()
        .all(|c| matches!(c, '\u{0300}'..='\u{036F}' | '\u{20D0}'..='\u{20FF}' | ' '))
    {
        return Err("the name shows no letter: pick the name the room will see".into());
    }
    if n > MAX_NAME_CHARS {
        return Err(format!(
            "the name is {n} characters long; the limit is {MAX_NAME_CHARS}"
        ));
    }
    Ok(name)
}

/// The comparison form of a normalised name: lowercase, without spaces.
pub fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `name`, or `name (2)`, `name (3)`… : the first that `taken` says is free (shortened to fit
/// [`MAX_NAME_CHARS`]).
pub fn unique(name: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(&fold(name)) {
        return name.to_string();
    }
    for n in 2u32.. {
        let suffix = format!(" ({n})");
        let room = MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
        let base: String = name.chars().take(room).collect();
        let candidate = format!("{}{suffix}", base.trim_end());
        if !taken(&fold(&candidate)) {
            return candidate;
        }
    }
    unreachable!("some suffix is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_names_are_refused_and_spaces_collapse() {
        for bad in [
            "",
            "   ",
            "\u{200B}\u{200B}",
            "\u{3164}",
            "\u{115F}\u{1160}",
            "\u{FFA0} \u{2800}",
            "\u{FEFF}\u{2060}",
            "\u{0301}\u{0301}",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
        assert!(normalize("a\u{202E}b").is_err());
        assert!(normalize("a\u{0007}b").is_err());
        assert_eq!(
            normalize("  Ada\u{00A0}\u{3000} Lovelace\t").unwrap(),
            "Ada Lovelace"
        );
        assert_eq!(normalize("A\u{200B}da").unwrap(), "Ada");
        assert_eq!(normalize("Zoë").unwrap(), "Zoë");
        assert_eq!(normalize("李小龙").unwrap(), "李小龙");
        assert!(normalize(&"x".repeat(41)).is_err());
    }

    #[test]
    fn names_are_unique_in_the_room() {
        let taken = ["ada", "ada(2)"];
        let is_taken = |f: &str| taken.contains(&f);
        assert_eq!(unique("Bob", is_taken), "Bob");
        assert_eq!(unique("ADA", is_taken), "ADA (3)");
        let long = "y".repeat(40);
        let t = fold(&long);
        let u = unique(&long, |f| f == t);
        assert_eq!(u.chars().count(), 40);
        assert!(u.ends_with(" (2)"));
    }
}
