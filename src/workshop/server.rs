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
//! - Names are normalised ([`names`](super::names)): no invisible-only names, unique in the room.
//! - Students hold a random token (the server stores its SHA-256 only); the instructor and the
//!   projector have their own secrets, kept in the database so a restart keeps them.
//! - Every timestamp is the server's; `client_time` is stored, never used.

/// Print a line to stdout; a closed stdout (`serve | head`) must not stop the server.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

mod api;
mod banner;
mod board;
mod download;
mod guard;
mod http;
mod join_screen;
pub mod limits;
mod listen;
mod routes;
mod validate;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context};
use tokio::sync::{watch, Semaphore};

use self::banner::print_banner;
use self::download::inspect_archive;
use self::guard::{HostPolicy, JoinLimiter};
use self::join_screen::JoinInfo;
use self::limits::{AddrSlots, Buckets};
use self::listen::{bind_error, raise_open_files, serve};
use self::routes::router;
use crate::exit::{CmdResult, Exit, Fail};
use crate::workshop::db::Db;
use crate::workshop::proto::{BoardView, ExerciseHead, ImageManifest, RoomView};
use crate::workshop::room::{Room, RoomConfig};
use crate::workshop::{normalize_code, InstructorFile};

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

/// On Ctrl-C: how long in-flight requests get to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
    /// The join code as people are given it (dashes included), for the board's join screen.
    join_code_shown: Mutex<String>,
    /// The rest of the board's join screen (address, QR code, archive line).
    join_info: JoinInfo,
    /// Per exercise id: its check ids (the only names a report may list as failed).
    checks: HashMap<String, HashSet<String>>,
    joins: Mutex<Buckets<IpAddr>>,
    report_rate: Mutex<Buckets<i64>>,
    board_slots: AddrSlots,
    downloads: Arc<Semaphore>,
    download_slots: AddrSlots,
    instructor_token: String,
    /// Follows a rotation (`Moderation::RotateBoardKey`); open boards check it on every event.
    board_key: Mutex<String>,
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

    /// What the board's stream carries: the room without hidden students, and the join screen.
    fn board_view(&self) -> BoardView {
        let room = lock(&self.room).board_view(unix_now());
        let join = self.join_info.screen(&lock(&self.join_code_shown));
        BoardView { room, join }
    }
}

/// Resolves once the server is stopping.
async fn until_stop(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: drop it here.
    let _ = stop.wait_for(|s| *s).await;
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
    let student = join_screen::student_url(bound, &local_url);
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
        join_code_shown: Mutex::new(secrets.join_code.clone()),
        join_info: JoinInfo::new(student.clone(), bound.port(), manifest.as_ref()),
        checks,
        joins: Mutex::new(Buckets::new(limits::JOIN_BURST, limits::JOINS_PER_SEC)),
        report_rate: Mutex::new(Buckets::new(limits::REPORT_BURST, limits::REPORTS_PER_SEC)),
        board_slots: AddrSlots::new(limits::BOARD_STREAMS_PER_ADDRESS),
        downloads: Arc::new(Semaphore::new(limits::DOWNLOADS)),
        download_slots: AddrSlots::new(limits::DOWNLOADS_PER_ADDRESS),
        instructor_token: secrets.instructor_token.clone(),
        board_key: Mutex::new(secrets.board_key.clone()),
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
        student.as_deref(),
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
