//! Terminal input on a thread of its own (crossterm's reader blocks): keys and resizes go to an
//! app's event channel (the course app's and the workshop dashboard's). The thread wakes a few
//! times a second only to notice it should stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event as Term, KeyEvent};
use tokio::sync::mpsc::UnboundedSender;

/// What the terminal says: a key, or that it was resized.
pub enum TermInput {
    Key(KeyEvent),
    Resize,
}

/// The reader thread; it stops when this is dropped.
pub struct Input {
    stop: Arc<AtomicBool>,
}

impl Input {
    /// Read the terminal on a thread named `name`, sending what it says as events `E`.
    pub fn spawn<E>(tx: UnboundedSender<E>, name: &str) -> std::io::Result<Self>
    where
        E: From<TermInput> + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match event::poll(Duration::from_millis(250)) {
                        Ok(false) => continue,
                        Ok(true) => {}
                        Err(_) => break,
                    }
                    let input = match event::read() {
                        Ok(Term::Key(k)) => TermInput::Key(k),
                        Ok(Term::Resize(..)) => TermInput::Resize,
                        Ok(_) => continue,
                        Err(_) => break,
                    };
                    if tx.send(E::from(input)).is_err() {
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
