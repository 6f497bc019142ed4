//! Every static Dockerfile rule on every Dockerfile of `tests/fixtures/dockerfiles/`, compared
//! with the verdicts its `NAME.expect.toml` gives. The corpus holds Dockerfiles in the styles
//! learners bring from real projects: right ones written in unusual ways (which must not get false
//! alarms) and subtly wrong ones (which must not pass).
//!
//! `NAME.Dockerfile` goes with `NAME.expect.toml`:
//!
//! ```toml
//! from_pinned = true
//! multi_stage = false
//! non_root_user = true
//! exec_form = true
//! # optional: text the rule's message must contain (on a pass, what it saw)
//! message_contains = { multi_stage = "1 stage" }
//! # optional: --build-arg values, as an exercise's build check gives them
//! build_args = { VERSION = "1.36.1" }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use checker::dockerfile;
use checker::spec::DockerfileRule;

const RULES: [(&str, DockerfileRule); 4] = [
    ("from_pinned", DockerfileRule::FromPinned),
    ("multi_stage", DockerfileRule::MultiStage),
    ("non_root_user", DockerfileRule::NonRootUser),
    ("exec_form", DockerfileRule::ExecForm),
];

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dockerfiles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
        .collect();
    files.sort();
    files
}

fn table_of_strings(t: &toml::Table, key: &str, file: &str) -> BTreeMap<String, String> {
    match t.get(key) {
        None => BTreeMap::new(),
        Some(toml::Value::Table(m)) => m
            .iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .unwrap_or_else(|| panic!("{file}: {key}.{k} is not a string"));
                (k.clone(), v.to_string())
            })
            .collect(),
        Some(_) => panic!("{file}: {key} is not a table"),
    }
}

#[test]
fn every_rule_on_every_fixture() {
    let files = corpus();
    assert!(
        files.len() >= 40,
        "the corpus has {} Dockerfiles",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let expect_path = path.with_extension("expect.toml");
        let expect: toml::Table = std::fs::read_to_string(&expect_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()))
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));
        for key in expect.keys() {
            assert!(
                RULES.iter().any(|(r, _)| r == key)
                    || key == "message_contains"
                    || key == "build_args",
                "{}: unknown key {key}",
                expect_path.display()
            );
        }
        let contains = table_of_strings(&expect, "message_contains", &name);
        let build_args = table_of_strings(&expect, "build_args", &name);
        for (key, rule) in RULES {
            let want = expect
                .get(key)
                .and_then(toml::Value::as_bool)
                .unwrap_or_else(|| panic!("{name}: no verdict for {key}"));
            let got = dockerfile::check_rule_with(&text, rule, &build_args);
            let message = match &got {
                Ok(seen) => seen.clone(),
                Err((expected, actual)) => format!("expected {expected}; found {actual}"),
            };
            if got.is_ok() != want {
                failures.push(format!(
                    "{name}: {key} wanted {} got {}: {message}",
                    verdict(want),
                    verdict(got.is_ok())
                ));
            } else if let Some(part) = contains.get(key) {
                if !message.contains(part.as_str()) {
                    failures.push(format!(
                        "{name}: {key} {} as wanted, but the message lacks {part:?}: {message}",
                        verdict(want)
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} comparisons differ:\n{}",
        failures.len(),
        files.len() * RULES.len(),
        failures.join("\n")
    );
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "pass"
    } else {
        "fail"
    }
}

/// Every fixture has its expectations, and every expectation its fixture.
#[test]
fn fixtures_come_in_pairs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dockerfiles");
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        let n = p.file_name().unwrap().to_string_lossy().to_string();
        if let Some(stem) = n.strip_suffix(".expect.toml") {
            assert!(
                dir.join(format!("{stem}.Dockerfile")).exists(),
                "{n} has no Dockerfile"
            );
        } else {
            assert!(
                n.ends_with(".Dockerfile"),
                "{n}: neither NAME.Dockerfile nor NAME.expect.toml"
            );
            assert!(
                p.with_extension("expect.toml").exists(),
                "{n} has no expect.toml"
            );
        }
    }
}
