//! The comparison: `dockdojo check ID --json` of a solved exercise (A) against the generated CLI
//! script (B, `translate.rs`) and the floor (F, `floor.rs`), in interleaved rounds, plus one
//! proxied run of each side (`proxy.rs`, `phases.rs`).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use checker::spec::Exercise;

use crate::phases::{phases, write_calls, Phases};
use crate::stats::timed;
use crate::translate::{self, Fidelity};
use crate::{floor, prep, proxy};

/// Where in its second a container last started (from `docker inspect`'s RFC 3339 StartedAt,
/// whose fraction is the part after the seconds' dot).
fn started_subsec_micros(container: &str) -> Option<u64> {
    let out = Command::new("docker")
        .args(["inspect", "-f", "{{.State.StartedAt}}", container])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let frac: String = text
        .trim()
        .split_once('.')?
        .1
        .chars()
        .take_while(char::is_ascii_digit)
        .chain(std::iter::repeat('0'))
        .take(6)
        .collect();
    frac.parse().ok()
}

/// The outcome of one `dockdojo check --json`: passed, and the milliseconds of checks the CLI
/// side cannot do (taken out of the comparison).
fn judge_a(out: &Output, ex: &Exercise) -> (bool, f64) {
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(report) = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    else {
        return (false, 0.0);
    };
    let passed = report.get("passed").and_then(|p| p.as_bool()) == Some(true);
    let mut excluded = 0.0;
    for c in report
        .get("checks")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
    {
        let id = c.get("id").and_then(|i| i.as_str()).unwrap_or_default();
        let spec = ex.checks.iter().find(|s| s.id == id);
        if spec.is_some_and(|s| translate::fidelity(&s.kind) == Fidelity::NoEquivalent) {
            excluded += c.get("duration_ms").and_then(|d| d.as_f64()).unwrap_or(0.0) / 1000.0;
        }
    }
    (out.status.success() && passed, excluded)
}

/// One exercise's measurements: A (dockdojo), B (the CLI script), F (the floor), per round.
pub struct ExResult {
    pub id: String,
    pub mode: String,
    pub skipped: Option<String>,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    pub a_fail: usize,
    pub b_fail: usize,
    /// The floor's seconds per round (`floor.rs`), when the exercise has one.
    pub f: Vec<f64>,
    /// Why it has none, or what failed.
    pub f_none: Option<String>,
    pub excluded: Vec<f64>,
    pub notes: Vec<String>,
    pub pa: Option<Phases>,
    pub pb: Option<(f64, usize, f64)>,
}

/// What every run of the comparison uses.
pub struct Ctx {
    pub bin: PathBuf,
    pub repo: PathBuf,
    pub ws: PathBuf,
    pub scripts: PathBuf,
    pub artifacts: PathBuf,
    pub proxy: Option<proxy::Proxy>,
    /// The daemon's socket, for the floor.
    pub socket: PathBuf,
    pub counter: std::cell::Cell<usize>,
    pub cli_build_labels: usize,
    /// Where in the wall clock's second the next timed run starts (see [`Ctx::align`]).
    pub phase_ms: std::cell::Cell<Option<u32>>,
}

impl Ctx {
    /// The proxy's `DOCKER_HOST`, its clock started now (after [`prep::settle`]).
    fn proxied(&self, via_proxy: bool) -> Option<String> {
        let p = self.proxy.as_ref().filter(|_| via_proxy)?;
        p.reset();
        Some(format!("unix://{}", p.socket.display()))
    }

    /// Wait until the clock is `phase_ms` into a second, when a phase is set.
    ///
    /// The classic builder on a storage driver without a native diff (fuse-overlayfs, vfs) ends
    /// every committed step on a whole second: Docker's naive diff sleeps until the next second
    /// after each layer diff, so that mtimes with one-second precision still tell changes apart.
    /// A build's wall time then depends on where in the second it started, by up to a second,
    /// which is more than the difference being measured. Both runs of a round start at the same
    /// phase, and the rounds' phases are spread evenly over the second.
    ///
    /// A `restart` check's app looks for its crash marker once a second from its start, so there
    /// the second is counted from the container's `StartedAt`: both sides wait as long for the
    /// app to notice the trigger.
    fn align(&self, ex: &Exercise) {
        let Some(phase) = self.phase_ms.get() else {
            return;
        };
        let origin_us = if ex.checks.iter().any(|c| c.kind.name() == "restart") {
            ex.live
                .containers
                .first()
                .and_then(|c| started_subsec_micros(c))
                .unwrap_or(0)
        } else {
            0
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let sub = u64::from(now.subsec_micros());
        let want = (origin_us + u64::from(phase) * 1000) % 1_000_000;
        let wait = (want + 1_000_000 - sub) % 1_000_000;
        std::thread::sleep(std::time::Duration::from_micros(wait));
    }

    /// One `dockdojo check ID --json`: (seconds, passed, seconds of checks with no CLI
    /// equivalent).
    fn run_a(&self, ex: &Exercise, via_proxy: bool) -> (f64, bool, f64) {
        prep::settle(&ex.live);
        self.align(ex);
        let docker_host = self.proxied(via_proxy);
        let mut cmd = Command::new(&self.bin);
        cmd.args(["check", &ex.id, "--json"])
            .current_dir(&self.ws)
            .env("NO_COLOR", "1");
        if let Some(h) = docker_host {
            cmd.env("DOCKER_HOST", h);
        }
        let (secs, out) = timed(&mut cmd);
        match out {
            Some(o) => {
                let (ok, excl) = judge_a(&o, ex);
                if !ok {
                    eprintln!(
                        "  A failed: {}{}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    );
                }
                (secs, ok, excl)
            }
            None => (secs, false, 0.0),
        }
    }

    /// One run of the CLI script: (seconds, passed and left nothing behind).
    fn run_b(&self, ex: &Exercise, via_proxy: bool) -> (f64, bool) {
        prep::settle(&ex.live);
        self.align(ex);
        let docker_host = self.proxied(via_proxy);
        self.counter.set(self.counter.get() + 1);
        let run = format!("r{}-{}", std::process::id(), self.counter.get());
        let mut cmd = Command::new("bash");
        cmd.arg(self.scripts.join(format!("{}.sh", ex.id)))
            .arg(self.ws.join(&ex.id))
            .arg(&run)
            .env("BENCH_BUILD_LABELS", self.cli_build_labels.to_string());
        if let Some(h) = docker_host {
            cmd.env("DOCKER_HOST", h);
        }
        let (secs, out) = timed(&mut cmd);
        let ok = out.as_ref().is_some_and(|o| o.status.success());
        if !ok {
            if let Some(o) = &out {
                eprintln!("  B failed: {}", String::from_utf8_lossy(&o.stderr));
            }
        }
        // Everything the script created must be gone (outside the timing).
        let l = format!("label=io.dockdojo-bench.run={run}");
        let left_c = prep::docker(&["ps", "-aq", "--filter", &l]).1;
        let left_i = prep::docker(&["images", "-q", "--filter", &l]).1;
        if !left_c.is_empty() || !left_i.is_empty() {
            eprintln!("  B left resources behind: {left_c} {left_i}");
            return (secs, false);
        }
        (secs, ok)
    }
}

/// Both sides' round trips for one exercise: a warm-up of each, `rounds` interleaved rounds (A/B
/// order alternating, the floor after both), then, with `do_proxy`, one proxied run of each.
pub fn bench_exercise(ctx: &Ctx, ex: &Exercise, rounds: usize, do_proxy: bool) -> ExResult {
    let mut r = ExResult {
        id: ex.id.clone(),
        mode: format!("{:?}", ex.mode).to_lowercase(),
        skipped: None,
        a: vec![],
        b: vec![],
        a_fail: 0,
        b_fail: 0,
        f: vec![],
        f_none: floor::unsupported(ex).map(|k| format!("no floor for {k}")),
        excluded: vec![],
        notes: fidelity_notes(ex),
        pa: None,
        pb: None,
    };
    if let Some(c) = prep::clash(&ex.live) {
        r.skipped = Some(format!("{c} already exists (not made by the benchmark)"));
        return r;
    }
    let script = translate::script(ex);
    let path = ctx.scripts.join(format!("{}.sh", ex.id));
    if let Err(e) = std::fs::write(&path, script) {
        r.skipped = Some(format!("cannot write the script: {e}"));
        return r;
    }
    eprintln!("{}: preparing the solved workspace", ex.id);
    if let Err(e) = prep::solve(&ctx.repo, &ctx.ws, ex) {
        r.skipped = Some(format!("could not prepare the solution: {e}"));
        prep::remove_live(&ex.live);
        return r;
    }
    // Warm-up: both once, so both start from the same cache state.
    let (_, a_ok, _) = ctx.run_a(ex, false);
    let (_, b_ok) = ctx.run_b(ex, false);
    if !a_ok {
        r.notes.push("warm-up: dockdojo check did not pass".into());
    }
    if !b_ok {
        r.notes.push("warm-up: the CLI script did not pass".into());
    }
    for round in 0..rounds {
        one_round(ctx, ex, round, rounds, &mut r);
    }
    if do_proxy {
        ctx.phase_ms.set(Some(0));
        if let Some(p) = &ctx.proxy {
            proxied_runs(ctx, p, ex, &mut r);
        }
    }
    ctx.phase_ms.set(None);
    prep::remove_live(&ex.live);
    r
}

/// The checks whose CLI translation is not the same work and verdict.
fn fidelity_notes(ex: &Exercise) -> Vec<String> {
    let mut notes = Vec::new();
    for c in &ex.checks {
        match translate::fidelity(&c.kind) {
            Fidelity::NoEquivalent => notes.push(format!(
                "`{}` ({}): no CLI equivalent, not counted",
                c.id,
                c.kind.name()
            )),
            Fidelity::Approximate => notes.push(format!(
                "`{}` ({}): CLI verdict approximated with grep",
                c.id,
                c.kind.name()
            )),
            Fidelity::Same => {}
        }
    }
    notes
}

/// One timed round: A and B in the round's order, at the round's phase of the second, then the
/// floor.
fn one_round(ctx: &Ctx, ex: &Exercise, round: usize, rounds: usize, r: &mut ExResult) {
    let a_first = round.is_multiple_of(2);
    ctx.phase_ms.set(Some((round * 1000 / rounds) as u32));
    for step in 0..2 {
        if (step == 0) == a_first {
            let (s, ok, excl) = ctx.run_a(ex, false);
            r.a.push(s - excl);
            r.excluded.push(excl);
            r.a_fail += usize::from(!ok);
        } else {
            let (s, ok) = ctx.run_b(ex, false);
            r.b.push(s);
            r.b_fail += usize::from(!ok);
        }
    }
    // The floor, at the same point in the second, after both.
    if r.f_none.is_none() {
        prep::settle(&ex.live);
        ctx.align(ex);
        let file = ctx
            .repo
            .join("exercises")
            .join(&ex.id)
            .join("exercise.toml");
        match floor::run(&ctx.socket, &file) {
            Ok((secs, _)) => r.f.push(secs),
            Err(e) => r.f_none = Some(format!("the floor failed: {e}")),
        }
    }
    eprintln!(
        "  round {}: A {:.2} s, B {:.2} s, floor {}",
        round + 1,
        r.a.last().copied().unwrap_or_default(),
        r.b.last().copied().unwrap_or_default(),
        r.f.last().map_or("–".to_string(), |f| format!("{f:.3} s"))
    );
}

/// One run of each side through the recording proxy: A's phases, B's wall time and calls.
fn proxied_runs(ctx: &Ctx, p: &proxy::Proxy, ex: &Exercise, r: &mut ExResult) {
    let (wall, ok, _) = ctx.run_a(ex, true);
    let calls = p.take();
    write_calls(&ctx.artifacts, &format!("{}.dockdojo", ex.id), &calls);
    if !ok {
        r.notes.push("proxied dockdojo run did not pass".into());
    }
    r.pa = Some(phases(&calls, wall));
    let (wall_b, ok_b) = ctx.run_b(ex, true);
    let calls = p.take();
    write_calls(&ctx.artifacts, &format!("{}.cli", ex.id), &calls);
    if !ok_b {
        r.notes.push("proxied CLI run did not pass".into());
    }
    r.pb = Some((wall_b, calls.len(), proxy::union_secs(&calls)));
}
