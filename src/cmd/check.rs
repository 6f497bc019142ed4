//! `dockdojo check`: grade exercises, print the reports, record progress.

use checker::{run_exercise, Report, RunOptions};

use crate::catalog::{self, Entry};
use crate::interrupt::guarded;
use crate::output::{render_report, Style};
use crate::progress::{now, Status, Store};
use crate::workspace::Workspace;
use crate::{CmdResult, Exit, Fail};

pub async fn run(ids: Vec<String>, all: bool, json: bool) -> CmdResult {
    let entries = catalog::load()?;
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
    let engine = super::connect().await?;
    let style = Style::stdout();
    let mut any_failed = false;
    let mut could_not_look = false;
    for e in targets {
        let (eng, spec, dir) = (engine.clone(), e.spec.clone(), ws.exercise_dir(e.id()));
        if !json {
            eprintln!("Checking {}…", e.id());
        }
        let report: Report = match guarded(&engine, async move {
            run_exercise(&eng, &spec, &RunOptions { dir }).await
        })
        .await
        {
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
        let hints_used = if only_errors {
            0
        } else {
            record(&store, &report)?
        };
        any_failed |= !report.passed && !only_errors;
        if json {
            println!(
                "{}",
                serde_json::to_string(&report).map_err(anyhow::Error::from)?
            );
        } else {
            print!("{}", render_report(&report, &e.spec.title, &style));
            if !report.passed && !only_errors {
                println!("{}", hint_nudge(e.id(), hints_used, e.spec.hints.len()));
            }
        }
        if only_errors {
            continue;
        }
        // To the workshop, if this workspace joined one (a short deadline; queued otherwise).
        crate::workshop::client::report(
            &ws.state_dir(),
            crate::workshop::client::check_report(&report, hints_used),
        )
        .await;
    }
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

/// Record a report in the progress file; returns the hints used on that exercise so far.
fn record(store: &Store, r: &Report) -> Result<u32, Fail> {
    let t = now();
    let mut hints = 0;
    store
        .update(|p| {
            p.record_report(r, t);
            hints = p.exercises.get(&r.exercise).map_or(0, |e| e.hints_used);
        })
        .map_err(Fail::env)?;
    Ok(hints)
}
