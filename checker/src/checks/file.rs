//! The `file` check: a path present or absent in an image's filesystem (optionally its
//! content), copied out of a container created from the image and never started.

use crate::ctx::{Ctx, Verdict};
use crate::docker::files::{create_unstarted, read_path};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileCheck {
    #[serde(default = "crate::spec::default_image")]
    pub image: String,
    /// Absolute path in the image.
    pub path: String,
    /// Whether it must exist (default) or must not.
    #[serde(default = "crate::spec::default_true")]
    pub exists: bool,
    /// Text the file must contain.
    pub contains: Option<String>,
}

/// The `file` check: copy the path out of a created (never started) container.
pub async fn check(ctx: &mut Ctx<'_>, spec: &FileCheck) -> Result<Verdict, EnvError> {
    let expected = match (&spec.contains, spec.exists) {
        (_, false) => format!("no {} in the image", spec.path),
        (Some(c), true) => format!("{} in the image, containing \"{c}\"", spec.path),
        (None, true) => format!("{} in the image", spec.path),
    };
    let image = ctx.image_ref(&spec.image);
    let created =
        create_unstarted(ctx.engine, &ctx.exercise.id, &image, "files", Some(vec![])).await?;
    let result = read_path(ctx.engine, &created.id, &spec.path).await;
    let _ = ctx.engine.remove_container(&created.id).await;
    let content = result?;
    match (content, spec.exists) {
        (None, false) => Ok(Verdict::pass(expected, format!("{} is absent", spec.path))),
        (Some(_), false) => Ok(Verdict::fail(
            expected,
            format!("{} is in the image", spec.path),
        )),
        (None, true) => Ok(Verdict::fail(
            expected,
            format!("{} is not in the image", spec.path),
        )),
        (Some(text), true) => match &spec.contains {
            Some(c) if !text.contains(c.as_str()) => Ok(Verdict::fail(
                expected,
                format!(
                    "{} contains: {}",
                    spec.path,
                    crate::docker::logs::tail(&text, 5)
                ),
            )),
            _ => Ok(Verdict::pass(expected, format!("{} is present", spec.path))),
        },
    }
}
