//! The outbox: one file per report in `.dockdojo/outbox/`, named so that lexical order is
//! creation order (`<unix nanos, 20 digits>-<report id>.json`), written atomically. Delivery
//! sends the files in order and deletes one only after the server answered 200 (stored) or 409
//! (it already had it): a report is never lost, and a resend is harmless because the server
//! keeps each report id once. A file the server refuses as malformed (400/413), or one that
//! cannot be read, is moved to `outbox/rejected/` so it is never retried forever.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use reqwest::StatusCode;
use tokio::time::Instant;

use super::{cause, http, Joined};
use crate::workshop::proto;

/// The outbox folder inside a workspace's state folder.
pub const OUTBOX_DIR: &str = "outbox";
/// Inside the outbox: reports set aside (refused by the server, or unreadable).
pub const REJECTED_DIR: &str = "rejected";

/// `.dockdojo/outbox` of the workspace whose state folder is `state_dir`.
pub fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join(OUTBOX_DIR)
}

/// Write `report` as a new outbox file (temp file, fsync, rename, fsync the folder).
pub fn queue(state_dir: &Path, report: &proto::Report) -> Result<PathBuf> {
    let dir = dir(state_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = dir.join(format!("{nanos:020}-{}.json", report.id));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(&dir)
        .with_context(|| format!("writing into {}", dir.display()))?;
    tmp.write_all(&serde_json::to_vec(report)?)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path)
        .map_err(|e| e.error)
        .with_context(|| format!("saving {}", path.display()))?;
    sync_dir(&dir);
    Ok(path)
}

/// The queued reports, oldest first (temporary files and `rejected/` left out).
pub fn pending(state_dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir(state_dir)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.')
                && name.ends_with(".json")
                && e.file_type().is_ok_and(|t| t.is_file())
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

/// Delete every queued report; returns how many there were.
pub fn drop_all(state_dir: &Path) -> usize {
    pending(state_dir)
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

/// Move an outbox file into `rejected/`; returns where it went.
fn set_aside(state_dir: &Path, file: &Path) -> Result<PathBuf> {
    let rejected = dir(state_dir).join(REJECTED_DIR);
    std::fs::create_dir_all(&rejected)?;
    let name = file.file_name().context("an outbox file without a name")?;
    let to = rejected.join(name);
    std::fs::rename(file, &to)?;
    sync_dir(&dir(state_dir));
    Ok(to)
}

fn sync_dir(dir: &Path) {
    // Best effort: some file systems cannot open a folder for syncing.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Why delivery stopped before the outbox was empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// No answer, a network error, a timeout or a server error: try again later.
    Unreachable(String),
    /// 401: the server does not know this workspace's token (a new room, or it was reset).
    Unauthorized,
}

/// What one delivery attempt did.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// Reports the server now has (stored now, or already).
    pub sent: usize,
    /// Reports still queued afterwards.
    pub queued: usize,
    /// One line per report set aside.
    pub rejected: Vec<String>,
    pub stop: Option<Stop>,
}

/// Send the queued reports in order until the outbox is empty, `deadline` passes, or the server
/// cannot take them.
pub async fn deliver(state_dir: &Path, joined: &Joined, deadline: Instant) -> Delivery {
    let mut d = Delivery::default();
    let total = deadline.saturating_duration_since(Instant::now());
    let client = match http(total.max(Duration::from_millis(100))) {
        Ok(c) => c,
        Err(e) => {
            d.stop = Some(Stop::Unreachable(e.to_string()));
            d.queued = pending(state_dir).len();
            return d;
        }
    };
    let url = format!("{}/api/report", joined.url);
    for file in pending(state_dir) {
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            // Another dockdojo delivered it meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                d.stop = Some(Stop::Unreachable(format!(
                    "cannot read {}: {e}",
                    file.display()
                )));
                break;
            }
        };
        let report = match serde_json::from_slice::<proto::Report>(&bytes) {
            Ok(r) => r,
            Err(e) => {
                d.rejected.push(aside_line(
                    state_dir,
                    &file,
                    &format!("it is not readable ({e})"),
                ));
                continue;
            }
        };
        let send = client
            .post(&url)
            .bearer_auth(&joined.token)
            .json(&report)
            .send();
        let resp = match tokio::time::timeout_at(deadline, send).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                d.stop = Some(Stop::Unreachable(cause(&e)));
                break;
            }
            Err(_) => {
                d.stop = Some(Stop::Unreachable(format!(
                    "no answer within {:.0} s",
                    total.as_secs_f64().max(1.0)
                )));
                break;
            }
        };
        match resp.status() {
            StatusCode::OK | StatusCode::CONFLICT => {
                match std::fs::remove_file(&file) {
                    Ok(()) => sync_dir(&dir(state_dir)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        d.stop = Some(Stop::Unreachable(format!(
                            "cannot remove the delivered {}: {e}",
                            file.display()
                        )));
                        break;
                    }
                }
                d.sent += 1;
            }
            StatusCode::UNAUTHORIZED => {
                d.stop = Some(Stop::Unauthorized);
                break;
            }
            s @ (StatusCode::BAD_REQUEST
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNPROCESSABLE_ENTITY) => {
                let why = super::api_error(resp).await;
                d.rejected.push(aside_line(
                    state_dir,
                    &file,
                    &format!("the server refused it ({}: {why})", s.as_u16()),
                ));
            }
            s => {
                let why = super::api_error(resp).await;
                d.stop = Some(Stop::Unreachable(format!(
                    "the server answered {}: {why}",
                    s.as_u16()
                )));
                break;
            }
        }
    }
    d.queued = pending(state_dir).len();
    d
}

fn aside_line(state_dir: &Path, file: &Path, why: &str) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    match set_aside(state_dir, file) {
        Ok(to) => format!(
            "workshop: report {name} was set aside in {}: {why}; it will not be sent again",
            to.parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
        Err(e) => format!("workshop: report {name}: {why}; it could not be set aside ({e})"),
    }
}
