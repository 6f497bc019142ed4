//! Grading against the real daemon: the whole course proven both ways by `self-test`, and the
//! `check --json` contract on a starter (fails, exit 1) and a solution (passes, exit 0).

mod common;

use common::{apply_solution, dockdojo, dockdojo_pid, docker, leftovers_of, text, workspace};

#[test]
fn self_test_proves_every_exercise_both_ways() {
    let t = tempfile::tempdir().unwrap();
    // A killed self-test's kept build is removed by the next one (asserted below).
    common::stale_kept_image(None);
    let (o, pid) = dockdojo_pid(t.path(), &["self-test"], &[]);
    let out = text(&o);
    // Its end first: a shortened log of a failure still shows which cases misbehaved.
    println!(
        "{}\n\nthe whole report:\n{out}",
        common::selftest_verdict(&out)
    );
    assert!(
        leftovers_of(pid).is_empty(),
        "self-test left {:?}",
        leftovers_of(pid)
    );
    // The builds kept between an exercise's cases go with its last case; a killed one's, first.
    let (listed, kept) = docker(&["images", "-q", "dojo-selftest-keep"]);
    assert!(listed && kept.is_empty(), "self-test kept images: {kept}");
    assert!(
        o.status.success(),
        "self-test failed (the whole report is printed above):\n{}",
        common::selftest_verdict(&out)
    );
    // Every exercise contributes a starter, a solution and two or more mutants.
    let exercises =
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().join("exercise.toml").is_file())
            .count();
    let last = out
        .lines()
        .rfind(|l| l.ends_with("failed"))
        .unwrap_or_default()
        .to_string();
    let (passed, failed) = last.split_once(" passed, ").unwrap();
    let passed: usize = passed.trim().parse().unwrap();
    assert_eq!(failed.trim(), "0 failed");
    assert!(
        passed >= exercises * 4,
        "{passed} cases for {exercises} exercises"
    );
    assert_eq!(out.matches("  ok   starter fails").count(), exercises);
    assert_eq!(out.matches("  ok   solution passes").count(), exercises);
}

#[test]
fn check_json_follows_the_report_contract() {
    let (_t, root) = workspace();
    let id = "03-first-dockerfile";
    let (o, pid) = dockdojo_pid(&root, &["check", id, "--json"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(leftovers_of(pid).is_empty(), "{:?}", leftovers_of(pid));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(r["exercise"], id);
    assert_eq!(r["passed"], false);
    assert!(r["duration_ms"].is_u64());
    let checks = r["checks"].as_array().unwrap();
    assert!(!checks.is_empty());
    for c in checks {
        for k in ["id", "title", "expected", "actual", "hint", "book"] {
            assert!(c[k].is_string(), "{k} in {c}");
        }
        assert!(c["passed"].is_boolean() && c["duration_ms"].is_u64());
    }
    let failed = checks.iter().find(|c| c["passed"] == false).unwrap();
    assert!(
        failed["book"].as_str().unwrap().contains(".md#"),
        "{failed}"
    );

    apply_solution(&root, id);
    let (o, pid) = dockdojo_pid(&root.join(id), &["check", "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(leftovers_of(pid).is_empty(), "{:?}", leftovers_of(pid));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["passed"], true, "{r}");
    // Progress remembers the pass, so the solution is now shown without --force.
    let o = dockdojo(&root, &["solution", id], &[]);
    assert!(o.status.success(), "{}", text(&o));
}
