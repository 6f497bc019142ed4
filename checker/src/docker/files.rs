//! Reading an image's files: a container created from it and never started, and copying a path
//! out of a container.

use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
};
use futures_util::StreamExt;

use crate::docker::{call, deadline, is_not_found, Engine};
use crate::error::EnvError;

/// A container of this run created from `image` and never started (no network, a command that
/// does not exist): something to inspect or copy files out of. The caller removes it.
pub async fn create_unstarted(
    engine: &Engine,
    exercise: &str,
    image: &str,
    purpose: &str,
    entrypoint: Option<Vec<String>>,
) -> Result<bollard::models::ContainerCreateResponse, EnvError> {
    create(engine, exercise, image, purpose, entrypoint, None).await
}

/// A never-started container of this run that mounts named volume `volume` read-only at `at`.
/// Copying a path under `at` out of it reads the volume (the daemon mounts a container's volumes
/// for a copy), without the start, wait and exit of a container that would `cat` it. The caller
/// removes it.
pub async fn mount_unstarted(
    engine: &Engine,
    exercise: &str,
    image: &str,
    volume: &str,
    at: &str,
) -> Result<bollard::models::ContainerCreateResponse, EnvError> {
    let binds = vec![format!("{volume}:{at}:ro")];
    create(engine, exercise, image, "volume", Some(vec![]), Some(binds)).await
}

async fn create(
    engine: &Engine,
    exercise: &str,
    image: &str,
    purpose: &str,
    entrypoint: Option<Vec<String>>,
    binds: Option<Vec<String>>,
) -> Result<bollard::models::ContainerCreateResponse, EnvError> {
    let body = bollard::models::ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(vec!["/dockdojo-never-started".into()]),
        entrypoint,
        labels: Some(engine.labels(exercise)),
        network_disabled: Some(true),
        host_config: binds.map(|b| bollard::models::HostConfig {
            binds: Some(b),
            ..Default::default()
        }),
        ..Default::default()
    };
    let name = engine.name(
        exercise,
        &format!("{purpose}-{}", &uuid::Uuid::new_v4().to_string()[..4]),
    );
    let opts = CreateContainerOptionsBuilder::new().name(&name).build();
    call(
        "create container",
        deadline::QUICK,
        engine.docker.create_container(Some(opts), body),
    )
    .await
}

/// The content of a path in a container's filesystem (files concatenated for a directory), or None.
pub async fn read_path(engine: &Engine, id: &str, path: &str) -> Result<Option<String>, EnvError> {
    let Some(buf) = archive(engine, id, path).await? else {
        return Ok(None);
    };
    let mut text = String::new();
    let mut ar = tar::Archive::new(&buf[..]);
    if let Ok(entries) = ar.entries() {
        for mut e in entries.flatten() {
            let mut b = Vec::new();
            let _ = std::io::Read::read_to_end(&mut e, &mut b);
            text.push_str(&String::from_utf8_lossy(&b));
        }
    }
    Ok(Some(text))
}

/// The content of one file as `cat` would print it, or None when there is no such file (or it is
/// a folder). A symbolic link is followed once, as far as it stays in the container's filesystem.
pub async fn read_file(engine: &Engine, id: &str, path: &str) -> Result<Option<String>, EnvError> {
    let mut path = path.to_string();
    for _ in 0..2 {
        let Some(buf) = archive(engine, id, &path).await? else {
            return Ok(None);
        };
        match first_entry(&buf) {
            Entry::File(text) => return Ok(Some(text)),
            Entry::Link(target) if target.starts_with('/') => path = target,
            Entry::Link(target) => {
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                path = format!("{dir}/{target}");
            }
            Entry::Other => return Ok(None),
        }
    }
    Ok(None)
}

enum Entry {
    File(String),
    Link(String),
    Other,
}

/// The first entry of a tar archive: what a copy of a single path holds.
fn first_entry(buf: &[u8]) -> Entry {
    let mut ar = tar::Archive::new(buf);
    let Some(Ok(mut e)) = ar.entries().ok().and_then(|mut es| es.next()) else {
        return Entry::Other;
    };
    let kind = e.header().entry_type();
    if kind.is_symlink() {
        return match e.link_name() {
            Ok(Some(t)) => Entry::Link(t.to_string_lossy().into_owned()),
            _ => Entry::Other,
        };
    }
    if !kind.is_file() {
        return Entry::Other;
    }
    let mut b = Vec::new();
    let _ = std::io::Read::read_to_end(&mut e, &mut b);
    Entry::File(String::from_utf8_lossy(&b).into_owned())
}

/// A path copied out of a container, as the daemon's tar archive (at most 4 MiB kept), or None.
async fn archive(engine: &Engine, id: &str, path: &str) -> Result<Option<Vec<u8>>, EnvError> {
    let opts = DownloadFromContainerOptionsBuilder::new()
        .path(path)
        .build();
    let mut s = engine.docker.download_from_container(id, Some(opts));
    let mut buf = Vec::new();
    let until = tokio::time::Instant::now() + deadline::QUICK;
    loop {
        match tokio::time::timeout_at(until, s.next()).await {
            Err(_) => {
                return Err(EnvError::Deadline {
                    what: "copy from container".into(),
                    deadline: deadline::QUICK,
                })
            }
            Ok(None) => break,
            Ok(Some(Err(e))) if is_not_found(&e) => return Ok(None),
            Ok(Some(Err(e))) => return Err(crate::docker::classify("copy from container", &e)),
            Ok(Some(Ok(b))) => {
                if buf.len() < 4 * 1024 * 1024 {
                    buf.extend_from_slice(&b)
                }
            }
        }
    }
    Ok(Some(buf))
}
