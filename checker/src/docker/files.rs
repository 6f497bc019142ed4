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
    let body = bollard::models::ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(vec!["/dockdojo-never-started".into()]),
        entrypoint,
        labels: Some(engine.labels(exercise)),
        network_disabled: Some(true),
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
