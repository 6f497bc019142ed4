//! The `build` judge: builds capture.sh streamed from each engine's /build (classic builder,
//! BuildKit, Podman's builder), folded by the checker's own stream reader; and what stops a
//! build before the daemon sees it.

use std::path::PathBuf;
use std::time::Duration;

use checker::checks::build::{judge, Attempt, BuildCheck, Unreadable};
use checker::docker::build::Built;
use checker::docker::builder::Builder;
use checker::docker::context_tar::{REFUSE_BYTES, WARN_BYTES};

use super::fixtures::{build, BUILDS};

/// The Dockerfile capture.sh builds first (`build-*-first.jsonl`).
pub const GOOD_ORDER: &str = "FROM busybox:1.36.1
COPY deps.txt /app/
RUN echo downloading $(cat /app/deps.txt) && cp /app/deps.txt /app/installed
COPY app.sh /app/
RUN sh /app/app.sh
";

/// The Dockerfile of `build-*-failed.jsonl`: a RUN calling a program that does not exist.
const FAILING: &str = "FROM busybox:1.36.1\nRUN install-deps --all\n";

fn spec() -> BuildCheck {
    toml::from_str("").expect("every field has a default")
}

fn built(builder: Builder, built: Built) -> Attempt {
    Attempt::Built {
        builder,
        built,
        context_bytes: 2_000,
        biggest: vec![],
    }
}

#[test]
fn a_build_passes_counting_its_steps_and_naming_the_builder() {
    for (engine, builder) in BUILDS {
        let v = judge(
            &spec(),
            &built(builder, build(engine, builder, "first", GOOD_ORDER)),
        );
        assert!(v.passed, "{engine} {builder:?}: {}", v.actual);
        assert_eq!(
            v.actual,
            format!("built in 5 steps with {}", builder.describe()),
            "{engine}"
        );
        assert!(v.advice.is_none(), "{engine}: {:?}", v.advice);
    }
}

/// Each builder words a RUN that exits 127 its own way: the classic builder "returned a
/// non-zero code: 127", BuildKit "exit code: 127", Podman "exit status 127". All three are told
/// the same thing.
#[test]
fn a_failed_build_names_the_step_shows_the_log_and_explains_exit_127() {
    for (engine, builder) in BUILDS {
        let v = judge(
            &spec(),
            &built(builder, build(engine, builder, "failed", FAILING)),
        );
        assert!(!v.passed, "{engine} {builder:?}");
        assert!(
            v.actual
                .starts_with(&format!("the build failed with {}: ", builder.describe())),
            "{engine}: {}",
            v.actual
        );
        assert!(
            v.actual.contains("install-deps --all") && v.actual.contains("127"),
            "{engine}: {}",
            v.actual
        );
        assert!(
            v.actual.contains("--- last lines of the build log ---\n")
                && v.actual.contains("install-deps: not found"),
            "{engine}: the log's tail: {}",
            v.actual
        );
        assert_eq!(
            v.advice.as_deref(),
            Some("A RUN step called a program that does not exist in the image (exit 127)."),
            "{engine} {builder:?}: {}",
            v.actual
        );
    }
}

/// A build stopped at its deadline names the step it was in: the last one the stream started.
#[test]
fn a_build_that_hangs_names_the_step_still_running() {
    for (engine, builder) in BUILDS {
        let Built::Ok { steps, .. } = build(engine, builder, "first", GOOD_ORDER) else {
            panic!("{engine}: the first build failed");
        };
        let last = steps.last().expect("steps").instruction.clone();
        let v = judge(
            &spec(),
            &built(
                builder,
                Built::TimedOut {
                    log: String::new(),
                    limit: Duration::from_secs(300),
                    running: Some(last.clone()),
                },
            ),
        );
        assert!(!v.passed);
        assert_eq!(
            v.actual,
            format!(
                "the build with {} did not finish within 300 s; it was still running `{last}`",
                builder.describe()
            )
        );
        assert!(v.advice.unwrap().contains("servers belong in CMD"));
    }
    let v = judge(
        &spec(),
        &built(
            Builder::BuildKit,
            Built::TimedOut {
                log: String::new(),
                limit: Duration::from_secs(5),
                running: None,
            },
        ),
    );
    assert!(
        v.actual
            .ends_with("still running `(before the first step)`"),
        "{}",
        v.actual
    );
}

#[test]
fn a_missing_dockerfile_names_the_look_alikes() {
    let v = judge(
        &spec(),
        &Attempt::Dockerfile(Unreadable::Missing {
            path: PathBuf::from("/ws/03-first-dockerfile/Dockerfile"),
            near_misses: vec!["dockerfile.txt".into(), "Dockerfile.dev".into()],
        }),
    );
    assert!(!v.passed);
    assert_eq!(v.expected, "the Dockerfile builds into an image");
    assert_eq!(
        v.actual,
        "no file at /ws/03-first-dockerfile/Dockerfile (found dockerfile.txt, Dockerfile.dev instead)"
    );
    assert!(v.advice.unwrap().contains("named exactly `Dockerfile`"));
    let v = judge(
        &spec(),
        &Attempt::Dockerfile(Unreadable::Missing {
            path: PathBuf::from("/ws/x/Dockerfile"),
            near_misses: vec![],
        }),
    );
    assert_eq!(v.actual, "no file at /ws/x/Dockerfile");
}

#[test]
fn an_empty_unparsable_or_refused_dockerfile_fails_before_building() {
    let v = judge(&spec(), &Attempt::Dockerfile(Unreadable::Empty));
    assert!(!v.passed);
    assert_eq!(v.actual, "Dockerfile is empty");
    assert!(v.advice.unwrap().contains("FROM line"));

    let parse =
        checker::dockerfile::screen("FROM busybox:1.36.1\nCOPPY app.sh /app/\n").unwrap_err();
    assert!(parse.parse_error);
    let v = judge(&spec(), &Attempt::Dockerfile(Unreadable::Refused(parse)));
    assert!(!v.passed);
    assert!(
        v.actual.starts_with("the build failed: line "),
        "{}",
        v.actual
    );
    assert!(v
        .advice
        .unwrap()
        .contains("keyword (FROM, RUN, COPY, CMD…)"));

    let refused = checker::dockerfile::screen("FROM busybox:1.36.1\nRUN --network=host wget x\n")
        .unwrap_err();
    let v = judge(&spec(), &Attempt::Dockerfile(Unreadable::Refused(refused)));
    assert!(!v.passed);
    assert!(
        v.actual
            .starts_with("refused before building: line 2: `RUN --network=host`"),
        "{}",
        v.actual
    );
    assert!(v.advice.is_none());
}

#[test]
fn a_context_too_big_or_unreadable_is_not_sent() {
    let top = vec![
        ("disk.img".to_string(), 700_000_000),
        ("node_modules".to_string(), 90_000_000),
    ];
    let v = judge(
        &spec(),
        &Attempt::ContextTooBig {
            total: REFUSE_BYTES + 1,
            top,
        },
    );
    assert!(!v.passed);
    assert!(
        v.actual
            .contains("(biggest: disk.img (700 MB), node_modules (90 MB))")
            && v.actual
                .contains(&format!("over {} MB", REFUSE_BYTES / 1_000_000)),
        "{}",
        v.actual
    );
    assert!(v.advice.unwrap().contains(".dockerignore"));
    let v = judge(
        &spec(),
        &Attempt::ContextUnreadable("secret.key: permission denied".into()),
    );
    assert!(!v.passed);
    assert_eq!(
        v.actual,
        "could not read the build context: secret.key: permission denied"
    );
}

/// A big context still builds, with advice naming what made it big.
#[test]
fn a_big_context_passes_with_advice() {
    let (engine, builder) = BUILDS[0];
    let v = judge(
        &spec(),
        &Attempt::Built {
            builder,
            built: build(engine, builder, "first", GOOD_ORDER),
            context_bytes: WARN_BYTES + 5_000_000,
            biggest: vec![("video.mp4".into(), 60_000_000)],
        },
    );
    assert!(v.passed, "{}", v.actual);
    assert_eq!(
        v.advice.as_deref(),
        Some(
            format!(
                "The build context is {} MB; the biggest files: video.mp4 (60 MB). Add a .dockerignore.",
                (WARN_BYTES + 5_000_000) / 1_000_000
            )
            .as_str()
        )
    );
}
