//! `dockdojo solution [ID]`: the reference solution's files, once passed (or with `--force`).

use crate::exit::{CmdResult, Exit, Fail};
use crate::progress::{Status, Store};

/// `dockdojo solution`: print the solution folder, or say to try a hint first.
pub fn run(id: Option<&str>, force: bool) -> CmdResult {
    let (entries, ws, idx) = super::exercise_arg(id)?;
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
