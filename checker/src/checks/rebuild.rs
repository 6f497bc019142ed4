//! The `rebuild` check: change one file as a code edit would, rebuild the image a `build` check
//! made, and see which steps the cache served.

use crate::checks::{Kind, Needs};
use std::path::Path;

use crate::checks::{Ctx, Verdict};
use crate::docker::build::{run_build, Built, Site, Step};
use crate::docker::builder::Builder;
use crate::docker::context_tar as context;
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RebuildCheck {
    /// The handle of the build to repeat.
    #[serde(default = "crate::checks::defaults::default_image")]
    pub image: String,
    /// The file (relative to the exercise folder) to change before rebuilding, as a code change would.
    pub touch: String,
    /// Steps (substrings of the instruction) that must come from the cache.
    #[serde(default)]
    pub cached: Vec<String>,
    /// Steps that must be rebuilt.
    #[serde(default)]
    pub rebuilt: Vec<String>,
    /// A line added at the end of the touched file (a new dependency in a list), before the
    /// blank lines every edit appends.
    pub append: Option<String>,
    /// Text the rebuild's output (what its steps printed, as the build log shows it) must contain.
    #[serde(default)]
    pub output_contains: Vec<String>,
    /// Text the rebuild's output must not contain (a package downloaded again).
    #[serde(default)]
    pub output_excludes: Vec<String>,
}

impl Kind for RebuildCheck {
    /// A second build.
    fn weight(&self) -> u32 {
        10
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            image: Some(&self.image),
            ..Needs::default()
        }
    }
}

/// What the check expects, in words: the edit, then which steps come from the cache, which run
/// again, and what the output shows.
fn expectation(spec: &RebuildCheck) -> String {
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
    expected
}

/// What the `rebuild` check found.
pub enum Rebuilt {
    /// No `build` check made the image handle (its build failed earlier).
    NoFirstBuild,
    /// The context with the changed file could not be packed.
    Unpacked(String),
    /// The daemon rebuilt it (or failed to). `here_docs`: the Dockerfile's here-document RUNs
    /// (see [`HereDocRun`]).
    Done {
        builder: Builder,
        built: Built,
        here_docs: Vec<HereDocRun>,
    },
}

/// A RUN whose script is a here-document. BuildKit names such a step by its first line and the
/// script's first line (`RUN <<EOT (set -e...)`): the script's later lines, where its command
/// may be, are not in the name. A step whose name starts with `head` and shows `first` is this
/// RUN, and its text is looked for in `script` too.
#[derive(Debug, Clone, PartialEq)]
pub struct HereDocRun {
    /// The instruction's own line, up to the end of the line that opens the here-document
    /// (`RUN --mount=type=secret,id=t <<EOT`), its blanks collapsed.
    pub head: String,
    pub first: String,
    pub script: String,
}

impl HereDocRun {
    /// Is the step BuildKit named `name` this RUN?
    fn is_step(&self, name: &str) -> bool {
        !self.first.is_empty()
            && collapse(name).starts_with(&self.head)
            && name.contains(&self.first)
    }
}

/// Blanks (and line continuations) collapsed to one space.
fn collapse(text: &str) -> String {
    text.replace("\\\n", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The here-document RUNs of a Dockerfile (none when it does not parse).
pub fn here_doc_runs(dockerfile: &str) -> Vec<HereDocRun> {
    let Ok(df) = parse_dockerfile::parse(dockerfile) else {
        return Vec::new();
    };
    df.instructions
        .iter()
        .filter_map(|ins| match ins {
            parse_dockerfile::Instruction::Run(r) if !r.here_docs.is_empty() => {
                let from = &dockerfile[r.run.span.start.min(dockerfile.len())..];
                let opens = from.find("<<").unwrap_or(0);
                let end = from[opens..].find('\n').map_or(from.len(), |e| opens + e);
                let head = collapse(&from[..end]);
                let script = r
                    .here_docs
                    .iter()
                    .map(|h| h.value.as_ref())
                    .collect::<Vec<_>>()
                    .join("\n");
                let first = script
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or_default()
                    .to_string();
                Some(HereDocRun {
                    head,
                    first,
                    script,
                })
            }
            _ => None,
        })
        .collect()
}

/// The `rebuild` check: change one file as a code edit would, rebuild, then [`judge`] which
/// steps the cache served.
pub async fn check(ctx: &mut Ctx<'_>, spec: &RebuildCheck) -> Result<Verdict, EnvError> {
    let rebuilt = rebuild(ctx, spec).await?;
    let verdict = judge(spec, &rebuilt);
    if let Rebuilt::Done {
        built: Built::Ok { fresh, .. },
        ..
    } = rebuilt
    {
        ctx.fresh_layers.extend(fresh);
    }
    Ok(verdict)
}

/// Edit the touched file (in the packed context only) and build again.
async fn rebuild(ctx: &Ctx<'_>, spec: &RebuildCheck) -> Result<Rebuilt, EnvError> {
    let Some(first) = ctx.images.get(&spec.image) else {
        return Ok(Rebuilt::NoFirstBuild);
    };
    let (root, _) = first.spec.paths(&ctx.dir);
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
        Err(p) => return Ok(Rebuilt::Unpacked(p.0)),
    };
    let tag = format!("{}-rebuild", first.tag);
    let site = Site {
        engine: ctx.engine,
        dir: &ctx.dir,
    };
    let (builder, built) = run_build(&site, &first.spec.recipe(), &tag, packed).await?;
    let here_docs = std::fs::read_to_string(root.join(&first.spec.dockerfile))
        .map(|t| here_doc_runs(&t))
        .unwrap_or_default();
    Ok(Rebuilt::Done {
        builder,
        built,
        here_docs,
    })
}

/// The verdict on a rebuild (no I/O): every `cached` step from the cache, every `rebuilt` step
/// run again, then the output.
pub fn judge(spec: &RebuildCheck, rebuilt: &Rebuilt) -> Verdict {
    let (builder, built, here_docs) = match rebuilt {
        Rebuilt::NoFirstBuild => return Verdict::fail("a first build", "no image was built"),
        Rebuilt::Unpacked(why) => return Verdict::fail("a rebuild", why.clone()),
        Rebuilt::Done {
            builder,
            built,
            here_docs,
        } => (builder, built, here_docs),
    };
    let expected = expectation(spec);
    let (steps, log) = match built {
        Built::Ok { steps, log, .. } => (steps, log),
        Built::Failed { error, .. } => {
            return Verdict::fail(
                expected,
                format!("the rebuild failed with {}: {error}", builder.describe()),
            )
        }
        Built::TimedOut { limit, .. } => {
            return Verdict::fail(
                expected,
                format!(
                    "the rebuild with {} took over {} s",
                    builder.describe(),
                    limit.as_secs()
                ),
            )
        }
    };
    let steps: Vec<&Step> = steps
        .iter()
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
    if let Some(v) = judge_steps(spec, &steps, here_docs, &expected, &describe) {
        return v;
    }
    if let Some(actual) = output_mismatch(log, &spec.output_contains, &spec.output_excludes) {
        return Verdict::fail(expected, format!("{actual}\nThe rebuild:\n{describe}"));
    }
    Verdict::pass(
        expected,
        format!("rebuilt with {}:\n{describe}", builder.describe()),
    )
}

/// The first `cached` step that ran again or `rebuilt` step that came from the cache (or that
/// is not there at all), as a failure; `None` when every step is as the spec wants. Every step
/// that matches a `cached` entry must come from the cache: an install kept early and left in
/// place late still runs on every code change.
fn judge_steps(
    spec: &RebuildCheck,
    steps: &[&Step],
    here_docs: &[HereDocRun],
    expected: &str,
    describe: &str,
) -> Option<Verdict> {
    let is = |s: &Step, needle: &str| {
        step_matches(&s.instruction, needle)
            || (s.instruction.to_uppercase().starts_with("RUN ")
                && s.instruction.contains("<<")
                && here_docs.iter().any(|h| {
                    h.is_step(&s.instruction) && step_matches(&format!("RUN {}", h.script), needle)
                }))
    };
    for n in &spec.cached {
        let found = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| is(s, n))
            .find(|(_, s)| !s.cached)
            .or_else(|| steps.iter().enumerate().find(|(_, s)| is(s, n)));
        match found.map(|(i, s)| (i, *s)) {
            None => {
                return Some(
                    Verdict::fail(
                        expected,
                        format!("no step contains `{n}`; the steps were:\n{describe}"),
                    )
                    .advise("Keep the step the task names; the check looks for it by its text."),
                )
            }
            Some((i, s)) if !s.cached => {
                let changed_before = steps[..i]
                    .iter()
                    .find(|x| !x.cached)
                    .map(|x| x.instruction.clone());
                let why = match changed_before {
                    Some(i) => format!(
                        "`{i}` comes earlier and changed, so every step after it was rebuilt"
                    ),
                    None => "the step itself was rebuilt".into(),
                };
                return Some(Verdict::fail(
                    expected,
                    format!("`{}` was rebuilt after a code-only change: {why}.\nThe rebuild:\n{describe}", s.instruction),
                ));
            }
            Some(_) => {}
        }
    }
    // A step the change must rebuild: one matching step rebuilt is enough (others, such as a
    // `RUN mkdir` of the tool's cache folder before the input is copied, rightly stay cached);
    // when none was, the last of them is named: the one that reads the changed input.
    for n in &spec.rebuilt {
        let rebuilt = steps.iter().find(|s| is(s, n) && !s.cached);
        match rebuilt.or_else(|| steps.iter().rev().find(|s| is(s, n))) {
            Some(s) if s.cached => {
                return Some(Verdict::fail(
                    expected,
                    format!("`{}` came from the cache although {} changed: the image would ship stale code.\nThe rebuild:\n{describe}", s.instruction, spec.touch),
                ))
            }
            None => return Some(Verdict::fail(expected, format!("no step contains `{n}`; the steps were:\n{describe}"))),
            Some(_) => {}
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
