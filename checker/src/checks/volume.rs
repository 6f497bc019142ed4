//! The `volume` check: the data is in the named volume itself. A fresh probe container mounts the
//! volume read-only and reads the file, so data left in some container's writable layer (or an
//! anonymous volume) does not count.

use std::time::Duration;

use crate::ctx::{Ctx, Verdict};
use crate::docker::exec::run_once;
use crate::docker::probe::ContainerSpec;
use crate::docker::probe::PROBE_IMAGE;
use crate::docker::{deadline, is_not_found};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeCheck {
    /// The named volume.
    pub volume: String,
    /// A file path inside the volume (relative to its root).
    pub file: String,
    pub contains: Option<String>,
    /// Text the file must not contain (e.g. stale data from an earlier run).
    pub excludes: Option<String>,
    /// `false`: the volume must not exist at all.
    pub exists: Option<bool>,
}

pub async fn check(ctx: &mut Ctx<'_>, spec: &VolumeCheck) -> Result<Verdict, EnvError> {
    let v = &spec.volume;
    let expected = match &spec.contains {
        Some(c) => format!("named volume {v} holds {} containing \"{c}\"", spec.file),
        None => format!("named volume {v} holds {}", spec.file),
    };
    match tokio::time::timeout(deadline::QUICK, ctx.engine.docker.inspect_volume(v)).await {
        Err(_) => return Err(EnvError::Deadline { what: "inspect volume".into(), deadline: deadline::QUICK }),
        Ok(Err(e)) if is_not_found(&e) && spec.exists == Some(false) => {
            return Ok(Verdict::pass(format!("no volume named {v}"), "it is gone"));
        }
        Ok(Ok(_)) if spec.exists == Some(false) => {
            return Ok(Verdict::fail(format!("no volume named {v}"), format!("{v} still exists"))
                .advise(format!("A named volume stays until it is removed itself, whatever happens to its containers (`docker volume ls` lists {v}).")));
        }
        Ok(Err(e)) if is_not_found(&e) => {
            return Ok(Verdict::fail(expected, format!("there is no volume named {v}"))
                .advise("`docker volume ls` lists volumes. A named volume comes into being when a container mounts it by name (or with `docker volume create`)."))
        }
        Ok(r) => {
            r.map_err(|e| crate::docker::classify("inspect volume", &e))?;
        }
    }
    let file = spec.file.trim_start_matches('/');
    let cs = ContainerSpec {
        image: PROBE_IMAGE.into(),
        cmd: Some(vec!["cat".into(), format!("/dockdojo-volume/{file}")]),
        volumes: vec![format!("{v}:/dockdojo-volume:ro")],
        ..Default::default()
    };
    let out = match run_once(ctx.engine, &ctx.exercise.id, cs, Duration::from_secs(20)).await? {
        Ok(o) => o,
        Err(msg) => {
            return Err(EnvError::Other(format!(
            "could not start the probe container ({PROBE_IMAGE}): {msg}\nRun `dockdojo prepare`."
        )))
        }
    };
    if out.code != 0 {
        return Ok(Verdict::fail(expected, format!("{v} exists but has no {file}"))
            .advise("The file was written somewhere else: into the container's own writable layer (gone with `docker rm`) or another volume. Mount the named volume at the folder the app writes to."));
    }
    if let Some(c) = &spec.contains {
        if !out.stdout.contains(c.as_str()) {
            return Ok(Verdict::fail(
                expected,
                format!(
                    "{file} in {v} contains: {}",
                    crate::docker::logs::tail(&out.stdout, 3)
                ),
            ));
        }
    }
    if let Some(x) = &spec.excludes {
        if out.stdout.contains(x.as_str()) {
            return Ok(Verdict::fail(
                format!("{expected}, without \"{x}\""),
                format!("{file} in {v} still holds \"{x}\" from an earlier run"),
            )
            .advise("Named volumes outlive containers: stale data stays until the volume is removed (`docker compose down -v`, `docker volume rm`)."));
        }
    }
    Ok(Verdict::pass(
        expected,
        format!("{file} found in volume {v}"),
    ))
}
