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
mod tests {
    use super::*;

    fn room(stuck_after: u32, idle_secs: i64) -> Room {
        let heads = ["00-a", "01-b", "02-c"]
            .iter()
            .enumerate()
            .map(|(i, id)| ExerciseHead {
                id: id.to_string(),
                chapter: i as u32,
                title: id.to_string(),
            })
            .collect();
        Room::new(
            heads,
            RoomConfig {
                stuck_after,
                idle_secs,
            },
        )
    }

    fn check(ex: &str, passed: bool, failed: &[&str], hints: u32) -> Report {
        Report {
            id: String::new(),
            kind: ReportKind::Check,
            exercise: Some(ex.into()),
            passed,
            failed: failed.iter().map(|s| s.to_string()).collect(),
            summary: String::new(),
            hints_used: hints,
            // Deliberately absurd: the client's clock is never used.
            client_time: Some(-5),
            time_spent_s: None,
            started_by: StartedBy::Learner,
        }
    }

    fn auto(mut r: Report) -> Report {
        r.started_by = StartedBy::Auto;
        r
    }

    #[test]
    fn checks_dockdojo_started_are_no_attempts_and_never_make_a_student_stuck() {
        let mut r = room(2, 0);
        r.add_student(1, "Ada".into(), "h".into(), 0);
        // Opening the app, `watch` starting, Docker events: failures the learner never asked for.
        for t in 0..5 {
            r.apply(1, &auto(check("00-a", false, &["build"], 0)), 10 + t);
        }
        let v = r.view(20);
        assert_eq!(v.students[0].cells.get("00-a"), None);
        assert_eq!(v.students[0].stuck, None);
        assert_eq!(v.students[0].last_seen, Some(14));
        assert!(v.failing.is_empty());
        // One learner attempt in between does not make a streak of two with them.
        r.apply(1, &check("00-a", false, &["build"], 0), 21);
        r.apply(1, &auto(check("00-a", false, &["build"], 0)), 22);
        let v = r.view(23);
        let c = &v.students[0].cells["00-a"];
        assert_eq!((c.attempts, c.fail_streak), (1, 1));
        assert_eq!(v.students[0].stuck, None);
        r.apply(1, &check("00-a", false, &["build"], 0), 24);
        assert!(r.view(25).students[0].stuck.is_some());
        // A pass found on its own still is a pass (no attempt added).
        r.apply(1, &auto(check("00-a", true, &[], 0)), 30);
        let v = r.view(31);
        let c = &v.students[0].cells["00-a"];
        assert_eq!((c.attempts, c.passed, c.first_pass_at), (2, true, Some(30)));
        assert_eq!(v.students[0].stuck, None);
        assert_eq!(r.export_rows()[0].attempts, 2);
    }

    #[test]
    fn a_message_to_one_student_reaches_them_and_the_instructor_only() {
        let mut r = room(3, 0);
        r.add_student(1, "Ada".into(), "h".into(), 0);
        r.add_student(2, "Bob".into(), "h2".into(), 0);
        let msg = |id, student| Message {
            id,
            kind: crate::workshop::proto::MessageKind::Hint,
            text: format!("m{id}"),
            exercise: None,
            at: id,
            student,
        };
        r.push_message(msg(1, None));
        r.push_message(msg(2, Some(1)));
        r.push_message(msg(3, Some(2)));
        let ids = |v: StudentView| v.messages.iter().map(|m| m.id).collect::<Vec<_>>();
        assert_eq!(ids(r.student_view(1, 0)), [1, 2]);
        assert_eq!(ids(r.student_view(2, 0)), [1, 3]);
        assert_eq!(ids(r.student_view(3, 0)), [1]);
        assert_eq!(r.view(5).messages.len(), 3);
        let board: Vec<i64> = r.board_view(5).messages.iter().map(|m| m.id).collect();
        assert_eq!(board, [1]);
    }

    #[test]
    fn streaks_count_only_the_same_first_failing_check_in_a_row() {
        let mut r = room(3, 0);
        r.add_student(1, "Ada".into(), "h".into(), 0);
        r.apply(1, &check("00-a", false, &["build", "run"], 0), 10);
        r.apply(1, &check("00-a", false, &["build"], 2), 11);
        let c = &r.view(12).students[0].cells["00-a"];
        assert_eq!((c.attempts, c.fail_streak, c.hints_used), (2, 2, 2));
        assert_eq!(c.failing_check.as_deref(), Some("build"));
        assert_eq!(r.view(12).students[0].stuck, None);
        // A different first failure restarts the streak.
        r.apply(1, &check("00-a", false, &["run"], 1), 13);
        let c = &r.view(14).students[0].cells["00-a"];
        assert_eq!((c.fail_streak, c.hints_used), (1, 2));
        r.apply(1, &check("00-a", false, &["run"], 1), 15);
        r.apply(1, &check("00-a", false, &["run"], 1), 16);
        let v = r.view(17);
        assert_eq!(
            v.students[0].stuck.as_deref(),
            Some("00-a: `run` failed 3 times in a row")
        );
        // A pass clears the streak and sets the first pass time once.
        r.apply(1, &check("00-a", true, &[], 1), 20);
        r.apply(1, &check("00-a", false, &["run"], 1), 21);
        r.apply(1, &check("00-a", true, &[], 1), 22);
        let v = r.view(23);
        let c = &v.students[0].cells["00-a"];
        assert!(c.passed);
        assert_eq!(c.first_pass_at, Some(20));
        assert_eq!((c.attempts, c.fail_streak), (8, 0));
        assert_eq!(c.failing_check, None);
        assert_eq!(v.students[0].stuck, None);
    }

    #[test]
    fn stuck_names_the_latest_stuck_exercise_and_idle_respects_breaks() {
        let mut r = room(2, 600);
        r.add_student(1, "Ada".into(), "h".into(), 0);
        r.add_student(2, "Bob".into(), "h2".into(), 0);
        for t in 0..2 {
            r.apply(1, &check("01-b", false, &["port"], 0), 10 + t);
        }
        for t in 0..2 {
            r.apply(1, &check("00-a", false, &["build"], 0), 20 + t);
        }
        r.apply(2, &check("00-a", true, &[], 0), 30);
        let v = r.view(100);
        assert_eq!(
            v.students[0].stuck.as_deref(),
            Some("00-a: `build` failed 2 times in a row")
        );
        assert_eq!(v.students[1].stuck, None);
        let v = r.view(30 + 720);
        assert_eq!(v.students[1].stuck.as_deref(), Some("no report for 12 min"));
        r.on_break = true;
        assert_eq!(r.view(30 + 720).students[1].stuck, None);
        assert_eq!(r.student_view(2, 750).break_left_s, None);
        r.break_until = Some(1000);
        assert_eq!(r.student_view(2, 750).break_left_s, Some(250));
        assert_eq!(r.student_view(2, 1100).break_left_s, Some(0));
        assert_eq!(r.view(750).break_until, Some(1000));
        r.on_break = false;
        assert_eq!(r.student_view(2, 750).break_left_s, None);
        assert_eq!(r.view(750).break_until, None);
        r.add_student(3, "Cy".into(), "h3".into(), 0);
        assert_eq!(
            r.view(660).students[2].stuck.as_deref(),
            Some("no report since joining 11 min ago")
        );
    }

    #[test]
    fn failing_ranks_latest_failures_most_first() {
        let mut r = room(3, 0);
        for id in 1..=4 {
            r.add_student(id, format!("s{id}"), format!("h{id}"), 0);
        }
        // Three students fail 01-b on `port`, one of them fixes it afterwards.
        for id in 1..=3 {
            r.apply(id, &check("01-b", false, &["port", "logs"], 0), 10);
        }
        r.apply(3, &check("01-b", true, &[], 0), 11);
        // One fails 00-a on `build`, one fails 02-c on `user`, and 00-a again on `build`.
        r.apply(4, &check("00-a", false, &["build"], 0), 12);
        r.apply(4, &check("02-c", false, &["user"], 0), 13);
        r.apply(1, &check("00-a", false, &["tag"], 0), 14);
        r.apply(1, &check("00-a", false, &["build"], 0), 15);
        let v = r.view(20);
        let got: Vec<(String, String, u32)> = v
            .failing
            .iter()
            .map(|f| (f.exercise.clone(), f.check.clone(), f.students))
            .collect();
        assert_eq!(
            got,
            vec![
                ("00-a".into(), "build".into(), 2),
                ("01-b".into(), "port".into(), 2),
                ("02-c".into(), "user".into(), 1),
            ]
        );
        assert!(v.self_reported);
    }

    #[test]
    fn doctor_and_prepare_keep_the_latest_outcome_and_export_lists_attempts() {
        let mut r = room(3, 0);
        r.add_student(7, "Ada".into(), "h".into(), 0);
        let mut d = check("00-a", false, &[], 0);
        d.kind = ReportKind::Doctor;
        d.exercise = None;
        r.apply(7, &d, 5);
        d.passed = true;
        r.apply(7, &d, 6);
        d.kind = ReportKind::Prepare;
        d.passed = false;
        r.apply(7, &d, 7);
        r.apply(7, &check("02-c", true, &[], 1), 8);
        r.apply(7, &check("00-a", false, &["x"], 0), 9);
        // Unknown students are ignored, not a panic.
        r.apply(99, &check("00-a", true, &[], 0), 9);
        let v = r.view(10);
        let s = &v.students[0];
        assert_eq!(
            (s.doctor_ok, s.prepare_ok, s.last_seen),
            (Some(true), Some(false), Some(9))
        );
        let rows = r.export_rows();
        let ex: Vec<&str> = rows.iter().map(|r| r.exercise.as_str()).collect();
        assert_eq!(ex, ["00-a", "02-c"]);
        // Someone who joined and never checked is still in the export.
        r.add_student(8, "Bo".into(), "h8".into(), 0);
        let rows = r.export_rows();
        assert_eq!(
            (
                rows[2].student.as_str(),
                rows[2].exercise.as_str(),
                rows[2].attempts
            ),
            ("Bo", "", 0)
        );
        let rows = &rows[..2];
        assert_eq!(rows[1].first_pass_at, Some(8));
        assert!(rows.iter().all(|r| r.source == "self-reported"));
        assert_eq!(r.report_count(), 5);
        // What the stored-report cap counts: this student's stored reports only.
        assert_eq!(
            (r.reports_of(7), r.reports_of(8), r.reports_of(99)),
            (5, 0, 0)
        );
    }

    #[test]
    fn export_times_come_from_the_first_report_and_the_latest_app_time() {
        let mut r = room(3, 0);
        r.add_student(1, "Ada".into(), "h".into(), 0);
        let timed = |passed, failed: &[&str], t| {
            let mut c = check("01-b", passed, failed, 0);
            c.time_spent_s = t;
            c
        };
        r.apply(1, &timed(false, &["port"], Some(60)), 100);
        let rows = r.export_rows();
        assert_eq!((rows[0].time_spent_s, rows[0].solve_s), (Some(60), None));
        r.apply(1, &timed(true, &[], Some(200)), 250);
        // Later reports: no time from an older client keeps the last one; the first pass stays.
        r.apply(1, &timed(true, &[], None), 900);
        let rows = r.export_rows();
        assert_eq!(
            (rows[0].time_spent_s, rows[0].solve_s),
            (Some(200), Some(150))
        );
        // Doctor reports carry no exercise time.
        let mut d = timed(true, &[], Some(5));
        d.kind = ReportKind::Doctor;
        d.exercise = None;
        r.apply(1, &d, 950);
        assert_eq!(r.export_rows().len(), 1);
    }
}
