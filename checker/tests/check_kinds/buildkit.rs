//! `build` and `rebuild` on BuildKit: Dockerfiles that need it (cache and secret mounts, a
//! `# syntax=` first line as `docker init` writes) are built and graded, not refused; cache hits
//! come from BuildKit's vertex status. On Engine 20.10 a Dockerfile that needs BuildKit goes
//! through it by itself; the cache tests ask for it as `DOCKER_BUILDKIT=1` would.

use checker::docker::builder::Builder;

use checker::docker::Engine;
use checker::error::EnvError;

use crate::common::{
    case_leftovers, check, engine_major, grade, grade_with_builder, try_grade, Fixture,
};

/// Can this daemon grade with BuildKit? Every Docker Engine can (20.10, and 26 in either image
/// store); Podman cannot, and the rest of this file has nothing to test there.
async fn buildkit_grades() -> bool {
    let engine = Engine::connect()
        .await
        .unwrap_or_else(|e| panic!("these tests need a reachable Docker daemon: {e}"));
    let ok = engine.builder_for(Some("--mount")).is_ok();
    if !ok {
        eprintln!(
            "BuildKit does not grade on this daemon: {}",
            engine.builders.describe()
        );
    }
    ok
}

/// `# syntax=` first, as `docker init` writes it, then the fixture's usual first lines.
fn buildkit_dockerfile(fx: &Fixture, rest: &str) -> String {
    let text = format!("# syntax=docker/dockerfile:1\n{}{rest}", fx.preamble());
    fx.write("Dockerfile", &text);
    text
}

#[tokio::test]
async fn syntax_line_cache_and_secret_mounts_build_with_buildkit() {
    let fx = Fixture::new();
    fx.write("app.txt", "hi");
    buildkit_dockerfile(
        &fx,
        "RUN --mount=type=cache,target=/root/.cache echo warm > /root/.cache/x && cp /root/.cache/x /from-cache.txt\n\
         RUN --mount=type=secret,id=token,required=false test ! -e /run/secrets/token && echo none > /secret.txt\n\
         COPY . /ctx/\n",
    );
    let file = |path: &str, more: &str| format!("path = \"{path}\"\n{more}");
    let checks = [
        check("build", "build", ""),
        check(
            "cache-mount",
            "file",
            &file("/from-cache.txt", "contains = \"warm\""),
        ),
        check(
            "no-secret",
            "file",
            &file("/secret.txt", "contains = \"none\""),
        ),
        check(
            "labelled",
            "image",
            "image = \"app\"\nlabels = { \"io.dockdojo.managed\" = \"true\" }",
        ),
        // Sent without its syntax line (the daemon's BuildKit would fetch that frontend).
        check(
            "dockerfile-copied",
            "file",
            &file("/ctx/Dockerfile", "contains = \"--mount=type=cache\""),
        ),
        check(
            "no-copy",
            "file",
            &file("/ctx/.dockdojo-build.Dockerfile", "exists = false"),
        ),
        check(
            "no-ignore-file",
            "file",
            &file("/ctx/.dockerignore", "exists = false"),
        ),
    ]
    .concat();
    if !buildkit_grades().await {
        let e = try_grade("90-buildkit-ok", "build", &checks, fx.path(), None)
            .await
            .err()
            .expect("an environment error");
        assert!(matches!(e, EnvError::NoBuildKit { .. }), "{e}");
        return;
    }
    let g = grade("90-buildkit-ok", "build", &checks, fx.path()).await;
    let r = g.passed("build");
    // FROM, two RUNs, COPY: BuildKit's steps are the ones that make a filesystem (LABEL makes
    // none), and the ownership labels are request labels, not steps.
    assert!(
        r.actual.contains("built in 4 steps with BuildKit"),
        "{}",
        r.actual
    );
    for id in [
        "cache-mount",
        "no-secret",
        "labelled",
        "dockerfile-copied",
        "no-copy",
        "no-ignore-file",
    ] {
        g.passed(id);
    }
}

#[tokio::test]
async fn failing_step_on_buildkit_names_the_step_and_its_output() {
    if !buildkit_grades().await {
        return;
    }
    let fx = Fixture::new();
    buildkit_dockerfile(
        &fx,
        "RUN echo first-step-ok > /ok\n\
         RUN --mount=type=cache,target=/root/.cache echo about-to-fail && exit 3\n",
    );
    let checks = [
        check("build", "build", ""),
        check("meta", "image", "max_layers = 5"),
    ]
    .concat();
    let g = grade("90-buildkit-fails", "build", &checks, fx.path()).await;
    let r = g.failed(
        "build",
        &[
            "the build failed with BuildKit",
            "`RUN --mount=type=cache,target=/root/.cache echo about-to-fail && exit 3` failed",
            "exit code: 3",
            "about-to-fail",
            "the last step shown is the one that failed",
        ],
    );
    assert!(!r.actual.contains('\u{1b}'), "ANSI escapes: {}", r.actual);
    g.skipped("meta");
    let left = case_leftovers(&fx.case);
    assert!(left.is_empty(), "the failed build left {left:?}");
}

#[tokio::test]
async fn a_required_secret_fails_saying_builds_get_no_secrets() {
    if !buildkit_grades().await {
        return;
    }
    let fx = Fixture::new();
    buildkit_dockerfile(
        &fx,
        "RUN --mount=type=secret,id=token,required=true cat /run/secrets/token\n",
    );
    let g = grade(
        "90-buildkit-secret",
        "build",
        &check("build", "build", ""),
        fx.path(),
    )
    .await;
    g.failed(
        "build",
        &["the build failed with BuildKit", "gives a build no secrets"],
    );
}

/// Dependencies first, code last; the files name the fixture, so BuildKit's content-addressed
/// cache is this test's own (a `LABEL` does not change BuildKit's cache keys).
fn cache_fixture(order: &str) -> Fixture {
    let fx = Fixture::new();
    fx.dockerfile(order);
    fx.write("deps.txt", format!("left-pad==1.3.0 # {}\n", fx.case));
    fx.write("app.sh", format!("echo app {}\n", fx.case));
    fx
}

const GOOD_ORDER: &str = "WORKDIR /app
COPY deps.txt /app/
RUN cp deps.txt installed.txt
COPY app.sh /app/
CMD [\"sh\", \"/app/app.sh\"]
";

const BAD_ORDER: &str = "WORKDIR /app
COPY . /app/
RUN cp deps.txt installed.txt
CMD [\"sh\", \"/app/app.sh\"]
";

#[tokio::test]
async fn buildkit_rebuild_reads_cache_hits_from_vertex_status() {
    if !buildkit_grades().await {
        return;
    }
    let fx = cache_fixture(GOOD_ORDER);
    let checks = [
        check("build", "build", ""),
        check(
            "cache",
            "rebuild",
            "touch = \"app.sh\"\ncached = [\"RUN cp deps.txt\"]\nrebuilt = [\"COPY app.sh\"]",
        ),
    ]
    .concat();
    let g = grade_with_builder(
        "90-buildkit-cache",
        "build",
        &checks,
        fx.path(),
        Builder::BuildKit,
    )
    .await;
    let b = g.passed("build");
    assert!(b.actual.contains("with BuildKit"), "{}", b.actual);
    let r = g.passed("cache");
    assert!(
        r.actual.contains("rebuilt with BuildKit")
            && r.actual.contains("cached  RUN cp deps.txt installed.txt")
            && r.actual.contains("REBUILT COPY app.sh /app/"),
        "{}",
        r.actual
    );
}

#[tokio::test]
async fn buildkit_rebuild_with_code_copied_first_fails_naming_the_step() {
    if !buildkit_grades().await {
        return;
    }
    let fx = cache_fixture(BAD_ORDER);
    let checks = [
        check("build", "build", ""),
        check(
            "cache",
            "rebuild",
            "touch = \"app.sh\"\ncached = [\"RUN cp deps.txt\"]",
        ),
    ]
    .concat();
    let g = grade_with_builder(
        "90-buildkit-cache-bad",
        "build",
        &checks,
        fx.path(),
        Builder::BuildKit,
    )
    .await;
    g.failed(
        "cache",
        &[
            "`RUN cp deps.txt installed.txt` was rebuilt after a code-only change",
            "`COPY . /app/` comes earlier and changed",
        ],
    );
}

/// Here-documents and `COPY --link` are newer than the Dockerfile frontend built into Engine
/// 20.10 (BuildKit 0.8): there they are an environment limit (exit 3) saying so, never a
/// failed attempt; on Engine 23 and later they build.
#[tokio::test]
async fn heredocs_and_copy_link_build_or_are_an_environment_limit() {
    if !buildkit_grades().await {
        return;
    }
    let modern = engine_major().await >= 23;
    for (n, what, rest) in [
        (
            "heredoc",
            "here-documents",
            "RUN <<EOF\necho hello > /hello.txt\nEOF\n",
        ),
        ("link", "--link", "COPY --link Dockerfile /copied\n"),
    ] {
        let fx = Fixture::new();
        buildkit_dockerfile(&fx, rest);
        let r = try_grade(
            &format!("90-buildkit-{n}"),
            "build",
            &check("build", "build", ""),
            fx.path(),
            None,
        )
        .await;
        match r {
            Ok(g) if modern => {
                let b = g.passed("build");
                assert!(b.actual.contains("with BuildKit"), "{}", b.actual);
            }
            Err(e @ EnvError::FrontendTooOld { .. }) if !modern => {
                let e = e.to_string();
                assert!(e.contains(what) && e.contains("Engine 23 and later"), "{e}");
            }
            Ok(g) => panic!("{n}: {:?}", g.check("build")),
            Err(e) => panic!("{n}: {e}"),
        }
    }
}

/// `secrets = { ID = "FILE" }` on the build: BuildKit reads the file during `RUN
/// --mount=type=secret,id=ID` (as `docker build --secret id=ID,src=FILE` gives it), and the text
/// is in no layer and not in the image configuration. A secret whose file is missing fails the
/// build on the step that needs it, named.
#[tokio::test]
async fn secrets_from_the_spec_reach_the_build_and_no_layer() {
    if !buildkit_grades().await {
        return;
    }
    let fx = Fixture::new();
    fx.write("token.txt", "dojo-secret-7f3a91");
    fx.write(".dockerignore", "token.txt\n");
    buildkit_dockerfile(
        &fx,
        "RUN --mount=type=secret,id=token,required=true wc -c < /run/secrets/token > /token-len.txt\n",
    );
    let checks = [
        check("build", "build", "secrets = { token = \"token.txt\" }"),
        check(
            "read",
            "file",
            "path = \"/token-len.txt\"\ncontains = \"18\"",
        ),
        check(
            "nowhere",
            "layers",
            "absent_text = [\"dojo-secret-7f3a91\"]",
        ),
    ]
    .concat();
    let g = grade("90-buildkit-secret", "build", &checks, fx.path()).await;
    g.passed("build");
    g.passed("read");
    g.passed("nowhere");

    // A step of its own: BuildKit's cache key of a step does not include its secrets, so the
    // step above would be a cache hit even without one.
    let fx = Fixture::new();
    buildkit_dockerfile(
        &fx,
        "RUN --mount=type=secret,id=token,required=true wc -c < /run/secrets/token > /missing.txt\n",
    );
    let missing = [check(
        "build",
        "build",
        "secrets = { token = \"gone.txt\" }",
    )]
    .concat();
    let g = grade("90-buildkit-secret-missing", "build", &missing, fx.path()).await;
    g.failed("build", &["--mount=type=secret", "token"]);
}

/// Write `rel` with `content` and set its modification time to `at` (seconds and nanoseconds
/// since the epoch), as an editor saving at that instant would.
fn write_at(fx: &Fixture, rel: &str, content: &str, at: (u64, u32)) {
    fx.write(rel, content);
    let f = std::fs::File::options()
        .write(true)
        .open(fx.path().join(rel))
        .expect("open the fixture file");
    let t = std::time::UNIX_EPOCH + std::time::Duration::new(at.0, at.1);
    f.set_modified(t).expect("set the modification time");
}

/// BuildKit syncs a context into the copy it kept from an earlier build and skips files whose
/// size and modification time did not change. Two exercise folders with a file of the same
/// name, size and second (as `dockdojo start` writes them) must each build with their own.
#[tokio::test]
async fn buildkit_builds_each_folder_with_its_own_files() {
    if !buildkit_grades().await {
        return;
    }
    let at = (1_700_000_000, 0);
    let checks = |want: &str| {
        [
            check("build", "build", ""),
            check(
                "msg",
                "file",
                &format!("path = \"/msg.txt\"\ncontains = \"{want}\""),
            ),
        ]
        .concat()
    };
    for want in ["first-folder", "other-folder"] {
        let fx = Fixture::new();
        fx.dockerfile("COPY msg.txt /\n");
        write_at(&fx, "msg.txt", want, at);
        let g = grade_with_builder(
            "90-buildkit-folders",
            "build",
            &checks(want),
            fx.path(),
            Builder::BuildKit,
        )
        .await;
        g.passed("build");
        g.passed("msg");
    }
}

/// An edit that keeps the file's size, saved within the same second as the last check (watch
/// mode re-checks on every save), still reaches the next build.
#[tokio::test]
async fn buildkit_sees_a_same_size_edit_within_the_same_second() {
    if !buildkit_grades().await {
        return;
    }
    let fx = Fixture::new();
    fx.dockerfile("COPY msg.txt /\n");
    for (want, nanos) in [("version-1", 100_000_000), ("version-2", 600_000_000)] {
        write_at(&fx, "msg.txt", want, (1_700_000_000, nanos));
        let checks = [
            check("build", "build", ""),
            check(
                "msg",
                "file",
                &format!("path = \"/msg.txt\"\ncontains = \"{want}\""),
            ),
        ]
        .concat();
        let g = grade_with_builder(
            "90-buildkit-edit",
            "build",
            &checks,
            fx.path(),
            Builder::BuildKit,
        )
        .await;
        g.passed("build");
        g.passed("msg");
    }
}
