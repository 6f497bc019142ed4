//! Everything that can happen to the app arrives as an [`Event`] on one channel (keys, the
//! checker task's answers, saved files, daemon events, ticks); [`map`] turns each into an
//! [`Action`] in one `match`, depending on what is on screen.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, DockerStatus, Overlay, Screen};
use super::layers_view::{ImageRow, LayersView};
use crate::layers::ImageLayers;
use crate::term::input::TermInput;
use crate::workshop::client::RoomStatus;
use checker::Report;

/// An input from the terminal, a task or a timer.
#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Resize,
    Tick,
    /// Hand counted time to the progress file now and then.
    FlushTime,
    Signal,
    CheckDone {
        id: String,
        report: Report,
    },
    CheckFailed {
        id: String,
        error: String,
    },
    /// One check of a running check has its result (in the report's order).
    CheckProgress {
        id: String,
        result: Box<checker::CheckResult>,
    },
    /// A scenario asked to be checked before `dockdojo setup` arranged it.
    NeedsSetup {
        id: String,
    },
    Docker(DockerStatus),
    Images(Result<Vec<ImageRow>, String>),
    Layers {
        image: String,
        result: Result<Box<ImageLayers>, String>,
    },
    /// A file in an exercise folder was saved (path relative to that folder).
    FileSaved {
        exercise: String,
        path: String,
    },
    /// `.dockdojo/progress.json` changed (maybe `dockdojo check` in another terminal).
    ProgressChanged,
    /// The daemon reported changes to names these exercises use.
    Daemon {
        exercises: Vec<String>,
        what: String,
        exec_only: bool,
        /// When the daemon emitted the burst's last event (Unix ms), for the trace.
        at_ms: Option<i64>,
    },
    /// File watching could not start, or stopped.
    WatchProblem(String),
    /// Daemon events stopped (Some) or came back (None).
    EventsProblem(Option<String>),
    /// A job panicked; the panic hook gave the terminal back, the runtime takes it again.
    WorkerPanicked,
    /// The workshop poll's latest view of the room (`None`: the workspace left it).
    Workshop(Option<RoomStatus>),
}

impl From<TermInput> for Event {
    fn from(i: TermInput) -> Self {
        match i {
            TermInput::Key(k) => Event::Key(k),
            TermInput::Resize => Event::Resize,
        }
    }
}

#[derive(Debug)]
pub enum Action {
    Quit,
    Check,
    NextHint,
    ShowSolution,
    AskReset,
    ConfirmReset,
    Close,
    OpenBook,
    Select(isize),
    Help,
    ShowProgress,
    CycleWatch,
    ToggleFocus,
    Scroll(i32),
    OpenLayers,
    LayersMove(isize),
    LayersScroll(i32),
    LayersPick,
    LayersPicker,
    Tick,
    Redraw,
    FlushTime,
    CheckDone {
        id: String,
        report: Report,
    },
    CheckFailed {
        id: String,
        error: String,
    },
    CheckProgress {
        id: String,
        result: Box<checker::CheckResult>,
    },
    NeedsSetup {
        id: String,
    },
    Docker(DockerStatus),
    Images(Result<Vec<ImageRow>, String>),
    LayersLoaded {
        image: String,
        result: Result<Box<ImageLayers>, String>,
    },
    FileSaved {
        exercise: String,
        path: String,
    },
    DaemonChanged {
        exercises: Vec<String>,
        what: String,
        exec_only: bool,
    },
    WatchProblem(String),
    EventsProblem(Option<String>),
    ReloadProgress,
    Workshop(Option<RoomStatus>),
}

impl Action {
    /// Does this show the learner is at work (for time spent)?
    pub fn is_activity(&self) -> bool {
        !matches!(
            self,
            Action::Tick
                | Action::Redraw
                | Action::FlushTime
                | Action::CheckDone { .. }
                | Action::CheckFailed { .. }
                | Action::NeedsSetup { .. }
                | Action::Docker(_)
                | Action::Images(_)
                | Action::LayersLoaded { .. }
                | Action::WatchProblem(_)
                | Action::EventsProblem(_)
                | Action::ReloadProgress
                | Action::Workshop(_)
        )
    }
}

/// What the keys mean right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Main,
    Overlay,
    Scrollable,
    Confirm,
    Picker,
    Explorer,
}

fn context(app: &App) -> Context {
    match (&app.overlay, &app.screen) {
        (Overlay::ConfirmReset, _) => Context::Confirm,
        (Overlay::Solution { .. }, _) => Context::Scrollable,
        (Overlay::None, Screen::Main) => Context::Main,
        (Overlay::None, Screen::Layers(LayersView::Loaded { .. })) => Context::Explorer,
        (Overlay::None, Screen::Layers(_)) => Context::Picker,
        _ => Context::Overlay,
    }
}

/// The one place where events become actions (`None`: nothing to do, e.g. an unbound key).
pub fn map(event: Event, app: &App) -> Option<Action> {
    use Context as C;
    use KeyCode as K;
    let key = match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => k,
        Event::Key(_) => return None,
        Event::Resize | Event::WorkerPanicked => return Some(Action::Redraw),
        Event::Tick => return Some(Action::Tick),
        Event::FlushTime => return Some(Action::FlushTime),
        Event::Signal => return Some(Action::Quit),
        Event::CheckDone { id, report } => return Some(Action::CheckDone { id, report }),
        Event::CheckFailed { id, error } => return Some(Action::CheckFailed { id, error }),
        Event::CheckProgress { id, result } => return Some(Action::CheckProgress { id, result }),
        Event::NeedsSetup { id } => return Some(Action::NeedsSetup { id }),
        Event::Docker(s) => return Some(Action::Docker(s)),
        Event::Images(r) => return Some(Action::Images(r)),
        Event::Layers { image, result } => return Some(Action::LayersLoaded { image, result }),
        Event::FileSaved { exercise, path } => return Some(Action::FileSaved { exercise, path }),
        Event::ProgressChanged => return Some(Action::ReloadProgress),
        Event::Daemon {
            exercises,
            what,
            exec_only,
            ..
        } => {
            return Some(Action::DaemonChanged {
                exercises,
                what,
                exec_only,
            })
        }
        Event::WatchProblem(p) => return Some(Action::WatchProblem(p)),
        Event::EventsProblem(p) => return Some(Action::EventsProblem(p)),
        Event::Workshop(s) => return Some(Action::Workshop(s)),
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match (context(app), key.code) {
        (_, K::Char('c')) if ctrl => Action::Quit,
        (C::Confirm, K::Char('y' | 'Y')) => Action::ConfirmReset,
        (C::Confirm, _) => Action::Close,
        (C::Overlay | C::Scrollable | C::Picker | C::Explorer, K::Esc) => Action::Close,
        (_, K::Char('q')) => Action::Quit,
        (C::Scrollable, K::Down | K::Char('j')) => Action::Scroll(1),
        (C::Scrollable, K::Up | K::Char('k')) => Action::Scroll(-1),
        (C::Scrollable, K::PageDown | K::Char(' ')) => Action::Scroll(10),
        (C::Scrollable, K::PageUp) => Action::Scroll(-10),
        (C::Scrollable | C::Overlay, _) => Action::Close,
        (C::Picker, K::Down | K::Char('j')) => Action::LayersMove(1),
        (C::Picker, K::Up | K::Char('k')) => Action::LayersMove(-1),
        (C::Picker, K::Enter) => Action::LayersPick,
        (C::Explorer, K::Down | K::Char('j')) => Action::LayersMove(1),
        (C::Explorer, K::Up | K::Char('k')) => Action::LayersMove(-1),
        (C::Explorer, K::PageDown | K::Char(' ')) => Action::LayersScroll(10),
        (C::Explorer, K::PageUp) => Action::LayersScroll(-10),
        (C::Explorer, K::Char('i')) => Action::LayersPicker,
        (C::Picker | C::Explorer, K::Char('?')) => Action::Help,
        (C::Picker | C::Explorer, _) => return None,
        (C::Main, K::Char('c') | K::Enter) => Action::Check,
        (C::Main, K::Char('h')) => Action::NextHint,
        (C::Main, K::Char('s')) => Action::ShowSolution,
        (C::Main, K::Char('r')) => Action::AskReset,
        (C::Main, K::Char('b')) => Action::OpenBook,
        (C::Main, K::Down | K::Char('j' | 'n')) => Action::Select(1),
        (C::Main, K::Up | K::Char('k' | 'p')) => Action::Select(-1),
        (C::Main, K::Char('l')) => Action::OpenLayers,
        (C::Main, K::Char('g')) => Action::ShowProgress,
        (C::Main, K::Char('a')) => Action::CycleWatch,
        (C::Main, K::Tab | K::BackTab) => Action::ToggleFocus,
        (C::Main, K::PageDown | K::Char(' ')) => Action::Scroll(5),
        (C::Main, K::PageUp) => Action::Scroll(-5),
        (C::Main, K::Home) => Action::Scroll(i32::MIN / 2),
        (C::Main, K::Char('?')) => Action::Help,
        (C::Main, K::Esc) => Action::Redraw,
        (C::Main, _) => return None,
    })
}
