//! The harness's command-line options (after `--`); see the list in `main.rs`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The options, defaults filled in.
pub struct Opts {
    pub rounds: usize,
    pub only: Vec<String>,
    pub skip: BTreeSet<String>,
    pub out: PathBuf,
    pub write: bool,
    pub jobs: usize,
    pub scripts: Option<PathBuf>,
    pub emit_only: bool,
    /// Labels per build in the CLI scripts (dockdojo's builds carry 3).
    pub cli_build_labels: usize,
}

/// Read the options from the command line (`repo`: the default `--out` is its BENCHMARKS.md).
pub fn parse(repo: &Path) -> Result<Opts, String> {
    let mut o = Opts {
        rounds: 5,
        only: vec![],
        skip: BTreeSet::new(),
        out: repo.join("BENCHMARKS.md"),
        write: true,
        jobs: 6,
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
