//! `dockdojo workshop dash`: the instructor's terminal dashboard (ratatui).

use std::path::PathBuf;

use crate::CmdResult;

pub async fn run(data: PathBuf) -> CmdResult {
    let _ = data;
    todo!("workshop dash")
}
