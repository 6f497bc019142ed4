//! `dockdojo` with no arguments in a workspace: the course app. Exercises by chapter with their
//! status, the current task, its checks as they run, hints, solution, reset, the book link and
//! a layer explorer, with re-checks when a file is saved or the daemon reports a change.
//!
//! State (`app`), events (`action`), rendering (`ui`) and the outside world (`worker`, `watch`,
//! `daemon`, and the terminal's input from `crate::term`, driven by `runtime`) live apart. Without a terminal the app falls back to
//! the plain list; the terminal is given back on every exit, panics included (ratatui's hook).

mod action;
mod app;
mod daemon;
mod layers_view;
mod room;
mod runtime;
mod trace;
mod ui;
mod watch;
mod worker;

#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::time::Instant;

use crate::catalog::{self, Entry};
use crate::cmd;
use crate::exit::{CmdResult, Exit, Fail};
use crate::progress::{Status, Store};
use crate::workspace::Workspace;
use app::{App, ExerciseInfo, Level, WatchMode};

pub async fn run() -> CmdResult {
    let cwd = std::env::current_dir()?;
    let found = match Workspace::find_from(&cwd) {
        Some(ws) => Some(ws),
        None if std::env::var_os(images::app_image::ENV).is_some() => {
            match cmd::init::start_in_image(&cwd)? {
                Some(ws) => Some(ws),
                None => return Ok(crate::exit::Exit::Ok),
            }
        }
        None => None,
    };
    let Some(ws) = found else {
        return cmd::list::no_command();
    };
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    if !std::io::stdout().is_terminal() || dumb {
        return cmd::list::no_command();
    }
    let entries = catalog::load()?;
    let store = Store::new(&ws.state_dir());
    let (progress, warning) = store.load();
    let selected = ws
        .current_exercise()
        .and_then(|c| entries.iter().position(|e| e.id() == c))
        .or_else(|| {
            entries
                .iter()
                .position(|e| progress.status(e.id()) != Status::Passed)
        })
        .unwrap_or(0);
    let infos = entries.iter().map(info).collect();
    let mut app = App::new(infos, progress, selected, Instant::now());
    if let Some(w) = warning {
        app.say(Level::Warn, w);
    }
    app.watch = match std::env::var("DOCKDOJO_WATCH").as_deref() {
        Ok("poll") => WatchMode::Poll,
        Ok("manual") => WatchMode::Manual,
        _ => WatchMode::Auto,
    };

    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(_) => {
            ratatui::restore();
            return cmd::list::no_command();
        }
    };
    let (result, rt) = runtime::run(&mut terminal, &mut app, ws, entries, store).await;
    ratatui::restore();
    let cleaned = rt.shutdown().await;
    if let Some(c) = cleaned {
        for f in &c.failed {
            eprintln!("could not remove {f}");
        }
    }
    result.map(|_| Exit::Ok).map_err(Fail::env)
}

/// What the app needs to know about a catalog entry.
fn info(e: &Entry) -> ExerciseInfo {
    let mut solution = Vec::new();
    if let Some(dir) = e.sub("solution") {
        collect(dir, dir.path(), &mut solution);
    }
    ExerciseInfo {
        id: e.id().to_string(),
        title: e.spec.title.clone(),
        chapter: e.spec.chapter,
        minutes: e.spec.minutes,
        mode: e.spec.mode,
        task: e.task().to_string(),
        checks: e.spec.checks.iter().map(|c| c.title.clone()).collect(),
        hints: e.spec.hints.clone(),
        book: e.spec.book.clone(),
        solution,
        live: e.spec.live.clone(),
    }
}

fn collect(d: &include_dir::Dir<'_>, base: &std::path::Path, out: &mut Vec<(String, String)>) {
    for f in d.files() {
        let rel = f.path().strip_prefix(base).unwrap_or(f.path());
        let text = f.contents_utf8().unwrap_or("(binary file)").to_string();
        out.push((rel.display().to_string(), text));
    }
    for sub in d.dirs() {
        collect(sub, base, out);
    }
}
