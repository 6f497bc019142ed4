//! The `context` check: the build context as `docker build` would send it, after
//! `.dockerignore` ([`crate::docker::context_tar`]).

use crate::checks::Kind;
use crate::checks::{Ctx, Verdict};
use crate::docker::context_tar as context;
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContextCheck {
    #[serde(default = "crate::checks::defaults::default_context")]
    pub context: String,
    #[serde(default = "crate::checks::defaults::default_dockerfile")]
    pub dockerfile: String,
    /// Paths (relative to the context) that must not be sent to the daemon.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Paths that must be sent.
    #[serde(default)]
    pub present: Vec<String>,
    /// Largest acceptable context, in MB.
    pub max_mb: Option<f64>,
    /// Files (relative to the context) and a text each must contain: a copy the task has the
    /// learner edit in the folder (`{ "app.conf" = "mode=maintenance" }`).
    #[serde(default)]
    pub contains: std::collections::BTreeMap<String, String>,
    /// Files (relative to the context) that must be the very file a container uses
    /// (`{ "app.conf" = "dojo-copy:/etc/app/app.conf" }`): a copy kept in the folder is the one
    /// deployed, not a second version written anew or changed on one side only. Line endings
    /// and trailing blank space at the end do not count.
    #[serde(default)]
    pub same_as: std::collections::BTreeMap<String, String>,
}

impl Kind for ContextCheck {
    fn reads_only(&self) -> bool {
        true
    }
    fn problem(&self) -> Option<String> {
        self.same_as.values().find_map(|t| {
            container_path(t)
                .is_none()
                .then(|| format!("`same_as` target `{t}` is not CONTAINER:/absolute/path"))
        })
    }
}

/// `dojo-copy:/etc/app/app.conf` → ("dojo-copy", "/etc/app/app.conf").
fn container_path(target: &str) -> Option<(&str, &str)> {
    let (c, p) = target.split_once(':')?;
    (!c.is_empty() && p.starts_with('/')).then_some((c, p))
}

/// The `context` check: what `docker build` would send, after `.dockerignore`.
pub async fn check(ctx: &mut Ctx<'_>, spec: &ContextCheck) -> Result<Verdict, EnvError> {
    let v = verdict(ctx, spec);
    if !v.passed {
        return Ok(v);
    }
    let root = ctx.dir.join(&spec.context);
    for (p, target) in &spec.same_as {
        let Some((container, path)) = container_path(target) else {
            continue;
        };
        let id = ctx
            .container_id(container)
            .unwrap_or_else(|| container.to_string());
        let theirs = if ctx.inspect(&id).await?.is_none() {
            ContainerFile::NoContainer
        } else {
            ContainerFile::Text(crate::docker::files::read_file(ctx.engine, &id, path).await?)
        };
        let ours = std::fs::read(root.join(p))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        if let Some(fail) = judge_same(p, ours.as_deref(), container, path, &theirs) {
            return Ok(Verdict::fail(v.expected.clone(), fail.0).advise(fail.1));
        }
    }
    Ok(v)
}

/// What the container holds at a `same_as` path.
pub enum ContainerFile {
    /// The file's text, or `None` when it has no such file.
    Text(Option<String>),
    /// There is no such container.
    NoContainer,
}

/// Is the folder's `p` (`ours`) the container's file (`theirs`)? `None` when it is; else what
/// differs, and advice (no I/O).
pub fn judge_same(
    p: &str,
    ours: Option<&str>,
    container: &str,
    path: &str,
    theirs: &ContainerFile,
) -> Option<(String, &'static str)> {
    const ONE_FILE: &str = "Keep one file: copy the container's file out, change it in the folder, and copy it back in (`docker cp` works both ways). A file written anew, or changed on one side only, is a second version the next container will not get.";
    let Some(ours) = ours else {
        return Some((format!("there is no {p} in the exercise folder"), ONE_FILE));
    };
    let theirs = match theirs {
        ContainerFile::NoContainer => {
            return Some((format!("there is no container named {container}"), ONE_FILE))
        }
        ContainerFile::Text(None) => {
            return Some((format!("{container} has no file {path}"), ONE_FILE));
        }
        ContainerFile::Text(Some(t)) => t,
    };
    let lines = |t: &str| -> Vec<String> {
        let t = t.replace("\r\n", "\n");
        let t = t.trim_end();
        t.lines().map(|l| l.trim_end().to_string()).collect()
    };
    let (a, b) = (lines(ours), lines(theirs));
    if a == b {
        return None;
    }
    let n = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let show = |l: Option<&String>| match l {
        Some(l) => format!("`{l}`"),
        None => "nothing (the file ends)".to_string(),
    };
    Some((
        format!(
            "{p} in the exercise folder is not the file {container} uses ({path}): line {} is {} \
             in the folder, {} in the container",
            n + 1,
            show(a.get(n)),
            show(b.get(n))
        ),
        ONE_FILE,
    ))
}

fn verdict(ctx: &Ctx<'_>, spec: &ContextCheck) -> Verdict {
    let root = ctx.dir.join(&spec.context);
    let expected = {
        // Only what the folder holds asked (a file copied out of a container): no build in sight.
        let folder_only = spec.absent.is_empty() && spec.max_mb.is_none();
        let mut e = String::from(if folder_only {
            "the exercise folder"
        } else {
            "a build context"
        });
        if !spec.absent.is_empty() {
            e.push_str(&format!(" without {}", spec.absent.join(", ")));
        }
        if !spec.present.is_empty() {
            e.push_str(&format!(" with {}", spec.present.join(", ")));
        }
        for (p, want) in &spec.contains {
            e.push_str(&format!(", {p} containing `{want}`"));
        }
        for (p, target) in &spec.same_as {
            e.push_str(&format!(", {p} the same file as {target}"));
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
    let sent = Sent {
        names: context::names(&packed.tar),
        bytes: packed.bytes,
        biggest: packed.biggest,
        missing: spec
            .present
            .iter()
            .filter(|p| std::fs::symlink_metadata(root.join(p)).is_err())
            .cloned()
            .collect(),
        texts: spec
            .contains
            .keys()
            .map(|p| {
                let text = std::fs::read(root.join(p))
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned());
                (p.clone(), text)
            })
            .collect(),
    };
    judge(&sent, spec, expected)
}

/// What `docker build` would send: the context's entries, its size and its biggest files.
pub struct Sent {
    pub names: Vec<String>,
    pub bytes: u64,
    pub biggest: Vec<(String, u64)>,
    /// The `present` paths that are not in the folder at all (so no `.dockerignore` is to blame).
    pub missing: Vec<String>,
    /// The text of each `contains` file (`None`: it could not be read).
    pub texts: std::collections::BTreeMap<String, Option<String>>,
}

/// The verdict on a packed context (no I/O).
pub fn judge(sent: &Sent, spec: &ContextCheck, expected: String) -> Verdict {
    let is_sent = |p: &str| {
        let p = p.trim_start_matches("./").trim_end_matches('/');
        sent.names
            .iter()
            .any(|n| n == p || n.starts_with(&format!("{p}/")))
    };
    if let Some(p) = spec.absent.iter().find(|p| is_sent(p)) {
        return Verdict::fail(
            expected,
            format!("{p} is sent to the daemon with every build"),
        )
        .advise("List it in .dockerignore (one pattern per line, relative to the context).");
    }
    if let Some(p) = spec.present.iter().find(|p| !is_sent(p)) {
        if sent.missing.contains(p) {
            return Verdict::fail(expected, format!("there is no {p} in the exercise folder"));
        }
        return Verdict::fail(
            expected,
            format!("{p} is not sent, so the build cannot use it"),
        )
        .advise("A .dockerignore pattern excludes it; narrow the pattern or add a `!` exception.");
    }
    for (p, want) in &spec.contains {
        match sent.texts.get(p).cloned().flatten() {
            None => {
                return Verdict::fail(expected, format!("there is no {p} in the exercise folder"))
            }
            Some(text) if !text.contains(want.as_str()) => {
                return Verdict::fail(
                    expected,
                    format!(
                        "{p} in the exercise folder does not contain `{want}`; it holds:\n{}",
                        crate::docker::logs::tail(&text, 8)
                    ),
                )
                .advise("The copy in the exercise folder is the one that lasts: make the change in it, then copy it where it is used.")
            }
            Some(_) => {}
        }
    }
    let mb = sent.bytes as f64 / 1_000_000.0;
    if let Some(m) = spec.max_mb {
        if mb > m {
            return Verdict::fail(
                expected,
                format!(
                    "{mb:.1} MB; biggest: {}",
                    sent.biggest
                        .iter()
                        .map(|(n, s)| format!("{n} ({:.1} MB)", *s as f64 / 1e6))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    Verdict::pass(
        expected,
        format!("{} entries, {mb:.1} MB", sent.names.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_are_judged() {
        let spec = ContextCheck {
            context: ".".into(),
            dockerfile: "Dockerfile".into(),
            absent: vec!["node_modules".into()],
            present: vec!["./src/".into()],
            max_mb: Some(1.0),
            contains: Default::default(),
            same_as: Default::default(),
        };
        let sent = |names: &[&str], bytes| Sent {
            names: names.iter().map(|s| s.to_string()).collect(),
            bytes,
            biggest: vec![("big.bin".into(), bytes)],
            missing: vec![],
            texts: Default::default(),
        };
        assert!(judge(&sent(&["Dockerfile", "src/app.js"], 10), &spec, "e".into()).passed);
        let v = judge(&sent(&["src/a", "node_modules/x/y"], 10), &spec, "e".into());
        assert!(!v.passed && v.actual.contains("node_modules is sent"));
        let v = judge(&sent(&["Dockerfile"], 10), &spec, "e".into());
        assert!(!v.passed && v.actual.contains("./src/ is not sent"));
        assert!(
            v.advice.is_some(),
            "an ignored path points at .dockerignore"
        );
        let gone = Sent {
            missing: vec!["./src/".into()],
            ..sent(&["Dockerfile"], 10)
        };
        let v = judge(&gone, &spec, "e".into());
        assert!(
            !v.passed
                && v.actual
                    .contains("there is no ./src/ in the exercise folder"),
            "{}",
            v.actual
        );
        assert!(
            v.advice.is_none(),
            "a missing path is not .dockerignore's fault"
        );
        let v = judge(&sent(&["src/a"], 3_000_000), &spec, "e".into());
        assert!(
            !v.passed && v.actual.contains("big.bin (3.0 MB)"),
            "{}",
            v.actual
        );
    }

    /// A copy the learner edits in the folder: there, and holding the change.
    #[test]
    fn a_file_holds_the_text_the_task_asks_for() {
        let spec = ContextCheck {
            context: ".".into(),
            dockerfile: "Dockerfile".into(),
            absent: vec![],
            present: vec!["app.conf".into()],
            max_mb: None,
            contains: [("app.conf".to_string(), "mode=maintenance".to_string())].into(),
            same_as: Default::default(),
        };
        let with = |text: Option<&str>| Sent {
            names: vec!["app.conf".into()],
            bytes: 10,
            biggest: vec![],
            missing: vec![],
            texts: [("app.conf".to_string(), text.map(str::to_string))].into(),
        };
        let v = judge(
            &with(Some("instance=7\nmode=maintenance\n")),
            &spec,
            "e".into(),
        );
        assert!(v.passed, "{}", v.actual);
        let v = judge(&with(Some("instance=7\nmode=normal\n")), &spec, "e".into());
        assert!(!v.passed);
        assert!(
            v.actual.starts_with(
                "app.conf in the exercise folder does not contain `mode=maintenance`; it holds:"
            ) && v.actual.contains("mode=normal"),
            "{}",
            v.actual
        );
        let v = judge(&with(None), &spec, "e".into());
        assert_eq!(v.actual, "there is no app.conf in the exercise folder");
    }
}

#[cfg(test)]
mod same_tests {
    use super::*;

    const THEIRS: &str = "# settings\ninstance=3f9a\nmode=maintenance\n";

    fn same(ours: Option<&str>, theirs: &ContainerFile) -> Option<(String, &'static str)> {
        judge_same("app.conf", ours, "dojo-copy", "/etc/app/app.conf", theirs)
    }

    #[test]
    fn the_folders_copy_must_be_the_containers_file() {
        let theirs = ContainerFile::Text(Some(THEIRS.to_string()));
        assert_eq!(same(Some(THEIRS), &theirs), None);
        // Line endings and blank space at the end do not count.
        assert_eq!(
            same(
                Some("# settings\r\ninstance=3f9a \r\nmode=maintenance\r\n\r\n"),
                &theirs
            ),
            None
        );
        // Written anew from the task's text while the container's own file was edited in place.
        let (why, _) = same(Some("mode=maintenance\n"), &theirs).unwrap();
        assert_eq!(
            why,
            "app.conf in the exercise folder is not the file dojo-copy uses (/etc/app/app.conf): \
             line 1 is `mode=maintenance` in the folder, `# settings` in the container"
        );
        let (why, _) = same(Some("# settings\ninstance=3f9a\n"), &theirs).unwrap();
        assert!(
            why.ends_with("line 3 is nothing (the file ends) in the folder, `mode=maintenance` in the container"),
            "{why}"
        );
        assert_eq!(
            same(None, &theirs).unwrap().0,
            "there is no app.conf in the exercise folder"
        );
        assert_eq!(
            same(Some(THEIRS), &ContainerFile::Text(None)).unwrap().0,
            "dojo-copy has no file /etc/app/app.conf"
        );
        assert_eq!(
            same(Some(THEIRS), &ContainerFile::NoContainer).unwrap().0,
            "there is no container named dojo-copy"
        );
    }

    #[test]
    fn a_target_is_a_container_and_an_absolute_path() {
        assert_eq!(
            container_path("dojo-copy:/etc/app/app.conf"),
            Some(("dojo-copy", "/etc/app/app.conf"))
        );
        assert_eq!(container_path("dojo-copy:etc/app.conf"), None);
        assert_eq!(container_path(":/etc/app.conf"), None);
        assert_eq!(container_path("/etc/app.conf"), None);
    }
}
