//! The dashboard's loop: draw, wait for the next event (a key, a room view, an action's answer,
//! the once-a-second tick, a signal), map it to an action, update the state, and hand the
//! effects to the network side. Terminal input has a thread of its own (`crate::term::input`,
//! shared with the course app).

use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use tokio::sync::mpsc::unbounded_channel;

use super::action::{self, Event};
use super::net::Api;
use super::state::Dash;
use super::ui;
use crate::term::input::Input;
use crate::term::signals::Signals;

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
    let _input = Input::spawn(tx, "dockdojo-dash-input")?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new()?;
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
            _ = signals.recv() => Event::Signal,
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
