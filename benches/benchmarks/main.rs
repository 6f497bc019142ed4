//! dockdojo's benchmarks: `cargo bench --bench benchmarks` (options after `--`).
//!
//! 1. `dockdojo check ID --json` of every solved exercise (A) against a shell script doing the same
//!    inspections with docker CLI calls (B), generated from the exercise's spec
//!    (`translate.rs`). Interleaved rounds, A/B order alternating, after one warm-up of each.
//! 2. Where `check`'s time goes: one more run of each through a recording proxy on the Docker
//!    socket (`proxy.rs`): time inside daemon calls versus the whole wall time, by phase.
//! 3. `self-test` of the whole course (`--jobs 6`), `list` startup, the release binary's size.
//!
//! The results go to BENCHMARKS.md at the repository root, between the markers
//! `<!-- bench:begin -->` and `<!-- bench:end -->`; text outside them is kept.
//!
//! Options: `--rounds N` (default 5), `--only ID[,ID…]`, `--skip check,proxy,selftest,list,size`,
//! `--out FILE` (default BENCHMARKS.md), `--no-write`, `--jobs N` (self-test, default 6),
//! `--cli-build-labels N` (labels per build in the CLI scripts, default 1: one LABEL step, as
//! dockdojo's builds have),
//! `--scripts DIR` (keep the generated scripts there), `--emit-scripts DIR` (only write the
//! scripts: `bash DIR/ID.sh EXERCISE_DIR RUN_ID` runs one).

mod compare;
mod course;
mod floor;
mod machine;
mod opts;
mod phases;
mod prep;
mod proxy;
mod report;
mod stats;
mod translate;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use checker::spec::{parse_exercise, Exercise};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(floor::CHILD) {
        return floor::child(&args[1..]);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let opts = match opts::parse(&repo) {
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
    let load_start = machine::loadavg();
    let date = machine::now_utc();
    let tmp = match tempfile::Builder::new().prefix("dockdojo-bench").tempdir() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot make a temporary folder: {e}");
            return ExitCode::from(3);
        }
    };
    let ctx = match setup(&repo, &bin, &opts, tmp.path()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(3);
        }
    };
    let mut exercises = match load_exercises(&repo) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if !opts.only.is_empty() {
        exercises.retain(|e| opts.only.contains(&e.id));
    }
    if opts.emit_only {
        return emit_scripts(&ctx, &exercises);
    }

    let mut results = Vec::new();
    if !opts.skip.contains("check") {
        for ex in &exercises {
            let r = compare::bench_exercise(&ctx, ex, opts.rounds, ctx.proxy.is_some());
            if let Some(s) = &r.skipped {
                eprintln!("{}: skipped: {s}", ex.id);
            }
            results.push(r);
        }
    }
    let list = (!opts.skip.contains("list")).then(|| course::list_startup(&bin, &ctx.ws));
    let size = (!opts.skip.contains("size")).then(|| course::binary_size(&bin, tmp.path()));
    let selftest = (!opts.skip.contains("selftest"))
        .then(|| course::self_test(&bin, tmp.path(), opts.jobs, &ctx.artifacts, &repo));

    let load_end = machine::loadavg();
    let total = started.elapsed().as_secs_f64();
    let run = report::Run {
        date,
        machine: machine::machine(),
        load_start,
        load_end,
        rounds: opts.rounds,
        total,
    };
    let md = report::render(&run, &results, selftest.as_ref(), list.as_deref(), size);
    print!("{md}");
    if opts.write {
        if let Err(e) = report::write(&opts.out, &md) {
            eprintln!("cannot write {}: {e}", opts.out.display());
            return ExitCode::from(3);
        }
        eprintln!("wrote {}", opts.out.display());
    }
    ExitCode::SUCCESS
}

/// The workspace (`dockdojo init` in `tmp`), the scripts' and artifacts' folders, and the
/// recording proxy unless skipped.
fn setup(repo: &Path, bin: &Path, opts: &opts::Opts, tmp: &Path) -> Result<compare::Ctx, String> {
    let ws = tmp.join("ws");
    let init = Command::new(bin)
        .arg("init")
        .arg(&ws)
        .stdout(Stdio::null())
        .status();
    if !init.is_ok_and(|s| s.success()) {
        return Err(format!("`dockdojo init {}` failed", ws.display()));
    }
    let scripts = opts.scripts.clone().unwrap_or_else(|| tmp.join("scripts"));
    let artifacts = repo.join("target").join("benchmarks");
    for d in [&scripts, &artifacts] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let upstream = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"));
    let proxy = if opts.skip.contains("proxy") {
        None
    } else {
        match proxy::Proxy::start(&tmp.join("docker.sock"), upstream.clone()) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("the socket proxy could not start ({e}); skipping the overhead part");
                None
            }
        }
    };
    Ok(compare::Ctx {
        bin: bin.to_path_buf(),
        repo: repo.to_path_buf(),
        ws,
        scripts,
        artifacts,
        proxy,
        socket: upstream,
        counter: std::cell::Cell::new(0),
        phase_ms: std::cell::Cell::new(None),
        cli_build_labels: opts.cli_build_labels,
    })
}

/// Every exercise of the repository, by id; the first spec error stops the run.
fn load_exercises(repo: &Path) -> Result<Vec<Exercise>, String> {
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
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(exercises)
}

/// `--emit-scripts DIR`: only write each exercise's CLI script.
fn emit_scripts(ctx: &compare::Ctx, exercises: &[Exercise]) -> ExitCode {
    for ex in exercises {
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
    ExitCode::SUCCESS
}
