use super::*;

const GOOD: &str = r#"
schema_version = 1
id = "03-cache-order"
title = "Order for the cache"
chapter = 3
minutes = 15
difficulty = "medium"
mode = "build"
book = "ch03-build-cache.md#cache-order"
hints = ["Look at the order of COPY lines."]

[[checks]]
id = "builds"
title = "The Dockerfile builds"
hint = "Read the build log."
kind = "build"

[[checks]]
id = "cache"
title = "A code change keeps the dependency step cached"
hint = "Copy the dependency list first."
kind = "rebuild"
touch = "src/app.sh"
cached = ["install-deps"]
"#;

#[test]
fn a_good_exercise_parses() {
    let ex = parse_exercise("x.toml", GOOD).unwrap();
    assert_eq!(ex.checks.len(), 2);
    assert_eq!(ex.checks[0].line, 12);
    assert_eq!(ex.checks[1].kind.name(), "rebuild");
    match &ex.checks[0].kind {
        CheckKind::Build(b) => {
            assert_eq!(b.image, "app");
            assert_eq!(b.dockerfile, "Dockerfile");
        }
        other => panic!("{other:?}"),
    }
}

fn error_of(text: &str) -> String {
    parse_exercise("ex.toml", text).unwrap_err().to_string()
}

#[test]
fn unknown_top_level_key_names_key_and_line() {
    let e = error_of(&GOOD.replace("minutes = 15", "minutes = 15\ncolour = \"red\""));
    assert!(e.starts_with("ex.toml:7:"), "{e}");
    assert!(e.contains("colour"), "{e}");
}

#[test]
fn unknown_check_key_names_check_and_line() {
    let e = error_of(&GOOD.replace("cached = [", "cahced = ["));
    assert!(e.starts_with("ex.toml:18:"), "{e}");
    assert!(e.contains("cahced"), "{e}");
    assert!(e.contains("'cache'"), "{e}");
}

#[test]
fn unknown_kind_is_named() {
    let e = error_of(&GOOD.replace("kind = \"rebuild\"", "kind = \"rebuidl\""));
    assert!(e.contains("rebuidl"), "{e}");
}

#[test]
fn future_schema_says_update() {
    let e = error_of(&GOOD.replace("schema_version = 1", "schema_version = 9"));
    assert!(e.contains("update dockdojo"), "{e}");
}

#[test]
fn image_handle_must_be_built_first() {
    let e = error_of(&GOOD.replace("touch = ", "image = \"other\"\ntouch = "));
    assert!(e.contains("no earlier `build` check"), "{e}");
}

#[test]
fn an_answer_check_needs_forms_to_accept() {
    let answer = |fields: &str| {
        format!(
            "{GOOD}\n[[checks]]\nid = \"why\"\ntitle = \"Why\"\nhint = \"Look.\"\nkind = \"answer\"\n\
             question = \"Why?\"\n{fields}\n"
        )
    };
    let ex = parse_exercise("ex.toml", &answer("accept = [\"137\"]\nreject = [\"143\"]")).unwrap();
    assert_eq!(ex.checks[2].kind.name(), "answer");
    let e = error_of(&answer("accept = []"));
    assert!(
        e.contains("'why'") && e.contains("exactly one of `accept`"),
        "{e}"
    );
    let e = error_of(&answer("all = [[\"1\"], []]"));
    assert!(e.contains("a group of `all` is empty"), "{e}");
    let e = error_of(&answer("accept = [\"137\"]\nreject = [\"137\"]"));
    assert!(e.contains("both accepted and rejected"), "{e}");
    let e = error_of(&answer("accept = [\"137\"]\nexpect = \"137\""));
    assert!(e.contains("expect"), "{e}");
}
