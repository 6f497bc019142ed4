use super::*;
use crate::workshop::proto::ExerciseHead;
use crate::workshop::room::RoomConfig;

fn heads() -> Vec<ExerciseHead> {
    vec![ExerciseHead {
        id: "00-a".into(),
        chapter: 0,
        title: "A".into(),
    }]
}

fn report(id: &str, passed: bool, failed: &[&str]) -> Report {
    Report {
        id: id.into(),
        kind: ReportKind::Check,
        exercise: Some("00-a".into()),
        passed,
        failed: failed.iter().map(|s| s.to_string()).collect(),
        summary: String::new(),
        hints_used: 1,
        client_time: Some(1),
        time_spent_s: None,
        started_by: StartedBy::Learner,
    }
}

#[test]
fn everything_survives_a_reopen_and_duplicates_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let secrets = {
        let mut db = Db::open(&path).unwrap();
        let (s, new) = db.secrets().unwrap();
        assert!(new);
        let id = db.add_student("Ada", "h1", 100).unwrap();
        assert_eq!(
            db.add_report(id, &report("r1", false, &["build"]), 110)
                .unwrap(),
            Inserted::Stored
        );
        assert_eq!(
            db.add_report(id, &report("r1", true, &[]), 111).unwrap(),
            Inserted::Duplicate
        );
        db.set_pace(Some(Some(3)), Some(true), Some(400)).unwrap();
        db.add_message(
            &NewMessage {
                kind: MessageKind::Hint,
                text: "look at the port".into(),
                exercise: Some("00-a".into()),
                student: None,
            },
            120,
        )
        .unwrap();
        db.add_message(
            &NewMessage {
                kind: MessageKind::Message,
                text: "see me".into(),
                exercise: None,
                student: Some(id),
            },
            121,
        )
        .unwrap();
        let mut auto = report("r2", false, &["build"]);
        auto.started_by = StartedBy::Auto;
        db.add_report(id, &auto, 122).unwrap();
        s
    };
    let mut db = Db::open(&path).unwrap();
    let (again, new) = db.secrets().unwrap();
    assert!(!new);
    assert_eq!(again, secrets);
    assert_eq!(db.counts().unwrap(), (1, 2));
    let mut room = Room::new(heads(), RoomConfig::default());
    db.load_room(&mut room).unwrap();
    let v = room.view(130);
    assert_eq!(v.students.len(), 1);
    let cell = &v.students[0].cells["00-a"];
    assert_eq!(cell.attempts, 1);
    assert!(!cell.passed);
    assert_eq!(cell.failing_check.as_deref(), Some("build"));
    assert_eq!(v.unlocked_through, Some(3));
    assert!(v.on_break);
    assert_eq!(v.break_until, Some(400));
    assert_eq!(v.messages.len(), 2);
    assert_eq!(v.messages[1].student, Some(1));
    assert_eq!(room.student_by_token("h1"), Some(1));
    assert_eq!(room.student_view(1, 0).messages.len(), 2);
    assert_eq!(room.student_view(2, 0).messages.len(), 1);
}

/// A database as a version 2 dockdojo left it: the tables without `reports.time_spent_s`.
fn make_v2(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch(TO_V2).unwrap();
    conn.execute_batch(
        "INSERT INTO meta(key, value) VALUES ('schema_version', '2');
             INSERT INTO students(name, token_hash, joined_at) VALUES ('Ada', 'h1', 100);
             INSERT INTO reports(student_id, report_id, kind, exercise, passed, failed, summary,
                                 hints_used, client_time, received_at)
             VALUES (1, 'old', 'check', '00-a', 1, '[]', 'passed', 0, NULL, 160);",
    )
    .unwrap();
}

#[test]
fn a_version_2_database_opens_and_gains_the_time_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    make_v2(&path);
    let mut db = Db::open(&path).unwrap();
    assert_eq!(db.meta("schema_version").unwrap().as_deref(), Some("4"));
    let mut r = report("new", false, &["build"]);
    r.time_spent_s = Some(240);
    db.add_report(1, &r, 170).unwrap();
    drop(db);
    // Opening again migrates nothing twice, and the old report reads without a time.
    let db = Db::open(&path).unwrap();
    assert_eq!(db.counts().unwrap(), (1, 2));
    let mut room = Room::new(heads(), RoomConfig::default());
    db.load_room(&mut room).unwrap();
    let rows = room.export_rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].attempts, rows[0].time_spent_s, rows[0].solve_s),
        (2, Some(240), Some(0))
    );
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch("INSERT INTO meta(key, value) VALUES ('schema_version', '5');")
            .unwrap();
    }
    let e = Db::open(&path).err().map(|e| format!("{e:#}")).unwrap();
    assert!(e.contains("newer dockdojo"), "{e}");
}

#[test]
fn a_second_server_on_the_same_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let _first = Db::open(&path).unwrap();
    let second = std::thread::spawn(move || Db::open(&path).err().map(|e| format!("{e:#}")))
        .join()
        .unwrap();
    let msg = second.expect("the second open must fail");
    assert!(msg.contains("in use by another"), "{msg}");
}
