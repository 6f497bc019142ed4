//! The `file` check: a path present or absent in an image's filesystem (optionally its
//! content), copied out of a container created from the image and never started.

use crate::checks::{Ctx, Verdict};
use crate::checks::{Kind, Needs};
use crate::docker::files::{create_unstarted, read_path};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileCheck {
    #[serde(default = "crate::checks::defaults::default_image")]
    pub image: String,
    /// Absolute path in the image.
    pub path: String,
    /// Whether it must exist (default) or must not.
    #[serde(default = "crate::checks::defaults::default_true")]
    pub exists: bool,
    /// Text the file must contain.
    pub contains: Option<String>,
}

impl Kind for FileCheck {
    fn reads_only(&self) -> bool {
        true
    }
    fn problem(&self) -> Option<String> {
        (!self.path.starts_with('/')).then(|| "path must be absolute".into())
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            image: Some(&self.image),
            ..Needs::default()
        }
    }
}

/// The `file` check: copy the path out of a created (never started) container.
pub async fn check(ctx: &mut Ctx<'_>, spec: &FileCheck) -> Result<Verdict, EnvError> {
    let expected = match (&spec.contains, spec.exists) {
        (_, false) => format!("no {} in the image", spec.path),
        (Some(c), true) => format!("{} in the image, containing \"{c}\"", spec.path),
        (None, true) => format!("{} in the image", spec.path),
    };
    let image = ctx.image_ref(&spec.image);
    let created = create_unstarted(ctx.engine, ctx.exercise, &image, "files", Some(vec![])).await?;
    let result = read_path(ctx.engine, &created.id, &spec.path).await;
    let _ = ctx.engine.remove_container(&created.id).await;
    Ok(judge(result?, spec, expected))
}

/// The verdict on the path's content, `None` when it is not in the image (no I/O).
pub fn judge(content: Option<String>, spec: &FileCheck, expected: String) -> Verdict {
    match (content, spec.exists) {
        (None, false) => Verdict::pass(expected, format!("{} is absent", spec.path)),
        (Some(_), false) => Verdict::fail(expected, format!("{} is in the image", spec.path)),
        (None, true) => Verdict::fail(expected, format!("{} is not in the image", spec.path)),
        (Some(text), true) => match &spec.contains {
            Some(c) if !text.contains(c.as_str()) => Verdict::fail(
                expected,
                format!(
                    "{} contains: {}",
                    spec.path,
                    crate::docker::logs::tail(&text, 5)
                ),
            ),
            _ => Verdict::pass(expected, format!("{} is present", spec.path)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(exists: bool, contains: Option<&str>) -> FileCheck {
        FileCheck {
            image: "app".into(),
            path: "/app/a.txt".into(),
            exists,
            contains: contains.map(str::to_string),
        }
    }

    #[test]
    fn presence_and_content_are_judged() {
        assert!(judge(None, &spec(false, None), "e".into()).passed);
        assert!(!judge(Some(String::new()), &spec(false, None), "e".into()).passed);
        assert!(!judge(None, &spec(true, None), "e".into()).passed);
        assert!(
            judge(
                Some("hi there".into()),
                &spec(true, Some("there")),
                "e".into()
            )
            .passed
        );
        let v = judge(Some("hello".into()), &spec(true, Some("bye")), "e".into());
        assert!(
            !v.passed && v.actual.contains("/app/a.txt contains: hello"),
            "{}",
            v.actual
        );
    }
}
