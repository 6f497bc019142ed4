//! The Docker side of the app: one task that owns the connection, runs an exercise's checks
//! (one run at a time) and, alongside, lists images and reads layers for the explorer. Results
//! come back as [`Event`]s; a panic inside a job is caught and reported, not fatal.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use checker::docker::cleanup::Cleaned;
use checker::docker::Engine;
use checker::{run_exercise_watched, EnvError, Exercise, RunOptions};
use futures_util::FutureExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::{JoinHandle, JoinSet};

use super::action::Event;
use super::app::DockerStatus;
use super::layers_view::ImageRow;

pub enum Job {
    Check {
        id: String,
        spec: Box<Exercise>,
        dir: PathBuf,
    },
    /// Connect and say which Docker answered (the header shows it), checking nothing.
    Connect,
    ListImages,
    Layers(String),
}

type Slot = Arc<Mutex<Option<Engine>>>;

pub struct Worker {
    jobs: UnboundedSender<Job>,
    engine: Slot,
    task: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(events: UnboundedSender<Event>) -> Self {
        let (jobs, rx) = tokio::sync::mpsc::unbounded_channel();
        let engine: Slot = Arc::default();
        let task = tokio::spawn(run(rx, events, engine.clone()));
        Self { jobs, engine, task }
    }

    pub fn send(&self, job: Job) {
        // The loop only ends at shutdown.
        let _ = self.jobs.send(job);
    }

    /// Stop whatever runs (dropping a run cancels its build or probe) and remove what this
    /// session created. None when no connection was ever made.
    pub async fn shutdown(self) -> Option<Cleaned> {
        self.task.abort();
        let _ = self.task.await;
        let engine = self.engine.lock().ok()?.clone()?;
        let cleaned = tokio::time::timeout(Duration::from_secs(20), engine.cleanup_session()).await;
        Some(cleaned.unwrap_or_else(|_| Cleaned {
            failed: vec![format!(
                "cleanup timed out; `dockdojo clean` removes what is labelled io.dockdojo.session={}",
                engine.session
            )],
            ..Cleaned::default()
        }))
    }
}

async fn run(mut rx: UnboundedReceiver<Job>, events: UnboundedSender<Event>, slot: Slot) {
    let mut side = JoinSet::new();
    let mut check: Option<Pin<Box<dyn Future<Output = ()> + Send>>> = None;
    loop {
        tokio::select! {
            job = rx.recv() => match job {
                None => break,
                Some(Job::Check { id, spec, dir }) => {
                    check = Some(Box::pin(run_check(id, spec, dir, events.clone(), slot.clone())));
                }
                Some(other) => {
                    side.spawn(run_side(other, events.clone(), slot.clone()));
                }
            },
            _ = async { if let Some(c) = check.as_mut() { c.await } }, if check.is_some() => {
                check = None;
            }
            Some(_) = side.join_next(), if !side.is_empty() => {}
        }
    }
}

/// The connection, made on first use and again after it was lost.
async fn engine(slot: &Slot, events: &UnboundedSender<Event>) -> Result<Engine, String> {
    if let Some(e) = slot.lock().ok().and_then(|s| s.clone()) {
        return Ok(e);
    }
    // Leftovers of dockdojo runs that were killed are removed quietly (the CLI reports them).
    let engine = match Engine::open(checker::docker::deadline::CONNECT).await {
        Ok((e, _swept)) => e,
        Err(e) => return Err(unreachable(events, e.to_string())),
    };
    // Distribution suffixes (`20.10.24+dfsg1`) only take room.
    let version = engine.server_version.split('+').next().unwrap_or_default();
    let _ = events.send(Event::Docker(DockerStatus::Connected(format!(
        "Docker {version}"
    ))));
    if let Ok(mut s) = slot.lock() {
        *s = Some(engine.clone());
    }
    Ok(engine)
}

fn unreachable(events: &UnboundedSender<Event>, why: String) -> String {
    let _ = events.send(Event::Docker(DockerStatus::Unreachable(
        why.lines().next().unwrap_or_default().to_string(),
    )));
    why
}

async fn run_check(
    id: String,
    spec: Box<Exercise>,
    dir: PathBuf,
    events: UnboundedSender<Event>,
    slot: Slot,
) {
    let engine = match engine(&slot, &events).await {
        Ok(e) => e,
        Err(error) => {
            let _ = events.send(Event::CheckFailed { id, error });
            return;
        }
    };
    let opts = RunOptions {
        dir,
        ..Default::default()
    };
    // Each check's result as it comes, and the verdict before the cleanup (which only removes
    // labelled things: a crash during it loses nothing the next start does not sweep).
    let told = std::sync::atomic::AtomicBool::new(false);
    let run = AssertUnwindSafe(run_exercise_watched(
        &engine,
        &spec,
        &opts,
        |result| {
            let _ = events.send(Event::CheckProgress {
                id: id.clone(),
                result: Box::new(result.clone()),
            });
        },
        |report| {
            told.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = events.send(Event::CheckDone {
                id: id.clone(),
                report: report.clone(),
            });
        },
    ))
    .catch_unwind();
    let event = match run.await {
        Ok(Ok(_)) if told.load(std::sync::atomic::Ordering::Relaxed) => return,
        Ok(Ok(report)) => Event::CheckDone { id, report },
        Ok(Err(e)) => {
            if matches!(
                e,
                EnvError::ConnectionLost { .. }
                    | EnvError::Unreachable { .. }
                    | EnvError::NoAnswer { .. }
            ) {
                if let Ok(mut s) = slot.lock() {
                    *s = None;
                }
                let _ = events.send(Event::Docker(DockerStatus::Unreachable(
                    "connection lost".into(),
                )));
            }
            // The verdict is on screen already: a cleanup that failed after it is not a new
            // one (what it left is labelled; the next run sweeps it).
            if told.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            Event::CheckFailed {
                id,
                error: e.to_string(),
            }
        }
        Err(panic) => {
            let _ = events.send(Event::WorkerPanicked);
            // What the run created is removed even so.
            let _ = engine.cleanup_session().await;
            if told.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            Event::CheckFailed {
                id,
                error: format!(
                    "dockdojo hit an internal error while checking: {}",
                    panic_text(&panic)
                ),
            }
        }
    };
    let _ = events.send(event);
}

async fn run_side(job: Job, events: UnboundedSender<Event>, slot: Slot) {
    let event = match job {
        Job::Check { .. } => return,
        Job::Connect => {
            let _ = engine(&slot, &events).await;
            return;
        }
        Job::ListImages => Event::Images(match engine(&slot, &events).await {
            Ok(e) => list_images(&e).await,
            Err(why) => Err(why),
        }),
        Job::Layers(image) => {
            let result = match engine(&slot, &events).await {
                Ok(e) => AssertUnwindSafe(crate::layers::explore(&e.docker, &image))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|p| {
                        let _ = events.send(Event::WorkerPanicked);
                        Err(crate::layers::LayersError::Read(std::io::Error::other(
                            panic_text(&p),
                        )))
                    })
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
                Err(why) => Err(why),
            };
            Event::Layers { image, result }
        }
    };
    let _ = events.send(event);
}

/// Tagged local images, newest first (dockdojo's own short-lived images left out).
async fn list_images(engine: &Engine) -> Result<Vec<ImageRow>, String> {
    let list = checker::docker::call(
        "list images",
        checker::docker::deadline::QUICK,
        engine
            .docker
            .list_images(None::<bollard::query_parameters::ListImagesOptions>),
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut list: Vec<_> = list
        .into_iter()
        .filter(|i| !checker::labels::is_managed(Some(&i.labels)))
        .collect();
    list.sort_by_key(|i| std::cmp::Reverse(i.created));
    Ok(list
        .iter()
        .flat_map(|i| {
            i.repo_tags
                .iter()
                .filter(|t| !t.contains("<none>"))
                .map(|t| ImageRow {
                    reference: t.clone(),
                    size: i.size.max(0) as u64,
                })
        })
        .collect())
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}
