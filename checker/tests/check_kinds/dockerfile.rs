//! `dockerfile`: static rules on the Dockerfile text (nothing is built).

use crate::common::{check, grade, grade_to_first_failure, Fixture};

/// One `dockerfile` check per (id, file, rule).
fn rule_checks(cases: &[(&str, &str, &str)]) -> String {
    cases
        .iter()
        .map(|(id, file, rule)| {
            check(
                id,
                "dockerfile",
                &format!("dockerfile = \"{file}\"\nrule = \"{rule}\""),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_rule_passes_a_good_dockerfile() {
    let fx = Fixture::new();
    fx.write(
        "Dockerfile",
        "FROM busybox:1.36.1 AS build\n\
         RUN echo hi > /hi\n\
         FROM build AS test\n\
         RUN test -f /hi\n\
         FROM busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000\n\
         COPY --from=build /hi /hi\n\
         USER app\n\
         ENTRYPOINT [\"sh\"]\n\
         CMD [\"-c\", \"cat /hi\"]\n",
    );
    let checks = rule_checks(&[
        ("pinned", "Dockerfile", "from_pinned"),
        ("multi", "Dockerfile", "multi_stage"),
        ("user", "Dockerfile", "non_root_user"),
        ("exec", "Dockerfile", "exec_form"),
    ]);
    let g = grade("90-rules-pass", "build", &checks, fx.path()).await;
    let r = g.passed("pinned");
    assert!(r.actual.contains("busybox:1.36.1"), "{}", r.actual);
    g.passed("multi");
    assert!(g.passed("user").actual.contains("USER app"));
    g.passed("exec");
}

#[tokio::test]
async fn every_rule_fails_a_bad_dockerfile_saying_why() {
    let fx = Fixture::new();
    fx.write(
        "Dockerfile",
        "FROM busybox\nUSER root\nCMD sh -c 'sleep 1000'\n",
    );
    fx.write(
        "latest.Dockerfile",
        "FROM busybox:1.36.1 AS build\nRUN true\nFROM busybox:latest\nUSER 0:0\n",
    );
    fx.write("floating.Dockerfile", "FROM busybox:stable\nUSER app\n");
    fx.write(
        "two-stages.Dockerfile",
        "FROM busybox:1.36.1 AS build\nUSER app\nFROM busybox:1.36.1\nENTRYPOINT sh\n",
    );
    let checks = rule_checks(&[
        ("untagged", "Dockerfile", "from_pinned"),
        ("latest", "latest.Dockerfile", "from_pinned"),
        ("floating", "floating.Dockerfile", "from_pinned"),
        ("one-stage", "Dockerfile", "multi_stage"),
        ("no-copy", "two-stages.Dockerfile", "multi_stage"),
        ("root", "Dockerfile", "non_root_user"),
        ("uid-zero", "latest.Dockerfile", "non_root_user"),
        ("no-user", "two-stages.Dockerfile", "non_root_user"),
        ("shell-cmd", "Dockerfile", "exec_form"),
        ("shell-entrypoint", "two-stages.Dockerfile", "exec_form"),
        ("no-file", "Missing.Dockerfile", "exec_form"),
    ]);
    let g = grade("90-rules-fail", "build", &checks, fx.path()).await;
    g.failed(
        "untagged",
        &["line 1: `FROM busybox` has no tag, so it means `latest`"],
    );
    g.failed("latest", &["line 3: `FROM busybox:latest` uses `latest`"]);
    g.failed("floating", &["`FROM busybox:stable` uses a floating tag"]);
    g.failed("one-stage", &["COPY --from=<stage>", "1 stage"]);
    g.failed("no-copy", &["2 stages, but the final stage copies nothing"]);
    g.failed("root", &["a final `USER` that is not root", "USER root"]);
    g.failed("uid-zero", &["USER 0:0"]);
    g.failed(
        "no-user",
        &["no USER in the final stage", "root for most images"],
    );
    g.failed(
        "shell-cmd",
        &[
            "CMD in exec form",
            "line 3: shell form `CMD sh -c 'sleep 1000'`",
        ],
    );
    g.failed(
        "shell-entrypoint",
        &[
            "ENTRYPOINT in exec form",
            "line 4: shell form `ENTRYPOINT sh`",
        ],
    );
    g.failed("no-file", &["no file at", "Missing.Dockerfile"]);
}

#[tokio::test]
async fn from_pinned_accepts_a_version_given_by_arg() {
    let fx = Fixture::new();
    fx.write(
        "Dockerfile",
        "ARG BUSYBOX_VERSION=1.36.1\nFROM busybox:${BUSYBOX_VERSION}\n",
    );
    let checks = rule_checks(&[("pinned", "Dockerfile", "from_pinned")]);
    let g = grade("90-rules-arg", "build", &checks, fx.path()).await;
    g.passed("pinned");
}

/// `self-test`'s starters and mutants are proven by their first failure: nothing after it runs,
/// and what did not run says so. A learner's run still reports every failure.
#[tokio::test]
async fn a_run_to_the_first_failure_stops_there() {
    let fx = Fixture::new();
    fx.write("Dockerfile", "FROM busybox:latest\nCMD echo hi\n");
    let checks = rule_checks(&[
        ("pinned", "Dockerfile", "from_pinned"),
        ("exec", "Dockerfile", "exec_form"),
    ]);
    let g = grade_to_first_failure("90-rules-first", "build", &checks, fx.path()).await;
    g.failed("pinned", &["latest"]);
    let r = g.skipped("exec");
    assert!(
        r.actual.contains("stops at the first failure"),
        "{}",
        r.actual
    );
    let g = grade("90-rules-all", "build", &checks, fx.path()).await;
    g.failed("pinned", &["latest"]);
    g.failed("exec", &[]);
}
