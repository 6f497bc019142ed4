//! `build`, `rebuild` and `dockerfile` checks: the learner's Dockerfile is screened, its context
//! packed, and the daemon builds it (classic builder through the API); the step log tells which
//! steps came from the cache.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::query_parameters::{
    BuildImageOptionsBuilder, BuilderVersion, RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;

pub mod buildkit;
mod label_step;

use super::context::{self, REFUSE_BYTES, WARN_BYTES};
use super::tail;
use crate::docker::builder::Builder;
use crate::docker::{classify, deadline, session};
use crate::dockerfile;
use crate::engine::{BuiltImage, Ctx, Verdict};
use crate::error::EnvError;
use crate::spec::{BuildCheck, DockerfileCheck, RebuildCheck};

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

fn dockerfile_path(ctx: &Ctx<'_>, spec: &BuildCheck) -> (PathBuf, PathBuf) {
    let root = if spec.context == "." || spec.context.is_empty() {
        ctx.dir.clone()
    } else {
        ctx.dir.join(&spec.context)
    };
    let df = root.join(&spec.dockerfile);
    (root, df)
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
    ctx: &Ctx<'_>,
    spec: &BuildCheck,
    tag: &str,
    tar: Vec<u8>,
) -> Result<(Builder, Built), EnvError> {
    let text = label_step::read_file(&tar, &spec.dockerfile).unwrap_or_default();
    let builder = ctx
        .engine
        .builder_for(dockerfile::needs_buildkit(&text).as_deref())?;
    let built = match builder {
        Builder::Classic => run_classic(ctx, spec, tag, tar).await?,
        Builder::BuildKit => {
            // The daemon would fetch a `# syntax=` frontend from a registry; the Dockerfile is
            // sent without that line and the daemon's own frontend builds it. It is replaced in
            // place: the daemon's BuildKit does not apply `.dockerignore` to an uploaded
            // context, so a copy beside it would land in the image.
            let tar = buildkit::without_syntax_directive(&text)
                .and_then(|t| context::replace_file(&tar, &spec.dockerfile, &t))
                .unwrap_or(tar);
            let dockerfile = spec.dockerfile.clone();
            // BuildKit writes request labels into the image config: no extra steps.
            let labels = ctx.engine.build_labels();
            let request = Request {
                tag,
                text: &text,
                dockerfile: &dockerfile,
                labels: &labels,
                builder,
            };
            let built = run_once(ctx, spec, &request, tar).await?;
            if let Built::Failed { error, .. } = &built {
                if let Some(what) = buildkit::unknown_to_frontend(&text, error) {
                    return Err(EnvError::FrontendTooOld {
                        what,
                        version: ctx.engine.server_version.clone(),
                    });
                }
            }
            built
        }
    };
    Ok((builder, built))
}

async fn run_classic(
    ctx: &Ctx<'_>,
    spec: &BuildCheck,
    tag: &str,
    tar: Vec<u8>,
) -> Result<Built, EnvError> {
    // On Docker, the ownership labels travel as one LABEL step in a copy of the Dockerfile
    // (three request labels would be three steps); elsewhere, or when that copy cannot be made,
    // as request labels.
    let labels = ctx.engine.build_labels();
    let labelled = (ctx.engine.runtime == crate::docker::Runtime::Docker)
        .then(|| {
            label_step::labelled_context(&tar, &spec.dockerfile, spec.target.as_deref(), &labels)
        })
        .flatten();
    let (tar, dockerfile, labels) = match labelled {
        Some(t) => (t, label_step::BUILD_DOCKERFILE.to_string(), HashMap::new()),
        None => (tar, spec.dockerfile.clone(), labels),
    };
    let request = Request {
        tag,
        text: "",
        dockerfile: &dockerfile,
        labels: &labels,
        builder: Builder::Classic,
    };
    let mut attempts = 0;
    loop {
        attempts += 1;
        match run_once(ctx, spec, &request, tar.clone()).await? {
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
}

/// What one build stream has told so far.
struct Seen {
    /// The classic builder's log text.
    log: String,
    /// BuildKit's status messages.
    progress: buildkit::Progress,
    id: Option<String>,
}

impl Seen {
    fn log(&self, builder: Builder) -> String {
        match builder {
            Builder::Classic => self.log.clone(),
            Builder::BuildKit => self.progress.log(),
        }
    }

    fn running(&self, builder: Builder) -> Option<String> {
        match builder {
            Builder::Classic => parse_steps(&self.log).last().map(|s| s.instruction.clone()),
            Builder::BuildKit => self.progress.running_step(),
        }
    }

    /// The error as a learner reads it: with BuildKit, which step failed and why.
    fn error(&self, builder: Builder, error: &str) -> String {
        let error = buildkit::strip_ansi(error);
        match (builder, self.progress.failed_step()) {
            (Builder::BuildKit, Some((step, _))) => format!("`{step}` failed: {}", error.trim()),
            _ => error,
        }
    }
}

async fn run_once(
    ctx: &Ctx<'_>,
    spec: &BuildCheck,
    request: &Request<'_>,
    tar: Vec<u8>,
) -> Result<Built, EnvError> {
    let builder = request.builder;
    let mut opts = BuildImageOptionsBuilder::new()
        .dockerfile(request.dockerfile)
        .t(request.tag)
        .rm(true)
        .forcerm(true)
        .memory(1024 * 1024 * 1024);
    if builder == Builder::BuildKit {
        opts = opts.version(BuilderVersion::BuilderBuildKit);
    }
    if !request.labels.is_empty() {
        opts = opts.labels(request.labels);
    }
    if let Some(t) = &spec.target {
        opts = opts.target(t);
    }
    if spec.pull {
        opts = opts.pull("true");
    }
    if !spec.build_args.is_empty() {
        opts = opts.buildargs(
            &spec
                .build_args
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
    }
    let limit = spec
        .deadline_s
        .map(Duration::from_secs)
        .unwrap_or(deadline::BUILD);
    // The build gets one overall deadline instead of bollard's 120 s per request.
    let docker = ctx
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
                secrets: read_secrets(ctx, spec),
            };
            match tokio::time::timeout(
                deadline::QUICK,
                session::build(
                    &ctx.engine.endpoint,
                    &ctx.engine.api_version,
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
    let mut seen = Seen {
        log: String::new(),
        progress: buildkit::Progress::for_dockerfile(request.text),
        id: None,
    };
    let until = tokio::time::Instant::now() + limit;
    loop {
        // The BuildKit session may outlive the build; once the image id is in, it is done.
        let wait_until = match (&seen.id, builder) {
            (Some(_), Builder::BuildKit) => {
                until.min(tokio::time::Instant::now() + Duration::from_secs(2))
            }
            _ => until,
        };
        match tokio::time::timeout_at(wait_until, stream.next()).await {
            Err(_) if seen.id.is_some() && builder == Builder::BuildKit => break,
            Err(_) => {
                drop(stream);
                let log = seen.log(builder);
                let running = seen.running(builder);
                // BuildKit keeps nothing of a cancelled build outside its own cache. The
                // classic builder cancels the running step when we hang up, but only after a
                // moment: until then its layers are in use. Try again for a while.
                if builder == Builder::Classic {
                    let until = tokio::time::Instant::now() + Duration::from_secs(30);
                    while !remove_fresh_layers(ctx, &log).await
                        && tokio::time::Instant::now() < until
                    {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                return Ok(Built::TimedOut {
                    log,
                    limit,
                    running,
                });
            }
            Ok(None) => break,
            Ok(Some(Ok(info))) => {
                if let Some(s) = info.stream {
                    if let Some(rest) = s.trim().strip_prefix("Successfully built ") {
                        seen.id = Some(rest.trim().to_string());
                    }
                    seen.log.push_str(&s);
                }
                if let Some(id) = info.aux.and_then(|a| seen.progress.absorb(a)) {
                    seen.id = Some(id);
                }
            }
            Ok(Some(Err(bollard::errors::Error::DockerStreamError { error }))) => {
                let log = seen.log(builder);
                if builder == Builder::Classic {
                    remove_fresh_layers(ctx, &log).await;
                }
                // A full disk is the machine's problem, not the learner's Dockerfile: exit 3,
                // and the attempt is not recorded.
                if error.to_lowercase().contains("no space left on device") {
                    return Err(EnvError::DiskFull { detail: error });
                }
                let error = seen.error(builder, &error);
                return Ok(Built::Failed { log, error });
            }
            Ok(Some(Err(e))) => {
                let env = classify("build", &e);
                if let EnvError::Daemon { detail, .. } = &env {
                    // The daemon rejected the request itself: a Dockerfile problem, usually.
                    return Ok(Built::Failed {
                        log: seen.log(builder),
                        error: seen.error(builder, detail),
                    });
                }
                return Err(env);
            }
        }
    }
    let log = seen.log(builder);
    match seen.id {
        Some(id) => {
            let (steps, fresh) = match builder {
                Builder::Classic => (parse_steps(&log), fresh_layers(&log)),
                Builder::BuildKit => (seen.progress.steps(), Vec::new()),
            };
            Ok(Built::Ok {
                id,
                log,
                steps,
                fresh,
            })
        }
        None => Ok(Built::Failed {
            error: "the build ended without producing an image".into(),
            log,
        }),
    }
}

/// The build's secrets (`docker build --secret id=ID,src=FILE`), read from the exercise folder.
/// A file that cannot be read is left out: the build then fails on the step that mounts it, with
/// BuildKit's own "secret ID not found", which names it.
fn read_secrets(ctx: &Ctx<'_>, spec: &BuildCheck) -> HashMap<String, Vec<u8>> {
    spec.secrets
        .iter()
        .filter_map(|(id, file)| Some((id.clone(), std::fs::read(ctx.dir.join(file)).ok()?)))
        .collect()
}

/// After a failed or cancelled build, the classic builder keeps the layers of the steps that
/// finished. Those this build made (not cache hits) are ours to remove; untagged, unlabelled
/// leftovers would otherwise pile up.
/// Returns whether every such layer is gone.
pub async fn remove_fresh_layers(ctx: &Ctx<'_>, log: &str) -> bool {
    remove_untagged(ctx, &fresh_layers(log)).await
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
pub async fn remove_untagged(ctx: &Ctx<'_>, ids: &[String]) -> bool {
    let opts = || RemoveImageOptionsBuilder::new().force(false).build();
    let mut all_gone = true;
    for id in ids.iter().rev() {
        match tokio::time::timeout(deadline::QUICK, ctx.engine.docker.inspect_image(id)).await {
            Err(_) => all_gone = false,
            Ok(Err(_)) => {}
            Ok(Ok(info)) if info.repo_tags.as_ref().is_none_or(|t| t.is_empty()) => {
                let r = tokio::time::timeout(
                    deadline::QUICK,
                    ctx.engine.docker.remove_image(id, Some(opts()), None),
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

/// Explain a failed build in a learner's terms.
fn explain_failure(error: &str) -> String {
    let lower = error.to_lowercase();
    if lower.contains("secret") && lower.contains("not found") {
        return "A `RUN --mount=type=secret` step says `required=true`, but dockdojo gives a build \
                no secrets. Make the step work without the secret file."
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
    if lower.contains("returned a non-zero code: 127") {
        return "A RUN step called a program that does not exist in the image (exit 127).".into();
    }
    if lower.contains("no space left on device") {
        return "Docker's disk is full. Free space (`docker system df`, `dockdojo clean`).".into();
    }
    "Read the build log above: the last step shown is the one that failed.".into()
}

/// The `build` check.
pub async fn build(ctx: &mut Ctx<'_>, spec: &BuildCheck) -> Result<Verdict, EnvError> {
    let expected = "the Dockerfile builds into an image";
    let (root, df_path) = dockerfile_path(ctx, spec);
    let text = match std::fs::read(&df_path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).to_string(),
        Err(_) => {
            let misses = near_misses(df_path.parent().unwrap_or(&root), &spec.dockerfile);
            let mut actual = format!("no file at {}", df_path.display());
            if !misses.is_empty() {
                actual.push_str(&format!(" (found {} instead)", misses.join(", ")));
            }
            return Ok(Verdict::fail(expected, actual).advise(format!(
                "Docker looks for a file named exactly `{}` (capital D, no extension) in the \
                 exercise folder.",
                spec.dockerfile
            )));
        }
    };
    if text.trim().is_empty() {
        return Ok(
            Verdict::fail(expected, format!("{} is empty", spec.dockerfile))
                .advise("A Dockerfile starts with a FROM line naming its base image."),
        );
    }
    if let Err(r) = dockerfile::screen(&text) {
        if r.parse_error {
            return Ok(Verdict::fail(
                expected,
                format!("the build failed: line {}: {}", r.line, r.reason),
            )
            .advise("Every Dockerfile instruction is a keyword (FROM, RUN, COPY, CMD…) followed by its arguments; the first instruction is FROM."));
        }
        return Ok(Verdict::fail(
            expected,
            format!("refused before building: line {}: {}", r.line, r.reason),
        ));
    }
    let biggest = |files: &[(String, u64)]| {
        files
            .iter()
            .map(|(n, s)| format!("{n} ({} MB)", s / 1_000_000))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (total, top) = match context::measure(&root) {
        Ok(m) => m,
        Err(p) => {
            return Ok(Verdict::fail(
                expected,
                format!("could not read the build context: {}", p.0),
            ))
        }
    };
    if total > REFUSE_BYTES {
        return Ok(Verdict::fail(
            expected,
            format!(
                "refused before sending: the build context is {} MB (biggest: {}); dockdojo does \
                 not send contexts over {} MB",
                total / 1_000_000,
                biggest(&top),
                REFUSE_BYTES / 1_000_000
            ),
        )
        .advise("Everything in the exercise folder is sent to the daemon with every build. List big files and folders the image does not need in a .dockerignore."));
    }
    if total > WARN_BYTES {
        crate::notice::notice(&format!(
            "warning: the build context of {} is {} MB (biggest: {}); sending it takes a while \
             (Ctrl-C stops). A .dockerignore keeps such files out.",
            ctx.exercise.id,
            total / 1_000_000,
            biggest(&top)
        ));
    }
    let packed = match context::pack(&root, &spec.dockerfile, None) {
        Ok(p) => p,
        Err(p) => {
            return Ok(Verdict::fail(
                expected,
                format!("could not read the build context: {}", p.0),
            ))
        }
    };
    let warning = (packed.bytes > WARN_BYTES).then(|| {
        format!(
            "The build context is {} MB; the biggest files: {}. Add a .dockerignore.",
            packed.bytes / 1_000_000,
            packed
                .biggest
                .iter()
                .map(|(n, s)| format!("{n} ({} MB)", s / 1_000_000))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    let tag = format!(
        "{}{}:{}-{}",
        crate::docker::cleanup::CHECK_REPO,
        ctx.exercise.id,
        &ctx.engine.session[..8],
        spec.image
    );
    let (builder, built) = run_build(ctx, spec, &tag, packed.tar).await?;
    match built {
        Built::Ok {
            id, steps, fresh, ..
        } => {
            ctx.fresh_layers.extend(fresh);
            let learner_steps = steps
                .iter()
                .filter(|s| !s.instruction.starts_with("LABEL io.dockdojo."))
                .count();
            ctx.images.insert(
                spec.image.clone(),
                BuiltImage {
                    id: id.clone(),
                    tag,
                    steps,
                    spec: spec.clone(),
                },
            );
            let mut v = Verdict::pass(
                expected,
                format!("built in {learner_steps} steps with {}", builder.describe()),
            );
            if let Some(w) = warning {
                v = v.advise(w);
            }
            Ok(v)
        }
        Built::Failed { log, error } => Ok(Verdict::fail(
            expected,
            format!(
                "the build failed with {}: {}\n--- last lines of the build log ---\n{}",
                builder.describe(),
                error.trim(),
                tail(&log, 8)
            ),
        )
        .advise(explain_failure(&error))),
        Built::TimedOut { limit, running, .. } => {
            let last = running.unwrap_or_else(|| "(before the first step)".into());
            Ok(Verdict::fail(
                expected,
                format!(
                    "the build with {} did not finish within {} s; it was still running `{last}`",
                    builder.describe(),
                    limit.as_secs()
                ),
            )
            .advise("A step that never ends (a server started in RUN, `sleep infinity`) hangs the build; servers belong in CMD."))
        }
    }
}

/// The `rebuild` check: change one file as a code edit would, rebuild, and see which steps the
/// cache served.
pub async fn rebuild(ctx: &mut Ctx<'_>, spec: &RebuildCheck) -> Result<Verdict, EnvError> {
    let Some(first) = ctx.images.get(&spec.image).cloned() else {
        return Ok(Verdict::fail("a first build", "no image was built"));
    };
    let (root, _) = dockerfile_path(ctx, &first.spec);
    let touched = ctx.dir.join(&spec.touch);
    let rel = touched
        .strip_prefix(&root)
        .unwrap_or(Path::new(&spec.touch))
        .to_path_buf();
    let mut content = std::fs::read(&touched).map_err(|e| {
        EnvError::Other(format!(
            "cannot read {} for the rebuild check: {e}",
            touched.display()
        ))
    })?;
    edit(&mut content, spec.append.as_deref());
    let packed = match context::pack(&root, &first.spec.dockerfile, Some((&rel, &content))) {
        Ok(p) => p,
        Err(p) => return Ok(Verdict::fail("a rebuild", p.0)),
    };
    let tag = format!("{}-rebuild", first.tag);
    let mut expected = match &spec.append {
        Some(line) => format!(
            "after `{}` is added to {}, a rebuild where",
            line.trim(),
            spec.touch
        ),
        None => format!("after a change to {}, a rebuild where", spec.touch),
    };
    if !spec.cached.is_empty() {
        expected.push_str(&format!(
            " the `{}` step(s) come from the cache",
            spec.cached.join("`, `")
        ));
    }
    if !spec.rebuilt.is_empty() {
        if !spec.cached.is_empty() {
            expected.push_str(" and");
        }
        expected.push_str(&format!(
            " the `{}` step(s) run again",
            spec.rebuilt.join("`, `")
        ));
    }
    if !spec.output_contains.is_empty() || !spec.output_excludes.is_empty() {
        if !spec.cached.is_empty() || !spec.rebuilt.is_empty() {
            expected.push_str(" and");
        }
        expected.push_str(" the output");
        if !spec.output_contains.is_empty() {
            expected.push_str(&format!(" shows `{}`", spec.output_contains.join("`, `")));
        }
        if !spec.output_excludes.is_empty() {
            if !spec.output_contains.is_empty() {
                expected.push_str(" and");
            }
            expected.push_str(&format!(
                " never shows `{}`",
                spec.output_excludes.join("`, `")
            ));
        }
    }
    let (builder, built) = run_build(ctx, &first.spec, &tag, packed.tar).await?;
    let (steps, log) = match built {
        Built::Ok {
            steps, fresh, log, ..
        } => {
            ctx.fresh_layers.extend(fresh);
            (steps, log)
        }
        Built::Failed { error, .. } => {
            return Ok(Verdict::fail(
                expected,
                format!("the rebuild failed with {}: {error}", builder.describe()),
            ))
        }
        Built::TimedOut { limit, .. } => {
            return Ok(Verdict::fail(
                expected,
                format!(
                    "the rebuild with {} took over {} s",
                    builder.describe(),
                    limit.as_secs()
                ),
            ))
        }
    };
    let steps: Vec<Step> = steps
        .into_iter()
        .filter(|s| !s.instruction.starts_with("LABEL io.dockdojo."))
        .collect();
    let describe = steps
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                if s.cached { "cached " } else { "REBUILT" },
                s.instruction
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let find = |needle: &str| steps.iter().find(|s| step_matches(&s.instruction, needle));
    for n in &spec.cached {
        match find(n) {
            None => {
                return Ok(Verdict::fail(
                    expected,
                    format!("no step contains `{n}`; the steps were:\n{describe}"),
                )
                .advise("Keep the step the task names; the check looks for it by its text."))
            }
            Some(s) if !s.cached => {
                let changed_before = steps
                    .iter()
                    .take_while(|x| !step_matches(&x.instruction, n))
                    .find(|x| !x.cached)
                    .map(|x| x.instruction.clone());
                let why = match changed_before {
                    Some(i) => format!(
                        "`{i}` comes earlier and changed, so every step after it was rebuilt"
                    ),
                    None => "the step itself was rebuilt".into(),
                };
                return Ok(Verdict::fail(
                    expected,
                    format!("`{}` was rebuilt after a code-only change: {why}.\nThe rebuild:\n{describe}", s.instruction),
                ));
            }
            Some(_) => {}
        }
    }
    for n in &spec.rebuilt {
        match find(n) {
            Some(s) if s.cached => {
                return Ok(Verdict::fail(
                    expected,
                    format!("`{}` came from the cache although {} changed: the image would ship stale code.\nThe rebuild:\n{describe}", s.instruction, spec.touch),
                ))
            }
            None => return Ok(Verdict::fail(expected, format!("no step contains `{n}`; the steps were:\n{describe}"))),
            Some(_) => {}
        }
    }
    if let Some(actual) = output_mismatch(&log, &spec.output_contains, &spec.output_excludes) {
        return Ok(Verdict::fail(
            expected,
            format!("{actual}\nThe rebuild:\n{describe}"),
        ));
    }
    Ok(Verdict::pass(
        expected,
        format!("rebuilt with {}:\n{describe}", builder.describe()),
    ))
}

/// The first way a rebuild's log misses its `output_contains`/`output_excludes`, as a learner
/// reads it: the lines that printed an excluded text, or the text that never appeared.
fn output_mismatch(log: &str, contains: &[String], excludes: &[String]) -> Option<String> {
    for text in excludes {
        let lines: Vec<&str> = log
            .lines()
            .map(str::trim)
            .filter(|l| l.contains(text.as_str()))
            .collect();
        if !lines.is_empty() {
            let shown = lines.iter().take(6).copied().collect::<Vec<_>>().join("\n");
            let more = match lines.len() {
                n if n > 6 => format!("\n… and {} more line(s)", n - 6),
                _ => String::new(),
            };
            return Some(format!(
                "the rebuild's output shows `{text}`:\n{shown}{more}"
            ));
        }
    }
    contains
        .iter()
        .find(|t| !log.contains(t.as_str()))
        .map(|t| format!("the rebuild's output never shows `{t}`"))
}

/// Change a file as a code edit would, into content no earlier build has seen: a newline, then
/// lines of spaces whose lengths spell a fresh random number (harmless at the end of code,
/// scripts, JSON or YAML). BuildKit's cache outlives the images dockdojo removes and is keyed by
/// content: the same edit every time would be a cache hit from the previous check.
fn edit(content: &mut Vec<u8>, append: Option<&str>) {
    let nonce = uuid::Uuid::new_v4().as_u128();
    if let Some(line) = append {
        if !content.is_empty() && !content.ends_with(b"\n") {
            content.push(b'\n');
        }
        content.extend_from_slice(line.trim_end_matches('\n').as_bytes());
    }
    content.push(b'\n');
    for i in 0..6 {
        let spaces = ((nonce >> (4 * i)) & 0xf) as usize;
        content.extend(std::iter::repeat_n(b' ', spaces));
        content.push(b'\n');
    }
}

/// Does a step match a `cached`/`rebuilt` entry? An entry is a substring of the instruction; one
/// that starts with an instruction keyword (`RUN install-deps`) also requires that keyword.
pub fn step_matches(instruction: &str, entry: &str) -> bool {
    match entry.split_once(' ') {
        Some((kw, rest)) if kw.len() > 1 && kw.chars().all(|c| c.is_ascii_uppercase()) => {
            instruction.to_uppercase().starts_with(&format!("{kw} "))
                && instruction.contains(rest.trim())
        }
        _ => instruction.contains(entry),
    }
}

/// The `context` check: what `docker build` would send, after `.dockerignore`.
pub fn context(ctx: &Ctx<'_>, spec: &crate::spec::ContextCheck) -> Verdict {
    let root = ctx.dir.join(&spec.context);
    let expected = {
        let mut e = String::from("a build context");
        if !spec.absent.is_empty() {
            e.push_str(&format!(" without {}", spec.absent.join(", ")));
        }
        if !spec.present.is_empty() {
            e.push_str(&format!(" with {}", spec.present.join(", ")));
        }
        if let Some(m) = spec.max_mb {
            e.push_str(&format!(" of at most {m} MB"));
        }
        e
    };
    let packed = match context::pack(&root, &spec.dockerfile, None) {
        Ok(p) => p,
        Err(p) => {
            return Verdict::fail(
                expected,
                format!("could not read the build context: {}", p.0),
            )
        }
    };
    let names = context::names(&packed.tar);
    let sent = |p: &str| {
        let p = p.trim_start_matches("./").trim_end_matches('/');
        names
            .iter()
            .any(|n| n == p || n.starts_with(&format!("{p}/")))
    };
    if let Some(p) = spec.absent.iter().find(|p| sent(p)) {
        return Verdict::fail(
            expected,
            format!("{p} is sent to the daemon with every build"),
        )
        .advise("List it in .dockerignore (one pattern per line, relative to the context).");
    }
    if let Some(p) = spec.present.iter().find(|p| !sent(p)) {
        return Verdict::fail(
            expected,
            format!("{p} is not sent, so the build cannot use it"),
        )
        .advise("A .dockerignore pattern excludes it; narrow the pattern or add a `!` exception.");
    }
    let mb = packed.bytes as f64 / 1_000_000.0;
    if let Some(m) = spec.max_mb {
        if mb > m {
            return Verdict::fail(
                expected,
                format!(
                    "{mb:.1} MB; biggest: {}",
                    packed
                        .biggest
                        .iter()
                        .map(|(n, s)| format!("{n} ({:.1} MB)", *s as f64 / 1e6))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    Verdict::pass(expected, format!("{} entries, {mb:.1} MB", names.len()))
}

fn rule_text(r: crate::spec::DockerfileRule) -> &'static str {
    use crate::spec::DockerfileRule::*;
    match r {
        FromPinned => "every FROM naming an exact release or a digest",
        MultiStage => "a multi-stage build",
        NonRootUser => "a final USER that is not root",
        ExecForm => "CMD/ENTRYPOINT in exec form",
    }
}

/// The `--build-arg` values of the exercise's `build` check that builds this Dockerfile (path
/// relative to the exercise folder), so a static rule reads `ARG`s as that build does.
fn build_args_for(ctx: &Ctx<'_>, dockerfile: &str) -> std::collections::BTreeMap<String, String> {
    let norm = |p: &std::path::Path| -> std::path::PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    let want = norm(std::path::Path::new(dockerfile));
    ctx.exercise
        .checks
        .iter()
        .find_map(|c| match &c.kind {
            crate::spec::CheckKind::Build(b)
                if norm(&std::path::Path::new(&b.context).join(&b.dockerfile)) == want =>
            {
                Some(b.build_args.clone())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// The `dockerfile` check: a static rule.
pub fn dockerfile_rule(ctx: &Ctx<'_>, spec: &DockerfileCheck) -> Verdict {
    let path = ctx.dir.join(&spec.dockerfile);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Verdict::fail("a Dockerfile", format!("no file at {}", path.display()));
    };
    match dockerfile::check_rule_with(&text, spec.rule, &build_args_for(ctx, &spec.dockerfile)) {
        Ok(seen) => Verdict::pass(rule_text(spec.rule), seen),
        Err((expected, actual)) => Verdict::fail(expected, actual),
    }
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
    fn an_appended_line_comes_before_the_blank_lines() {
        let mut c = b"greeter 2.1.0".to_vec();
        edit(&mut c, Some("left-pad 1.3.0\n"));
        let text = String::from_utf8(c).unwrap();
        assert!(
            text.starts_with("greeter 2.1.0\nleft-pad 1.3.0\n"),
            "{text:?}"
        );
        assert!(text["greeter 2.1.0\nleft-pad 1.3.0\n".len()..]
            .chars()
            .all(|c| c == ' ' || c == '\n'));
    }

    #[test]
    fn rebuild_output_is_matched() {
        let log = "#1 [2/3] RUN pkg install\ncached greeter 2.1.0\ndownloading left-pad 1.3.0\n";
        let s = |v: &[&str]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(
            output_mismatch(log, &s(&["left-pad"]), &s(&["downloading greeter"])),
            None
        );
        let e = output_mismatch(log, &[], &s(&["downloading"])).unwrap();
        assert!(
            e.contains("shows `downloading`") && e.contains("downloading left-pad 1.3.0"),
            "{e}"
        );
        let e = output_mismatch(log, &s(&["colours"]), &[]).unwrap();
        assert!(e.contains("never shows `colours`"), "{e}");
    }

    #[test]
    fn every_edit_is_new_content() {
        let edited = || {
            let mut c = b"echo app\n".to_vec();
            edit(&mut c, None);
            c
        };
        let (a, b) = (edited(), edited());
        assert!(a.starts_with(b"echo app\n\n") && a.len() > 10);
        assert!(a.iter().skip(9).all(|c| *c == b' ' || *c == b'\n'));
        // 24 random bits: two edits agree once in 16 million.
        assert_ne!(a, b);
    }

    #[test]
    fn entries_with_a_keyword_match_only_that_instruction() {
        assert!(step_matches("RUN /app/install-deps.sh", "RUN install-deps"));
        assert!(!step_matches(
            "COPY deps.txt install-deps.sh /app/",
            "RUN install-deps"
        ));
        assert!(step_matches(
            "COPY deps.txt install-deps.sh /app/",
            "install-deps"
        ));
        assert!(step_matches("run ./install-deps.sh", "RUN install-deps"));
    }

    #[test]
    fn podman_log_is_parsed() {
        let log = "STEP 1/2: FROM busybox:1.36.1\nSTEP 2/2: RUN true\n--> Using cache 4b2a\n";
        let s = parse_steps(log);
        assert_eq!(s.len(), 2);
        assert!(s[1].cached);
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
