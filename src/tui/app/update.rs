//! [`App::update`]: how each action changes the state, and what it asks the runtime to do.

use std::time::{Duration, Instant};

use checker::Report;

use super::{
    App, Delta, Effect, Focus, LastRun, Level, Outcome, Overlay, Running, Screen, SummaryKind,
    Trigger, WatchMode,
};
use crate::progress::{now as unix_now, Status};
use crate::tui::action::Action;
use crate::tui::layers_view::LayersView;
use crate::workshop::proto::StartedBy;

/// Our own `docker exec` probes into a learner's container emit exec events: those arriving
/// this soon after a run are the run's own, not the learner's.
const OWN_EXEC_GRACE: Duration = Duration::from_secs(1);

impl App {
    pub fn update(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        let mut fx = Vec::new();
        if action.is_activity() {
            self.timer.activity(now);
        }
        if matches!(
            action,
            Action::Check | Action::Select(_) | Action::Close | Action::NextHint
        ) {
            self.message = None;
        }
        match action {
            Action::Quit => {
                self.flush_time(now, &mut fx);
                self.quit = true;
            }
            Action::Check => {
                if let Some(id) = self.current().map(|e| e.id.clone()) {
                    self.request_check(id, Trigger::Key, now, &mut fx);
                }
            }
            Action::NextHint => self.next_hint(&mut fx),
            Action::ShowSolution => self.show_solution(),
            Action::AskReset => self.overlay = Overlay::ConfirmReset,
            Action::ConfirmReset => {
                self.overlay = Overlay::None;
                if let Some(id) = self.current().map(|e| e.id.clone()) {
                    self.last.remove(&id);
                    fx.push(Effect::Reset(id));
                }
            }
            Action::Close => {
                if self.overlay != Overlay::None {
                    self.overlay = Overlay::None;
                } else {
                    self.screen = Screen::Main;
                }
            }
            Action::OpenBook => {
                if let Some(e) = self.current() {
                    fx.push(Effect::OpenBook(e.book.clone()));
                }
            }
            Action::Select(delta) => self.select(delta, now, &mut fx),
            Action::Help => self.overlay = Overlay::Help,
            Action::ShowProgress => self.overlay = Overlay::Summary(SummaryKind::Progress),
            Action::CycleWatch => {
                self.watch = match self.watch {
                    WatchMode::Auto => WatchMode::Poll,
                    WatchMode::Poll => WatchMode::Manual,
                    WatchMode::Manual => WatchMode::Auto,
                };
                self.watch_note = None;
                self.say(
                    Level::Info,
                    format!("Saved files: {}", self.watch.describe()),
                );
                fx.push(Effect::SetWatch(self.watch));
            }
            Action::ToggleFocus => {
                self.focus = match self.focus {
                    Focus::Task => Focus::Checks,
                    Focus::Checks => Focus::Task,
                }
            }
            Action::Scroll(d) => self.scroll(d),
            Action::OpenLayers => {
                let prefer = self.current().and_then(|e| e.live.images.first().cloned());
                self.screen = Screen::Layers(LayersView::picker(prefer));
                fx.push(Effect::ListImages);
            }
            Action::LayersMove(d) => self.with_layers(|l| l.move_by(d)),
            Action::LayersScroll(d) => self.with_layers(|l| l.scroll_by(d)),
            Action::LayersPick => {
                if let Screen::Layers(l) = &mut self.screen {
                    if let Some(image) = l.pick() {
                        fx.push(Effect::LoadLayers(image));
                    }
                }
            }
            Action::LayersPicker => {
                self.screen = Screen::Layers(LayersView::picker(None));
                fx.push(Effect::ListImages);
            }
            Action::Images(list) => self.with_layers(|l| l.set_images(list)),
            Action::LayersLoaded { image, result } => {
                self.with_layers(|l| l.loaded(&image, result))
            }
            Action::Tick => {
                self.spinner = self.spinner.wrapping_add(1);
                if let Some(r) = &mut self.running {
                    r.elapsed = now.saturating_duration_since(r.started);
                }
            }
            Action::Redraw => {}
            Action::FlushTime => self.flush_time(now, &mut fx),
            Action::CheckDone { id, report } => self.check_done(id, report, now, &mut fx),
            Action::CheckFailed { id, error } => {
                self.finish_run(&id, Outcome::Env(error), now, &mut fx);
            }
            Action::CheckProgress { id, result } => {
                if let Some(r) = self.running.as_mut().filter(|r| r.id == id) {
                    r.done.push(*result);
                }
            }
            Action::NeedsSetup { id } => self.finish_run(&id, Outcome::NeedsSetup, now, &mut fx),
            Action::Docker(s) => self.docker = s,
            Action::FileSaved { exercise, path } => {
                let current = self.current().is_some_and(|e| e.id == exercise);
                // A locked chapter is checked only on request (c).
                if current && self.watch != WatchMode::Manual && !self.exercise_locked(&exercise) {
                    self.request_check(exercise, Trigger::FileSaved(path), now, &mut fx);
                }
            }
            Action::DaemonChanged {
                exercises,
                what,
                exec_only,
            } => self.daemon_changed(exercises, what, exec_only, now, &mut fx),
            Action::WatchProblem(p) => {
                self.watch = WatchMode::Manual;
                self.watch_note = Some(p);
            }
            Action::EventsProblem(p) => self.events_note = p,
            Action::ReloadProgress => fx.push(Effect::ReloadProgress),
            Action::Workshop(s) => self.workshop = s,
        }
        fx
    }

    /// Run the checks of `id` now, or right after the run in progress.
    pub fn request_check(
        &mut self,
        id: String,
        trigger: Trigger,
        now: Instant,
        fx: &mut Vec<Effect>,
    ) {
        if self.running.is_some() {
            self.pending = Some((id, trigger));
            return;
        }
        self.checks_scroll = 0;
        self.running = Some(Running {
            id: id.clone(),
            trigger,
            started: now,
            elapsed: Duration::ZERO,
            done: Vec::new(),
        });
        fx.push(Effect::Check { id });
    }

    fn check_done(&mut self, id: String, report: Report, now: Instant, fx: &mut Vec<Effect>) {
        let before = self.status(&id);
        // Docker events re-check on their own: one that finds what the last run found is no
        // new attempt. A key or a saved file always counts.
        let by_daemon = self
            .running
            .as_ref()
            .is_some_and(|r| r.id == id && matches!(r.trigger, Trigger::Daemon(_)));
        let same = self.last.get(&id).is_some_and(|l| match &l.outcome {
            Outcome::Report(old) => same_verdict(old, &report),
            Outcome::Env(_) | Outcome::NeedsSetup => false,
        });
        if !(by_daemon && same) {
            // Only what the learner asked for (a key, a saved file) is an attempt, here and for
            // the room.
            let by = if by_daemon {
                StartedBy::Auto
            } else {
                StartedBy::Learner
            };
            self.progress
                .record_report(&report, unix_now(), by == StartedBy::Learner);
            fx.push(Effect::Record(Delta::Report(report.clone(), by)));
        }
        if report.passed && before != Status::Passed {
            self.say(
                Level::Good,
                format!("✓ {id} passed. Well done! (s shows the reference solution)"),
            );
            self.completion_summary(&id);
        }
        self.finish_run(&id, Outcome::Report(report), now, fx);
    }

    fn finish_run(&mut self, id: &str, outcome: Outcome, now: Instant, fx: &mut Vec<Effect>) {
        let trigger = match self.running.take() {
            Some(r) if r.id == id => r.trigger,
            other => {
                self.running = other;
                Trigger::Key
            }
        };
        self.last
            .insert(id.to_string(), LastRun { outcome, trigger });
        self.last_finished = Some(now);
        if let Some((next, trigger)) = self.pending.take() {
            self.request_check(next, trigger, now, fx);
        }
    }

    /// A chapter (or the whole course) just became complete: show the summary.
    fn completion_summary(&mut self, id: &str) {
        let Some(chapter) = self
            .exercises
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.chapter)
        else {
            return;
        };
        let passed = |ch: Option<u32>| {
            self.exercises
                .iter()
                .filter(|e| ch.is_none_or(|c| e.chapter == c))
                .all(|e| self.status(&e.id) == Status::Passed)
        };
        if passed(None) {
            self.overlay = Overlay::Summary(SummaryKind::Course);
        } else if passed(Some(chapter)) {
            self.overlay = Overlay::Summary(SummaryKind::Chapter(chapter));
        }
    }

    fn daemon_changed(
        &mut self,
        exercises: Vec<String>,
        what: String,
        exec_only: bool,
        now: Instant,
        fx: &mut Vec<Effect>,
    ) {
        let Some(cur) = self.current() else { return };
        if !cur.is_live()
            || !exercises.contains(&cur.id)
            || self.watch == WatchMode::Manual
            || self.locked(cur.chapter)
        {
            return;
        }
        let id = cur.id.clone();
        if exec_only {
            let ours = self.is_running(&id)
                || self
                    .last_finished
                    .is_some_and(|t| now.saturating_duration_since(t) < OWN_EXEC_GRACE);
            if ours {
                return;
            }
        }
        self.request_check(id, Trigger::Daemon(what), now, fx);
    }

    fn next_hint(&mut self, fx: &mut Vec<Effect>) {
        let Some(e) = self.current() else { return };
        let (id, available) = (e.id.clone(), e.hints.len());
        if available == 0 {
            self.say(Level::Info, "This exercise has no hints.");
            return;
        }
        let before = self.hints_used(&id);
        self.progress.use_hint(&id, available);
        if before < available {
            fx.push(Effect::Record(Delta::Hint { id, available }));
        }
        self.overlay = Overlay::Hints;
    }

    fn show_solution(&mut self) {
        let Some(e) = self.current() else { return };
        if self.status(&e.id) == Status::Passed {
            self.overlay = Overlay::Solution { scroll: 0 };
        } else {
            let msg = format!(
                "The solution opens once you pass. Try h for a hint (or `dockdojo solution {} --force`).",
                e.id
            );
            self.say(Level::Warn, msg);
        }
    }

    fn select(&mut self, delta: isize, now: Instant, fx: &mut Vec<Effect>) {
        let len = self.exercises.len() as isize;
        if len == 0 {
            return;
        }
        let next = (self.selected as isize + delta).clamp(0, len - 1) as usize;
        if next == self.selected {
            return;
        }
        self.selected = next;
        self.task_scroll = 0;
        self.checks_scroll = 0;
        let id = self.exercises[next].id.clone();
        if let Some((old, seconds)) = self.timer.switch(&id, now) {
            self.progress.add_time(&old, seconds);
            fx.push(Effect::Record(Delta::Time { id: old, seconds }));
        }
        let chapter = self.exercises[next].chapter;
        if self.locked(chapter) {
            self.say(
                Level::Info,
                format!(
                    "Chapter {chapter} opens when your instructor unlocks it (c checks it anyway)."
                ),
            );
        }
    }

    fn flush_time(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        if let Some((id, seconds)) = self.timer.take(now) {
            self.progress.add_time(&id, seconds);
            fx.push(Effect::Record(Delta::Time { id, seconds }));
        }
    }

    fn scroll(&mut self, d: i32) {
        let apply = |v: &mut u16| *v = (*v as i32 + d).clamp(0, u16::MAX as i32) as u16;
        match (&mut self.overlay, self.focus) {
            (Overlay::Solution { scroll }, _) => apply(scroll),
            (_, Focus::Task) => apply(&mut self.task_scroll),
            (_, Focus::Checks) => apply(&mut self.checks_scroll),
        }
    }

    fn with_layers(&mut self, f: impl FnOnce(&mut LayersView)) {
        if let Screen::Layers(l) = &mut self.screen {
            f(l);
        }
    }
}

/// Two runs found the same: the same checks passed, and the same first failure said the same.
fn same_verdict(a: &Report, b: &Report) -> bool {
    let key = |r: &Report| {
        r.checks
            .iter()
            .map(|c| (c.id.clone(), c.status(), c.actual.clone()))
            .collect::<Vec<_>>()
    };
    a.passed == b.passed && key(a) == key(b)
}
