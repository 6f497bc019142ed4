//! `dockdojo next`: the first exercise not passed yet, where it is and how to start it.

use crate::catalog;
use crate::exit::{CmdResult, Exit, Fail};
use crate::progress::{Status, Store};
use crate::workspace::Workspace;

/// `dockdojo next`: the first exercise, in course order, not passed yet, and how to start it.
pub fn run() -> CmdResult {
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
