//! The `dockerfile` check: a static rule on the Dockerfile text ([`crate::dockerfile`]), read
//! with the `--build-arg`s of the build that uses the same file.

use crate::checks::Kind;
use crate::checks::{Ctx, Verdict};
use crate::dockerfile;
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

/// The rules, with the code that applies them.
pub use crate::dockerfile::DockerfileRule;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DockerfileCheck {
    #[serde(default = "crate::checks::defaults::default_dockerfile")]
    pub dockerfile: String,
    pub rule: DockerfileRule,
    /// A file of the exercise folder holding the one digest (`sha256:…`) every `FROM` that
    /// pulls an image must name after `@` (a scenario's pinned base, saved by its setup).
    pub from_digest_in: Option<String>,
}

impl Kind for DockerfileCheck {
    fn reads_only(&self) -> bool {
        true
    }
}

fn rule_text(r: DockerfileRule) -> &'static str {
    use DockerfileRule::*;
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
    ctx.checks
        .iter()
        .find_map(|c| match &c.kind {
            super::CheckKind::Build(b)
                if norm(&std::path::Path::new(&b.context).join(&b.dockerfile)) == want =>
            {
                Some(b.build_args.clone())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// The `dockerfile` check: a static rule.
pub async fn check(ctx: &mut Ctx<'_>, spec: &DockerfileCheck) -> Result<Verdict, EnvError> {
    Ok(verdict(ctx, spec))
}

fn verdict(ctx: &Ctx<'_>, spec: &DockerfileCheck) -> Verdict {
    let path = ctx.dir.join(&spec.dockerfile);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Verdict::fail("a Dockerfile", format!("no file at {}", path.display()));
    };
    let args = build_args_for(ctx, &spec.dockerfile);
    let ruled = dockerfile::check_rule_with(&text, spec.rule, &args);
    // With a digest to pin to, the digest's own verdict comes first: a partial tag is told that
    // a tag will not do, not that a full version would.
    let seen = match ruled {
        Ok(seen) => seen,
        Err((expected, actual)) if spec.from_digest_in.is_none() => {
            return Verdict::fail(expected, actual)
        }
        Err(failed) => match digest_verdict(ctx, spec, &text, &args) {
            Some(v) if !v.passed => return v,
            _ => return Verdict::fail(failed.0, failed.1),
        },
    };
    if spec.from_digest_in.is_some() {
        if let Some(v) = digest_verdict(ctx, spec, &text, &args) {
            return v;
        }
    }
    Verdict::pass(rule_text(spec.rule), seen)
}

/// The verdict of `from_digest_in` (`None`: the check has none).
fn digest_verdict(
    ctx: &Ctx<'_>,
    spec: &DockerfileCheck,
    text: &str,
    args: &std::collections::BTreeMap<String, String>,
) -> Option<Verdict> {
    if let Some(file) = &spec.from_digest_in {
        let Ok(digest) = std::fs::read_to_string(ctx.dir.join(file)) else {
            return Some(Verdict::fail(
                format!("every FROM naming the digest in {file}"),
                format!("there is no {file} in the exercise folder"),
            ));
        };
        return Some(
            match dockerfile::from_digest_is(text, args, digest.trim()) {
                Ok(seen) => Verdict::pass(format!("every FROM naming the digest in {file}"), seen),
                Err((expected, actual)) => Verdict::fail(format!("{expected} (in {file})"), actual),
            },
        );
    }
    None
}
