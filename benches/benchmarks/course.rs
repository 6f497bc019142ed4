//! Measures of the whole course and the binary: `self-test` of every exercise, `list` startup,
//! the release binary's size.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::stats::timed;

/// `dockdojo list` in a fresh workspace: the seconds of 20 runs after 3 warm-ups.
pub fn list_startup(bin: &Path, ws: &Path) -> Vec<f64> {
    let mut v = Vec::new();
    for i in 0..23 {
        let (s, _) = timed(
            Command::new(bin)
                .arg("list")
                .current_dir(ws)
                .env("NO_COLOR", "1")
                .stdout(Stdio::null()),
        );
        if i >= 3 {
            v.push(s);
        }
    }
    v
}

/// The binary's size in bytes, and stripped (a copy in `tmp`; `None` when `strip` failed).
pub fn binary_size(bin: &Path, tmp: &Path) -> (u64, Option<u64>) {
    let full = std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0);
    let stripped_path = tmp.join("dockdojo-stripped");
    let stripped = Command::new("strip")
        .arg("-o")
        .arg(&stripped_path)
        .arg(bin)
        .status()
        .ok()
        .filter(|s| s.success())
        .and_then(|_| std::fs::metadata(&stripped_path).ok())
        .map(|m| m.len());
    (full, stripped)
}

/// One `dockdojo self-test --jobs N` of the whole course.
pub struct SelfTest {
    pub jobs: usize,
    /// Wall seconds.
    pub secs: f64,
    /// Its summary line.
    pub summary: String,
    /// The cases it ran, and the exercises in the repository.
    pub cases: usize,
    pub exercises: usize,
    /// The failed cases' lines.
    pub fails: Vec<String>,
}

/// Run `self-test` of the whole course in `dir`; its output goes to `artifacts/self-test.txt`.
pub fn self_test(bin: &Path, dir: &Path, jobs: usize, artifacts: &Path, repo: &Path) -> SelfTest {
    eprintln!("self-test --jobs {} of the whole course…", jobs);
    let (s, out) = timed(
        Command::new(bin)
            .args(["self-test", "--jobs", &jobs.to_string()])
            .current_dir(dir)
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
    SelfTest {
        jobs,
        secs: s,
        summary,
        cases,
        exercises: exercises_count(repo),
        fails,
    }
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
