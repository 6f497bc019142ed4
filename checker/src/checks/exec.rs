//! The `exec` check: a command's exit code and output, run inside a container (a handle, a live
//! container by name, or a fresh container from an image).

use crate::checks::{Kind, Needs};
use std::time::Duration;

use crate::checks::{Ctx, Verdict};
use crate::docker::exec::{exec_in, run_once, Output};
use crate::docker::probe::ContainerSpec;
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExecCheck {
    /// A run handle or a live container name. Exactly one of `container` / `image`.
    pub container: Option<String>,
    /// A built image handle or an image reference: the command runs in a fresh container.
    pub image: Option<String>,
    pub command: Vec<String>,
    #[serde(default)]
    pub exit_code: i64,
    #[serde(default)]
    pub stdout_contains: Vec<String>,
    #[serde(default)]
    pub stdout_excludes: Vec<String>,
}

impl Kind for ExecCheck {
    fn problem(&self) -> Option<String> {
        if self.container.is_some() == self.image.is_some() {
            return Some("give exactly one of `container` or `image`".into());
        }
        self.command.is_empty().then(|| "`command` is empty".into())
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            container: self.container.as_deref(),
            image_or_reference: self.image.as_deref(),
            ..Needs::default()
        }
    }
}

/// What the check expects, in words: the command, its exit code, what it prints and must not.
fn expectation(spec: &ExecCheck) -> String {
    let shown = spec
        .command
        .iter()
        .map(|a| {
            if a.contains(' ') {
                format!("\"{a}\"")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut expected = format!("`{shown}` exits with {}", spec.exit_code);
    for s in &spec.stdout_contains {
        expected.push_str(&format!(", prints \"{s}\""));
    }
    for s in &spec.stdout_excludes {
        expected.push_str(&format!(", never prints \"{s}\""));
    }
    expected
}

/// The `exec` check: run the command (in a live container or a fresh one from an image), then
/// [`judge`] what it did.
pub async fn check(ctx: &mut Ctx<'_>, spec: &ExecCheck) -> Result<Verdict, EnvError> {
    let expected = expectation(spec);
    let limit = Duration::from_secs(30);
    let out = if let Some(c) = &spec.container {
        let target = ctx.container_id(c).unwrap_or_else(|| c.clone());
        match exec_in(ctx.engine, &target, &spec.command, limit).await? {
            Some(o) => o,
            None => {
                // Why it is not running decides the advice: a paused container cannot be
                // started, an exited one ended for a reason its code and logs tell.
                let info = ctx.inspect_shared(c).await?;
                // A run handle is named by its container's own name, which the commands take.
                let name = info
                    .as_ref()
                    .and_then(|i| i.name.as_deref())
                    .map_or(c.as_str(), |n| n.trim_start_matches('/'));
                let (actual, advice) = crate::checks::not_running(name, info.as_ref());
                return Ok(Verdict::fail(expected, actual).advise(advice));
            }
        }
    } else {
        let image = ctx.image_ref(spec.image.as_deref().unwrap_or_default());
        let cs = ContainerSpec {
            image,
            cmd: Some(spec.command.clone()),
            ..Default::default()
        };
        match run_once(ctx.engine, ctx.exercise, cs, limit).await? {
            Ok(o) => o,
            Err(msg) => return Ok(Verdict::fail(expected, format!("could not run it: {msg}"))),
        }
    };
    Ok(judge(&out, spec))
}

/// The command's exit code, then what it printed (stdout and stderr together) against the spec.
pub fn judge(out: &Output, spec: &ExecCheck) -> Verdict {
    let expected = expectation(spec);
    let both = format!("{}{}", out.stdout, out.stderr);
    let shown_out = crate::docker::logs::tail(&both, 6);
    let actual = format!(
        "exit code {}; output:\n{}",
        out.code,
        if shown_out.is_empty() {
            "(none)".into()
        } else {
            shown_out
        }
    );
    if out.code != spec.exit_code {
        return Verdict::fail(expected, actual).advise(
            match crate::docker::probe::explain_runtime_log(&both) {
                Some(a) => a,
                None => format!(
                    "Exit code {}.",
                    crate::docker::probe::explain_exit(out.code, false)
                ),
            },
        );
    }
    for s in &spec.stdout_contains {
        if !both.contains(s.as_str()) {
            return Verdict::fail(expected, actual);
        }
    }
    if spec
        .stdout_excludes
        .iter()
        .any(|s| both.contains(s.as_str()))
    {
        // Name the offending lines: the tail above may not show them (runtimes add their own
        // environment variables, e.g. Podman's `container=podman`).
        // In the spec's order (runtimes order environment variables differently).
        let offending: Vec<&str> = spec
            .stdout_excludes
            .iter()
            .filter_map(|s| both.lines().find(|l| l.contains(s.as_str())))
            .collect();
        return Verdict::fail(
            expected,
            format!(
                "{actual}\nthe lines it must not print:\n{}",
                offending.join("\n")
            ),
        );
    }
    Verdict::pass(expected, actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ExecCheck {
        ExecCheck {
            container: Some("c".into()),
            image: None,
            command: vec!["sh".into(), "-c".into(), "env".into()],
            exit_code: 0,
            stdout_contains: vec!["MODE=prod".into()],
            stdout_excludes: vec!["TOKEN=".into()],
        }
    }

    fn out(code: i64, stdout: &str) -> Output {
        Output {
            code,
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    #[test]
    fn exit_code_then_output_decide() {
        let v = judge(&out(0, "PATH=/bin\nMODE=prod\n"), &spec());
        assert!(v.passed, "{}", v.actual);
        assert_eq!(
            v.expected,
            "`sh -c env` exits with 0, prints \"MODE=prod\", never prints \"TOKEN=\""
        );
        let v = judge(&out(127, "sh: env: not found\n"), &spec());
        assert!(
            !v.passed && v.actual.starts_with("exit code 127"),
            "{}",
            v.actual
        );
        assert!(v.advice.is_some());
        let v = judge(&out(0, "MODE=dev\n"), &spec());
        assert!(!v.passed && v.actual.contains("MODE=dev"), "{}", v.actual);
    }

    #[test]
    fn a_line_it_must_not_print_is_named_even_beyond_the_tail() {
        let mut lines: Vec<String> = vec!["TOKEN=s3cret".into(), "MODE=prod".into()];
        lines.extend((0..20).map(|i| format!("VAR{i}=x")));
        let v = judge(&out(0, &lines.join("\n")), &spec());
        assert!(!v.passed);
        assert!(
            v.actual
                .ends_with("the lines it must not print:\nTOKEN=s3cret"),
            "{}",
            v.actual
        );
    }
}
