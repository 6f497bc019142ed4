//! `dockdojo workshop serve`: the instructor's HTTP server (axum) over a SQLite store (WAL).
//!
//! Limits and defences (docs/RELIABILITY.md rule 11):
//! - Connections are served by hyper's HTTP/1 server directly (not `axum::serve`, which has no
//!   header read timeout): a client must send its whole request head within
//!   [`HEADER_READ_TIMEOUT`] (this also closes idle keep-alive connections), at most
//!   [`MAX_CONNECTIONS`] connections are open at once (more wait in the kernel's backlog), and
//!   every API request is answered within [`API_TIMEOUT`] (408 otherwise; a slowly sent body
//!   counts). Bodies above [`proto::MAX_BODY_BYTES`] are a 413.
//! - `Host` must be this server (see [`guard::HostPolicy`]) → else 421; a POST whose `Origin`
//!   is another site → 403.
//! - Per TCP peer address (never `X-Forwarded-For`; see [`limits`] for the numbers): open
//!   connections, board streams and archive downloads are capped; a new connection must send
//!   its first byte within [`limits::FIRST_BYTE_TIMEOUT`]; successful joins are a token bucket.
//!   Wrong join codes past [`guard::JOIN_FAILURES_ALLOWED`] a minute are answered slowly; the
//!   right code is always compared and always joins, so one student behind a venue's NAT cannot
//!   lock the room out.
//! - An archive download holds a slot of [`limits::DOWNLOADS`] (and of the per-address cap) and
//!   must keep moving [`limits::DOWNLOAD_MIN_BYTES_PER_SEC`], or its connection is closed.
//! - Reports are a token bucket per student, and at most [`limits::REPORTS_PER_STUDENT`] are
//!   stored per student. A report names one of the course's exercises and only that exercise's
//!   check ids (doctor steps from [`proto::DOCTOR_STEPS`]), so the projector shows nothing else.
//! - Names are normalised ([`names`]): no invisible-only names, unique in the room.
//! - Students hold a random token (the server stores its SHA-256 only); the instructor and the
//!   projector have their own secrets, kept in the database so a restart keeps them.
//! - Every timestamp is the server's; `client_time` is stored, never used.

pub mod limits;
pub mod names;
pub mod room;

mod guard;

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Query, Request, State,
};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tower_http::services::ServeFile;
use tower_http::timeout::TimeoutLayer;
use tower_service::Service;

use self::guard::{HostPolicy, JoinLimiter};
use self::limits::{addr_key, retry_after_secs, AddrSlot, AddrSlots, Buckets};
use self::room::{Room, RoomConfig};
use super::db::{Db, Inserted};
use super::proto::{
    self, ApiError, ExerciseHead, ImageManifest, JoinRequest, JoinResponse, Message, Moderated,
    Moderation, NewMessage, Pace, Report, ReportAck, ReportKind, RoomView, StudentView,
};
use super::{export, hash_token, normalize_code, random_hex, same_secret, InstructorFile};
use crate::exit::{CmdResult, Exit, Fail};

/// Print a line to stdout; a closed stdout (`serve | head`) must not stop the server.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// The most students a room holds; the next join is a 503 "room is full".
pub const MAX_STUDENTS: usize = 2000;
/// Connections served at once: a full room's students each with a kept-alive connection, and
/// room for the boards and the dashboard (per-address caps keep one laptop from taking them).
pub const MAX_CONNECTIONS: usize = 2 * MAX_STUDENTS + 128;
/// Projector boards (SSE streams) open at once.
pub const MAX_BOARD_STREAMS: usize = 32;
/// Time a client has to send a request head (and the idle limit of a kept-alive connection).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(8);
/// Time to answer an API request, reading its body included.
pub const API_TIMEOUT: Duration = Duration::from_secs(10);
/// The board gets at most one event per this interval.
pub const BOARD_MIN_INTERVAL: Duration = Duration::from_millis(500);
/// The board gets a fresh view at least this often (idle students become "stuck").
const BOARD_REFRESH: Duration = Duration::from_secs(30);
const SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);
/// On Ctrl-C: how long in-flight requests get to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Entries of a report's `failed` list, and characters of each / of a report id.
const MAX_FAILED: usize = 32;
const MAX_CHECK_NAME_CHARS: usize = 100;
const MAX_REPORT_ID_CHARS: usize = 100;
/// Hints per exercise anyone can plausibly open.
const MAX_HINTS: u32 = 1000;

/// The projector page (read-only, fed by `/board/events`).
const BOARD_HTML: &str = include_str!("board.html");
/// The board page may run only its own inline code and talk only to this server.
const BOARD_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
     connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What `workshop serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on, exactly as the instructor named it.
    pub bind: SocketAddr,
    /// Folder for the database and the instructor file.
    pub data: PathBuf,
    /// A course image archive (`prepare --save`) to hand out at /images/archive.
    pub archive: Option<PathBuf>,
    /// Extra host names (or host:port) students may use to reach the server (Host check).
    pub allow_hosts: Vec<String>,
    /// A student counts as stuck after this many failed attempts in a row on one check...
    pub stuck_after: u32,
    /// ...or after this many minutes without a report.
    pub idle_minutes: u64,
    /// Start with the room locked (no new students until the instructor unlocks it).
    pub start_locked: bool,
}

/// Everything the handlers share.
struct App {
    /// Lock order: `db` before `room`.
    db: Mutex<Db>,
    room: Mutex<Room>,
    /// Normalised (see [`normalize_code`]).
    join_code: Mutex<String>,
    /// Per exercise id: its check ids (the only names a report may list as failed).
    checks: HashMap<String, HashSet<String>>,
    joins: Mutex<Buckets<IpAddr>>,
    report_rate: Mutex<Buckets<i64>>,
    board_slots: AddrSlots,
    downloads: Arc<Semaphore>,
    download_slots: AddrSlots,
    instructor_token: String,
    board_key: String,
    hosts: HostPolicy,
    limiter: Mutex<JoinLimiter>,
    /// Bumped on every change of the room; the board streams watch it.
    changes: watch::Sender<u64>,
    /// Becomes true on shutdown: streams end.
    stop: watch::Receiver<bool>,
    boards: Arc<Semaphore>,
    manifest: Option<ImageManifest>,
    /// The data folder (its instructor file follows a new join code).
    data: Option<PathBuf>,
}

type Shared = Arc<App>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl App {
    fn notify(&self) {
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn view(&self) -> RoomView {
        lock(&self.room).view(unix_now())
    }

    fn board_view(&self) -> RoomView {
        lock(&self.room).board_view(unix_now())
    }
}

/// An error answer: a status and an [`ApiError`] body (and `Retry-After` seconds for a 429 or
/// a 503 that will pass).
#[derive(Debug)]
struct ApiErr(StatusCode, String, Option<u64>);

impl ApiErr {
    fn new(status: StatusCode, msg: impl Into<String>) -> Self {
        Self(status, msg.into(), None)
    }
    fn retry(status: StatusCode, msg: impl Into<String>, secs: u64) -> Self {
        Self(status, msg.into(), Some(secs))
    }
    fn bad(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, msg)
    }
    fn internal(e: impl std::fmt::Display) -> Self {
        eprintln!("workshop server: internal error: {e}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not store this; it was not saved, send it again later",
        )
    }
    fn wrong_code() -> Self {
        Self::new(StatusCode::FORBIDDEN, "wrong join code")
    }
    fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not found")
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let mut resp = (self.0, Json(ApiError { error: self.1 })).into_response();
        if let Some(secs) = self.2 {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// A JSON body whose every rejection is a short [`ApiError`]: 413 when too large, else 400
/// (axum alone answers 422 for type errors).
struct ApiJson<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiErr;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> ApiErr {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return json_rejection_too_large();
    }
    match rej {
        JsonRejection::MissingJsonContentType(_) => {
            ApiErr::bad("send the body as JSON (Content-Type: application/json)")
        }
        JsonRejection::JsonSyntaxError(_) => {
            ApiErr::bad(format!("malformed JSON: {}", short(&rej.body_text(), 200)))
        }
        JsonRejection::JsonDataError(_) => {
            ApiErr::bad(format!("invalid request: {}", short(&rej.body_text(), 200)))
        }
        _ => ApiErr::bad(format!(
            "cannot read the request: {}",
            short(&rej.body_text(), 200)
        )),
    }
}

fn json_rejection_too_large() -> ApiErr {
    ApiErr::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "request body too large (the limit is {} bytes)",
            proto::MAX_BODY_BYTES
        ),
    )
}

fn short(s: &str, max: usize) -> String {
    let s = s
        .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        .trim_start_matches("Failed to parse the request body as JSON: ");
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The student a request's `Authorization: Bearer` token belongs to.
struct StudentAuth(i64);

impl FromRequestParts<Shared> for StudentAuth {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Self::Rejection> {
        let id = bearer(parts).and_then(|t| lock(&app.room).student_by_token(&hash_token(t)));
        id.map(Self).ok_or_else(|| {
            ApiErr::new(
                StatusCode::UNAUTHORIZED,
                "unknown or missing student token: join the workshop again with `dockdojo workshop join`",
            )
        })
    }
}

/// A request carrying the instructor token.
struct Instructor;

impl FromRequestParts<Shared> for Instructor {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Self::Rejection> {
        match bearer(parts) {
            Some(t) if same_secret(t, &app.instructor_token) => Ok(Self),
            _ => Err(ApiErr::new(
                StatusCode::UNAUTHORIZED,
                "this needs the instructor token (Authorization: Bearer …, from the instructor file)",
            )),
        }
    }
}

/// Run `f` on a blocking thread (SQLite work never runs on the async runtime).
async fn blocking<T: Send + 'static>(
    app: &Shared,
    f: impl FnOnce(&App) -> Result<T, ApiErr> + Send + 'static,
) -> Result<T, ApiErr> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(ApiErr::internal)?
}

use self::names::is_bidi_control;

/// A display name: normalised ([`names::normalize`]), 1..=MAX_NAME_CHARS characters.
fn valid_name(name: &str) -> Result<String, ApiErr> {
    names::normalize(name).map_err(ApiErr::bad)
}

/// Free text (a message): trimmed, 1..=MAX_TEXT_CHARS, no control characters but newlines/tabs.
fn valid_text(what: &str, text: &str) -> Result<String, ApiErr> {
    let text = text.trim();
    let n = text.chars().count();
    if n == 0 {
        return Err(ApiErr::bad(format!("the {what} is empty")));
    }
    if n > proto::MAX_TEXT_CHARS {
        return Err(ApiErr::bad(format!(
            "the {what} is {n} characters long; the limit is {}",
            proto::MAX_TEXT_CHARS
        )));
    }
    if text
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c))
    {
        return Err(ApiErr::bad(format!(
            "the {what} contains control characters"
        )));
    }
    Ok(text.to_string())
}

/// A short label (report id, check name): 1..=max characters, no control characters.
fn valid_label(what: &str, s: &str, max: usize) -> Result<(), ApiErr> {
    let n = s.chars().count();
    if n == 0 || n > max || s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(ApiErr::bad(format!(
            "{what} must be 1 to {max} characters without control characters"
        )));
    }
    Ok(())
}

fn validate_report(app: &App, r: &mut Report) -> Result<(), ApiErr> {
    valid_label("the report id", &r.id, MAX_REPORT_ID_CHARS)?;
    match (r.kind, &r.exercise) {
        (ReportKind::Check, None) => {
            return Err(ApiErr::bad("a check report names its exercise"));
        }
        (ReportKind::Check, Some(ex)) => {
            if !lock(&app.room).has_exercise(ex) {
                return Err(ApiErr::bad(format!(
                    "unknown exercise `{}`: is this dockdojo the same version as the instructor's?",
                    short(ex, 60)
                )));
            }
        }
        (_, Some(_)) => {
            return Err(ApiErr::bad(
                "only check reports name an exercise (doctor and prepare do not)",
            ));
        }
        (_, None) => {}
    }
    if r.failed.len() > MAX_FAILED {
        return Err(ApiErr::bad(format!(
            "too many failed checks listed ({}; the limit is {MAX_FAILED})",
            r.failed.len()
        )));
    }
    for f in &r.failed {
        valid_label("each failed check", f, MAX_CHECK_NAME_CHARS)?;
    }
    match (r.kind, &r.exercise) {
        // Only the exercise's own check ids: the projector shows these names large.
        (ReportKind::Check, Some(ex)) => {
            let known = app.checks.get(ex);
            if let Some(f) = r
                .failed
                .iter()
                .find(|f| !known.is_some_and(|k| k.contains(f.as_str())))
            {
                return Err(ApiErr::bad(format!(
                    "`{}` is not a check of {ex}: is this dockdojo the same version as the instructor's?",
                    short(f, 60)
                )));
            }
        }
        // Doctor steps this version does not know are kept as "other".
        (ReportKind::Doctor, _) => {
            let mut seen = HashSet::new();
            r.failed = std::mem::take(&mut r.failed)
                .into_iter()
                .map(|f| {
                    if proto::DOCTOR_STEPS.contains(&f.as_str()) {
                        f
                    } else {
                        "other".into()
                    }
                })
                .filter(|f| seen.insert(f.clone()))
                .collect();
        }
        (ReportKind::Prepare, _) if !r.failed.is_empty() => {
            return Err(ApiErr::bad("a prepare report lists no failed checks"));
        }
        _ => {}
    }
    let n = r.summary.chars().count();
    if n > proto::MAX_TEXT_CHARS {
        return Err(ApiErr::bad(format!(
            "the summary is {n} characters long; the limit is {}",
            proto::MAX_TEXT_CHARS
        )));
    }
    // One line for the instructor: control characters become spaces.
    r.summary = r
        .summary
        .chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    if r.hints_used > MAX_HINTS {
        return Err(ApiErr::bad(format!(
            "hints_used {} is not plausible (the limit is {MAX_HINTS})",
            r.hints_used
        )));
    }
    Ok(())
}

async fn join(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<JoinRequest>,
) -> Result<Json<JoinResponse>, ApiErr> {
    let now = Instant::now();
    let right = {
        let code = lock(&app.join_code);
        same_secret(&normalize_code(&req.code), &code)
    };
    if !right {
        // Past the allowance a wrong code is answered slowly; the right one is never refused.
        let slow = {
            let mut limiter = lock(&app.limiter);
            let slow = limiter.is_limited(peer.ip(), now);
            limiter.record_failure(peer.ip(), now);
            slow
        };
        if slow {
            tokio::time::sleep(limits::WRONG_CODE_DELAY).await;
        }
        return Err(ApiErr::wrong_code());
    }
    let name = valid_name(&req.name)?;
    if lock(&app.room).locked {
        return Err(ApiErr::new(
            StatusCode::LOCKED,
            "the room is closed to new students right now: ask the instructor",
        ));
    }
    if let Err(wait) = lock(&app.joins).take(&addr_key(peer.ip()), now) {
        let secs = retry_after_secs(wait);
        return Err(ApiErr::retry(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many joins from your network address just now: try again in {secs} s"),
            secs,
        ));
    }
    let token = random_hex(32);
    let hash = hash_token(&token);
    let at = unix_now();
    let student = blocking(&app, move |app| {
        let mut db = lock(&app.db);
        if lock(&app.room).student_count() >= MAX_STUDENTS {
            return Err(ApiErr::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("room is full ({MAX_STUDENTS} students)"),
            ));
        }
        let name = lock(&app.room).unique_name(&name);
        let id = db.add_student(&name, &hash, at).map_err(ApiErr::internal)?;
        lock(&app.room).add_student(id, name.clone(), hash, at);
        Ok((id, name))
    })
    .await?;
    app.notify();
    Ok(Json(JoinResponse {
        student_id: student.0,
        token,
        name: student.1,
    }))
}

async fn report(
    State(app): State<Shared>,
    StudentAuth(student): StudentAuth,
    ApiJson(mut r): ApiJson<Report>,
) -> Result<Json<ReportAck>, ApiErr> {
    validate_report(&app, &mut r)?;
    // Only what would be stored counts: a refused report costs no disk.
    if let Err(wait) = lock(&app.report_rate).take(&student, Instant::now()) {
        // The outbox keeps it and sends it again later.
        let secs = retry_after_secs(wait);
        return Err(ApiErr::retry(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many reports just now: this one is kept and sent again in {secs} s"),
            secs,
        ));
    }
    let at = unix_now();
    let stored = blocking(&app, move |app| {
        let mut db = lock(&app.db);
        if lock(&app.room).reports_of(student) >= limits::REPORTS_PER_STUDENT {
            return Err(ApiErr::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "this room stores at most {} reports per student, and yours are all stored",
                    limits::REPORTS_PER_STUDENT
                ),
            ));
        }
        match db.add_report(student, &r, at).map_err(ApiErr::internal)? {
            Inserted::Stored => {
                lock(&app.room).apply(student, &r, at);
                Ok(true)
            }
            Inserted::Duplicate => Ok(false),
        }
    })
    .await?;
    if !stored {
        return Err(ApiErr::new(StatusCode::CONFLICT, "duplicate report"));
    }
    app.notify();
    Ok(Json(ReportAck { received_at: at }))
}

async fn student_view(State(app): State<Shared>, _: StudentAuth) -> Json<StudentView> {
    Json(lock(&app.room).student_view())
}

async fn room_view(State(app): State<Shared>, _: Instructor) -> Json<RoomView> {
    Json(app.view())
}

async fn pace(
    State(app): State<Shared>,
    _: Instructor,
    ApiJson(p): ApiJson<Pace>,
) -> Result<Json<RoomView>, ApiErr> {
    if let Some(Some(n)) = p.unlocked_through {
        let last = lock(&app.room).last_chapter();
        if n > last {
            return Err(ApiErr::bad(format!(
                "there is no chapter {n}: the course has chapters 0 to {last} (send null to open everything)"
            )));
        }
    }
    blocking(&app, move |app| {
        let mut db = lock(&app.db);
        db.set_pace(p.unlocked_through, p.on_break)
            .map_err(ApiErr::internal)?;
        let mut room = lock(&app.room);
        if let Some(u) = p.unlocked_through {
            room.unlocked_through = u;
        }
        if let Some(b) = p.on_break {
            room.on_break = b;
        }
        Ok(())
    })
    .await?;
    app.notify();
    Ok(Json(app.view()))
}

async fn message(
    State(app): State<Shared>,
    _: Instructor,
    ApiJson(mut m): ApiJson<NewMessage>,
) -> Result<Json<Message>, ApiErr> {
    m.text = valid_text("message", &m.text)?;
    if let Some(ex) = &m.exercise {
        if !lock(&app.room).has_exercise(ex) {
            return Err(ApiErr::bad(format!("unknown exercise `{}`", short(ex, 60))));
        }
    }
    let at = unix_now();
    let msg = blocking(&app, move |app| {
        let mut db = lock(&app.db);
        let msg = db.add_message(&m, at).map_err(ApiErr::internal)?;
        lock(&app.room).push_message(msg.clone());
        Ok(msg)
    })
    .await?;
    app.notify();
    Ok(Json(msg))
}

/// Remove, rename, merge or hide a student; lock the room; a new join code; retract a message;
/// clear the board's banner.
async fn moderate(
    State(app): State<Shared>,
    _: Instructor,
    ApiJson(m): ApiJson<Moderation>,
) -> Result<Json<Moderated>, ApiErr> {
    let name = match &m {
        Moderation::Rename { name, .. } => Some(valid_name(name)?),
        _ => None,
    };
    let done = blocking(&app, move |app| {
        let mut db = lock(&app.db);
        let known = |id: i64| -> Result<String, ApiErr> {
            lock(&app.room)
                .name_of(id)
                .map(str::to_string)
                .ok_or_else(|| ApiErr::new(StatusCode::NOT_FOUND, format!("no student {id}")))
        };
        let mut code = None;
        let done = match m {
            Moderation::Remove { student } => {
                let who = known(student)?;
                db.remove_student(student).map_err(ApiErr::internal)?;
                rebuild(&db, app)?;
                format!("{who} removed")
            }
            Moderation::Merge { from, into } => {
                if from == into {
                    return Err(ApiErr::bad("merge two different students"));
                }
                let (a, b) = (known(from)?, known(into)?);
                db.merge_students(from, into).map_err(ApiErr::internal)?;
                rebuild(&db, app)?;
                format!("{a} merged into {b}")
            }
            Moderation::Rename { student, .. } => {
                let who = known(student)?;
                let mut room = lock(&app.room);
                // Unique among the others (renaming to one's own name is no change).
                let name = name.unwrap_or_default();
                let fresh = if names::fold(&name) == names::fold(&who) {
                    name
                } else {
                    room.unique_name(&name)
                };
                db.rename_student(student, &fresh)
                    .map_err(ApiErr::internal)?;
                room.rename(student, fresh.clone());
                format!("{who} is now {fresh}")
            }
            Moderation::Hide { student, hidden } => {
                let who = known(student)?;
                db.set_hidden(student, hidden).map_err(ApiErr::internal)?;
                lock(&app.room).set_hidden(student, hidden);
                if hidden {
                    format!("{who} is hidden from the board")
                } else {
                    format!("{who} is shown on the board again")
                }
            }
            Moderation::Lock { locked } => {
                db.note("locked", if locked { "1" } else { "0" })
                    .map_err(ApiErr::internal)?;
                lock(&app.room).locked = locked;
                if locked {
                    "the room is locked: no new students".to_string()
                } else {
                    "the room is open to new students".to_string()
                }
            }
            Moderation::RotateCode => {
                let new = super::new_join_code();
                db.set_join_code(&new).map_err(ApiErr::internal)?;
                *lock(&app.join_code) = normalize_code(&new);
                if let Some(data) = &app.data {
                    let mut file = InstructorFile::load(data).map_err(ApiErr::internal)?;
                    file.join_code = new.clone();
                    write_instructor_file(data, &file).map_err(ApiErr::internal)?;
                }
                code = Some(new.clone());
                format!("new join code {new}: the old one no longer joins")
            }
            Moderation::Retract { message } => {
                if !db.retract_message(message).map_err(ApiErr::internal)? {
                    return Err(ApiErr::new(
                        StatusCode::NOT_FOUND,
                        format!("no message {message}"),
                    ));
                }
                lock(&app.room).retract(message);
                "message retracted".to_string()
            }
            Moderation::ClearBanner => {
                let mut room = lock(&app.room);
                let last = room.latest_message().unwrap_or(0);
                db.note("banner_cleared_through", &last.to_string())
                    .map_err(ApiErr::internal)?;
                room.banner_cleared_through = last;
                "the board shows no message".to_string()
            }
        };
        Ok(Moderated {
            done,
            join_code: code,
        })
    })
    .await?;
    app.notify();
    Ok(Json(done))
}

/// Rebuild the in-memory room from the database (after a removal or a merge).
fn rebuild(db: &Db, app: &App) -> Result<(), ApiErr> {
    let mut room = lock(&app.room);
    let mut fresh = room.fresh();
    db.load_room(&mut fresh).map_err(ApiErr::internal)?;
    *room = fresh;
    Ok(())
}

#[derive(Deserialize)]
struct ExportQuery {
    format: String,
}

async fn export_rows(
    State(app): State<Shared>,
    _: Instructor,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiErr> {
    let format = q.map(|Query(q)| q.format).unwrap_or_default();
    let rows = lock(&app.room).export_rows();
    match format.as_str() {
        "json" => Ok(Json(rows).into_response()),
        "csv" => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            export::to_csv(&rows),
        )
            .into_response()),
        _ => Err(ApiErr::bad("add ?format=csv or ?format=json")),
    }
}

fn board_key_ok(app: &App, q: Result<Query<HashMap<String, String>>, QueryRejection>) -> bool {
    q.ok()
        .and_then(|Query(q)| q.get("key").cloned())
        .is_some_and(|k| same_secret(&k, &app.board_key))
}

async fn board(
    State(app): State<Shared>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    if !board_key_ok(&app, q) {
        return ApiErr::not_found().into_response();
    }
    (
        [
            (header::CONTENT_SECURITY_POLICY, BOARD_CSP),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            // The board key is in the URL: never pass it on.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(BOARD_HTML),
    )
        .into_response()
}

/// Resolves once the server is stopping.
async fn until_stop(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: drop it here.
    let _ = stop.wait_for(|s| *s).await;
}

/// What a board stream carries between events.
struct BoardStream {
    app: Shared,
    changes: watch::Receiver<u64>,
    stop: watch::Receiver<bool>,
    first: bool,
    last: Instant,
    _permit: OwnedSemaphorePermit,
    _slot: AddrSlot,
}

async fn board_events(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    if !board_key_ok(&app, q) {
        return ApiErr::not_found().into_response();
    }
    let Some(slot) = app.board_slots.try_take(peer.ip()) else {
        return ApiErr::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "too many boards open from this address (limit {}): close one",
                limits::BOARD_STREAMS_PER_ADDRESS
            ),
        )
        .into_response();
    };
    let Ok(permit) = app.boards.clone().try_acquire_owned() else {
        return ApiErr::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("too many boards open (limit {MAX_BOARD_STREAMS}): close one"),
        )
        .into_response();
    };
    let st = BoardStream {
        changes: app.changes.subscribe(),
        stop: app.stop.clone(),
        app: app.clone(),
        first: true,
        last: Instant::now(),
        _permit: permit,
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(st, |mut st| async move {
        if st.first {
            st.first = false;
            st.changes.borrow_and_update();
        } else {
            let stopped = tokio::select! {
                r = st.changes.changed() => r.is_err(),
                _ = until_stop(&mut st.stop) => true,
                _ = tokio::time::sleep(BOARD_REFRESH) => false,
            };
            if stopped {
                return None;
            }
            // Coalesce: changes during this wait become one event.
            let due = tokio::time::Instant::from_std(st.last + BOARD_MIN_INTERVAL);
            let stopped = tokio::select! {
                _ = tokio::time::sleep_until(due) => false,
                _ = until_stop(&mut st.stop) => true,
            };
            if stopped {
                return None;
            }
            st.changes.borrow_and_update();
        }
        st.last = Instant::now();
        let view = st.app.board_view();
        let event = Event::default()
            .json_data(&view)
            .unwrap_or_else(|_| Event::default().comment("the room view could not be encoded"));
        Some((Ok::<_, Infallible>(event), st))
    });
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(SSE_KEEP_ALIVE)),
    )
        .into_response()
}

async fn images_manifest(State(app): State<Shared>) -> Result<Json<ImageManifest>, ApiErr> {
    app.manifest.clone().map(Json).ok_or_else(no_archive)
}

fn no_archive() -> ApiErr {
    ApiErr::new(
        StatusCode::NOT_FOUND,
        "this workshop server hands out no image archive: ask the instructor (they restart it with --archive FILE, made by `dockdojo prepare --save FILE`), or run `dockdojo prepare`",
    )
}

async fn no_such_endpoint() -> ApiErr {
    ApiErr::new(StatusCode::NOT_FOUND, "no such endpoint")
}

/// An answer after which the connection is closed: the request's body was not (fully) read, so
/// the connection cannot carry another request. Saying so keeps keep-alive clients from sending
/// their next request into a connection the server is closing.
fn closing(resp: impl IntoResponse) -> Response {
    let mut resp = resp.into_response();
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Host and Origin checks for every request, the whole body read up front (within the size
/// limit and the request deadline, so no handler answers before the body is consumed and every
/// connection stays usable), plus a few safe headers on every answer.
async fn screen(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let resp = screen_inner(&app, req, next).await;
    with_safe_headers(resp)
}

fn with_safe_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

async fn screen_inner(app: &Shared, req: Request, next: Next) -> Response {
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
    else {
        return closing(ApiErr::bad("missing Host header"));
    };
    if !app.hosts.allows(&host) {
        let shown = short(&host, 80);
        return closing(ApiErr::new(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this workshop server does not answer to the host `{shown}`: use the address the instructor shared, or the instructor restarts the server with --allow-host {shown}"
            ),
        ));
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let same = origin
                .to_str()
                .is_ok_and(|o| guard::origin_matches(o, &host));
            if !same {
                return closing(ApiErr::new(
                    StatusCode::FORBIDDEN,
                    "cross-site request refused: its Origin is not this workshop server",
                ));
            }
        }
    }
    // A declared length over the limit is refused before reading anything.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > proto::MAX_BODY_BYTES as u64) {
        return closing(json_rejection_too_large());
    }
    let (parts, body) = req.into_parts();
    let read = tokio::time::timeout(
        API_TIMEOUT,
        axum::body::to_bytes(body, proto::MAX_BODY_BYTES),
    )
    .await;
    let bytes = match read {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            // http-body-util's LengthLimitError: "length limit exceeded".
            let too_large = e.to_string().contains("length limit");
            return closing(if too_large {
                json_rejection_too_large()
            } else {
                ApiErr::bad("the request body could not be read")
            });
        }
        Err(_) => {
            return closing(ApiErr::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request did not arrive in time",
            ))
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn router(app: Shared, archive: Option<&Path>) -> Router {
    let timeout = || TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, API_TIMEOUT);
    let api = Router::new()
        .route("/api/join", post(join))
        .route("/api/report", post(report))
        .route("/api/student", get(student_view))
        .route("/api/room", get(room_view))
        .route("/api/pace", post(pace))
        .route("/api/message", post(message))
        .route("/api/moderate", post(moderate))
        .route("/api/export", get(export_rows))
        .route("/board", get(board))
        .route("/images/manifest", get(images_manifest))
        .layer(DefaultBodyLimit::max(proto::MAX_BODY_BYTES))
        .layer(timeout());
    // Long-lived answers: no request timeout (the stream and the download take as long as
    // they take; the connection limit still holds).
    let long = Router::new().route("/board/events", get(board_events));
    let long = match archive {
        Some(path) => long.merge(
            Router::new()
                .route_service("/images/archive", ServeFile::new(path))
                .layer(axum::middleware::from_fn_with_state(
                    app.clone(),
                    download_guard,
                )),
        ),
        None => long.route("/images/archive", get(|| async { no_archive() })),
    };
    api.merge(long)
        .fallback(no_such_endpoint)
        .layer(axum::middleware::from_fn_with_state(app.clone(), screen))
        .with_state(app)
}

/// Closes its connection when notified (a download too slow to finish).
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

/// The archive route: a download slot (overall and per address) or a 503 with `Retry-After`,
/// then a watch on the bytes sent: less than the minimum rate over a window closes the
/// connection (the client resumes with `Range`).
async fn download_guard(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let busy = |why: &str| {
        ApiErr::retry(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{why}: try again in a moment (`prepare --from` waits and retries by itself)"),
            limits::DOWNLOAD_RETRY_AFTER_SECS,
        )
        .into_response()
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let kill = req.extensions().get::<ConnKill>().cloned();
    let Ok(all) = app.downloads.clone().try_acquire_owned() else {
        return busy("the archive is being downloaded by many students at once");
    };
    let mine = match peer {
        Some(p) => match app.download_slots.try_take(p.ip()) {
            Some(s) => Some(s),
            None => return busy("this address is downloading the archive already"),
        },
        None => None,
    };
    let resp = next.run(req).await;
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let held = (all, mine);
    let (parts, body) = resp.into_parts();
    let stream = body.into_data_stream().map(move |chunk| {
        let _ = &held;
        if let Ok(c) = &chunk {
            counter.fetch_add(c.len() as u64, Ordering::Relaxed);
        }
        chunk
    });
    if let Some(kill) = kill {
        tokio::spawn(watch_download(sent, kill.0, app.stop.clone()));
    }
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Every [`limits::DOWNLOAD_WINDOW`]: fewer bytes than the minimum rate since the last look →
/// close the connection. Ends when the body is gone (finished or dropped).
async fn watch_download(sent: Arc<AtomicU64>, kill: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    let min = limits::DOWNLOAD_MIN_BYTES_PER_SEC * limits::DOWNLOAD_WINDOW.as_secs();
    let mut last = 0;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(limits::DOWNLOAD_WINDOW) => {}
            _ = until_stop(&mut stop) => return,
        }
        if Arc::strong_count(&sent) == 1 {
            return;
        }
        let now = sent.load(Ordering::Relaxed);
        if now.saturating_sub(last) < min {
            kill.notify_one();
            return;
        }
        last = now;
    }
}

/// SHA-256, size and image names of a `docker save` archive.
fn inspect_archive(path: &Path) -> anyhow::Result<ImageManifest> {
    let open = || {
        std::fs::File::open(path).with_context(|| {
            format!(
                "cannot read the image archive {}: make it with `dockdojo prepare --save FILE`",
                path.display()
            )
        })
    };
    let file = open()?;
    let size = file.metadata()?.len();
    let mut hasher = Sha256::new();
    std::io::copy(
        &mut std::io::BufReader::with_capacity(1 << 20, file),
        &mut hasher,
    )
    .with_context(|| format!("cannot read the image archive {}", path.display()))?;
    let sha256 = hex::encode(hasher.finalize());
    let mut images = None;
    let mut archive = tar::Archive::new(open()?);
    let not_save = || {
        anyhow!(
            "{} is not a `docker save` archive (no readable manifest.json): make one with `dockdojo prepare --save FILE`",
            path.display()
        )
    };
    for entry in archive.entries().map_err(|_| not_save())? {
        let entry = entry.map_err(|_| not_save())?;
        let is_manifest = entry
            .path()
            .map(|p| p.to_string_lossy().trim_start_matches("./") == "manifest.json")
            .unwrap_or(false);
        if !is_manifest {
            continue;
        }
        let mut text = String::new();
        entry
            .take(16 << 20)
            .read_to_string(&mut text)
            .map_err(|_| not_save())?;
        let items: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|_| not_save())?;
        let mut names = Vec::new();
        for item in items {
            if let Some(tags) = item.get("RepoTags").and_then(|t| t.as_array()) {
                names.extend(tags.iter().filter_map(|t| t.as_str().map(str::to_string)));
            }
        }
        names.sort();
        names.dedup();
        images = Some(names);
        break;
    }
    let images = images.ok_or_else(not_save)?;
    if images.is_empty() {
        bail!(
            "{}: the archive holds no tagged image; make it with `dockdojo prepare --save FILE`",
            path.display()
        );
    }
    Ok(ImageManifest {
        sha256,
        size,
        images,
    })
}

/// Write the instructor file (mode 0600) atomically.
fn write_instructor_file(data: &Path, f: &InstructorFile) -> anyhow::Result<()> {
    let path = InstructorFile::path(data);
    let tmp = data.join(format!(".{}.tmp", super::INSTRUCTOR_FILE));
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let text = serde_json::to_string_pretty(f)?;
    {
        use std::io::Write;
        let mut file = opts
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        file.write_all(text.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Open files a full room needs: every connection, plus the database, the archive and spare.
const OPEN_FILES_NEEDED: u64 = MAX_CONNECTIONS as u64 + 256;

/// Raise this process's open-file limit to what a full room needs (many systems start at 256 or
/// 1 024); a warning when the system does not allow it.
fn raise_open_files() -> Option<String> {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let lim = getrlimit(Resource::Nofile);
        let now = lim.current.unwrap_or(u64::MAX);
        if now >= OPEN_FILES_NEEDED {
            return None;
        }
        let target = lim
            .maximum
            .map_or(OPEN_FILES_NEEDED, |m| m.min(OPEN_FILES_NEEDED));
        if target > now {
            let _ = setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(target),
                    maximum: lim.maximum,
                },
            );
        }
        let got = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
        if got < OPEN_FILES_NEEDED {
            return Some(format!(
                "warning: this system lets the server open {got} files, and a full room needs {OPEN_FILES_NEEDED}: past about {} students some will wait to connect. Raise the limit (`ulimit -n {OPEN_FILES_NEEDED}` in this shell, or the system's maximum) and start the server again.",
                got.saturating_sub(64) / 2
            ));
        }
    }
    None
}

/// The address this machine uses on its main network (no packet is sent).
fn primary_address(v6: bool) -> Option<IpAddr> {
    let (local, remote) = if v6 {
        ("[::]:0", "[2001:db8::1]:9")
    } else {
        ("0.0.0.0:0", "192.0.2.1:9")
    };
    let s = UdpSocket::bind(local).ok()?;
    s.connect(remote).ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

fn bind_error(addr: SocketAddr, e: std::io::Error) -> Fail {
    use std::io::ErrorKind;
    let msg = match e.kind() {
        ErrorKind::AddrInUse => format!(
            "{addr} is already in use: another server is running there? pick another port with --bind"
        ),
        ErrorKind::AddrNotAvailable => format!(
            "this machine has no address {}: bind to one of its own addresses (see `ip addr` or `ipconfig`), or 0.0.0.0 for all",
            addr.ip()
        ),
        ErrorKind::PermissionDenied => format!(
            "not allowed to listen on {addr} (ports below 1024 need privileges): pick a port like 4040 with --bind"
        ),
        _ => format!("cannot listen on {addr}: {e}"),
    };
    Fail::env(anyhow!(msg))
}

/// `dockdojo workshop serve`.
pub async fn run(opts: ServeOptions) -> CmdResult {
    let catalog = crate::catalog::load().map_err(Fail::usage)?;
    let heads: Vec<ExerciseHead> = catalog
        .iter()
        .map(|e| ExerciseHead {
            id: e.spec.id.clone(),
            chapter: e.spec.chapter,
            title: e.spec.title.clone(),
        })
        .collect();
    let checks: HashMap<String, HashSet<String>> = catalog
        .iter()
        .map(|e| {
            let ids = e.spec.checks.iter().map(|c| c.id.clone()).collect();
            (e.spec.id.clone(), ids)
        })
        .collect();
    drop(catalog);

    if !opts.data.is_dir() {
        std::fs::create_dir_all(&opts.data)
            .with_context(|| format!("cannot create the data folder {}", opts.data.display()))
            .map_err(Fail::env)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&opts.data, std::fs::Permissions::from_mode(0o700));
        }
    }

    if let Some(warning) = raise_open_files() {
        eprintln!("{warning}");
    }
    // Bind first: a port in use is the commonest mistake and is reported at once.
    let listener = tokio::net::TcpListener::bind(opts.bind)
        .await
        .map_err(|e| bind_error(opts.bind, e))?;
    let bound = listener.local_addr()?;

    let db_path = opts.data.join(super::DB_FILE);
    let cfg = RoomConfig {
        stuck_after: opts.stuck_after,
        idle_secs: i64::try_from(opts.idle_minutes.saturating_mul(60)).unwrap_or(i64::MAX),
    };
    let start_locked = opts.start_locked;
    let (db, room, secrets, counts) = tokio::task::spawn_blocking(move || {
        let mut db = Db::open(&db_path)?;
        let (secrets, fresh) = db.secrets()?;
        let counts = db.counts()?;
        if start_locked {
            db.note("locked", "1")?;
        }
        let mut room = Room::new(heads, cfg);
        db.load_room(&mut room)?;
        db.note("last_start", &unix_now().to_string())?;
        anyhow::Ok((db, room, secrets, (counts, fresh)))
    })
    .await
    .map_err(|e| Fail::env(anyhow!("{e}")))?
    .map_err(Fail::env)?;

    let manifest = match &opts.archive {
        Some(path) => {
            say!("Reading the image archive {}…", path.display());
            let p = path.clone();
            let m = tokio::task::spawn_blocking(move || inspect_archive(&p))
                .await
                .map_err(|e| Fail::env(anyhow!("{e}")))?
                .map_err(Fail::usage)?;
            Some(m)
        }
        None => None,
    };

    let local_ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let local_url = format!("http://{}", guard::authority(local_ip, bound.port()));
    let file = InstructorFile {
        url: local_url.clone(),
        instructor_token: secrets.instructor_token.clone(),
        join_code: secrets.join_code.clone(),
        board_key: secrets.board_key.clone(),
    };
    write_instructor_file(&opts.data, &file).map_err(Fail::env)?;

    let (changes, _) = watch::channel(0u64);
    let (stop_tx, stop_rx) = watch::channel(false);
    let app = Arc::new(App {
        db: Mutex::new(db),
        room: Mutex::new(room),
        join_code: Mutex::new(normalize_code(&secrets.join_code)),
        checks,
        joins: Mutex::new(Buckets::new(limits::JOIN_BURST, limits::JOINS_PER_SEC)),
        report_rate: Mutex::new(Buckets::new(limits::REPORT_BURST, limits::REPORTS_PER_SEC)),
        board_slots: AddrSlots::new(limits::BOARD_STREAMS_PER_ADDRESS),
        downloads: Arc::new(Semaphore::new(limits::DOWNLOADS)),
        download_slots: AddrSlots::new(limits::DOWNLOADS_PER_ADDRESS),
        instructor_token: secrets.instructor_token.clone(),
        board_key: secrets.board_key.clone(),
        hosts: HostPolicy::new(bound, &opts.allow_hosts),
        limiter: Mutex::new(JoinLimiter::default()),
        changes,
        stop: stop_rx.clone(),
        boards: Arc::new(Semaphore::new(MAX_BOARD_STREAMS)),
        manifest: manifest.clone(),
        data: Some(opts.data.clone()),
    });
    let router = router(app.clone(), opts.archive.as_deref());

    print_banner(
        &opts,
        bound,
        &local_url,
        &secrets,
        counts,
        manifest.as_ref(),
    );

    serve(listener, router, stop_tx, stop_rx).await;
    let (students, reports) = {
        let room = lock(&app.room);
        (room.student_count(), room.report_count())
    };
    say!(
        "Workshop server stopped ({students} students, {reports} reports saved in {}). Run the same command to resume.",
        opts.data.display()
    );
    Ok(Exit::Ok)
}

fn print_banner(
    opts: &ServeOptions,
    bound: SocketAddr,
    local_url: &str,
    secrets: &super::db::Secrets,
    ((students, reports), fresh): ((u64, u64), bool),
    manifest: Option<&ImageManifest>,
) {
    if !fresh {
        say!("resuming workshop ({students} students, {reports} reports)");
    }
    say!("dockdojo workshop server listening on {bound}");
    let port = bound.port();
    let ip = bound.ip();
    let mut student_urls = Vec::new();
    if ip.is_unspecified() {
        eprintln!(
            "warning: listening on every network of this machine ({ip}): anyone who can reach any of them (shared Wi-Fi, VPN, container networks) can reach this server, and the join code is all that stands in the way. Prefer --bind <your classroom address>:{port}."
        );
        if let Some(a) = primary_address(ip.is_ipv6()) {
            student_urls.push(format!("http://{}", guard::authority(a, port)));
        }
    } else if ip.is_loopback() {
        student_urls.push(local_url.to_string());
    } else {
        student_urls.push(format!("http://{}", guard::authority(ip, port)));
    }
    say!();
    if student_urls.is_empty() {
        say!(
            "Students join with (use this machine's classroom address, see `ip addr` or `ipconfig`):"
        );
        student_urls.push(format!("http://<your-address>:{port}"));
    } else {
        say!("Students join with:");
    }
    for u in &student_urls {
        say!(
            "    dockdojo workshop join {u} {} --name \"Your Name\"",
            secrets.join_code
        );
    }
    if ip.is_unspecified() {
        say!(
            "  (that is this machine's address on its main network; if the room is on another network, use this machine's address there)"
        );
    }
    if ip.is_loopback() {
        say!(
            "  (127.0.0.1: only this machine can reach it; for a classroom, use --bind <your LAN address>:{port})"
        );
    }
    say!("Join code: {}", secrets.join_code);
    if let Some(m) = manifest {
        say!(
            "Course images for `dockdojo prepare --from {}`: {} ({} MB, sha256 {})",
            student_urls[0],
            m.images.join(", "),
            m.size / 1_000_000,
            m.sha256
        );
        say!(
            "  Students pin it, so nothing else is loaded: dockdojo prepare --from {} --sha256 {}",
            student_urls[0],
            m.sha256
        );
    }
    say!(
        "Projector board (read-only; anyone with this link sees names): {local_url}/board?key={}",
        secrets.board_key
    );
    say!(
        "Instructor file (for `workshop dash` and `workshop export`; keep it private): {}",
        InstructorFile::path(&opts.data).display()
    );
    say!(
        "Serving. Stop with Ctrl-C; every acknowledged report is on disk and the same command resumes the room."
    );
}

/// The accept loop: hyper HTTP/1 with a header read timeout, a connection cap, and a graceful
/// stop on Ctrl-C / SIGTERM.
async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    stop_tx: watch::Sender<bool>,
    stop_rx: watch::Receiver<bool>,
) {
    let conns = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let per_addr = AddrSlots::new(limits::CONNECTIONS_PER_ADDRESS);
    let mut signal = std::pin::pin!(crate::interrupt::signal());
    let mut seen_errors = HashSet::new();
    loop {
        let permit = tokio::select! {
            _ = &mut signal => break,
            p = conns.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = &mut signal => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: say so once, breathe, go on.
                    if seen_errors.insert(e.kind()) {
                        eprintln!("workshop server: cannot accept a connection: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // Over its address's share: closed at once, before any byte is read.
        let Some(slot) = per_addr.try_take(peer.ip()) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _slot = slot;
            // A connection that says nothing is closed quickly (idle and slowloris floods).
            let mut first = [0u8; 1];
            match tokio::time::timeout(limits::FIRST_BYTE_TIMEOUT, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let kill = ConnKill(Arc::new(Notify::new()));
            let killed = kill.0.clone();
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req.extensions_mut().insert(kill.clone());
                    let mut router = router.clone();
                    async move { router.call(req.map(Body::new)).await }
                },
            );
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(64 * 1024);
            let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                // Dropping the connection closes the socket.
                _ = killed.notified() => {}
                _ = until_stop(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
                }
            }
        });
    }
    drop(listener);
    eprintln!("\nStopping: finishing the requests in flight…");
    let _ = stop_tx.send(true);
    let all = u32::try_from(MAX_CONNECTIONS).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(
        SHUTDOWN_GRACE + Duration::from_secs(1),
        conns.acquire_many(all),
    )
    .await;
}
