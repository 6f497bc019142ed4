//! Building an image on the daemon: the classic builder through the API, or BuildKit through
//! dockdojo's own session (see [`crate::docker::builder`]); the step log tells which steps came
//! from the cache. The `build` and `rebuild` checks use it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use bollard::query_parameters::{
    BuildImageOptionsBuilder, BuilderVersion, RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;

pub mod buildkit;
pub mod label_step;
pub mod stream;

use crate::docker::builder::Builder;
use crate::docker::context_tar as context;
use crate::docker::{classify, deadline, session, Engine};
use crate::dockerfile;
use crate::error::EnvError;

/// Where a build runs: the daemon, and the exercise folder its secrets are read from.
#[derive(Clone, Copy)]
pub struct Site<'a> {
    pub engine: &'a Engine,
    pub dir: &'a Path,
}

/// What to build, beyond the packed context: the parts of a `build` check's spec the daemon is
/// told (the check makes one from its spec; this layer does not read specs).
#[derive(Debug, Clone, Copy)]
pub struct Recipe<'a> {
    /// The Dockerfile's path, relative to the context.
    pub dockerfile: &'a str,
    /// A stage to stop at (`--target`).
    pub target: Option<&'a str>,
    /// `--pull`.
    pub pull: bool,
    /// `--build-arg` values.
    pub build_args: &'a BTreeMap<String, String>,
    /// Secret id → file in the exercise folder (served to BuildKit builds only).
    pub secrets: &'a BTreeMap<String, String>,
    /// The build's deadline; `None`: [`deadline::BUILD`].
    pub deadline: Option<Duration>,
}

/// One build step as the builder reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The instruction, e.g. `RUN ./install-deps.sh`.
    pub instruction: String,
    pub cached: bool,
    /// The image id the step produced (short form), when reported.
    pub result: Option<String>,
}

/// Parse the classic builder's (and Podman's) step log.
pub fn parse_steps(log: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in log.lines() {
        let t = line.trim();
        // Podman numbers a multi-stage build's stages: `[1/2] STEP 3/5: RUN …`.
        let t = match t.strip_prefix('[').and_then(|r| r.split_once("] ")) {
            Some((stage, rest))
                if stage.contains('/') && stage.chars().all(|c| c.is_ascii_digit() || c == '/') =>
            {
                rest
            }
            _ => t,
        };
        let header = t
            .strip_prefix("Step ")
            .and_then(|r| r.split_once(" : "))
            .or_else(|| t.strip_prefix("STEP ").and_then(|r| r.split_once(": ")));
        if let Some((_, instr)) = header {
            let instruction = instr.trim().to_string();
            // The labels dockdojo adds are its own steps, not the learner's.
            if instruction.starts_with("LABEL io.dockdojo.") {
                steps.push(Step {
                    instruction,
                    cached: true,
                    result: None,
                });
                continue;
            }
            // A base image is never rebuilt: FROM has no cache line, but it did not change.
            let cached = instruction.to_uppercase().starts_with("FROM ");
            steps.push(Step {
                instruction,
                cached,
                result: None,
            });
            continue;
        }
        let Some(last) = steps.last_mut() else {
            continue;
        };
        if t.starts_with("---> Using cache") || t.starts_with("--> Using cache") {
            last.cached = true;
        } else if let Some(id) = t.strip_prefix("---> ").or_else(|| t.strip_prefix("--> ")) {
            // Docker prints 12 hex digits, Podman 11.
            let id = id.trim();
            if id.len() >= 11 && id.chars().all(|c| c.is_ascii_hexdigit()) {
                last.result = Some(id.to_string());
            }
        }
    }
    steps
}

/// The outcome of one build.
pub enum Built {
    Ok {
        id: String,
        log: String,
        /// The steps in order, with whether each came from the cache.
        steps: Vec<Step>,
        /// Image ids the build made itself (the classic builder's intermediate layers).
        fresh: Vec<String>,
    },
    Failed {
        log: String,
        error: String,
    },
    TimedOut {
        log: String,
        limit: Duration,
        /// The step that was running.
        running: Option<String>,
    },
}

/// Podman's builder fails a cache lookup when an image it is comparing with is removed at that
/// moment (another dockdojo run cleaning up): "checking if cached image exists from a previous
/// build: … layer not known". Nothing about the Dockerfile; the build is simply run again.
/// The same race can also end a step: "identifier is not a container: preparing container for
/// next step".
fn lost_cache_race(error: &str) -> bool {
    (error.contains("checking if cached image exists") && error.contains("not known"))
        || error.contains("identifier is not a container")
}

/// Run the daemon's build and collect its log, on the builder the daemon and the Dockerfile
/// call for (see [`crate::docker::builder`]).
pub async fn run_build(
    site: &Site<'_>,
    recipe: &Recipe<'_>,
    tag: &str,
    packed: context::Packed,
) -> Result<(Builder, Built), EnvError> {
    let context::Packed {
        tar, root, mtimes, ..
    } = packed;
    let text = label_step::read_file(&tar, recipe.dockerfile).unwrap_or_default();
    let builder = site
        .engine
        .builder_for(dockerfile::needs_buildkit(&text).as_deref())?;
    let built = match builder {
        Builder::Classic => run_classic(site, recipe, tag, tar, &root).await?,
        Builder::BuildKit => {
            // The daemon would fetch a `# syntax=` frontend from a registry; the Dockerfile is
            // sent without that line and the daemon's own frontend builds it. It is replaced in
            // place: the daemon's BuildKit does not apply `.dockerignore` to an uploaded
            // context, so a copy beside it would land in the image.
            let tar = buildkit::without_syntax_directive(&text)
                .and_then(|t| context::replace_file(&tar, recipe.dockerfile, &t))
                .unwrap_or(tar);
            // BuildKit writes request labels into the image config: no extra steps.
            let labels = site.engine.build_labels();
            let request = Request {
                tag,
                text: &text,
                dockerfile: recipe.dockerfile,
                labels: &labels,
                builder,
                root: &root,
                mtimes: &mtimes,
            };
            let built = run_once(site, recipe, &request, tar).await?;
            if let Built::Failed { error, .. } = &built {
                if let Some((what, newer)) = buildkit::unknown_to_frontend(&text, error) {
                    return Err(EnvError::FrontendTooOld {
                        what,
                        version: site.engine.server_version.clone(),
                        newer: newer.to_string(),
                    });
                }
            }
            built
        }
    };
    Ok((builder, built))
}

async fn run_classic(
    site: &Site<'_>,
    recipe: &Recipe<'_>,
    tag: &str,
    tar: Vec<u8>,
    root: &std::path::Path,
) -> Result<Built, EnvError> {
    // On Docker, the ownership labels travel as one LABEL step in a copy of the Dockerfile
    // (three request labels would be three steps); elsewhere, or when that copy cannot be made,
    // as request labels.
    let labels = site.engine.build_labels();
    let labelled = (site.engine.runtime == crate::docker::Runtime::Docker)
        .then(|| label_step::labelled_context(&tar, recipe.dockerfile, recipe.target, &labels))
        .flatten();
    let (tar, dockerfile, labels) = match labelled {
        Some(t) => (t, label_step::BUILD_DOCKERFILE.to_string(), HashMap::new()),
        None => (tar, recipe.dockerfile.to_string(), labels),
    };
    let request = Request {
        tag,
        text: "",
        dockerfile: &dockerfile,
        labels: &labels,
        builder: Builder::Classic,
        root,
        mtimes: &HashMap::new(),
    };
    let mut attempts = 0;
    loop {
        attempts += 1;
        match run_once(site, recipe, &request, tar.clone()).await? {
            Built::Failed { error, .. } if attempts < 4 && lost_cache_race(&error) => {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            built => return Ok(built),
        }
    }
}

/// One build request to the daemon.
struct Request<'a> {
    tag: &'a str,
    /// The learner's Dockerfile.
    text: &'a str,
    dockerfile: &'a str,
    labels: &'a HashMap<String, String>,
    builder: Builder,
    /// The folder the context was packed from, and its files' times (BuildKit's file sync).
    root: &'a std::path::Path,
    mtimes: &'a HashMap<String, i64>,
}

/// The build request's query: tag, Dockerfile, labels, target, pull, build args, memory cap.
fn build_options(recipe: &Recipe<'_>, request: &Request<'_>) -> BuildImageOptionsBuilder {
    let mut opts = BuildImageOptionsBuilder::new()
        .dockerfile(request.dockerfile)
        .t(request.tag)
        .rm(true)
        .forcerm(true)
        .memory(1024 * 1024 * 1024);
    if request.builder == Builder::BuildKit {
        opts = opts.version(BuilderVersion::BuilderBuildKit);
    }
    if !request.labels.is_empty() {
        opts = opts.labels(request.labels);
    }
    if let Some(t) = recipe.target {
        opts = opts.target(t);
    }
    if recipe.pull {
        opts = opts.pull("true");
    }
    if !recipe.build_args.is_empty() {
        opts = opts.buildargs(
            &recipe
                .build_args
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
    }
    opts
}

/// One build request and its stream, read to the end or the deadline.
async fn run_once(
    site: &Site<'_>,
    recipe: &Recipe<'_>,
    request: &Request<'_>,
    tar: Vec<u8>,
) -> Result<Built, EnvError> {
    let builder = request.builder;
    let opts = build_options(recipe, request);
    let limit = recipe.deadline.unwrap_or(deadline::BUILD);
    // The build gets one overall deadline instead of bollard's 120 s per request.
    let docker = site
        .engine
        .docker
        .clone()
        .with_timeout(limit + Duration::from_secs(30));
    let mut stream = match builder {
        Builder::Classic => docker
            .build_image(opts.build(), None, Some(bollard::body_full(tar.into())))
            .boxed(),
        // The context, the Dockerfile and the secrets travel through dockdojo's own session.
        Builder::BuildKit => {
            let query = serde_urlencoded::to_string(opts.build())
                .map_err(|e| EnvError::Other(format!("cannot encode the build request: {e}")))?;
            let served = session::Served {
                context: tar,
                mtimes: request.mtimes.clone(),
                shared_key: session::shared_key(request.root),
                secrets: read_secrets(site, recipe),
            };
            match tokio::time::timeout(
                deadline::QUICK,
                session::build(
                    &site.engine.endpoint,
                    &site.engine.api_version,
                    &query,
                    served,
                ),
            )
            .await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => futures_util::stream::once(async move { Err(e) }).boxed(),
                Err(_) => {
                    return Err(EnvError::Deadline {
                        what: "open a BuildKit session".into(),
                        deadline: deadline::QUICK,
                    })
                }
            }
        }
    };
    let mut seen = stream::Stream::new(builder, request.text);
    let until = tokio::time::Instant::now() + limit;
    loop {
        // The BuildKit session may outlive the build; once the image id is in, it is done.
        let wait_until = match (seen.has_image(), builder) {
            (true, Builder::BuildKit) => {
                until.min(tokio::time::Instant::now() + Duration::from_secs(2))
            }
            _ => until,
        };
        match tokio::time::timeout_at(wait_until, stream.next()).await {
            Err(_) if seen.has_image() && builder == Builder::BuildKit => break,
            Err(_) => {
                drop(stream);
                let timed_out = seen.timed_out(limit);
                // BuildKit keeps nothing of a cancelled build outside its own cache. The
                // classic builder cancels the running step when we hang up, but only after a
                // moment: until then its layers are in use. Try again for a while.
                if builder == Builder::Classic {
                    let log = seen.log();
                    let until = tokio::time::Instant::now() + Duration::from_secs(30);
                    while !remove_fresh_layers(site, &log).await
                        && tokio::time::Instant::now() < until
                    {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                return Ok(timed_out);
            }
            Ok(None) => break,
            Ok(Some(Ok(info))) => seen.absorb(info),
            Ok(Some(Err(bollard::errors::Error::DockerStreamError { error }))) => {
                if builder == Builder::Classic {
                    remove_fresh_layers(site, &seen.log()).await;
                }
                // A full disk is the machine's problem, not the learner's Dockerfile: exit 3,
                // and the attempt is not recorded.
                if error.to_lowercase().contains("no space left on device") {
                    return Err(EnvError::DiskFull { detail: error });
                }
                return Ok(seen.failed(&error));
            }
            Ok(Some(Err(e))) => {
                let env = classify("build", &e);
                if let EnvError::Daemon { detail, .. } = &env {
                    // The daemon rejected the request itself: a Dockerfile problem, usually.
                    return Ok(seen.failed(detail));
                }
                return Err(env);
            }
        }
    }
    Ok(seen.finish())
}

/// The build's secrets (`docker build --secret id=ID,src=FILE`), read from the exercise folder.
/// A file that cannot be read is left out: the build then fails on the step that mounts it, with
/// BuildKit's own "secret ID not found", which names it.
fn read_secrets(site: &Site<'_>, recipe: &Recipe<'_>) -> HashMap<String, Vec<u8>> {
    recipe
        .secrets
        .iter()
        .filter_map(|(id, file)| Some((id.clone(), std::fs::read(site.dir.join(file)).ok()?)))
        .collect()
}

/// After a failed or cancelled build, the classic builder keeps the layers of the steps that
/// finished. Those this build made (not cache hits) are ours to remove; untagged, unlabelled
/// leftovers would otherwise pile up.
/// Returns whether every such layer is gone.
pub async fn remove_fresh_layers(site: &Site<'_>, log: &str) -> bool {
    remove_untagged(site, &fresh_layers(log)).await
}

/// The image ids a build made itself (not cache hits), oldest first.
pub fn fresh_layers(log: &str) -> Vec<String> {
    parse_steps(log)
        .into_iter()
        .filter(|s| !s.cached)
        .filter_map(|s| s.result)
        .collect()
}

/// Remove untagged images by id, newest first; returns whether all are gone.
pub async fn remove_untagged(site: &Site<'_>, ids: &[String]) -> bool {
    let opts = || RemoveImageOptionsBuilder::new().force(false).build();
    let mut all_gone = true;
    for id in ids.iter().rev() {
        match tokio::time::timeout(deadline::QUICK, site.engine.docker.inspect_image(id)).await {
            Err(_) => all_gone = false,
            Ok(Err(_)) => {}
            Ok(Ok(info)) if info.repo_tags.as_ref().is_none_or(|t| t.is_empty()) => {
                let r = tokio::time::timeout(
                    deadline::QUICK,
                    site.engine.docker.remove_image(id, Some(opts()), None),
                )
                .await;
                if !matches!(r, Ok(Ok(_))) {
                    all_gone = false;
                }
            }
            Ok(Ok(_)) => {}
        }
    }
    all_gone
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_log_is_parsed() {
        let log = "Step 1/3 : FROM busybox:1.36.1\n ---> 3f57d9401f8d\nStep 2/3 : COPY deps.txt /app/\n ---> Using cache\n ---> 1111111111aa\nStep 3/3 : RUN ./install\n ---> Running in 9f2c\nok\nRemoving intermediate container 9f2c\n ---> 2222222222bb\nSuccessfully built 2222222222bb\n";
        let s = parse_steps(log);
        assert_eq!(s.len(), 3);
        assert!(s[0].cached, "FROM is never rebuilt");
        assert!(s[1].cached && !s[2].cached);
        assert_eq!(s[2].result.as_deref(), Some("2222222222bb"));
        assert_eq!(s[1].instruction, "COPY deps.txt /app/");
    }

    #[test]
    fn podman_log_is_parsed() {
        let log = "STEP 1/2: FROM busybox:1.36.1\nSTEP 2/2: RUN true\n--> Using cache 4b2a\n";
        let s = parse_steps(log);
        assert_eq!(s.len(), 2);
        assert!(s[1].cached);
    }

    /// A multi-stage build on Podman numbers each stage's steps: `[1/2] STEP 2/3: …`.
    #[test]
    fn podman_multi_stage_log_is_parsed() {
        let log = "[1/2] STEP 1/3: FROM gcc:12.2.0-bookworm AS build\n[1/2] STEP 2/3: RUN ./install-deps.sh /out\n--> Using cache 5e1f\n--> 5e1f0a2b3c4\n[1/2] STEP 3/3: COPY src/ ./src/\n--> 7a8b9c0d1e2\n[2/2] STEP 1/2: FROM busybox:1.36.1\n[2/2] STEP 2/2: COPY --from=build /out/ /app/\n[2/2] COMMIT x:1\n--> 0f1e2d3c4b5\n";
        let s = parse_steps(log);
        assert_eq!(s.len(), 5, "{s:?}");
        assert_eq!(s[1].instruction, "RUN ./install-deps.sh /out");
        assert!(s[1].cached && !s[2].cached);
        assert_eq!(s[4].instruction, "COPY --from=build /out/ /app/");
    }

    /// Podman 4.3's log, as its compat build streams it: 11-digit ids after `-->`.
    #[test]
    fn podman_step_results_are_fresh_layers() {
        let log = "STEP 1/4: FROM busybox:1.36.1\nSTEP 2/4: COPY . /app\n--> 59b0b3d9678\nSTEP 3/4: RUN rm -f /app/.env\n--> Using cache 2bf38966493ebab9918ab1cf00801d346ab9f3997a24ece4b92f0e65a5e75f2e\n--> 2bf38966493\nSTEP 4/4: CMD [\"/app/app.sh\"]\nCOMMIT docker.io/library/x:1\n--> d53a30b6a47\nSuccessfully tagged docker.io/library/x:1\n";
        let s = parse_steps(log);
        assert_eq!(s.len(), 4);
        assert_eq!(s[1].result.as_deref(), Some("59b0b3d9678"));
        assert!(!s[1].cached && s[2].cached);
        assert_eq!(fresh_layers(log), ["59b0b3d9678", "d53a30b6a47"]);
    }
}
