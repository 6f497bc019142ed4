//! Progress in `.dockdojo/progress.json`: status, attempts, hints used and time per exercise.
//! Writes are crash-safe (temp file, fsync, rename, fsync the folder); a corrupt file is set aside
//! as `progress.json.corrupt-<time>` with a message, never a panic.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    NotStarted,
    Failing,
    Passed,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ExerciseProgress {
    pub status: Status,
    pub attempts: u32,
    pub hints_used: u32,
    /// Unix seconds.
    pub first_checked: Option<u64>,
    pub passed_at: Option<u64>,
    /// The first failing check of the last attempt.
    pub last_failure: Option<String>,
    /// Seconds spent on the exercise in the app (idle stretches not counted). Added after
    /// schema 1 shipped: files without it read as 0, and older dockdojo versions ignore it.
    #[serde(default)]
    pub time_spent_s: u64,
}

impl Progress {
    /// Record a check run's outcome: attempts, first check time, pass time, last failure. A pass
    /// is kept when a later run fails (the learner may be experimenting). `attempt`: the learner
    /// asked for this check; one dockdojo ran on its own (a Docker event, `watch` starting) is
    /// recorded but is no attempt.
    pub fn record_report(&mut self, r: &checker::Report, t: u64, attempt: bool) {
        let e = self.exercises.entry(r.exercise.clone()).or_default();
        if attempt {
            e.attempts += 1;
        }
        e.first_checked.get_or_insert(t);
        if r.passed {
            e.status = Status::Passed;
            e.passed_at.get_or_insert(t);
            e.last_failure = None;
        } else {
            if e.status != Status::Passed {
                e.status = Status::Failing;
            }
            e.last_failure = r.first_failure().map(|c| c.id.clone());
        }
    }

    /// Add time spent on an exercise.
    pub fn add_time(&mut self, id: &str, seconds: u64) {
        if seconds > 0 {
            let e = self.exercises.entry(id.to_string()).or_default();
            e.time_spent_s = e.time_spent_s.saturating_add(seconds);
        }
    }

    /// Reveal the next hint (up to `available`); returns how many are revealed now.
    pub fn use_hint(&mut self, id: &str, available: usize) -> u32 {
        let e = self.exercises.entry(id.to_string()).or_default();
        if (e.hints_used as usize) < available {
            e.hints_used += 1;
        }
        e.hints_used
    }

    pub fn status(&self, id: &str) -> Status {
        self.exercises.get(id).map(|e| e.status).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    pub schema_version: u32,
    #[serde(default)]
    pub exercises: BTreeMap<String, ExerciseProgress>,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA,
            exercises: BTreeMap::new(),
        }
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The progress file of a workspace, with load and atomic save.
pub struct Store {
    pub path: PathBuf,
}

impl Store {
    pub fn new(state_dir: &Path) -> Self {
        Self {
            path: state_dir.join("progress.json"),
        }
    }

    /// Load; a missing file is empty progress; a corrupt one is moved aside and reported in the
    /// returned warning.
    pub fn load(&self) -> (Progress, Option<String>) {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(_) => return (Progress::default(), None),
        };
        let parsed = serde_json::from_slice::<Progress>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                if p.schema_version == SCHEMA {
                    Ok(p)
                } else {
                    Err(format!(
                        "schema_version {} (this dockdojo writes {SCHEMA})",
                        p.schema_version
                    ))
                }
            });
        match parsed {
            Ok(p) => (p, None),
            Err(why) => {
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let aside = self.path.with_extension(format!("json.corrupt-{stamp}"));
                let moved = std::fs::rename(&self.path, &aside).is_ok();
                let msg = if moved {
                    format!(
                        "warning: {} could not be read ({why}); it was moved to {} and progress starts afresh. Nothing else was changed.",
                        self.path.display(),
                        aside.display()
                    )
                } else {
                    format!(
                        "warning: {} could not be read ({why}); starting afresh",
                        self.path.display()
                    )
                };
                (Progress::default(), Some(msg))
            }
        }
    }

    /// Write atomically: the file on disk is always the old or the new version.
    pub fn save(&self, p: &Progress) -> Result<()> {
        let dir = self.path.parent().context("progress path has no folder")?;
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(&serde_json::to_vec_pretty(p)?)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path)
            .map_err(|e| e.error)
            .with_context(|| format!("saving {}", self.path.display()))?;
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    }

    /// Load, change, save, holding the workspace's progress lock so that runs side by side (two
    /// terminals, the app and a `check`) never lose each other's updates.
    pub fn update(&self, f: impl FnOnce(&mut Progress)) -> Result<Option<String>> {
        let _lock = self.lock()?;
        let (mut p, warning) = self.load();
        f(&mut p);
        self.save(&p)?;
        Ok(warning)
    }

    /// Take `progress.lock` (an advisory `flock`, released by the kernel when its holder exits,
    /// even by `kill -9`: a lock left by a dead process is simply taken over). The holder's pid is
    /// written into the file so a long wait can say who holds it.
    fn lock(&self) -> Result<std::fs::File> {
        use std::io::{Read, Seek};
        let path = self.path.with_extension("lock");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let until = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => break,
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                    if std::time::Instant::now() >= until {
                        let mut holder = String::new();
                        let _ = file.read_to_string(&mut holder);
                        anyhow::bail!(
                            "{} is held by another dockdojo process (pid {}) that is still \
                             running; wait for it to finish and try again",
                            path.display(),
                            holder.trim()
                        );
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => {
                    return Err(std::io::Error::from(e))
                        .with_context(|| format!("locking {}", path.display()))
                }
            }
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(file, "{}", std::process::id())?;
        Ok(file)
    }
}

/// How long [`Store::update`] waits for another process's update to finish.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_written_before_time_tracking_still_load() {
        let t = tempfile::tempdir().unwrap();
        let s = Store::new(t.path());
        std::fs::write(
            &s.path,
            r#"{"schema_version": 1, "exercises": {"01-x": {"status": "passed", "attempts": 2,
               "hints_used": 1, "first_checked": 5, "passed_at": 9, "last_failure": null}}}"#,
        )
        .unwrap();
        let (p, w) = s.load();
        assert!(w.is_none(), "{w:?}");
        assert_eq!(p.exercises["01-x"].time_spent_s, 0);
        assert_eq!(p.exercises["01-x"].attempts, 2);
        s.update(|p| p.add_time("01-x", 42)).unwrap();
        let text = std::fs::read_to_string(&s.path).unwrap();
        assert!(text.contains("\"time_spent_s\": 42"), "{text}");
        assert_eq!(s.load().0.exercises["01-x"].time_spent_s, 42);
    }

    #[test]
    fn reports_hints_and_time_are_recorded() {
        let mut p = Progress::default();
        let report = |passed| checker::Report {
            exercise: "01-x".into(),
            passed,
            duration_ms: 1,
            checks: vec![],
        };
        p.record_report(&report(false), 10, true);
        assert_eq!(p.status("01-x"), Status::Failing);
        p.record_report(&report(true), 20, true);
        p.record_report(&report(false), 30, true);
        // A check dockdojo ran on its own (a Docker event) is recorded but is no attempt.
        p.record_report(&report(false), 40, false);
        let e = &p.exercises["01-x"];
        assert_eq!(
            (e.status, e.attempts, e.first_checked, e.passed_at),
            (Status::Passed, 3, Some(10), Some(20))
        );
        assert_eq!(p.use_hint("01-x", 2), 1);
        assert_eq!(p.use_hint("01-x", 2), 2);
        assert_eq!(p.use_hint("01-x", 2), 2);
        p.add_time("01-x", 0);
        assert_eq!(p.exercises["01-x"].time_spent_s, 0);
    }

    #[test]
    fn roundtrip_and_corrupt_files_are_set_aside() {
        let t = tempfile::tempdir().unwrap();
        let s = Store::new(t.path());
        let (p, w) = s.load();
        assert_eq!(p, Progress::default());
        assert!(w.is_none());
        s.update(|p| {
            p.exercises.entry("01-x".into()).or_default().status = Status::Passed;
        })
        .unwrap();
        assert_eq!(s.load().0.exercises["01-x"].status, Status::Passed);
        for bad in [
            &b"{\"schema_ver"[..],
            &[0u8; 64][..],
            b"garbage",
            b"{\"schema_version\": 99}",
        ] {
            std::fs::write(&s.path, bad).unwrap();
            let (p, w) = s.load();
            assert_eq!(p, Progress::default());
            assert!(w.unwrap().contains("moved to"));
            assert!(!s.path.exists());
        }
        let aside = std::fs::read_dir(t.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("corrupt"))
            .count();
        assert!(aside >= 1);
    }
}

/// Fuzzing the progress file: whatever bytes are on disk (random, a damaged real file, JSON of
/// the wrong shape), loading never panics, a file it cannot use is set aside rather than lost,
/// and a file it can use survives a save unchanged in meaning.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Vec<u8> {
        let mut p = Progress::default();
        p.use_hint("03-cache-order", 3);
        p.add_time("03-cache-order", 120);
        p.record_report(
            &checker::Report {
                exercise: "03-cache-order".into(),
                passed: true,
                duration_ms: 5,
                checks: vec![],
            },
            1_700_000_000,
            true,
        );
        serde_json::to_vec_pretty(&p).unwrap()
    }

    fn check_bytes(bytes: &[u8]) -> Result<(), TestCaseError> {
        let t = tempfile::tempdir().unwrap();
        let s = Store::new(t.path());
        std::fs::write(&s.path, bytes).unwrap();
        let (p, warning) = s.load();
        let names: Vec<String> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if let Some(w) = warning {
            // Set aside, never deleted: the bytes are still there under the corrupt name.
            prop_assert!(w.contains("moved to"), "{w}");
            let aside: Vec<_> = names.iter().filter(|n| n.contains(".corrupt-")).collect();
            prop_assert_eq!(aside.len(), 1, "{:?}", names);
            prop_assert_eq!(std::fs::read(t.path().join(aside[0])).unwrap(), bytes);
            prop_assert!(p.exercises.is_empty());
        } else {
            // Accepted: a save and a reload give the same progress.
            s.save(&p).unwrap();
            let (again, w2) = s.load();
            prop_assert!(w2.is_none());
            prop_assert_eq!(
                serde_json::to_value(&again).unwrap(),
                serde_json::to_value(&p).unwrap()
            );
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic_and_are_never_lost(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            check_bytes(&bytes)?;
        }

        #[test]
        fn a_damaged_real_file_never_panics(
            cut in any::<prop::sample::Index>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        ) {
            let mut b = sample();
            for (at, v) in flips {
                let i = at.index(b.len());
                b[i] = v;
            }
            b.truncate(cut.index(b.len() + 1));
            check_bytes(&b)?;
        }

        #[test]
        fn json_of_the_wrong_shape_never_panics(
            v in prop::collection::vec(("[a-z_]{1,14}", prop_oneof![
                Just(serde_json::json!(null)),
                Just(serde_json::json!(-1)),
                Just(serde_json::json!(u64::MAX)),
                Just(serde_json::json!(1.5)),
                Just(serde_json::json!("passed")),
                Just(serde_json::json!({"status": "weird"})),
                Just(serde_json::json!([1, 2])),
            ]), 0..6),
            schema in prop_oneof![Just(serde_json::json!(1)), Just(serde_json::json!(99)), Just(serde_json::json!("1"))],
        ) {
            let mut obj = serde_json::Map::new();
            obj.insert("schema_version".into(), schema);
            let mut ex = serde_json::Map::new();
            for (k, val) in v {
                ex.insert(k, serde_json::json!({"status": "passed", "attempts": val}));
            }
            obj.insert("exercises".into(), serde_json::Value::Object(ex));
            check_bytes(&serde_json::to_vec(&obj).unwrap())?;
        }
    }
}

/// A chapter quiz's last and best score, kept in `.dockdojo/quizzes.json` (a file of its own, so
/// a dockdojo that predates it still reads progress.json).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QuizScore {
    pub right: usize,
    pub total: usize,
    pub best: usize,
    /// Unix seconds of the last try.
    pub at: u64,
}

pub fn quiz_scores(state_dir: &Path) -> BTreeMap<u32, QuizScore> {
    std::fs::read(state_dir.join("quizzes.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Record a quiz run; returns the chapter's score with the best so far.
pub fn record_quiz(
    state_dir: &Path,
    chapter: u32,
    right: usize,
    total: usize,
) -> Result<QuizScore> {
    let mut all = quiz_scores(state_dir);
    let best = all.get(&chapter).map_or(0, |s| s.best).max(right);
    let score = QuizScore {
        right,
        total,
        best,
        at: now(),
    };
    all.insert(chapter, score.clone());
    let path = state_dir.join("quizzes.json");
    let tmp = state_dir.join("quizzes.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&all)?).context("writing quiz scores")?;
    std::fs::rename(&tmp, &path).context("saving quiz scores")?;
    Ok(score)
}
