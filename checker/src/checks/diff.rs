//! The `diff` check: `docker diff`, the files a container added or changed in its writable
//! layer. Gathering reads the changes; [`judge`] decides on them.

use crate::checks::{Ctx, Verdict};
use crate::checks::{Kind, Needs};
use crate::docker::{deadline, is_not_found};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DiffCheck {
    pub container: String,
    /// Paths that must appear as added or changed.
    #[serde(default)]
    pub changed: Vec<String>,
    /// Paths that must not appear.
    #[serde(default)]
    pub unchanged: Vec<String>,
}

impl Kind for DiffCheck {
    fn reads_only(&self) -> bool {
        true
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            container: Some(&self.container),
            ..Needs::default()
        }
    }
}

/// The `diff` check: `docker diff`.
pub async fn check(ctx: &mut Ctx<'_>, spec: &DiffCheck) -> Result<Verdict, EnvError> {
    let name = &spec.container;
    let mut parts = Vec::new();
    if !spec.changed.is_empty() {
        parts.push(format!("has {}", spec.changed.join(", ")));
    }
    if !spec.unchanged.is_empty() {
        parts.push(format!("does not have {}", spec.unchanged.join(", ")));
    }
    let expected = format!("{name}'s writable layer {}", parts.join(" and "));
    // Podman answers a diff of a missing container with 500 "layer not known", not 404: look
    // the container up first, so a missing one is the learner's failure on every runtime.
    let Some(info) = ctx.inspect_shared(name).await? else {
        return Ok(Verdict::no_container(name));
    };
    let target = info
        .id
        .unwrap_or_else(|| ctx.container_id(name).unwrap_or_else(|| name.clone()));
    let changes = match tokio::time::timeout(
        deadline::QUICK,
        ctx.engine.docker.container_changes(&target),
    )
    .await
    {
        Err(_) => {
            return Err(EnvError::Deadline {
                what: "container diff".into(),
                deadline: deadline::QUICK,
            })
        }
        Ok(Err(e)) if is_not_found(&e) => return Ok(Verdict::no_container(name)),
        Ok(r) => r
            .map_err(|e| crate::docker::classify("container diff", &e))?
            .unwrap_or_default(),
    };
    let paths: Vec<String> = changes.iter().map(|c| c.path.clone()).collect();
    Ok(judge(&paths, spec, expected))
}

/// The verdict on the paths `docker diff` listed (no I/O).
pub fn judge(paths: &[String], spec: &DiffCheck, expected: String) -> Verdict {
    let name = &spec.container;
    let shown = if paths.is_empty() {
        "no changes".to_string()
    } else {
        paths
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    for p in &spec.changed {
        if !paths.contains(p) {
            return Verdict::fail(
                expected,
                format!("{name} has no {p} in its writable layer (changes: {shown})"),
            );
        }
    }
    for p in &spec.unchanged {
        if paths.contains(p) {
            return Verdict::fail(
                expected,
                format!("{name} has {p} in its own writable layer (changes: {shown})"),
            );
        }
    }
    Verdict::pass(expected, shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(changed: &[&str], unchanged: &[&str]) -> DiffCheck {
        DiffCheck {
            container: "dojo-w".into(),
            changed: changed.iter().map(|s| s.to_string()).collect(),
            unchanged: unchanged.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn changes_are_judged() {
        let paths = vec!["/tmp".to_string(), "/tmp/out.txt".to_string()];
        let v = judge(
            &paths,
            &spec(&["/tmp/out.txt"], &["/etc/passwd"]),
            "e".into(),
        );
        assert!(v.passed, "{}", v.actual);
        let v = judge(&paths, &spec(&["/data/x"], &[]), "e".into());
        assert!(
            !v.passed && v.actual.contains("has no /data/x"),
            "{}",
            v.actual
        );
        let v = judge(&paths, &spec(&[], &["/tmp/out.txt"]), "e".into());
        assert!(!v.passed && v.actual.contains("in its own writable layer"));
        let v = judge(&[], &spec(&["/a"], &[]), "e".into());
        assert!(v.actual.contains("changes: no changes"), "{}", v.actual);
    }
}
