//! `dockdojo reset [ID]`: an exercise folder back to its starting files (the learner's kept in
//! `.dockdojo/backup/`).

use crate::exit::{CmdResult, Exit, Fail};

/// `dockdojo reset`: restore the starter files and say what Docker objects are left to remove.
pub fn run(id: Option<&str>) -> CmdResult {
    let (entries, ws, idx) = super::exercise_arg(id)?;
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
