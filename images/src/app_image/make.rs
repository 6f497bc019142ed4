//! Making the app image (see [`super`]): the layer, the build container, the commit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CommitContainerOptions, CreateContainerOptions, ListContainersOptionsBuilder,
    RemoveContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use sha2::{Digest, Sha256};

use checker::error::EnvError;
use checker::labels;

use super::carry::{self, ImageFile};
use super::{reference, BASE, DIGEST_LABEL, ENV, HOME};
use crate::busybox::{elf_info, go_arch, write_tar, Node};
use crate::daemon::{daemon_arch, env_error, image_size, megabytes, refusal, within};
use crate::daemon::{IMPORT_LARGE_DEADLINE, INSPECT_DEADLINE};
use crate::debian::find_tool;
use crate::import::standin_labels;
use crate::{image_present, Outcome, PrepareError};

/// The name of the container a build uses (followed by 8 hex digits).
const BUILD_CONTAINER: &str = "dockdojo-app-image-";

/// Keep the app image when it holds `executable` already, else build it (and remove the one it
/// replaces, when nothing else uses it).
pub(super) async fn ensure(
    docker: &Docker,
    executable: &Path,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Outcome, PrepareError> {
    let r = reference();
    let failed = |detail: String| PrepareError::StandInFailed {
        image: r.clone(),
        detail,
    };
    let binary = tokio::fs::read(executable)
        .await
        .map_err(|e| failed(format!("cannot read {}: {e}", executable.display())))?;
    let digest = hex(&Sha256::digest(&binary));
    if image_present(docker, &r).await? == Some(true) && held_digest(docker, &r).await? == digest {
        progress(&format!("{r}: already present, made from this dockdojo"));
        return Ok(Outcome::Present { standin: true });
    }
    let previous = crate::standin_id(docker, &r).await?;
    build(docker, &r, executable, binary, &digest, progress).await?;
    if let Some(old) = previous {
        crate::retire(docker, &r, &old, progress).await;
    }
    Ok(Outcome::StandIn)
}

async fn held_digest(docker: &Docker, reference: &str) -> Result<String, EnvError> {
    let what = format!("inspect image {reference}");
    Ok(
        match within(&what, INSPECT_DEADLINE, docker.inspect_image(reference)).await? {
            Ok(img) => img
                .config
                .and_then(|c| c.labels)
                .and_then(|l| l.get(DIGEST_LABEL).cloned())
                .unwrap_or_default(),
            Err(_) => String::new(),
        },
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn build(
    docker: &Docker,
    reference: &str,
    executable: &Path,
    binary: Vec<u8>,
    digest: &str,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(), PrepareError> {
    let started = Instant::now();
    let failed = |detail: String| PrepareError::StandInFailed {
        image: reference.to_string(),
        detail,
    };
    if !cfg!(target_os = "linux") {
        return Err(failed(
            "only a dockdojo built for Linux can go into an image: build it on the Docker \
             daemon's Linux machine"
                .into(),
        ));
    }
    if image_present(docker, BASE).await?.is_none() {
        return Err(failed(format!(
            "its base image {BASE} is not in the daemon: run `dockdojo prepare` first"
        )));
    }
    let elf = elf_info(&binary).map_err(|e| failed(format!("{}: {e}", executable.display())))?;
    if let (Some(daemon), Some(ours)) = (daemon_arch(docker).await?, go_arch(&elf)) {
        if daemon != ours {
            return Err(failed(format!(
                "this dockdojo is built for {ours} but the Docker daemon runs on {daemon}"
            )));
        }
    }
    progress(&format!(
        "{reference}: making the course app image from {} on {BASE}…",
        executable.display()
    ));
    let dockdojo = stripped(executable).await.unwrap_or(binary);
    let mut programs: Vec<(&str, Vec<u8>)> = vec![("dockdojo", dockdojo)];
    match docker_cli() {
        Ok((path, cli)) => {
            progress(&format!(
                "{reference}: with the docker CLI {}",
                path.display()
            ));
            programs.push(("docker", cli));
        }
        Err(why) => progress(&format!(
            "{reference}: warning: {why}; inside the image, `dockdojo setup` cannot arrange the \
             scenario exercises"
        )),
    }
    let borrowed: Vec<(&str, &[u8])> = programs.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let files = carry::carry(&borrowed, &elf).map_err(failed)?;
    let layer = layer_tar(&files).map_err(|e| failed(format!("cannot pack the layer: {e}")))?;
    let mut labels = standin_labels(reference, &source(executable, digest));
    labels.push((DIGEST_LABEL.to_string(), digest.to_string()));
    let labels: HashMap<String, String> = labels.into_iter().collect();
    sweep(docker, reference).await;
    commit_layer(docker, reference, layer, labels)
        .await?
        .map_err(|msg| failed(format!("Docker refused it: {msg}")))?;
    let size = image_size(docker, reference).await?;
    progress(&format!(
        "{reference}: built the course app image ({} with its base) in {:.1} s",
        megabytes(size),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn source(executable: &Path, digest: &str) -> String {
    format!(
        "dockdojo {} ({}, sha256 {}) on {BASE}",
        env!("CARGO_PKG_VERSION"),
        executable.display(),
        &digest[..12]
    )
}

/// The program with its debug sections removed by the host's `strip` (a debug build is several
/// times larger); `None` when there is no `strip` or it failed.
async fn stripped(executable: &Path) -> Option<Vec<u8>> {
    let strip = find_tool("strip")?;
    let dir = tempfile::tempdir().ok()?;
    let out = dir.path().join("dockdojo");
    let status = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(strip)
            .arg("--strip-debug")
            .arg("-o")
            .arg(&out)
            .arg(executable)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .status(),
    )
    .await
    .ok()?
    .ok()?;
    if !status.success() {
        return None;
    }
    tokio::fs::read(&out).await.ok()
}

/// The host's `docker` CLI (the first on `PATH`), when it is a program (not a script).
fn docker_cli() -> Result<(PathBuf, Vec<u8>), String> {
    let path = find_tool("docker").ok_or("there is no `docker` CLI on this machine's PATH")?;
    let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    let data = std::fs::read(&real).map_err(|e| format!("cannot read {}: {e}", real.display()))?;
    if elf_info(&data).is_err() {
        return Err(format!(
            "{} is not a program (a script standing in for docker?)",
            path.display()
        ));
    }
    Ok((path, data))
}

/// The layer as a tar: dockdojo's folders, `HOME`, and the carried files.
fn layer_tar(files: &[ImageFile]) -> std::io::Result<Vec<u8>> {
    let rel = |p: &str| p.trim_start_matches('/').to_string();
    let dir = |mode| Node::Dir { mode, owner: 0 };
    let mut nodes: Vec<(String, Node)> = vec![
        (rel(carry::ROOT), dir(0o755)),
        (rel(carry::BIN_DIR), dir(0o755)),
        (rel(carry::LIB_DIR), dir(0o755)),
        (rel(HOME), dir(0o1777)),
    ];
    nodes.extend(files.iter().map(|f| {
        (
            rel(&f.path),
            Node::File {
                mode: f.mode,
                data: &f.data,
            },
        )
    }));
    let capacity = files.iter().map(|f| f.data.len() + 1024).sum::<usize>() + 64 * 1024;
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    write_tar(nodes, mtime, capacity)
}

/// The container's (and so the image's) config.
fn config(reference: &str, labels: HashMap<String, String>) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(BASE.to_string()),
        entrypoint: Some(vec![format!("{}/dockdojo", carry::PATH_DIR)]),
        cmd: Some(vec![]),
        env: Some(vec![format!("HOME={HOME}"), format!("{ENV}={reference}")]),
        working_dir: Some(HOME.to_string()),
        labels: Some(labels),
        ..Default::default()
    }
}

/// Create the container, copy the layer in, commit it as `reference`, remove the container (also
/// when a step failed). `Ok(Err(msg))`: the daemon refused a step.
async fn commit_layer(
    docker: &Docker,
    reference: &str,
    layer: Vec<u8>,
    labels: HashMap<String, String>,
) -> Result<Result<(), String>, EnvError> {
    let name = format!(
        "{BUILD_CONTAINER}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let what = format!("create the container {name}");
    let opts = CreateContainerOptions {
        name: Some(name.clone()),
        ..Default::default()
    };
    let created = within(
        &what,
        INSPECT_DEADLINE,
        docker.create_container(Some(opts), config(reference, labels)),
    )
    .await?;
    let id = match created {
        Ok(c) => c.id,
        Err(e) => {
            return match refusal(&e) {
                Some(msg) => Ok(Err(msg)),
                None => Err(env_error(docker, &what, &e)),
            }
        }
    };
    let result = fill_and_commit(docker, &id, reference, layer).await;
    remove_container(docker, &id).await;
    result
}

async fn fill_and_commit(
    docker: &Docker,
    id: &str,
    reference: &str,
    layer: Vec<u8>,
) -> Result<Result<(), String>, EnvError> {
    let what = "copy dockdojo into the image";
    let long = docker.clone().with_timeout(IMPORT_LARGE_DEADLINE);
    let opts = UploadToContainerOptionsBuilder::new().path("/").build();
    let upload = long.upload_to_container(id, Some(opts), bollard::body_full(layer.into()));
    match within(what, IMPORT_LARGE_DEADLINE, upload).await? {
        Ok(()) => {}
        Err(e) => {
            return match refusal(&e) {
                Some(msg) => Ok(Err(msg)),
                None => Err(env_error(docker, what, &e)),
            }
        }
    }
    let (repo, tag) = crate::daemon::split_reference(reference);
    let opts = CommitContainerOptions {
        container: Some(id.to_string()),
        repo: Some(repo.to_string()),
        tag: Some(tag.to_string()),
        comment: Some(format!("dockdojo {}", env!("CARGO_PKG_VERSION"))),
        pause: false,
        ..Default::default()
    };
    let what = format!("commit {reference}");
    let commit = long.commit_container(opts, bollard::models::ContainerConfig::default());
    match within(&what, IMPORT_LARGE_DEADLINE, commit).await? {
        Ok(_) => Ok(Ok(())),
        Err(e) => match refusal(&e) {
            Some(msg) => Ok(Err(msg)),
            None => Err(env_error(docker, &what, &e)),
        },
    }
}

async fn remove_container(docker: &Docker, id: &str) {
    let opts = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    let _ = within(
        "remove container",
        INSPECT_DEADLINE,
        docker.remove_container(id, Some(opts)),
    )
    .await;
}

/// Remove build containers a killed build left: named [`BUILD_CONTAINER`]…, labelled as the
/// image `reference` is, never started.
async fn sweep(docker: &Docker, reference: &str) {
    let filters = HashMap::from([
        (
            "label".to_string(),
            vec![format!("{}={reference}", labels::STANDIN)],
        ),
        ("name".to_string(), vec![BUILD_CONTAINER.to_string()]),
        ("status".to_string(), vec!["created".to_string()]),
    ]);
    let opts = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let Ok(Ok(list)) = within(
        "list containers",
        INSPECT_DEADLINE,
        docker.list_containers(Some(opts)),
    )
    .await
    else {
        return;
    };
    for c in list {
        let ours = c
            .labels
            .as_ref()
            .and_then(|l| l.get(labels::STANDIN))
            .is_some_and(|s| s == reference);
        let named = c.names.unwrap_or_default().iter().any(|n| {
            n.trim_start_matches('/')
                .strip_prefix(BUILD_CONTAINER)
                .is_some_and(|rest| rest.len() == 8 && rest.chars().all(|c| c.is_ascii_hexdigit()))
        });
        let created = c
            .state
            .is_some_and(|s| s.to_string().eq_ignore_ascii_case("created"));
        if let (true, true, true, Some(id)) = (ours, named, created, c.id) {
            remove_container(docker, &id).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_runs_dockdojo_and_says_so() {
        let labels = HashMap::from([(labels::STANDIN.to_string(), reference())]);
        let c = config(&reference(), labels.clone());
        assert_eq!(c.image.as_deref(), Some(BASE));
        assert_eq!(
            c.entrypoint,
            Some(vec!["/usr/local/bin/dockdojo".to_string()])
        );
        let env = c.env.unwrap();
        assert!(env.contains(&"HOME=/home/dojo".to_string()), "{env:?}");
        assert!(
            env.contains(&format!("DOCKDOJO_IMAGE={}", reference())),
            "{env:?}"
        );
        // A commit keeps the container's labels: it carries the image's and no others.
        assert_eq!(c.labels, Some(labels));
    }

    #[test]
    fn the_layer_holds_home_for_any_user_and_the_files() {
        let files = vec![ImageFile {
            path: "/usr/local/bin/dockdojo".into(),
            mode: 0o755,
            data: b"#!/bin/sh\n".to_vec(),
        }];
        let tar = layer_tar(&files).unwrap();
        let mut a = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32)> = a
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        assert!(
            entries.contains(&("home/dojo/".into(), 0o1777)),
            "{entries:?}"
        );
        assert!(
            entries.contains(&("opt/dockdojo/lib/".into(), 0o755)),
            "{entries:?}"
        );
        assert!(
            entries.contains(&("usr/local/bin/dockdojo".into(), 0o755)),
            "{entries:?}"
        );
    }
}
