//! `--load FILE` (`docker load` of a `docker save` archive, streamed from disk) and `--save FILE`
//! (`docker save` of the course images, streamed to a temporary file renamed into place).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::errors::Error as BollardError;
use bollard::query_parameters::ImportImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::daemon::{drain, env_error, megabytes, refusal};
use crate::import::read_chunks;
use crate::{image_present, BaseImage, PrepareError};
use checker::docker::connect::describe_bollard;
use checker::error::EnvError;

/// The whole `docker load` (the daemon answers only once it has read and stored everything).
const LOAD_DEADLINE: Duration = Duration::from_secs(30 * 60);
/// Between two chunks of a `docker save` stream, and for the whole.
const SAVE_IDLE_DEADLINE: Duration = Duration::from_secs(120);
const SAVE_TOTAL_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// Load `path` into the daemon, then check every one of `images` is present. Returns the
/// references the archive itself provided, among them those of `optional` (the course app image)
/// it held.
pub(super) async fn load(
    docker: &Docker,
    path: &Path,
    images: &[BaseImage],
    optional: &[&str],
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<HashSet<String>, PrepareError> {
    let archive_err = |detail: String| PrepareError::Archive {
        path: path.to_path_buf(),
        detail,
    };
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| archive_err(format!("cannot open it: {e}")))?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| archive_err(format!("cannot read it: {e}")))?;
    if !meta.is_file() {
        return Err(archive_err("not a regular file".into()));
    }
    progress(&format!(
        "loading images from {} ({})…",
        path.display(),
        megabytes(meta.len())
    ));

    // A read error aborts the upload; remember it so we blame the file, not the connection.
    let read_error: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = Arc::clone(&read_error);
    let chunks = read_chunks(file).map(move |chunk| {
        if let (Err(e), Ok(mut slot)) = (&chunk, seen.lock()) {
            *slot = Some(e.to_string());
        }
        chunk.map(Into::into)
    });
    let what = format!("load images from {}", path.display());
    let long = docker.clone().with_timeout(LOAD_DEADLINE);
    let opts = ImportImageOptionsBuilder::default().quiet(true).build();
    let stream = long.import_image(opts, bollard::body_try_stream(chunks), None);
    let mut names: Vec<String> = Vec::new();
    let deadlines = (LOAD_DEADLINE, LOAD_DEADLINE, LOAD_DEADLINE);
    let result = drain(&what, stream, deadlines, |info| {
        if let Some(text) = info.stream {
            names.extend(loaded_names(&text));
        }
    })
    .await?;
    if let Some(e) = read_error.lock().ok().and_then(|mut s| s.take()) {
        return Err(archive_err(format!("reading it failed: {e}")));
    }
    if let Err(e) = result {
        return Err(match daemon_failure(docker, &what, &e) {
            Ok(msg) => archive_err(format!(
                "Docker could not load it ({msg}). Is it an archive made by `docker save` or \
                 `dockdojo prepare --save`?"
            )),
            Err(env) => env.into(),
        });
    }

    let mut missing = Vec::new();
    let mut loaded = HashSet::new();
    for img in images {
        match image_present(docker, img.reference).await? {
            None => missing.push(img.reference),
            Some(_) if names.iter().any(|n| n == img.reference) => {
                loaded.insert(img.reference.to_string());
            }
            Some(_) => {}
        }
    }
    for r in optional {
        if names.iter().any(|n| n == r) && image_present(docker, r).await?.is_some() {
            loaded.insert(r.to_string());
        }
    }
    let held = if names.is_empty() {
        "no tagged images".to_string()
    } else {
        names.join(", ")
    };
    if !missing.is_empty() {
        return Err(archive_err(format!(
            "it does not contain {} (it held: {held})",
            missing.join(", ")
        )));
    }
    let extra: Vec<&str> = names
        .iter()
        .filter(|n| !images.iter().any(|i| i.reference == n.as_str()))
        .filter(|n| !optional.contains(&n.as_str()))
        .map(String::as_str)
        .collect();
    let mut line = format!("loaded {held} from {}", path.display());
    if !extra.is_empty() {
        line.push_str(&format!(
            " ({} not a course image; left in place)",
            extra.join(", ")
        ));
    }
    progress(&line);
    Ok(loaded)
}

/// References named in `docker load` output ("Loaded image: busybox:1.36.1").
pub(super) fn loaded_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Loaded image: "))
        // Podman names every image of the archive on one line, joined by commas.
        .flat_map(|r| r.split(','))
        .map(|r| {
            let r = r.trim();
            // Podman's local names (`localhost/busybox:1.36.1`) and Docker Hub's long form.
            let r = r.strip_prefix("localhost/").unwrap_or(r);
            let r = r.strip_prefix("docker.io/").unwrap_or(r);
            r.strip_prefix("library/").unwrap_or(r).to_string()
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// `Ok(message)` when the daemon refused the request; `Err` for environment failures (including
/// a full disk, which is never the archive's fault).
fn daemon_failure(docker: &Docker, what: &str, e: &BollardError) -> Result<String, EnvError> {
    let detail = describe_bollard(e);
    if detail.contains("no space left on device") {
        return Err(EnvError::DiskFull { detail });
    }
    refusal(e).ok_or_else(|| env_error(docker, what, e))
}

/// Write the images `refs` into one `docker save` archive at `path` (atomically: a temporary file
/// in the same directory, renamed when complete). Returns the archive's size.
pub(super) async fn save(
    docker: &Docker,
    path: &Path,
    refs: &[&str],
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<u64, PrepareError> {
    let archive_err = |detail: String| PrepareError::Archive {
        path: path.to_path_buf(),
        detail,
    };
    for r in refs {
        if image_present(docker, r).await?.is_none() {
            return Err(archive_err(format!(
                "cannot save {r}: it is not in the daemon"
            )));
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".dockdojo-save-")
        .suffix(".part")
        .tempfile_in(&dir)
        .map_err(|e| archive_err(format!("cannot create a file in {}: {e}", dir.display())))?;
    let handle = tmp
        .as_file()
        .try_clone()
        .map_err(|e| archive_err(format!("cannot write it: {e}")))?;
    let mut out = tokio::fs::File::from_std(handle);

    let what = format!("save {} to {}", refs.join(", "), path.display());
    let mut stream = std::pin::pin!(docker.export_images(refs));
    let start = Instant::now();
    let mut written: u64 = 0;
    loop {
        let left = SAVE_TOTAL_DEADLINE.saturating_sub(start.elapsed());
        let (limit, deadline) = if left < SAVE_IDLE_DEADLINE {
            (left, SAVE_TOTAL_DEADLINE)
        } else {
            (SAVE_IDLE_DEADLINE, SAVE_IDLE_DEADLINE)
        };
        match tokio::time::timeout(limit, stream.next()).await {
            Err(_) => return Err(EnvError::Deadline { what, deadline }.into()),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(match daemon_failure(docker, &what, &e) {
                    Ok(msg) => archive_err(format!("Docker could not export the images: {msg}")),
                    Err(env) => env.into(),
                })
            }
            Ok(Some(Ok(chunk))) => {
                out.write_all(&chunk)
                    .await
                    .map_err(|e| archive_err(format!("writing it failed: {e}")))?;
                written += chunk.len() as u64;
            }
        }
    }
    if written == 0 {
        return Err(archive_err("Docker sent an empty archive".into()));
    }
    out.flush()
        .await
        .map_err(|e| archive_err(format!("writing it failed: {e}")))?;
    out.sync_all()
        .await
        .map_err(|e| archive_err(format!("writing it failed: {e}")))?;
    drop(out);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Archives are meant to be handed out; the temporary file starts as 0600.
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path).map_err(|e| {
        archive_err(format!(
            "could not move the finished archive into place: {}",
            e.error
        ))
    })?;
    progress(&format!(
        "saved {} to {} ({})",
        refs.join(", "),
        path.display(),
        megabytes(written)
    ));
    Ok(written)
}
