//! The book's preprocessor: replaces markers in chapters with what is generated from data.
//!
//! - `{{#dojo-exercise ID}}`: the exercise card (anchor, title, minutes, task, check command,
//!   hints folded, link to its solution);
//! - `{{#dojo-quiz}}`: the chapter's quiz (from `book/quiz/chNN.toml`);
//! - `{{#dojo-solutions}}`: every reference solution;
//! - `{{#dojo-schedule}}`: the workshop schedule, summed from minutes in the data.
//!
//! Every exercise must have exactly one card: a missing or doubled one fails the build.

use std::collections::HashMap;

use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::errors::Result;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::catalog::Entry;
use crate::quiz::Quiz;

pub struct DojoPreprocessor {
    exercises: Vec<Entry>,
    quizzes: Vec<Quiz>,
}

impl DojoPreprocessor {
    pub fn new(exercises: Vec<Entry>, quizzes: Vec<Quiz>) -> Self {
        Self { exercises, quizzes }
    }
}

/// The anchor of an exercise: its id without the chapter number.
pub fn slug(id: &str) -> &str {
    id.get(3..).unwrap_or(id)
}

fn demote(markdown: &str) -> String {
    let mut out = String::new();
    let mut skipped_title = false;
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            if !skipped_title && line.starts_with("# ") {
                skipped_title = true;
                continue;
            }
            out.push_str("###");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn card(e: &Entry) -> String {
    let s = &e.spec;
    let mut c = format!(
        "<a id=\"{}\"></a>\n\n### Exercise: {}\n\n*`{}` · {} · {} min · {}*\n\n",
        slug(&s.id),
        s.title,
        s.id,
        format!("{:?}", s.mode).to_lowercase(),
        s.minutes,
        format!("{:?}", s.difficulty).to_lowercase()
    );
    c.push_str(&demote(e.task()));
    c.push_str(&format!(
        "\n**Check it:** in your workspace, `cd {id}` and run `dockdojo check` (or `dockdojo check {id}` from anywhere in it).\n\n",
        id = s.id
    ));
    c.push_str("<details><summary>What is checked</summary>\n\n");
    for ch in &s.checks {
        c.push_str(&format!(
            "- {} <small>({})</small>\n",
            ch.title,
            ch.kind.name()
        ));
    }
    c.push_str("\n</details>\n\n");
    for (i, h) in s.hints.iter().enumerate() {
        c.push_str(&format!(
            "<details><summary>Hint {}</summary>\n\n{h}\n\n</details>\n\n",
            i + 1
        ));
    }
    c.push_str(&format!(
        "[The reference solution](solutions.md#{}) (try first!)\n\n",
        slug(&s.id)
    ));
    c
}

fn solutions(exercises: &[Entry]) -> String {
    let mut s = String::new();
    for e in exercises {
        s.push_str(&format!(
            "<a id=\"{}\"></a>\n\n## {}: {}\n\n",
            slug(e.id()),
            e.id(),
            e.spec.title
        ));
        s.push_str(&format!("Back to [the exercise]({}).\n\n", e.spec.book));
        if let Some(sol) = e.sub("solution") {
            push_files(&mut s, sol, sol.path());
        }
    }
    s
}

fn push_files(s: &mut String, d: &include_dir::Dir<'_>, base: &std::path::Path) {
    for f in d.files() {
        let rel = f.path().strip_prefix(base).unwrap_or(f.path());
        if rel.file_name().is_some_and(|n| n == ".gitkeep") {
            continue;
        }
        let lang = match rel.extension().and_then(|x| x.to_str()) {
            Some("sh") => "sh",
            Some("yaml" | "yml") => "yaml",
            Some("c") => "c",
            _ if rel.file_name().is_some_and(|n| n == "Dockerfile") => "dockerfile",
            _ => "text",
        };
        s.push_str(&format!(
            "`{}`\n\n````{lang}\n{}\n````\n\n",
            rel.display(),
            f.contents_utf8().unwrap_or("(binary)").trim_end()
        ));
    }
    for sub in d.dirs() {
        push_files(s, sub, base);
    }
}

fn chapter_number(path: &std::path::Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    name.strip_prefix("ch")?.get(..2)?.parse().ok()
}

impl Preprocessor for DojoPreprocessor {
    fn name(&self) -> &str {
        "dockdojo"
    }

    fn run(&self, ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let (schedule, measured) = super::schedule::read(&ctx.root)?;
        let schedule_page = super::schedule::markdown(&schedule, &measured, &self.exercises)?;
        let mut cards: HashMap<String, usize> = HashMap::new();
        let mut error = None;
        book.for_each_mut(|item| {
            let BookItem::Chapter(ch) = item else { return };
            let number = ch.path.as_deref().and_then(chapter_number);
            let mut out = String::new();
            for line in ch.content.lines() {
                let t = line.trim();
                if let Some(id) = t
                    .strip_prefix("{{#dojo-exercise ")
                    .and_then(|r| r.strip_suffix("}}"))
                {
                    let id = id.trim();
                    match self.exercises.iter().find(|e| e.id() == id) {
                        Some(e) => {
                            *cards.entry(id.to_string()).or_default() += 1;
                            out.push_str(&card(e));
                        }
                        None => error = Some(format!("{}: no exercise '{id}'", ch.name)),
                    }
                } else if t == "{{#dojo-quiz}}" {
                    match number.and_then(|n| self.quizzes.iter().find(|q| q.chapter == n)) {
                        Some(q) => out.push_str(&crate::quiz::markdown(q)),
                        None => {
                            error = Some(format!(
                                "{}: no quiz for this chapter in book/quiz/",
                                ch.name
                            ))
                        }
                    }
                } else if t == "{{#dojo-solutions}}" {
                    out.push_str(&solutions(&self.exercises));
                } else if t == "{{#dojo-schedule}}" {
                    out.push_str(&schedule_page);
                } else {
                    out.push_str(line);
                    out.push('\n');
                }
            }
            ch.content = out;
        });
        if let Some(e) = error {
            anyhow::bail!(e);
        }
        for e in &self.exercises {
            match cards.get(e.id()) {
                None => anyhow::bail!(
                    "exercise {} has no card in the book: add `{{{{#dojo-exercise {}}}}}` to {}",
                    e.id(),
                    e.id(),
                    e.spec.book
                ),
                Some(n) if *n > 1 => anyhow::bail!("exercise {} has {n} cards in the book", e.id()),
                _ => {}
            }
        }
        Ok(book)
    }
}
