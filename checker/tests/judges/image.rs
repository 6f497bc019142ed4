//! The `image` judge on one image capture.sh built on each engine.

use checker::checks::image::{judge, CommandForm, ImageFacts};
use checker::spec::ImageCheck;

use super::fixtures::{json, ENGINES};

fn facts(engine: &str) -> ImageFacts {
    ImageFacts::from_inspect(&json(engine, "image-inspect.json"))
}

/// The fixture image as its Dockerfile (in capture.sh) made it, field by field.
fn as_built() -> ImageCheck {
    ImageCheck {
        max_size_mb: Some(5.0),
        min_size_mb: Some(1.0),
        max_layers: Some(2),
        user: Some("app".into()),
        non_root: Some(true),
        cmd_form: Some(CommandForm::Exec),
        cmd: Some(vec![
            "httpd".into(),
            "-f".into(),
            "-p".into(),
            "8080".into(),
        ]),
        env: [("GREETING", "hello"), ("MODE", "test")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect(),
        exposed_ports: vec!["8080".into(), "8080/tcp".into()],
        labels: [("org.opencontainers.image.version", "1.2.3")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect(),
        ..ImageCheck::default()
    }
}

#[test]
fn image_metadata_reads_the_same_on_every_engine() {
    for engine in ENGINES {
        let v = judge(&facts(engine), &as_built());
        assert!(v.passed, "{engine}: {} / {}", v.expected, v.actual);
        assert!(
            v.actual.contains("2 layers") && v.actual.contains("user app"),
            "{engine}: {}",
            v.actual
        );
    }
}

#[test]
fn each_wrong_field_fails_on_every_engine_naming_it() {
    type Edit = fn(&mut ImageCheck);
    let cases: [(Edit, &str); 8] = [
        (|c| c.max_size_mb = Some(1.0), "at most 1 MB"),
        (|c| c.max_layers = Some(1), "at most 1 layers"),
        (|c| c.user = Some("root".into()), "USER root"),
        (
            |c| c.cmd_form = Some(CommandForm::Shell),
            "CMD in exec form",
        ),
        (
            |c| c.cmd = Some(vec!["httpd".into()]),
            "CMD [\"httpd\", \"-f\", \"-p\", \"8080\"]",
        ),
        (
            |c| {
                c.env.insert("MODE".into(), "prod".into());
            },
            "MODE",
        ),
        (
            |c| c.exposed_ports = vec!["9090".into()],
            "exposed: 8080/tcp",
        ),
        (
            |c| {
                c.labels
                    .insert("org.opencontainers.image.versions".into(), "1.2.3".into());
            },
            "org.opencontainers.image.versions=(unset)",
        ),
    ];
    for engine in ENGINES {
        let f = facts(engine);
        for (edit, needle) in cases {
            let mut spec = as_built();
            edit(&mut spec);
            let v = judge(&f, &spec);
            assert!(!v.passed, "{engine}: passed {spec:?}");
            assert!(
                v.actual.contains(needle) || v.expected.contains(needle),
                "{engine}: `{needle}` not in {} / {}",
                v.expected,
                v.actual
            );
        }
    }
}

/// Docker reports the HEALTHCHECK in the image's config; Podman 4.3 leaves it out (the
/// `image` check then reads it from a container created from the image, which needs a daemon).
#[test]
fn healthcheck_is_in_the_config_on_docker_only() {
    let want = ImageCheck {
        healthcheck: Some(true),
        ..ImageCheck::default()
    };
    for engine in ENGINES {
        let v = judge(&facts(engine), &want);
        assert_eq!(
            v.passed,
            engine.starts_with("docker"),
            "{engine}: {}",
            v.actual
        );
    }
}

/// A label set to nothing (an ARG the stage never declared) reads as empty, not as missing.
#[test]
fn an_empty_label_says_so() {
    let mut f = facts("docker-26");
    f.config
        .labels
        .get_or_insert_with(Default::default)
        .insert("org.opencontainers.image.version".into(), String::new());
    let spec = ImageCheck {
        labels: [(
            "org.opencontainers.image.version".to_string(),
            "1.4.0".to_string(),
        )]
        .into_iter()
        .collect(),
        ..ImageCheck::default()
    };
    let v = judge(&f, &spec);
    assert!(!v.passed);
    assert_eq!(v.actual, "org.opencontainers.image.version=(empty)");
}

/// Shell form is what the builder wrapped in the image's shell: `/bin/sh -c`, or the shell a
/// `SHELL` instruction set (which the image records). A list that starts a shell on a command
/// string is no exec form either; a list that runs a script with its interpreter is.
#[test]
fn the_command_form_knows_the_images_shell() {
    let form_of = |cmd: &[&str], shell: Option<&[&str]>| {
        let mut facts = ImageFacts::default();
        facts.config.cmd = Some(cmd.iter().map(|s| s.to_string()).collect());
        facts.config.shell = shell.map(|s| s.iter().map(|s| s.to_string()).collect());
        let spec = ImageCheck {
            cmd_form: Some(CommandForm::Exec),
            ..ImageCheck::default()
        };
        judge(&facts, &spec)
    };
    let pipefail = ["/bin/sh", "-o", "pipefail", "-c"];
    let v = form_of(
        &["/bin/sh", "-o", "pipefail", "-c", "/app/hello.sh"],
        Some(&pipefail),
    );
    assert!(!v.passed);
    assert!(v.actual.starts_with("CMD in shell form: "), "{}", v.actual);
    let v = form_of(
        &["/bin/sh", "-ec", "/app/hello.sh"],
        Some(&["/bin/sh", "-ec"]),
    );
    assert!(!v.passed);
    assert!(v.actual.starts_with("CMD in shell form: "), "{}", v.actual);
    // A builder that did not record SHELL: still a shell on a command string.
    let v = form_of(&["/bin/sh", "-o", "pipefail", "-c", "/app/hello.sh"], None);
    assert!(!v.passed);
    let v = form_of(&["sh", "-c", "/app/hello.sh"], None);
    assert!(!v.passed);
    assert!(
        v.actual
            .contains("starts a shell on a command string, so PID 1 starts as that shell"),
        "{}",
        v.actual
    );
    assert!(form_of(&["/app/hello.sh"], None).passed);
    assert!(form_of(&["/bin/sh", "/app/hello.sh"], None).passed);
    assert!(form_of(&["/app/hello.sh"], Some(&pipefail)).passed);
    assert!(form_of(&["httpd", "-f", "-p", "8080"], None).passed);
}

/// The container runs the ENTRYPOINT with the CMD as its arguments: `ENTRYPOINT ["/bin/sh",
/// "-c"]` with `CMD ["/app/hello.sh"]` is `CMD ["sh", "-c", "/app/hello.sh"]` in two halves.
#[test]
fn the_command_form_reads_the_entrypoint_with_its_cmd() {
    let form_of = |ep: &[&str], cmd: &[&str]| {
        let mut facts = ImageFacts::default();
        facts.config.entrypoint = Some(ep.iter().map(|s| s.to_string()).collect());
        facts.config.cmd = Some(cmd.iter().map(|s| s.to_string()).collect());
        let spec = ImageCheck {
            cmd_form: Some(CommandForm::Exec),
            ..ImageCheck::default()
        };
        judge(&facts, &spec)
    };
    let v = form_of(&["/bin/sh", "-c"], &["/app/hello.sh"]);
    assert!(!v.passed);
    assert!(
        v.actual.starts_with(
            "ENTRYPOINT with its CMD is a list, but it starts a shell on a command string"
        ),
        "{}",
        v.actual
    );
    assert!(form_of(&["/app/start.sh"], &["--verbose"]).passed);
    assert!(form_of(&["/app/hello.sh"], &[]).passed);
    // A shell-form ENTRYPOINT ignores the CMD: the ENTRYPOINT is named.
    let v = form_of(&["/bin/sh", "-c", "/app/hello.sh"], &["x"]);
    assert!(
        v.actual.starts_with("ENTRYPOINT in shell form"),
        "{}",
        v.actual
    );
}

/// A value with blank space or quote marks around it is shown quoted, and the advice names them
/// (a trailing space did not show in the message, and the check's hint spoke of stages).
#[test]
fn a_label_with_space_or_quotes_around_it_is_shown_quoted() {
    let spec = ImageCheck {
        labels: [(
            "org.opencontainers.image.title".to_string(),
            "dojo-hello".to_string(),
        )]
        .into_iter()
        .collect(),
        ..ImageCheck::default()
    };
    for (value, shown) in [
        ("dojo-hello ", "\"dojo-hello \""),
        ("'dojo-hello'", "\"'dojo-hello'\""),
        ("\"dojo-hello\"", "\"\\\"dojo-hello\\\"\""),
    ] {
        let mut f = facts("docker-26");
        f.config
            .labels
            .get_or_insert_with(Default::default)
            .insert("org.opencontainers.image.title".into(), value.into());
        let v = judge(&f, &spec);
        assert!(!v.passed, "{value:?}");
        assert_eq!(
            v.actual,
            format!("org.opencontainers.image.title={shown} (quoted here to show all of it)")
        );
        assert!(
            v.advice
                .as_deref()
                .is_some_and(|a| a.contains("blank space or quote marks")),
            "{:?}",
            v.advice
        );
    }
    // Another value altogether: as it is, no advice of its own.
    let mut f = facts("docker-26");
    f.config
        .labels
        .get_or_insert_with(Default::default)
        .insert("org.opencontainers.image.title".into(), "hello".into());
    let v = judge(&f, &spec);
    assert_eq!(v.actual, "org.opencontainers.image.title=hello");
    assert!(v.advice.is_none());
}
