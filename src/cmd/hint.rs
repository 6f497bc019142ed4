//! `dockdojo hint [ID]`: the hints used so far and the next one, counted in the progress.

use crate::exit::{CmdResult, Exit, Fail};
use crate::progress::Store;

/// `dockdojo hint`: show the hints up to the next one, and count it.
pub fn run(id: Option<&str>) -> CmdResult {
    let (entries, ws, idx) = super::exercise_arg(id)?;
    let e = &entries[idx];
    let store = Store::new(&ws.state_dir());
    let mut shown = 0;
    let warning = store
        .update(|p| shown = p.use_hint(e.id(), e.spec.hints.len()) as usize)
        .map_err(Fail::env)?;
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    let n = e.spec.hints.len();
    for (i, h) in e.spec.hints.iter().enumerate().take(shown.max(1)) {
        println!("Hint {}/{n}: {h}", i + 1);
    }
    if shown >= n {
        println!(
            "\nThat was the last hint. The book explains it: book/{}",
            e.spec.book
        );
    }
    Ok(Exit::Ok)
}
