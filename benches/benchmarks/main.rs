//! dockdojo's benchmarks: `cargo bench --bench benchmarks` (options after `--`).
//!
//! 1. `dockdojo check ID --json` of every solved exercise (A) against a shell script doing the same
//!    inspections with docker CLI calls (B), generated from the exercise's spec
//!    (`translate.rs`). Interleaved rounds, A/B order alternating, after one warm-up of each.
//! 2. Where `check`'s time goes: one more run of each through a recording proxy on the Docker
//!    socket (`proxy.rs`): time inside daemon calls versus the whole wall time, by phase.
//! 3. `self-test` of the whole course (`--jobs 3`), `list` startup, the release binary's size.
//!
//! The results go to BENCHMARKS.md at the repository root, between the markers
//! `<!-- bench:begin -->` and `<!-- bench:end -->`; text outside them is kept.
//!
//! Options: `--rounds N` (default 5), `--only ID[,ID…]`, `--skip check,proxy,selftest,list,size`,
//! `--out FILE` (default BENCHMARKS.md), `--no-write`, `--jobs N` (self-test, default 3),
//! `--cli-build-labels N` (labels per build in the CLI scripts, default 1: one LABEL step, as
//! dockdojo's builds have),
//! `--scripts DIR` (keep the generated scripts there), `--emit-scripts DIR` (only write the
//! scripts: `bash DIR/ID.sh EXERCISE_DIR RUN_ID` runs one).

mod floor;
mod prep;
mod proxy;
mod translate;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output, Stdio};
use std::time::Instant;

use checker::spec::{parse_exercise, Exercise};
use translate::Fidelity;

struct Opts {
    rounds: usize,
    only: Vec<String>,
    skip: BTreeSet<String>,
    out: PathBuf,
    write: bool,
    jobs: usize,
    scripts: Option<PathBuf>,
    emit_only: bool,
    /// Labels per build in the CLI scripts (dockdojo's builds carry 3).
    cli_build_labels: usize,
}

fn parse_opts(repo: &Path) -> Result<Opts, String> {
    let mut o = Opts {
        rounds: 5,
        only: vec![],
        skip: BTreeSet::new(),
        out: repo.join("BENCHMARKS.md"),
        write: true,
        jobs: 3,
        scripts: None,
        emit_only: false,
        cli_build_labels: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--bench" => {}
            "--rounds" => {
                o.rounds = val("--rounds")?
                    .parse()
                    .map_err(|_| "--rounds takes a number")?
            }
            "--only" => o.only = val("--only")?.split(',').map(str::to_string).collect(),
            "--skip" => o.skip.extend(val("--skip")?.split(',').map(str::to_string)),
            "--out" => o.out = PathBuf::from(val("--out")?),
            "--no-write" => o.write = false,
            "--jobs" => {
                o.jobs = val("--jobs")?
                    .parse()
                    .map_err(|_| "--jobs takes a number")?
            }
            "--scripts" => o.scripts = Some(PathBuf::from(val("--scripts")?)),
            "--cli-build-labels" => {
                o.cli_build_labels = val("--cli-build-labels")?
                    .parse()
                    .map_err(|_| "--cli-build-labels takes a number")?
            }
            "--emit-scripts" => {
                o.scripts = Some(PathBuf::from(val("--emit-scripts")?));
                o.emit_only = true;
            }
            other => {
                return Err(format!(
                    "unknown option {other}; see benches/benchmarks/main.rs"
                ))
            }
        }
    }
    if o.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(o)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(*x), hi.max(*x))
        })
}

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

fn timed(cmd: &mut Command) -> (f64, Option<Output>) {
    let t = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().ok();
    (t.elapsed().as_secs_f64(), out)
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

/// Where one proxied `check` spent its time.
#[derive(Default, Clone)]
struct Phases {
    wall: f64,
    startup: f64,
    connect: f64,
    sweep: f64,
    checks_span: f64,
    checks_daemon: f64,
    cleanup: f64,
    exit: f64,
    calls: usize,
    daemon: f64,
    /// The longest stretches without a daemon call during the checks: (seconds, after, before).
    gaps: Vec<(f64, String, String)>,
}

fn is_managed_list(c: &proxy::Call, what: &str) -> bool {
    c.method == "GET" && c.path.starts_with(what) && c.path.contains("io.dockdojo.managed")
}

fn phases(calls: &[proxy::Call], wall: f64) -> Phases {
    let mut p = Phases {
        wall,
        calls: calls.len(),
        daemon: proxy::union_secs(calls),
        ..Default::default()
    };
    if calls.is_empty() {
        return p;
    }
    p.startup = calls[0].start;
    let first_list = calls
        .iter()
        .position(|c| is_managed_list(c, "/containers/json"))
        .unwrap_or(0);
    let sweep_end = calls
        .iter()
        .skip(first_list)
        .position(|c| is_managed_list(c, "/images/json"))
        .map(|i| i + first_list)
        .unwrap_or(first_list);
    let cleanup_start = calls
        .iter()
        .rposition(|c| is_managed_list(c, "/containers/json"))
        .filter(|i| *i > sweep_end)
        .unwrap_or(calls.len());
    let span = |cs: &[proxy::Call]| match (cs.first(), cs.iter().map(|c| c.end).reduce(f64::max)) {
        (Some(f), Some(e)) => e - f.start,
        _ => 0.0,
    };
    p.connect = span(&calls[..first_list]);
    p.sweep = span(&calls[first_list..=sweep_end.min(calls.len() - 1)]);
    let checks = &calls[(sweep_end + 1).min(calls.len())..cleanup_start];
    let sweep_done = calls[..=sweep_end.min(calls.len() - 1)]
        .iter()
        .map(|c| c.end)
        .fold(0.0, f64::max);
    let cleanup_begins = calls.get(cleanup_start).map_or(wall, |c| c.start);
    p.checks_span = cleanup_begins - sweep_done;
    p.checks_daemon = proxy::union_secs(checks);
    p.cleanup = span(&calls[cleanup_start.min(calls.len())..]);
    let last_end = calls.iter().map(|c| c.end).fold(0.0, f64::max);
    p.exit = wall - last_end;
    // Gaps in the checks phase, between the end of daemon activity and the next call.
    let mut covered_until = sweep_done;
    let mut prev = calls
        .get(sweep_end)
        .map(call_name)
        .unwrap_or_else(|| "start".into());
    for c in checks.iter().chain(calls.get(cleanup_start)) {
        if c.start > covered_until {
            p.gaps
                .push((c.start - covered_until, prev.clone(), call_name(c)));
        }
        if c.end >= covered_until {
            covered_until = c.end;
            prev = call_name(c);
        }
    }
    p.gaps.sort_by(|a, b| b.0.total_cmp(&a.0));
    p.gaps.truncate(3);
    p
}

fn call_name(c: &proxy::Call) -> String {
    let path = c.path.split('?').next().unwrap_or_default();
    // Ids make names unreadable: keep the route's shape.
    let shape: Vec<String> = path
        .split('/')
        .map(|seg| {
            if seg.len() >= 12 && seg.chars().all(|ch| ch.is_ascii_hexdigit()) {
                "{id}".to_string()
            } else {
                seg.to_string()
            }
        })
        .collect();
    format!("{} {}", c.method, shape.join("/"))
}

struct ExResult {
    id: String,
    mode: String,
    skipped: Option<String>,
    a: Vec<f64>,
    b: Vec<f64>,
    a_fail: usize,
    b_fail: usize,
    /// The floor's seconds per round (`floor.rs`), when the exercise has one.
    f: Vec<f64>,
    /// Why it has none, or what failed.
    f_none: Option<String>,
    excluded: Vec<f64>,
    notes: Vec<String>,
    pa: Option<Phases>,
    pb: Option<(f64, usize, f64)>,
}

struct Ctx {
    bin: PathBuf,
    repo: PathBuf,
    ws: PathBuf,
    scripts: PathBuf,
    artifacts: PathBuf,
    proxy: Option<proxy::Proxy>,
    /// The daemon's socket, for the floor.
    socket: PathBuf,
    counter: std::cell::Cell<usize>,
    cli_build_labels: usize,
    /// Where in the wall clock's second the next timed run starts (see [`Ctx::align`]).
    phase_ms: std::cell::Cell<Option<u32>>,
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

fn bench_exercise(ctx: &Ctx, ex: &Exercise, rounds: usize, do_proxy: bool) -> ExResult {
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
        notes: vec![],
        pa: None,
        pb: None,
    };
    for c in &ex.checks {
        match translate::fidelity(&c.kind) {
            Fidelity::NoEquivalent => r.notes.push(format!(
                "`{}` ({}): no CLI equivalent, not counted",
                c.id,
                c.kind.name()
            )),
            Fidelity::Approximate => r.notes.push(format!(
                "`{}` ({}): CLI verdict approximated with grep",
                c.id,
                c.kind.name()
            )),
            Fidelity::Same => {}
        }
    }
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
        let a_first = round % 2 == 0;
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
            match floor::run(&ctx.socket, ex) {
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
    if do_proxy {
        ctx.phase_ms.set(Some(0));
        if let Some(p) = &ctx.proxy {
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
    }
    ctx.phase_ms.set(None);
    prep::remove_live(&ex.live);
    r
}

fn write_calls(dir: &Path, name: &str, calls: &[proxy::Call]) {
    let mut s = String::from("start_s\tend_s\tms\tstatus\tcall\tnote\n");
    for c in calls {
        let _ = writeln!(
            s,
            "{:.4}\t{:.4}\t{:.1}\t{}\t{} {}\t{}",
            c.start,
            c.end,
            (c.end - c.start) * 1000.0,
            c.status,
            c.method,
            c.path,
            c.note
        );
    }
    let _ = std::fs::write(dir.join(format!("{name}.tsv")), s);
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn machine() -> Vec<(String, String)> {
    let cpu = read("/proc/cpuinfo");
    let model = cpu
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = cpu.lines().filter(|l| l.starts_with("processor")).count();
    let mem = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|r| r.trim().to_string()))
        .unwrap_or_default();
    let mem_gb = mem
        .split_whitespace()
        .next()
        .and_then(|k| k.parse::<f64>().ok())
        .map(|k| format!("{:.1} GiB", k / 1024.0 / 1024.0))
        .unwrap_or(mem);
    let info = prep::docker(&[
        "info",
        "--format",
        "{{.ServerVersion}}|{{.Driver}}|{{.CgroupVersion}}|{{.CgroupDriver}}|{{.KernelVersion}}|{{.OperatingSystem}}",
    ])
    .1;
    let f: Vec<&str> = info.split('|').collect();
    let get = |i: usize| f.get(i).copied().unwrap_or("?").to_string();
    let client = prep::docker(&["version", "--format", "{{.Client.Version}}"]).1;
    let api = prep::docker(&["version", "--format", "{{.Server.APIVersion}}"]).1;
    let compose = Command::new("docker-compose")
        .arg("version")
        .arg("--short")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    vec![
        ("CPU".into(), format!("{model} ({cores} cores)")),
        ("RAM".into(), mem_gb),
        ("Kernel / OS".into(), format!("{} / {}", get(4), get(5))),
        (
            "Docker".into(),
            format!(
                "Engine {} (API {api}), CLI {client}, docker-compose {compose}",
                get(0)
            ),
        ),
        ("Storage driver".into(), get(1)),
        ("cgroup".into(), format!("v{} ({} driver)", get(2), get(3))),
    ]
}

fn loadavg() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn f2(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else {
        format!("{x:.2}")
    }
}

fn ms(x: f64) -> String {
    format!("{:.0}", x * 1000.0)
}

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

fn main() -> ExitCode {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let opts = match parse_opts(&repo) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_dockdojo"));
    if !prep::docker(&["version"]).0 {
        eprintln!("Docker does not answer (`docker version` failed): start the daemon first.");
        return ExitCode::from(3);
    }
    let started = Instant::now();
    let load_start = loadavg();
    let date = now_utc();
    let tmp = match tempfile::Builder::new().prefix("dockdojo-bench").tempdir() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot make a temporary folder: {e}");
            return ExitCode::from(3);
        }
    };
    let ws = tmp.path().join("ws");
    let init = Command::new(&bin)
        .arg("init")
        .arg(&ws)
        .stdout(Stdio::null())
        .status();
    if !init.is_ok_and(|s| s.success()) {
        eprintln!("`dockdojo init {}` failed", ws.display());
        return ExitCode::from(3);
    }
    let scripts = opts
        .scripts
        .clone()
        .unwrap_or_else(|| tmp.path().join("scripts"));
    let artifacts = repo.join("target").join("benchmarks");
    for d in [&scripts, &artifacts] {
        if let Err(e) = std::fs::create_dir_all(d) {
            eprintln!("cannot create {}: {e}", d.display());
            return ExitCode::from(3);
        }
    }
    let upstream = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"));
    let proxy = if opts.skip.contains("proxy") {
        None
    } else {
        match proxy::Proxy::start(&tmp.path().join("docker.sock"), upstream.clone()) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("the socket proxy could not start ({e}); skipping the overhead part");
                None
            }
        }
    };
    let ctx = Ctx {
        bin: bin.clone(),
        repo: repo.clone(),
        ws: ws.clone(),
        scripts,
        artifacts: artifacts.clone(),
        proxy,
        socket: upstream.clone(),
        counter: std::cell::Cell::new(0),
        phase_ms: std::cell::Cell::new(None),
        cli_build_labels: opts.cli_build_labels,
    };

    // The exercises, by id.
    let mut exercises: Vec<Exercise> = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo.join("exercises"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    for d in dirs {
        let file = d.join("exercise.toml");
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        match parse_exercise(&file.display().to_string(), &text) {
            Ok(e) => exercises.push(e),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    if !opts.only.is_empty() {
        exercises.retain(|e| opts.only.contains(&e.id));
    }
    if opts.emit_only {
        for ex in &exercises {
            let path = ctx.scripts.join(format!("{}.sh", ex.id));
            if let Err(e) = std::fs::write(&path, translate::script(ex)) {
                eprintln!("cannot write {}: {e}", path.display());
                return ExitCode::from(3);
            }
        }
        eprintln!(
            "wrote {} scripts to {}",
            exercises.len(),
            ctx.scripts.display()
        );
        return ExitCode::SUCCESS;
    }

    let mut results = Vec::new();
    if !opts.skip.contains("check") {
        for ex in &exercises {
            let r = bench_exercise(&ctx, ex, opts.rounds, ctx.proxy.is_some());
            if let Some(s) = &r.skipped {
                eprintln!("{}: skipped: {s}", ex.id);
            }
            results.push(r);
        }
    }

    // `list` startup: median of 20 runs after 3 warm-ups.
    let list = (!opts.skip.contains("list")).then(|| {
        let mut v = Vec::new();
        for i in 0..23 {
            let (s, _) = timed(
                Command::new(&bin)
                    .arg("list")
                    .current_dir(&ws)
                    .env("NO_COLOR", "1")
                    .stdout(Stdio::null()),
            );
            if i >= 3 {
                v.push(s);
            }
        }
        v
    });

    let size = (!opts.skip.contains("size")).then(|| {
        let full = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
        let stripped_path = tmp.path().join("dockdojo-stripped");
        let stripped = Command::new("strip")
            .arg("-o")
            .arg(&stripped_path)
            .arg(&bin)
            .status()
            .ok()
            .filter(|s| s.success())
            .and_then(|_| std::fs::metadata(&stripped_path).ok())
            .map(|m| m.len());
        (full, stripped)
    });

    let selftest = (!opts.skip.contains("selftest")).then(|| {
        eprintln!("self-test --jobs {} of the whole course…", opts.jobs);
        let (s, out) = timed(
            Command::new(&bin)
                .args(["self-test", "--jobs", &opts.jobs.to_string()])
                .current_dir(tmp.path())
                .env("NO_COLOR", "1"),
        );
        let text = out
            .as_ref()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .unwrap_or_default();
        let _ = std::fs::write(artifacts.join("self-test.txt"), &text);
        let summary = text
            .lines()
            .rev()
            .find(|l| l.contains(" passed, "))
            .unwrap_or("(no summary line)")
            .to_string();
        let cases = text
            .lines()
            .filter(|l| l.starts_with("  ok ") || l.starts_with("  FAIL "))
            .count();
        let fails: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("  FAIL "))
            .map(|l| l.trim().to_string())
            .collect();
        (s, summary, cases, fails)
    });

    let load_end = loadavg();
    let total = started.elapsed().as_secs_f64();

    // The report.
    let mut md = String::new();
    let _ = writeln!(md, "{BEGIN}");
    let _ = writeln!(
        md,
        "<!-- Generated by `cargo bench --bench benchmarks`; edit outside these markers. -->\n"
    );
    let _ = writeln!(md, "### Run\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| Date | {date} |");
    for (k, v) in machine() {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    let _ = writeln!(
        md,
        "| Load average (1/5/15 min) | start {load_start}, end {load_end} |"
    );
    let _ = writeln!(
        md,
        "| Command | `cargo bench --bench benchmarks{}` |",
        if std::env::args().len() > 2 {
            format!(
                " -- {}",
                std::env::args()
                    .skip(1)
                    .filter(|a| a != "--bench")
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        md,
        "| Rounds | {} per exercise (after one warm-up of each side), A/B order alternating |",
        opts.rounds
    );
    let _ = writeln!(md, "| Whole run | {:.0} s |\n", total);

    if !results.is_empty() {
        let _ = writeln!(md, "### `check` versus the docker CLI\n");
        let cli_builder = std::env::var("BENCH_CLI_BUILDER").unwrap_or_else(|_| "classic".into());
        let _ = writeln!(
            md,
            "The scripts build with {} (`BENCH_CLI_BUILDER={cli_builder}`).\n",
            if cli_builder == "buildkit" {
                "BuildKit, as `docker build` is on a current CLI"
            } else {
                "the classic builder (`DOCKER_BUILDKIT=0`)"
            }
        );
        let _ = writeln!(md, "A = `dockdojo check ID --json` (wall time of the process, minus checks with no CLI equivalent); B = the generated shell script (wall time). Seconds. A round runs both at the same point in the second, so the rounds are pairs: A/B is the median of the rounds' own ratios (< 1: dockdojo is faster), and *A faster* counts the rounds dockdojo won. F = the floor: only the API requests the checks need, on one kept-alive connection, in the harness's own process (`benches/benchmarks/floor.rs`; live and scenario exercises whose checks it translates); A/F is the median of the rounds' own ratios.\n");
        let _ = writeln!(
            md,
            "| exercise | mode | A median | A min–max | B median | B min–max | A/B | A faster | F median (ms) | A/F | notes |"
        );
        let _ = writeln!(md, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        let mut ratios = Vec::new();
        let mut slower = Vec::new();
        for r in &results {
            if let Some(s) = &r.skipped {
                let _ = writeln!(
                    md,
                    "| {} | {} | – | – | – | – | – | – | – | – | skipped: {s} |",
                    r.id, r.mode
                );
                continue;
            }
            let (am, bm) = (median(&r.a), median(&r.b));
            let (alo, ahi) = min_max(&r.a);
            let (blo, bhi) = min_max(&r.b);
            let mut notes = r.notes.clone();
            if r.a_fail > 0 {
                notes.push(format!("A failed {} of {} rounds", r.a_fail, r.a.len()));
            }
            if r.b_fail > 0 {
                notes.push(format!("B failed {} of {} rounds", r.b_fail, r.b.len()));
            }
            let valid = r.a_fail == 0 && r.b_fail == 0;
            let paired: Vec<f64> = r.a.iter().zip(&r.b).map(|(a, b)| a / b).collect();
            let ratio = median(&paired);
            let won = r.a.iter().zip(&r.b).filter(|(a, b)| a < b).count();
            if valid {
                ratios.push(ratio);
                if ratio > 1.0 {
                    slower.push(r.id.clone());
                }
            }
            let (fm, af) = if r.f.len() == r.a.len() && !r.f.is_empty() {
                let paired: Vec<f64> = r.a.iter().zip(&r.f).map(|(a, f)| a / f).collect();
                (ms(median(&r.f)), format!("{:.1}", median(&paired)))
            } else {
                ("–".to_string(), "–".to_string())
            };
            if let Some(n) = &r.f_none {
                notes.push(n.clone());
            }
            let _ = writeln!(
                md,
                "| {} | {} | {} | {}–{} | {} | {}–{} | {}{} | {} of {} | {} | {} | {} |",
                r.id,
                r.mode,
                f2(am),
                f2(alo),
                f2(ahi),
                f2(bm),
                f2(blo),
                f2(bhi),
                f2(ratio),
                if valid { "" } else { " (invalid)" },
                won,
                paired.len(),
                fm,
                af,
                notes.join("; ")
            );
        }
        let geo = if ratios.is_empty() {
            f64::NAN
        } else {
            (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp()
        };
        let (rlo, rhi) = min_max(&ratios);
        let _ = writeln!(
            md,
            "\n**Median A/B over {} exercises: {}** (geometric mean {}, range {}–{}). dockdojo is slower on {}.\n",
            ratios.len(),
            f2(median(&ratios)),
            f2(geo),
            f2(rlo),
            f2(rhi),
            if slower.is_empty() {
                "none".to_string()
            } else {
                slower.join(", ")
            }
        );
        let with_proxy: Vec<&ExResult> = results.iter().filter(|r| r.pa.is_some()).collect();
        if !with_proxy.is_empty() {
            let _ = writeln!(
                md,
                "### Where `check`'s time goes (through a recording proxy on the Docker socket)\n"
            );
            let _ = writeln!(md, "One extra run of each side through a proxy that records every API call (`benches/benchmarks/proxy.rs`; the proxy adds a little latency to every call, both sides alike). Milliseconds. *startup*: process start to its first API call; *connect*: finding the daemon (`/_ping`, `/version`); *sweep*: the startup sweep of dead runs' leftovers; *checks*: from the sweep's end to cleanup, with the part spent inside daemon calls; *cleanup*: removing this run's resources and fresh build layers; *exit*: last call to process exit. *overhead* = wall − time inside daemon calls (dockdojo's own work plus its waits: HTTP probes, poll intervals).\n");
            let _ = writeln!(md, "| exercise | A wall | startup | connect | sweep | checks (in daemon) | cleanup | exit | A calls | A in daemon | A overhead | B wall | B calls | B in daemon | B overhead |");
            let _ = writeln!(
                md,
                "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
            );
            for r in &with_proxy {
                let Some(p) = &r.pa else { continue };
                let (bw, bc, bd) = r.pb.unwrap_or_default();
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} ({}) | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    r.id,
                    ms(p.wall),
                    ms(p.startup),
                    ms(p.connect),
                    ms(p.sweep),
                    ms(p.checks_span),
                    ms(p.checks_daemon),
                    ms(p.cleanup),
                    ms(p.exit),
                    p.calls,
                    ms(p.daemon),
                    ms(p.wall - p.daemon),
                    ms(bw),
                    bc,
                    ms(bd),
                    ms(bw - bd)
                );
            }
            let _ = writeln!(md, "\nThe longest stretches without a daemon call during the checks (ms, between which calls):\n");
            for r in &with_proxy {
                let Some(p) = &r.pa else { continue };
                let g: Vec<String> = p
                    .gaps
                    .iter()
                    .filter(|g| g.0 >= 0.05)
                    .map(|(s, a, b)| format!("{} ms after `{a}` before `{b}`", ms(*s)))
                    .collect();
                if !g.is_empty() {
                    let _ = writeln!(md, "- {}: {}", r.id, g.join("; "));
                }
            }
            let _ = writeln!(md, "\nEvery call of these runs: `target/benchmarks/<id>.dockdojo.tsv` and `<id>.cli.tsv`.\n");
        }
    }

    if let Some((s, summary, cases, fails)) = &selftest {
        let _ = writeln!(md, "### `self-test` of the whole course\n");
        let _ = writeln!(md, "`dockdojo self-test --jobs {}`: **{:.0} s** wall for {} cases ({} exercises); it printed `{summary}`.", opts.jobs, s, cases, exercises_count(&repo));
        if !fails.is_empty() {
            let _ = writeln!(
                md,
                "\nFailed cases (output in `target/benchmarks/self-test.txt`):\n"
            );
            for f in fails {
                let _ = writeln!(md, "- `{f}`");
            }
        }
        let _ = writeln!(md);
    }
    if let Some(v) = &list {
        let (lo, hi) = min_max(v);
        let _ = writeln!(md, "### `list` startup\n");
        let _ = writeln!(md, "`dockdojo list` in a fresh workspace, {} runs after 3 warm-ups: median **{} ms** (min {}, max {}).\n", v.len(), ms(median(v)), ms(lo), ms(hi));
    }
    if let Some((full, stripped)) = size {
        let _ = writeln!(md, "### Binary size\n");
        let _ = writeln!(
            md,
            "`target/release/dockdojo`: **{:.1} MB** ({full} bytes); stripped: {}.\n",
            full as f64 / 1e6,
            stripped.map_or("(strip failed)".to_string(), |s| format!(
                "**{:.1} MB** ({s} bytes)",
                s as f64 / 1e6
            ))
        );
    }
    let _ = writeln!(md, "{END}");

    print!("{md}");
    if opts.write {
        let old = std::fs::read_to_string(&opts.out).unwrap_or_default();
        let new = match (old.find(BEGIN), old.find(END)) {
            (Some(b), Some(e)) if e > b => {
                format!("{}{}{}", &old[..b], md.trim_end(), &old[e + END.len()..])
            }
            _ if old.is_empty() => {
                format!("# Benchmarks\n\nRun them with `cargo bench --bench benchmarks`.\n\n{md}")
            }
            _ => format!("{}\n\n{md}", old.trim_end()),
        };
        if let Err(e) = std::fs::write(&opts.out, new) {
            eprintln!("cannot write {}: {e}", opts.out.display());
            return ExitCode::from(3);
        }
        eprintln!("wrote {}", opts.out.display());
    }
    ExitCode::SUCCESS
}

fn exercises_count(repo: &Path) -> usize {
    std::fs::read_dir(repo.join("exercises"))
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().join("exercise.toml").is_file())
                .count()
        })
        .unwrap_or(0)
}
