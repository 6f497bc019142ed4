//! `dockdojo answer ID "…"`: the learner's diagnosis, saved as `ANSWER.md` in the exercise folder
//! for the exercise's `answer` checks to judge (`dockdojo check ID`).

use checker::checks::answer::ANSWER_FILE;
use checker::spec::CheckKind;

use crate::exit::{CmdResult, Exit, Fail};

/// `dockdojo answer ID TEXT…`: write the words (joined by spaces) to `ANSWER.md`, replacing what
/// was there, and say what was saved and how to grade it.
pub fn run(id: &str, words: &[String]) -> CmdResult {
    let text = words.join(" ");
    if text.trim().is_empty() {
        return Err(Fail::usage(anyhow::anyhow!(
            "the answer is empty: write it in quotes, e.g. `dockdojo answer {id} \"…\"`"
        )));
    }
    let (entries, ws, idx) = super::exercise_arg(Some(id))?;
    let e = &entries[idx];
    let questions: Vec<&str> = e
        .spec
        .checks
        .iter()
        .filter_map(|c| match &c.kind {
            CheckKind::Answer(a) => Some(a.question.trim()),
            _ => None,
        })
        .collect();
    if questions.is_empty() {
        return Err(Fail::usage(anyhow::anyhow!(
            "{} asks no question to answer; `dockdojo check {}` grades it",
            e.id(),
            e.id()
        )));
    }
    let dir = ws.exercise_dir(e.id());
    if !dir.is_dir() {
        return Err(Fail::usage(anyhow::anyhow!(
            "{} does not exist; `dockdojo reset {}` writes it again",
            dir.display(),
            e.id()
        )));
    }
    let path = dir.join(ANSWER_FILE);
    std::fs::write(&path, format!("{}\n", text.trim()))
        .map_err(|err| Fail::env(anyhow::anyhow!("could not write {}: {err}", path.display())))?;
    for q in &questions {
        println!("Question: {q}");
    }
    println!("Saved your answer in {}:", path.display());
    println!("  {}", text.trim());
    println!(
        "Run `dockdojo check {}` to grade it (with the rest of the exercise).",
        e.id()
    );
    Ok(Exit::Ok)
}
