//! `dockdojo book` and `dockdojo quiz`.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::exit::{CmdResult, Exit, Fail};

pub async fn book(out: Option<PathBuf>, port: u16, open: bool) -> CmdResult {
    let dir = out.clone().unwrap_or_else(crate::book::cache_dir);
    let index = tokio::task::spawn_blocking(move || crate::book::build(&dir))
        .await
        .map_err(|e| Fail::env(anyhow::anyhow!("{e}")))?
        .map_err(Fail::usage)?;
    if out.is_some() {
        println!("Wrote the book: {}", index.display());
        return Ok(Exit::Ok);
    }
    let root = index.parent().map(PathBuf::from).unwrap_or_default();
    crate::book::serve(root, port, |url| {
        println!("The book is at {url}  (Ctrl-C stops serving)");
        if open && std::io::stdout().is_terminal() {
            let opener = if cfg!(target_os = "macos") {
                "open"
            } else {
                "xdg-open"
            };
            let _ = std::process::Command::new(opener)
                .arg(&url)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
        }
    })
    .await
    .map_err(Fail::env)?;
    Ok(Exit::Ok)
}

pub fn quiz(chapter: Option<u32>) -> CmdResult {
    let quizzes = crate::book::embedded_quizzes()?;
    let Some(ch) = chapter else {
        println!("Quizzes (run `dockdojo quiz N`):");
        for q in &quizzes {
            println!(
                "  {:>2}  {} ({} questions)",
                q.chapter,
                q.title,
                q.questions.len()
            );
        }
        return Ok(Exit::Ok);
    };
    let q = quizzes.iter().find(|q| q.chapter == ch).ok_or_else(|| {
        Fail::usage(anyhow::anyhow!(
            "no quiz for chapter {ch}; chapters with a quiz: {}",
            quizzes
                .iter()
                .map(|q| q.chapter.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let stdin = std::io::stdin();
    // Wrapped to the terminal (at most 100 columns, for reading), 80 when not a terminal.
    let width = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        ratatui::crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w).min(100))
    } else {
        80
    };
    let (right, total) = crate::quiz::ask(q, &mut stdin.lock(), &mut std::io::stdout(), width)
        .map_err(Fail::usage)?;
    // Kept with the workspace's progress, and shown by `dockdojo list`.
    if let Ok(ws) = crate::workspace::Workspace::find() {
        match crate::progress::record_quiz(&ws.state_dir(), ch, right, total) {
            Ok(s) if s.best > right => println!("Your best on this quiz: {}/{total}.", s.best),
            Ok(_) => {}
            Err(e) => eprintln!("could not keep the score: {e:#}"),
        }
    }
    Ok(if right == total {
        Exit::Ok
    } else {
        Exit::Failed
    })
}
