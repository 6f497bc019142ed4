//! `dockdojo list`: the exercises by chapter with your progress (or `--json`), and what bare
//! `dockdojo` prints where the course app cannot start.

use serde::Serialize;

use crate::catalog;
use crate::exit::{CmdResult, Exit};
use crate::output::Style;
use crate::progress::{Status, Store};
use crate::workspace::Workspace;

pub fn no_command() -> CmdResult {
    let cwd = std::env::current_dir()?;
    match Workspace::find_from(&cwd) {
        Some(_) => {
            run(false)?;
            println!(
                "\nNext: `cd` into an exercise folder, read its README.md, then `dockdojo check`."
            );
            println!("`dockdojo --help` lists every command.");
            Ok(Exit::Ok)
        }
        None => {
            println!("{NOT_IN_WORKSPACE}");
            Ok(Exit::Ok)
        }
    }
}

#[derive(Serialize)]
struct ListItem<'a> {
    id: &'a str,
    title: &'a str,
    chapter: u32,
    minutes: u32,
    mode: checker::spec::Mode,
    status: Status,
    hints_used: u32,
    attempts: u32,
}

pub fn run(json: bool) -> CmdResult {
    let entries = catalog::load()?;
    let ws = Workspace::find_from(&std::env::current_dir()?);
    let prog = ws.as_ref().map(|w| {
        let (p, warning) = Store::new(&w.state_dir()).load();
        if let Some(w) = warning {
            eprintln!("{w}");
        }
        p
    });
    let items: Vec<ListItem> = entries
        .iter()
        .map(|e| {
            let p = prog
                .as_ref()
                .and_then(|p| p.exercises.get(e.id()).cloned())
                .unwrap_or_default();
            ListItem {
                id: e.id(),
                title: &e.spec.title,
                chapter: e.spec.chapter,
                minutes: e.spec.minutes,
                mode: e.spec.mode,
                status: p.status,
                hints_used: p.hints_used,
                attempts: p.attempts,
            }
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&items).map_err(anyhow::Error::from)?
        );
        return Ok(Exit::Ok);
    }
    let st = Style::stdout();
    let quizzes = ws
        .as_ref()
        .map(|w| crate::progress::quiz_scores(&w.state_dir()))
        .unwrap_or_default();
    let width = items
        .iter()
        .map(|i| i.title.chars().count())
        .max()
        .unwrap_or(0);
    let mut chapter = u32::MAX;
    for i in &items {
        if i.chapter != chapter {
            chapter = i.chapter;
            let quiz = quizzes
                .get(&chapter)
                .map(|q| {
                    st.dim(&format!(
                        "  · quiz {}/{} (best {}/{})",
                        q.right, q.total, q.best, q.total
                    ))
                })
                .unwrap_or_default();
            println!("{}{quiz}", st.bold(&format!("Chapter {chapter}")));
        }
        let status = match i.status {
            Status::Passed => st.green("passed"),
            Status::Failing => st.red("failing"),
            Status::NotStarted => st.dim("not started"),
        };
        // Padded by characters, not bytes, to the longest title: the columns stay aligned.
        let pad = width - i.title.chars().count();
        println!(
            "  {:<24} {}{} {:>3} min  {status}",
            i.id,
            i.title,
            " ".repeat(pad),
            i.minutes
        );
    }
    if ws.is_none() {
        println!("\n(Not in a workspace: `dockdojo init` creates one.)");
    }
    Ok(Exit::Ok)
}

const NOT_IN_WORKSPACE: &str = "dockdojo: learn Docker by doing.

You are not in a dockdojo workspace. Start one:

    dockdojo init        # creates ./dojo with every exercise
    cd dojo
    dockdojo doctor      # checks your Docker installation
    dockdojo prepare     # makes the course's base images available

Then read an exercise's README.md and run `dockdojo check` in its folder.";
