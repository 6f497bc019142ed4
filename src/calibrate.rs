//! `dockdojo calibrate`: how long learners really took on each exercise.
//!
//! Reads a room's export (`dockdojo workshop export`, CSV or JSON) and learners' own progress
//! files (`.dockdojo/progress.json`), keeps one solve time per learner and exercise (only
//! exercises they passed), and prints per exercise the number of learners, the median and the
//! 80th percentile in minutes, next to the planned `minutes`, with a suggested figure: the 80th
//! percentile rounded up to five minutes, so that four learners in five finish within the slot.
//! `--write FILE` saves the figures as `book/measured.toml`, which the schedule page shows.
//!
//! Which time counts: the time the course app measured on the exercise (idle stretches not
//! counted) where there is one; otherwise the time from the first check to the first pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};

use crate::book::schedule::{Measured, MeasuredFile};
use crate::catalog::Entry;
use crate::exit::{CmdResult, Exit, Fail};

/// One learner's solve time on one exercise.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub learner: String,
    pub exercise: String,
    pub seconds: u64,
}

/// A row of `workshop export` (CSV or JSON), reading only what calibration needs. Exports made
/// before the time columns existed still read: they then give no samples.
#[derive(Debug, serde::Deserialize)]
struct ExportLine {
    student_id: i64,
    exercise: String,
    passed: bool,
    #[serde(default)]
    time_spent_s: Option<u64>,
    #[serde(default)]
    solve_s: Option<u64>,
}

impl ExportLine {
    fn sample(self, source: &str) -> Option<Sample> {
        if !self.passed {
            return None;
        }
        let seconds = self
            .time_spent_s
            .filter(|s| *s > 0)
            .or(self.solve_s.filter(|s| *s > 0))?;
        Some(Sample {
            learner: format!("{source}#{}", self.student_id),
            exercise: self.exercise,
            seconds,
        })
    }
}

/// Samples from an export file: JSON (an array of rows) or CSV (with its header line).
pub fn from_export(path: &Path, text: &str) -> anyhow::Result<Vec<Sample>> {
    let source = path.display().to_string();
    let rows: Vec<ExportLine> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).with_context(|| format!("{source}: not a workshop export"))?
    } else {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        r.deserialize()
            .collect::<Result<_, _>>()
            .with_context(|| format!("{source}: not a workshop export"))?
    };
    Ok(rows.into_iter().filter_map(|r| r.sample(&source)).collect())
}

/// Samples from one learner's `progress.json`.
pub fn from_progress(path: &Path, text: &str) -> anyhow::Result<Vec<Sample>> {
    let p: crate::progress::Progress = serde_json::from_str(text)
        .with_context(|| format!("{}: not a dockdojo progress file", path.display()))?;
    let learner = path.display().to_string();
    Ok(p.exercises
        .into_iter()
        .filter_map(|(id, e)| {
            let passed = e.passed_at?;
            let seconds = if e.time_spent_s > 0 {
                e.time_spent_s
            } else {
                passed.checked_sub(e.first_checked?)?
            };
            (seconds > 0).then(|| Sample {
                learner: learner.clone(),
                exercise: id,
                seconds,
            })
        })
        .collect())
}

/// The value below which `q` (0..=1) of the sorted values fall (nearest rank).
fn quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn minutes_up(seconds: u64) -> u32 {
    seconds.div_ceil(60).max(1) as u32
}

/// Per exercise: learners, median, 80th percentile and the suggested minutes. A learner counted
/// twice for one exercise (in two files) counts once, with their shorter time.
pub fn measure(samples: &[Sample]) -> MeasuredFile {
    let mut best: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for s in samples {
        let e = best
            .entry((s.exercise.as_str(), s.learner.as_str()))
            .or_insert(s.seconds);
        *e = (*e).min(s.seconds);
    }
    let mut per: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for ((ex, _), s) in best {
        per.entry(ex).or_default().push(s);
    }
    let mut out = MeasuredFile::default();
    for (ex, mut v) in per {
        v.sort_unstable();
        let p80 = minutes_up(quantile(&v, 0.8));
        out.exercises.insert(
            ex.to_string(),
            Measured {
                learners: v.len() as u32,
                median: minutes_up(quantile(&v, 0.5)),
                p80,
                suggested: p80.div_ceil(5).max(1) * 5,
            },
        );
    }
    out
}

/// The report printed by `calibrate`.
pub fn table(measured: &MeasuredFile, exercises: &[Entry]) -> String {
    let mut out = format!(
        "{:<22} {:>8} {:>7} {:>7} {:>8} {:>10}\n",
        "exercise", "learners", "median", "80%", "planned", "suggested"
    );
    for e in exercises {
        let planned = e.spec.minutes;
        match measured.exercises.get(e.id()) {
            Some(m) => out.push_str(&format!(
                "{:<22} {:>8} {:>7} {:>7} {:>8} {:>10}\n",
                e.id(),
                m.learners,
                m.median,
                m.p80,
                planned,
                if m.suggested == planned {
                    format!("{}", m.suggested)
                } else {
                    format!("{} ←", m.suggested)
                }
            )),
            None => out.push_str(&format!(
                "{:<22} {:>8} {:>7} {:>7} {:>8} {:>10}\n",
                e.id(),
                0,
                "-",
                "-",
                planned,
                "-"
            )),
        }
    }
    out.push_str("minutes; ← marks a suggestion that differs from the planned figure\n");
    out
}

/// `dockdojo calibrate [--export FILE]… [--progress FILE]… [--write FILE]`.
pub fn run(exports: &[PathBuf], progress: &[PathBuf], write: Option<&Path>) -> CmdResult {
    if exports.is_empty() && progress.is_empty() {
        return Err(Fail::usage(anyhow!(
            "nothing to calibrate from: give --export FILE (from `dockdojo workshop export`) or --progress FILE (a learner's .dockdojo/progress.json)"
        )));
    }
    let mut samples = Vec::new();
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .map_err(|e| Fail::usage(anyhow!("cannot read {}: {e}", p.display())))
    };
    for p in exports {
        samples.extend(from_export(p, &read(p)?).map_err(Fail::usage)?);
    }
    for p in progress {
        samples.extend(from_progress(p, &read(p)?).map_err(Fail::usage)?);
    }
    let exercises = crate::catalog::load()?;
    let measured = measure(&samples);
    for id in measured.exercises.keys() {
        if !exercises.iter().any(|e| e.id() == id) {
            eprintln!("note: {id} is not an exercise of this course version; left out");
        }
    }
    let mut measured = measured;
    measured
        .exercises
        .retain(|id, _| exercises.iter().any(|e| e.id() == id));
    print!("{}", table(&measured, &exercises));
    if measured.exercises.is_empty() {
        eprintln!(
            "no solve times found: exports from before the time columns, or no passed exercise"
        );
    }
    if let Some(path) = write {
        let text = format!(
            "# Minutes learners took per exercise, written by `dockdojo calibrate`; the schedule page shows\n# them next to the planned minutes.\n\n{}",
            toml::to_string(&measured).context("writing the figures")?
        );
        write_atomically(path, &text)
            .with_context(|| format!("cannot write {}", path.display()))
            .map_err(Fail::usage)?;
        println!("wrote {}", path.display());
    }
    Ok(Exit::Ok)
}

fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(learner: &str, ex: &str, seconds: u64) -> Sample {
        Sample {
            learner: learner.into(),
            exercise: ex.into(),
            seconds,
        }
    }

    #[test]
    fn median_and_eightieth_percentile_in_minutes() {
        let samples: Vec<Sample> = [5, 7, 9, 11, 30]
            .iter()
            .enumerate()
            .map(|(i, m)| s(&format!("l{i}"), "03-cache-order", m * 60))
            .collect();
        let m = measure(&samples);
        let got = &m.exercises["03-cache-order"];
        assert_eq!(
            got,
            &Measured {
                learners: 5,
                median: 9,
                p80: 11,
                suggested: 15
            }
        );
    }

    #[test]
    fn a_learner_counts_once_with_the_shorter_time() {
        let m = measure(&[s("a", "x", 600), s("a", "x", 120), s("b", "x", 61)]);
        assert_eq!(m.exercises["x"].learners, 2);
        assert_eq!(m.exercises["x"].median, 2);
    }

    #[test]
    fn exports_read_as_csv_or_json_and_only_passes_count() {
        let csv = "student,student_id,exercise,attempts,passed,first_pass_at,hints_used,source,time_spent_s,solve_s\n\
                   \"Lovelace, Ada\",1,03-cache-order,3,true,2026-12-05T10:00:00Z,0,self-reported,600,900\n\
                   Bob,2,03-cache-order,1,true,2026-12-05T10:00:00Z,1,self-reported,0,420\n\
                   Eve,3,03-cache-order,5,false,,2,self-reported,999,\n";
        let got = from_export(Path::new("room.csv"), csv).unwrap();
        assert_eq!(
            got,
            vec![
                s("room.csv#1", "03-cache-order", 600),
                s("room.csv#2", "03-cache-order", 420)
            ]
        );
        let json = r#"[{"student":"Ada","student_id":1,"exercise":"00-first-container","attempts":1,"passed":true,"first_pass_at":1,"hints_used":0,"source":"self-reported","time_spent_s":null,"solve_s":240}]"#;
        let got = from_export(Path::new("room.json"), json).unwrap();
        assert_eq!(got, vec![s("room.json#1", "00-first-container", 240)]);
        // An export from before the time columns: rows read, no samples.
        let old = "student,student_id,exercise,attempts,passed,first_pass_at,hints_used,source\nAda,1,x,1,true,,0,self-reported\n";
        assert!(from_export(Path::new("old.csv"), old).unwrap().is_empty());
        let e = from_export(Path::new("x.csv"), "not,a\n1\n").unwrap_err();
        assert!(format!("{e:#}").contains("not a workshop export"), "{e:#}");
    }

    #[test]
    fn progress_files_give_app_time_or_first_check_to_pass() {
        let text = r#"{"schema_version":1,"exercises":{
            "a":{"status":"passed","attempts":2,"hints_used":0,"first_checked":100,"passed_at":400,"last_failure":null,"time_spent_s":0},
            "b":{"status":"passed","attempts":2,"hints_used":0,"first_checked":100,"passed_at":400,"last_failure":null,"time_spent_s":900},
            "c":{"status":"failing","attempts":2,"hints_used":0,"first_checked":100,"passed_at":null,"last_failure":"x","time_spent_s":50}}}"#;
        let mut got = from_progress(Path::new("p.json"), text).unwrap();
        got.sort_by(|a, b| a.exercise.cmp(&b.exercise));
        assert_eq!(got, vec![s("p.json", "a", 300), s("p.json", "b", 900)]);
    }
}
