//! Chapter quizzes: `book/quiz/chNN.toml`, one file per chapter. The book renders them (questions,
//! choices, folded answers) and `dockdojo quiz` asks them in the terminal and grades them: one
//! source for both.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quiz {
    /// The chapter number (0 to `checker::spec::LAST_CHAPTER`).
    pub chapter: u32,
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question, as an interviewer would ask it.
    pub question: String,
    /// Two to five choices.
    pub choices: Vec<String>,
    /// The index of the right choice (0-based).
    pub answer: usize,
    /// Why: shown after answering, and folded in the book.
    pub explain: String,
}

pub fn parse(name: &str, text: &str) -> Result<Quiz> {
    let q: Quiz =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{name}: {}", e.message().trim()))?;
    if q.questions.is_empty() {
        bail!("{name}: a quiz needs questions");
    }
    for (i, x) in q.questions.iter().enumerate() {
        if !(2..=5).contains(&x.choices.len()) {
            bail!("{name}: question {} needs 2–5 choices", i + 1);
        }
        if x.answer >= x.choices.len() {
            bail!(
                "{name}: question {}: answer {} is not one of its {} choices (0-based)",
                i + 1,
                x.answer,
                x.choices.len()
            );
        }
    }
    Ok(q)
}

/// All quizzes in a folder, by chapter.
pub fn load_dir(dir: &Path) -> Result<Vec<Quiz>> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(v);
    };
    for e in rd.flatten() {
        if e.path().extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(e.path())?;
            v.push(parse(&e.path().display().to_string(), &text)?);
        }
    }
    v.sort_by_key(|q| q.chapter);
    Ok(v)
}

fn letter(i: usize) -> char {
    (b'a' + i as u8) as char
}

/// Render a quiz as Markdown for the book.
pub fn markdown(q: &Quiz) -> String {
    let mut s = String::from("## Quiz\n\nTry these first; `dockdojo quiz ");
    s.push_str(&format!(
        "{}` asks them in your terminal and grades them.\n\n",
        q.chapter
    ));
    for (i, x) in q.questions.iter().enumerate() {
        s.push_str(&format!("**{}. {}**\n\n", i + 1, x.question));
        for (j, c) in x.choices.iter().enumerate() {
            s.push_str(&format!("- {}) {c}\n", letter(j)));
        }
        s.push_str(&format!(
            "\n<details><summary>Answer</summary>\n\n**{}) {}**: {}\n\n</details>\n\n",
            letter(x.answer),
            x.choices[x.answer],
            x.explain
        ));
    }
    s
}

/// `text` filled to `width` columns, the first line after `first`, the others under `rest`.
fn fill(text: &str, width: usize, first: &str, rest: &str) -> String {
    let opts = textwrap::Options::new(width.max(20))
        .initial_indent(first)
        .subsequent_indent(rest);
    textwrap::fill(text, opts)
}

/// Ask a quiz on `input`/`out`, its text wrapped to `width` columns; returns (right, total).
pub fn ask(
    q: &Quiz,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    width: usize,
) -> Result<(usize, usize)> {
    let head = format!(
        "Chapter {} quiz: {} ({} questions). Answer with a letter.",
        q.chapter,
        q.title,
        q.questions.len()
    );
    writeln!(out, "{}\n", fill(&head, width, "", ""))?;
    let mut right = 0;
    for (i, x) in q.questions.iter().enumerate() {
        let number = format!("{}. ", i + 1);
        let under = " ".repeat(number.len());
        writeln!(out, "{}", fill(&x.question, width, &number, &under))?;
        for (j, c) in x.choices.iter().enumerate() {
            let head = format!("   {}) ", letter(j));
            writeln!(out, "{}", fill(c, width, &head, "      "))?;
        }
        let choice = loop {
            write!(out, "> ")?;
            out.flush()?;
            let mut line = String::new();
            if input.read_line(&mut line).context("reading your answer")? == 0 {
                bail!("the quiz ended before every question was answered");
            }
            let t = line.trim().to_lowercase();
            match t.chars().next() {
                Some(c)
                    if t.len() == 1
                        && c >= 'a'
                        && ((c as u8 - b'a') as usize) < x.choices.len() =>
                {
                    break (c as u8 - b'a') as usize
                }
                _ => writeln!(out, "   (type one of a–{})", letter(x.choices.len() - 1))?,
            }
        };
        if choice == x.answer {
            right += 1;
            let text = format!("✓ right. {}", x.explain);
            writeln!(out, "{}\n", fill(&text, width, "   ", "     "))?;
        } else {
            let text = format!(
                "✗ it is {}) {}. {}",
                letter(x.answer),
                x.choices[x.answer],
                x.explain
            );
            writeln!(out, "{}\n", fill(&text, width, "   ", "     "))?;
        }
    }
    writeln!(out, "{right} of {} right.", q.questions.len())?;
    Ok((right, q.questions.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: &str = r#"
chapter = 2
title = "Lifecycle"
[[questions]]
question = "What does docker stop send first?"
choices = ["SIGKILL", "SIGTERM"]
answer = 1
explain = "SIGTERM, then SIGKILL after the timeout."
"#;

    #[test]
    fn asks_and_grades() {
        let q = parse("q.toml", Q).unwrap();
        let mut out = Vec::new();
        let (r, t) = ask(&q, &mut &b"z\nb\n"[..], &mut out, 80).unwrap();
        assert_eq!((r, t), (1, 1));
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("type one of a–b") && text.contains("✓ right"),
            "{text}"
        );
        assert!(markdown(&q).contains("<details><summary>Answer</summary>"));
    }

    #[test]
    fn bad_quizzes_are_refused() {
        assert!(parse("q.toml", &Q.replace("answer = 1", "answer = 2")).is_err());
        assert!(parse("q.toml", &Q.replace("explain", "explian")).is_err());
    }

    #[test]
    fn long_questions_and_choices_wrap_under_their_own_indent() {
        let long = "When a container's main process ignores SIGTERM and the stop timeout passes, what does Docker send next, and what exit code does the container then report?";
        let text = format!(
            "chapter = 2\ntitle = \"Lifecycle\"\n[[questions]]\nquestion = \"{long}\"\nchoices = [\"{long}\", \"b\"]\nanswer = 1\nexplain = \"{long}\"\n"
        );
        let q = parse("q.toml", &text).unwrap();
        let mut out = Vec::new();
        ask(&q, &mut &b"a\n"[..], &mut out, 60).unwrap();
        let out = String::from_utf8(out).unwrap();
        // (The prompt "> " shares a line with the next output here: no answer is echoed.)
        assert!(
            out.lines()
                .map(|l| l.strip_prefix("> ").unwrap_or(l))
                .all(|l| l.chars().count() <= 60),
            "{out}"
        );
        let lines: Vec<&str> = out.lines().collect();
        let q1 = lines.iter().position(|l| l.starts_with("1. When")).unwrap();
        assert!(
            lines[q1 + 1].starts_with("   ") && !lines[q1 + 1].starts_with("    "),
            "{out}"
        );
        let a = lines
            .iter()
            .position(|l| l.starts_with("   a) When"))
            .unwrap();
        assert!(
            lines[a + 1].starts_with("      ") && !lines[a + 1].starts_with("       "),
            "{out}"
        );
    }
}
