//! Running an exercise's checks in order against the daemon and collecting a [`Report`].
//! A check that fails is a result; an `Err` means the run could not check at all (exit 3).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::checks;
use crate::checks::{Check, CheckKind};
use crate::docker::Engine;
use crate::error::EnvError;
use crate::report::{CheckResult, Report, Status};
use crate::spec::Exercise;

pub use crate::checks::{BuiltImage, Ctx, Verdict};
pub use crate::docker::probe::PROBE_IMAGE;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The exercise folder in the learner's workspace.
    pub dir: PathBuf,
    /// Run no check after the first failure (the rest are reported not run): for `self-test`'s
    /// starter and mutant cases, which are proven by their first failure alone. A learner's
    /// `check` always runs every check it can.
    pub stop_at_first_failure: bool,
}

/// The handle a check needs that an earlier failed check did not produce.
fn missing_dependency(ctx: &Ctx<'_>, check: &Check) -> Option<String> {
    let image = |h: &str| {
        (!ctx.images.contains_key(h)).then(|| "the image the build above makes".to_string())
    };
    let run_handle = |h: &str| {
        let is_handle = ctx
            .checks
            .iter()
            .any(|c| c.kind.kind().makes().container == Some(h));
        if is_handle {
            (!ctx.containers.contains_key(h))
                .then(|| "the container an earlier check starts".to_string())
        } else {
            ctx.absent
                .contains(h)
                .then(|| format!("the container {h}, which does not exist"))
        }
    };
    let needs = check.kind.kind().needs();
    needs
        .image
        .and_then(image)
        .or_else(|| needs.container.and_then(run_handle))
        .or_else(|| {
            needs
                .image_or_reference
                .filter(|i| ctx.is_handle(i))
                .and_then(image)
        })
        .or_else(|| {
            needs.network.and_then(|n| {
                ctx.absent
                    .contains(&format!("network {n}"))
                    .then(|| format!("the network {n}, which does not exist"))
            })
        })
}

/// Run every check of `exercise` and clean up what the run created, whatever happens.
pub async fn run_exercise(
    engine: &Engine,
    exercise: &Exercise,
    opts: &RunOptions,
) -> Result<Report, EnvError> {
    run_exercise_then(engine, exercise, opts, |_| {}).await
}

/// [`run_exercise`], telling `verdict` the report as soon as the checks have run, before the
/// cleanup (which may still fail, and then the result is that error). Nothing is lost by showing
/// it early: whatever a crash during cleanup leaves is labelled, and the next start sweeps it.
pub async fn run_exercise_then(
    engine: &Engine,
    exercise: &Exercise,
    opts: &RunOptions,
    verdict: impl FnOnce(&Report),
) -> Result<Report, EnvError> {
    run_exercise_watched(engine, exercise, opts, |_| {}, verdict).await
}

/// [`run_exercise_then`], also telling `each` every check's result the moment it is known, in
/// the report's order (the app turns checks green one by one).
pub async fn run_exercise_watched(
    engine: &Engine,
    exercise: &Exercise,
    opts: &RunOptions,
    mut each: impl FnMut(&CheckResult) + Send,
    verdict: impl FnOnce(&Report),
) -> Result<Report, EnvError> {
    let started = Instant::now();
    let mut ctx = Ctx {
        engine,
        exercise: &exercise.id,
        checks: &exercise.checks,
        dir: opts.dir.clone(),
        images: HashMap::new(),
        containers: HashMap::new(),
        fresh_layers: Vec::new(),
        absent: Default::default(),
        shared: Default::default(),
    };
    let result = run_checks(exercise, &mut ctx, opts.stop_at_first_failure, &mut each).await;
    if let Ok(results) = &result {
        verdict(&report(exercise, results.clone(), started));
    }
    let cleaned = engine.cleanup_session().await;
    // After the tagged images are gone, the stage layers they did not keep alive can go too.
    let layers = std::mem::take(&mut ctx.fresh_layers);
    crate::docker::build::remove_untagged(
        &crate::docker::build::Site {
            engine,
            dir: &ctx.dir,
        },
        &layers,
    )
    .await;
    let results = match result {
        Ok(r) => r,
        // The daemon went away mid-run: say so, and that what is left is not lost track of.
        Err(e) if !cleaned.failed.is_empty() => {
            return Err(EnvError::Other(format!(
                "{e}\nCleanup could not finish either ({}). Everything this run created is \
                 labelled with its session: the next dockdojo run removes it, or run `dockdojo \
                 clean` once Docker answers again.",
                cleaned.failed.join("; ")
            )))
        }
        Err(e) => return Err(e),
    };
    if !cleaned.failed.is_empty() {
        return Err(EnvError::Other(format!(
            "the checks ran, but cleanup failed: {}\nRun `dockdojo clean` to retry (the next \
             dockdojo run also removes what is left).",
            cleaned.failed.join("; ")
        )));
    }
    Ok(report(exercise, results, started))
}

fn report(exercise: &Exercise, results: Vec<CheckResult>, started: Instant) -> Report {
    Report {
        exercise: exercise.id.clone(),
        passed: results.iter().all(|r| r.passed || r.unsupported),
        duration_ms: started.elapsed().as_millis() as u64,
        checks: results,
    }
}

/// The Dockerfile slips of a build exercise (`dockerfile::slips`), said once, with its first
/// failure.
fn dockerfile_slips(ctx: &Ctx<'_>) -> Vec<String> {
    let Some(b) = ctx.checks.iter().find_map(|c| match &c.kind {
        CheckKind::Build(b) => Some(b),
        _ => None,
    }) else {
        return Vec::new();
    };
    let (root, dockerfile) = b.paths(&ctx.dir);
    match std::fs::read_to_string(dockerfile) {
        Ok(text) => crate::dockerfile::slips(&text, &root),
        Err(_) => Vec::new(),
    }
}

/// A check that did not run, and why.
fn not_run(exercise: &Exercise, check: &Check, actual: String, hint: &str) -> CheckResult {
    CheckResult {
        id: check.id.clone(),
        title: check.title.clone(),
        passed: false,
        expected: check.title.clone(),
        actual,
        hint: hint.into(),
        book: book_link(exercise, check),
        duration_ms: 0,
        skipped: true,
        unsupported: false,
        error: false,
    }
}

/// One result, to the watcher and into the report.
fn emit(out: &mut Vec<CheckResult>, each: &mut (dyn FnMut(&CheckResult) + Send), r: CheckResult) {
    each(&r);
    out.push(r);
}

async fn run_checks(
    exercise: &Exercise,
    ctx: &mut Ctx<'_>,
    stop_at_first_failure: bool,
    each: &mut (dyn FnMut(&CheckResult) + Send),
) -> Result<Vec<CheckResult>, EnvError> {
    let mut out = Vec::new();
    let mut slips_said = false;
    // A failed check that gates the rest (a diagnosis asked before the fix, a scenario's
    // situation gone): its title, and what the checks after it tell the learner.
    let mut gate: Option<(&str, &str)> = None;
    let n = exercise.checks.len();
    for (i, check) in exercise.checks.iter().enumerate() {
        crate::notice::progress(i + 1, n, &check.title);
        let t = Instant::now();
        if let Some((title, hint)) = gate {
            let actual = format!("not run yet: it runs once \"{title}\" passes");
            emit(&mut out, each, not_run(exercise, check, actual, hint));
            continue;
        }
        if stop_at_first_failure && out.iter().any(|r| r.status() == Status::Failed) {
            let actual = "not run: this run stops at the first failure".to_string();
            emit(&mut out, each, not_run(exercise, check, actual, ""));
            continue;
        }
        // Inspections are shared only across checks that read, back to back: a check that
        // changes something, asks the app, or waited (a container's state moves on meanwhile)
        // ends the sharing, whatever its verdict.
        let verdict = match missing_dependency(ctx, check) {
            Some(missing) => {
                let hint = "Fix the first failing check above; this one runs after it.";
                let actual = format!("not run: needs {missing}");
                emit(&mut out, each, not_run(exercise, check, actual, hint));
                continue;
            }
            None => match checks::run(ctx, check).await {
                Ok(v) => {
                    end_sharing(ctx, check, t);
                    v
                }
                // What this check could not read is its own error: the others still run.
                Err(e) if e.is_local() => {
                    ctx.forget_inspections();
                    emit(
                        &mut out,
                        each,
                        CheckResult {
                            id: check.id.clone(),
                            title: check.title.clone(),
                            passed: false,
                            expected: check.title.clone(),
                            actual: plain(&format!("could not check: {e}")),
                            hint: "This is not a verdict on your work: dockdojo could not look. \
                               Run the check again; if it repeats, `dockdojo doctor` looks at \
                               your Docker."
                                .into(),
                            book: book_link(exercise, check),
                            duration_ms: t.elapsed().as_millis() as u64,
                            skipped: false,
                            unsupported: false,
                            error: true,
                        },
                    );
                    continue;
                }
                Err(e) => return Err(e),
            },
        };
        if !verdict.passed && !verdict.unsupported && check.kind.kind().gates() {
            let hint = match check.kind {
                CheckKind::Answer(_) => {
                    "Answer the question above first: this check's result would give the answer away."
                }
                _ => "Fix the check above first: this one depends on it.",
            };
            gate = Some((&check.title, hint));
        }
        if !verdict.passed {
            match &check.kind {
                CheckKind::Container(c) => {
                    if let Some(name) = &c.container {
                        if verdict.actual == format!("there is no container named {name}") {
                            ctx.absent.insert(name.clone());
                        }
                    }
                }
                CheckKind::Network(n)
                    if verdict.actual == format!("there is no network named {}", n.network) =>
                {
                    ctx.absent.insert(format!("network {}", n.network));
                }
                _ => {}
            }
        }
        let mut advice = verdict.advice.clone();
        if !verdict.passed && !verdict.unsupported && !slips_said {
            slips_said = true;
            let slips = dockerfile_slips(ctx);
            if !slips.is_empty() {
                let said = format!("In your Dockerfile: {}", slips.join("\n"));
                advice = Some(match advice {
                    Some(a) => format!("{said}\n{a}"),
                    None => said,
                });
            }
        }
        let hint = match &advice {
            Some(a) if !verdict.passed => format!("{a}\n{}", check.hint),
            _ => check.hint.clone(),
        };
        emit(
            &mut out,
            each,
            CheckResult {
                id: check.id.clone(),
                title: check.title.clone(),
                passed: verdict.passed,
                expected: plain(&verdict.expected),
                actual: plain(&verdict.actual),
                hint: plain(&hint),
                book: book_link(exercise, check),
                duration_ms: t.elapsed().as_millis() as u64,
                skipped: false,
                unsupported: verdict.unsupported,
                error: false,
            },
        );
    }
    Ok(out)
}

/// After a check: its inspections stay shared with the next check only when it only read and
/// did not wait (a look takes milliseconds; 100 ms is a wait).
fn end_sharing(ctx: &Ctx<'_>, check: &Check, started: Instant) {
    if !check.kind.kind().reads_only() || started.elapsed() > Duration::from_millis(100) {
        ctx.forget_inspections();
    }
}

/// Text as a terminal should show it: colour and cursor escapes that builds and programs print
/// are removed, other control characters too (line breaks and tabs stay).
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\n' | '\t' => out.push(c),
            '\r' if chars.peek() == Some(&'\n') => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn book_link(ex: &Exercise, check: &Check) -> String {
    check.book.clone().unwrap_or_else(|| ex.book.clone())
}

#[cfg(test)]
mod plain_tests {
    use super::plain;

    #[test]
    fn escapes_and_controls_are_removed() {
        assert_eq!(
            plain("\u{1b}[91mERROR\u{1b}[0m: step 2\r\nnext\tcol"),
            "ERROR: step 2\nnext\tcol"
        );
        assert_eq!(plain("a\u{1b}]0;title\u{7}b\u{1b}]8;;x\u{1b}\\c"), "abc");
        assert_eq!(plain("bell\u{7} and \u{8}back"), "bell and back");
        assert_eq!(plain("plain ✓ text"), "plain ✓ text");
    }
}
