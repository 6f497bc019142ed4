//! Reading a learner's Dockerfile before anything reaches the daemon: the untrusted-input screen
//! (docs/RELIABILITY.md rule 7) and the static rules a `dockerfile` check can ask for. Everything
//! else about a Dockerfile is graded by building it.

use std::collections::{BTreeMap, HashMap};

use parse_dockerfile::{Command, Instruction};

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
    // A byte order mark before the first line (Windows editors) is not part of it, for Docker.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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

mod pin;
mod rules;
mod slips;
#[cfg(test)]
mod tests;
mod words;

pub use pin::{is_root_user, pin_problem};
pub use rules::{check_rule, check_rule_with, from_digest_is, DockerfileRule, RuleResult};
pub use slips::slips;
