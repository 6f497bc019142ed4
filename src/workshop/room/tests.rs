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
