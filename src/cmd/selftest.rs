//! `dockdojo self-test`: prove every exercise both ways. In a fresh temporary workspace per case:
//! the starter must fail, the solution must pass, and each mutant must fail with its named check
//! being the first to fail (and the message containing `message_contains`). Ends with the line
//! `N passed, M failed`. A case whose target check the runtime cannot do (Podman without
//! healthchecks…) is listed as `unsup` and counted apart, before that line: neither passed nor
//! failed.
//!
//! Live exercises run `solve.sh` / `attempt.sh`, which create containers by the names the task
//! gives (unlabelled, as a learner's would be). Self-test refuses to start a case if any of those
//! names already exist, so everything by those names afterwards was made by the case, and removes
//! exactly those names.

mod live;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use checker::docker::{Engine, Runtime};
use checker::spec::Mode;
use checker::{run_exercise, Report, RunOptions};
use futures_util::StreamExt;

use crate::catalog::{self, Entry};
use crate::exit::{CmdResult, Exit, Fail};
use crate::interrupt::guarded;
use live::{existing_names, release_stale_kept, remove_names, run_script, Kept, Ran};

/// One case of an exercise.
enum Case<'a> {
    Starter,
    Solution,
    /// Another valid way to do the task (`solutions/<name>/`): must pass too.
    Variant(&'a str, &'static include_dir::Dir<'static>),
    Mutant(&'a catalog::Mutant),
}

impl Case<'_> {
    fn name(&self) -> String {
        match self {
            Case::Starter => "starter fails".into(),
            Case::Solution => "solution passes".into(),
            Case::Variant(name, _) => format!("solution variant {name} passes"),
            Case::Mutant(m) => format!("mutant {} fails on {}", m.name, m.expect.check),
        }
    }
}

pub async fn run(ids: Vec<String>, verbose: bool, jobs: Option<usize>) -> CmdResult {
    let entries = catalog::load()?;
    let targets: Vec<&Entry> = if ids.is_empty() {
        entries.iter().collect()
    } else {
        ids.iter()
            .map(|i| catalog::find(&entries, i))
            .collect::<Result<_, _>>()
            .map_err(Fail::usage)?
    };
    // The longest first, so the last to finish is a short one and the cores stay busy.
    let mut targets = targets;
    targets.sort_by_key(|e| std::cmp::Reverse(cost(e)));
    let engine = super::connect().await?;
    let measures = Measures::of(&engine).await;
    let jobs = jobs.unwrap_or_else(|| default_jobs(engine.runtime, &engine.server_version));
    release_stale_kept(&engine).await;
    // From here a Ctrl-C is never lost: whatever case is in flight (a set-up script, a check)
    // stops, its names are removed, and no further case starts.
    crate::interrupt::listen();
    let started = Instant::now();
    let mut passed = 0;
    let (mut failed, mut unsupported) = (Vec::new(), Vec::new());
    let mut interrupted = None;
    // Exercises run side by side (their names and ports never clash); each prints its block when
    // it is done.
    // A case that cannot be run (the daemon failed us) ends the self-test, but only once the
    // exercises in flight have finished their case and removed their names: dropping them
    // mid-case would leave a scenario's registry or a stack running. No further case starts.
    let stop = AtomicBool::new(false);
    let mut error = None;
    let mut results = futures_util::stream::iter(targets)
        .map(|e| prove(&engine, e, verbose, measures, &stop))
        .buffer_unordered(jobs.max(1));
    while let Some(r) = results.next().await {
        let r = match r {
            Ok(r) => r,
            Err(f) => {
                stop.store(true, Ordering::SeqCst);
                error.get_or_insert(f);
                continue;
            }
        };
        print!("{}", r.text);
        passed += r.passed;
        failed.extend(r.failed);
        unsupported.extend(r.unsupported);
        // The other exercises in flight see the same signal: let them clean up too.
        if let Some(x) = r.interrupted {
            interrupted.get_or_insert(x);
        }
    }
    drop(results);
    if let Some(f) = error {
        return Err(f);
    }
    if let Some(x) = interrupted {
        eprintln!("self-test interrupted: no further case was started.");
        return Ok(x);
    }
    println!("self-test took {:.1} s", started.elapsed().as_secs_f64());
    if !unsupported.is_empty() {
        println!(
            "{} case(s) unsupported on this runtime ({}): {}",
            unsupported.len(),
            runtime_name(&engine),
            unsupported.join(", ")
        );
    }
    // The failures again, last, where a long run's end shows them.
    if !failed.is_empty() {
        println!("{} case(s) did not behave as expected:", failed.len());
        for f in &failed {
            println!("  {f}");
        }
    }
    println!("{passed} passed, {} failed", failed.len());
    Ok(if failed.is_empty() {
        Exit::Ok
    } else {
        Exit::Failed
    })
}

/// Exercises proven side by side unless `--jobs` says. A case mostly waits on the daemon
/// (containers starting, probes, stop timeouts): on Engine 20.10 six keep two cores busy. Three
/// where builds side by side misjudge each other's cache: Podman 4.3's builder loses cached layers
/// when another case removes images during its build (buildah#5674), and on Engine 26 at six,
/// rebuild checks saw an unchanged `WORKDIR` step run again while other exercises built on the
/// same base (BuildKit re-runs a step whose base a concurrent build holds, moby/buildkit#4674).
fn default_jobs(runtime: Runtime, server_version: &str) -> usize {
    let major = server_version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match (runtime, major) {
        (Runtime::Docker, Some(m)) if m < 23 => 6,
        _ => 3,
    }
}

/// A rough cost of proving an exercise, for scheduling: its cases, each weighed by what its
/// checks wait for ([`checker::checks::Kind::weight`]) and, in a scenario, the set-up it runs.
/// A Compose exercise's cases bring a project up and take it down: measured on Engine 20.10, a
/// case of 09-compose-services costs ten times one of 00-first-container, and when it started
/// last, the whole course waited for it.
fn cost(e: &Entry) -> u32 {
    use checker::spec::Mode;
    let cases = 2 + e.variants().len() + e.mutants().map_or(0, |m| m.len());
    let scenario = if matches!(e.spec.mode, Mode::Scenario) {
        10
    } else {
        0
    };
    let each = 10
        + scenario
        + e.spec
            .checks
            .iter()
            .map(|c| c.kind.kind().weight())
            .sum::<u32>();
    cases as u32 * each
}

/// One exercise's cases: their printed lines and counts.
struct Proof {
    text: String,
    passed: usize,
    /// `<exercise> <case>: <why>` for each case that did not behave as expected.
    failed: Vec<String>,
    /// `<exercise> <case>` for each case the runtime cannot prove.
    unsupported: Vec<String>,
    interrupted: Option<Exit>,
}

/// "Docker" or "Podman", as a case that cannot be proven here names it.
fn runtime_kind(engine: &Engine) -> &'static str {
    match engine.runtime {
        Runtime::Docker => "Docker",
        Runtime::Podman => "Podman",
    }
}

fn runtime_name(engine: &Engine) -> String {
    match engine.runtime {
        Runtime::Docker => format!("Docker {}", engine.server_version),
        Runtime::Podman => format!("Podman {}", engine.server_version),
    }
}

/// Who measures what a mutant's message may quote (an image's size, an exit code): the runtime,
/// and for Docker its image store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measures {
    Docker,
    /// Docker with the containerd image store (`"containerd-snapshotter"`, Docker Desktop's
    /// default for new installs).
    DockerContainerdStore,
    Podman,
}

impl Measures {
    async fn of(engine: &Engine) -> Measures {
        match engine.runtime {
            Runtime::Podman => Measures::Podman,
            Runtime::Docker => {
                // `docker info` names the containerd store's snapshotter in the driver status.
                let containerd = engine.docker.info().await.is_ok_and(|i| {
                    i.driver_status
                        .unwrap_or_default()
                        .iter()
                        .flatten()
                        .any(|v| v.starts_with("io.containerd.snapshotter"))
                });
                if containerd {
                    Measures::DockerContainerdStore
                } else {
                    Measures::Docker
                }
            }
        }
    }
}

async fn prove(
    engine: &Engine,
    e: &Entry,
    verbose: bool,
    measures: Measures,
    stop: &AtomicBool,
) -> Result<Proof, Fail> {
    // Whatever way the cases end, the images kept between them go.
    let mut kept = Kept::new(e.id());
    let proof = prove_cases(engine, e, verbose, measures, stop, &mut kept).await;
    kept.release(engine).await;
    proof
}

async fn prove_cases(
    engine: &Engine,
    e: &Entry,
    verbose: bool,
    measures: Measures,
    stop: &AtomicBool,
    kept: &mut Kept,
) -> Result<Proof, Fail> {
    let mut p = Proof {
        text: format!("{} — {}\n", e.id(), e.spec.title),
        passed: 0,
        failed: Vec::new(),
        unsupported: Vec::new(),
        interrupted: None,
    };
    let mutants = e.mutants()?;
    let variants = e.variants();
    let mut cases = vec![Case::Starter, Case::Solution];
    cases.extend(variants.iter().map(|(n, d)| Case::Variant(n, d)));
    cases.extend(mutants.iter().map(Case::Mutant));
    if mutants.len() < 2 {
        let why = format!(
            "an exercise needs at least two mutants (has {})",
            mutants.len()
        );
        p.text.push_str(&format!("  FAIL {why}\n"));
        p.failed.push(format!("{} {why}", e.id()));
    }
    for case in cases {
        if crate::interrupt::is_interrupted() {
            p.interrupted = Some(Exit::Interrupted);
            return Ok(p);
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(p);
        }
        let t = Instant::now();
        let mut outcome = run_case(&engine.fork_session(), e, &case, measures, kept).await;
        let mut retried = "";
        if engine.runtime == Runtime::Podman && (layer_race(&outcome) || refused(&outcome)) {
            outcome = run_case(&engine.fork_session(), e, &case, measures, kept).await;
            retried = "; run again after Podman's storage race";
        } else if engine.runtime == Runtime::Docker && docker_image_race(&outcome) {
            outcome = run_case(&engine.fork_session(), e, &case, measures, kept).await;
            retried = "; run again after the engine's image store race";
        }
        let secs = t.elapsed().as_secs_f64();
        match outcome {
            Ok(Ok(Proven::Yes(detail))) => {
                p.passed += 1;
                p.text.push_str(&format!(
                    "  ok   {} ({detail}{retried}, {secs:.1} s)\n",
                    case.name()
                ));
            }
            Ok(Ok(Proven::Unsupported(why))) => {
                p.unsupported.push(format!("{} {}", e.id(), case.name()));
                p.text
                    .push_str(&format!("  unsup {} ({why}, {secs:.1} s)\n", case.name()));
            }
            Ok(Err((why, report))) => {
                p.text
                    .push_str(&format!("  FAIL {}: {why} ({secs:.1} s)\n", case.name()));
                p.failed.push(format!("{} {}: {why}", e.id(), case.name()));
                if let (true, Some(r)) = (verbose, report) {
                    p.text.push_str(&crate::output::render_report(
                        &r,
                        &e.spec.title,
                        &crate::output::Style::stdout(),
                    ));
                }
            }
            Err(CaseError::Interrupted(x)) => {
                p.interrupted = Some(x);
                return Ok(p);
            }
            Err(CaseError::Fail(f) | CaseError::Refused(f)) => return Err(f),
        }
    }
    Ok(p)
}

/// A case that ended because the daemon refused a request (a case's error ends the whole
/// self-test). On Podman, side by side cases race in its image store: an image list that meets
/// an image another case is removing ("reading data blob size … size is not known"), a tag that
/// still names an image another removal took ("image not known"). The checker reads the forms
/// it knows again; a case that meets another one is run once more before the self-test stops.
fn refused(outcome: &Result<CaseOutcome, CaseError>) -> bool {
    matches!(outcome, Err(CaseError::Refused(_)))
}

/// The daemon refused a request: one of the checks' own, or one of the cleanup's (which the
/// engine reports after the checks ran).
fn is_refusal(x: &checker::EnvError) -> bool {
    matches!(x, checker::EnvError::Daemon { .. }) || x.to_string().contains("Docker refused '")
}

/// A case that failed only because Podman's builder lost a layer it was looking at while another
/// case removed an image ("checking if cached image exists from a previous build: getting top
/// layer info: layer not known", buildah#5674, fixed in later releases than Podman 4.3 ships), or
/// ran a build step on a layer that went from under it ("building at STEP \"RUN …\": while
/// running runtime: exit status 1"; the service logs "image not known … may be corrupted" at
/// that moment, and the same case passes alone), or started a build whose base image went from
/// under it ("creating build container: initializing source docker://…", 10-moved-tag in CI,
/// the base pinned by digest). Cases run side by side, so one removes images
/// while another builds; a learner's single run does not. Such a case is run once more: one that
/// is really wrong fails again.
fn layer_race(outcome: &Result<CaseOutcome, CaseError>) -> bool {
    let race = |s: &str| {
        s.contains("layer not known")
            || (s.contains("building at STEP \"RUN ") && s.contains("while running runtime"))
            // The base image went from under the build: it goes to the registry for it.
            || s.contains("creating build container: initializing source docker://")
    };
    failed_saying(outcome, race)
}

/// A case that failed, where its reason or one of its checks' findings says what `said` looks
/// for.
fn failed_saying(outcome: &Result<CaseOutcome, CaseError>, said: impl Fn(&str) -> bool) -> bool {
    match outcome {
        Ok(Err((why, report))) => {
            said(why)
                || report
                    .iter()
                    .flat_map(|r| &r.checks)
                    .any(|c| said(&c.actual))
        }
        _ => false,
    }
}

/// A case that failed only because another case removed images while its build ran, in one of
/// the two forms Docker shows:
/// - the classic builder, looking for a cached step, read the base image's children while
///   another case removed one of them: it gives up with `unable to find image "sha256:…"` (the
///   image it had just listed). Every child of a shared base such as busybox is looked at,
///   whichever exercise built it (10-moved-tag's setup on Engine 20.10 in CI);
/// - BuildKit on the containerd image store unpacks the image it exported onto snapshots that
///   other images share: `exporting to image` then fails with "failed to prepare extraction
///   snapshot" when another case's removal takes a parent away (03-cache-order's solution on
///   Engine 26 in CI).
///
/// Cases run side by side, so one removes images while another builds; a learner's single run
/// does not. Such a case is run once more: one that is really wrong fails again.
fn docker_image_race(outcome: &Result<CaseOutcome, CaseError>) -> bool {
    let race = |s: &str| {
        s.contains("unable to find image \"sha256:")
            || s.contains("failed to prepare extraction snapshot")
    };
    failed_saying(outcome, race)
}

enum CaseError {
    Interrupted(Exit),
    Fail(Fail),
    /// The daemon refused one of the case's requests (its checks, or its cleanup).
    Refused(Fail),
}

/// A case that behaved as expected: proven, or not provable on this runtime.
enum Proven {
    Yes(String),
    Unsupported(String),
}

type CaseOutcome = Result<Proven, (String, Option<Report>)>;

async fn run_case(
    engine: &Engine,
    e: &Entry,
    case: &Case<'_>,
    measures: Measures,
    kept: &mut Kept,
) -> Result<CaseOutcome, CaseError> {
    let live = e.spec.live.clone();
    if let Some(clash) = existing_names(engine, &live)
        .await
        .map_err(|x| CaseError::Fail(Fail::env(x)))?
    {
        return Ok(Err((
            format!("{clash} already exists and was not made by this self-test; remove it or run self-test where it does not exist"),
            None,
        )));
    }
    let result = case_body(engine, e, case, measures).await;
    remove_names(engine, &live, kept).await;
    if matches!(result, Err(CaseError::Interrupted(_))) {
        // A docker command the interrupt killed can still finish on the daemon a moment later
        // (a build commits and tags its image): look again for a while.
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if let Ok(Some(_)) = existing_names(engine, &live).await {
                remove_names(engine, &live, kept).await;
            }
        }
    }
    result
}

async fn case_body(
    engine: &Engine,
    e: &Entry,
    case: &Case<'_>,
    measures: Measures,
) -> Result<CaseOutcome, CaseError> {
    let tmp = tempfile::tempdir().map_err(|x| CaseError::Fail(Fail::env(x)))?;
    let dir = tmp.path().join(e.id());
    std::fs::create_dir_all(&dir).map_err(|x| CaseError::Fail(Fail::env(x)))?;
    let overlay = |d: &'static include_dir::Dir<'static>| -> Result<(), CaseError> {
        catalog::extract(d, d.path(), &dir).map_err(|x| CaseError::Fail(Fail::env(x)))?;
        let _ = std::fs::remove_file(dir.join("expect.toml"));
        Ok(())
    };
    if let Some(s) = e.sub("starter") {
        overlay(s)?;
    }
    // As a learner: the starter files, then the scenario's setup, then the attempt.
    if e.spec.mode == Mode::Scenario {
        if let Some(setup) = e.dir.get_file(format!("{}/setup.sh", e.id())) {
            std::fs::write(dir.join(".setup.sh"), setup.contents())
                .map_err(|x| CaseError::Fail(Fail::env(x)))?;
            match run_script(&dir, ".setup.sh").await? {
                Ran::Ok => {}
                Ran::CannotHere(why) => {
                    return Ok(Ok(Proven::Unsupported(format!(
                        "unsupported on this runtime: {}: setup.sh: {why}",
                        runtime_kind(engine)
                    ))))
                }
                Ran::Failed(why) => return Ok(Err((format!("setup.sh failed: {why}"), None))),
            }
        }
    }
    let script = match case {
        Case::Starter => None,
        Case::Solution => {
            let s = e.sub("solution").ok_or_else(|| {
                CaseError::Fail(Fail::usage(anyhow::anyhow!("{} has no solution/", e.id())))
            })?;
            overlay(s)?;
            Some("solve.sh")
        }
        Case::Variant(_, d) => {
            overlay(d)?;
            Some("solve.sh")
        }
        Case::Mutant(m) => {
            overlay(m.dir)?;
            Some("attempt.sh")
        }
    };
    if let Some(s) = script.filter(|s| dir.join(s).is_file()) {
        match run_script(&dir, s).await? {
            Ran::Ok => {}
            Ran::CannotHere(why) => {
                return Ok(Ok(Proven::Unsupported(format!(
                    "unsupported on this runtime: {}: {s}: {why}",
                    runtime_kind(engine)
                ))))
            }
            Ran::Failed(why) => return Ok(Err((format!("{s} failed: {why}"), None))),
        }
    }
    // A starter or a mutant is proven by its first failure: the checks after it would only
    // cost time (a solution runs them all).
    let opts = RunOptions {
        dir: dir.clone(),
        stop_at_first_failure: matches!(case, Case::Starter | Case::Mutant(_)),
    };
    let (eng, spec) = (engine.clone(), e.spec.clone());
    let report = match guarded(
        engine,
        async move { run_exercise(&eng, &spec, &opts).await },
    )
    .await
    {
        Ok(Ok(r)) => r,
        // A step only BuildKit builds, where there is none (Podman): not provable here.
        Ok(Err(x @ checker::EnvError::NoBuildKit { .. })) => {
            return Ok(Ok(Proven::Unsupported(format!(
                "unsupported on this runtime: {}: {}",
                runtime_kind(engine),
                one_line(&x.to_string())
            ))));
        }
        Ok(Err(x)) => {
            return Err(if is_refusal(&x) {
                CaseError::Refused(Fail::env(x))
            } else {
                CaseError::Fail(Fail::env(x))
            });
        }
        Err(x) => return Err(CaseError::Interrupted(x)),
    };
    Ok(judge(case, report, measures))
}

fn judge(case: &Case<'_>, report: Report, measures: Measures) -> CaseOutcome {
    // A check that could not look proves nothing either way: the case misbehaved.
    if let Some(e) = report
        .checks
        .iter()
        .find(|c| c.status() == checker::report::Status::Error)
    {
        return Err((
            format!("check '{}' {}", e.id, one_line(&e.actual)),
            Some(report),
        ));
    }
    let first = report.first_failure().cloned();
    let unsupported: Vec<&checker::CheckResult> = report
        .checks
        .iter()
        .filter(|c| c.status() == checker::report::Status::Unsupported)
        .collect();
    let unsupported_note = || match unsupported.as_slice() {
        [] => String::new(),
        u => format!(
            "; unsupported here: {}",
            u.iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    match case {
        Case::Starter => match first {
            Some(f) => Ok(Proven::Yes(format!("first failure: {}", f.id))),
            None if !unsupported.is_empty() => Ok(Proven::Unsupported(format!(
                "only unsupported checks could fail it: {}",
                one_line(&unsupported[0].actual)
            ))),
            None => Err((
                "the starter passes every check: the exercise asks nothing".into(),
                Some(report),
            )),
        },
        Case::Solution | Case::Variant(..) => match first {
            None => Ok(Proven::Yes(format!(
                "{} checks{}",
                report.checks.len(),
                unsupported_note()
            ))),
            Some(f) => Err((
                format!("check '{}' failed: {}", f.id, one_line(&f.actual)),
                Some(report),
            )),
        },
        Case::Mutant(m) => match first {
            // The check this mutant targets cannot run here: it proves nothing either way.
            _ if unsupported.iter().any(|c| c.id == m.expect.check) => {
                Ok(Proven::Unsupported(format!(
                    "'{}' {}",
                    m.expect.check,
                    one_line(
                        &unsupported
                            .iter()
                            .find(|c| c.id == m.expect.check)
                            .map(|c| c.actual.clone())
                            .unwrap_or_default()
                    )
                )))
            }
            None => Err((
                "the mutant passes every check: no check catches it".into(),
                Some(report),
            )),
            Some(f) if f.id != m.expect.check => Err((
                format!(
                    "the first failing check is '{}', not '{}': {}",
                    f.id,
                    m.expect.check,
                    one_line(&f.actual)
                ),
                Some(report),
            )),
            Some(f) => {
                let text = format!("{}\n{}\n{}", f.expected, f.actual, f.hint);
                let instead = match measures {
                    Measures::Podman => m.expect.message_contains_podman.as_ref(),
                    Measures::DockerContainerdStore => {
                        m.expect.message_contains_containerd.as_ref()
                    }
                    Measures::Docker => None,
                };
                let want = instead.or(m.expect.message_contains.as_ref());
                match want {
                    Some(want) if !text.contains(want.as_str()) => Err((
                        format!(
                            "'{}' failed, but its message lacks \"{want}\"; it said:\n{}",
                            f.id,
                            indented(&f.actual)
                        ),
                        Some(report),
                    )),
                    _ => Ok(Proven::Yes(format!("'{}': {}", f.id, one_line(&f.actual)))),
                }
            }
        },
    }
}

/// A whole message, each line indented under the case it belongs to (for a case whose message
/// is what went wrong: the first line alone may not show what is missing).
fn indented(s: &str) -> String {
    s.lines()
        .map(|l| format!("      {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn one_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    if l.chars().count() > 100 {
        format!("{}…", l.chars().take(100).collect::<String>())
    } else {
        l.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The costliest exercises start first, so that none of them is still running when the rest
    /// of the course is done: by measure (Engine 20.10, six at a time) the capstone (148 s over
    /// its 20 cases) and 09-compose-services, then the registry scenarios and the health waits;
    /// an exercise of inspections (under 10 s) comes late.
    #[test]
    fn the_longest_exercises_are_started_first() {
        let entries = catalog::load().unwrap();
        let mut order: Vec<&Entry> = entries.iter().collect();
        order.sort_by_key(|e| std::cmp::Reverse(cost(e)));
        let ids: Vec<&str> = order.iter().map(|e| e.id()).collect();
        // The two that run one case at a time, in whichever order their cases weigh.
        let mut longest = ids[..2].to_vec();
        longest.sort();
        assert_eq!(
            longest,
            ["09-compose-services", "14-capstone-review"],
            "{ids:?}"
        );
        let first_third = &ids[..ids.len() / 3];
        for id in [
            "09-ship-rollback",
            "11-healthcheck",
            "10-moved-tag",
            "09-compose-stack",
        ] {
            assert!(first_third.contains(&id), "{id} not among {first_third:?}");
        }
        let last_half = &ids[ids.len() / 2..];
        for id in [
            "00-first-container",
            "03-image-labels",
            "05-named-volume",
            "10-pin-base",
        ] {
            assert!(last_half.contains(&id), "{id} not among {last_half:?}");
        }
    }

    #[test]
    fn six_jobs_only_where_builds_side_by_side_keep_their_cache() {
        assert_eq!(default_jobs(Runtime::Docker, "20.10.24+dfsg1"), 6);
        assert_eq!(default_jobs(Runtime::Docker, "26.1.5+dfsg1"), 3);
        assert_eq!(default_jobs(Runtime::Docker, "something else"), 3);
        assert_eq!(default_jobs(Runtime::Podman, "4.3.1"), 3);
    }

    #[test]
    fn only_podmans_lost_layer_is_run_again() {
        let failed = |why: &str| -> Result<CaseOutcome, CaseError> { Ok(Err((why.into(), None))) };
        assert!(layer_race(&failed(
            "setup.sh failed: exit 1: STEP 2/3: COPY www/ /www/ | checking if cached image \
             exists from a previous build: getting top layer info: layer not known"
        )));
        assert!(layer_race(&failed(
            "the first failing check is 'builds', not 'cache': the build failed with the \
             classic builder: building at STEP \"RUN /app/install-deps.sh\": while running \
             runtime: exit status 1"
        )));
        assert!(layer_race(&failed(
            "the first failing check is 'builds', not 'runs': the build failed with the classic \
             builder: creating build container: initializing source \
             docker://127.0.0.1:18100/dojo-base@sha256:1111"
        )));
        assert!(!layer_race(&failed("check 'pushed' failed: no tag 2.0")));
        assert!(!layer_race(&failed(
            "the first failing check is 'runs', not 'cache': exit code 1: the program reported \
             an error"
        )));
        assert!(!layer_race(&Ok(Ok(Proven::Yes("3 checks".into())))));
    }

    #[test]
    fn only_the_engines_image_store_races_are_run_again() {
        let failed = |why: &str| -> Result<CaseOutcome, CaseError> { Ok(Err((why.into(), None))) };
        assert!(docker_image_race(&failed(
            "setup.sh failed: exit 1: Step 1/2 : FROM busybox:1.36.1 |  ---> dc92a37934a9 | \
             Step 2/2 : COPY libssl-version /etc/libssl-version | unable to find image \
             \"sha256:d7cd6ecd0a8ac3fedca4a441705851d2ba82def8b06b4c0dc3c578e648ff1ff5\""
        )));
        assert!(docker_image_race(&failed(
            "check 'builds' failed: the build failed with BuildKit: `exporting to image` \
             failed: failed to prepare extraction snapshot \"extract-1-sha256:aa\": parent \
             snapshot sha256:bb does not exist: not found"
        )));
        // A learner's missing base is a wrong answer, not a race.
        assert!(!docker_image_race(&failed(
            "check 'builds' failed: pull access denied for dojo-nothere, repository does not \
             exist"
        )));
        assert!(!docker_image_race(&failed(
            "check 'runs' failed: Unable to find image 'dojo-app:1.0' locally"
        )));
        assert!(!docker_image_race(&Ok(Ok(Proven::Yes("3 checks".into())))));
    }

    #[test]
    fn only_a_refused_request_is_run_again() {
        let listed = checker::EnvError::Daemon {
            what: "list images".into(),
            detail: "reading data blob size: size is not known".into(),
        };
        assert!(is_refusal(&listed));
        let cleanup = checker::EnvError::Other(
            "the checks ran, but cleanup failed: image dockdojo-check/03-cache-order:4864eefc-app: \
             Docker refused 'remove image': failed to find image sha256:2061: image not known"
                .into(),
        );
        assert!(is_refusal(&cleanup));
        let slow = checker::EnvError::Deadline {
            what: "list images".into(),
            deadline: std::time::Duration::from_secs(15),
        };
        assert!(!is_refusal(&slow));
        let refused_case: Result<CaseOutcome, CaseError> =
            Err(CaseError::Refused(Fail::env(anyhow::anyhow!("refused"))));
        assert!(refused(&refused_case));
        let other: Result<CaseOutcome, CaseError> =
            Err(CaseError::Fail(Fail::env(anyhow::anyhow!("disk full"))));
        assert!(!refused(&other));
        assert!(!refused(&Ok(Ok(Proven::Yes("3 checks".into())))));
    }
}
