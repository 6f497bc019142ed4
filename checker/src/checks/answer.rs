//! The `answer` check: the learner's diagnosis, in words, before the fix. The learner writes it
//! with `dockdojo answer ID "…"` or by hand in `ANSWER.md` in the exercise folder; the check reads
//! that file and judges the text against the forms the spec accepts. No Docker.
//!
//! How text is compared: the answer and every form are cut into words (letters, digits and `_`;
//! a `.` between two digits stays inside a number), in any case. A form matches where its words
//! appear in a row in the answer, so `137` matches `**137**` and `code=137.` but not `1370`,
//! `OOM` matches `OOM-killed` but not `ZOOM`, and `out of memory` matches `Out of memory!`.

use crate::checks::Kind;
use crate::checks::{Ctx, Verdict};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

/// The file, in the exercise folder, that holds the learner's answer.
pub const ANSWER_FILE: &str = "ANSWER.md";

/// How many characters of the answer a result quotes.
const QUOTE_CHARS: usize = 160;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerCheck {
    /// The question, as the learner reads it (the check's Expected). Never shows what is
    /// accepted.
    pub question: String,
    /// One group of accepted forms: the answer passes when it names any one of them
    /// (`["137"]`, `["OOMKilled", "OOM", "out of memory"]`). Give this or `all`.
    #[serde(default)]
    pub accept: Vec<String>,
    /// Several groups, each like `accept`: the answer must name one form of every group
    /// (`[["1"], ["DATA_DIR"]]`: the exit code and the missing setting). Give this or `accept`.
    #[serde(default)]
    pub all: Vec<Vec<String>>,
    /// Forms that name a different answer (`["143"]` when the answer is `137`). An answer that
    /// names one fails, even beside an accepted form: it names two answers.
    #[serde(default)]
    pub reject: Vec<String>,
}

impl AnswerCheck {
    /// The groups that must all be matched: `accept` as one group, or `all`.
    pub fn groups(&self) -> Vec<&[String]> {
        if self.accept.is_empty() {
            self.all.iter().map(Vec::as_slice).collect()
        } else {
            vec![self.accept.as_slice()]
        }
    }
}

impl Kind for AnswerCheck {
    fn reads_only(&self) -> bool {
        true
    }
    /// What is wrong with the spec itself (for the exercise's validation), if anything.
    fn problem(&self) -> Option<String> {
        if self.question.trim().is_empty() {
            return Some("`question` is empty".into());
        }
        if self.accept.is_empty() == self.all.is_empty() {
            return Some("give exactly one of `accept` (one group) or `all` (groups)".into());
        }
        if self.all.iter().any(Vec::is_empty) {
            return Some("a group of `all` is empty".into());
        }
        let forms = self.groups().into_iter().flatten().chain(&self.reject);
        for f in forms {
            if words(f).is_empty() {
                return Some(format!("the form {f:?} has no word or number to look for"));
            }
        }
        for r in &self.reject {
            if self
                .groups()
                .into_iter()
                .flatten()
                .any(|a| words(a) == words(r))
            {
                return Some(format!("{r:?} is both accepted and rejected"));
            }
        }
        None
    }

    /// The checks after a diagnosis show what it asks (an exit code, OOMKilled, a log line):
    /// they run once the answer is right.
    fn gates(&self) -> bool {
        true
    }
}

/// The `answer` check: read `ANSWER.md` from the exercise folder and judge it. A missing file is
/// a failure that says how to answer; a file that cannot be read is an error, never a pass.
pub async fn check(ctx: &mut Ctx<'_>, spec: &AnswerCheck) -> Result<Verdict, EnvError> {
    let path = ctx.dir.join(ANSWER_FILE);
    let text = match std::fs::read(&path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(EnvError::Other(format!(
                "could not read {}: {e}",
                path.display()
            )))
        }
    };
    Ok(judge(text.as_deref(), spec, ctx.exercise))
}

/// The verdict on an answer (`None`: there is no `ANSWER.md`) for the exercise `id` (no I/O).
pub fn judge(answer: Option<&str>, spec: &AnswerCheck, id: &str) -> Verdict {
    let expected = spec.question.trim().to_string();
    let how = format!(
        "Answer in your own words with `dockdojo answer {id} \"…\"` (or write it in {ANSWER_FILE} \
         in the exercise folder), then check again."
    );
    let text = match answer {
        None => {
            return Verdict::fail(
                expected,
                format!("no answer yet: there is no {ANSWER_FILE} in the exercise folder"),
            )
            .advise(how)
        }
        Some(t) if words(t).is_empty() => {
            return Verdict::fail(expected, format!("no answer yet: {ANSWER_FILE} is empty"))
                .advise(how)
        }
        Some(t) => t,
    };
    let said = words(text);
    let quoted = quote(text);
    let groups = spec.groups();
    let found: Vec<Option<&String>> = groups
        .iter()
        .map(|g| g.iter().find(|f| contains(&said, &words(f))))
        .collect();
    let matched = found.iter().filter(|f| f.is_some()).count();
    if let Some(other) = spec.reject.iter().find(|r| affirms(&said, &words(r))) {
        if let Some(Some(right)) = found.iter().find(|f| f.is_some()) {
            return Verdict::fail(
                expected,
                format!("your answer names two answers, {right} and {other}: {quoted}"),
            )
            .advise("Say which one it is: keep the one you can show with Docker's own tools.");
        }
        return Verdict::fail(expected, format!("that is not what happened: {quoted}"));
    }
    if matched < groups.len() {
        let part = if groups.len() > 1 {
            format!(
                " (it answers {matched} of the {} things the question asks)",
                groups.len()
            )
        } else {
            String::new()
        };
        return Verdict::fail(expected, format!("not the answer yet{part}: {quoted}"));
    }
    Verdict::pass(expected, quoted)
}

/// The words of `text`, lowercased: runs of letters, digits and `_` (trimmed of `_`, which
/// markdown uses for emphasis), with a `.` between two digits kept (`1.5` is one number).
pub fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let inside_number = c == '.'
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() || c == '_' || inside_number {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|w| w.trim_matches('_').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words that, just before a form, say it is not the answer: "137, not 143", "a SIGTERM would
/// have been 143 instead", "exit code 1 (not 127)".
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "nor", "instead", "rather", "unlike", "than", "would", "isn", "wasn", "t",
];

/// Whether `form` appears in `said` other than right after a negation (within three words).
fn affirms(said: &[String], form: &[String]) -> bool {
    !form.is_empty()
        && said.windows(form.len()).enumerate().any(|(i, w)| {
            w == form
                && !said[i.saturating_sub(3)..i]
                    .iter()
                    .any(|x| NEGATIONS.contains(&x.as_str()))
                && !counts_something_else(said, i, form)
        })
}

/// Words just before a number that make it something other than an exit code: "Pid 0",
/// "layer 2", "line 3", "port 8080".
const COUNTED_AFTER: &[&str] = &[
    "pid",
    "layer",
    "layers",
    "step",
    "steps",
    "line",
    "lines",
    "port",
    "uid",
    "gid",
    "count",
    "restartcount",
    "attempt",
    "try",
    "version",
    "stage",
];

/// Words just after a number that make it a time, a size or a count: "2 minutes ago",
/// "after 2 seconds", "137 MB", "3 packages".
const COUNTED_BEFORE: &[&str] = &[
    "s",
    "sec",
    "secs",
    "second",
    "seconds",
    "ms",
    "min",
    "mins",
    "minute",
    "minutes",
    "h",
    "hour",
    "hours",
    "day",
    "days",
    "ago",
    "b",
    "kb",
    "mb",
    "gb",
    "k",
    "m",
    "g",
    "kib",
    "mib",
    "gib",
    "bytes",
    "byte",
    "times",
    "time",
    "layers",
    "layer",
    "lines",
    "steps",
    "requests",
    "packages",
    "files",
    "containers",
];

/// Is the number `form` at `i` in `said` a time, a size, a count or a name's number ("Exited (1)
/// 2 minutes ago", "Pid 0", "layer 2"), rather than a rival exit code? Only single numbers are.
fn counts_something_else(said: &[String], i: usize, form: &[String]) -> bool {
    let [n] = form else { return false };
    if !n.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let before = i.checked_sub(1).map(|j| said[j].as_str());
    let after = said.get(i + 1).map(String::as_str);
    before.is_some_and(|w| COUNTED_AFTER.contains(&w))
        || after.is_some_and(|w| COUNTED_BEFORE.contains(&w))
}

/// Whether `form` (its words) appears in a row in `said`.
fn contains(said: &[String], form: &[String]) -> bool {
    !form.is_empty() && said.windows(form.len()).any(|w| w == form)
}

/// The answer on one line, shortened, in quotes.
fn quote(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut q: String = one_line.chars().take(QUOTE_CHARS).collect();
    if one_line.chars().count() > QUOTE_CHARS {
        q.push('…');
    }
    format!("\"{q}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_that_count_something_else_are_no_rival_exit_codes() {
        let s = spec(
            &[],
            &[&["1"], &["DATA_DIR"]],
            &["0", "2", "125", "126", "127", "137", "143"],
        );
        for right in [
            "Exited (1) 2 minutes ago: the app says DATA_DIR is not set",
            "docker inspect: ExitCode 1, OOMKilled false, Pid 0. Logs: DATA_DIR is not set",
            "exit code 1; DATA_DIR env var not set (from layer 2 of docker history)",
            "It crashed with exit code 1 after 2 seconds; DATA_DIR missing",
        ] {
            let v = judge(Some(right), &s, "12-crash-debug");
            assert!(v.passed, "{right}: {}", v.actual);
        }
        for two in [
            "exit code 1 or maybe 2, DATA_DIR",
            "it exited with 137 and 1, DATA_DIR",
        ] {
            let v = judge(Some(two), &s, "12-crash-debug");
            assert!(!v.passed, "{two}");
            assert!(
                v.actual.contains("names two answers"),
                "{two}: {}",
                v.actual
            );
        }
    }

    fn spec(accept: &[&str], all: &[&[&str]], reject: &[&str]) -> AnswerCheck {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        AnswerCheck {
            question: "How did it end?".into(),
            accept: v(accept),
            all: all.iter().map(|g| v(g)).collect(),
            reject: v(reject),
        }
    }

    fn verdict(answer: &str, s: &AnswerCheck) -> Verdict {
        judge(Some(answer), s, "08-oom")
    }

    #[test]
    fn numbers_match_whole_tokens_only() {
        let s = spec(&["137"], &[], &[]);
        for ok in [
            "137",
            "exit code 137",
            "**137**",
            "`137`.",
            "code=137, OOM",
            "(137)",
            "Exited (137) 2 minutes ago",
        ] {
            assert!(verdict(ok, &s).passed, "{ok}");
        }
        for no in ["1370", "13.7", "1.37", "137.5", "x137", "exit code 13"] {
            let v = verdict(no, &s);
            assert!(!v.passed && v.actual.contains("not the answer"), "{no}");
        }
    }

    #[test]
    fn words_match_whole_words_in_any_case_through_markdown() {
        let s = spec(&["OOMKilled", "OOM", "out of memory"], &[], &[]);
        for ok in [
            "it was OOM-killed",
            "_OOMKilled_ was true",
            "the kernel's oom killer",
            "Out of memory!",
            "out-of-memory",
            "- **OOMKilled**: true",
        ] {
            assert!(verdict(ok, &s).passed, "{ok}");
        }
        for no in ["ZOOM", "it ran out of time", "memory out of"] {
            assert!(!verdict(no, &s).passed, "{no}");
        }
    }

    #[test]
    fn every_group_is_needed_and_the_failure_counts_them_without_giving_them_away() {
        let s = spec(&[], &[&["1"], &["DATA_DIR"]], &[]);
        assert!(verdict("exit code 1: `DATA_DIR` is not set", &s).passed);
        assert!(verdict("$DATA_DIR was missing, so it exited with 1.", &s).passed);
        let v = verdict("it exited with code 1", &s);
        assert!(!v.passed, "{}", v.actual);
        assert!(
            v.actual.contains("1 of the 2 things") && !v.actual.contains("DATA_DIR"),
            "{}",
            v.actual
        );
        assert_eq!(v.expected, "How did it end?");
    }

    #[test]
    fn a_rejected_form_fails_even_beside_the_right_one() {
        let s = spec(&["137"], &[], &["143"]);
        let v = verdict("137 or maybe 143", &s);
        assert!(!v.passed);
        assert!(
            v.actual.contains("names two answers, 137 and 143"),
            "{}",
            v.actual
        );
        let v = verdict("exit code 143 (SIGTERM)", &s);
        assert!(
            !v.passed && v.actual.contains("not what happened"),
            "{}",
            v.actual
        );
        assert!(verdict("137, not 1430", &s).passed);
        // A rejected form the answer itself sets aside is no second answer.
        for contrasted in [
            "137, not 143",
            "exit code 137, killed by the OOM killer; a SIGTERM would have been 143 instead",
            "It's 137 rather than 143.",
            "137 (it isn't 143)",
        ] {
            assert!(verdict(contrasted, &s).passed, "{contrasted}");
        }
        // The accepted form set aside does not help the rejected one.
        let v = verdict("143, not 137", &s);
        assert!(v.actual.contains("names two answers"), "{}", v.actual);
    }

    #[test]
    fn no_answer_fails_saying_how_to_answer() {
        let s = spec(&["137"], &[], &[]);
        for v in [judge(None, &s, "08-oom"), verdict("  \n*\n", &s)] {
            assert!(
                !v.passed && v.actual.starts_with("no answer yet"),
                "{}",
                v.actual
            );
            let advice = v.advice.unwrap_or_default();
            assert!(advice.contains("dockdojo answer 08-oom"), "{advice}");
        }
    }

    #[test]
    fn the_quote_is_one_short_line() {
        let s = spec(&["137"], &[], &[]);
        let long = format!("137\n\n{}", "because ".repeat(100));
        let v = verdict(&long, &s);
        assert!(v.passed && v.actual.ends_with("…\"") && !v.actual.contains('\n'));
        assert!(v.actual.chars().count() < QUOTE_CHARS + 5);
    }

    #[test]
    fn bad_specs_are_named() {
        assert!(spec(&["137"], &[], &["143"]).problem().is_none());
        assert!(spec(&[], &[], &[])
            .problem()
            .unwrap()
            .contains("exactly one"));
        assert!(spec(&["1"], &[&["2"]], &[])
            .problem()
            .unwrap()
            .contains("exactly one"));
        assert!(spec(&[], &[&["1"], &[]], &[])
            .problem()
            .unwrap()
            .contains("empty"));
        assert!(spec(&["--"], &[], &[])
            .problem()
            .unwrap()
            .contains("no word"));
        assert!(spec(&["137"], &[], &["**137**"])
            .problem()
            .unwrap()
            .contains("both accepted and rejected"));
    }
}
