//! Reading a learner's Dockerfile before anything reaches the daemon: the untrusted-input screen
//! (docs/RELIABILITY.md rule 7) and the static rules a `dockerfile` check can ask for. Everything
//! else about a Dockerfile is graded by building it.

use std::collections::{BTreeMap, HashMap};

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

/// Apply one static rule, reading every `ARG` at its default.
pub fn check_rule(text: &str, rule: DockerfileRule) -> RuleResult {
    check_rule_with(text, rule, &BTreeMap::new())
}

/// Apply one static rule, reading the Dockerfile as a build given these `--build-arg` values
/// would: a build argument replaces the default of the `ARG` it names.
pub fn check_rule_with(
    text: &str,
    rule: DockerfileRule,
    build_args: &BTreeMap<String, String>,
) -> RuleResult {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let df = parse(text).map_err(|r| {
        (
            "a Dockerfile that parses".to_string(),
            format!("line {}: {}", r.line, r.reason),
        )
    })?;
    let stages = read_stages(text, &df, build_args);
    match rule {
        DockerfileRule::FromPinned => from_pinned(&stages),
        DockerfileRule::MultiStage => multi_stage(&stages),
        DockerfileRule::NonRootUser => non_root_user(&stages),
        DockerfileRule::ExecForm => exec_form(&stages),
    }
}

/// A word of the Dockerfile as written and as the builder reads it (variables expanded, quotes
/// and escapes removed).
#[derive(Debug, Clone)]
struct Written {
    raw: String,
    value: String,
    line: usize,
}

impl Written {
    /// `raw`, followed by what it expands to when that differs.
    fn show(&self, instruction: &str) -> String {
        if self.raw == self.value {
            format!("`{instruction} {}`", self.raw)
        } else {
            format!("`{instruction} {}` (= `{}`)", self.raw, self.value)
        }
    }
}

/// How a `CMD`/`ENTRYPOINT` is written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Form {
    Exec,
    Shell,
    /// Starts with `[` but is not a JSON array: Docker runs it as a shell command.
    BrokenJson,
}

/// One stage as the builder sees it.
#[derive(Debug)]
struct StageView {
    /// The base image (or stage), as written and expanded with the global `ARG`s.
    from: Written,
    /// The earlier stage this one is built on, if its `FROM` names one.
    parent: Option<usize>,
    name: Option<String>,
    /// The last `USER` of this stage itself.
    user: Option<Written>,
    /// Every `COPY --from=`, with the earlier stage it names if it names one.
    copies_from: Vec<(Written, Option<usize>)>,
    /// Every `CMD`/`ENTRYPOINT`: instruction, text, line, form.
    commands: Vec<(&'static str, String, usize, Form)>,
    /// `ENV` values at the end of the stage (a stage built on it inherits them).
    env: HashMap<String, String>,
}

/// Read every stage: bases, `USER`, `COPY --from`, `CMD`/`ENTRYPOINT`, with `ARG` and `ENV`
/// values substituted as the builder does.
fn read_stages(
    text: &str,
    df: &parse_dockerfile::Dockerfile<'_>,
    build_args: &BTreeMap<String, String>,
) -> Vec<StageView> {
    let esc = df
        .parser_directives
        .escape
        .as_ref()
        .map_or('\\', |d| d.value.value);
    let mut global: HashMap<String, String> = HashMap::new();
    for a in df.global_args() {
        declare_args(
            &a.arguments.value,
            esc,
            build_args,
            &mut global,
            &HashMap::new(),
        );
    }
    let mut out: Vec<StageView> = Vec::new();
    for s in df.stages() {
        let raw = s.from.image.value.to_string();
        let value = expand(&raw, esc, &|n| global.get(n).cloned());
        let from = Written {
            raw,
            value,
            line: line_at(text, s.from.image.span.start),
        };
        let parent = out
            .iter()
            .position(|p| p.name.as_deref() == Some(from.value.to_lowercase().as_str()));
        let mut env = parent.map(|p| out[p].env.clone()).unwrap_or_default();
        let mut args: HashMap<String, String> = HashMap::new();
        let mut view = StageView {
            from,
            parent,
            name: s.from.as_.as_ref().map(|(_, n)| n.value.to_lowercase()),
            user: None,
            copies_from: Vec::new(),
            commands: Vec::new(),
            env: HashMap::new(),
        };
        for ins in s.instructions {
            match ins {
                Instruction::Arg(a) => {
                    // A default may use this stage's ARGs and ENVs, not undeclared global ones.
                    let mut scope = args.clone();
                    scope.extend(env.clone());
                    let mut declared = HashMap::new();
                    declare_args(&a.arguments.value, esc, build_args, &mut declared, &scope);
                    for (k, v) in declared {
                        args.insert(k, v);
                    }
                    // `ARG NAME` with no default takes the global one.
                    for w in split_words(&a.arguments.value, esc) {
                        if !w.contains('=') && !args.contains_key(&w) {
                            if let Some(v) = global.get(&w) {
                                args.insert(w, v.clone());
                            }
                        }
                    }
                }
                Instruction::Env(e) => {
                    for (k, v) in env_pairs(&e.arguments.value, esc) {
                        let v = expand(&v, esc, &|n| env.get(n).or_else(|| args.get(n)).cloned());
                        env.insert(k, v);
                    }
                }
                Instruction::User(u) => {
                    let raw = u.arguments.value.trim().to_string();
                    let lookup = |n: &str| env.get(n).or_else(|| args.get(n)).cloned();
                    view.user = Some(Written {
                        value: expand(&raw, esc, &lookup).trim().to_string(),
                        raw,
                        line: line_at(text, u.arguments.span.start),
                    });
                }
                Instruction::Copy(c) => {
                    for f in c.options.iter().filter(|f| f.name.value == "from") {
                        let raw = f
                            .value
                            .as_ref()
                            .map(|v| v.value.to_string())
                            .unwrap_or_default();
                        let value =
                            expand(&raw, esc, &|n| env.get(n).or_else(|| args.get(n)).cloned());
                        let here = out.len();
                        let stage = out
                            .iter()
                            .position(|p| p.name.as_deref() == Some(value.to_lowercase().as_str()))
                            .or_else(|| value.parse::<usize>().ok().filter(|i| *i < here));
                        let line = line_at(text, f.span().start);
                        view.copies_from.push((Written { raw, value, line }, stage));
                    }
                }
                Instruction::Cmd(c) => view.commands.push(command("CMD", &c.arguments, text)),
                Instruction::Entrypoint(e) => {
                    view.commands
                        .push(command("ENTRYPOINT", &e.arguments, text));
                }
                _ => {}
            }
        }
        view.env = env;
        out.push(view);
    }
    out
}

fn command(name: &'static str, c: &Command<'_>, text: &str) -> (&'static str, String, usize, Form) {
    match c {
        Command::Exec(e) => (name, String::new(), line_at(text, e.span.start), Form::Exec),
        Command::Shell(s) => {
            let body = s.value.trim().to_string();
            let form = if body.starts_with('[') {
                Form::BrokenJson
            } else {
                Form::Shell
            };
            (name, body, line_at(text, s.span.start), form)
        }
        _ => (name, String::new(), 0, Form::Exec),
    }
}

/// The `NAME=value` words of an `ARG` line (`ARG A=1 B=2`), each value expanded in `scope`
/// unless a build argument replaces it. A name with no value and no build argument stays unset.
fn declare_args(
    line: &str,
    esc: char,
    build_args: &BTreeMap<String, String>,
    into: &mut HashMap<String, String>,
    scope: &HashMap<String, String>,
) {
    for w in split_words(line, esc) {
        let (name, default) = match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w.clone(), None),
        };
        let value = build_args.get(&name).cloned().or_else(|| {
            default.map(|d| expand(&d, esc, &|n| into.get(n).or_else(|| scope.get(n)).cloned()))
        });
        if let Some(v) = value {
            into.insert(name, v);
        }
    }
}

/// The pairs of an `ENV` line: `ENV A=1 B="two words"`, or the old `ENV NAME the rest`.
fn env_pairs(line: &str, esc: char) -> Vec<(String, String)> {
    let words = split_words(line, esc);
    match words.first() {
        Some(first) if !first.contains('=') => {
            let rest = line.trim_start()[first.len()..].trim().to_string();
            vec![(first.clone(), rest)]
        }
        _ => words
            .into_iter()
            .filter_map(|w| {
                let (k, v) = w.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect(),
    }
}

/// Split on whitespace outside quotes and escapes, keeping quotes and escapes for `expand`.
fn split_words(s: &str, esc: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            Some('\'') => cur.push(c),
            _ if c == esc => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Expand a word as the builder does: `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
/// `${NAME:+alternative}` and `${NAME+alternative}`; quotes and escapes are removed, text in
/// single quotes is taken as it is. An unset name expands to nothing.
fn expand(word: &str, esc: char, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut lx = Lexer {
        c: word.chars().collect(),
        i: 0,
        esc,
        lookup,
        depth: 0,
    };
    lx.word(None)
}

struct Lexer<'a> {
    c: Vec<char>,
    i: usize,
    esc: char,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// `${…}` nesting, bounded: the text is a learner's, and the lexer recurses.
    depth: usize,
}

/// Deeper `${A:-${B:-…}}` nesting than this expands to nothing.
const MAX_NESTING: usize = 16;

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn word(&mut self, stop: Option<char>) -> String {
        let mut out = String::new();
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                break;
            }
            self.i += 1;
            if ch == self.esc {
                if let Some(n) = self.peek() {
                    out.push(n);
                    self.i += 1;
                }
                continue;
            }
            match ch {
                '\'' => {
                    while let Some(n) = self.peek() {
                        self.i += 1;
                        if n == '\'' {
                            break;
                        }
                        out.push(n);
                    }
                }
                '"' => {
                    while let Some(n) = self.peek() {
                        self.i += 1;
                        if n == '"' {
                            break;
                        } else if n == self.esc
                            && self
                                .peek()
                                .is_some_and(|m| m == '"' || m == '$' || m == self.esc)
                        {
                            out.push(self.c[self.i]);
                            self.i += 1;
                        } else if n == '$' {
                            out += &self.dollar();
                        } else {
                            out.push(n);
                        }
                    }
                }
                '$' => out += &self.dollar(),
                _ => out.push(ch),
            }
        }
        out
    }

    fn name(&mut self) -> String {
        let mut n = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            n.push(c);
            self.i += 1;
        }
        n
    }

    /// After a `$`.
    fn dollar(&mut self) -> String {
        match self.peek() {
            Some('{') if self.depth >= MAX_NESTING => {
                self.i = self.c.len();
                String::new()
            }
            Some('{') => {
                self.i += 1;
                let name = self.name();
                let value = (self.lookup)(&name);
                let (colon, op) = match (self.peek(), self.c.get(self.i + 1).copied()) {
                    (Some(':'), Some(op @ ('-' | '+' | '?'))) => (true, Some(op)),
                    (Some(op @ ('-' | '+' | '?')), _) => (false, Some(op)),
                    _ => (false, None),
                };
                let Some(op) = op else {
                    // `}`, or a modifier this reading does not apply (`#`, `%`, `/`).
                    self.depth += 1;
                    let _ = self.word(Some('}'));
                    self.depth -= 1;
                    self.i += 1;
                    return value.unwrap_or_default();
                };
                self.i += if colon { 2 } else { 1 };
                self.depth += 1;
                let alt = self.word(Some('}'));
                self.depth -= 1;
                self.i += 1;
                let unset = match &value {
                    None => true,
                    Some(v) => colon && v.is_empty(),
                };
                match op {
                    '-' if unset => alt,
                    '+' if unset => String::new(),
                    '+' => alt,
                    _ => value.unwrap_or_default(),
                }
            }
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                let name = self.name();
                (self.lookup)(&name).unwrap_or_default()
            }
            _ => "$".into(),
        }
    }
}

fn from_pinned(stages: &[StageView]) -> RuleResult {
    let mut seen = Vec::new();
    for s in stages {
        if s.parent.is_some() || s.from.value.eq_ignore_ascii_case("scratch") {
            continue;
        }
        let problem = if s.from.value.is_empty() {
            Some("names no image: the ARG it uses has no value")
        } else {
            pin_problem(&s.from.value)
        };
        if let Some(problem) = problem {
            return Err((
                "every FROM naming an exact release: a full version tag (1.36.1, \
                 3.12.3-slim), a date-stamped tag, or a digest"
                    .into(),
                format!("line {}: {} {problem}", s.from.line, s.from.show("FROM")),
            ));
        }
        seen.push(s.from.value.clone());
    }
    if seen.is_empty() {
        Ok("no image pulled: every FROM is scratch or a stage".into())
    } else {
        Ok(format!("pinned: {}", seen.join(", ")))
    }
}

fn multi_stage(stages: &[StageView]) -> RuleResult {
    let n = stages.len();
    let expected = "two or more stages, the final one taking what an earlier stage made \
                    (`COPY --from=<stage>`, or `FROM <stage>`)";
    let Some(last) = stages.last() else {
        return Err((expected.into(), "no stage".into()));
    };
    if n >= 2 {
        if let Some(p) = last.parent {
            return Ok(format!(
                "{n} stages; the final one is built on stage {}",
                stage_label(stages, p)
            ));
        }
        if let Some((w, Some(p))) = last.copies_from.iter().find(|(_, s)| s.is_some()) {
            return Ok(format!(
                "{n} stages; the final one copies from stage {} (line {})",
                stage_label(stages, *p),
                w.line
            ));
        }
    }
    let actual = if n == 1 {
        let outside = last
            .copies_from
            .first()
            .map(|(w, _)| {
                format!(
                    " (line {}: `COPY --from={}` copies from an image, not from a stage of \
                     this Dockerfile)",
                    w.line, w.value
                )
            })
            .unwrap_or_default();
        format!("1 stage: whatever it needs to build ships in the image{outside}")
    } else if let Some((w, _)) = last.copies_from.first() {
        format!(
            "{n} stages, but the final stage copies only from outside images (line {}: \
             `COPY --from={}`), nothing from an earlier stage of this Dockerfile",
            w.line, w.value
        )
    } else {
        format!("{n} stages, but the final stage copies nothing from an earlier stage")
    };
    Err((expected.into(), actual))
}

fn stage_label(stages: &[StageView], i: usize) -> String {
    match &stages[i].name {
        Some(n) => format!("`{n}`"),
        None => format!("{i}"),
    }
}

/// The stages the final image is made of: the last one, then the stage it is built on, and so on.
fn final_chain(stages: &[StageView]) -> Vec<usize> {
    let mut chain = Vec::new();
    let mut at = stages.len().checked_sub(1);
    while let Some(i) = at {
        if chain.contains(&i) {
            break;
        }
        chain.push(i);
        at = stages[i].parent;
    }
    chain
}

fn non_root_user(stages: &[StageView]) -> RuleResult {
    let expected = "a final `USER` that is not root";
    let chain = final_chain(stages);
    let found = chain
        .iter()
        .find_map(|&i| stages[i].user.as_ref().map(|u| (i, u)));
    match found {
        Some((i, u)) if !is_root_user(&u.value) => {
            let inherited = if Some(&i) == chain.first() {
                String::new()
            } else {
                format!(
                    " (set in stage {}, which the final stage is built on)",
                    stage_label(stages, i)
                )
            };
            Ok(format!("{}{inherited}", u.show("USER")))
        }
        Some((_, u)) => {
            let why = if u.value.is_empty() {
                "expands to nothing, which means root (is the ARG declared in this stage, with a \
                 value?)"
            } else {
                "is root: user `root` or uid 0, whatever group follows"
            };
            Err((
                expected.into(),
                format!("line {}: {} {why}", u.line, u.show("USER")),
            ))
        }
        None => {
            let base = chain
                .last()
                .map(|&i| stages[i].from.value.clone())
                .unwrap_or_default();
            let runs_as = if base.eq_ignore_ascii_case("scratch") {
                "root: `scratch` sets no user".to_string()
            } else {
                format!("whatever user `{base}` sets, root for most images")
            };
            Err((
                expected.into(),
                format!("no USER in the final stage: the container runs as {runs_as}"),
            ))
        }
    }
}

fn exec_form(stages: &[StageView]) -> RuleResult {
    let mut n = 0;
    for &i in &final_chain(stages) {
        for (name, body, line, form) in &stages[i].commands {
            n += 1;
            let expected =
                format!("{name} in exec form, a JSON array like {name} [\"program\", \"arg\"]");
            match form {
                Form::Exec => {}
                Form::Shell => {
                    return Err((expected, format!("line {line}: shell form `{name} {body}`")));
                }
                Form::BrokenJson => {
                    let why = if !body.ends_with(']') {
                        "it has no closing `]`"
                    } else if body.contains('\'') && !body.contains('"') {
                        "JSON strings take double quotes, not single ones"
                    } else {
                        "look at the quotes and commas"
                    };
                    return Err((
                        expected,
                        format!(
                            "line {line}: `{name} {body}` is not valid JSON ({why}), so Docker \
                             runs it as a shell command"
                        ),
                    ));
                }
            }
        }
    }
    if n == 0 {
        Ok("no CMD or ENTRYPOINT in the final stage".into())
    } else {
        Ok("exec form".into())
    }
}

/// Why an image reference does not name an exact release, if it does not. A digest pins. A tag
/// pins when its version has three or more numbers (`1.36.1`, `v2.4.0`), whatever follows a
/// `-`, `_` or `+` (`12.2.0-bookworm`, `20.11.1-alpine3.19`), or when it carries a date stamp
/// (`bookworm-20240311`). `1.36` and `3.12-slim` move to every patch release.
pub fn pin_problem(image: &str) -> Option<&'static str> {
    if image.contains("@sha256:") {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag, so it means `latest`, which moves"),
        Some((_, "latest")) => Some("uses `latest`, which moves"),
        Some((_, "")) => Some("has an empty tag: does it use an ARG with no value here?"),
        Some((_, tag)) if exact_release(tag) => None,
        Some((name, tag)) if two_number_release(name, tag) => None,
        Some((_, tag)) if !tag.chars().any(|c| c.is_ascii_digit()) => {
            Some("uses a floating tag with no version number, which moves")
        }
        Some(_) => Some(
            "names only part of a version: a tag like `1.36` or `3.12-slim` moves to each patch \
             release. An exact release has the full version (three numbers), a date stamp, or a \
             digest",
        ),
    }
}

/// Does a tag name one release: a version of three or more numbers, or a date stamp?
fn exact_release(tag: &str) -> bool {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let version = t.split(['-', '_', '+']).next().unwrap_or("");
    let numbers: Vec<&str> = version.split('.').collect();
    let full = numbers.len() >= 3
        && numbers
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    full || tag.split(['-', '_', '.']).any(is_date)
}

/// Images whose releases have two numbers (PostgreSQL since 10: `16.2` is one release, the
/// next is `16.3`; Gradle: `8.6`), where a third number is the exception, not the rule.
const TWO_NUMBER_RELEASES: &[(&str, u32)] = &[("postgres", 10), ("gradle", 1)];

/// `postgres:16.2`, `postgres:16.2-alpine3.19`: an exact release of an image versioned with two
/// numbers; `postgres:16` (the major only) still moves.
fn two_number_release(name: &str, tag: &str) -> bool {
    let Some((_, min_major)) = TWO_NUMBER_RELEASES.iter().find(|(n, _)| *n == name) else {
        return false;
    };
    let version = tag.split(['-', '_', '+']).next().unwrap_or("");
    let numbers: Vec<&str> = version.split('.').collect();
    numbers.len() == 2
        && numbers
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && numbers[0].parse::<u32>().is_ok_and(|m| m >= *min_major)
}

/// `YYYYMMDD`, as in `debian:bookworm-20240311`.
fn is_date(s: &str) -> bool {
    if s.len() != 8 || !s.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let (y, m, d) = (&s[..4], &s[4..6], &s[6..]);
    (y.starts_with("19") || y.starts_with("20"))
        && ("01"..="12").contains(&m)
        && ("01"..="31").contains(&d)
}

/// Root as a Dockerfile `USER` or an image config's User: the user part (before `:`) is empty,
/// `root`, or a uid that is 0 (`0`, `0000`). The group does not matter.
pub fn is_root_user(u: &str) -> bool {
    let user = u.trim().split(':').next().unwrap_or("").trim();
    user.is_empty()
        || user == "root"
        || (user.chars().all(|c| c.is_ascii_digit()) && user.trim_start_matches('0').is_empty())
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

    fn ok(df: &str, rule: DockerfileRule) -> String {
        check_rule(df, rule).unwrap_or_else(|e| panic!("{df:?} {rule:?}: {e:?}"))
    }

    fn fails(df: &str, rule: DockerfileRule) -> String {
        match check_rule(df, rule) {
            Ok(seen) => panic!("{df:?} {rule:?} passed: {seen}"),
            Err((_, actual)) => actual,
        }
    }

    #[test]
    fn args_expand_as_the_builder_reads_them() {
        use DockerfileRule::FromPinned as P;
        // `$V` is not a prefix of `$VERSION`.
        ok("ARG V=x\nARG VERSION=1.36.1\nFROM busybox:$VERSION\n", P);
        // Quotes are removed, single or double.
        ok("ARG V='1.36.1'\nFROM busybox:${V}\n", P);
        ok("ARG V=\"1.36.1\"\nFROM busybox:$V\n", P);
        // Two on one line.
        ok("ARG A=busybox B=1.36.1\nFROM ${A}:${B}\n", P);
        // Defaults and alternatives.
        ok("FROM busybox:${V:-1.36.1}\n", P);
        ok("ARG V=\nFROM busybox:${V:-1.36.1}\n", P);
        ok("ARG V=1\nFROM busybox:1.36.1${V:+-musl}\n", P);
        fails("ARG V=1.36\nFROM busybox:${V:-1.36.1}\n", P);
        // An ARG before FROM naming the whole image.
        ok("ARG BASE=busybox:1.36.1\nFROM ${BASE}\n", P);
        let e = fails("ARG BASE=busybox:1.36\nFROM ${BASE}\n", P);
        assert!(e.contains("(= `busybox:1.36`)"), "{e}");
        let e = fails("ARG BASE\nFROM ${BASE}\n", P);
        assert!(e.contains("no value"), "{e}");
        // One ARG's default made of another.
        ok("ARG V=1.36.1\nARG IMG=busybox:${V}\nFROM $IMG\n", P);
        // A stage's ARG default sees the stage's ARGs, not undeclared global ones.
        fails(
            "ARG G=app\nFROM a:1.0.0\nARG U=${G}\nUSER $U\n",
            DockerfileRule::NonRootUser,
        );
        ok(
            "ARG G=app\nFROM a:1.0.0\nARG G\nARG U=${G}\nUSER $U\n",
            DockerfileRule::NonRootUser,
        );
        // Nesting is bounded, and no input makes the lexer overflow its stack.
        let deep = format!(
            "FROM busybox:{}1.36.1{}\n",
            "${V:-".repeat(100_000),
            "}".repeat(100_000)
        );
        let _ = check_rule(&deep, P);
        ok("FROM --platform=$BUILDPLATFORM golang:1.22.3 AS b\nFROM scratch\nCOPY --from=b /a /a\n", P);
    }

    #[test]
    fn build_args_replace_defaults() {
        let args: BTreeMap<String, String> = [("V".to_string(), "1.36.1".to_string())].into();
        let df = "ARG V=latest\nFROM busybox:${V}\n";
        assert!(check_rule(df, DockerfileRule::FromPinned).is_err());
        assert!(check_rule_with(df, DockerfileRule::FromPinned, &args).is_ok());
        let root: BTreeMap<String, String> = [("U".to_string(), "0".to_string())].into();
        let df = "FROM a:1.0.0\nARG U=app\nUSER $U\n";
        assert!(check_rule(df, DockerfileRule::NonRootUser).is_ok());
        assert!(check_rule_with(df, DockerfileRule::NonRootUser, &root).is_err());
    }

    #[test]
    fn exact_releases() {
        for pinned in [
            "busybox:1.36.1",
            "gcc:12.2.0-bookworm",
            "python:3.12.1-slim",
            "node:20.11.1-alpine3.19",
            "debian:bookworm-20240311",
            "eclipse-temurin:21.0.2_13-jre-jammy",
            "golang:v1.22.3",
            "busybox@sha256:5eef5ed34e1e1ff0a4ae850395cbf665c4de6b4b83a32a0bc7bcb998e24e7bbb",
            "busybox:1.36@sha256:5eef5ed34e1e1ff0a4ae850395cbf665c4de6b4b83a32a0bc7bcb998e24e7bbb",
            "localhost:5000/team/app:2.0.1",
            "postgres:16.2",
            "postgres:16.2-alpine3.19",
            "library/postgres:15.6-bookworm",
            "gradle:8.6-jdk21",
        ] {
            assert_eq!(pin_problem(pinned), None, "{pinned}");
        }
        for moving in [
            "busybox:1.36",
            "python:3.12-slim",
            "debian:bookworm",
            "node:20",
            "nginx:stable",
            "busybox:latest",
            "busybox",
            "alpine:3",
            "node:lts-alpine3.19",
            "localhost:5000/app",
            "debian:bookworm-99999999",
            "postgres:16",
            "postgres:9.6",
            "postgres:16-alpine",
            "redis:7.2",
            "ubuntu:22.04",
        ] {
            assert!(pin_problem(moving).is_some(), "{moving}");
        }
        let e = fails("FROM python:3.12-slim\n", DockerfileRule::FromPinned);
        assert!(e.contains("only part of a version"), "{e}");
        ok("FROM scratch\n", DockerfileRule::FromPinned);
    }

    #[test]
    fn root_in_every_spelling() {
        for root in [
            "root",
            "0",
            "0000",
            "root:root",
            "0:0",
            "0:1000",
            "root:app",
            " 0 ",
            "",
        ] {
            assert!(is_root_user(root), "{root:?}");
        }
        for user in [
            "app",
            "1000",
            "1000:1000",
            "nonroot:nonroot",
            "app:root",
            "65532",
            "10",
        ] {
            assert!(!is_root_user(user), "{user:?}");
        }
        use DockerfileRule::NonRootUser as U;
        for df in [
            "FROM a:1.0.0\nUSER 0000\n",
            "FROM a:1.0.0\nUSER root:root\n",
            "FROM a:1.0.0\nUSER 0:0\n",
            "FROM a:1.0.0\nARG RUN_AS=root\nUSER ${RUN_AS}\n",
            "FROM a:1.0.0\nENV UID=0\nUSER $UID:$UID\n",
            "ARG U=app\nFROM a:1.0.0\nUSER $U\n",
        ] {
            fails(df, U);
        }
        let e = fails("FROM a:1.0.0\nARG RUN_AS=root\nUSER ${RUN_AS}\n", U);
        assert!(e.contains("(= `root`) is root"), "{e}");
        ok("ARG U=app\nFROM a:1.0.0\nARG U\nUSER $U\n", U);
    }

    #[test]
    fn user_is_inherited_from_the_parent_stage() {
        use DockerfileRule::NonRootUser as U;
        let df = "FROM debian:12.5 AS build\nRUN useradd app\nUSER app\nFROM build AS final\nCMD [\"x\"]\n";
        let seen = ok(df, U);
        assert!(seen.contains("stage `build`"), "{seen}");
        // Through two stages, names in any case.
        ok(
            "FROM a:1.0.0 AS base\nUSER 1000\nFROM base AS mid\nRUN true\nFROM MID\n",
            U,
        );
        // The final stage's own USER wins.
        fails("FROM a:1.0.0 AS base\nUSER app\nFROM base\nUSER root\n", U);
        // A USER in an unrelated stage does not count.
        let e = fails(
            "FROM a:1.0.0 AS build\nUSER app\nFROM b:1.0.0\nCOPY --from=build /x /x\n",
            U,
        );
        assert!(e.contains("no USER in the final stage"), "{e}");
    }

    #[test]
    fn multi_stage_means_an_earlier_stage_of_this_dockerfile() {
        use DockerfileRule::MultiStage as M;
        let e = fails("FROM a:1.0.0 AS unused\nFROM scratch\nCOPY --from=busybox:1.36.1 /bin/busybox /busybox\n", M);
        assert!(e.contains("outside images"), "{e}");
        let e = fails(
            "FROM scratch\nCOPY --from=busybox:1.36.1 /bin/busybox /busybox\n",
            M,
        );
        assert!(e.contains("1 stage"), "{e}");
        ok(
            "FROM a:1.0.0\nRUN make\nFROM scratch\nCOPY --from=0 /out /out\n",
            M,
        );
        ok(
            "FROM a:1.0.0 AS Build\nFROM scratch\nCOPY --from=build /out /out\n",
            M,
        );
        ok(
            "ARG S=build\nFROM a:1.0.0 AS build\nFROM scratch\nARG S\nCOPY --from=$S /out /out\n",
            M,
        );
        ok(
            "FROM a:1.0.0 AS base\nRUN make\nFROM base\nCMD [\"x\"]\n",
            M,
        );
        // Index 1 is the final stage itself, not an earlier one.
        fails("FROM a:1.0.0\nFROM b:1.0.0\nCOPY --from=1 /x /x\n", M);
    }

    #[test]
    fn broken_json_is_named() {
        use DockerfileRule::ExecForm as X;
        let e = fails("FROM a:1.0.0\nCMD [\"a\", \"b\"\n", X);
        assert!(
            e.contains("not valid JSON") && e.contains("shell command") && e.contains("line 2"),
            "{e}"
        );
        let e = fails("FROM a:1.0.0\nENTRYPOINT ['/app']\n", X);
        assert!(e.contains("double quotes"), "{e}");
        let e = fails("FROM a:1.0.0\nCMD [\"a\" \"b\"]\n", X);
        assert!(e.contains("not valid JSON"), "{e}");
        // Shell form in a stage that is not part of the image does not count.
        ok(
            "FROM a:1.0.0 AS dev\nCMD go run .\nFROM b:1.0.0\nCMD [\"/app\"]\n",
            X,
        );
        // It does in the stage the final one is built on.
        fails("FROM a:1.0.0 AS base\nCMD go run .\nFROM base\n", X);
    }

    /// The messages `tests/check_kinds/dockerfile.rs` quotes, checked here without a daemon.
    #[test]
    fn messages_say_what_was_found() {
        let bad = "FROM busybox\nUSER root\nCMD sh -c 'sleep 1000'\n";
        let latest = "FROM busybox:1.36.1 AS build\nRUN true\nFROM busybox:latest\nUSER 0:0\n";
        let two = "FROM busybox:1.36.1 AS build\nUSER app\nFROM busybox:1.36.1\nENTRYPOINT sh\n";
        let cases: [(&str, DockerfileRule, &[&str]); 9] = [
            (
                bad,
                DockerfileRule::FromPinned,
                &["line 1: `FROM busybox` has no tag, so it means `latest`"],
            ),
            (
                latest,
                DockerfileRule::FromPinned,
                &["line 3: `FROM busybox:latest` uses `latest`"],
            ),
            (
                "FROM busybox:stable\n",
                DockerfileRule::FromPinned,
                &["`FROM busybox:stable` uses a floating tag"],
            ),
            (
                bad,
                DockerfileRule::MultiStage,
                &["COPY --from=<stage>", "1 stage"],
            ),
            (
                two,
                DockerfileRule::MultiStage,
                &["2 stages, but the final stage copies nothing"],
            ),
            (latest, DockerfileRule::NonRootUser, &["USER 0:0"]),
            (
                two,
                DockerfileRule::NonRootUser,
                &["no USER in the final stage", "root for most images"],
            ),
            (
                bad,
                DockerfileRule::ExecForm,
                &[
                    "CMD in exec form",
                    "line 3: shell form `CMD sh -c 'sleep 1000'`",
                ],
            ),
            (
                two,
                DockerfileRule::ExecForm,
                &[
                    "ENTRYPOINT in exec form",
                    "line 4: shell form `ENTRYPOINT sh`",
                ],
            ),
        ];
        for (df, rule, wants) in cases {
            let (expected, actual) = check_rule(df, rule).unwrap_err();
            let text = format!("{expected}\n{actual}");
            for want in wants {
                assert!(text.contains(want), "{df:?} {rule:?}: {text}");
            }
        }
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

/// Common slips a Dockerfile's author makes that Docker reports late or not at all, each told as
/// what happens and why: a COPY to a folder without the trailing `/`, an exec-form list Docker
/// cannot read (it silently becomes shell form), scripts with Windows line endings or without
/// their `#!` line. `context` is the build context, to read the scripts COPY takes from it.
pub fn slips(text: &str, context: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let lines = logical_lines(text);
    let mut copies: Vec<(String, String, String)> = Vec::new(); // (line, sources, destination)
    for (i, line) in lines.iter().enumerate() {
        let mut words = line.split_whitespace();
        let Some(kw) = words.next() else { continue };
        let kw = kw.to_ascii_uppercase();
        let rest = line[line.find(char::is_whitespace).unwrap_or(line.len())..].trim();
        match kw.as_str() {
            "COPY" | "ADD" => {
                let args: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                if args.len() == 2 && !rest.starts_with('[') {
                    let (src, dest) = (args[0], args[1]);
                    let folder_later = lines[i + 1..]
                        .iter()
                        .any(|l| l.contains(&format!("{dest}/")));
                    // A folder (`.`, `src/`) or a pattern copies into the destination anyway.
                    let one_file = !src.ends_with('/')
                        && !src.contains('*')
                        && !src.contains('?')
                        && !context.join(src).is_dir()
                        && !src.starts_with("http");
                    if one_file && !dest.ends_with('/') && !dest.ends_with('.') && folder_later {
                        out.push(format!(
                            "`{kw} {src} {dest}` copies {src} to a file named {dest}, not into a folder: \
                             later steps use {dest}/… as a folder. A destination that ends in `/` is a folder."
                        ));
                    }
                    copies.push((line.clone(), src.to_string(), dest.to_string()));
                }
            }
            "CMD" | "ENTRYPOINT" | "RUN" | "HEALTHCHECK" => {
                let body = if kw == "HEALTHCHECK" {
                    rest.split_once("CMD").map(|(_, b)| b.trim()).unwrap_or("")
                } else {
                    rest
                };
                if body.starts_with('[') && serde_json::from_str::<Vec<String>>(body).is_err() {
                    let why = if !body.trim_end().ends_with(']') {
                        "the closing `]` is missing"
                    } else if body.contains('\'') {
                        "it uses single quotes; JSON needs double quotes"
                    } else {
                        "it is not a valid JSON list of strings"
                    };
                    out.push(format!(
                        "`{kw} {body}` looks like exec form, but {why}: Docker then runs it as shell \
                         form, `/bin/sh -c '{body}'`, without saying so."
                    ));
                }
            }
            _ => {}
        }
    }
    // Scripts the image runs: Windows line endings, or no `#!` line.
    for (_, src, _) in &copies {
        let path = context.join(src);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let is_script = src.ends_with(".sh") || bytes.starts_with(b"#!");
        if !is_script || bytes.len() > 1_000_000 {
            continue;
        }
        if bytes.windows(2).any(|w| w == b"\r\n") {
            out.push(format!(
                "{src} has Windows line endings (CRLF): its `#!` line asks for a program whose name \
                 ends in an invisible `\\r`, which does not exist (\"no such file or directory\"). \
                 Save it with Unix line endings (LF)."
            ));
        } else if !bytes.starts_with(b"#!") && runs_directly(&lines, src) {
            out.push(format!(
                "{src} has no `#!` line at its top, so the kernel does not know which program runs \
                 it (\"exec format error\")."
            ));
        }
    }
    out
}

/// Whether a `CMD`, `ENTRYPOINT` or `RUN` runs the script `src` as a program (`/app/run.sh`,
/// `./run.sh`), which needs its `#!` line; `sh run.sh` does not.
fn runs_directly(lines: &[String], src: &str) -> bool {
    let name = src.rsplit('/').next().unwrap_or(src);
    let is_script = |word: &str| {
        let word = word.trim_matches(|c| c == '"' || c == '\'');
        word == name || word.ends_with(&format!("/{name}"))
    };
    lines.iter().any(|line| {
        let Some((kw, rest)) = line.trim().split_once(char::is_whitespace) else {
            return false;
        };
        let kw = kw.to_ascii_uppercase();
        if !matches!(kw.as_str(), "CMD" | "ENTRYPOINT" | "RUN") {
            return false;
        }
        let rest = rest.trim();
        if let Ok(list) = serde_json::from_str::<Vec<String>>(rest) {
            return list.first().is_some_and(|p| is_script(p));
        }
        // Shell form: the first word of each command in the line.
        rest.split(['&', ';', '|'])
            .filter_map(|cmd| cmd.split_whitespace().find(|w| !w.contains('=')))
            .any(is_script)
    })
}

/// Instructions joined across `\` continuations, comments and blank lines dropped.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for raw in text.lines() {
        let l = raw.trim_end_matches('\r');
        if cur.is_empty() && (l.trim_start().starts_with('#') || l.trim().is_empty()) {
            continue;
        }
        if let Some(head) = l.strip_suffix('\\') {
            cur.push_str(head);
            cur.push(' ');
            continue;
        }
        cur.push_str(l);
        out.push(cur.trim().to_string());
        cur.clear();
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

#[cfg(test)]
mod slip_tests {
    use super::slips;

    fn with_files(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, body) in files {
            std::fs::write(d.path().join(name), body).unwrap();
        }
        d
    }

    #[test]
    fn copy_to_a_folder_without_the_slash_is_explained() {
        let d = with_files(&[("hello.sh", b"#!/bin/sh\necho hi\n")]);
        let s = slips(
            "FROM busybox:1.36.1\nCOPY hello.sh /app\nCMD [\"/app/hello.sh\"]\n",
            d.path(),
        );
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(
            s[0].contains("to a file named /app, not into a folder"),
            "{s:?}"
        );
        // With the slash, or copying to a file path on purpose: nothing to say.
        assert!(slips(
            "FROM b\nCOPY hello.sh /app/\nCMD [\"/app/hello.sh\"]\n",
            d.path()
        )
        .is_empty());
        assert!(slips("FROM b\nCOPY . /app\nCMD [\"/app/hello.sh\"]\n", d.path()).is_empty());
        assert!(slips(
            "FROM b\nCOPY hello.sh /app/hello.sh\nCMD [\"/app/hello.sh\"]\n",
            d.path()
        )
        .is_empty());
    }

    #[test]
    fn malformed_exec_form_is_explained() {
        let d = with_files(&[]);
        let s = slips("FROM b\nCMD [\"/app/hello.sh\"\n", d.path());
        assert!(
            s.len() == 1 && s[0].contains("the closing `]` is missing") && s[0].contains("shell"),
            "{s:?}"
        );
        let s = slips("FROM b\nENTRYPOINT ['/app/hello.sh']\n", d.path());
        assert!(s.len() == 1 && s[0].contains("single quotes"), "{s:?}");
        assert!(slips(
            "FROM b\nCMD [\"/app/hello.sh\"]\nCMD /app/hello.sh\n",
            d.path()
        )
        .is_empty());
    }

    #[test]
    fn crlf_scripts_and_missing_shebangs_are_explained() {
        let d = with_files(&[
            ("crlf.sh", b"#!/bin/sh\r\necho hi\r\n"),
            ("bare.sh", b"echo hi\n"),
            ("ok.sh", b"#!/bin/sh\necho hi\n"),
        ]);
        let s = slips(
            "FROM b\nCOPY crlf.sh /app/\nCOPY bare.sh /app/\nCOPY ok.sh /app/\nCMD [\"/app/bare.sh\"]\n",
            d.path(),
        );
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].contains("crlf.sh has Windows line endings"), "{s:?}");
        assert!(s[1].contains("bare.sh has no `#!` line"), "{s:?}");
        // Run directly in shell form too, and after other commands.
        for run in [
            "CMD ./bare.sh",
            "ENTRYPOINT /app/bare.sh --flag",
            "RUN chmod +x bare.sh && ./bare.sh",
        ] {
            let s = slips(
                &format!("FROM b\nWORKDIR /app\nCOPY bare.sh .\n{run}\n"),
                d.path(),
            );
            assert!(
                s.len() == 1 && s[0].contains("no `#!` line"),
                "{run}: {s:?}"
            );
        }
    }

    #[test]
    fn a_script_given_to_its_shell_needs_no_shebang() {
        let d = with_files(&[("bare.sh", b"echo hi\n")]);
        for run in [
            "CMD [\"sh\", \"/app/bare.sh\"]",
            "CMD sh /app/bare.sh",
            "ENTRYPOINT [\"/bin/bash\", \"bare.sh\"]",
            "RUN sh bare.sh && echo done",
        ] {
            let s = slips(
                &format!("FROM b\nWORKDIR /app\nCOPY bare.sh /app/\n{run}\n"),
                d.path(),
            );
            assert!(s.is_empty(), "{run}: {s:?}");
        }
    }
}
