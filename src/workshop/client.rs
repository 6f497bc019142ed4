//! The student side of a workshop: join, the on-disk outbox of reports (delivered in the
//! background, never lost or duplicated), the room view, and `prepare --from URL`.

use std::path::{Path, PathBuf};

use super::proto;
use crate::CmdResult;

pub async fn join(url: String, code: String, name: String) -> CmdResult {
    let _ = (url, code, name);
    todo!("workshop join")
}

/// `workshop sync`: deliver queued reports now and show the room's state.
pub async fn sync() -> CmdResult {
    todo!("workshop sync")
}

/// `workshop leave`: forget the workshop in this workspace (queued reports are dropped).
pub fn leave() -> CmdResult {
    todo!("workshop leave")
}

/// Queue a report for the workshop this workspace joined (no-op if none) and try to deliver
/// the outbox within a short deadline. Never fails the caller: problems become a stderr line.
pub async fn report(state_dir: &Path, report: proto::Report) {
    let _ = (state_dir, report);
}

/// Download the instructor's image archive (resumable, verified by SHA-256) and return its path.
pub async fn fetch_archive(url: &str) -> anyhow::Result<PathBuf> {
    let _ = url;
    todo!("prepare --from")
}
