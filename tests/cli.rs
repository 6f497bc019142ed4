//! The CLI contract without a daemon: init, list, hint, answer, solution, reset, progress files, usage and
//! environment errors with their exit codes.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::{dockdojo, text, workspace};

#[test]
fn init_writes_every_exercise_with_exec_bits() {
    let (_t, root) = workspace();
    let ids: Vec<String> =
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().join("exercise.toml").is_file())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
    assert!(ids.len() >= 6, "{ids:?}");
    for id in &ids {
        let readme = std::fs::read_to_string(root.join(id).join("README.md")).unwrap();
        assert!(readme.len() > 100, "{id} README is too short");
    }
    let script = root.join("03-cache-order/install-deps.sh");
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o111,
        0o111,
        "exec bit restored on {}",
        script.display()
    );
    assert!(!root.join("01-writable-layer/.gitkeep").exists());
}

/// `init` ends by naming the course app and the second terminal the learner needs.
#[test]
fn init_names_the_app_and_the_second_terminal() {
    let t = tempfile::tempdir().unwrap();
    let o = dockdojo(t.path(), &["init", "ws"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("  dockdojo             # the course app"),
        "{out}"
    );
    assert!(out.contains("second terminal"), "{out}");
}

#[test]
fn init_refuses_a_non_empty_folder_and_updates_a_workspace() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("mine.txt"), "keep").unwrap();
    let o = dockdojo(t.path(), &["init", "."], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not empty"), "{}", text(&o));
    let (_t, root) = workspace();
    std::fs::remove_dir_all(root.join("03-cache-order")).unwrap();
    std::fs::write(root.join("01-writable-layer/notes.txt"), "mine").unwrap();
    let o = dockdojo(&root, &["init", "."], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(root.join("03-cache-order/Dockerfile").is_file());
    assert_eq!(
        std::fs::read_to_string(root.join("01-writable-layer/notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn list_json_has_every_exercise_with_status() {
    let (_t, root) = workspace();
    let o = dockdojo(&root, &["list", "--json"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert!(items.len() >= 6);
    for i in items {
        assert_eq!(i["status"], "not_started");
        assert!(i["chapter"].as_u64().unwrap() <= u64::from(checker::spec::LAST_CHAPTER));
        assert!(i["id"].as_str().unwrap().len() > 3);
    }
}

/// A reader that closes the pipe early (`dockdojo list | head -1`) ends dockdojo quietly, 0.
#[test]
fn a_closed_stdout_is_a_quiet_exit() {
    use std::io::Read;
    let (_t, root) = workspace();
    for args in [&["list"][..], &["list", "--json"], &["--help"]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dockdojo"))
            .args(args)
            .current_dir(&root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Hang up before it prints anything, as a reader that already had enough would.
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn hints_come_one_at_a_time_and_are_remembered() {
    let (_t, root) = workspace();
    let first = dockdojo(&root, &["hint", "03-cache-order"], &[]);
    assert!(first.status.success());
    let t1 = text(&first);
    assert!(t1.contains("Hint 1/") && !t1.contains("Hint 2/"), "{t1}");
    let t2 = text(&dockdojo(&root, &["hint", "cache-order"], &[]));
    assert!(
        t2.contains("Hint 2/"),
        "the slug works too and the ladder advances: {t2}"
    );
    let o = dockdojo(&root, &["list", "--json"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let item = v
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "03-cache-order")
        .unwrap()
        .clone();
    assert_eq!(item["hints_used"], 2);
}

#[test]
fn solution_waits_for_a_pass_unless_forced() {
    let (_t, root) = workspace();
    let o = dockdojo(&root, &["solution", "03-cache-order"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    let o = dockdojo(&root, &["solution", "03-cache-order", "--force"], &[]);
    assert!(o.status.success());
    assert!(text(&o).contains("==> Dockerfile <=="), "{}", text(&o));
}

#[test]
fn reset_restores_the_starter_and_keeps_a_backup() {
    let (_t, root) = workspace();
    let df = root.join("03-cache-order/Dockerfile");
    let original = std::fs::read_to_string(&df).unwrap();
    std::fs::write(&df, "FROM busybox:1.36.1\n# my work\n").unwrap();
    let o = dockdojo(&root, &["reset", "03-cache-order"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&df).unwrap(), original);
    let backups: Vec<_> = std::fs::read_dir(root.join(".dockdojo/backup"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(backups.len(), 1);
    let kept = std::fs::read_to_string(backups[0].path().join("Dockerfile")).unwrap();
    assert!(kept.contains("# my work"));
}

#[test]
fn answer_saves_the_diagnosis_and_reset_keeps_it_in_the_backup() {
    let (_t, root) = workspace();
    let file = root.join("12-crash-debug/ANSWER.md");
    let o = dockdojo(
        &root,
        &[
            "answer",
            "12-crash-debug",
            "exit code 1:",
            "DATA_DIR is not set",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("Question: What exit code") && t.contains("dockdojo check 12-crash-debug"),
        "{t}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "exit code 1: DATA_DIR is not set\n"
    );
    // Again: the answer is replaced, not appended to; the slug names the exercise too.
    let o = dockdojo(&root, &["answer", "crash-debug", "code 1"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "code 1\n");

    for (args, needle) in [
        (&["answer", "03-cache-order", "137"][..], "asks no question"),
        (
            &["answer", "12-crash-debug", "  "][..],
            "the answer is empty",
        ),
        (&["answer", "99-nothing", "137"][..], "99-nothing"),
    ] {
        let o = dockdojo(&root, args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(needle), "{args:?}: {}", text(&o));
    }
    assert!(!root.join("03-cache-order/ANSWER.md").exists());

    let o = dockdojo(&root, &["reset", "12-crash-debug"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!file.exists(), "reset gives back the starting files");
    let backups: Vec<_> = std::fs::read_dir(root.join(".dockdojo/backup"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(
        std::fs::read_to_string(backups[0].path().join("ANSWER.md")).unwrap(),
        "code 1\n"
    );
}

#[test]
fn a_corrupt_progress_file_is_set_aside_not_fatal() {
    let (_t, root) = workspace();
    let p = root.join(".dockdojo/progress.json");
    for bad in [
        &b"{\"schema_version\": 1, \"exerc"[..],
        &[0u8; 100][..],
        b"\xff\xfe garbage",
        b"{\"schema_version\": 7}",
    ] {
        std::fs::write(&p, bad).unwrap();
        let o = dockdojo(&root, &["hint", "03-cache-order"], &[]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("moved to"), "{}", text(&o));
        // The hint was still recorded in a fresh, valid file.
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(v["exercises"]["03-cache-order"]["hints_used"], 1);
    }
    let aside = std::fs::read_dir(root.join(".dockdojo"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .count();
    assert_eq!(aside, 4, "every corrupt version is kept");
}

#[test]
fn outside_a_workspace_check_is_a_usage_error_and_bare_dockdojo_explains() {
    let t = tempfile::tempdir().unwrap();
    let o = dockdojo(t.path(), &["check"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("dockdojo init"), "{}", text(&o));
    let o = dockdojo(t.path(), &[], &[]);
    assert!(o.status.success());
    assert!(text(&o).contains("dockdojo init"), "{}", text(&o));
    let o = dockdojo(t.path(), &["check", "--frobnicate"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let (_t, root) = workspace();
    let o = dockdojo(&root, &["hint", "99-nope"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no exercise '99-nope'"), "{}", text(&o));
    // A near miss names the exercise meant, not the whole list.
    let o = dockdojo(&root, &["hint", "cache-ordr"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("Did you mean 03-cache-order?") && !text(&o).contains("00-first"),
        "{}",
        text(&o)
    );
    // Inside an exercise's folder the id may be left out, as for `check`.
    let o = dockdojo(&root.join("03-cache-order"), &["hint"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Hint 1/"), "{}", text(&o));
    let o = dockdojo(&root, &["hint"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("which exercise?"), "{}", text(&o));
}

#[test]
fn an_unreachable_daemon_is_exit_3_within_5_seconds_and_says_what_was_tried() {
    let (_t, root) = workspace();
    for args in [
        &["check", "03-cache-order"][..],
        &["clean"][..],
        &["doctor"][..],
    ] {
        let t0 = Instant::now();
        let o = dockdojo(&root, args, &[("DOCKER_HOST", "unix:///nonexistent.sock")]);
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "{args:?} took {:?}",
            t0.elapsed()
        );
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", text(&o));
        let t = text(&o);
        assert!(t.contains("cannot reach Docker"), "{t}");
        assert!(
            t.contains("/nonexistent.sock") && t.contains("DOCKER_HOST"),
            "{t}"
        );
    }
    // Progress is untouched by an environment error.
    assert!(!root.join(".dockdojo/progress.json").exists());
}

#[test]
fn a_missing_docker_context_is_an_error_not_a_fallback() {
    let (_t, root) = workspace();
    let cfg = tempfile::tempdir().unwrap();
    let o = dockdojo(
        &root,
        &["check", "03-cache-order"],
        &[
            ("DOCKER_CONTEXT", "ghost"),
            ("DOCKER_CONFIG", cfg.path().to_str().unwrap()),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("context 'ghost'"), "{}", text(&o));
}

/// A scenario checked before `dockdojo setup` says to run it, nothing else: no Docker is asked,
/// no attempt recorded. Once the setup ran (its marker is there), the check goes to Docker.
#[test]
fn a_scenario_checked_before_its_setup_says_run_setup_first() {
    let (_t, root) = workspace();
    let nowhere = [("DOCKER_HOST", "unix:///nonexistent.sock")];
    for dir in [root.clone(), root.join("10-moved-tag")] {
        let args: &[&str] = if dir == root {
            &["check", "10-moved-tag"]
        } else {
            &["check"]
        };
        let o = dockdojo(&dir, args, &nowhere);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let out = text(&o);
        assert_eq!(
            out.trim(),
            "10-moved-tag: run `dockdojo setup 10-moved-tag` first: it arranges the situation this exercise starts from.",
        );
    }
    let progress =
        std::fs::read_to_string(root.join(".dockdojo/progress.json")).unwrap_or_default();
    assert!(!progress.contains("10-moved-tag"), "{progress}");
    // A build exercise needs no setup: it goes on to Docker (unreachable here: exit 3).
    let o = dockdojo(&root, &["check", "03-cache-order"], &nowhere);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    // After the setup (its marker), the scenario is checked too.
    std::fs::write(root.join(".dockdojo/setup-10-moved-tag.done"), "").unwrap();
    let o = dockdojo(&root, &["check", "10-moved-tag"], &nowhere);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(!text(&o).contains("dockdojo setup"), "{}", text(&o));
}

/// `dockdojo next` names the first exercise not passed, where it is, and a scenario's setup.
#[test]
fn next_names_the_first_unpassed_exercise() {
    let (_t, root) = workspace();
    let o = dockdojo(&root, &["next"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).starts_with("Next: 00-first-container — Run your first container"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains(&format!("cd {}", root.join("00-first-container").display())));
    // Everything before 05-stale-volume (a scenario) passed.
    let mut exercises = serde_json::Map::new();
    let list = dockdojo(&root, &["list", "--json"], &[]);
    let items: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    for i in &items {
        let id = i["id"].as_str().unwrap();
        if id == "05-stale-volume" {
            break;
        }
        exercises.insert(
            id.into(),
            serde_json::json!({"status": "passed", "attempts": 1, "hints_used": 0,
                "first_checked": 1, "passed_at": 2, "last_failure": null}),
        );
    }
    let p = serde_json::json!({"schema_version": 1, "exercises": exercises});
    std::fs::write(root.join(".dockdojo/progress.json"), p.to_string()).unwrap();
    let o = dockdojo(&root, &["next"], &[]);
    let out = text(&o);
    assert!(out.starts_with("Next: 05-stale-volume"), "{out}");
    assert!(out.contains("dockdojo setup"), "{out}");
}

/// A quiz's score is kept with the workspace and shown by `list`, whose columns stay aligned.
#[test]
fn quiz_scores_are_kept_and_listed() {
    use std::io::Write;
    let (_t, root) = workspace();
    let mut child = std::process::Command::new(common::bin())
        .args(["quiz", "3"])
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("a\n".repeat(30).as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let out = text(&o);
    let right: usize = out
        .lines()
        .find_map(|l| l.split_once(" of ")?.0.trim().parse().ok())
        .unwrap_or_else(|| panic!("no score in:\n{out}"));
    let o = dockdojo(&root, &["list"], &[]);
    let list = text(&o);
    let chapter3 = list.lines().find(|l| l.starts_with("Chapter 3")).unwrap();
    assert!(
        chapter3.contains(&format!("quiz {right}/")) && chapter3.contains("(best "),
        "{list}"
    );
    // The minutes column lines up whatever the title's length (counted in characters).
    let cols: std::collections::HashSet<usize> = list
        .lines()
        .filter_map(|l| {
            let at = l.find(" min ")?;
            Some(l[..at].chars().count())
        })
        .collect();
    assert_eq!(cols.len(), 1, "{list}");
}
