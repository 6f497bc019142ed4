//! The student side of a workshop: join, the on-disk outbox of reports (delivered in the
//! background, never lost or duplicated), the room view, and `prepare --from URL`.
//!
//! Joining writes `.dockdojo/workshop.json` (the server's URL and this student's token, mode
//! 0600). From then on `check`, `doctor` and `prepare` queue a report in the outbox and try to
//! deliver it within a short deadline: a dead server never makes a learner wait, and what could
//! not be sent goes out with the next report, `workshop sync`, or the course app's poll.

mod archive;
pub mod outbox;
mod view;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::proto;
use crate::exit::{CmdResult, Exit, Fail};
use crate::workspace::Workspace;
pub use outbox::{Delivery, Stop};
pub use view::*;

/// In the state folder: the workshop this workspace joined.
pub const WORKSHOP_FILE: &str = "workshop.json";
/// How long `check`, `doctor` and `prepare` may spend delivering reports.
pub const QUICK_DELIVERY: Duration = Duration::from_secs(2);
/// How long `workshop sync` may spend delivering reports.
pub const SYNC_DELIVERY: Duration = Duration::from_secs(10);
/// Longest summary line sent with a report (characters).
const SUMMARY_CHARS: usize = 200;

/// `.dockdojo/workshop.json`: where to report, and as whom.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Joined {
    /// The server's base URL (normalised: a scheme, no trailing slash).
    pub url: String,
    pub student_id: i64,
    pub name: String,
    /// The per-student secret (sent as `Authorization: Bearer`).
    pub token: String,
}

impl Joined {
    /// `.dockdojo/workshop.json`.
    pub fn path(state_dir: &Path) -> PathBuf {
        state_dir.join(WORKSHOP_FILE)
    }

    /// The workshop this workspace joined; `None` if it joined none.
    pub fn load(state_dir: &Path) -> Result<Option<Self>> {
        let p = Self::path(state_dir);
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", p.display())),
        };
        serde_json::from_str(&text).map(Some).with_context(|| {
            format!(
                "{} is not valid; run `dockdojo workshop join URL CODE --name NAME` again",
                p.display()
            )
        })
    }

    /// Write atomically (temp file, fsync, rename, fsync the folder), readable only by the user.
    pub fn save(&self, state_dir: &Path) -> Result<()> {
        std::fs::create_dir_all(state_dir)?;
        let p = Self::path(state_dir);
        let mut tmp = tempfile::Builder::new()
            .prefix(".workshop-")
            .tempfile_in(state_dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        tmp.write_all(&serde_json::to_vec_pretty(self)?)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&p)
            .map_err(|e| e.error)
            .with_context(|| format!("saving {}", p.display()))?;
        if let Ok(d) = std::fs::File::open(state_dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// A URL as typed, with a scheme (`http://` if none) and no trailing slash.
pub fn normalize_url(url: &str) -> Result<String> {
    let u = url.trim().trim_end_matches('/');
    if u.is_empty() {
        bail!("give the workshop server's URL, as the instructor shows it (e.g. http://192.168.1.20:4040)");
    }
    let u = if u.contains("://") {
        u.to_string()
    } else {
        format!("http://{u}")
    };
    let parsed = reqwest::Url::parse(&u).map_err(|e| {
        anyhow::anyhow!("{url:?} is not a URL ({e}); it looks like http://192.168.1.20:4040")
    })?;
    if parsed.scheme() != "http" {
        bail!(
            "{url:?}: the workshop server speaks plain http on the room's network; use http://{}",
            parsed.host_str().unwrap_or("HOST:PORT")
        );
    }
    Ok(u)
}

/// An HTTP client for the room's server: no proxy (the server is on the local network).
fn http(timeout: Duration) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .no_proxy()
        .build()?)
}

/// The innermost cause of a request error ("Connection refused (os error 111)").
fn cause(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer in time".into();
    }
    let mut inner: &dyn std::error::Error = e;
    while let Some(s) = inner.source() {
        inner = s;
    }
    let text = inner.to_string();
    if e.is_decode() {
        format!("the answer is not what a dockdojo workshop server sends ({text})")
    } else {
        text
    }
}

/// The `error` of an [`proto::ApiError`] answer, else the body's first line.
async fn api_error(resp: reqwest::Response) -> String {
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    match serde_json::from_str::<proto::ApiError>(&body) {
        Ok(e) => e.error,
        Err(_) => {
            let line = body.lines().next().unwrap_or("").trim();
            if line.is_empty() {
                status.canonical_reason().unwrap_or("no reason").to_string()
            } else {
                truncate(line, SUMMARY_CHARS)
            }
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn not_joined() -> Fail {
    Fail::usage(anyhow::anyhow!(
        "this workspace has not joined a workshop (`dockdojo workshop join URL CODE --name NAME`)"
    ))
}

fn unauthorized_line() -> &'static str {
    "the workshop server does not know this workspace any more (run `dockdojo workshop join` again)"
}

/// `workshop join URL CODE --name NAME`: joins the room at `url` with its join code, as `name`; stores the token in this workspace.
pub async fn join(url: String, code: String, name: String) -> CmdResult {
    let ws = Workspace::find().map_err(Fail::usage)?;
    let state = ws.state_dir();
    let url = normalize_url(&url).map_err(Fail::usage)?;
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err(Fail::usage(anyhow::anyhow!(
            "give the name the instructor will see: `--name \"Ada L.\"`"
        )));
    }
    let client = http(Duration::from_secs(10)).map_err(Fail::env)?;
    let resp = client
        .post(format!("{url}/api/join"))
        .json(&proto::JoinRequest { code, name })
        .send()
        .await
        .map_err(|e| {
            Fail::env(anyhow::anyhow!(
                "cannot reach the workshop server at {url}: {}. Is the URL right and are you on the room's network?",
                cause(&e)
            ))
        })?;
    let joined = match resp.status() {
        StatusCode::OK => {
            let r: proto::JoinResponse = resp.json().await.map_err(|e| {
                Fail::env(anyhow::anyhow!(
                    "the server at {url} did not answer like a dockdojo workshop server: {}",
                    cause(&e)
                ))
            })?;
            Joined {
                url: url.clone(),
                student_id: r.student_id,
                name: r.name,
                token: r.token,
            }
        }
        StatusCode::FORBIDDEN => {
            let why = api_error(resp).await;
            return Err(Fail::usage(anyhow::anyhow!(
                "the server refused the join code ({why}): check it on the instructor's screen; the right code always joins"
            )));
        }
        StatusCode::TOO_MANY_REQUESTS => {
            let why = api_error(resp).await;
            return Err(Fail::env(anyhow::anyhow!(
                "the workshop server is busy with joins from your network: {why}"
            )));
        }
        s @ (StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE) => {
            let why = api_error(resp).await;
            return Err(Fail::usage(anyhow::anyhow!(
                "the workshop server refused to let you join ({}): {why}",
                s.as_u16()
            )));
        }
        s => {
            let why = api_error(resp).await;
            return Err(Fail::env(anyhow::anyhow!(
                "the workshop server at {url} answered {}: {why}",
                s.as_u16()
            )));
        }
    };
    // Reports queued for another room are not this room's business.
    if let Ok(Some(before)) = Joined::load(&state) {
        if before.url != joined.url {
            let dropped = outbox::drop_all(&state);
            if dropped > 0 {
                println!(
                    "Dropped {dropped} report(s) queued for the workshop at {}.",
                    before.url
                );
            }
        }
    }
    joined.save(&state).map_err(Fail::env)?;
    println!(
        "Joined the workshop at {} as {} (student {}).",
        joined.url, joined.name, joined.student_id
    );
    println!("Your check, doctor and prepare results are now reported to the instructor in the background; `dockdojo workshop leave` stops it.");
    let deadline = Instant::now() + QUICK_DELIVERY;
    if !outbox::pending(&state).is_empty() {
        let d = outbox::deliver(&state, &joined, deadline).await;
        print_delivery(&d);
    }
    match student_view(&joined, Duration::from_secs(5)).await {
        Ok(v) => print_view(&v),
        Err(e) => eprintln!("workshop: could not fetch the room's pacing yet: {e}"),
    }
    Ok(Exit::Ok)
}

/// `workshop sync`: deliver queued reports now and show the room's state.
pub async fn sync() -> CmdResult {
    let ws = Workspace::find().map_err(Fail::usage)?;
    let state = ws.state_dir();
    let joined = Joined::load(&state)
        .map_err(Fail::usage)?
        .ok_or_else(not_joined)?;
    let before = outbox::pending(&state).len();
    let d = outbox::deliver(&state, &joined, Instant::now() + SYNC_DELIVERY).await;
    for line in &d.rejected {
        eprintln!("{line}");
    }
    match &d.stop {
        Some(Stop::Unauthorized) => {
            return Err(Fail::usage(anyhow::anyhow!(
                "{}; {} report(s) kept",
                unauthorized_line(),
                d.queued
            )))
        }
        Some(Stop::Unreachable(why)) => {
            eprintln!(
                "workshop: cannot reach the server at {} ({why}); {} report(s) queued, sent when it is back (run `dockdojo workshop sync` again)",
                joined.url, d.queued
            );
            return Ok(Exit::Env);
        }
        None => {}
    }
    if before > 0 {
        println!("Delivered {} queued report(s) to {}.", d.sent, joined.url);
    } else {
        println!("Nothing was queued; connected to {}.", joined.url);
    }
    match student_view(&joined, Duration::from_secs(5)).await {
        Ok(v) => {
            print_view(&v);
            Ok(if d.queued == 0 { Exit::Ok } else { Exit::Env })
        }
        Err(e) => {
            eprintln!("workshop: could not fetch the room's pacing: {e}");
            Ok(Exit::Env)
        }
    }
}

/// `workshop leave`: forget the workshop in this workspace (queued reports are dropped).
pub fn leave() -> CmdResult {
    let ws = Workspace::find().map_err(Fail::usage)?;
    let state = ws.state_dir();
    let joined = match Joined::load(&state) {
        Ok(Some(j)) => Some(j),
        Ok(None) => return Err(not_joined()),
        // An unreadable file is removed all the same.
        Err(_) => None,
    };
    std::fs::remove_file(Joined::path(&state))?;
    let dropped = outbox::drop_all(&state);
    match joined {
        Some(j) => println!(
            "Left the workshop at {}; nothing is reported any more.",
            j.url
        ),
        None => println!("Left the workshop; nothing is reported any more."),
    }
    println!("{dropped} queued report(s) were dropped.");
    Ok(Exit::Ok)
}

/// The one-line outcome of a delivery attempt for the CLI (nothing when all went out).
fn print_delivery(d: &Delivery) {
    for line in &d.rejected {
        eprintln!("{line}");
    }
    match &d.stop {
        Some(Stop::Unauthorized) => {
            eprintln!(
                "workshop: {}; {} report(s) kept",
                unauthorized_line(),
                d.queued
            )
        }
        Some(Stop::Unreachable(_)) => eprintln!(
            "workshop: server unreachable; {} report(s) queued, sent when it is back",
            d.queued
        ),
        None => {}
    }
}

/// Queue a report for the workshop this workspace joined (no-op if none) and try to deliver
/// the outbox within a short deadline. Never fails the caller: problems become a stderr line.
/// True when the server took the reports (so it is worth asking for the room's state).
pub async fn report(state_dir: &Path, report: proto::Report) -> bool {
    let joined = match Joined::load(state_dir) {
        Ok(Some(j)) => j,
        Ok(None) => return false,
        Err(e) => {
            eprintln!("workshop: {e:#}");
            return false;
        }
    };
    if let Err(e) = outbox::queue(state_dir, &report) {
        eprintln!("workshop: could not queue the report: {e:#}");
        return false;
    }
    let d = outbox::deliver(state_dir, &joined, Instant::now() + QUICK_DELIVERY).await;
    print_delivery(&d);
    d.stop.is_none()
}

/// [`report`] from the current directory's workspace, if there is one (doctor and prepare
/// also run outside workspaces).
pub async fn report_here(r: proto::Report) {
    if let Ok(ws) = Workspace::find() {
        let _ = report(&ws.state_dir(), r).await;
    }
}

fn client_time() -> Option<i64> {
    i64::try_from(crate::progress::now()).ok()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The report for one graded exercise, with the hints opened and the seconds the course app
/// measured on it so far (0: none measured, sent as absent).
/// `started_by` says whether the learner asked for the check (only those are attempts).
pub fn check_report(
    r: &checker::Report,
    hints_used: u32,
    time_spent_s: u64,
    started_by: proto::StartedBy,
) -> proto::Report {
    let failed: Vec<&checker::CheckResult> = r
        .checks
        .iter()
        .filter(|c| {
            matches!(
                c.status(),
                checker::report::Status::Failed | checker::report::Status::Error
            )
        })
        .collect();
    let summary = match (r.passed, failed.first()) {
        (true, _) => "passed".to_string(),
        (false, Some(c)) => {
            let actual = c.actual.lines().next().unwrap_or("").trim();
            let line = if actual.is_empty() {
                format!("{}: {}", c.id, c.title)
            } else {
                format!("{}: {} (got: {actual})", c.id, c.title)
            };
            truncate(&line, SUMMARY_CHARS)
        }
        (false, None) => "failed".to_string(),
    };
    proto::Report {
        id: new_id(),
        kind: proto::ReportKind::Check,
        exercise: Some(r.exercise.clone()),
        passed: r.passed,
        failed: failed.iter().map(|c| c.id.clone()).collect(),
        summary,
        hints_used,
        client_time: client_time(),
        time_spent_s: (time_spent_s > 0).then_some(time_spent_s),
        started_by,
    }
}

/// The report for `doctor`: the names of the failed steps, the first failure as the summary.
pub fn doctor_report(steps: &[(&str, bool, &str)]) -> proto::Report {
    let mut failed: Vec<String> = Vec::new();
    for (name, ok, _) in steps {
        if !ok && !failed.iter().any(|f| f == name) {
            failed.push(name.to_string());
        }
    }
    let summary = steps
        .iter()
        .find(|(_, ok, _)| !ok)
        .map(|(name, _, detail)| truncate(&format!("{name}: {detail}"), SUMMARY_CHARS))
        .unwrap_or_else(|| "Docker is ready for the course".into());
    proto::Report {
        id: new_id(),
        kind: proto::ReportKind::Doctor,
        exercise: None,
        passed: failed.is_empty(),
        failed,
        summary,
        hints_used: 0,
        client_time: client_time(),
        time_spent_s: None,
        started_by: proto::StartedBy::Learner,
    }
}

/// The report for `prepare`: which images and how, or the error.
pub fn prepare_report(passed: bool, summary: &str) -> proto::Report {
    proto::Report {
        id: new_id(),
        kind: proto::ReportKind::Prepare,
        exercise: None,
        passed,
        failed: vec![],
        summary: truncate(summary.lines().next().unwrap_or(""), SUMMARY_CHARS),
        hints_used: 0,
        client_time: client_time(),
        time_spent_s: None,
        started_by: proto::StartedBy::Learner,
    }
}

/// Download the instructor's image archive (resumable, verified by SHA-256: the one the
/// instructor shows when given, else the server's manifest) and return its path.
pub async fn fetch_archive(url: &str, sha256: Option<&str>) -> anyhow::Result<PathBuf> {
    let dir = archive::cache_dir()?;
    archive::fetch_pinned(url, sha256, &dir, &mut |line| eprintln!("{line}")).await
}

#[cfg(test)]
mod tests;
