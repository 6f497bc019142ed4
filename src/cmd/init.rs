//! `dockdojo init [DIR]`: create a workspace with every exercise's starting files.

use std::path::PathBuf;

use crate::catalog;
use crate::exit::{CmdResult, Exit, Fail};
use crate::workspace::Workspace;

/// `dockdojo init`: the workspace at DIR (default `./dojo`), adding the folders it lacks.
pub fn run(dir: Option<PathBuf>) -> CmdResult {
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
