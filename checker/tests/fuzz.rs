//! Property-based fuzzing of everything the checker reads from files a learner or an author
//! controls: `exercise.toml` (and mutants' expectations) and Dockerfiles (the untrusted-input
//! screen, the BuildKit detector, every Dockerfile rule, image pinning). Inputs are random text
//! and random damage to the course's real files. The property: never a panic, and a verdict
//! that is consistent (a refused Dockerfile is refused the same way twice).
//!
//! Cases per property: proptest's default (256), or `PROPTEST_CASES`.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use checker::dockerfile;
use checker::spec::{parse_exercise, parse_mutant_expect, DockerfileRule};
use proptest::prelude::*;

fn exercises_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../exercises")
}

/// Every file of the course with this name (exercise.toml, Dockerfile…), as text.
fn course_files(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![exercises_dir()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == name) {
                if let Ok(t) = std::fs::read_to_string(&p) {
                    out.push(t);
                }
            }
        }
    }
    assert!(!out.is_empty(), "no {name} found under exercises/");
    out
}

static TOMLS: LazyLock<Vec<String>> = LazyLock::new(|| course_files("exercise.toml"));
static DOCKERFILES: LazyLock<Vec<String>> = LazyLock::new(|| course_files("Dockerfile"));

/// Damage done to a real file: delete a range, insert text, duplicate or swap lines, truncate.
#[derive(Debug, Clone)]
enum Damage {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
    ByteFlip(usize, u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 0usize..64).prop_map(|(a, n)| Damage::Delete(a, n)),
        (any::<usize>(), insert_text()).prop_map(|(a, s)| Damage::Insert(a, s)),
        any::<usize>().prop_map(Damage::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Damage::SwapLines(a, b)),
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Damage::ByteFlip(a, b)),
    ]
}

/// Text that is likely to hit parser edges: TOML and Dockerfile syntax, quotes, escapes,
/// Unicode, control characters.
fn insert_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        Just("[[checks]]\n".to_string()),
        Just("kind = \"build\"\n".to_string()),
        Just("\"\"\"".to_string()),
        Just("= [".to_string()),
        Just("\u{feff}".to_string()),
        Just("\r\n".to_string()),
        Just("\\\n".to_string()),
        Just("RUN --mount=type=secret,id=x cat /run/secrets/x\n".to_string()),
        Just("# syntax=evil/frontend\n".to_string()),
        Just("FROM busybox:latest AS x\n".to_string()),
        Just("ARG V=1.2.3\nFROM gcc:${V}\n".to_string()),
        Just("WORKDIR /proc/self/fd/7\n".to_string()),
        Just("USER 0:0\n".to_string()),
        Just("CMD [\"a\",\n".to_string()),
        Just("\0".to_string()),
        "[a-z_]{1,10} = [0-9]{1,20}\n",
    ]
}

fn apply(text: &str, ds: &[Damage]) -> String {
    let mut b = text.as_bytes().to_vec();
    for d in ds {
        match d {
            Damage::Delete(a, n) if !b.is_empty() => {
                let a = a % b.len();
                let end = (a + n).min(b.len());
                b.drain(a..end);
            }
            Damage::Insert(a, s) => {
                let a = if b.is_empty() { 0 } else { a % (b.len() + 1) };
                b.splice(a..a, s.bytes());
            }
            Damage::DuplicateLine(i) | Damage::SwapLines(i, _) => {
                let text = String::from_utf8_lossy(&b).into_owned();
                let mut lines: Vec<&str> = text.split('\n').collect();
                let i = i % lines.len();
                if let Damage::SwapLines(_, j) = d {
                    let j = j % lines.len();
                    lines.swap(i, j);
                } else {
                    lines.insert(i, lines[i]);
                }
                b = lines.join("\n").into_bytes();
            }
            Damage::Truncate(a) if !b.is_empty() => b.truncate(a % b.len()),
            Damage::ByteFlip(a, v) if !b.is_empty() => {
                let a = a % b.len();
                b[a] = *v;
            }
            _ => {}
        }
    }
    // Files are read as UTF-8 text; invalid bytes never reach the parsers.
    String::from_utf8_lossy(&b).into_owned()
}

const RULES: [DockerfileRule; 4] = [
    DockerfileRule::FromPinned,
    DockerfileRule::MultiStage,
    DockerfileRule::NonRootUser,
    DockerfileRule::ExecForm,
];

fn dockerfile_properties(text: &str) {
    let first = dockerfile::screen(text);
    let again = dockerfile::screen(text);
    assert_eq!(first, again, "the screen must be deterministic");
    let _ = dockerfile::parse(text);
    let _ = dockerfile::needs_buildkit(text);
    for rule in RULES {
        let _ = dockerfile::check_rule(text, rule);
    }
    for line in text.lines() {
        if let Some(rest) = line.trim().strip_prefix("FROM ") {
            let _ = dockerfile::pin_problem(rest.split_whitespace().next().unwrap_or(""));
        }
        let _ = dockerfile::is_root_user(line);
    }
}

proptest! {
    #[test]
    fn exercise_toml_random_text_never_panics(text in "\\PC{0,400}") {
        let _ = parse_exercise("fuzz/exercise.toml", &text);
    }

    #[test]
    fn exercise_toml_damaged_never_panics(
        pick in any::<prop::sample::Index>(),
        ds in prop::collection::vec(damage(), 1..6),
    ) {
        let files = &*TOMLS;
        let text = apply(pick.get::<String>(files), &ds);
        if let Err(e) = parse_exercise("fuzz/exercise.toml", &text) {
            // Every refusal names the file, so an author knows where to look.
            prop_assert!(e.to_string().contains("fuzz/exercise.toml"), "{e}");
        }
    }

    #[test]
    fn mutant_expectations_never_panic(text in "\\PC{0,200}") {
        let files = &*TOMLS;
        if let Ok(ex) = parse_exercise("fuzz/exercise.toml", &files[0]) {
            let _ = parse_mutant_expect("fuzz/expect.toml", &text, &ex);
        }
    }

    #[test]
    fn dockerfile_random_text_never_panics(text in "\\PC{0,300}") {
        dockerfile_properties(&text);
    }

    #[test]
    fn dockerfile_damaged_never_panics(
        pick in any::<prop::sample::Index>(),
        ds in prop::collection::vec(damage(), 1..6),
    ) {
        let files = &*DOCKERFILES;
        dockerfile_properties(&apply(pick.get::<String>(files), &ds));
    }

    #[test]
    fn a_dangerous_line_is_refused_wherever_it_lands(
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        bad in prop_oneof![
            Just("RUN --security=insecure id"),
            Just("RUN --network=host wget http://x"),
            Just("RUN --mount=type=ssh ssh-add -l"),
            Just("WORKDIR /proc/self/fd/8"),
        ],
    ) {
        let files = &*DOCKERFILES;
        let text = pick.get::<String>(files);
        let mut lines: Vec<&str> = text.lines().collect();
        // After the first FROM, so the line is an instruction of a stage.
        let first_from = lines.iter().position(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM")).unwrap_or(0);
        // Between instructions: never after a line continued with `\`.
        let slots: Vec<usize> = (first_from + 1..=lines.len())
            .filter(|&i| !lines[i - 1].trim_end().ends_with('\\'))
            .collect();
        lines.insert(*at.get(&slots), bad);
        let damaged = lines.join("\n");
        prop_assert!(dockerfile::screen(&damaged).is_err(), "not refused:\n{damaged}");
    }
}
