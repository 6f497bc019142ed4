//! The static rules a `dockerfile` check can ask for, read from the stages as the builder
//! would see them (ARGs expanded, quotes removed).

use super::words::{env_pairs, expand, split_words};
use super::*;

/// Static Dockerfile rules: the `rule` of a `dockerfile` check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DockerfileRule {
    /// Every `FROM` names an exact release: a digest, a tag with a full version (three numbers,
    /// any suffix) or a date stamp (stages and `scratch` excepted).
    FromPinned,
    /// At least two stages, and the last one copies from an earlier stage of this Dockerfile or
    /// is built on one.
    MultiStage,
    /// The final image's `USER` (the last stage's, else the stage it is built on) is not root.
    NonRootUser,
    /// The final image's `CMD`/`ENTRYPOINT` use the exec (JSON) form.
    ExecForm,
}

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
    let stages = stages_of(text, build_args)?;
    match rule {
        DockerfileRule::FromPinned => from_pinned(&stages),
        DockerfileRule::MultiStage => multi_stage(&stages),
        DockerfileRule::NonRootUser => non_root_user(&stages),
        DockerfileRule::ExecForm => exec_form(&stages),
    }
}

/// The Dockerfile's stages as a build given these `--build-arg` values reads them; a text that
/// does not parse is the rule's failure.
fn stages_of(
    text: &str,
    build_args: &BTreeMap<String, String>,
) -> Result<Vec<StageView>, (String, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let df = parse(text).map_err(|r| {
        (
            "a Dockerfile that parses".to_string(),
            format!("line {}: {}", r.line, r.reason),
        )
    })?;
    Ok(read_stages(text, &df, build_args))
}

/// A word of the Dockerfile as written and as the builder reads it (variables expanded, quotes
/// and escapes removed).
#[derive(Debug, Clone)]
pub(super) struct Written {
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
pub(super) enum Form {
    Exec,
    Shell,
    /// Starts with `[` but is not a JSON array: Docker runs it as a shell command.
    BrokenJson,
}

/// One stage as the builder sees it.
#[derive(Debug)]
pub(super) struct StageView {
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
pub(super) fn read_stages(
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

pub(super) fn command(
    name: &'static str,
    c: &Command<'_>,
    text: &str,
) -> (&'static str, String, usize, Form) {
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
pub(super) fn declare_args(
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

/// Every `FROM` that pulls an image names it by the digest `digest` (`sha256:…`): the one image
/// a task pins (yesterday's base, whose tag moved since), not another digest and not a tag.
pub fn from_digest_is(
    text: &str,
    build_args: &BTreeMap<String, String>,
    digest: &str,
) -> RuleResult {
    let stages = stages_of(text, build_args)?;
    let short = |d: &str| d.chars().take(19).collect::<String>();
    let expected = format!(
        "every FROM naming the base by the digest {}…",
        short(digest)
    );
    let mut seen = Vec::new();
    for s in stages {
        if s.parent.is_some() || s.from.value.eq_ignore_ascii_case("scratch") {
            continue;
        }
        let named = s.from.value.split_once('@').map(|(_, d)| d);
        match named {
            Some(d) if d == digest => seen.push(s.from.value.clone()),
            Some(d) => {
                return Err((
                    expected,
                    format!(
                        "line {}: {} names another image ({}…), not the one the app was tested \
                         with ({}…): copy the saved digest as it is (a digest of one platform's \
                         manifest inside it is another one)",
                        s.from.line,
                        s.from.show("FROM"),
                        short(d),
                        short(digest)
                    ),
                ))
            }
            None => {
                return Err((
                    expected,
                    format!(
                        "line {}: {} names a tag, which anyone who can push may move again",
                        s.from.line,
                        s.from.show("FROM")
                    ),
                ))
            }
        }
    }
    if seen.is_empty() {
        return Err((expected, "no FROM pulls an image".into()));
    }
    Ok(format!("pinned: {}", seen.join(", ")))
}

pub(super) fn from_pinned(stages: &[StageView]) -> RuleResult {
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

pub(super) fn multi_stage(stages: &[StageView]) -> RuleResult {
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

pub(super) fn stage_label(stages: &[StageView], i: usize) -> String {
    match &stages[i].name {
        Some(n) => format!("`{n}`"),
        None => format!("{i}"),
    }
}

/// The stages the final image is made of: the last one, then the stage it is built on, and so on.
pub(super) fn final_chain(stages: &[StageView]) -> Vec<usize> {
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

pub(super) fn non_root_user(stages: &[StageView]) -> RuleResult {
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

pub(super) fn exec_form(stages: &[StageView]) -> RuleResult {
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
