//! One module per command.

pub mod book;
pub mod check;
pub mod doctor;
pub mod layers;
pub mod misc;
pub mod prepare;
pub mod selftest;

use checker::docker::Engine;

use crate::Fail;

/// Connect within 5 s (the lookup tries each candidate with its own shorter deadline), then sweep
/// what dead dockdojo runs left behind.
pub async fn connect() -> Result<Engine, Fail> {
    let engine = match tokio::time::timeout(std::time::Duration::from_secs(5), Engine::connect()).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(Fail::env(anyhow::anyhow!(
                "cannot reach Docker: no answer within 5 s. Is the daemon running? Check `docker info`."
            )))
        }
    };
    if let Ok(swept) = engine.sweep_dead_sessions().await {
        if !swept.removed.is_empty() {
            eprintln!(
                "Removed {} leftover(s) of an earlier dockdojo run that did not finish: {}",
                swept.removed.len(),
                swept.removed.join(", ")
            );
        }
    }
    Ok(engine)
}
