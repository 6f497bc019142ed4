//! `dockdojo check`: grade exercises, print the reports, record progress.

use std::io::IsTerminal;

use checker::{run_exercise_then, Report, RunOptions};

use crate::aftercheck;
use crate::catalog::{self, Entry};
use crate::exit::{CmdResult, Exit, Fail};
use crate::interrupt::guarded;
use crate::output::{render_report, Style};
use crate::progress::{Status, Store};
use crate::workshop::proto::StartedBy;
use crate::workspace::Workspace;

/// `dockdojo check`: the learner asked, so each verdict is an attempt for the workshop room.
pub async fn run(ids: Vec<String>, all: bool, json: bool) -> CmdResult {
    run_as(ids, all, json, StartedBy::Learner).await
}

/// Grade as [`run`], saying who started it.
async fn run_as(ids: Vec<String>, all: bool, json: bool, started_by: StartedBy) -> CmdResult {
    let entries = if all || ids.is_empty() {
        catalog::load()?
    } else {
        catalog::load_named(&ids)?
    };
    let ws = Workspace::find().map_err(Fail::usage)?;
    let store = Store::new(&ws.state_dir());
    let (prog, warning) = store.load();
    if let Some(w) = &warning {
        eprintln!("{w}");
    }
    let targets: Vec<&Entry> = if all {
        entries.iter().collect()
    } else if !ids.is_empty() {
        ids.iter()
            .map(|i| catalog::find(&entries, i))
            .collect::<Result<_, _>>()?
    } else if let Some(cur) = ws
        .current_exercise()
        .and_then(|c| catalog::find(&entries, &c).ok())
    {
        vec![cur]
    } else {
        let next = entries
            .iter()
            .find(|e| {
                prog.exercises
                    .get(e.id())
                    .is_none_or(|p| p.status != Status::Passed)
            })
            .or(entries.last());
        next.into_iter().collect()
    };
    // A scenario checked before its setup: that, and nothing else (no attempt is recorded).
    let (targets, unset): (Vec<&Entry>, Vec<&Entry>) =
        targets.into_iter().partition(|e| ws.setup_done(e));
    for e in &unset {
        eprintln!("{}", needs_setup(e.id()));
    }
    if targets.is_empty() {
        return Ok(Exit::Usage);
    }
    for e in &targets {
        if !ws.exercise_dir(e.id()).is_dir() {
            return Err(Fail::usage(anyhow::anyhow!(
                "the folder {} is missing; `dockdojo reset {}` recreates it",
                ws.exercise_dir(e.id()).display(),
                e.id()
            )));
        }
    }
    let (engine, sweep) = super::connect_sweeping_behind().await?;
    if !json {
        checker::notice::set_progress_sink(progress_line);
    }
    let mut any_failed = false;
    let mut could_not_look = false;
    let mut reached_room = false;
    for e in targets {
        let (eng, spec, dir) = (engine.clone(), e.spec.clone(), ws.exercise_dir(e.id()));
        if !json {
            eprintln!("Checking {}…", e.id());
        }
        // The report is shown the moment the checks have run; cleanup follows (a failed one
        // still ends the run with its error).
        let ran = guarded(&engine, async move {
            run_exercise_then(
                &eng,
                &spec,
                &RunOptions {
                    dir,
                    ..Default::default()
                },
                |report| {
                    if !json {
                        clear_progress();
                        print!("{}", render_report(report, &spec.title, &Style::stdout()));
                    }
                },
            )
            .await
        })
        .await;
        if !json {
            clear_progress();
        }
        let report: Report = match ran {
            Ok(r) => r?,
            Err(exit) => return Ok(exit),
        };
        // A check that could not look is no attempt: nothing is recorded or reported for it
        // unless another check gave a real verdict.
        let only_errors = report.first_failure().is_none()
            && report
                .checks
                .iter()
                .any(|c| c.status() == checker::report::Status::Error);
        could_not_look |= only_errors;
        let recorded = if only_errors {
            None
        } else {
            Some(aftercheck::record(&store, &report, started_by).map_err(Fail::env)?)
        };
        let hints_used = recorded.as_ref().map_or(0, |r| r.hints_used);
        any_failed |= !report.passed && !only_errors;
        if json {
            println!(
                "{}",
                serde_json::to_string(&report).map_err(anyhow::Error::from)?
            );
        } else {
            if !report.passed && !only_errors {
                println!("{}", hint_nudge(e.id(), hints_used, e.spec.hints.len()));
            }
        }
        // To the workshop, if this workspace joined one (a short deadline; queued otherwise).
        if let Some(r) = recorded {
            reached_room |= crate::workshop::client::report(&ws.state_dir(), r.room).await;
        }
    }
    // The room's break and the instructor's latest message, once the server took the reports
    // (an unreachable one was already waited on: nothing more, nothing said).
    if reached_room && !json {
        crate::workshop::client::print_room_notes(&ws.state_dir()).await;
    }
    sweep.finish().await;
    Ok(if any_failed {
        Exit::Failed
    } else if !unset.is_empty() {
        Exit::Usage
    } else if could_not_look {
        Exit::Env
    } else {
        Exit::Ok
    })
}

/// The ticking progress line gives way to the report.
fn clear_progress() {
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

/// `dockdojo watch`: check, then wait for a saved file in the exercise's folder (or Enter, for
/// the docker commands of a live exercise) and check again, until it passes.
pub async fn watch(id: Option<String>) -> CmdResult {
    let entries = catalog::load()?;
    let ws = Workspace::find().map_err(Fail::usage)?;
    let e = match id.or_else(|| ws.current_exercise()) {
        Some(id) => catalog::find(&entries, &id)?,
        None => {
            let (prog, _) = Store::new(&ws.state_dir()).load();
            entries
                .iter()
                .find(|e| {
                    prog.exercises
                        .get(e.id())
                        .is_none_or(|p| p.status != Status::Passed)
                })
                .or(entries.last())
                .ok_or_else(|| Fail::usage(anyhow::anyhow!("no exercises")))?
        }
    };
    let id = e.id().to_string();
    let dir = ws.exercise_dir(&id);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
            line.clear();
            if tx.send(()).is_err() {
                break;
            }
        }
    });
    // The first check is `watch` starting; the next ones follow the learner's save or Enter.
    let mut started_by = StartedBy::Auto;
    loop {
        // The folder as this check reads it: a save while the check runs (or the moment after
        // it prints) is a change to check again, never lost between the check and the watch.
        let before = fingerprint(&dir);
        let exit = run_as(vec![id.clone()], false, false, started_by).await?;
        started_by = StartedBy::Learner;
        match exit {
            Exit::Ok => {
                println!("\n{id} passed. `dockdojo next` shows what comes next.");
                return Ok(Exit::Ok);
            }
            Exit::Interrupted | Exit::Usage => return Ok(exit),
            _ => {}
        }
        println!(
            "\nWatching {}: save a file there, or press Enter after your docker commands, to check again (Ctrl-C stops).",
            dir.display()
        );
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            if rx.try_recv().is_ok() || fingerprint(&dir) != before {
                break;
            }
        }
    }
}

/// Every file's path, size and modification time under `dir` (a save changes one of them).
fn fingerprint(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                stack.push(p);
            } else {
                out.push((p, m.len(), m.modified().unwrap_or(std::time::UNIX_EPOCH)));
            }
        }
    }
    out.sort();
    out
}

/// Each check as it starts: one line rewritten in place on a terminal, plain lines otherwise
/// (a long build or probe is never silent).
fn progress_line(i: usize, n: usize, title: &str) {
    if std::io::stderr().is_terminal() {
        let mut t: String = title.chars().take(70).collect();
        if t.len() < title.len() {
            t.push('…');
        }
        eprint!("\r\x1b[2K  [{i}/{n}] {t}…");
    } else {
        eprintln!("  [{i}/{n}] {title}…");
    }
}

/// What checking a scenario before its setup says, in the CLI and in the app.
pub fn needs_setup(id: &str) -> String {
    format!("{id}: run `dockdojo setup {id}` first: it arranges the situation this exercise starts from.")
}

/// The line under a failed report: the answer is one `dockdojo hint` away, never in the report.
pub fn hint_nudge(id: &str, used: u32, available: usize) -> String {
    let used = (used as usize).min(available);
    if used >= available {
        format!("All {available} hints are shown: `dockdojo hint {id}` repeats them.")
    } else {
        format!(
            "Stuck? `dockdojo hint {id}` shows hint {} of {available}.",
            used + 1
        )
    }
}
