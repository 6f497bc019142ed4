//! One module per command.

pub mod answer;
pub mod book;
pub mod check;
pub mod clean;
pub mod doctor;
pub mod hint;
pub mod init;
pub mod layers;
pub mod list;
pub mod next;
pub mod prepare;
pub mod reset;
pub mod selftest;
pub mod setup;
pub mod solution;

use checker::docker::Engine;

use crate::catalog::{self, Entry};
use crate::exit::Fail;
use crate::workspace::Workspace;

/// Connect, then report what dead dockdojo runs left behind and this start swept.
pub async fn connect() -> Result<Engine, Fail> {
    let (engine, swept) = Engine::open(checker::docker::deadline::CONNECT).await?;
    report_swept(&swept);
    Ok(engine)
}

/// Connect; the sweep runs beside the caller's work, reported when [`Sweep::finish`] is awaited.
pub async fn connect_sweeping_behind() -> Result<(Engine, Sweep), Fail> {
    let (engine, swept) = Engine::open_sweeping_behind(checker::docker::deadline::CONNECT).await?;
    Ok((engine, Sweep(swept)))
}

/// A startup sweep still running.
pub struct Sweep(tokio::task::JoinHandle<Vec<String>>);

impl Sweep {
    pub async fn finish(self) {
        report_swept(&self.0.await.unwrap_or_default());
    }
}

fn report_swept(swept: &[String]) {
    if !swept.is_empty() {
        eprintln!(
            "Removed {} leftover(s) of an earlier dockdojo run that did not finish: {}",
            swept.len(),
            swept.join(", ")
        );
    }
}

/// The exercise named, or (no id) the one whose folder we are in: the catalog, the workspace and
/// the exercise's index in the catalog (for `hint`, `solution`, `reset`, `setup`).
pub fn exercise_arg(id: Option<&str>) -> Result<(Vec<Entry>, Workspace, usize), Fail> {
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
