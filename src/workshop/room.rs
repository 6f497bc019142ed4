//! The in-memory aggregate of the room: one row per student with one cell per attempted
//! exercise, updated on each stored report (O(1) per report) so that a [`RoomView`] for 300
//! students × 27 exercises is cheap to compute as often as the board asks. Rebuilt from the
//! database at start; the database stays the source of truth.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::workshop::proto::{
    Cell, ExerciseHead, ExportRow, FailingCheck, Message, Report, ReportKind, RoomView, StartedBy,
    StudentRow, StudentView,
};

/// Messages kept in views (the most recent, oldest first).
pub const RECENT_MESSAGES: usize = 20;
/// Entries of [`RoomView::failing`] at most.
pub const MAX_FAILING: usize = 50;

/// When a student counts as stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomConfig {
    /// Failed attempts in a row on the same check (0: never).
    pub stuck_after: u32,
    /// Seconds without any report, outside breaks (0: never).
    pub idle_secs: i64,
}

impl Default for RoomConfig {
    fn default() -> Self {
        Self {
            stuck_after: 3,
            idle_secs: 600,
        }
    }
}

struct StudentState {
    row: StudentRow,
    /// Reports stored for this student.
    stored: u32,
    /// Per exercise: the room-wide sequence number of its latest check report.
    last_check: HashMap<String, u64>,
    /// Per exercise: what the export's time columns come from.
    times: HashMap<String, Times>,
}

/// The time figures of one student × exercise (export only; not part of the room's views).
#[derive(Debug, Clone, Copy, Default)]
struct Times {
    /// Server time of the first check report.
    first_at: i64,
    /// The latest `time_spent_s` a report carried.
    time_spent_s: Option<u64>,
}

/// The room as the server holds it in memory.
pub struct Room {
    cfg: RoomConfig,
    exercises: Vec<ExerciseHead>,
    exercise_pos: HashMap<String, usize>,
    students: Vec<StudentState>,
    by_id: HashMap<i64, usize>,
    by_token: HashMap<String, i64>,
    reports: u64,
    pub unlocked_through: Option<u32>,
    pub on_break: bool,
    /// On a break with an end time: when it ends (server time).
    pub break_until: Option<i64>,
    /// New students are refused.
    pub locked: bool,
    /// The board shows no message with an id up to this one (the instructor cleared it).
    pub banner_cleared_through: i64,
    messages: VecDeque<Message>,
}

impl Room {
    /// An empty room over the course's exercises (in course order).
    pub fn new(exercises: Vec<ExerciseHead>, cfg: RoomConfig) -> Self {
        let exercise_pos = exercises
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        Self {
            cfg,
            exercises,
            exercise_pos,
            students: Vec::new(),
            by_id: HashMap::new(),
            by_token: HashMap::new(),
            reports: 0,
            unlocked_through: None,
            on_break: false,
            break_until: None,
            locked: false,
            banner_cleared_through: 0,
            messages: VecDeque::new(),
        }
    }

    /// An empty room over the same exercises and settings (to rebuild from the database).
    pub fn fresh(&self) -> Self {
        Self::new(self.exercises.clone(), self.cfg)
    }

    /// The name of the student `id`.
    pub fn name_of(&self, id: i64) -> Option<&str> {
        self.by_id
            .get(&id)
            .map(|&i| self.students[i].row.name.as_str())
    }

    /// Rename a student (the name already normalised and unique).
    pub fn rename(&mut self, id: i64, name: String) {
        if let Some(&i) = self.by_id.get(&id) {
            self.students[i].row.name = name;
        }
    }

    /// Hide a student from the board, or show them again.
    pub fn set_hidden(&mut self, id: i64, hidden: bool) {
        if let Some(&i) = self.by_id.get(&id) {
            self.students[i].row.hidden = hidden;
        }
    }

    /// Withdraw a message from the recent ones.
    pub fn retract(&mut self, id: i64) {
        self.messages.retain(|m| m.id != id);
    }

    /// The id of the latest message, if any.
    pub fn latest_message(&self) -> Option<i64> {
        self.messages.back().map(|m| m.id)
    }

    /// Whether `id` is one of the course's exercises.
    pub fn has_exercise(&self, id: &str) -> bool {
        self.exercise_pos.contains_key(id)
    }

    /// The highest chapter number in the course.
    pub fn last_chapter(&self) -> u32 {
        self.exercises.iter().map(|e| e.chapter).max().unwrap_or(0)
    }

    /// Students who joined.
    pub fn student_count(&self) -> usize {
        self.students.len()
    }

    /// Reports folded in so far.
    pub fn report_count(&self) -> u64 {
        self.reports
    }

    /// The student whose token hashes to `hash`.
    pub fn student_by_token(&self, hash: &str) -> Option<i64> {
        self.by_token.get(hash).copied()
    }

    /// Add a student (from a join, or from the database at start).
    pub fn add_student(&mut self, id: i64, name: String, token_hash: String, joined_at: i64) {
        self.by_id.insert(id, self.students.len());
        self.by_token.insert(token_hash, id);
        self.students.push(StudentState {
            row: StudentRow {
                id,
                name,
                joined_at,
                last_seen: None,
                doctor_ok: None,
                prepare_ok: None,
                cells: BTreeMap::new(),
                stuck: None,
                hidden: false,
                doctor_failed: Vec::new(),
            },
            last_check: HashMap::new(),
            times: HashMap::new(),
            stored: 0,
        });
    }

    /// Reports stored for the student `id`.
    pub fn reports_of(&self, id: i64) -> u32 {
        self.by_id.get(&id).map_or(0, |&i| self.students[i].stored)
    }

    /// `name` made unique in the room (`Ada (2)` when an `Ada` is there).
    pub fn unique_name(&self, name: &str) -> String {
        let taken: std::collections::HashSet<String> = self
            .students
            .iter()
            .map(|s| super::names::fold(&s.row.name))
            .collect();
        super::names::unique(name, |f| taken.contains(f))
    }

    /// Fold one stored report (server time `at`) into the aggregate.
    pub fn apply(&mut self, student_id: i64, r: &Report, at: i64) {
        let Some(&i) = self.by_id.get(&student_id) else {
            return;
        };
        self.reports += 1;
        let seq = self.reports;
        let s = &mut self.students[i];
        s.stored = s.stored.saturating_add(1);
        s.row.last_seen = Some(s.row.last_seen.map_or(at, |t| t.max(at)));
        match r.kind {
            ReportKind::Doctor => {
                s.row.doctor_ok = Some(r.passed);
                s.row.doctor_failed = r.failed.clone();
            }
            ReportKind::Prepare => s.row.prepare_ok = Some(r.passed),
            ReportKind::Check => {
                let Some(ex) = &r.exercise else { return };
                s.last_check.insert(ex.clone(), seq);
                let times = s.times.entry(ex.clone()).or_insert(Times {
                    first_at: at,
                    time_spent_s: None,
                });
                if r.time_spent_s.is_some() {
                    times.time_spent_s = r.time_spent_s;
                }
                if r.started_by == StartedBy::Auto {
                    // dockdojo checked on its own: no attempt, no streak; a pass still counts.
                    if r.passed {
                        let cell = s.row.cells.entry(ex.clone()).or_default();
                        cell.hints_used = cell.hints_used.max(r.hints_used);
                        cell.summary = None;
                        cell.passed = true;
                        cell.first_pass_at.get_or_insert(at);
                        cell.failing_check = None;
                        cell.fail_streak = 0;
                    }
                    return;
                }
                let cell = s.row.cells.entry(ex.clone()).or_default();
                cell.attempts = cell.attempts.saturating_add(1);
                cell.hints_used = cell.hints_used.max(r.hints_used);
                cell.summary = (!r.passed && !r.summary.is_empty()).then(|| r.summary.clone());
                if r.passed {
                    cell.passed = true;
                    cell.first_pass_at.get_or_insert(at);
                    cell.failing_check = None;
                    cell.fail_streak = 0;
                } else {
                    let first = r.failed.first().cloned();
                    if cell.fail_streak > 0 && cell.failing_check == first {
                        cell.fail_streak = cell.fail_streak.saturating_add(1);
                    } else {
                        cell.fail_streak = 1;
                    }
                    cell.failing_check = first;
                }
            }
        }
    }

    /// Keep a message among the recent ones.
    pub fn push_message(&mut self, m: Message) {
        self.messages.push_back(m);
        while self.messages.len() > RECENT_MESSAGES {
            self.messages.pop_front();
        }
    }

    fn stuck(&self, s: &StudentState, now: i64) -> Option<String> {
        if self.cfg.stuck_after > 0 {
            let worst = s
                .row
                .cells
                .iter()
                .filter(|(_, c)| !c.passed && c.fail_streak >= self.cfg.stuck_after)
                .max_by_key(|(ex, _)| s.last_check.get(*ex).copied().unwrap_or(0));
            if let Some((ex, c)) = worst {
                return Some(match &c.failing_check {
                    Some(check) => {
                        format!("{ex}: `{check}` failed {} times in a row", c.fail_streak)
                    }
                    None => format!("{ex}: failed {} times in a row", c.fail_streak),
                });
            }
        }
        if self.cfg.idle_secs > 0 && !self.on_break {
            let last = s.row.last_seen.unwrap_or(s.row.joined_at);
            let idle = now - last;
            if idle >= self.cfg.idle_secs {
                return Some(match s.row.last_seen {
                    Some(_) => format!("no report for {} min", idle / 60),
                    None => format!("no report since joining {} min ago", idle / 60),
                });
            }
        }
        None
    }

    /// The whole room at server time `now` (the instructor's view).
    pub fn view(&self, now: i64) -> RoomView {
        self.view_for(now, false)
    }

    /// What the projector shows: without hidden students, and without a cleared banner.
    pub fn board_view(&self, now: i64) -> RoomView {
        self.view_for(now, true)
    }

    fn view_for(&self, now: i64, board: bool) -> RoomView {
        let mut counts: HashMap<(&str, &str), u32> = HashMap::new();
        let students = self
            .students
            .iter()
            .filter(|s| !(board && s.row.hidden))
            .map(|s| {
                for (ex, c) in &s.row.cells {
                    if let Some(check) = &c.failing_check {
                        *counts.entry((ex.as_str(), check.as_str())).or_default() += 1;
                    }
                }
                let mut row = s.row.clone();
                row.stuck = self.stuck(s, now);
                if board {
                    // Free text a student wrote never reaches the projector.
                    for c in row.cells.values_mut() {
                        c.summary = None;
                    }
                }
                row
            })
            .collect();
        let mut failing: Vec<FailingCheck> = counts
            .into_iter()
            .map(|((ex, check), n)| FailingCheck {
                exercise: ex.to_string(),
                check: check.to_string(),
                students: n,
            })
            .collect();
        failing.sort_by(|a, b| {
            b.students
                .cmp(&a.students)
                .then_with(|| self.pos(&a.exercise).cmp(&self.pos(&b.exercise)))
                .then_with(|| a.check.cmp(&b.check))
        });
        failing.truncate(MAX_FAILING);
        RoomView {
            now,
            exercises: self.exercises.clone(),
            students,
            failing,
            unlocked_through: self.unlocked_through,
            on_break: self.on_break,
            messages: self
                .messages
                .iter()
                .filter(|m| !board || (m.id > self.banner_cleared_through && m.student.is_none()))
                .cloned()
                .collect(),
            self_reported: true,
            locked: self.locked,
            break_until: self.break_until.filter(|_| self.on_break),
        }
    }

    fn pos(&self, ex: &str) -> usize {
        self.exercise_pos.get(ex).copied().unwrap_or(usize::MAX)
    }

    /// What the student `id`'s app shows: pacing, and the recent messages to the room or to
    /// them (never another student's).
    pub fn student_view(&self, id: i64, now: i64) -> StudentView {
        StudentView {
            break_left_s: self
                .break_until
                .filter(|_| self.on_break)
                .map(|until| u64::try_from(until - now).unwrap_or(0)),
            unlocked_through: self.unlocked_through,
            on_break: self.on_break,
            messages: self
                .messages
                .iter()
                .filter(|m| m.student.is_none_or(|s| s == id))
                .cloned()
                .collect(),
        }
    }

    /// One row per student × attempted exercise, students by id, exercises in course order; a
    /// student with no attempt yet gets one row with an empty exercise (they were there). The
    /// solve time is the server's: from the first report on the exercise to the first pass.
    pub fn export_rows(&self) -> Vec<ExportRow> {
        let mut out = Vec::new();
        for s in &self.students {
            if s.row.cells.is_empty() {
                out.push(ExportRow {
                    student: s.row.name.clone(),
                    student_id: s.row.id,
                    exercise: String::new(),
                    attempts: 0,
                    passed: false,
                    first_pass_at: None,
                    hints_used: 0,
                    source: "self-reported".into(),
                    time_spent_s: None,
                    solve_s: None,
                });
            }
            let mut cells: Vec<(&String, &Cell)> = s.row.cells.iter().collect();
            cells.sort_by_key(|(ex, _)| self.pos(ex));
            for (ex, c) in cells {
                let times = s.times.get(ex).copied().unwrap_or_default();
                out.push(ExportRow {
                    student: s.row.name.clone(),
                    student_id: s.row.id,
                    exercise: ex.clone(),
                    attempts: c.attempts,
                    passed: c.passed,
                    first_pass_at: c.first_pass_at,
                    hints_used: c.hints_used,
                    source: "self-reported".into(),
                    time_spent_s: times.time_spent_s,
                    solve_s: c
                        .first_pass_at
                        .map(|pass| u64::try_from(pass - times.first_at).unwrap_or(0)),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
