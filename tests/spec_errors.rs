//! Spec-error fixtures: each file in tests/fixtures/spec/ is a broken exercise.toml whose first
//! line is `# expect: <text the error must contain>`.

use std::path::Path;

#[test]
fn each_broken_spec_gets_its_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        let first = text.lines().next().unwrap();
        let want = first
            .strip_prefix("# expect: ")
            .unwrap_or_else(|| panic!("{}: first line", e.path().display()));
        let name = e.file_name().to_string_lossy().to_string();
        let err = checker::spec::parse_exercise(&name, &text)
            .expect_err(&name)
            .to_string();
        for part in want.split(" && ") {
            assert!(err.contains(part), "{name}: expected {part:?} in: {err}");
        }
        assert!(
            err.starts_with(&name),
            "{name}: the error names the file: {err}"
        );
        n += 1;
    }
    assert!(n >= 10, "only {n} fixtures");
}
