//! Reading a learner's Dockerfile before anything reaches the daemon: the untrusted-input screen
//! (docs/RELIABILITY.md rule 7) and the static rules a `dockerfile` check can ask for. Everything
//! else about a Dockerfile is graded by building it.

use parse_dockerfile::{Command, Instruction};

use crate::spec::DockerfileRule;

/// Why a Dockerfile is refused before it is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: usize,
    pub reason: String,
    /// The text does not parse (a learner's mistake), as opposed to a dangerous directive.
    pub parse_error: bool,
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parse, mapping the parser's error to a line and a sentence.
pub fn parse(text: &str) -> Result<parse_dockerfile::Dockerfile<'_>, Refusal> {
    parse_dockerfile::parse(text).map_err(|e| Refusal {
        line: e.line().max(1),
        reason: format!("the Dockerfile does not parse: {e}"),
        parse_error: true,
    })
}

/// Refuse what a course exercise never needs and what could harm the host: insecure or
/// host-network RUNs, ssh mounts, and paths into `/proc/self/fd` (CVE-2024-21626).
///
/// A `# syntax=` line passes: the build drops it and uses the daemon's own frontend instead of
/// fetching one. A secret mount passes too: dockdojo's builds are given no secrets.
pub fn screen(text: &str) -> Result<(), Refusal> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let df = parse(text)?;
    for ins in &df.instructions {
        screen_instruction(text, ins)?;
    }
    Ok(())
}

fn screen_instruction(text: &str, ins: &Instruction<'_>) -> Result<(), Refusal> {
    match ins {
        Instruction::Run(run) => {
            for f in &run.options {
                let name = f.name.value.as_ref();
                let value = f.value.as_ref().map(|v| v.value.as_ref()).unwrap_or("");
                let line = line_at(text, f.span().start);
                let bad = match name {
                    "security" if value == "insecure" => {
                        Some("`RUN --security=insecure` runs the step with full host privileges")
                    }
                    "network" if value == "host" => {
                        Some("`RUN --network=host` gives the build step the host's network")
                    }
                    "mount" if value.contains("type=ssh") => {
                        Some("`RUN --mount=type=ssh` hands the build your SSH agent")
                    }
                    _ => None,
                };
                if let Some(why) = bad {
                    return Err(Refusal {
                        line,
                        reason: format!("{why}; dockdojo does not build that. Remove the flag."),
                        parse_error: false,
                    });
                }
            }
        }
        Instruction::Workdir(w) if w.arguments.value.contains("/proc/self/fd") => {
            return Err(Refusal {
                line: line_at(text, w.arguments.span.start),
                reason: "`WORKDIR` into /proc/self/fd can escape the container (CVE-2024-21626); \
                         dockdojo does not build that."
                    .into(),
                parse_error: false,
            });
        }
        Instruction::Onbuild(o) => screen_instruction(text, &o.instruction)?,
        _ => {}
    }
    Ok(())
}

/// Does a Dockerfile use flags that need BuildKit (the classic builder rejects them)? The first
/// such feature.
pub fn needs_buildkit(text: &str) -> Option<String> {
    buildkit_features(text).into_iter().next()
}

/// Every BuildKit-only feature a Dockerfile uses, in order: `--mount`, `--link`… and
/// here-documents.
pub fn buildkit_features(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let Ok(df) = parse_dockerfile::parse(text) else {
        return found;
    };
    let mut add = |f: String| {
        if !found.contains(&f) {
            found.push(f);
        }
    };
    for ins in &df.instructions {
        let flags: Vec<&str> = match ins {
            Instruction::Run(r) => r.options.iter().map(|f| f.name.value.as_ref()).collect(),
            Instruction::Copy(c) => c.options.iter().map(|f| f.name.value.as_ref()).collect(),
            _ => vec![],
        };
        for f in flags {
            if matches!(
                f,
                "mount" | "network" | "security" | "link" | "parents" | "exclude" | "chmod"
            ) {
                add(format!("--{f}"));
            }
        }
        let here_docs = match ins {
            Instruction::Run(r) => !r.here_docs.is_empty(),
            Instruction::Copy(c) => c
                .src
                .iter()
                .any(|s| matches!(s, parse_dockerfile::Source::HereDoc(_))),
            _ => false,
        };
        if here_docs {
            add(HERE_DOCS.into());
        }
    }
    found
}

/// How messages name here-documents.
pub const HERE_DOCS: &str = "here-documents (<<EOF)";

/// The outcome of a static rule: Ok(what was seen) or Err((expected, actual)).
pub type RuleResult = Result<String, (String, String)>;

/// Apply one static rule.
pub fn check_rule(text: &str, rule: DockerfileRule) -> RuleResult {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let df = parse(text).map_err(|r| {
        (
            "a Dockerfile that parses".to_string(),
            format!("line {}: {}", r.line, r.reason),
        )
    })?;
    let stage_names: Vec<String> = df
        .stages()
        .filter_map(|s| s.from.as_.as_ref().map(|(_, n)| n.value.to_lowercase()))
        .collect();
    match rule {
        DockerfileRule::FromPinned => {
            let args: Vec<(String, String)> = df
                .global_args()
                .filter_map(|a| {
                    let (k, v) = a.arguments.value.split_once('=')?;
                    Some((k.trim().to_string(), v.trim().trim_matches('"').to_string()))
                })
                .collect();
            let mut seen = Vec::new();
            for s in df.stages() {
                let image = substitute_args(s.from.image.value.as_ref(), &args);
                let image = image.as_str();
                let line = line_at(text, s.from.image.span.start);
                if image == "scratch" || stage_names.contains(&image.to_lowercase()) {
                    continue;
                }
                if let Some(problem) = pin_problem(image) {
                    return Err((
                        "every FROM pinned to an exact version tag or a digest (not `latest`)"
                            .into(),
                        format!("line {line}: `FROM {image}` {problem}"),
                    ));
                }
                seen.push(image.to_string());
            }
            Ok(format!("pinned: {}", seen.join(", ")))
        }
        DockerfileRule::MultiStage => {
            let stages = df.stages().len();
            let stage_word = if stages == 1 { "stage" } else { "stages" };
            let last = df.stages().last();
            let copies_from = last.is_some_and(|s| {
                s.instructions.iter().any(|i| match i {
                    Instruction::Copy(c) => c.options.iter().any(|f| f.name.value == "from"),
                    _ => false,
                })
            });
            if stages >= 2 && copies_from {
                Ok(format!(
                    "{stages} stages; the final one copies from an earlier stage"
                ))
            } else {
                Err((
                    "two or more stages, the final one using `COPY --from=<stage>`".into(),
                    format!(
                        "{stages} {stage_word}{}",
                        if stages >= 2 {
                            ", but the final stage copies nothing from another stage"
                        } else {
                            ""
                        }
                    ),
                ))
            }
        }
        DockerfileRule::NonRootUser => {
            let last_user = df.stages().last().and_then(|s| {
                s.instructions.iter().rev().find_map(|i| match i {
                    Instruction::User(u) => Some(u.arguments.value.to_string()),
                    _ => None,
                })
            });
            match last_user {
                Some(u) if !is_root_user(&u) => Ok(format!("USER {u}")),
                Some(u) => Err((
                    "a final `USER` that is not root".into(),
                    format!("USER {u}"),
                )),
                None => Err((
                    "a final `USER` that is not root".into(),
                    "no USER in the final stage: the container runs as root".into(),
                )),
            }
        }
        DockerfileRule::ExecForm => {
            for i in &df.instructions {
                let (name, args) = match i {
                    Instruction::Cmd(c) => ("CMD", &c.arguments),
                    Instruction::Entrypoint(e) => ("ENTRYPOINT", &e.arguments),
                    _ => continue,
                };
                if let Command::Shell(s) = args {
                    return Err((
                        format!("{name} in exec form, like {name} [\"program\", \"arg\"]"),
                        format!(
                            "line {}: shell form `{name} {}`",
                            line_at(text, s.span.start),
                            s.value.trim()
                        ),
                    ));
                }
            }
            Ok("exec form".into())
        }
    }
}

/// Replace `$NAME` / `${NAME}` by the defaults of global `ARG`s (as the builder does for FROM).
fn substitute_args(image: &str, args: &[(String, String)]) -> String {
    let mut out = image.to_string();
    for (k, v) in args {
        out = out
            .replace(&format!("${{{k}}}"), v)
            .replace(&format!("${k}"), v);
    }
    out
}

/// Why an image reference is not pinned, if it is not. A digest pins; a tag pins only when it
/// names a full version (major.minor.patch): `3.12-slim` still moves with every patch release
/// and every rebuild of the OS under it.
pub fn pin_problem(image: &str) -> Option<&'static str> {
    if image.contains("@sha256:") {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag, so it means `latest`, which moves"),
        Some((_, "latest")) => Some("uses `latest`, which moves"),
        Some((_, tag)) if !tag.chars().any(|c| c.is_ascii_digit()) => {
            Some("uses a floating tag with no version number")
        }
        Some((_, tag)) => {
            let t = tag.strip_prefix('v').unwrap_or(tag);
            let version: String = t
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let parts = version.split('.').filter(|p| !p.is_empty()).count();
            (parts < 3).then_some(
                "pins only part of the version: patch releases (and the OS under the image) still \
                 move under that tag; pin the full version, like 3.12.3-slim-bookworm, or a digest",
            )
        }
    }
}

/// Root as a Dockerfile `USER` or an image config's User.
pub fn is_root_user(u: &str) -> bool {
    let u = u.trim();
    u.is_empty() || u == "root" || u == "0" || u.starts_with("0:") || u.starts_with("root:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinning() {
        assert!(pin_problem("busybox").is_some());
        assert!(pin_problem("busybox:latest").is_some());
        assert!(pin_problem("python:slim").is_some());
        assert!(pin_problem("busybox:1.36.1").is_none());
        assert!(pin_problem("localhost:5000/app").is_some());
        assert!(
            pin_problem("localhost:5000/app:1.2").is_some(),
            "a minor version floats"
        );
        assert!(pin_problem("localhost:5000/app:1.2.0").is_none());
        assert!(pin_problem("python:3.12-slim").is_some());
        assert!(pin_problem("python:3.12.3-slim-bookworm").is_none());
        assert!(pin_problem("node:14").is_some());
        assert!(pin_problem("gcc:12.2.0-bookworm").is_none());
        assert!(pin_problem("x@sha256:abc").is_none());
    }

    #[test]
    fn screen_refuses_dangerous_directives() {
        let cases = [
            (
                "FROM busybox:1.36.1\nRUN --security=insecure id\n",
                "full host privileges",
            ),
            (
                "FROM busybox:1.36.1\nRUN --network=host id\n",
                "host's network",
            ),
            (
                "FROM busybox:1.36.1\nRUN --mount=type=ssh id\n",
                "SSH agent",
            ),
            (
                "FROM busybox:1.36.1\nWORKDIR /proc/self/fd/8\n",
                "CVE-2024-21626",
            ),
            (
                "FROM busybox:1.36.1\nONBUILD WORKDIR /proc/self/fd/8\n",
                "CVE-2024-21626",
            ),
        ];
        for (df, want) in cases {
            let r = screen(df).unwrap_err();
            assert!(r.reason.contains(want), "{df:?}: {}", r.reason);
            assert_eq!(r.line, 2, "{df:?}");
        }
        assert!(screen("FROM busybox:1.36.1\nRUN echo hi\n").is_ok());
    }

    /// What `docker init` writes and what BuildKit Dockerfiles use is built, not refused.
    #[test]
    fn screen_lets_buildkit_dockerfiles_through() {
        for df in [
            "# syntax=docker/dockerfile:1\nFROM busybox:1.36.1\n",
            "FROM busybox:1.36.1\nRUN --mount=type=secret,id=token,required=false cat /run/secrets/token || true\n",
            "FROM busybox:1.36.1\nRUN --mount=type=cache,target=/root/.cache ls /root/.cache\n",
            "FROM busybox:1.36.1\nCOPY --link a /a\n",
        ] {
            assert!(screen(df).is_ok(), "{df:?}");
        }
    }

    #[test]
    fn rules() {
        assert!(check_rule("FROM busybox\n", DockerfileRule::FromPinned).is_err());
        assert!(check_rule("FROM a:1.0.0 AS b\nFROM b\n", DockerfileRule::FromPinned).is_ok());
        let arg = "ARG V=1.36.1\nFROM busybox:${V}\n";
        assert!(
            check_rule(arg, DockerfileRule::FromPinned).is_ok(),
            "ARG defaults count"
        );
        let ms =
            "FROM gcc:12.2.0-bookworm AS build\nRUN true\nFROM scratch\nCOPY --from=build /a /a\n";
        assert!(check_rule(ms, DockerfileRule::MultiStage).is_ok());
        assert!(check_rule("FROM a:1\nFROM b:2\n", DockerfileRule::MultiStage).is_err());
        assert!(check_rule("FROM a:1\nUSER app\n", DockerfileRule::NonRootUser).is_ok());
        assert!(check_rule("FROM a:1\nUSER 0\n", DockerfileRule::NonRootUser).is_err());
        assert!(check_rule("FROM a:1\nCMD [\"sh\"]\n", DockerfileRule::ExecForm).is_ok());
        let e = check_rule("FROM a:1\nCMD sh -c x\n", DockerfileRule::ExecForm).unwrap_err();
        assert!(e.1.contains("line 2"), "{e:?}");
    }

    #[test]
    fn buildkit_flags_are_spotted() {
        assert_eq!(
            needs_buildkit("FROM a:1\nRUN --mount=type=cache,target=/x true\n").as_deref(),
            Some("--mount")
        );
        assert!(needs_buildkit("FROM a:1\nRUN true\n").is_none());
        assert!(needs_buildkit("FROM a:1\nRUN <<EOF\necho hi\nEOF\n").is_some());
        assert!(needs_buildkit("FROM a:1\nCOPY <<EOF /x\nhi\nEOF\n").is_some());
        assert_eq!(
            needs_buildkit("# syntax=docker/dockerfile:1\nFROM a:1\n"),
            None,
            "the classic builder reads a syntax line as a comment"
        );
    }
}
