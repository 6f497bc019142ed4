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
        {
            if let Some(other) = names.insert(n.clone(), id.clone()) {
                panic!("name {n} is used by {other} and {id}");
            }
        }
    }
}
