//! The workshop side of the app: a task that, while the workspace has joined a workshop, delivers
//! the outbox and fetches the room's pacing and messages every few seconds (so reports queued
//! while the server was down arrive without the learner doing anything), and right after a
//! check queued a new report. It sends [`Event::Workshop`] when what the app shows changes; a
//! workspace that joined nothing sends nothing. The UI never waits on the network.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::action::Event;
use crate::workshop::client::{self, outbox, Joined, Link, RoomStatus};
use crate::workshop::proto;

/// Between two polls of the room.
const POLL_EVERY: Duration = Duration::from_secs(5);
/// For one poll's delivery and one fetch of the room's view.
const POLL_DEADLINE: Duration = Duration::from_secs(4);

/// The running poll task and the way to hand it new reports.
pub struct Room {
    state_dir: PathBuf,
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Room {
    /// Start polling (a workspace that joined nothing is only re-read every few seconds).
    pub fn spawn(state_dir: PathBuf, events: UnboundedSender<Event>) -> Self {
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(run(state_dir.clone(), wake.clone(), events));
        Self {
            state_dir,
            wake,
            task,
        }
    }

    /// Queue `report` (off the UI thread) if the workspace joined a workshop, then deliver now.
    pub fn report(&self, report: proto::Report) {
        let (state_dir, wake) = (self.state_dir.clone(), self.wake.clone());
        tokio::task::spawn_blocking(move || {
            if let Ok(Some(_)) = Joined::load(&state_dir) {
                // A failure leaves nothing queued; the next poll shows the room as it is.
                if outbox::queue(&state_dir, &report).is_ok() {
                    wake.notify_one();
                }
            }
        });
    }

    /// Stop polling (what is queued stays on disk for the next run).
    pub fn stop(&self) {
        self.task.abort();
    }
}

async fn run(state_dir: PathBuf, wake: Arc<Notify>, events: UnboundedSender<Event>) {
    let mut last: Option<RoomStatus> = None;
    loop {
        let mut now = client::poll(&state_dir, POLL_DEADLINE).await;
        // Unreachable: keep showing the pacing and messages seen last.
        if let (Some(n), Some(l)) = (now.as_mut(), last.as_ref()) {
            if n.view.is_none() && n.link != Link::Connected {
                n.view = l.view.clone();
            }
        }
        if now != last {
            if events.send(Event::Workshop(now.clone())).is_err() {
                return;
            }
            last = now;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL_EVERY) => {}
            _ = wake.notified() => {}
        }
    }
}
