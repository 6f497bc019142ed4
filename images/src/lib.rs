//! The course's base images, made available without a registry when there is none.
//!
//! The course pins its base images by tag ([`BASE_IMAGES`]). [`prepare`] makes each one available:
//! an image archive handed out by an instructor (`--load FILE`) first, then per image: already
//! there → keep; else pull (unless offline); else build a local stand-in from host packages and
//! label it as one ([`labels::STANDIN`]). `--save FILE` writes the images to one archive at the end
//! so they can be carried to machines without a registry. With `app_image`, the course app itself
//! goes with them: `dockdojo:<version>` ([`app_image`]), made from the running binary, for
//! learners who have Docker and nothing else.
//!
//! Every Docker call here has its own deadline; bollard's client timeout only bounds the wait for
//! a response head, and long uploads use a client clone whose timeout matches our deadline.

use std::collections::HashSet;
use std::path::PathBuf;

use bollard::errors::Error as BollardError;
use bollard::Docker;

use checker::error::EnvError;
use checker::labels;

use daemon::{env_error, image_size, megabytes, pull, split_reference, within, INSPECT_DEADLINE};

pub mod app_image;
mod archive;
mod busybox;
mod daemon;
#[cfg(unix)]
mod debian;
mod import;
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
    /// Also make the course app image ([`app_image::reference`]) from this dockdojo executable
    /// (kept when it holds that binary already, or when `load` provided it); `save` then writes
    /// it too.
    pub app_image: Option<PathBuf>,
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
    let app = app_image::reference();
    let optional = [app.as_str()];
    let loaded: HashSet<String> = match &opts.load {
        Some(path) => archive::load(docker, path, images, &optional, progress).await?,
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
    let mut refs: Vec<String> = images.iter().map(|i| i.reference.to_string()).collect();
    if loaded.contains(&app) {
        outcomes.push((app.clone(), Outcome::Loaded));
    } else if let Some(exe) = &opts.app_image {
        outcomes.push((app.clone(), app_image::ensure(docker, exe, progress).await?));
    }
    if opts.app_image.is_some() {
        refs.push(app);
    }
    if let Some(path) = &opts.save {
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        archive::save(docker, path, &refs, progress).await?;
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
