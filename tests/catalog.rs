//! Catalog integrity: every exercise folder is complete and consistent, names and ports do not
//! clash between exercises, and every mutant names a real check.

use std::collections::HashMap;
use std::path::Path;

use checker::spec::{parse_exercise, parse_mutant_expect, Mode};

fn exercises() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("exercise.toml").is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn every_exercise_is_complete() {
    let dirs = exercises();
    assert!(dirs.len() >= 6, "{dirs:?}");
    let mut ports: HashMap<u16, String> = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    for d in dirs {
        let id = d.file_name().unwrap().to_string_lossy().to_string();
        let file = d.join("exercise.toml");
        let ex = parse_exercise(
            &file.display().to_string(),
            &std::fs::read_to_string(&file).unwrap(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ex.id, id);
        let readme = std::fs::read_to_string(d.join("README.md")).unwrap_or_default();
        assert!(
            readme.contains("dockdojo check"),
            "{id}: the task tells how to check it"
        );
        assert!(d.join("starter").is_dir(), "{id}: starter/");
        let sol = d.join("solution");
        assert!(sol.is_dir(), "{id}: solution/");
        if ex.mode == Mode::Live {
            assert!(
                sol.join("solve.sh").is_file(),
                "{id}: a live exercise's solution is solve.sh"
            );
        }
        assert!(
            ex.book.starts_with(&format!("ch{:02}-", ex.chapter)),
            "{id}: book {} is in its chapter",
            ex.book
        );
        assert!(ex.book.contains(".md#"), "{id}: book link has an anchor");
        let mutants: Vec<_> = std::fs::read_dir(d.join("mutants"))
            .unwrap()
            .flatten()
            .collect();
        assert!(mutants.len() >= 2, "{id}: at least two mutants");
        for m in mutants {
            let f = m.path().join("expect.toml");
            let text =
                std::fs::read_to_string(&f).unwrap_or_else(|_| panic!("{} missing", f.display()));
            parse_mutant_expect(&f.display().to_string(), &text, &ex)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        for p in &ex.live.ports {
            if let Some(other) = ports.insert(*p, id.clone()) {
                panic!("port {p} is used by {other} and {id}");
            }
        }
        for n in ex
            .live
            .containers
            .iter()
            .chain(&ex.live.volumes)
            .chain(&ex.live.networks)
            .chain(&ex.live.try_containers)
            .chain(&ex.live.try_images)
            .chain(&ex.live.images)
        {
            if let Some(other) = names.insert(n.clone(), id.clone()) {
                panic!("name {n} is used by {other} and {id}");
            }
        }
    }
}

/// The hint ladder teaches: a failure shows the check's own hint, which points at the idea; the
/// fix itself (a line of the solution, a `docker` command from solve.sh) is left to
/// `dockdojo hint`, whose ladder must hold it. A check hint that quotes a solution line gives the
/// answer away with the first failure. Repeating what the task itself says is fine.
#[test]
fn check_hints_point_at_the_idea_and_leave_the_fix_to_the_ladder() {
    let mut offences = Vec::new();
    for d in exercises() {
        let id = d.file_name().unwrap().to_string_lossy().to_string();
        let file = d.join("exercise.toml");
        let ex = parse_exercise(
            &file.display().to_string(),
            &std::fs::read_to_string(&file).unwrap(),
        )
        .unwrap();
        // The lines the solution adds or changes against the starter.
        let mut answer_lines = Vec::new();
        for f in walk(&d.join("solution")) {
            let rel = f.strip_prefix(d.join("solution")).unwrap();
            let starter = std::fs::read_to_string(d.join("starter").join(rel)).unwrap_or_default();
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for l in text.lines().map(str::trim) {
                let fix = l.len() >= 12
                    && !l.starts_with('#')
                    && !l.starts_with("set -")
                    && !l.contains("2>/dev/null")
                    && !starter.lines().any(|s| s.trim() == l);
                if fix {
                    answer_lines.push(l.to_string());
                }
            }
        }
        let ladder = ex.hints.join(" ");
        // What the task itself says (a command to look with, a script to run) is no giveaway.
        let task = std::fs::read_to_string(d.join("README.md")).unwrap();
        for c in &ex.checks {
            for quoted in c.hint.split('`').skip(1).step_by(2) {
                let q = quoted.trim();
                if q.len() < 12 || task.contains(q) {
                    continue;
                }
                if answer_lines.iter().any(|a| a.contains(q)) {
                    offences.push(format!(
                        "{id}/{}: the check hint quotes the fix `{q}`",
                        c.id
                    ));
                }
            }
        }
        assert!(
            ex.hints.len() >= 3,
            "{id}: a ladder of at least three hints ({ladder})"
        );
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every task that names Docker objects ends with `dockdojo clean ID`, not a hand-made list.
#[test]
fn readmes_clean_up_with_dockdojo_clean() {
    for d in exercises() {
        let id = d.file_name().unwrap().to_string_lossy().to_string();
        let file = d.join("exercise.toml");
        let ex = parse_exercise(
            &file.display().to_string(),
            &std::fs::read_to_string(&file).unwrap(),
        )
        .unwrap();
        let l = &ex.live;
        let names = [
            &l.containers,
            &l.volumes,
            &l.networks,
            &l.images,
            &l.projects,
            &l.try_containers,
            &l.try_images,
        ]
        .iter()
        .any(|v| !v.is_empty());
        let readme = std::fs::read_to_string(d.join("README.md")).unwrap();
        if names {
            assert!(
                readme.contains(&format!("`dockdojo clean {id}`")),
                "{id}: the task ends with `dockdojo clean {id}`"
            );
        }
        assert!(
            !readme.contains("Clean up afterwards with `docker"),
            "{id}: a manual clean-up list"
        );
    }
}

/// The diagnosis checks, on answers learners gave: right ones in other words pass, and wrong ones
/// that happen to hold the accepted words fail (a "1" that is a number of seconds, an OOM the
/// answer itself denies).
#[test]
fn diagnoses_in_learners_words_are_judged_by_what_they_say() {
    use checker::checks::answer::judge;
    use checker::checks::CheckKind;
    let cases: &[(&str, &str, bool)] = &[
        (
            "08-oom",
            "Exit code 137: it was OOMKilled, over its memory limit.",
            true,
        ),
        (
            "08-oom",
            "137 - the kernel killed it for memory; a docker stop would give 143",
            true,
        ),
        (
            "08-oom",
            "Exit code 137, not OOM but a manual docker kill",
            false,
        ),
        (
            "08-oom",
            "Exit code 137: docker stop timed out and sent SIGKILL; memory use was fine",
            false,
        ),
        (
            "12-crash-debug",
            "It exited with code 1 because DATA_DIR was not set.",
            true,
        ),
        (
            "12-crash-debug",
            "Exit status one: the DATA_DIR environment variable was not set",
            true,
        ),
        (
            "12-crash-debug",
            "It exited with code 0 after 1 second because DATA_DIR was not set",
            false,
        ),
        (
            "12-crash-debug",
            "Exit code 2: DATA_DIR is missing, 1 env var",
            false,
        ),
        (
            "13-secret-layers",
            "The COPY of deploy-token.txt: its layer keeps the token after rm",
            true,
        ),
        (
            "13-secret-layers",
            "Line 5, which puts the token file into the image; its layer keeps it even after rm",
            true,
        ),
        (
            "13-secret-layers",
            "The step that adds secrets/deploy-token.txt to the image: its layer keeps the file even after rm",
            true,
        ),
        // Numbers pasted from Docker's own output that are no exit codes.
        (
            "12-crash-debug",
            "Exited (1) 2 minutes ago: the app says DATA_DIR is not set",
            true,
        ),
        (
            "12-crash-debug",
            "docker inspect: ExitCode 1, OOMKilled false, Pid 0. Logs: DATA_DIR is not set",
            true,
        ),
        (
            "12-crash-debug",
            "It crashed with exit code 1 after 2 seconds; DATA_DIR missing (see layer 2 of docker history)",
            true,
        ),
        // Other causes that name memory or 137 all the same.
        (
            "08-oom",
            "Exit code 137: the program crashed with a segmentation fault, an invalid memory access",
            false,
        ),
        (
            "08-oom",
            "137: SIGKILL because docker stop hit its 10 second grace period; memory was fine",
            false,
        ),
        (
            "08-oom",
            "exit code 1, memory leak (137 MB used)",
            false,
        ),
        (
            "08-oom",
            "Exit code 137: the kernel killed it with SIGKILL for going over its 16m limit",
            true,
        ),
        (
            "08-oom",
            "It ended with 137 after 2 seconds: the OOM killer, over its 16m memory limit",
            true,
        ),
    ];
    for (id, answer, right) in cases {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("exercises")
            .join(id)
            .join("exercise.toml");
        let ex = parse_exercise(
            &file.display().to_string(),
            &std::fs::read_to_string(&file).unwrap(),
        )
        .unwrap();
        let spec = ex
            .checks
            .iter()
            .find_map(|c| match &c.kind {
                CheckKind::Answer(a) => Some(a.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{id} has an answer check"));
        let v = judge(Some(answer), &spec, id);
        assert_eq!(v.passed, *right, "{id}: {answer:?} → {}", v.actual);
    }
}
