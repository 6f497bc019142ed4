//! Building with BuildKit through the daemon's `/build` endpoint (`version=2` with a session).
//!
//! The daemon streams BuildKit's progress as `StatusResponse` messages: the vertexes of the
//! solve (one per Dockerfile step, plus internal ones such as loading the context), whether
//! each came from the cache, its output and its error. [`Progress`] folds them into the same
//! [`Step`]s the classic builder's log gives, a readable log, and the failing step. The image
//! id arrives as a final `moby.image.id` message.
//!
//! The session serves no secrets and no SSH agent: `RUN --mount=type=secret` gets no file (and
//! fails only when the mount says `required=true`).

use std::collections::HashMap;

use bollard::moby::buildkit::v1::StatusResponse;
use bollard::models::BuildInfoAux;

use super::Step;

/// The Dockerfile without its `# syntax=` directive: the daemon would otherwise fetch that
/// frontend image from a registry, and the course builds offline with the daemon's own frontend.
/// The line becomes an empty comment after the other directives (which move up one line), so
/// every instruction keeps its line number for error messages. `None` when there is no such
/// line.
pub fn without_syntax_directive(text: &str) -> Option<String> {
    let mut directives = String::new();
    let mut blanked = String::new();
    let mut rest = 0;
    for line in text.split_inclusive('\n') {
        match directive_key(line) {
            Some(key) if key.eq_ignore_ascii_case("syntax") => {
                blanked.push('#');
                blanked.push_str(&line[line.trim_end_matches(['\r', '\n']).len()..]);
            }
            Some(_) => directives.push_str(line),
            None => break,
        }
        rest += line.len();
    }
    if blanked.is_empty() {
        return None;
    }
    Some(format!("{directives}{blanked}{}", &text[rest..]))
}

/// The BuildKit feature a failed build used that the daemon's built-in Dockerfile frontend does
/// not know (Engine 20.10's predates here-documents and `COPY --link`): an environment limit,
/// not a wrong Dockerfile.
/// With the feature, which frontends know it.
pub fn unknown_to_frontend(dockerfile: &str, error: &str) -> Option<(String, &'static str)> {
    let lower = error.to_lowercase();
    // A mount option newer than the frontend (`env=` of a secret mount, Dockerfile 1.10):
    // "unexpected key 'env' in 'env=TOKEN'".
    if let Some(key) = lower
        .split_once("unexpected key '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(key, _)| key)
    {
        if crate::dockerfile::buildkit_features(dockerfile)
            .iter()
            .any(|f| f == "--mount")
        {
            return Some((
                format!("`{key}=` in a `--mount`"),
                "Dockerfile frontends newer than this engine's know more mount options",
            ));
        }
    }
    if !lower.contains("dockerfile parse error") {
        return None;
    }
    crate::dockerfile::buildkit_features(dockerfile)
        .into_iter()
        .find(|what| match what.strip_prefix("--") {
            Some(flag) => lower.contains(&format!("unknown flag: {flag}")),
            None => lower.contains("unknown instruction"),
        })
        .map(|what| (what, "Engine 23 and later do"))
}

/// The key of a parser directive line (`# key=value`).
fn directive_key(line: &str) -> Option<&str> {
    let line = line.trim_start_matches('\u{feff}').trim();
    let rest = line.strip_prefix('#')?;
    let (key, _) = rest.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.contains(char::is_whitespace)).then_some(key)
}

/// One vertex of the solve as the stream has told it so far.
#[derive(Debug, Default, Clone)]
struct Vertex {
    name: String,
    cached: bool,
    completed: bool,
    error: String,
    output: Vec<u8>,
}

/// BuildKit's progress for one build, folded from its status messages.
#[derive(Debug, Default)]
pub struct Progress {
    /// The Dockerfile's stages as BuildKit names them (`build`, or `stage-1` when unnamed).
    stages: Vec<String>,
    /// Vertex digests in the order they first appeared.
    order: Vec<String>,
    vertexes: HashMap<String, Vertex>,
}

/// A Dockerfile step's vertex name, `[stage 2/4] RUN …`, as (stage, 2, `RUN …`).
fn step_parts(name: &str) -> Option<(&str, u32, &str)> {
    let rest = name.strip_prefix('[')?;
    let (tag, instruction) = rest.split_once("] ")?;
    if tag == "internal" || tag.starts_with("auth") {
        return None;
    }
    // The tag ends with `n/m`; a stage name may precede it.
    let (stage, counter) = tag.rsplit_once(' ').unwrap_or(("", tag));
    let (n, m) = counter.split_once('/')?;
    let n = n.parse::<u32>().ok()?;
    m.parse::<u32>().ok()?;
    Some((stage, n, instruction.trim()))
}

fn step_instruction(name: &str) -> Option<&str> {
    step_parts(name).map(|(_, _, i)| i)
}

impl Progress {
    /// Progress for a build of `dockerfile` (its stage names order the steps).
    pub fn for_dockerfile(dockerfile: &str) -> Self {
        let stages = crate::dockerfile::parse(dockerfile)
            .map(|df| {
                df.stages()
                    .enumerate()
                    .map(|(i, st)| match &st.from.as_ {
                        Some((_, name)) => name.value.to_lowercase(),
                        None => format!("stage-{i}"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            stages,
            ..Self::default()
        }
    }

    /// Fold one message of the build stream in; returns the image id when this is the final one.
    pub fn absorb(&mut self, aux: BuildInfoAux) -> Option<String> {
        match aux {
            BuildInfoAux::BuildKit(status) => {
                self.absorb_status(status);
                None
            }
            BuildInfoAux::Default(image) => image.id,
        }
    }

    pub fn absorb_status(&mut self, status: StatusResponse) {
        for v in status.vertexes {
            if !self.vertexes.contains_key(&v.digest) {
                self.order.push(v.digest.clone());
            }
            let e = self.vertexes.entry(v.digest).or_default();
            e.name = v.name;
            e.cached |= v.cached;
            e.completed |= v.completed.is_some();
            if !v.error.is_empty() {
                e.error = v.error;
            }
        }
        for l in status.logs {
            if !self.vertexes.contains_key(&l.vertex) {
                self.order.push(l.vertex.clone());
            }
            self.vertexes
                .entry(l.vertex)
                .or_default()
                .output
                .extend_from_slice(&l.msg);
        }
    }

    /// The step vertexes in Dockerfile order: BuildKit runs steps in parallel and reports
    /// them out of order (a base image often last), so they are sorted by stage (as the
    /// Dockerfile orders them, else as they first appeared) and by their number within it.
    fn step_vertexes(&self) -> Vec<(&str, &Vertex)> {
        let mut stages: Vec<&str> = self.stages.iter().map(String::as_str).collect();
        let mut steps: Vec<(usize, u32, &str, &Vertex)> = Vec::new();
        for d in &self.order {
            let v = &self.vertexes[d];
            let Some((stage, n, instruction)) = step_parts(&v.name) else {
                continue;
            };
            let rank = match stages.iter().position(|s| s.eq_ignore_ascii_case(stage)) {
                Some(r) => r,
                None => {
                    stages.push(stage);
                    stages.len() - 1
                }
            };
            steps.push((rank, n, instruction, v));
        }
        steps.sort_by_key(|(rank, n, _, _)| (*rank, *n));
        steps.into_iter().map(|(_, _, i, v)| (i, v)).collect()
    }

    /// The Dockerfile steps, in the order BuildKit started them, with whether each was a cache
    /// hit. A base image (`FROM`) is never rebuilt, as with the classic builder's log.
    pub fn steps(&self) -> Vec<Step> {
        self.step_vertexes()
            .into_iter()
            .map(|(instruction, v)| Step {
                instruction: instruction.to_string(),
                cached: v.cached || instruction.to_uppercase().starts_with("FROM "),
                result: None,
            })
            .collect()
    }

    /// The log a learner reads: each step, `CACHED` or its output, and errors (of other
    /// vertexes too: loading the base image…); no ANSI escapes.
    pub fn log(&self) -> String {
        let mut out = String::new();
        let mut shown = 0;
        let mut show = |v: &Vertex| {
            shown += 1;
            out.push_str(&format!("#{shown} {}\n", v.name));
            if v.cached {
                out.push_str("CACHED\n");
            }
            let text = strip_ansi(&String::from_utf8_lossy(&v.output));
            for l in text.lines() {
                out.push_str(l);
                out.push('\n');
            }
            if !v.error.is_empty() {
                out.push_str(&format!("ERROR: {}\n", strip_ansi(&v.error)));
            }
        };
        for d in &self.order {
            let v = &self.vertexes[d];
            if step_instruction(&v.name).is_none() && !v.error.is_empty() {
                show(v);
            }
        }
        for (_, v) in self.step_vertexes() {
            show(v);
        }
        out
    }

    /// The step that failed and the last lines of its output.
    pub fn failed_step(&self) -> Option<(String, String)> {
        self.order.iter().find_map(|d| {
            let v = &self.vertexes[d];
            (!v.error.is_empty() && !v.error.contains("context canceled")).then(|| {
                let name = step_instruction(&v.name).unwrap_or(&v.name).to_string();
                let output = strip_ansi(&String::from_utf8_lossy(&v.output));
                (name, crate::docker::logs::tail(&output, 8))
            })
        })
    }

    /// The step running when the build was stopped.
    pub fn running_step(&self) -> Option<String> {
        self.step_vertexes()
            .into_iter()
            .rev()
            .find(|(_, v)| !v.completed)
            .map(|(i, _)| i.to_string())
            .or_else(|| self.steps().last().map(|s| s.instruction.clone()))
    }
}

/// Remove terminal escape sequences (colours, cursor moves) from build output.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            if c != '\r' {
                out.push(c);
            }
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // CSI: parameters and intermediates up to a final byte in @..~
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                // OSC: up to BEL or ESC \
                chars.next();
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' {
                        chars.next();
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::moby::buildkit::v1::{Vertex as PbVertex, VertexLog};

    fn vertex(digest: &str, name: &str, cached: bool, done: bool, error: &str) -> PbVertex {
        PbVertex {
            digest: digest.into(),
            name: name.into(),
            cached,
            completed: done.then(Default::default),
            error: error.into(),
            ..Default::default()
        }
    }

    fn status(vertexes: Vec<PbVertex>, logs: Vec<(&str, &str)>) -> StatusResponse {
        StatusResponse {
            vertexes,
            logs: logs
                .into_iter()
                .map(|(v, m)| VertexLog {
                    vertex: v.into(),
                    msg: m.as_bytes().to_vec(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    /// A rebuild after a code change, as Engine 20.10 streams it: the context and definition
    /// are internal vertexes, each step appears first as started and again when done.
    #[test]
    fn vertex_status_gives_cache_hits() {
        let mut p = Progress::default();
        p.absorb_status(status(
            vec![
                vertex(
                    "sha256:i1",
                    "[internal] load build definition from Dockerfile",
                    false,
                    true,
                    "",
                ),
                vertex(
                    "sha256:a",
                    "[1/4] FROM docker.io/library/busybox:1.36.1",
                    false,
                    false,
                    "",
                ),
                vertex(
                    "sha256:b",
                    "[2/4] COPY deps.txt install-deps.sh /app/",
                    false,
                    false,
                    "",
                ),
            ],
            vec![],
        ));
        p.absorb_status(status(
            vec![
                vertex(
                    "sha256:a",
                    "[1/4] FROM docker.io/library/busybox:1.36.1",
                    false,
                    true,
                    "",
                ),
                vertex(
                    "sha256:b",
                    "[2/4] COPY deps.txt install-deps.sh /app/",
                    true,
                    true,
                    "",
                ),
                vertex("sha256:c", "[3/4] RUN /app/install-deps.sh", true, true, ""),
                vertex("sha256:d", "[4/4] COPY app.sh /app/", false, false, ""),
            ],
            vec![],
        ));
        p.absorb_status(status(
            vec![vertex(
                "sha256:d",
                "[4/4] COPY app.sh /app/",
                false,
                true,
                "",
            )],
            vec![],
        ));
        let s = p.steps();
        let got: Vec<(&str, bool)> = s
            .iter()
            .map(|s| (s.instruction.as_str(), s.cached))
            .collect();
        assert_eq!(
            got,
            [
                ("FROM docker.io/library/busybox:1.36.1", true),
                ("COPY deps.txt install-deps.sh /app/", true),
                ("RUN /app/install-deps.sh", true),
                ("COPY app.sh /app/", false),
            ]
        );
        assert!(
            p.log()
                .contains("#3 [3/4] RUN /app/install-deps.sh\nCACHED\n"),
            "{}",
            p.log()
        );
        assert!(!p.log().contains("[internal]"));
        assert!(p.failed_step().is_none());
    }

    /// Steps come in the order BuildKit reports them (the base image often last); they are
    /// read in Dockerfile order, stage by stage.
    #[test]
    fn steps_are_in_dockerfile_order() {
        let mut p = Progress::for_dockerfile(
            "FROM gcc:12.2.0-bookworm AS build\nRUN make\nFROM busybox:1.36.1\nCOPY --from=build /out /out\n",
        );
        p.absorb_status(status(
            vec![
                vertex(
                    "sha256:c",
                    "[stage-1 2/2] COPY --from=build /out /out",
                    false,
                    false,
                    "",
                ),
                vertex("sha256:b", "[build 2/2] RUN make", true, true, ""),
                vertex(
                    "sha256:a",
                    "[build 1/2] FROM docker.io/library/gcc:12.2.0-bookworm",
                    false,
                    true,
                    "",
                ),
                vertex(
                    "sha256:d",
                    "[stage-1 1/2] FROM docker.io/library/busybox:1.36.1",
                    false,
                    true,
                    "",
                ),
            ],
            vec![],
        ));
        let s: Vec<String> = p.steps().into_iter().map(|s| s.instruction).collect();
        assert_eq!(
            s,
            [
                "FROM docker.io/library/gcc:12.2.0-bookworm",
                "RUN make",
                "FROM docker.io/library/busybox:1.36.1",
                "COPY --from=build /out /out",
            ]
        );
        assert_eq!(
            p.running_step().as_deref(),
            Some("COPY --from=build /out /out")
        );
    }

    #[test]
    fn a_named_stage_and_a_failing_step() {
        let mut p = Progress::default();
        p.absorb_status(status(
            vec![
                vertex(
                    "sha256:a",
                    "[build 1/2] FROM docker.io/library/gcc:12.2.0-bookworm",
                    false,
                    true,
                    "",
                ),
                vertex("sha256:b", "[build 2/2] RUN make", false, false, ""),
            ],
            vec![("sha256:b", "\u{1b}[31mcc: error: missing.c\u{1b}[0m\r\n")],
        ));
        p.absorb_status(status(
            vec![vertex(
                "sha256:b",
                "[build 2/2] RUN make",
                false,
                true,
                "executor failed running [/bin/sh -c make]: exit code: 1",
            )],
            vec![],
        ));
        let (step, output) = p.failed_step().unwrap();
        assert_eq!(step, "RUN make");
        assert_eq!(output.trim(), "cc: error: missing.c");
        assert_eq!(p.steps()[1].instruction, "RUN make");
        assert!(!p.steps()[1].cached);
    }

    #[test]
    fn syntax_directive_is_blanked_in_place() {
        let t = "# syntax=docker/dockerfile:1\n# escape=\\\nFROM busybox:1.36.1\n# syntax=not-a-directive\n";
        assert_eq!(
            without_syntax_directive(t).unwrap(),
            "# escape=\\\n#\nFROM busybox:1.36.1\n# syntax=not-a-directive\n"
        );
        assert_eq!(
            without_syntax_directive("#SYNTAX = docker/dockerfile:1.7\r\nFROM a:1\r\n").unwrap(),
            "#\r\nFROM a:1\r\n"
        );
        assert!(without_syntax_directive("FROM a:1\n# syntax=x\n").is_none());
        assert!(without_syntax_directive("# a comment\n# syntax=x\nFROM a:1\n").is_none());
    }

    /// Engine 20.10's answers to a here-document and to `COPY --link`.
    #[test]
    fn features_the_frontend_does_not_know_are_told_apart() {
        let heredoc = "FROM a:1\nRUN <<EOF\necho hi\nEOF\n";
        let e = "failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 3: unknown instruction: ECHO";
        assert_eq!(
            unknown_to_frontend(heredoc, e).map(|w| w.0).as_deref(),
            Some("here-documents (<<EOF)")
        );
        let link = "FROM a:1\nCOPY --link a /a\n";
        let e = "failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 2: Unknown flag: link";
        assert_eq!(
            unknown_to_frontend(link, e),
            Some(("--link".to_string(), "Engine 23 and later do"))
        );
        let both = "FROM a:1\nRUN --mount=type=cache,target=/c true\nCOPY --link a /a\n";
        assert_eq!(
            unknown_to_frontend(both, e).map(|w| w.0).as_deref(),
            Some("--link")
        );
        assert!(unknown_to_frontend("FROM a:1\nRUN exit 1\n", e).is_none());
        let run_failed = "executor failed running [/bin/sh -c exit 3]: exit code: 3";
        assert!(unknown_to_frontend(heredoc, run_failed).is_none());
        // Engine 26's frontend and a secret mount's `env=` (Dockerfile 1.10).
        let env = "FROM a:1\nRUN --mount=type=secret,id=t,env=TOK echo hi\n";
        let e = "failed to solve: unexpected key 'env' in 'env=TOK'";
        assert_eq!(
            unknown_to_frontend(env, e).map(|w| w.0).as_deref(),
            Some("`env=` in a `--mount`")
        );
    }

    #[test]
    fn ansi_escapes_are_stripped() {
        assert_eq!(strip_ansi("\u{1b}[1;31mred\u{1b}[0m ok\r"), "red ok");
        assert_eq!(strip_ansi("\u{1b}]0;title\u{7}x"), "x");
    }
}
