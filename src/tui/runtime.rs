//! The app's loop: draw, wait for the next event (a key, a task's answer, a saved file, a daemon
//! event, a tick while something moves, a signal), map it to an action, update the state, and
//! carry out the effects. Idle, it sleeps: no ticks unless a spinner is on screen.

use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::action::{self, Event};
use super::app::{App, Delta, Effect, Level, WatchMode};
use super::room::Room;
use super::trace::Trace;
use super::watch::{self, Watch};
use super::worker::{Job, Worker};
use super::{daemon, ui};
use crate::aftercheck;
use crate::catalog::{self, Entry};
use crate::progress::Store;
use crate::term::input::Input;
use crate::term::signals::Signals;
use crate::workspace::Workspace;
use checker::docker::cleanup::Cleaned;

const TICK: Duration = Duration::from_millis(100);
/// How often counted time is written to the progress file.
const FLUSH_EVERY: Duration = Duration::from_secs(60);

pub struct Runtime {
    ws: Workspace,
    entries: Vec<Entry>,
    store: Store,
    worker: Worker,
    tx: UnboundedSender<Event>,
    watch: Option<Watch>,
    daemon: JoinHandle<()>,
    input: Option<Input>,
    trace: Trace,
    room: Room,
}

/// Start the tasks, check the current exercise, and run until the learner quits.
pub async fn run(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    ws: Workspace,
    entries: Vec<Entry>,
    store: Store,
) -> (std::io::Result<()>, Runtime) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watched = entries
        .iter()
        .filter(|e| !matches!(e.spec.mode, checker::spec::Mode::Build))
        .map(|e| (e.id().to_string(), e.spec.live.clone()))
        .collect();
    let room = Room::spawn(ws.state_dir(), tx.clone());
    let mut rt = Runtime {
        ws,
        entries,
        store,
        worker: Worker::spawn(tx.clone()),
        watch: None,
        daemon: daemon::spawn(watched, tx.clone()),
        input: None,
        tx: tx.clone(),
        trace: Trace::from_env(),
        room,
    };
    rt.input = match Input::spawn(tx, "dockdojo-input") {
        Ok(i) => Some(i),
        Err(e) => return (Err(e), rt),
    };
    rt.set_watch(app.watch, app);
    // Quiet until asked: opening the app only connects. The first look at an exercise says
    // "not checked yet"; a key, a saved file or the learner's docker commands check it.
    rt.worker.send(Job::Connect);
    let result = rt.event_loop(terminal, app, &mut rx).await;
    (result, rt)
}

impl Runtime {
    async fn event_loop(
        &mut self,
        terminal: &mut DefaultTerminal,
        app: &mut App,
        rx: &mut UnboundedReceiver<Event>,
    ) -> std::io::Result<()> {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut flush =
            tokio::time::interval_at(tokio::time::Instant::now() + FLUSH_EVERY, FLUSH_EVERY);
        let mut signals = Signals::new()?;
        let mut verdict: Option<String> = None;
        loop {
            terminal.draw(|f| ui::render(f, app))?;
            if let Some(v) = verdict.take() {
                self.trace.log(&format!("drawn {v}"));
            }
            #[cfg(debug_assertions)]
            if std::env::var_os("DOCKDOJO_TEST_PANIC").is_some() {
                panic!("DOCKDOJO_TEST_PANIC is set: panicking on purpose to test terminal restore");
            }
            let ev = tokio::select! {
                ev = rx.recv() => match ev {
                    Some(ev) => ev,
                    None => return Ok(()),
                },
                _ = tick.tick(), if app.animating() => Event::Tick,
                _ = flush.tick() => Event::FlushTime,
                _ = signals.recv() => Event::Signal,
            };
            match &ev {
                Event::WorkerPanicked => reenter(terminal)?,
                Event::FileSaved { exercise, path } => {
                    self.trace.log(&format!("file-saved {exercise}/{path}"))
                }
                Event::Daemon { what, at_ms, .. } => {
                    let at = at_ms
                        .map(|t| format!(" (emitted at {t})"))
                        .unwrap_or_default();
                    self.trace.log(&format!("daemon {what}{at}"));
                }
                Event::CheckDone { id, report } => {
                    let v = format!("{id} {}", if report.passed { "passed" } else { "failed" });
                    self.trace
                        .log(&format!("verdict {v} in {} ms", report.duration_ms));
                    verdict = Some(v);
                }
                _ => {}
            }
            let now = Instant::now();
            if let Some(action) = action::map(ev, app) {
                for effect in app.update(action, now) {
                    self.execute(effect, app);
                }
            }
            if app.quit {
                return Ok(());
            }
        }
    }

    fn execute(&mut self, effect: Effect, app: &mut App) {
        match effect {
            Effect::Check { id } => {
                self.trace.log(&format!("check {id}"));
                let dir = self.ws.exercise_dir(&id);
                match catalog::find(&self.entries, &id) {
                    Ok(e) if !self.ws.setup_done(e) => {
                        let _ = self.tx.send(Event::NeedsSetup { id });
                    }
                    Ok(e) if dir.is_dir() => self.worker.send(Job::Check {
                        id,
                        spec: Box::new(e.spec.clone()),
                        dir,
                    }),
                    _ => {
                        let _ = self.tx.send(Event::CheckFailed {
                            error: format!(
                                "the folder {} is missing; press r to recreate it",
                                dir.display()
                            ),
                            id,
                        });
                    }
                }
            }
            Effect::Record(Delta::Report(r, by)) => match aftercheck::record(&self.store, &r, by) {
                Ok(recorded) => {
                    // To the workshop, if the workspace joined one (in the background).
                    self.room.report(recorded.room);
                    app.set_progress(recorded.progress);
                    if let Some(w) = recorded.warning {
                        app.say(Level::Warn, w);
                    }
                }
                Err(e) => app.say(Level::Warn, format!("could not save your progress: {e:#}")),
            },
            Effect::Record(delta) => {
                let mut saved = None;
                let result = self.store.update(|p| {
                    match &delta {
                        // Recorded by the arm above, with the room's report.
                        Delta::Report(..) => {}
                        Delta::Hint { id, available } => {
                            p.use_hint(id, *available);
                        }
                        Delta::Time { id, seconds } => p.add_time(id, *seconds),
                    }
                    saved = Some(p.clone());
                });
                match result {
                    Ok(warning) => {
                        if let Some(p) = saved {
                            app.set_progress(p);
                        }
                        if let Some(w) = warning {
                            app.say(Level::Warn, w);
                        }
                    }
                    Err(e) => app.say(Level::Warn, format!("could not save your progress: {e:#}")),
                }
            }
            Effect::ListImages => self.worker.send(Job::ListImages),
            Effect::LoadLayers(image) => self.worker.send(Job::Layers(image)),
            Effect::Reset(id) => self.reset(&id, app),
            Effect::OpenBook(page) => open_book(&page, app),
            Effect::SetWatch(mode) => self.set_watch(mode, app),
            Effect::ReloadProgress => {
                let (p, warning) = self.store.load();
                app.set_progress(p);
                if let Some(w) = warning {
                    app.say(Level::Warn, w);
                }
            }
        }
    }

    fn reset(&mut self, id: &str, app: &mut App) {
        let Ok(e) = catalog::find(&self.entries, id) else {
            return;
        };
        match self.ws.reset(e) {
            Ok(backup) => {
                let kept = backup
                    .map(|b| format!(" Yours is in {}.", b.display()))
                    .unwrap_or_default();
                let live = &e.spec.live;
                let untouched = live.containers.is_empty()
                    && live.volumes.is_empty()
                    && live.networks.is_empty();
                let yours = if untouched {
                    ""
                } else {
                    " Containers, volumes and networks you made for it are left as they are."
                };
                app.say(
                    Level::Info,
                    format!("{id} is back to its starting files.{kept}{yours}"),
                );
            }
            Err(err) => app.say(Level::Warn, format!("could not reset {id}: {err:#}")),
        }
    }

    fn set_watch(&mut self, mode: WatchMode, app: &mut App) {
        self.watch = None;
        let ids = self.entries.iter().map(|e| e.id().to_string()).collect();
        match watch::start(&self.ws.root, ids, mode, self.tx.clone()) {
            Ok(w) => self.watch = Some(w),
            Err(why) => {
                app.watch = WatchMode::Manual;
                app.watch_note = Some(why.clone());
                app.say(Level::Warn, why);
            }
        }
    }

    /// Stop the tasks and remove what this session created.
    pub async fn shutdown(mut self) -> Option<Cleaned> {
        self.trace.log("quit");
        drop(self.input);
        drop(self.watch);
        self.daemon.abort();
        self.room.stop();
        let cleaned = self.worker.shutdown().await;
        self.trace.log("cleaned up");
        cleaned
    }
}

/// After a caught panic the hook has restored the terminal: take it again.
fn reenter(terminal: &mut DefaultTerminal) -> std::io::Result<()> {
    use ratatui::crossterm::{execute, terminal};
    terminal::enable_raw_mode()?;
    execute!(std::io::stdout(), terminal::EnterAlternateScreen)?;
    terminal.clear()
}

/// The book section: opened in a browser when `DOCKDOJO_BOOK_URL` says where the book is
/// served, else named so the learner can open it with `dockdojo book`.
fn open_book(page: &str, app: &mut App) {
    let base = std::env::var("DOCKDOJO_BOOK_URL")
        .ok()
        .filter(|b| !b.is_empty());
    let Some(base) = base else {
        app.say(
            Level::Info,
            format!("Read book/{page} (`dockdojo book` serves the book)."),
        );
        return;
    };
    let url = format!(
        "{}/{}",
        base.trim_end_matches('/'),
        page.replacen(".md", ".html", 1)
    );
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(&url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
            app.say(Level::Info, format!("Opened {url}"));
        }
        Err(_) => app.say(Level::Info, format!("Read {url}")),
    }
}
