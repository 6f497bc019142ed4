//! `docker import` of a stand-in's root filesystem, and the config (`changes`) it is given.

use std::time::Duration;

use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::{Stream, StreamExt};

use checker::docker::connect::describe_bollard;
use checker::error::EnvError;
use checker::labels;

use crate::daemon::{
    drain, env_error, refusal, split_reference, within, IMPORT_SMALL_DEADLINE, INSPECT_DEADLINE,
    VERSION_DEADLINE,
};
use crate::{STANDIN_FORMAT, STANDIN_FORMAT_LABEL, STANDIN_SOURCE};

/// The `changes` lines (Dockerfile syntax) that give an imported root filesystem its config.
pub(crate) fn import_changes(cmd: &str, path: &str, labels: &[(String, String)]) -> Vec<String> {
    let mut changes = vec![format!("CMD [{}]", quote(cmd)), format!("ENV PATH={path}")];
    changes.extend(label_changes(labels));
    changes
}

/// A JSON string (as `changes` lines write exec-form arrays and labels).
pub(crate) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One `LABEL "key"="value"` line per label.
pub(crate) fn label_changes(labels: &[(String, String)]) -> Vec<String> {
    labels
        .iter()
        .map(|(k, v)| format!("LABEL {}={}", quote(k), quote(v)))
        .collect()
}

/// The labels of a stand-in for `reference` built from `source`, sorted for stable output.
pub(crate) fn standin_labels(reference: &str, source: &str) -> Vec<(String, String)> {
    let mut l: Vec<(String, String)> = labels::base_image_labels(reference).into_iter().collect();
    l.push((STANDIN_SOURCE.to_string(), source.to_string()));
    l.push((STANDIN_FORMAT_LABEL.to_string(), STANDIN_FORMAT.to_string()));
    l.sort();
    l
}

/// A root filesystem tar for [`import_rootfs`]: in memory, or streamed in chunks.
#[cfg_attr(not(unix), allow(dead_code))] // `Stream` is the Debian stand-in's (unix)
pub(crate) enum RootfsBody {
    Bytes(Vec<u8>),
    Stream(ChunkStream),
}

/// Chunks of a body streamed to the daemon; an error aborts the upload.
pub(crate) type ChunkStream =
    std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Vec<u8>>> + Send>>;

/// A stream of chunks read from `reader` (256 KiB at a time).
pub(crate) fn read_chunks(
    reader: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> impl Stream<Item = std::io::Result<Vec<u8>>> + Send {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(Some(reader), |state| async move {
        let mut reader = state?;
        let mut buf = vec![0u8; 256 * 1024];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), Some(reader)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// `docker import`: make `reference` from a root filesystem tar in `body`. `Ok(Err(msg))` when the
/// daemon refused the tar (the caller reports a failed stand-in).
pub(crate) async fn import_rootfs(
    docker: &Docker,
    reference: &str,
    body: RootfsBody,
    changes: Vec<String>,
    message: &str,
    deadline: Duration,
) -> Result<Result<(), String>, EnvError> {
    let podman = is_podman(docker).await?;
    let (repo, tag) = split_reference(reference);
    let opts = if podman {
        // Podman 4.3's import reads no `tag` (the repo may carry one) and takes each `changes`
        // value as one instruction, while bollard sends them newline-joined in one value: the
        // config is applied by a metadata-only build afterwards ([`restamp`]).
        CreateImageOptionsBuilder::default()
            .from_src("-")
            .repo(reference)
            .message(message)
            .build()
    } else {
        CreateImageOptionsBuilder::default()
            .from_src("-")
            .repo(repo)
            .tag(tag)
            .message(message)
            .changes(changes.clone())
            .build()
    };
    let what = format!("import the root filesystem of {reference}");
    let long = docker.clone().with_timeout(deadline);
    let body = match body {
        RootfsBody::Bytes(b) => bollard::body_full(b.into()),
        RootfsBody::Stream(s) => bollard::body_try_stream(s.map(|chunk| chunk.map(Into::into))),
    };
    let stream = long.create_image(Some(opts), Some(body), None);
    match drain(&what, stream, (deadline, deadline, deadline), |_| {}).await? {
        Ok(()) if podman => restamp(docker, reference, &changes).await,
        Ok(()) => Ok(Ok(())),
        Err(e) => {
            let detail = describe_bollard(&e);
            if detail.contains("no space left on device") {
                return Err(EnvError::DiskFull { detail });
            }
            match refusal(&e) {
                Some(msg) => Ok(Err(msg)),
                None => Err(env_error(docker, &what, &e)),
            }
        }
    }
}

/// Does the daemon say it is Podman (a component named "Podman Engine")?
pub(crate) async fn is_podman(docker: &Docker) -> Result<bool, EnvError> {
    let what = "query the Docker version";
    match within(what, VERSION_DEADLINE, docker.version()).await? {
        Ok(v) => Ok(checker::docker::is_podman_version(&v)),
        Err(e) => Err(env_error(docker, what, &e)),
    }
}

/// The Dockerfile that gives an imported image its config: `FROM <id>` and the `changes` lines.
pub(crate) fn restamp_dockerfile(id: &str, changes: &[String]) -> String {
    let mut text = format!("FROM {id}\n");
    for c in changes {
        text.push_str(c);
        text.push('\n');
    }
    text
}

/// Give the image just imported as `reference` its config (CMD, ENV, LABEL…) with a build that
/// adds no layer, and move `reference` to the result (Podman; see [`import_rootfs`]).
pub(crate) async fn restamp(
    docker: &Docker,
    reference: &str,
    changes: &[String],
) -> Result<Result<(), String>, EnvError> {
    use bollard::query_parameters::BuildImageOptionsBuilder;
    let what = format!("inspect image {reference}");
    let id = match within(&what, INSPECT_DEADLINE, docker.inspect_image(reference)).await? {
        Ok(img) => img.id.unwrap_or_default(),
        Err(e) => return Err(env_error(docker, &what, &e)),
    };
    if id.is_empty() {
        return Ok(Err(format!("the imported image {reference} has no id")));
    }
    let dockerfile = restamp_dockerfile(&id, changes);
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(dockerfile.len() as u64);
    tar.append_data(&mut h, "Dockerfile", dockerfile.as_bytes())
        .map_err(|e| EnvError::Other(format!("could not pack a Dockerfile: {e}")))?;
    let tar = tar
        .into_inner()
        .map_err(|e| EnvError::Other(format!("could not pack a Dockerfile: {e}")))?;
    let opts = BuildImageOptionsBuilder::new()
        .dockerfile("Dockerfile")
        .t(reference)
        .rm(true)
        .forcerm(true)
        .build();
    let what = format!("apply the config of {reference}");
    let stream = docker.build_image(opts, None, Some(bollard::body_full(tar.into())));
    let limit = IMPORT_SMALL_DEADLINE;
    match drain(&what, stream, (limit, limit, limit), |_| {}).await? {
        Ok(()) => Ok(Ok(())),
        Err(e) => match refusal(&e) {
            Some(msg) => Ok(Err(msg)),
            None => Err(env_error(docker, &what, &e)),
        },
    }
}
