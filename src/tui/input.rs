//! Terminal input on a thread of its own (crossterm's reader blocks): keys and resizes go to the
//! app's event channel. The thread wakes a few times a second only to notice it should stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event as Term};
use tokio::sync::mpsc::UnboundedSender;

use super::action::Event;

pub struct Input {
    stop: Arc<AtomicBool>,
}

impl Input {
    pub fn spawn(tx: UnboundedSender<Event>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("dockdojo-input".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match event::poll(Duration::from_millis(250)) {
                        Ok(false) => continue,
                        Ok(true) => {}
                        Err(_) => break,
                    }
                    let ev = match event::read() {
                        Ok(Term::Key(k)) => Event::Key(k),
                        Ok(Term::Resize(..)) => Event::Resize,
                        Ok(_) => continue,
                        Err(_) => break,
                    };
                    if tx.send(ev).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Self { stop })
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
