//! `dockdojo prepare`: make the course's base images available (present → pull → local stand-in,
//! or load/save an archive).

use std::path::PathBuf;

use images::{Outcome, PrepareError, PrepareOptions};

use crate::exit::{CmdResult, Exit, Fail};
use crate::workshop::client;

pub async fn run(
    offline: bool,
    save: Option<PathBuf>,
    load: Option<PathBuf>,
    from: Option<String>,
    sha256: Option<String>,
) -> CmdResult {
    let result = prepare(offline, save, load, from, sha256).await;
    // To the workshop this workspace joined, if any: the images and how, or the error.
    let report = match &result {
        Ok((_, summary)) => client::prepare_report(true, summary),
        Err(f) => client::prepare_report(false, &format!("{:#}", f.error)),
    };
    client::report_here(report).await;
    result.map(|(exit, _)| exit)
}

/// Returns the exit code and a one-line summary of the images and how each was obtained.
async fn prepare(
    offline: bool,
    save: Option<PathBuf>,
    load: Option<PathBuf>,
    from: Option<String>,
    sha256: Option<String>,
) -> Result<(Exit, String), Fail> {
    let load = match from {
        Some(url) => Some(
            client::fetch_archive(&url, sha256.as_deref())
                .await
                .map_err(Fail::env)?,
        ),
        None => load,
    };
    let engine = super::connect().await?;
    let opts = PrepareOptions {
        offline,
        load,
        save,
        only: vec![],
    };
    let mut progress = |line: &str| eprintln!("{line}");
    match images::prepare(&engine.docker, &opts, &mut progress).await {
        Ok(outcomes) => {
            println!("Course images ready:");
            let mut summary = Vec::new();
            for (image, o) in outcomes {
                let how = match o {
                    Outcome::Present { standin: false } => "already here",
                    Outcome::Present { standin: true } => "already here (a local stand-in)",
                    Outcome::Pulled => "pulled",
                    Outcome::StandIn => "built locally as a stand-in",
                    Outcome::Loaded => "loaded from the archive",
                };
                println!("  {image:<24} {how}");
                summary.push(format!("{image} {how}"));
            }
            if let Some(s) = &opts.save {
                println!(
                    "Saved them to {} (hand it out; students run `dockdojo prepare --load FILE`).",
                    s.display()
                );
            }
            Ok((Exit::Ok, summary.join(", ")))
        }
        Err(PrepareError::Env(e)) => Err(Fail::env(e)),
        Err(e @ (PrepareError::Archive { .. } | PrepareError::UnknownImage { .. })) => {
            Err(Fail::usage(e))
        }
        Err(e) => Err(Fail::env(e)),
    }
}
