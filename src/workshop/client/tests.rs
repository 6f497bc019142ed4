use super::*;

#[test]
fn urls_are_normalised() {
    assert_eq!(
        normalize_url("10.0.0.5:4040/").unwrap(),
        "http://10.0.0.5:4040"
    );
    assert_eq!(
        normalize_url(" http://room.local:4040// ").unwrap(),
        "http://room.local:4040"
    );
    assert!(normalize_url("").is_err());
    assert!(normalize_url("https://x:1")
        .unwrap_err()
        .to_string()
        .contains("plain http"));
}

#[test]
fn check_shows_the_break_each_time_and_a_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let msg = |id, text: &str, student| proto::Message {
        id,
        kind: proto::MessageKind::Message,
        text: text.into(),
        exercise: None,
        at: 0,
        student,
    };
    let mut v = proto::StudentView {
        unlocked_through: None,
        on_break: true,
        messages: vec![
            msg(3, "older", None),
            msg(4, "back at\n\x1b[2J10:45", Some(7)),
        ],
        break_left_s: None,
    };
    let first = room_notes(dir.path(), &v);
    assert_eq!(
        first,
        [
            "Break: the room is on a break; your instructor says when it is over.",
            "From your instructor: (to you) back at [2J10:45",
        ]
    );
    // The next check: the break again, the message not.
    assert_eq!(room_notes(dir.path(), &v), first[..1]);
    v.break_left_s = Some(601);
    assert_eq!(
        room_notes(dir.path(), &v),
        ["Break: 11 min left, then back to the exercises."]
    );
    v.break_left_s = Some(0);
    assert_eq!(
        room_notes(dir.path(), &v),
        ["Break: its time is up; your instructor ends it in a moment."]
    );
    v.on_break = false;
    assert!(room_notes(dir.path(), &v).is_empty());
    v.messages.push(msg(5, "new", None));
    assert_eq!(room_notes(dir.path(), &v), ["From your instructor: new"]);
    assert!(room_notes(dir.path(), &v).is_empty());
}

#[test]
fn check_reports_name_the_failed_checks() {
    let c = |id: &str, passed, skipped| checker::CheckResult {
        id: id.into(),
        title: format!("title of {id}"),
        passed,
        expected: "e".into(),
        actual: format!("{}\nsecond line", "x".repeat(300)),
        hint: String::new(),
        book: String::new(),
        duration_ms: 1,
        skipped,
        unsupported: false,
        error: false,
    };
    let r = checker::Report {
        exercise: "05-x".into(),
        passed: false,
        duration_ms: 3,
        checks: vec![
            c("a", true, false),
            c("b", false, false),
            c("c", false, true),
        ],
    };
    let learner = proto::StartedBy::Learner;
    let p = check_report(&r, 2, 0, learner);
    assert_eq!(p.time_spent_s, None);
    assert_eq!(check_report(&r, 2, 95, learner).time_spent_s, Some(95));
    // The learner's reports carry no `started_by` (an older server reads them); dockdojo's
    // own checks say so.
    let json = serde_json::to_string(&p).unwrap();
    assert!(!json.contains("started_by"), "{json}");
    let auto = check_report(&r, 2, 0, proto::StartedBy::Auto);
    let json = serde_json::to_string(&auto).unwrap();
    assert!(json.contains(r#""started_by":"auto""#), "{json}");
    assert_eq!(p.failed, vec!["b".to_string()]);
    assert_eq!(p.exercise.as_deref(), Some("05-x"));
    assert_eq!(p.hints_used, 2);
    assert!(
        p.summary.starts_with("b: title of b (got: xxx"),
        "{}",
        p.summary
    );
    assert_eq!(p.summary.chars().count(), SUMMARY_CHARS);
    assert!(!p.summary.contains("second line"));
    assert_eq!(
        uuid::Uuid::parse_str(&p.id).map(|u| u.get_version_num()),
        Ok(4)
    );
    let d = doctor_report(&[
        ("daemon", true, "ok"),
        ("course image", false, "gone"),
        ("course image", false, "x"),
    ]);
    assert_eq!(d.failed, vec!["course image".to_string()]);
    assert_eq!(d.summary, "course image: gone");
    assert!(!d.passed);
}
