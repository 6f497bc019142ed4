//! `dockdojo workshop dash`: the instructor's terminal dashboard. It reads the instructor file
//! that `workshop serve` wrote, polls the room about once a second and shows who passed what
//! (students × exercises of the open chapters), which checks the room fails most, who is stuck
//! and whose setup is broken; keys pace the room (unlock, break) and send messages and hints.
//!
//! State (`state`, `update`), events (`action`), rendering (`ui`) and the outside world (`net`,
//! driven by `runtime`) live apart. The terminal is given back on every exit, panics included
//! (ratatui's hook). Everything students typed is shown through `text::clean`.

mod action;
mod net;
mod runtime;
mod state;
mod text;
mod ui;
mod update;

#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::anyhow;

use super::InstructorFile;
use crate::exit::{CmdResult, Exit, Fail};
use state::Dash;

pub async fn run(data: PathBuf) -> CmdResult {
    let file = InstructorFile::load(&data).map_err(Fail::usage)?;
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    if !std::io::stdout().is_terminal() || dumb {
        return Err(Fail::usage(anyhow!(NO_TERMINAL)));
    }
    let mut dash = Dash::new(file.url.clone(), Instant::now());
    dash.join_code = Some(file.join_code.clone());
    let mut terminal = ratatui::try_init().map_err(|e| {
        ratatui::restore();
        Fail::env(anyhow!("cannot take over the terminal: {e}"))
    })?;
    let result = runtime::run(&mut terminal, &mut dash, &file.url, &file.instructor_token).await;
    ratatui::restore();
    result.map(|_| Exit::Ok).map_err(Fail::env)
}

const NO_TERMINAL: &str = "`workshop dash` needs an interactive terminal. \
For the room's state without one, use `dockdojo workshop export --json`, \
or open the projector board (its URL is printed by `workshop serve`).";
