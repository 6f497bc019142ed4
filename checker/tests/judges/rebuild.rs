//! The `rebuild` judge on rebuilds capture.sh streamed from each engine after `app.sh` changed:
//! one Dockerfile that installs its dependencies before copying the code (the install comes from
//! the cache), one that copies everything first (the install runs again). Cache hits are read
//! from the classic builder's `---> Using cache` lines, Podman's `--> Using cache`, and
//! BuildKit's per-vertex `cached` flag.

use std::time::Duration;

use checker::checks::rebuild::{judge, RebuildCheck, Rebuilt};
use checker::docker::build::Built;
use checker::docker::builder::Builder;

use super::build::GOOD_ORDER;
use super::fixtures::{build, BUILDS};

/// The Dockerfile of `build-*-rebuild-bad.jsonl`: the code is copied before the install.
const BAD_ORDER: &str = "FROM busybox:1.36.1
COPY . /app/
RUN echo downloading $(cat /app/deps.txt) && cp /app/deps.txt /app/installed
RUN sh /app/app.sh
";

/// What the cache exercise asks: the install from the cache, the code step run again, the
/// app's output shown, no download.
fn spec() -> RebuildCheck {
    RebuildCheck {
        image: "app".into(),
        touch: "app.sh".into(),
        cached: vec!["RUN echo downloading".into()],
        rebuilt: vec!["RUN sh /app/app.sh".into()],
        append: None,
        output_contains: vec![],
        output_excludes: vec!["downloading left-pad".into()],
    }
}

fn rebuilt(engine: &str, builder: Builder, case: &str, dockerfile: &str) -> Rebuilt {
    Rebuilt::Done {
        builder,
        built: build(engine, builder, case, dockerfile),
        here_docs: vec![],
    }
}

#[test]
fn dependencies_before_code_keep_the_install_cached_on_every_builder() {
    for (engine, builder) in BUILDS {
        let mut spec = spec();
        spec.output_contains = vec!["app v2".into()];
        let v = judge(&spec, &rebuilt(engine, builder, "rebuild-good", GOOD_ORDER));
        assert!(v.passed, "{engine} {builder:?}: {}", v.actual);
        assert_eq!(
            v.expected,
            "after a change to app.sh, a rebuild where the `RUN echo downloading` step(s) come from \
             the cache and the `RUN sh /app/app.sh` step(s) run again and the output shows `app v2` \
             and never shows `downloading left-pad`"
        );
        let lines: Vec<&str> = v.actual.lines().collect();
        assert_eq!(
            lines[0],
            format!("rebuilt with {}:", builder.describe()),
            "{engine}"
        );
        assert_eq!(
            &lines[1..],
            [
                "cached  FROM busybox:1.36.1",
                "cached  COPY deps.txt /app/",
                "cached  RUN echo downloading $(cat /app/deps.txt) && cp /app/deps.txt /app/installed",
                "REBUILT COPY app.sh /app/",
                "REBUILT RUN sh /app/app.sh",
            ]
            .map(|l| {
                // BuildKit names the base image in full.
                if builder == Builder::BuildKit {
                    l.replace("FROM busybox", "FROM docker.io/library/busybox")
                } else {
                    l.to_string()
                }
            }),
            "{engine} {builder:?}"
        );
    }
}

/// Nothing of the first build was in the cache: every step but FROM ran, on every builder.
#[test]
fn a_first_build_reads_as_rebuilt() {
    for (engine, builder) in BUILDS {
        let Built::Ok { steps, .. } = build(engine, builder, "first", GOOD_ORDER) else {
            panic!("{engine}: the first build failed");
        };
        let cached: Vec<bool> = steps.iter().map(|s| s.cached).collect();
        assert_eq!(
            cached,
            [true, false, false, false, false],
            "{engine} {builder:?}"
        );
    }
}

#[test]
fn code_copied_first_rebuilds_the_install_and_says_why() {
    for (engine, builder) in BUILDS {
        let v = judge(&spec(), &rebuilt(engine, builder, "rebuild-bad", BAD_ORDER));
        assert!(!v.passed, "{engine} {builder:?}");
        assert!(
            v.actual.starts_with(
                "`RUN echo downloading $(cat /app/deps.txt) && cp /app/deps.txt /app/installed` \
                 was rebuilt after a code-only change: `COPY . /app/` comes earlier and changed, \
                 so every step after it was rebuilt.\nThe rebuild:\n"
            ),
            "{engine} {builder:?}: {}",
            v.actual
        );
        assert!(v.actual.contains("REBUILT COPY . /app/"), "{}", v.actual);
    }
}

/// The output check reads what the steps printed, not the instructions' text: the install's
/// download line shows only where the install ran again.
#[test]
fn a_download_in_the_output_fails_where_the_install_ran_again() {
    for (engine, builder) in BUILDS {
        let spec = RebuildCheck {
            cached: vec![],
            rebuilt: vec![],
            ..spec()
        };
        let good = judge(&spec, &rebuilt(engine, builder, "rebuild-good", GOOD_ORDER));
        assert!(good.passed, "{engine} {builder:?}: {}", good.actual);
        let v = judge(&spec, &rebuilt(engine, builder, "rebuild-bad", BAD_ORDER));
        assert!(!v.passed, "{engine} {builder:?}");
        assert!(
            v.actual
                .starts_with("the rebuild's output shows `downloading left-pad`:\n")
                && v.actual
                    .contains("downloading left-pad 1.3.0 # judge-fixture-"),
            "{engine} {builder:?}: {}",
            v.actual
        );
    }
}

#[test]
fn a_step_that_should_run_again_but_came_from_the_cache_ships_stale_code() {
    for (engine, builder) in BUILDS {
        let spec = RebuildCheck {
            rebuilt: vec!["COPY deps.txt".into()],
            ..spec()
        };
        let v = judge(&spec, &rebuilt(engine, builder, "rebuild-good", GOOD_ORDER));
        assert!(!v.passed, "{engine}");
        assert!(
            v.actual.starts_with(
                "`COPY deps.txt /app/` came from the cache although app.sh changed: the image \
                 would ship stale code."
            ),
            "{engine}: {}",
            v.actual
        );
    }
}

#[test]
fn a_step_that_is_not_there_is_named() {
    for (engine, builder) in BUILDS {
        let cached = RebuildCheck {
            cached: vec!["RUN npm ci".into()],
            ..spec()
        };
        let v = judge(
            &cached,
            &rebuilt(engine, builder, "rebuild-good", GOOD_ORDER),
        );
        assert!(!v.passed);
        assert!(
            v.actual
                .starts_with("no step contains `RUN npm ci`; the steps were:\n"),
            "{engine}: {}",
            v.actual
        );
        assert!(v.advice.unwrap().contains("Keep the step the task names"));
        let rebuilt_spec = RebuildCheck {
            cached: vec![],
            rebuilt: vec!["RUN make".into()],
            ..spec()
        };
        let v = judge(
            &rebuilt_spec,
            &rebuilt(engine, builder, "rebuild-good", GOOD_ORDER),
        );
        assert!(!v.passed);
        assert!(
            v.actual.starts_with("no step contains `RUN make`"),
            "{}",
            v.actual
        );
    }
}

#[test]
fn a_rebuild_that_fails_or_hangs_or_cannot_start_is_a_failure() {
    for (engine, builder) in BUILDS {
        let v = judge(
            &spec(),
            &rebuilt(
                engine,
                builder,
                "failed",
                "FROM busybox:1.36.1\nRUN install-deps --all\n",
            ),
        );
        assert!(!v.passed);
        assert!(
            v.actual
                .starts_with(&format!("the rebuild failed with {}: ", builder.describe()))
                && v.actual.contains("127"),
            "{engine}: {}",
            v.actual
        );
    }
    let v = judge(
        &spec(),
        &Rebuilt::Done {
            builder: Builder::BuildKit,
            built: Built::TimedOut {
                log: String::new(),
                limit: Duration::from_secs(300),
                running: None,
            },
            here_docs: vec![],
        },
    );
    assert!(!v.passed);
    assert_eq!(v.actual, "the rebuild with BuildKit took over 300 s");
    let v = judge(&spec(), &Rebuilt::NoFirstBuild);
    assert!(!v.passed);
    assert_eq!(
        (v.expected.as_str(), v.actual.as_str()),
        ("a first build", "no image was built")
    );
    let v = judge(
        &spec(),
        &Rebuilt::Unpacked("app.sh: permission denied".into()),
    );
    assert!(!v.passed);
    assert_eq!(v.actual, "app.sh: permission denied");
}

/// dockdojo's own ownership LABEL step (classic builder) is not one of the learner's steps.
#[test]
fn the_ownership_label_step_is_left_out() {
    let (engine, builder) = (BUILDS[0].0, Builder::Classic);
    let Built::Ok {
        id,
        log,
        mut steps,
        fresh,
    } = build(engine, builder, "rebuild-good", GOOD_ORDER)
    else {
        panic!("rebuild failed");
    };
    steps.push(checker::docker::build::Step {
        instruction: "LABEL io.dockdojo.managed=true io.dockdojo.session=x".into(),
        cached: false,
        result: None,
    });
    let v = judge(
        &spec(),
        &Rebuilt::Done {
            builder,
            built: Built::Ok {
                id,
                log,
                steps,
                fresh,
            },
            here_docs: vec![],
        },
    );
    assert!(v.passed, "{}", v.actual);
    assert!(!v.actual.contains("io.dockdojo"), "{}", v.actual);
}

fn step(instruction: &str, cached: bool) -> checker::docker::build::Step {
    checker::docker::build::Step {
        instruction: instruction.into(),
        cached,
        result: None,
    }
}

fn done(steps: Vec<checker::docker::build::Step>, dockerfile: &str) -> Rebuilt {
    Rebuilt::Done {
        builder: Builder::BuildKit,
        built: Built::Ok {
            id: "sha256:1".into(),
            log: String::new(),
            steps,
            fresh: vec![],
        },
        here_docs: checker::checks::rebuild::here_doc_runs(dockerfile),
    }
}

/// The install moved before the code, but also left in place after it: the late one still runs
/// on every code change, so the install does not come from the cache.
#[test]
fn every_step_a_cached_entry_names_must_come_from_the_cache() {
    let spec = RebuildCheck {
        cached: vec!["install-deps".into()],
        rebuilt: vec![],
        output_excludes: vec![],
        ..spec()
    };
    let steps = vec![
        step("COPY deps.txt install-deps.sh /app/", true),
        step("RUN /app/install-deps.sh", true),
        step("COPY . /app", false),
        step("RUN /app/install-deps.sh", false),
    ];
    let v = judge(&spec, &done(steps, ""));
    assert!(!v.passed);
    assert!(
        v.actual.starts_with(
            "`RUN /app/install-deps.sh` was rebuilt after a code-only change: `COPY . /app` \
             comes earlier and changed"
        ),
        "{}",
        v.actual
    );
}

/// A step an entry of `rebuilt` names may appear before the input it reads (the tool's cache
/// folder made first): it rightly stays cached, and the install after the input is what must
/// run again. When every such step came from the cache, the last one is named.
#[test]
fn one_rebuilt_step_of_those_a_rebuilt_entry_names_is_enough() {
    let spec = RebuildCheck {
        touch: "deps.txt".into(),
        cached: vec![],
        rebuilt: vec!["RUN minipkg".into()],
        output_excludes: vec![],
        ..spec()
    };
    let mut steps = vec![
        step("RUN mkdir -p /root/.cache/minipkg", true),
        step("COPY deps.txt minipkg /app/", false),
        step("RUN /app/minipkg install /app/deps.txt", false),
    ];
    let v = judge(&spec, &done(steps.clone(), ""));
    assert!(v.passed, "{}", v.actual);

    for s in &mut steps {
        s.cached = true;
    }
    let v = judge(&spec, &done(steps, ""));
    assert!(!v.passed);
    assert!(
        v.actual.starts_with(
            "`RUN /app/minipkg install /app/deps.txt` came from the cache although deps.txt changed"
        ),
        "{}",
        v.actual
    );
}

/// A Dockerfile whose install is a here-document RUN (the compile step, if any, follows).
const HEREDOC_INSTALL: &str = "FROM busybox:1.36.1
COPY deps.txt install-deps.sh ./
RUN --mount=type=secret,id=index_token <<EOT
set -e
./install-deps.sh /run/secrets/index_token /out/vendor
EOT
COPY src/ ./src/
";

/// The capstone's cache check: the install from the cache (and the steps named in `rebuilt`
/// run again).
fn install_cached(rebuilt: &[&str]) -> RebuildCheck {
    RebuildCheck {
        cached: vec!["RUN install-deps".into()],
        rebuilt: rebuilt.iter().map(|s| s.to_string()).collect(),
        output_excludes: vec![],
        ..spec()
    }
}

/// BuildKit names a here-document RUN by its first lines only (`RUN <<EOT (set -e...)`): the
/// step the spec names is found in the script the Dockerfile gives it.
#[test]
fn a_step_is_found_in_its_here_document() {
    let dockerfile = HEREDOC_INSTALL;
    let spec = install_cached(&[]);
    let steps = |cached| {
        vec![
            step("COPY deps.txt install-deps.sh ./", true),
            step(
                "RUN --mount=type=secret,id=index_token <<EOT (set -e...)",
                cached,
            ),
            step("COPY src/ ./src/", false),
        ]
    };
    let v = judge(&spec, &done(steps(true), dockerfile));
    assert!(v.passed, "{}", v.actual);
    let v = judge(&spec, &done(steps(false), dockerfile));
    assert!(!v.passed);
    assert!(v.actual.contains("was rebuilt"), "{}", v.actual);
    // Without the Dockerfile's script, the name alone does not hold the step.
    let v = judge(&spec, &done(steps(true), ""));
    assert!(v.actual.starts_with("no step contains"), "{}", v.actual);
}

/// Two here-document RUNs whose scripts start alike: each step is its own RUN (by the line
/// that opens it), so the compile that runs again is not taken for the cached install.
#[test]
fn here_document_runs_that_start_alike_are_told_apart() {
    let dockerfile = format!(
        "{HEREDOC_INSTALL}RUN <<EOT
set -e
gcc -O2 -static -o /out/tally src/tally.c
EOT
"
    );
    let spec = install_cached(&["RUN gcc"]);
    let steps = vec![
        step("COPY deps.txt install-deps.sh ./", true),
        step(
            "RUN --mount=type=secret,id=index_token <<EOT (set -e...)",
            true,
        ),
        step("COPY src/ ./src/", false),
        step("RUN <<EOT (set -e...)", false),
    ];
    let v = judge(&spec, &done(steps, &dockerfile));
    assert!(v.passed, "{}", v.actual);
}
