//! `dockdojo setup [ID]`: arrange a scenario exercise's situation with its `setup.sh`.

use crate::exit::{CmdResult, Exit, Fail};

/// `dockdojo setup ID`: arrange a scenario exercise's situation (a crashing container, a moved
/// tag…) by running its `setup.sh` in the exercise folder. Running it again starts over.
pub async fn run(id: Option<&str>) -> CmdResult {
    let (entries, ws, idx) = super::exercise_arg(id)?;
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
