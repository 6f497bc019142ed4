//! The `build` check: the learner's Dockerfile is screened, its context packed, and the daemon
//! builds it ([`crate::docker::build`]). The built image becomes a handle later checks use.

use crate::checks::{Kind, Makes};
use std::path::Path;

use crate::checks::{BuiltImage, Ctx, Verdict};
use crate::docker::build::{run_build, Built, Recipe, Site};
use crate::docker::builder::Builder;
use crate::docker::context_tar::{self as context, REFUSE_BYTES, WARN_BYTES};
use crate::docker::logs::tail;
use crate::dockerfile;
use crate::error::EnvError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BuildCheck {
    /// The handle later checks use for the built image.
    #[serde(default = "crate::checks::defaults::default_image")]
    pub image: String,
    /// Build context, relative to the exercise folder.
    #[serde(default = "crate::checks::defaults::default_context")]
    pub context: String,
    /// Dockerfile path, relative to the context.
    #[serde(default = "crate::checks::defaults::default_dockerfile")]
    pub dockerfile: String,
    /// A stage to stop at (`--target`).
    pub target: Option<String>,
    /// Seconds before the build is cancelled (default 300).
    pub deadline_s: Option<u64>,
    /// Ask the daemon to pull a newer base image first (`docker build --pull`); for exercises on
    /// pinning against the course's local registry.
    #[serde(default)]
    pub pull: bool,
    /// `--build-arg` values (the `dockerfile` rules on the same file read them too).
    #[serde(default)]
    pub build_args: BTreeMap<String, String>,
    /// Build secrets by id, each read from a file in the exercise folder, as
    /// `docker build --secret id=ID,src=FILE` gives them to `RUN --mount=type=secret,id=ID`.
    /// Served only to BuildKit builds.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

impl Kind for BuildCheck {
    /// A build.
    fn weight(&self) -> u32 {
        10
    }
    fn makes(&self) -> Makes<'_> {
        Makes {
            image: Some(&self.image),
            ..Makes::default()
        }
    }
}

impl BuildCheck {
    /// The build context's folder and the Dockerfile's path, under the exercise folder `dir`.
    pub fn paths(&self, dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
        let root = if self.context == "." || self.context.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&self.context)
        };
        let df = root.join(&self.dockerfile);
        (root, df)
    }

    /// What the daemon is told to build.
    pub fn recipe(&self) -> Recipe<'_> {
        Recipe {
            dockerfile: &self.dockerfile,
            target: self.target.as_deref(),
            pull: self.pull,
            build_args: &self.build_args,
            secrets: &self.secrets,
            deadline: self.deadline_s.map(std::time::Duration::from_secs),
        }
    }
}

/// Files a learner may have meant instead of `Dockerfile`.
fn near_misses(dir: &Path, wanted: &str) -> Vec<String> {
    let want = wanted.to_lowercase();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut v: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| {
            let l = n.to_lowercase();
            n != wanted
                && (l == want || l.starts_with(&format!("{want}.")) || l.starts_with("dockerfile"))
        })
        .collect();
    v.sort();
    v
}

/// Explain a failed build in a learner's terms.
fn explain_failure(error: &str) -> String {
    let lower = error.to_lowercase();
    if lower.contains("secret") && lower.contains("not found") {
        return "A `RUN --mount=type=secret` step says `required=true`, but dockdojo gives a build \
                no secrets. Make the step work without the secret file."
            .into();
    }
    // `RUN --mount=type=secret,id=x,env=VAR`: Dockerfile frontends from 1.10 on know `env=`;
    // the one built into this daemon (the one dockdojo builds with: it fetches no `# syntax=`
    // frontend) does not.
    if lower.contains("unexpected key 'env'") {
        return "This Docker's own Dockerfile frontend, which dockdojo builds with (it fetches no \
                `# syntax=` frontend), does not know `env=` on a secret mount. Read the secret \
                from its file instead: `RUN --mount=type=secret,id=ID sh -c 'VAR=$(cat \
                /run/secrets/ID) ./script'`, or give it a path with `target=`."
            .into();
    }
    if lower.contains("pull access denied")
        || lower.contains("no such host")
        || lower.contains("manifest unknown")
        || lower.contains("not found: manifest")
    {
        return "The base image is not on this machine and no registry answered. Use the course's \
                base images (run `dockdojo prepare`), spelled exactly as the task gives them."
            .into();
    }
    // The classic builder, BuildKit and Podman's builder each word it their own way.
    if lower.contains("returned a non-zero code: 127")
        || lower.contains("exit code: 127")
        || lower.contains("exit status 127")
    {
        return "A RUN step called a program that does not exist in the image (exit 127).".into();
    }
    if lower.contains("no space left on device") {
        return "Docker's disk is full. Free space (`docker system df`, `dockdojo clean`).".into();
    }
    "Read the build log above: the last step shown is the one that failed.".into()
}

/// What reading the Dockerfile found, when it stops the check before anything is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Unreadable {
    /// No file at the Dockerfile's path; files beside it that look like one.
    Missing {
        path: std::path::PathBuf,
        near_misses: Vec<String>,
    },
    Empty,
    /// The untrusted-Dockerfile screen refused it, or it does not parse.
    Refused(dockerfile::Refusal),
}

/// Everything the `build` check found, up to where it stopped.
pub enum Attempt {
    /// The Dockerfile stopped the check before the context was read.
    Dockerfile(Unreadable),
    /// The context could not be read or packed.
    ContextUnreadable(String),
    /// The context is over [`REFUSE_BYTES`]: its size and its biggest files (name, bytes).
    ContextTooBig { total: u64, top: Vec<(String, u64)> },
    /// The daemon built it (or failed to), with the packed context's size and biggest files.
    Built {
        builder: Builder,
        built: Built,
        context_bytes: u64,
        biggest: Vec<(String, u64)>,
    },
}

/// Read the Dockerfile: `None` when it is there, not empty, and passes the screen.
fn read_dockerfile(
    spec: &BuildCheck,
    root: &std::path::Path,
    df_path: &std::path::Path,
) -> Option<Unreadable> {
    let text = match std::fs::read(df_path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).to_string(),
        Err(_) => {
            return Some(Unreadable::Missing {
                path: df_path.to_path_buf(),
                near_misses: near_misses(df_path.parent().unwrap_or(root), &spec.dockerfile),
            })
        }
    };
    if text.trim().is_empty() {
        return Some(Unreadable::Empty);
    }
    dockerfile::screen(&text).err().map(Unreadable::Refused)
}

/// Gather what [`judge`] needs: the Dockerfile, the context, then the daemon's build.
async fn attempt(ctx: &Ctx<'_>, spec: &BuildCheck, tag: &str) -> Result<Attempt, EnvError> {
    let (root, df_path) = spec.paths(&ctx.dir);
    if let Some(u) = read_dockerfile(spec, &root, &df_path) {
        return Ok(Attempt::Dockerfile(u));
    }
    let (total, top) = match context::measure(&root, &spec.dockerfile) {
        Ok(m) => m,
        Err(p) => return Ok(Attempt::ContextUnreadable(p.0)),
    };
    if total > REFUSE_BYTES {
        return Ok(Attempt::ContextTooBig { total, top });
    }
    if total > WARN_BYTES {
        crate::notice::notice(&format!(
            "warning: the build context of {} is {} MB (biggest: {}); sending it takes a while \
             (Ctrl-C stops). A .dockerignore keeps such files out.",
            ctx.exercise,
            total / 1_000_000,
            biggest(&top)
        ));
    }
    let packed = match context::pack(&root, &spec.dockerfile, None) {
        Ok(p) => p,
        Err(p) => return Ok(Attempt::ContextUnreadable(p.0)),
    };
    let (context_bytes, biggest) = (packed.bytes, packed.biggest.clone());
    let site = Site {
        engine: ctx.engine,
        dir: &ctx.dir,
    };
    let (builder, built) = run_build(&site, &spec.recipe(), tag, packed).await?;
    Ok(Attempt::Built {
        builder,
        built,
        context_bytes,
        biggest,
    })
}

/// Files and their sizes, as a learner reads them: `big.iso (700 MB), …`.
fn biggest(files: &[(String, u64)]) -> String {
    files
        .iter()
        .map(|(n, s)| format!("{n} ({} MB)", s / 1_000_000))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `build` check: gather the [`Attempt`], [`judge`] it, and keep a built image as the
/// handle later checks use.
pub async fn check(ctx: &mut Ctx<'_>, spec: &BuildCheck) -> Result<Verdict, EnvError> {
    let tag = format!(
        "{}{}:{}-{}",
        crate::docker::cleanup::CHECK_REPO,
        ctx.exercise,
        &ctx.engine.session[..8],
        spec.image
    );
    let attempt = attempt(ctx, spec, &tag).await?;
    let verdict = judge(spec, &attempt);
    if let Attempt::Built {
        built: Built::Ok {
            id, steps, fresh, ..
        },
        ..
    } = attempt
    {
        ctx.fresh_layers.extend(fresh);
        ctx.images.insert(
            spec.image.clone(),
            BuiltImage {
                id,
                tag,
                steps,
                spec: spec.clone(),
            },
        );
    }
    Ok(verdict)
}

/// The verdict on what the `build` check found (no I/O).
pub fn judge(spec: &BuildCheck, attempt: &Attempt) -> Verdict {
    let expected = "the Dockerfile builds into an image";
    match attempt {
        Attempt::Dockerfile(u) => judge_dockerfile(spec, u),
        Attempt::ContextUnreadable(why) => Verdict::fail(
            expected,
            format!("could not read the build context: {why}"),
        ),
        Attempt::ContextTooBig { total, top } => Verdict::fail(
            expected,
            format!(
                "refused before sending: the build context is {} MB (biggest: {}); dockdojo does \
                 not send contexts over {} MB",
                total / 1_000_000,
                biggest(top),
                REFUSE_BYTES / 1_000_000
            ),
        )
        .advise("Everything in the exercise folder is sent to the daemon with every build. List big files and folders the image does not need in a .dockerignore."),
        Attempt::Built {
            builder,
            built,
            context_bytes,
            biggest: top,
        } => judge_built(*builder, built, *context_bytes, top),
    }
}

/// The failure a learner reads when the Dockerfile is missing, empty, does not parse or is
/// refused before anything is built.
fn judge_dockerfile(spec: &BuildCheck, u: &Unreadable) -> Verdict {
    let expected = "the Dockerfile builds into an image";
    match u {
        Unreadable::Missing { path, near_misses } => {
            let mut actual = format!("no file at {}", path.display());
            if !near_misses.is_empty() {
                actual.push_str(&format!(" (found {} instead)", near_misses.join(", ")));
            }
            Verdict::fail(expected, actual).advise(format!(
                "Docker looks for a file named exactly `{}` (capital D, no extension) in the \
                 exercise folder.",
                spec.dockerfile
            ))
        }
        Unreadable::Empty => Verdict::fail(expected, format!("{} is empty", spec.dockerfile))
            .advise("A Dockerfile starts with a FROM line naming its base image."),
        Unreadable::Refused(r) if r.parse_error => Verdict::fail(
            expected,
            format!("the build failed: line {}: {}", r.line, r.reason),
        )
        .advise("Every Dockerfile instruction is a keyword (FROM, RUN, COPY, CMD…) followed by its arguments; the first instruction is FROM."),
        Unreadable::Refused(r) => Verdict::fail(
            expected,
            format!("refused before building: line {}: {}", r.line, r.reason),
        ),
    }
}

/// The daemon's build: the steps it took, or why it failed or hung.
fn judge_built(
    builder: Builder,
    built: &Built,
    context_bytes: u64,
    top: &[(String, u64)],
) -> Verdict {
    let expected = "the Dockerfile builds into an image";
    match built {
        Built::Ok { steps, .. } => {
            let learner_steps = steps
                .iter()
                .filter(|s| !s.instruction.starts_with("LABEL io.dockdojo."))
                .count();
            let v = Verdict::pass(
                expected,
                format!("built in {learner_steps} steps with {}", builder.describe()),
            );
            if context_bytes > WARN_BYTES {
                return v.advise(format!(
                    "The build context is {} MB; the biggest files: {}. Add a .dockerignore.",
                    context_bytes / 1_000_000,
                    biggest(top)
                ));
            }
            v
        }
        Built::Failed { log, error } => Verdict::fail(
            expected,
            format!(
                "the build failed with {}: {}\n--- last lines of the build log ---\n{}",
                builder.describe(),
                error.trim(),
                tail(log, 8)
            ),
        )
        .advise(explain_failure(error)),
        Built::TimedOut { limit, running, .. } => {
            let last = running.as_deref().unwrap_or("(before the first step)");
            Verdict::fail(
                expected,
                format!(
                    "the build with {} did not finish within {} s; it was still running `{last}`",
                    builder.describe(),
                    limit.as_secs()
                ),
            )
            .advise("A step that never ends (a server started in RUN, `sleep infinity`) hangs the build; servers belong in CMD.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::explain_failure;

    /// A RUN calling a missing program, as each builder reports it (the same captures are
    /// judged whole in checker/tests/judges/build.rs).
    #[test]
    fn exit_127_is_explained_in_every_builders_words() {
        for error in [
            "The command '/bin/sh -c install-deps --all' returned a non-zero code: 127",
            "`RUN install-deps --all` failed: process \"/bin/sh -c install-deps --all\" did not complete successfully: exit code: 127",
            "building at STEP \"RUN install-deps --all\": while running runtime: exit status 127",
        ] {
            assert_eq!(
                explain_failure(error),
                "A RUN step called a program that does not exist in the image (exit 127).",
                "{error}"
            );
        }
        assert!(explain_failure("exit code: 1").starts_with("Read the build log"));
    }

    /// Engine 26's own frontend on `RUN --mount=type=secret,id=deploy_token,env=DEPLOY_TOKEN`.
    #[test]
    fn a_secret_mount_into_a_variable_is_explained() {
        let e = explain_failure(
            "dockerfile parse error on line 4: unexpected key 'env' in 'env=DEPLOY_TOKEN'",
        );
        assert!(e.contains("does not know `env=` on a secret mount"), "{e}");
    }
}
