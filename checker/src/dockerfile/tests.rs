use super::pin::*;
use super::rules::*;
use super::*;

#[test]
fn pinning() {
    assert!(pin_problem("busybox").is_some());
    assert!(pin_problem("busybox:latest").is_some());
    assert!(pin_problem("python:slim").is_some());
    assert!(pin_problem("busybox:1.36.1").is_none());
    assert!(pin_problem("localhost:5000/app").is_some());
    assert!(
        pin_problem("localhost:5000/app:1.2").is_some(),
        "a minor version floats"
    );
    assert!(pin_problem("localhost:5000/app:1.2.0").is_none());
    assert!(pin_problem("python:3.12-slim").is_some());
    assert!(pin_problem("python:3.12.3-slim-bookworm").is_none());
    assert!(pin_problem("node:14").is_some());
    assert!(pin_problem("gcc:12.2.0-bookworm").is_none());
    assert!(pin_problem("x@sha256:abc").is_none());
    let digest = "0feceeb6f8ba6ed3bb0c3fa9327c6e2dc6a3e2b8d7b4e5c7d1e7c1f6b2a3c4d5";
    for wrong in [
        format!("127.0.0.1:18100/dojo-base:{digest}"),
        format!("dojo-base:sha256-{digest}"),
        format!("dojo-base@{digest}"),
    ] {
        let why = pin_problem(&wrong).unwrap_or_default();
        assert!(why.contains("`@sha256:`"), "{wrong}: {why}");
    }
}

#[test]
fn screen_refuses_dangerous_directives() {
    let cases = [
        (
            "FROM busybox:1.36.1\nRUN --security=insecure id\n",
            "full host privileges",
        ),
        (
            "FROM busybox:1.36.1\nRUN --network=host id\n",
            "host's network",
        ),
        (
            "FROM busybox:1.36.1\nRUN --mount=type=ssh id\n",
            "SSH agent",
        ),
        (
            "FROM busybox:1.36.1\nWORKDIR /proc/self/fd/8\n",
            "CVE-2024-21626",
        ),
        (
            "FROM busybox:1.36.1\nONBUILD WORKDIR /proc/self/fd/8\n",
            "CVE-2024-21626",
        ),
    ];
    for (df, want) in cases {
        let r = screen(df).unwrap_err();
        assert!(r.reason.contains(want), "{df:?}: {}", r.reason);
        assert_eq!(r.line, 2, "{df:?}");
    }
    assert!(screen("FROM busybox:1.36.1\nRUN echo hi\n").is_ok());
}

/// What `docker init` writes and what BuildKit Dockerfiles use is built, not refused.
#[test]
fn screen_lets_buildkit_dockerfiles_through() {
    for df in [
        "# syntax=docker/dockerfile:1\nFROM busybox:1.36.1\n",
        "FROM busybox:1.36.1\nRUN --mount=type=secret,id=token,required=false cat /run/secrets/token || true\n",
        "FROM busybox:1.36.1\nRUN --mount=type=cache,target=/root/.cache ls /root/.cache\n",
        "FROM busybox:1.36.1\nCOPY --link a /a\n",
    ] {
        assert!(screen(df).is_ok(), "{df:?}");
    }
}

#[test]
fn rules() {
    assert!(check_rule("FROM busybox\n", DockerfileRule::FromPinned).is_err());
    assert!(check_rule("FROM a:1.0.0 AS b\nFROM b\n", DockerfileRule::FromPinned).is_ok());
    let arg = "ARG V=1.36.1\nFROM busybox:${V}\n";
    assert!(
        check_rule(arg, DockerfileRule::FromPinned).is_ok(),
        "ARG defaults count"
    );
    let ms = "FROM gcc:12.2.0-bookworm AS build\nRUN true\nFROM scratch\nCOPY --from=build /a /a\n";
    assert!(check_rule(ms, DockerfileRule::MultiStage).is_ok());
    assert!(check_rule("FROM a:1\nFROM b:2\n", DockerfileRule::MultiStage).is_err());
    assert!(check_rule("FROM a:1\nUSER app\n", DockerfileRule::NonRootUser).is_ok());
    assert!(check_rule("FROM a:1\nUSER 0\n", DockerfileRule::NonRootUser).is_err());
    assert!(check_rule("FROM a:1\nCMD [\"sh\"]\n", DockerfileRule::ExecForm).is_ok());
    let e = check_rule("FROM a:1\nCMD sh -c x\n", DockerfileRule::ExecForm).unwrap_err();
    assert!(e.1.contains("line 2"), "{e:?}");
}

fn ok(df: &str, rule: DockerfileRule) -> String {
    check_rule(df, rule).unwrap_or_else(|e| panic!("{df:?} {rule:?}: {e:?}"))
}

fn fails(df: &str, rule: DockerfileRule) -> String {
    match check_rule(df, rule) {
        Ok(seen) => panic!("{df:?} {rule:?} passed: {seen}"),
        Err((_, actual)) => actual,
    }
}

#[test]
fn args_expand_as_the_builder_reads_them() {
    use DockerfileRule::FromPinned as P;
    // `$V` is not a prefix of `$VERSION`.
    ok("ARG V=x\nARG VERSION=1.36.1\nFROM busybox:$VERSION\n", P);
    // Quotes are removed, single or double.
    ok("ARG V='1.36.1'\nFROM busybox:${V}\n", P);
    ok("ARG V=\"1.36.1\"\nFROM busybox:$V\n", P);
    // Two on one line.
    ok("ARG A=busybox B=1.36.1\nFROM ${A}:${B}\n", P);
    // Defaults and alternatives.
    ok("FROM busybox:${V:-1.36.1}\n", P);
    ok("ARG V=\nFROM busybox:${V:-1.36.1}\n", P);
    ok("ARG V=1\nFROM busybox:1.36.1${V:+-musl}\n", P);
    fails("ARG V=1.36\nFROM busybox:${V:-1.36.1}\n", P);
    // An ARG before FROM naming the whole image.
    ok("ARG BASE=busybox:1.36.1\nFROM ${BASE}\n", P);
    let e = fails("ARG BASE=busybox:1.36\nFROM ${BASE}\n", P);
    assert!(e.contains("(= `busybox:1.36`)"), "{e}");
    let e = fails("ARG BASE\nFROM ${BASE}\n", P);
    assert!(e.contains("no value"), "{e}");
    // One ARG's default made of another.
    ok("ARG V=1.36.1\nARG IMG=busybox:${V}\nFROM $IMG\n", P);
    // A stage's ARG default sees the stage's ARGs, not undeclared global ones.
    fails(
        "ARG G=app\nFROM a:1.0.0\nARG U=${G}\nUSER $U\n",
        DockerfileRule::NonRootUser,
    );
    ok(
        "ARG G=app\nFROM a:1.0.0\nARG G\nARG U=${G}\nUSER $U\n",
        DockerfileRule::NonRootUser,
    );
    // Nesting is bounded, and no input makes the lexer overflow its stack.
    let deep = format!(
        "FROM busybox:{}1.36.1{}\n",
        "${V:-".repeat(100_000),
        "}".repeat(100_000)
    );
    let _ = check_rule(&deep, P);
    ok(
        "FROM --platform=$BUILDPLATFORM golang:1.22.3 AS b\nFROM scratch\nCOPY --from=b /a /a\n",
        P,
    );
}

#[test]
fn build_args_replace_defaults() {
    let args: BTreeMap<String, String> = [("V".to_string(), "1.36.1".to_string())].into();
    let df = "ARG V=latest\nFROM busybox:${V}\n";
    assert!(check_rule(df, DockerfileRule::FromPinned).is_err());
    assert!(check_rule_with(df, DockerfileRule::FromPinned, &args).is_ok());
    let root: BTreeMap<String, String> = [("U".to_string(), "0".to_string())].into();
    let df = "FROM a:1.0.0\nARG U=app\nUSER $U\n";
    assert!(check_rule(df, DockerfileRule::NonRootUser).is_ok());
    assert!(check_rule_with(df, DockerfileRule::NonRootUser, &root).is_err());
}

#[test]
fn exact_releases() {
    for pinned in [
        "busybox:1.36.1",
        "gcc:12.2.0-bookworm",
        "python:3.12.1-slim",
        "node:20.11.1-alpine3.19",
        "debian:bookworm-20240311",
        "eclipse-temurin:21.0.2_13-jre-jammy",
        "golang:v1.22.3",
        "busybox@sha256:5eef5ed34e1e1ff0a4ae850395cbf665c4de6b4b83a32a0bc7bcb998e24e7bbb",
        "busybox:1.36@sha256:5eef5ed34e1e1ff0a4ae850395cbf665c4de6b4b83a32a0bc7bcb998e24e7bbb",
        "localhost:5000/team/app:2.0.1",
        "postgres:16.2",
        "postgres:16.2-alpine3.19",
        "library/postgres:15.6-bookworm",
        "gradle:8.6-jdk21",
    ] {
        assert_eq!(pin_problem(pinned), None, "{pinned}");
    }
    for moving in [
        "busybox:1.36",
        "python:3.12-slim",
        "debian:bookworm",
        "node:20",
        "nginx:stable",
        "busybox:latest",
        "busybox",
        "alpine:3",
        "node:lts-alpine3.19",
        "localhost:5000/app",
        "debian:bookworm-99999999",
        "postgres:16",
        "postgres:9.6",
        "postgres:16-alpine",
        "redis:7.2",
        "ubuntu:22.04",
    ] {
        assert!(pin_problem(moving).is_some(), "{moving}");
    }
    let e = fails("FROM python:3.12-slim\n", DockerfileRule::FromPinned);
    assert!(e.contains("only part of a version"), "{e}");
    ok("FROM scratch\n", DockerfileRule::FromPinned);
}

#[test]
fn root_in_every_spelling() {
    for root in [
        "root",
        "0",
        "0000",
        "root:root",
        "0:0",
        "0:1000",
        "root:app",
        " 0 ",
        "",
    ] {
        assert!(is_root_user(root), "{root:?}");
    }
    for user in [
        "app",
        "1000",
        "1000:1000",
        "nonroot:nonroot",
        "app:root",
        "65532",
        "10",
    ] {
        assert!(!is_root_user(user), "{user:?}");
    }
    use DockerfileRule::NonRootUser as U;
    for df in [
        "FROM a:1.0.0\nUSER 0000\n",
        "FROM a:1.0.0\nUSER root:root\n",
        "FROM a:1.0.0\nUSER 0:0\n",
        "FROM a:1.0.0\nARG RUN_AS=root\nUSER ${RUN_AS}\n",
        "FROM a:1.0.0\nENV UID=0\nUSER $UID:$UID\n",
        "ARG U=app\nFROM a:1.0.0\nUSER $U\n",
    ] {
        fails(df, U);
    }
    let e = fails("FROM a:1.0.0\nARG RUN_AS=root\nUSER ${RUN_AS}\n", U);
    assert!(e.contains("(= `root`) is root"), "{e}");
    ok("ARG U=app\nFROM a:1.0.0\nARG U\nUSER $U\n", U);
}

#[test]
fn user_is_inherited_from_the_parent_stage() {
    use DockerfileRule::NonRootUser as U;
    let df =
        "FROM debian:12.5 AS build\nRUN useradd app\nUSER app\nFROM build AS final\nCMD [\"x\"]\n";
    let seen = ok(df, U);
    assert!(seen.contains("stage `build`"), "{seen}");
    // Through two stages, names in any case.
    ok(
        "FROM a:1.0.0 AS base\nUSER 1000\nFROM base AS mid\nRUN true\nFROM MID\n",
        U,
    );
    // The final stage's own USER wins.
    fails("FROM a:1.0.0 AS base\nUSER app\nFROM base\nUSER root\n", U);
    // A USER in an unrelated stage does not count.
    let e = fails(
        "FROM a:1.0.0 AS build\nUSER app\nFROM b:1.0.0\nCOPY --from=build /x /x\n",
        U,
    );
    assert!(e.contains("no USER in the final stage"), "{e}");
}

#[test]
fn multi_stage_means_an_earlier_stage_of_this_dockerfile() {
    use DockerfileRule::MultiStage as M;
    let e = fails(
        "FROM a:1.0.0 AS unused\nFROM scratch\nCOPY --from=busybox:1.36.1 /bin/busybox /busybox\n",
        M,
    );
    assert!(e.contains("outside images"), "{e}");
    let e = fails(
        "FROM scratch\nCOPY --from=busybox:1.36.1 /bin/busybox /busybox\n",
        M,
    );
    assert!(e.contains("1 stage"), "{e}");
    ok(
        "FROM a:1.0.0\nRUN make\nFROM scratch\nCOPY --from=0 /out /out\n",
        M,
    );
    ok(
        "FROM a:1.0.0 AS Build\nFROM scratch\nCOPY --from=build /out /out\n",
        M,
    );
    ok(
        "ARG S=build\nFROM a:1.0.0 AS build\nFROM scratch\nARG S\nCOPY --from=$S /out /out\n",
        M,
    );
    ok(
        "FROM a:1.0.0 AS base\nRUN make\nFROM base\nCMD [\"x\"]\n",
        M,
    );
    // Index 1 is the final stage itself, not an earlier one.
    fails("FROM a:1.0.0\nFROM b:1.0.0\nCOPY --from=1 /x /x\n", M);
}

#[test]
fn broken_json_is_named() {
    use DockerfileRule::ExecForm as X;
    let e = fails("FROM a:1.0.0\nCMD [\"a\", \"b\"\n", X);
    assert!(
        e.contains("not valid JSON") && e.contains("shell command") && e.contains("line 2"),
        "{e}"
    );
    let e = fails("FROM a:1.0.0\nENTRYPOINT ['/app']\n", X);
    assert!(e.contains("double quotes"), "{e}");
    let e = fails("FROM a:1.0.0\nCMD [\"a\" \"b\"]\n", X);
    assert!(e.contains("not valid JSON"), "{e}");
    // Shell form in a stage that is not part of the image does not count.
    ok(
        "FROM a:1.0.0 AS dev\nCMD go run .\nFROM b:1.0.0\nCMD [\"/app\"]\n",
        X,
    );
    // It does in the stage the final one is built on.
    fails("FROM a:1.0.0 AS base\nCMD go run .\nFROM base\n", X);
}

/// The messages `tests/check_kinds/dockerfile.rs` quotes, checked here without a daemon.
#[test]
fn messages_say_what_was_found() {
    let bad = "FROM busybox\nUSER root\nCMD sh -c 'sleep 1000'\n";
    let latest = "FROM busybox:1.36.1 AS build\nRUN true\nFROM busybox:latest\nUSER 0:0\n";
    let two = "FROM busybox:1.36.1 AS build\nUSER app\nFROM busybox:1.36.1\nENTRYPOINT sh\n";
    let cases: [(&str, DockerfileRule, &[&str]); 9] = [
        (
            bad,
            DockerfileRule::FromPinned,
            &["line 1: `FROM busybox` has no tag, so it means `latest`"],
        ),
        (
            latest,
            DockerfileRule::FromPinned,
            &["line 3: `FROM busybox:latest` uses `latest`"],
        ),
        (
            "FROM busybox:stable\n",
            DockerfileRule::FromPinned,
            &["`FROM busybox:stable` uses a floating tag"],
        ),
        (
            bad,
            DockerfileRule::MultiStage,
            &["COPY --from=<stage>", "1 stage"],
        ),
        (
            two,
            DockerfileRule::MultiStage,
            &["2 stages, but the final stage copies nothing"],
        ),
        (latest, DockerfileRule::NonRootUser, &["USER 0:0"]),
        (
            two,
            DockerfileRule::NonRootUser,
            &["no USER in the final stage", "root for most images"],
        ),
        (
            bad,
            DockerfileRule::ExecForm,
            &[
                "CMD in exec form",
                "line 3: shell form `CMD sh -c 'sleep 1000'`",
            ],
        ),
        (
            two,
            DockerfileRule::ExecForm,
            &[
                "ENTRYPOINT in exec form",
                "line 4: shell form `ENTRYPOINT sh`",
            ],
        ),
    ];
    for (df, rule, wants) in cases {
        let (expected, actual) = check_rule(df, rule).unwrap_err();
        let text = format!("{expected}\n{actual}");
        for want in wants {
            assert!(text.contains(want), "{df:?} {rule:?}: {text}");
        }
    }
}

#[test]
fn buildkit_flags_are_spotted() {
    assert_eq!(
        needs_buildkit("FROM a:1\nRUN --mount=type=cache,target=/x true\n").as_deref(),
        Some("--mount")
    );
    assert!(needs_buildkit("FROM a:1\nRUN true\n").is_none());
    assert!(needs_buildkit("FROM a:1\nRUN <<EOF\necho hi\nEOF\n").is_some());
    assert!(needs_buildkit("FROM a:1\nCOPY <<EOF /x\nhi\nEOF\n").is_some());
    assert_eq!(
        needs_buildkit("# syntax=docker/dockerfile:1\nFROM a:1\n"),
        None,
        "the classic builder reads a syntax line as a comment"
    );
}

/// 10-moved-tag: the base pinned by the digest the setup saved, not another digest (today's, with
/// the app's version check faked) and not a full-version tag pushed again by hand.
#[test]
fn from_must_name_the_saved_digest() {
    use super::from_digest_is;
    let d = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let other = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    let args = Default::default();
    let ok = format!("FROM 127.0.0.1:18100/dojo-base:3.12-slim@{d}\nRUN true\n");
    assert!(from_digest_is(&ok, &args, d).is_ok());
    let only = format!("ARG BASE=127.0.0.1:18100/dojo-base@{d}\nFROM ${{BASE}} AS b\nFROM b\n");
    assert!(
        from_digest_is(&only, &args, d).is_ok(),
        "an ARG and a stage"
    );
    let (expected, actual) =
        from_digest_is(&format!("FROM r/dojo-base@{other}\n"), &args, d).unwrap_err();
    assert!(expected.contains("sha256:111111111111"), "{expected}");
    assert!(
        actual.contains("names another image (sha256:222222222222"),
        "{actual}"
    );
    let (_, actual) = from_digest_is("FROM r/dojo-base:3.12.3-slim\n", &args, d).unwrap_err();
    assert!(actual.contains("names a tag"), "{actual}");
    assert!(from_digest_is("FROM scratch\n", &args, d).is_err());
}
