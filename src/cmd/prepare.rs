//! `dockdojo prepare`: make the course's base images available (present → pull → local stand-in,
//! or load/save an archive), and with `--app-image` the course app as an image, tried once
//! before it is called ready.

use std::path::PathBuf;
use std::time::Duration;

use checker::docker::exec::run_once;
use checker::docker::probe::ContainerSpec;
use checker::docker::Engine;
use images::{app_image, Outcome, PrepareError, PrepareOptions};

use crate::exit::{CmdResult, Exit, Fail};
use crate::workshop::client;

/// What `prepare` was asked.
pub struct How {
    pub offline: bool,
    pub save: Option<PathBuf>,
    pub load: Option<PathBuf>,
    pub from: Option<String>,
    pub sha256: Option<String>,
    pub app_image: bool,
}

pub async fn run(how: How) -> CmdResult {
    let result = prepare(how).await;
    // To the workshop this workspace joined, if any: the images and how, or the error.
    let report = match &result {
        Ok((_, summary)) => client::prepare_report(true, summary),
        Err(f) => client::prepare_report(false, &format!("{:#}", f.error)),
    };
    client::report_here(report).await;
    result.map(|(exit, _)| exit)
}

/// Returns the exit code and a one-line summary of the images and how each was obtained.
async fn prepare(how: How) -> Result<(Exit, String), Fail> {
    let load = match how.from {
        Some(url) => Some(
            client::fetch_archive(&url, how.sha256.as_deref())
                .await
                .map_err(Fail::env)?,
        ),
        None => how.load,
    };
    let app_image = if how.app_image {
        Some(app_image::running_executable().map_err(|e| {
            Fail::env(anyhow::anyhow!(
                "cannot find this dockdojo's own program file: {e}"
            ))
        })?)
    } else {
        None
    };
    let engine = super::connect().await?;
    let opts = PrepareOptions {
        offline: how.offline,
        load,
        save: how.save,
        only: vec![],
        app_image,
    };
    let mut progress = |line: &str| eprintln!("{line}");
    let outcomes = match images::prepare(&engine.docker, &opts, &mut progress).await {
        Ok(outcomes) => outcomes,
        Err(PrepareError::Env(e)) => return Err(Fail::env(e)),
        Err(e @ (PrepareError::Archive { .. } | PrepareError::UnknownImage { .. })) => {
            return Err(Fail::usage(e))
        }
        Err(e) => return Err(Fail::env(e)),
    };
    let app = app_image::reference();
    if outcomes
        .iter()
        .any(|(image, o)| *image == app && *o == Outcome::StandIn)
    {
        try_app_image(&engine, &app).await?;
    }
    println!("Course images ready:");
    let mut summary = Vec::new();
    for (image, o) in outcomes {
        let how = match o {
            Outcome::Present { .. } if image == app => "already here, made from this dockdojo",
            Outcome::StandIn if image == app => "made from this dockdojo",
            Outcome::Present { standin: false } => "already here",
            Outcome::Present { standin: true } => "already here (a local stand-in)",
            Outcome::Pulled => "pulled",
            Outcome::StandIn => "built locally as a stand-in",
            Outcome::Loaded => "loaded from the archive",
        };
        println!("  {image:<24} {how}");
        summary.push(format!("{image} {how}"));
    }
    if opts.app_image.is_some() {
        println!(
            "The course app runs from {app} with Docker alone: see README.md (`docker run … {app}`)."
        );
    }
    if let Some(s) = &opts.save {
        println!(
            "Saved them to {} (hand it out; students run `dockdojo prepare --load FILE`, or \
             `docker load -i FILE` without dockdojo).",
            s.display()
        );
    }
    Ok((Exit::Ok, summary.join(", ")))
}

/// Run the new app image once (`dockdojo --version`, no network): a program or library that does
/// not run there is found now, not by a learner. An image that fails is removed.
async fn try_app_image(engine: &Engine, app: &str) -> Result<(), Fail> {
    let spec = ContainerSpec {
        image: app.to_string(),
        cmd: Some(vec!["--version".to_string()]),
        network: Some("none".to_string()),
        ..Default::default()
    };
    let out = run_once(engine, "app-image", spec, Duration::from_secs(60))
        .await
        .map_err(Fail::env)?;
    let _ = engine.cleanup_session().await;
    let want = format!("dockdojo {}", env!("CARGO_PKG_VERSION"));
    let why = match out {
        Ok(o) if o.code == 0 && o.stdout.contains(&want) => return Ok(()),
        Ok(o) => format!("exit {}: {}{}", o.code, o.stdout.trim(), o.stderr.trim()),
        Err(msg) => msg,
    };
    let _ = engine
        .docker
        .remove_image(
            app,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        )
        .await;
    Err(Fail::env(anyhow::anyhow!(
        "the course app image {app} was made but dockdojo does not start in it ({why}); it was \
         removed"
    )))
}
