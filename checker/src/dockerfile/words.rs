//! Words as the builder reads them: `ENV` pairs, split words, variables expanded with the
//! builder's escape character.

/// The pairs of an `ENV` line: `ENV A=1 B="two words"`, or the old `ENV NAME the rest`.
pub(super) fn env_pairs(line: &str, esc: char) -> Vec<(String, String)> {
    let words = split_words(line, esc);
    match words.first() {
        Some(first) if !first.contains('=') => {
            let rest = line.trim_start()[first.len()..].trim().to_string();
            vec![(first.clone(), rest)]
        }
        _ => words
            .into_iter()
            .filter_map(|w| {
                let (k, v) = w.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect(),
    }
}

/// Split on whitespace outside quotes and escapes, keeping quotes and escapes for `expand`.
pub(super) fn split_words(s: &str, esc: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            Some('\'') => cur.push(c),
            _ if c == esc => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Expand a word as the builder does: `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
/// `${NAME:+alternative}` and `${NAME+alternative}`; quotes and escapes are removed, text in
/// single quotes is taken as it is. An unset name expands to nothing.
pub(super) fn expand(word: &str, esc: char, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut lx = Lexer {
        c: word.chars().collect(),
        i: 0,
        esc,
        lookup,
        depth: 0,
    };
    lx.word(None)
}

pub(super) struct Lexer<'a> {
    c: Vec<char>,
    i: usize,
    esc: char,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// `${…}` nesting, bounded: the text is a learner's, and the lexer recurses.
    depth: usize,
}

/// Deeper `${A:-${B:-…}}` nesting than this expands to nothing.
pub(super) const MAX_NESTING: usize = 16;

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn word(&mut self, stop: Option<char>) -> String {
        let mut out = String::new();
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                break;
            }
            self.i += 1;
            if ch == self.esc {
                if let Some(n) = self.peek() {
                    out.push(n);
                    self.i += 1;
                }
                continue;
            }
            match ch {
                '\'' => {
                    while let Some(n) = self.peek() {
                        self.i += 1;
                        if n == '\'' {
                            break;
                        }
                        out.push(n);
                    }
                }
                '"' => {
                    while let Some(n) = self.peek() {
                        self.i += 1;
                        if n == '"' {
                            break;
                        } else if n == self.esc
                            && self
                                .peek()
                                .is_some_and(|m| m == '"' || m == '$' || m == self.esc)
                        {
                            out.push(self.c[self.i]);
                            self.i += 1;
                        } else if n == '$' {
                            out += &self.dollar();
                        } else {
                            out.push(n);
                        }
                    }
                }
                '$' => out += &self.dollar(),
                _ => out.push(ch),
            }
        }
        out
    }

    fn name(&mut self) -> String {
        let mut n = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            n.push(c);
            self.i += 1;
        }
        n
    }

    /// After a `$`.
    fn dollar(&mut self) -> String {
        match self.peek() {
            Some('{') if self.depth >= MAX_NESTING => {
                self.i = self.c.len();
                String::new()
            }
            Some('{') => {
                self.i += 1;
                let name = self.name();
                let value = (self.lookup)(&name);
                let (colon, op) = match (self.peek(), self.c.get(self.i + 1).copied()) {
                    (Some(':'), Some(op @ ('-' | '+' | '?'))) => (true, Some(op)),
                    (Some(op @ ('-' | '+' | '?')), _) => (false, Some(op)),
                    _ => (false, None),
                };
                let Some(op) = op else {
                    // `}`, or a modifier this reading does not apply (`#`, `%`, `/`).
                    self.depth += 1;
                    let _ = self.word(Some('}'));
                    self.depth -= 1;
                    self.i += 1;
                    return value.unwrap_or_default();
                };
                self.i += if colon { 2 } else { 1 };
                self.depth += 1;
                let alt = self.word(Some('}'));
                self.depth -= 1;
                self.i += 1;
                let unset = match &value {
                    None => true,
                    Some(v) => colon && v.is_empty(),
                };
                match op {
                    '-' if unset => alt,
                    '+' if unset => String::new(),
                    '+' => alt,
                    _ => value.unwrap_or_default(),
                }
            }
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                let name = self.name();
                (self.lookup)(&name).unwrap_or_default()
            }
            _ => "$".into(),
        }
    }
}
