//! The workshop schedule: `book/schedule.toml` (teaching minutes per chapter and the tracks a
//! room can follow), the exercises' own `minutes`, and, where `dockdojo calibrate` has written
//! `book/measured.toml`, the minutes learners really took.
//!
//! A track lists the exercises done in the room; the other exercises of its chapters are named as
//! take-home work. A track's total is its teaching minutes, its exercises' minutes and a ten-minute
//! break after every full 90 minutes of work; a track with a budget must fit it (the book refuses to
//! build otherwise, and a test checks the shipped tracks).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::catalog::Entry;

/// Minutes of break after each full [`BREAK_EVERY`] minutes of teaching and exercises.
pub const BREAK_MINUTES: u32 = 10;
pub const BREAK_EVERY: u32 = 90;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub chapters: Vec<Chapter>,
    pub tracks: Vec<Track>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chapter {
    pub chapter: u32,
    pub title: String,
    /// Minutes of teaching and demonstration, exercises excluded.
    pub teach: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Track {
    pub id: String,
    pub title: String,
    /// One line for the schedule page: who the track is for.
    pub about: String,
    /// The most minutes the track may take, breaks included; none for self-paced work.
    #[serde(default)]
    pub budget: Option<u32>,
    /// The exercises done in the room, in order; `["*"]` is every exercise.
    pub exercises: Vec<String>,
    /// Chapters taught without an exercise in the room (their exercises become take-home).
    #[serde(default)]
    pub taught: Vec<u32>,
}

/// What learners took on an exercise, as `dockdojo calibrate` measured it (minutes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    pub learners: u32,
    pub median: u32,
    pub p80: u32,
    pub suggested: u32,
}

/// `book/measured.toml`: `[exercises.ID] learners, median, p80, suggested`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuredFile {
    #[serde(default)]
    pub exercises: BTreeMap<String, Measured>,
}

/// Read `schedule.toml` (required) and `measured.toml` (optional) from a book folder.
pub fn read(root: &Path) -> Result<(Schedule, MeasuredFile)> {
    let path = root.join("schedule.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let schedule: Schedule =
        toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
    let measured_path = root.join("measured.toml");
    let measured = match std::fs::read_to_string(&measured_path) {
        Ok(t) => toml::from_str(&t)
            .with_context(|| format!("{} is not valid", measured_path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => MeasuredFile::default(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", measured_path.display())),
    };
    Ok((schedule, measured))
}

/// One chapter of a track.
pub struct Row<'a> {
    pub chapter: u32,
    pub title: String,
    pub teach: u32,
    pub exercises: Vec<&'a Entry>,
    pub take_home: Vec<&'a Entry>,
    /// Minutes of break taken after this chapter.
    pub break_after: u32,
}

/// A track laid out chapter by chapter.
pub struct Plan<'a> {
    pub rows: Vec<Row<'a>>,
    /// Teaching plus exercises.
    pub work: u32,
    pub breaks: u32,
}

impl Plan<'_> {
    pub fn total(&self) -> u32 {
        self.work + self.breaks
    }
}

/// Lay a track out over the course; an unknown exercise or chapter, or a total over the budget,
/// is an error naming the track.
pub fn plan<'a>(schedule: &Schedule, track: &Track, exercises: &'a [Entry]) -> Result<Plan<'a>> {
    let all = track.exercises.iter().any(|e| e == "*");
    let mut chosen: Vec<&Entry> = Vec::new();
    for id in track.exercises.iter().filter(|e| *e != "*") {
        match exercises.iter().find(|e| e.id() == id) {
            Some(e) => chosen.push(e),
            None => bail!("schedule track {}: no exercise '{id}'", track.id),
        }
    }
    if all {
        chosen = exercises.iter().collect();
    }
    let mut chapters: Vec<u32> = chosen.iter().map(|e| e.spec.chapter).collect();
    chapters.extend(&track.taught);
    chapters.sort();
    chapters.dedup();
    let mut rows = Vec::new();
    let (mut work, mut breaks) = (0, 0);
    for ch in chapters {
        let Some(c) = schedule.chapters.iter().find(|c| c.chapter == ch) else {
            bail!(
                "schedule track {}: chapter {ch} is not in [[chapters]]",
                track.id
            );
        };
        let ex: Vec<&Entry> = chosen
            .iter()
            .copied()
            .filter(|e| e.spec.chapter == ch)
            .collect();
        let take_home: Vec<&Entry> = exercises
            .iter()
            .filter(|e| e.spec.chapter == ch && !ex.iter().any(|x| x.id() == e.id()))
            .collect();
        let before = work;
        work += c.teach + ex.iter().map(|e| e.spec.minutes).sum::<u32>();
        let break_after = (work / BREAK_EVERY - before / BREAK_EVERY) * BREAK_MINUTES;
        breaks += break_after;
        rows.push(Row {
            chapter: ch,
            title: c.title.clone(),
            teach: c.teach,
            exercises: ex,
            take_home,
            break_after,
        });
    }
    // No break after the last chapter: the day is over.
    if let Some(last) = rows.last_mut() {
        breaks -= last.break_after;
        last.break_after = 0;
    }
    let plan = Plan { rows, work, breaks };
    if let Some(budget) = track.budget {
        if plan.total() > budget {
            bail!(
                "schedule track {} takes {} min (work {} + breaks {}), over its budget of {budget} min",
                track.id,
                plan.total(),
                plan.work,
                plan.breaks
            );
        }
    }
    Ok(plan)
}

fn clock(min: u32) -> String {
    format!("{}:{:02}", min / 60, min % 60)
}

fn exercise_cell(e: &Entry, measured: &HashMap<&str, &Measured>) -> String {
    let mut s = format!("[{}]({}) ({} min", e.id(), e.spec.book, e.spec.minutes);
    if let Some(m) = measured.get(e.id()) {
        s.push_str(&format!(
            "; measured: median {}, 80% within {}, {} learners",
            m.median, m.p80, m.learners
        ));
    }
    s.push(')');
    s
}

/// The schedule page: one table per track, with planned and (where known) measured minutes.
pub fn markdown(
    schedule: &Schedule,
    measured: &MeasuredFile,
    exercises: &[Entry],
) -> Result<String> {
    let measured: HashMap<&str, &Measured> = measured
        .exercises
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let mut out = String::new();
    for track in &schedule.tracks {
        let plan = plan(schedule, track, exercises)?;
        out.push_str(&format!("## {}\n\n{}\n\n", track.title, track.about));
        out.push_str("| chapter | teach | exercises | minutes | clock |\n|---|---|---|---|---|\n");
        let mut at = 0;
        for r in &plan.rows {
            let ex_min: u32 = r.exercises.iter().map(|e| e.spec.minutes).sum();
            at += r.teach + ex_min;
            let mut names: Vec<String> = r
                .exercises
                .iter()
                .map(|e| exercise_cell(e, &measured))
                .collect();
            if !r.take_home.is_empty() {
                let home: Vec<String> = r
                    .take_home
                    .iter()
                    .map(|e| format!("[{}]({})", e.id(), e.spec.book))
                    .collect();
                names.push(format!("take home: {}", home.join(", ")));
            }
            out.push_str(&format!(
                "| {}. {} | {} | {} | {} | {} |\n",
                r.chapter,
                r.title,
                r.teach,
                names.join("<br>"),
                r.teach + ex_min,
                clock(at)
            ));
            if r.break_after > 0 {
                at += r.break_after;
                out.push_str(&format!(
                    "| *break* | | | {} | {} |\n",
                    r.break_after,
                    clock(at)
                ));
            }
        }
        let budget = track
            .budget
            .map(|b| format!(", within a budget of {} h {:02} min", b / 60, b % 60))
            .unwrap_or_default();
        out.push_str(&format!(
            "\n**Total: {} h {:02} min** ({} min of teaching and exercises, {} min of breaks{budget}).\n\n",
            plan.total() / 60,
            plan.total() % 60,
            plan.work,
            plan.breaks
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> (Schedule, MeasuredFile) {
        read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("book")).unwrap()
    }

    #[test]
    fn every_shipped_track_fits_its_budget() {
        let exercises = crate::catalog::load().unwrap();
        let (s, m) = shipped();
        let ids: Vec<&str> = s.tracks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["full-day", "half-day", "self-paced"]);
        for t in &s.tracks {
            let p = plan(&s, t, &exercises).unwrap();
            match t.budget {
                Some(b) => assert!(p.total() <= b, "{}: {} > {b}", t.id, p.total()),
                None => assert_eq!(t.id, "self-paced"),
            }
        }
        let full = s.tracks.iter().find(|t| t.id == "full-day").unwrap();
        assert!(full.budget.unwrap() <= 7 * 60);
        let half = s.tracks.iter().find(|t| t.id == "half-day").unwrap();
        assert!(half.budget.unwrap() <= 210);
        // The full day visits every chapter.
        let p = plan(&s, full, &exercises).unwrap();
        let mut chapters: Vec<u32> = exercises.iter().map(|e| e.spec.chapter).collect();
        chapters.dedup();
        assert_eq!(
            p.rows.iter().map(|r| r.chapter).collect::<Vec<_>>(),
            chapters
        );
        // Self-paced is everything, with nothing left to take home.
        let all = s.tracks.iter().find(|t| t.id == "self-paced").unwrap();
        let p = plan(&s, all, &exercises).unwrap();
        assert_eq!(
            p.rows.iter().map(|r| r.exercises.len()).sum::<usize>(),
            exercises.len()
        );
        assert!(p.rows.iter().all(|r| r.take_home.is_empty()));
        let page = markdown(&s, &m, &exercises).unwrap();
        assert!(page.contains("take home:"), "{page}");
    }

    #[test]
    fn a_track_over_budget_or_naming_nothing_is_refused() {
        let exercises = crate::catalog::load().unwrap();
        let (mut s, _) = shipped();
        let mut t = s.tracks.remove(0);
        t.budget = Some(60);
        let e = plan(&s, &t, &exercises).err().unwrap().to_string();
        assert!(e.contains("over its budget of 60 min"), "{e}");
        t.budget = None;
        t.exercises.push("99-nothing".into());
        let e = plan(&s, &t, &exercises).err().unwrap().to_string();
        assert!(e.contains("no exercise '99-nothing'"), "{e}");
    }

    #[test]
    fn breaks_fall_after_each_ninety_minutes_but_not_at_the_end() {
        let exercises = crate::catalog::load().unwrap();
        let (s, _) = shipped();
        let t = s.tracks.iter().find(|t| t.id == "self-paced").unwrap();
        let p = plan(&s, t, &exercises).unwrap();
        assert_eq!(p.breaks, p.rows.iter().map(|r| r.break_after).sum::<u32>());
        assert!(p.rows.iter().all(|r| r.break_after % BREAK_MINUTES == 0));
        // One break per full 90 minutes, less at most the one that would end the day.
        let crossings = p.work / BREAK_EVERY;
        assert!(p.breaks >= crossings.saturating_sub(1) * BREAK_MINUTES);
        assert!(p.breaks <= crossings * BREAK_MINUTES);
        assert_eq!(p.rows.last().unwrap().break_after, 0);
    }

    #[test]
    fn measured_minutes_show_next_to_the_planned_ones() {
        let exercises = crate::catalog::load().unwrap();
        let (s, _) = shipped();
        let mut m = MeasuredFile::default();
        m.exercises.insert(
            "00-first-container".into(),
            Measured {
                learners: 12,
                median: 4,
                p80: 7,
                suggested: 10,
            },
        );
        let page = markdown(&s, &m, &exercises).unwrap();
        assert!(
            page.contains("00-first-container](ch00-setup.md#first-container) (5 min; measured: median 4, 80% within 7, 12 learners)"),
            "{page}"
        );
    }
}
