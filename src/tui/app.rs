//! The app's state, all in one place: the exercises, which one is selected, the last verdict of
//! each, what is running, which overlay or screen is open. It changes only through
//! [`App::update`] (in `app/update.rs`), which also says what should happen outside (the
//! [`Effect`]s: run a check, save progress…); it does no I/O itself, so it is tested directly.

mod timer;
mod update;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use checker::spec::{Live, Mode};
use checker::Report;

use super::layers_view::LayersView;
use crate::progress::{Progress, Status};
use crate::term::theme::Theme;
use crate::workshop::client::RoomStatus;
use crate::workshop::proto::StartedBy;
pub use timer::Timer;

/// What the app shows about one exercise (built from the catalog).
#[derive(Debug, Clone)]
pub struct ExerciseInfo {
    pub id: String,
    pub title: String,
    pub chapter: u32,
    pub minutes: u32,
    pub mode: Mode,
    /// The task (README.md).
    pub task: String,
    /// Check titles, in order.
    pub checks: Vec<String>,
    pub hints: Vec<String>,
    pub book: String,
    /// The reference solution: (path, contents).
    pub solution: Vec<(String, String)>,
    pub live: Live,
}

impl ExerciseInfo {
    /// Graded on live daemon state, so daemon events re-check it.
    pub fn is_live(&self) -> bool {
        matches!(self.mode, Mode::Live | Mode::Scenario)
    }
}

/// Why a check run started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Key,
    FileSaved(String),
    Daemon(String),
}

impl Trigger {
    pub fn describe(&self) -> String {
        match self {
            Trigger::Key => "on request".into(),
            Trigger::FileSaved(p) => format!("after you saved {p}"),
            Trigger::Daemon(what) => format!("after Docker reported: {what}"),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Report(Report),
    /// Could not check at all (daemon unreachable…).
    Env(String),
    /// A scenario not set up yet: nothing was checked.
    NeedsSetup,
}

#[derive(Debug, Clone)]
pub struct LastRun {
    pub outcome: Outcome,
    pub trigger: Trigger,
}

#[derive(Debug, Clone)]
pub struct Running {
    pub id: String,
    pub trigger: Trigger,
    pub started: Instant,
    /// Updated on each tick, so rendering needs no clock.
    pub elapsed: Duration,
    /// The checks that have their result already, in order.
    pub done: Vec<checker::CheckResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    Hints,
    Solution { scroll: u16 },
    Summary(SummaryKind),
    ConfirmReset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryKind {
    Chapter(u32),
    Course,
    /// Opened by a key, not by a completion.
    Progress,
}

#[derive(Debug, Clone)]
pub enum Screen {
    Main,
    Layers(LayersView),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Task,
    Checks,
}

/// How saved files re-check the current exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// File-system events (inotify, FSEvents…).
    Auto,
    /// Scan the workspace every second (network and some VM file systems send no events).
    Poll,
    /// Only the `c` key checks.
    Manual,
}

impl WatchMode {
    pub fn describe(self) -> &'static str {
        match self {
            WatchMode::Auto => "auto re-check",
            WatchMode::Poll => "auto re-check (polling)",
            WatchMode::Manual => "manual: press c",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerStatus {
    Connecting,
    Connected(String),
    Unreachable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Good,
    Warn,
}

/// Work for the runtime to do outside the state.
#[derive(Debug, Clone)]
pub enum Effect {
    Check { id: String },
    Record(Delta),
    ListImages,
    LoadLayers(String),
    Reset(String),
    OpenBook(String),
    SetWatch(WatchMode),
    ReloadProgress,
}

/// A change to the progress file (applied with a load-change-save, so `dockdojo check` in
/// another terminal is never overwritten).
#[derive(Debug, Clone)]
pub enum Delta {
    /// A verdict, and who started the check (the learner's are attempts for the room).
    Report(Report, StartedBy),
    Hint {
        id: String,
        available: usize,
    },
    Time {
        id: String,
        seconds: u64,
    },
}

pub struct App {
    pub exercises: Vec<ExerciseInfo>,
    pub selected: usize,
    pub progress: Progress,
    pub last: HashMap<String, LastRun>,
    pub running: Option<Running>,
    pub pending: Option<(String, Trigger)>,
    pub overlay: Overlay,
    pub screen: Screen,
    pub focus: Focus,
    pub task_scroll: u16,
    pub checks_scroll: u16,
    pub watch: WatchMode,
    /// Why file watching is off or degraded.
    pub watch_note: Option<String>,
    /// Why daemon events are not arriving, if they are not.
    pub events_note: Option<String>,
    pub docker: DockerStatus,
    pub message: Option<(Level, String)>,
    pub spinner: usize,
    pub theme: Theme,
    pub quit: bool,
    pub timer: Timer,
    pub last_finished: Option<Instant>,
    /// The workshop this workspace joined, as last polled (`None`: not joined).
    pub workshop: Option<RoomStatus>,
}

impl App {
    pub fn new(
        exercises: Vec<ExerciseInfo>,
        progress: Progress,
        selected: usize,
        now: Instant,
    ) -> Self {
        let selected = selected.min(exercises.len().saturating_sub(1));
        let first = exercises.get(selected).map(|e| e.id.clone());
        Self {
            exercises,
            selected,
            progress,
            last: HashMap::new(),
            running: None,
            pending: None,
            overlay: Overlay::None,
            screen: Screen::Main,
            focus: Focus::Checks,
            task_scroll: 0,
            checks_scroll: 0,
            watch: WatchMode::Auto,
            watch_note: None,
            events_note: None,
            docker: DockerStatus::Connecting,
            message: None,
            spinner: 0,
            theme: Theme::from_env(),
            quit: false,
            timer: Timer::new(first, now),
            last_finished: None,
            workshop: None,
        }
    }

    pub fn current(&self) -> Option<&ExerciseInfo> {
        self.exercises.get(self.selected)
    }

    pub fn status(&self, id: &str) -> Status {
        self.progress.status(id)
    }

    /// The mark the list shows: this session's latest verdict when there is one (a pass that
    /// fails again shows ✗), else what the progress file remembers.
    pub fn mark(&self, id: &str) -> Status {
        match self.last.get(id).map(|l| &l.outcome) {
            Some(Outcome::Report(r)) if r.passed => Status::Passed,
            Some(Outcome::Report(r)) if r.first_failure().is_some() => Status::Failing,
            _ => self.status(id),
        }
    }

    pub fn passed_count(&self) -> usize {
        self.exercises
            .iter()
            .filter(|e| self.status(&e.id) == Status::Passed)
            .count()
    }

    pub fn is_running(&self, id: &str) -> bool {
        self.running.as_ref().is_some_and(|r| r.id == id)
    }

    /// Something moves on screen, so the loop should tick.
    pub fn animating(&self) -> bool {
        self.running.is_some() || matches!(&self.screen, Screen::Layers(l) if l.is_busy())
    }

    pub fn hints_used(&self, id: &str) -> usize {
        self.progress
            .exercises
            .get(id)
            .map_or(0, |p| p.hints_used as usize)
    }

    /// Replace the progress with what is on disk (after a save, or another process's write).
    pub fn set_progress(&mut self, p: Progress) {
        self.progress = p;
    }

    /// The instructor has not opened this chapter yet (workshop pacing).
    pub fn locked(&self, chapter: u32) -> bool {
        self.workshop
            .as_ref()
            .and_then(|w| w.view.as_ref())
            .and_then(|v| v.unlocked_through)
            .is_some_and(|open| chapter > open)
    }

    /// The exercise `id` is in a chapter the instructor has not opened yet.
    pub fn exercise_locked(&self, id: &str) -> bool {
        self.exercises
            .iter()
            .find(|e| e.id == id)
            .is_some_and(|e| self.locked(e.chapter))
    }

    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.message = Some((level, text.into()));
    }

    /// The spinner character for the current frame.
    pub fn spinner_char(&self) -> char {
        const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        FRAMES[self.spinner % FRAMES.len()]
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
