//! The course app as an image, `dockdojo:<version>` ([`reference`]), for learners who have
//! Docker and nothing else: made from the running dockdojo binary, with no registry, on the
//! course's Debian image ([`BASE`], which `prepare` makes available first).
//!
//! The image is the base plus one layer: dockdojo (its debug sections dropped with the host's
//! `strip` when there is one) and the host's `docker` CLI (which `dockdojo setup` runs the
//! scenario scripts with), each with its own loader and libraries ([`carry`]), and `/home/dojo`
//! (mode 1777: `HOME` for whatever user id the learner runs it as). Its entrypoint is dockdojo.
//! Debian's bash and core tools come from the base: the scenario scripts run on the same tools as
//! on the machines that test them.
//!
//! Made with the Engine API alone, the same on every engine: a container is created from the base
//! (never started) with the image's final config, the layer is copied into it, and it is
//! committed and removed. The container carries exactly the image's labels (a commit keeps the
//! container's labels, so any other label would stay on the image); one that a killed run left
//! behind is found by its name and that label and removed by the next build.
//!
//! The image carries the stand-in labels ([`crate::STANDIN_FORMAT_LABEL`], `io.dockdojo.standin`
//! naming its own tag), so `clean --all` removes it, `image_present` and `--save`/`--load` treat
//! it as a course image, and [`DIGEST_LABEL`] records which binary it holds: `prepare --app-image`
//! rebuilds it when the running binary differs.

use std::path::{Path, PathBuf};

use crate::{Outcome, PrepareError};

#[cfg(unix)]
pub(crate) mod carry;
#[cfg(unix)]
mod make;

/// The image the app image is built on: the course's Debian image (bash, core tools, a C
/// library), already on every machine that prepared the course.
pub const BASE: &str = "gcc:12.2.0-bookworm";
/// The image's repository; its tag is dockdojo's version.
pub const REPOSITORY: &str = "dockdojo";
/// On the app image: the SHA-256 of the dockdojo binary it was made from (before `strip`).
pub const DIGEST_LABEL: &str = "io.dockdojo.app.sha256";
/// Set in the app image to its own reference: dockdojo knows it runs inside it.
pub const ENV: &str = "DOCKDOJO_IMAGE";
/// `HOME` in the image, writable by any user id.
pub const HOME: &str = "/home/dojo";

/// `dockdojo:<version>`.
pub fn reference() -> String {
    format!("{REPOSITORY}:{}", env!("CARGO_PKG_VERSION"))
}

/// The file of the running dockdojo. Run through its loader (as the app image runs it), the
/// process's executable is the loader and `argv[0]` is dockdojo's own path.
pub fn running_executable() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let name = exe.file_name().map(|n| n.to_string_lossy().into_owned());
    if name.is_some_and(|n| n.starts_with("ld-") || n.starts_with("ld.so")) {
        if let Some(arg0) = std::env::args_os().next().map(PathBuf::from) {
            if arg0.is_absolute() {
                return Ok(arg0);
            }
        }
    }
    Ok(exe)
}

/// Keep the app image when it holds `executable` already, else build it (and remove the one it
/// replaces, when nothing else uses it).
pub(crate) async fn ensure(
    docker: &bollard::Docker,
    executable: &Path,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Outcome, PrepareError> {
    #[cfg(unix)]
    return make::ensure(docker, executable, progress).await;
    #[cfg(not(unix))]
    {
        let _ = (docker, executable, progress);
        Err(PrepareError::StandInFailed {
            image: reference(),
            detail: "only a dockdojo built for Linux can go into an image".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_the_version() {
        assert_eq!(
            reference(),
            format!("dockdojo:{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
