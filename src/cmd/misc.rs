//! The small commands: init, list, hint, solution, reset, clean, and bare `dockdojo`.

use std::path::PathBuf;

use serde::Serialize;

use crate::catalog::{self, Entry};
use crate::output::Style;
use crate::progress::{Status, Store};
use crate::workspace::Workspace;
use crate::{CmdResult, Exit, Fail};

pub fn no_command() -> CmdResult {
    let cwd = std::env::current_dir()?;
    match Workspace::find_from(&cwd) {
        Some(_) => {
            list(false)?;
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

pub fn init(dir: Option<PathBuf>) -> CmdResult {
    let entries = catalog::load()?;
    let root = dir.unwrap_or_else(|| PathBuf::from("dojo"));
    let (ws, added) = Workspace::init(&root, &entries).map_err(Fail::usage)?;
    if added.is_empty() {
        println!(
            "{} is up to date: every exercise already has its folder.",
            ws.root.display()
        );
    } else {
        println!(
            "Created {} with {} exercises:",
            ws.root.display(),
            added.len()
        );
        for e in &entries {
            if added.iter().any(|a| a == e.id()) {
                println!("  {}  {}", e.id(), e.spec.title);
            }
        }
    }
    println!(
        "\nNext:\n  cd {}\n  dockdojo doctor      # is Docker ready?\n  dockdojo prepare     # the course's base images\n  dockdojo             # the course app: exercises, tasks, checks as you work\n\nKeep a second terminal open in {} for your docker commands; or work from\nthe CLI alone: `cd {}`, read README.md, then `dockdojo check`.",
        ws.root.display(),
        ws.root.display(),
        entries.first().map(|e| e.id()).unwrap_or(".")
    );
    Ok(Exit::Ok)
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

pub fn list(json: bool) -> CmdResult {
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

/// The exercise named, or (no id) the one whose folder we are in.
fn entry_and_ws(id: Option<&str>) -> Result<(Vec<Entry>, Workspace, usize), Fail> {
    let entries = catalog::load()?;
    let ws = Workspace::find().map_err(Fail::usage)?;
    let id = match id {
        Some(id) => id.to_string(),
        None => ws.current_exercise().ok_or_else(|| {
            Fail::usage(anyhow::anyhow!(
                "which exercise? Name it (`dockdojo list` shows them), or run this inside an \
                 exercise's folder"
            ))
        })?,
    };
    let found = catalog::find(&entries, &id)
        .map_err(Fail::usage)?
        .id()
        .to_string();
    let idx = entries
        .iter()
        .position(|e| e.id() == found)
        .unwrap_or_default();
    Ok((entries, ws, idx))
}

/// `dockdojo next`: the first exercise, in course order, not passed yet, and how to start it.
pub fn next() -> CmdResult {
    let entries = catalog::load()?;
    let ws = Workspace::find().map_err(Fail::usage)?;
    let (prog, warning) = Store::new(&ws.state_dir()).load();
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    let passed = |id: &str| {
        prog.exercises
            .get(id)
            .is_some_and(|p| p.status == Status::Passed)
    };
    let done = entries.iter().filter(|e| passed(e.id())).count();
    let Some(e) = entries.iter().find(|e| !passed(e.id())) else {
        println!(
            "Every exercise passed ({done} of {}). Well done! `dockdojo list` shows your progress.",
            entries.len()
        );
        return Ok(Exit::Ok);
    };
    let dir = ws.exercise_dir(e.id());
    println!(
        "Next: {} — {} (chapter {}, about {} min; {done} of {} passed so far)",
        e.id(),
        e.spec.title,
        e.spec.chapter,
        e.spec.minutes,
        entries.len()
    );
    println!("  cd {}", dir.display());
    if !ws.setup_done(e) {
        println!("  dockdojo setup      # arranges the situation this exercise starts from");
    }
    println!("  then read README.md, do the task, and run `dockdojo check` there");
    println!("  (`dockdojo watch` there re-checks each time you save a file)");
    Ok(Exit::Ok)
}

pub fn hint(id: Option<&str>) -> CmdResult {
    let (entries, ws, idx) = entry_and_ws(id)?;
    let e = &entries[idx];
    let store = Store::new(&ws.state_dir());
    let mut shown = 0;
    let warning = store
        .update(|p| shown = p.use_hint(e.id(), e.spec.hints.len()) as usize)
        .map_err(Fail::env)?;
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    let n = e.spec.hints.len();
    for (i, h) in e.spec.hints.iter().enumerate().take(shown.max(1)) {
        println!("Hint {}/{n}: {h}", i + 1);
    }
    if shown >= n {
        println!(
            "\nThat was the last hint. The book explains it: book/{}",
            e.spec.book
        );
    }
    Ok(Exit::Ok)
}

pub fn solution(id: Option<&str>, force: bool) -> CmdResult {
    let (entries, ws, idx) = entry_and_ws(id)?;
    let e = &entries[idx];
    let (prog, _) = Store::new(&ws.state_dir()).load();
    let passed = prog
        .exercises
        .get(e.id())
        .is_some_and(|p| p.status == Status::Passed);
    if !passed && !force {
        println!(
            "You have not passed {} yet. Try `dockdojo hint {}` first; `dockdojo solution {} --force` shows it anyway.",
            e.id(),
            e.id(),
            e.id()
        );
        return Ok(Exit::Failed);
    }
    let Some(sol) = e.sub("solution") else {
        return Err(Fail::usage(anyhow::anyhow!(
            "{} has no solution folder",
            e.id()
        )));
    };
    print_dir(sol, sol.path());
    Ok(Exit::Ok)
}

fn print_dir(d: &include_dir::Dir<'_>, base: &std::path::Path) {
    for f in d.files() {
        let rel = f.path().strip_prefix(base).unwrap_or(f.path());
        println!("==> {} <==", rel.display());
        println!("{}", f.contents_utf8().unwrap_or("(binary file)"));
    }
    for sub in d.dirs() {
        print_dir(sub, base);
    }
}

pub fn reset(id: Option<&str>) -> CmdResult {
    let (entries, ws, idx) = entry_and_ws(id)?;
    let e = &entries[idx];
    let backup = ws.reset(e).map_err(Fail::env)?;
    println!(
        "{} is back to its starting files.",
        ws.exercise_dir(e.id()).display()
    );
    if let Some(b) = backup {
        println!("Your previous version is in {}.", b.display());
    }
    if !e.spec.live.containers.is_empty()
        || !e.spec.live.volumes.is_empty()
        || !e.spec.live.networks.is_empty()
    {
        println!(
            "Containers, volumes and networks you created for it are yours; dockdojo leaves them. To start over: {}",
            live_cleanup_hint(&e.spec.live)
        );
    }
    Ok(Exit::Ok)
}

fn live_cleanup_hint(l: &checker::spec::Live) -> String {
    let mut parts = Vec::new();
    if !l.containers.is_empty() {
        parts.push(format!("docker rm -f {}", l.containers.join(" ")));
    }
    if !l.volumes.is_empty() {
        parts.push(format!("docker volume rm {}", l.volumes.join(" ")));
    }
    if !l.networks.is_empty() {
        parts.push(format!("docker network rm {}", l.networks.join(" ")));
    }
    parts.join("; ")
}

/// `dockdojo setup ID`: arrange a scenario exercise's situation (a crashing container, a moved
/// tag…) by running its `setup.sh` in the exercise folder. Running it again starts over.
pub async fn setup(id: Option<&str>) -> CmdResult {
    let (entries, ws, idx) = entry_and_ws(id)?;
    let e = &entries[idx];
    let Some(script) = e.dir.get_file(format!("{}/setup.sh", e.id())) else {
        println!("{} needs no setup: its README.md says what to do.", e.id());
        return Ok(Exit::Ok);
    };
    let dir = ws.exercise_dir(e.id());
    if !dir.is_dir() {
        return Err(Fail::usage(anyhow::anyhow!(
            "{} is missing; `dockdojo reset {}` recreates it",
            dir.display(),
            e.id()
        )));
    }
    let path = ws.state_dir().join(format!("setup-{}.script", e.id()));
    std::fs::write(&path, script.contents())?;
    println!("Arranging the situation for {}…", e.id());
    let status = tokio::process::Command::new("bash")
        .arg(&path)
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .status()
        .await?;
    let _ = std::fs::remove_file(&path);
    if !status.success() {
        return Err(Fail::env(anyhow::anyhow!(
            "the setup script failed (exit {}); is Docker running and are the course images there (`dockdojo doctor`)?",
            status.code().unwrap_or(-1)
        )));
    }
    ws.mark_setup_done(e.id()).map_err(Fail::env)?;
    println!(
        "Ready. Read {}/README.md, then `dockdojo check {}`.",
        dir.display(),
        e.id()
    );
    Ok(Exit::Ok)
}

pub async fn clean(all: bool) -> CmdResult {
    let engine = super::connect().await?;
    let cleaned = engine.clean(all).await;
    for w in &cleaned.warnings {
        eprintln!("warning: {w}");
    }
    if cleaned.removed.is_empty() {
        println!(
            "Nothing to remove: no containers, images, volumes or networks labelled by dockdojo."
        );
    } else {
        println!("Removed {}:", cleaned.removed.len());
        for r in &cleaned.removed {
            println!("  {r}");
        }
    }
    if !all {
        println!("(Course base images are kept; `dockdojo clean --all` removes them too.)");
    }
    if !cleaned.failed.is_empty() {
        for f in &cleaned.failed {
            eprintln!("could not remove {f}");
        }
        return Ok(Exit::Env);
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
