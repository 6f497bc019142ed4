//! The dashboard's loop: draw, wait for the next event (a key, a room view, an action's answer,
//! the once-a-second tick, a signal), map it to an action, update the state, and hand the
//! effects to the network side. Terminal input has a thread of its own (crossterm's reader
//! blocks).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self as term, Event as Term};
use ratatui::DefaultTerminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::action::{self, Event};
use super::net::Api;
use super::state::Dash;
use super::ui;

/// Run until the instructor quits.
pub async fn run(
    terminal: &mut DefaultTerminal,
    dash: &mut Dash,
    url: &str,
    token: &str,
) -> anyhow::Result<()> {
    let (tx, mut rx) = unbounded_channel();
    let api = Api::new(url, token, tx.clone())?;
    let poller = api.spawn_poller();
    let _input = Input::spawn(tx)?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let result = loop {
        if let Err(e) = terminal.draw(|f| ui::render(f, dash)) {
            break Err(e.into());
        }
        #[cfg(debug_assertions)]
        if std::env::var_os("DOCKDOJO_TEST_PANIC").is_some() {
            panic!("DOCKDOJO_TEST_PANIC is set: panicking on purpose to test terminal restore");
        }
        let ev = tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => ev,
                None => break Ok(()),
            },
            _ = tick.tick() => Event::Tick,
            _ = sigterm.recv() => Event::Signal,
            _ = sigint.recv() => Event::Signal,
            _ = sighup.recv() => Event::Signal,
        };
        if let Some(a) = action::map(ev, dash) {
            for effect in dash.update(a, Instant::now()) {
                api.execute(effect);
            }
        }
        if dash.quit {
            break Ok(());
        }
    };
    poller.abort();
    result
}

/// Keys and resizes from the terminal, on a thread; it stops when dropped.
struct Input {
    stop: Arc<AtomicBool>,
}

impl Input {
    fn spawn(tx: UnboundedSender<Event>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("dockdojo-dash-input".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match term::poll(Duration::from_millis(250)) {
                        Ok(false) => continue,
                        Ok(true) => {}
                        Err(_) => break,
                    }
                    let ev = match term::read() {
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
