//! The course's base images, made available without a registry when there is none.
//!
//! The course pins its base images by tag ([`BASE_IMAGES`]). [`prepare`] makes each one available:
//! an image archive handed out by an instructor (`--load FILE`) first, then per image: already
//! there → keep; else pull (unless offline); else build a local stand-in from host packages and
//! label it as one ([`labels::STANDIN`]). `--save FILE` writes the images to one archive at the end
//! so they can be carried to machines without a registry.
//!
//! Every Docker call here has its own deadline; bollard's client timeout only bounds the wait for
//! a response head, and long uploads use a client clone whose timeout matches our deadline.

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bollard::errors::Error as BollardError;
use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::{Stream, StreamExt};

use crate::docker::connect::describe_bollard;
use crate::error::EnvError;
use crate::labels;

mod archive;
mod busybox;
#[cfg(unix)]
mod debian;
#[cfg(unix)]
mod registry;
#[cfg(test)]
mod tests;

/// A base image the course pins by tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseImage {
    /// `name:tag`, exactly as exercises write it in `FROM`.
    pub reference: &'static str,
    /// How to make a local stand-in when it cannot be pulled.
    pub standin: StandIn,
    /// What the course uses it for (shown by `prepare --help`-like listings).
    pub purpose: &'static str,
}

/// How a stand-in for a base image is built from host packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandIn {
    /// A `FROM scratch`-like image holding the host's static busybox (Debian `busybox-static`).
    BusyboxStatic,
    /// A Debian bookworm root filesystem with gcc, made by `debootstrap` (needs root and Linux).
    DebianGcc,
    /// A `FROM scratch`-like image holding Debian's distribution registry (package
    /// `docker-registry`, 2.8.x) and the host's C library it links against (Linux).
    DebianRegistry,
}

impl StandIn {
    /// One line on what the stand-in is made from.
    pub fn describe(self) -> &'static str {
        match self {
            StandIn::BusyboxStatic => "the host's static busybox (Debian package busybox-static)",
            StandIn::DebianGcc => {
                "a Debian bookworm root filesystem with gcc, made by debootstrap (root, Linux)"
            }
            StandIn::DebianRegistry => {
                "Debian's distribution registry (package docker-registry) and the host's C library \
                 (Linux)"
            }
        }
    }
}

/// The images the course pins, in the order `prepare` handles them.
pub const BASE_IMAGES: &[BaseImage] = &[
    BaseImage {
        reference: "busybox:1.36.1",
        standin: StandIn::BusyboxStatic,
        purpose: "a tiny image with sh, wget, httpd and nc for the first exercises",
    },
    BaseImage {
        reference: "gcc:12.2.0-bookworm",
        standin: StandIn::DebianGcc,
        purpose: "the build stage of the multi-stage exercises",
    },
    BaseImage {
        reference: "registry:2.8.2",
        standin: StandIn::DebianRegistry,
        purpose: "a local registry for pushing, pulling, digests and a tag that moves under you",
    },
];

/// Extra label on stand-ins: what exactly they were built from (host busybox version, mirror…).
pub const STANDIN_SOURCE: &str = "io.dockdojo.standin.source";

/// The stand-ins' format: bumped when what they contain changes, so `prepare` rebuilds older ones.
pub const STANDIN_FORMAT_LABEL: &str = "io.dockdojo.standin.format";
pub const STANDIN_FORMAT: &str = "3";

/// What `dockdojo prepare` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct PrepareOptions {
    /// Never try the registry; build stand-ins for what is missing.
    pub offline: bool,
    /// A `docker save` archive to load before anything else.
    pub load: Option<PathBuf>,
    /// Write the prepared images to this archive at the end.
    pub save: Option<PathBuf>,
    /// Only these images (a full reference like `busybox:1.36.1` or just the name `busybox`);
    /// empty means all of [`BASE_IMAGES`]. Also limits what `load` verifies and `save` writes.
    pub only: Vec<String>,
}

/// How an image came to be available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It was already there; `standin` says whether it is a local stand-in made by dockdojo.
    Present { standin: bool },
    /// Pulled from the registry.
    Pulled,
    /// Built a local stand-in just now.
    StandIn,
    /// Loaded from the `--load` archive.
    Loaded,
}

/// Why `prepare` stopped.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The daemon failed us (unreachable, deadline, disk full…).
    #[error(transparent)]
    Env(#[from] EnvError),
    /// A host tool needed to build a stand-in is missing; `fix` says how to get it or go around.
    #[error("`{tool}` is missing: {fix}")]
    MissingTool { tool: String, fix: String },
    /// Building the Debian-based stand-in needs root.
    #[error(
        "building the Debian-based stand-in image (debootstrap) needs root: it chroots and creates \
         device nodes. Run `sudo dockdojo prepare`, or ask your instructor for an image archive and \
         run `dockdojo prepare --load FILE`."
    )]
    NotRoot,
    /// The stand-in could not be built (a host command or the import failed).
    #[error("could not build a local stand-in for {image}: {detail}")]
    StandInFailed { image: String, detail: String },
    /// The `--load` archive is unreadable or lacks images, or `--save` could not write.
    #[error("image archive {}: {detail}", path.display())]
    Archive { path: PathBuf, detail: String },
    /// `only` named an image the course does not use.
    #[error("'{name}' is not one of the course's images ({known})")]
    UnknownImage { name: String, known: String },
}

/// Make the course's base images available; see the module docs for the order. Returns one
/// outcome per selected image, in [`BASE_IMAGES`] order.
pub async fn prepare(
    docker: &Docker,
    opts: &PrepareOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Vec<(String, Outcome)>, PrepareError> {
    prepare_images(docker, BASE_IMAGES, opts, progress).await
}

/// Is `reference` in the daemon? `Some(true)` when it is a stand-in dockdojo built for exactly
/// that reference. (Images built `FROM` a stand-in inherit its labels, so the label's value must
/// name the reference, not merely exist.)
pub async fn image_present(docker: &Docker, reference: &str) -> Result<Option<bool>, EnvError> {
    let what = format!("inspect image {reference}");
    match within(&what, INSPECT_DEADLINE, docker.inspect_image(reference)).await? {
        Ok(img) => {
            let labels = img.config.and_then(|c| c.labels);
            let standin = labels
                .as_ref()
                .and_then(|l| l.get(labels::STANDIN))
                .is_some_and(|s| s == reference);
            let current = labels
                .as_ref()
                .and_then(|l| l.get(STANDIN_FORMAT_LABEL))
                .is_some_and(|f| f == STANDIN_FORMAT);
            if standin && !current {
                // A stand-in from an older dockdojo: treat as missing so it is rebuilt.
                return Ok(None);
            }
            Ok(Some(standin))
        }
        Err(BollardError::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(env_error(docker, &what, &e)),
    }
}

/// The images `only` selects, in [`BASE_IMAGES`] order.
fn select(all: &[BaseImage], only: &[String]) -> Result<Vec<BaseImage>, PrepareError> {
    if only.is_empty() {
        return Ok(all.to_vec());
    }
    let matches = |img: &BaseImage, name: &str| {
        img.reference == name || split_reference(img.reference).0 == name
    };
    for name in only {
        if !all.iter().any(|img| matches(img, name)) {
            return Err(PrepareError::UnknownImage {
                name: name.clone(),
                known: all
                    .iter()
                    .map(|i| i.reference)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(all
        .iter()
        .filter(|img| only.iter().any(|n| matches(img, n)))
        .copied()
        .collect())
}

/// [`prepare`] for an explicit list (tests use their own references).
async fn prepare_images(
    docker: &Docker,
    all: &[BaseImage],
    opts: &PrepareOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Vec<(String, Outcome)>, PrepareError> {
    let selected = select(all, &opts.only)?;
    let images = selected.as_slice();
    // The stand-ins there now: once replaced (a newer format, an archive, a pull), each is left
    // untagged, ours to remove.
    let mut previous = Vec::new();
    for img in images {
        if let Some(id) = standin_id(docker, img.reference).await? {
            previous.push((img.reference, id));
        }
    }
    let loaded: HashSet<String> = match &opts.load {
        Some(path) => archive::load(docker, path, images, progress).await?,
        None => HashSet::new(),
    };
    let mut outcomes = Vec::new();
    for img in images {
        let r = img.reference;
        if loaded.contains(r) {
            outcomes.push((r.to_string(), Outcome::Loaded));
            continue;
        }
        if let Some(standin) = image_present(docker, r).await? {
            progress(&if standin {
                format!("{r}: already present (a local stand-in dockdojo built earlier)")
            } else {
                format!("{r}: already present")
            });
            outcomes.push((r.to_string(), Outcome::Present { standin }));
            continue;
        }
        if opts.offline {
            progress(&format!(
                "{r}: not present; offline, so building a local stand-in from {}…",
                img.standin.describe()
            ));
        } else {
            progress(&format!("{r}: not present; pulling…"));
            match pull(docker, r).await? {
                Ok(()) => {
                    let size = image_size(docker, r).await?;
                    progress(&format!("{r}: pulled ({})", megabytes(size)));
                    outcomes.push((r.to_string(), Outcome::Pulled));
                    continue;
                }
                Err(why) => progress(&format!("{r}: {why}; building a local stand-in…")),
            }
        }
        build_standin(docker, img, progress).await?;
        outcomes.push((r.to_string(), Outcome::StandIn));
    }
    for (r, old) in previous {
        retire(docker, r, &old, progress).await;
    }
    if let Some(path) = &opts.save {
        archive::save(docker, path, images, progress).await?;
    }
    Ok(outcomes)
}

/// The image ID at `reference` when it is a stand-in dockdojo built for that reference.
async fn standin_id(docker: &Docker, reference: &str) -> Result<Option<String>, EnvError> {
    let what = format!("inspect image {reference}");
    Ok(
        match within(&what, INSPECT_DEADLINE, docker.inspect_image(reference)).await? {
            Ok(img) => img
                .config
                .and_then(|c| c.labels)
                .is_some_and(|l| l.get(labels::STANDIN).is_some_and(|s| s == reference))
                .then_some(img.id)
                .flatten(),
            Err(_) => None,
        },
    )
}

/// Remove a stand-in that `reference` no longer names. Only an image that is still our stand-in
/// and that nothing uses goes: the daemon refuses one a container or another tag still holds,
/// and that is left as it is.
async fn retire(
    docker: &Docker,
    reference: &str,
    old: &str,
    progress: &mut (dyn FnMut(&str) + Send),
) {
    let now = match within(
        "inspect image",
        INSPECT_DEADLINE,
        docker.inspect_image(reference),
    )
    .await
    {
        Ok(Ok(img)) => img.id,
        _ => return,
    };
    if now.as_deref() == Some(old) {
        return;
    }
    let Ok(Ok(img)) = within("inspect image", INSPECT_DEADLINE, docker.inspect_image(old)).await
    else {
        return;
    };
    let ours = img
        .config
        .and_then(|c| c.labels)
        .is_some_and(|l| l.get(labels::STANDIN).is_some_and(|s| s == reference));
    let untagged = img.repo_tags.unwrap_or_default().is_empty();
    if !ours || !untagged {
        return;
    }
    let removed = within(
        "remove image",
        INSPECT_DEADLINE,
        docker.remove_image(
            old,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        ),
    )
    .await;
    if matches!(removed, Ok(Ok(_))) {
        let short: String = old.trim_start_matches("sha256:").chars().take(12).collect();
        progress(&format!(
            "{reference}: removed the stand-in it replaced ({short})"
        ));
    }
}

async fn build_standin(
    docker: &Docker,
    img: &BaseImage,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(), PrepareError> {
    match img.standin {
        StandIn::BusyboxStatic => busybox::build(docker, img.reference, progress).await,
        #[cfg(unix)]
        StandIn::DebianGcc => debian::build(docker, img.reference, progress).await,
        #[cfg(not(unix))]
        StandIn::DebianGcc => Err(PrepareError::MissingTool {
            tool: "debootstrap".into(),
            fix: format!(
                "the {} stand-in can only be built on Linux. Ask your instructor for an image \
                 archive and run `dockdojo prepare --load FILE`.",
                img.reference
            ),
        }),
        #[cfg(unix)]
        StandIn::DebianRegistry => registry::build(docker, img.reference, progress).await,
        #[cfg(not(unix))]
        StandIn::DebianRegistry => Err(PrepareError::MissingTool {
            tool: "docker-registry".into(),
            fix: format!(
                "the {} stand-in can only be built on Linux. Ask your instructor for an image \
                 archive and run `dockdojo prepare --load FILE`.",
                img.reference
            ),
        }),
    }
}

// ---- deadlines -------------------------------------------------------------------------------

const INSPECT_DEADLINE: Duration = Duration::from_secs(15);
const VERSION_DEADLINE: Duration = Duration::from_secs(15);
/// Until the registry's first answer: a DNS failure comes back at once, a dropped connection
/// within the daemon's dial timeout (30 s).
const PULL_FIRST_DEADLINE: Duration = Duration::from_secs(45);
/// Between two progress messages of a running pull.
const PULL_IDLE_DEADLINE: Duration = Duration::from_secs(120);
const PULL_TOTAL_DEADLINE: Duration = Duration::from_secs(45 * 60);
/// Importing a root filesystem tar (a few MB for busybox, ~25 MB for the registry, ~460 MB for
/// gcc).
const IMPORT_SMALL_DEADLINE: Duration = Duration::from_secs(120);
#[cfg_attr(not(unix), allow(dead_code))] // only the Debian stand-in (unix) is large
const IMPORT_LARGE_DEADLINE: Duration = Duration::from_secs(20 * 60);

/// Run `fut` with a deadline, naming the call in the error.
async fn within<T>(
    what: &str,
    deadline: Duration,
    fut: impl Future<Output = T>,
) -> Result<T, EnvError> {
    tokio::time::timeout(deadline, fut)
        .await
        .map_err(|_| EnvError::Deadline {
            what: what.to_string(),
            deadline,
        })
}

/// Consume a daemon stream: `first` bounds the wait for the first item, `idle` the wait between
/// items, `total` the whole. The outer error is a missed deadline; the inner one is the stream's.
async fn drain<T>(
    what: &str,
    stream: impl Stream<Item = Result<T, BollardError>>,
    (first, idle, total): (Duration, Duration, Duration),
    mut on_item: impl FnMut(T),
) -> Result<Result<(), BollardError>, EnvError> {
    let start = Instant::now();
    let mut stream = std::pin::pin!(stream);
    let mut wait = first;
    loop {
        let left = total.saturating_sub(start.elapsed());
        let (limit, deadline) = if left < wait {
            (left, total)
        } else {
            (wait, wait)
        };
        match tokio::time::timeout(limit, stream.next()).await {
            Err(_) => {
                return Err(EnvError::Deadline {
                    what: what.to_string(),
                    deadline,
                })
            }
            Ok(None) => return Ok(Ok(())),
            Ok(Some(Err(e))) => return Ok(Err(e)),
            Ok(Some(Ok(item))) => {
                on_item(item);
                wait = idle;
            }
        }
    }
}

// ---- errors ------------------------------------------------------------------------------------

/// Map a bollard error from a daemon call to the environment error it means.
fn env_error(docker: &Docker, what: &str, e: &BollardError) -> EnvError {
    let detail = describe_bollard(e);
    if detail.contains("no space left on device") {
        return EnvError::DiskFull { detail };
    }
    match e {
        BollardError::RequestTimeoutError => EnvError::Deadline {
            what: what.to_string(),
            deadline: docker.timeout(),
        },
        BollardError::HyperResponseError { .. }
        | BollardError::IOError { .. }
        | BollardError::HttpClientError { .. }
        | BollardError::HyperLegacyError { .. } => EnvError::ConnectionLost {
            what: what.to_string(),
            detail,
        },
        _ => EnvError::Daemon {
            what: what.to_string(),
            detail,
        },
    }
}

/// The daemon's own refusal message, when the error is one (rather than a transport failure).
fn refusal(e: &BollardError) -> Option<String> {
    match e {
        BollardError::DockerResponseServerError { message, .. } => Some(message.clone()),
        BollardError::DockerStreamError { error } => Some(error.clone()),
        _ => None,
    }
}

// ---- small daemon helpers -----------------------------------------------------------------------

/// `name:tag` → (`name`, `tag`); a missing tag is `latest`. A `:` before the last `/` is a port.
fn split_reference(reference: &str) -> (&str, &str) {
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[slash..].rfind(':') {
        Some(i) => (&reference[..slash + i], &reference[slash + i + 1..]),
        None => (reference, "latest"),
    }
}

/// Try the registry. `Ok(Err(why))`: the registry failed us (no DNS, refused, too slow…) and the
/// caller should fall through to a stand-in; `Err`: the daemon itself failed.
async fn pull(docker: &Docker, reference: &str) -> Result<Result<(), String>, EnvError> {
    let (repo, tag) = split_reference(reference);
    let opts = CreateImageOptionsBuilder::default()
        .from_image(repo)
        .tag(tag)
        .build();
    let what = format!("pull {reference}");
    let deadlines = (PULL_FIRST_DEADLINE, PULL_IDLE_DEADLINE, PULL_TOTAL_DEADLINE);
    match drain(
        &what,
        docker.create_image(Some(opts), None, None),
        deadlines,
        |_| {},
    )
    .await
    {
        Ok(Ok(())) => Ok(Ok(())),
        Ok(Err(e)) => match refusal(&e) {
            Some(msg) => Ok(Err(describe_pull_failure(&msg))),
            None => Err(env_error(docker, &what, &e)),
        },
        Err(EnvError::Deadline { deadline, .. }) => Ok(Err(format!(
            "the registry did not answer within {} s",
            deadline.as_secs()
        ))),
        Err(e) => Err(e),
    }
}

/// A short sentence for a failed pull, e.g. "no registry reachable (lookup registry-1.docker.io:
/// no such host)".
fn describe_pull_failure(msg: &str) -> String {
    let msg = msg.trim();
    if let Some(i) = msg.find("lookup ") {
        let host = msg[i + 7..].split_whitespace().next().unwrap_or("");
        let host = host.trim_end_matches(':');
        let tail = msg.rsplit(": ").next().unwrap_or(msg);
        return format!("no registry reachable (lookup {host}: {tail})");
    }
    let unreachable = [
        "dial tcp",
        "connection refused",
        "i/o timeout",
        "network is unreachable",
    ];
    let short: String = msg.chars().take(200).collect();
    if unreachable.iter().any(|s| msg.contains(s)) {
        format!("no registry reachable ({short})")
    } else {
        format!("pull failed ({short})")
    }
}

/// The image's size in bytes as the daemon reports it.
async fn image_size(docker: &Docker, reference: &str) -> Result<u64, EnvError> {
    let what = format!("inspect image {reference}");
    match within(&what, INSPECT_DEADLINE, docker.inspect_image(reference)).await? {
        Ok(img) => Ok(img.size.unwrap_or(0).max(0) as u64),
        Err(e) => Err(env_error(docker, &what, &e)),
    }
}

/// The daemon's CPU architecture in Go's naming (`amd64`, `arm64`…), if it says.
async fn daemon_arch(docker: &Docker) -> Result<Option<String>, EnvError> {
    let what = "query the Docker version";
    match within(what, VERSION_DEADLINE, docker.version()).await? {
        Ok(v) => Ok(v.arch),
        Err(e) => Err(env_error(docker, what, &e)),
    }
}

/// `1.9 MB` (decimal megabytes, like `docker images`).
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / 1_000_000.0;
    if mb < 10.0 {
        format!("{mb:.1} MB")
    } else {
        format!("{mb:.0} MB")
    }
}

/// The `changes` lines (Dockerfile syntax) that give an imported root filesystem its config.
fn import_changes(cmd: &str, path: &str, labels: &[(String, String)]) -> Vec<String> {
    let mut changes = vec![format!("CMD [{}]", quote(cmd)), format!("ENV PATH={path}")];
    changes.extend(label_changes(labels));
    changes
}

/// A JSON string (as `changes` lines write exec-form arrays and labels).
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One `LABEL "key"="value"` line per label.
fn label_changes(labels: &[(String, String)]) -> Vec<String> {
    labels
        .iter()
        .map(|(k, v)| format!("LABEL {}={}", quote(k), quote(v)))
        .collect()
}

/// The labels of a stand-in for `reference` built from `source`, sorted for stable output.
fn standin_labels(reference: &str, source: &str) -> Vec<(String, String)> {
    let mut l: Vec<(String, String)> = labels::base_image_labels(reference).into_iter().collect();
    l.push((STANDIN_SOURCE.to_string(), source.to_string()));
    l.push((STANDIN_FORMAT_LABEL.to_string(), STANDIN_FORMAT.to_string()));
    l.sort();
    l
}

/// A root filesystem tar for [`import_rootfs`]: in memory, or streamed in chunks.
#[cfg_attr(not(unix), allow(dead_code))] // `Stream` is the Debian stand-in's (unix)
enum RootfsBody {
    Bytes(Vec<u8>),
    Stream(ChunkStream),
}

/// Chunks of a body streamed to the daemon; an error aborts the upload.
type ChunkStream = std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Vec<u8>>> + Send>>;

/// A stream of chunks read from `reader` (256 KiB at a time).
fn read_chunks(
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
async fn import_rootfs(
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
async fn is_podman(docker: &Docker) -> Result<bool, EnvError> {
    let what = "query the Docker version";
    match within(what, VERSION_DEADLINE, docker.version()).await? {
        Ok(v) => Ok(crate::docker::is_podman_version(&v)),
        Err(e) => Err(env_error(docker, what, &e)),
    }
}

/// The Dockerfile that gives an imported image its config: `FROM <id>` and the `changes` lines.
fn restamp_dockerfile(id: &str, changes: &[String]) -> String {
    let mut text = format!("FROM {id}\n");
    for c in changes {
        text.push_str(c);
        text.push('\n');
    }
    text
}

/// Give the image just imported as `reference` its config (CMD, ENV, LABEL…) with a build that
/// adds no layer, and move `reference` to the result (Podman; see [`import_rootfs`]).
async fn restamp(
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
