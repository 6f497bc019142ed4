//! One module per command.

pub mod book;
pub mod check;
pub mod clean;
pub mod doctor;
pub mod layers;
pub mod misc;
pub mod prepare;
pub mod selftest;

use checker::docker::Engine;

use crate::Fail;

/// Connect, then report what dead dockdojo runs left behind and this start swept.
pub async fn connect() -> Result<Engine, Fail> {
    let (engine, swept) = Engine::open(checker::docker::deadline::CONNECT).await?;
    if !swept.is_empty() {
        eprintln!(
            "Removed {} leftover(s) of an earlier dockdojo run that did not finish: {}",
            swept.len(),
            swept.join(", ")
        );
    }
    Ok(engine)
}
