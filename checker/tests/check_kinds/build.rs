//! `build`: the learner's Dockerfile is screened, then built by the daemon.

use checker::docker::builder::Builder;

use crate::common::{
    case_leftovers, check, grade, grade_with_builder, image_tags_since, now, Fixture, BASE,
};

#[tokio::test]
async fn build_passes_and_the_image_is_usable_by_later_checks() {
    let fx = Fixture::new();
    fx.dockerfile("RUN echo built > /built.txt\n");
    let since = now();
    let checks = [
        check("build", "build", ""),
        check(
            "file",
            "file",
            "path = \"/built.txt\"\ncontains = \"built\"",
        ),
    ]
    .concat();
    // The classic builder's steps (BuildKit's: check_kinds/buildkit.rs).
    let g = grade_with_builder("90-build-ok", "build", &checks, fx.path(), Builder::Classic).await;
    let r = g.passed("build");
    // FROM, LABEL kt.case, RUN: the labels dockdojo adds are not counted as the learner's steps.
    assert!(
        r.actual
            .contains("built in 3 steps with the classic builder"),
        "{}",
        r.actual
    );
    g.passed("file");
    // The probe `refused_directive_is_refused_before_anything_is_built` relies on sees a build.
    assert!(
        !image_tags_since(since, &g.session[..8]).is_empty(),
        "no image tag event for session {}",
        g.session
    );
}

#[tokio::test]
async fn missing_dockerfile_names_the_path_and_the_near_miss() {
    let fx = Fixture::new();
    fx.write("dockerfile", format!("FROM {BASE}\n"));
    let checks = [
        check("build", "build", ""),
        check("meta", "image", "max_size_mb = 10"),
    ]
    .concat();
    let g = grade("90-build-missing", "build", &checks, fx.path()).await;
    g.failed(
        "build",
        &[
            &format!("no file at {}", fx.path().display()),
            "Dockerfile (found dockerfile instead)",
            "named exactly `Dockerfile` (capital D",
            "hint for build",
        ],
    );
    let skipped = g.skipped("meta");
    assert!(
        skipped
            .actual
            .contains("needs the image the build above makes"),
        "{}",
        skipped.actual
    );
}

#[tokio::test]
async fn failing_run_step_is_a_failed_build_with_its_log_and_leaves_no_layers() {
    let fx = Fixture::new();
    fx.dockerfile("RUN echo first-step-ok > /ok\nRUN echo about-to-fail && exit 1\n");
    // The classic builder's message and layers (BuildKit's: check_kinds/buildkit.rs).
    let g = grade_with_builder(
        "90-build-fails",
        "build",
        &check("build", "build", ""),
        fx.path(),
        Builder::Classic,
    )
    .await;
    g.failed(
        "build",
        &[
            "the build failed",
            "returned a non-zero code: 1",
            "about-to-fail",
            "the last step shown is the one that failed",
        ],
    );
    // The layers the failed build made (LABEL, the first RUN) are not left dangling.
    let left = case_leftovers(&fx.case);
    assert!(left.is_empty(), "the failed build left {left:?}");
}

#[tokio::test]
async fn build_exceeding_its_deadline_fails_naming_the_hung_step() {
    let fx = Fixture::new();
    fx.dockerfile("RUN sleep 60\n");
    let g = grade(
        "90-build-deadline",
        "build",
        &check("build", "build", "deadline_s = 3"),
        fx.path(),
    )
    .await;
    g.failed(
        "build",
        &[
            "did not finish within 3 s",
            "still running `RUN sleep 60`",
            "servers belong in CMD",
        ],
    );
}

#[tokio::test]
async fn build_exceeding_its_deadline_leaves_no_layers() {
    let fx = Fixture::new();
    fx.dockerfile("RUN echo first-step-ok > /ok\nRUN sleep 60\n");
    let g = grade(
        "90-build-deadline-leak",
        "build",
        &check("build", "build", "deadline_s = 3"),
        fx.path(),
    )
    .await;
    g.failed("build", &["did not finish within 3 s"]);
    let left = case_leftovers(&fx.case);
    assert!(left.is_empty(), "the cancelled build left {left:?}");
}

#[tokio::test]
async fn empty_dockerfile_fails_before_building() {
    let fx = Fixture::new();
    fx.write("Dockerfile", "  \n\n");
    let g = grade(
        "90-build-empty",
        "build",
        &check("build", "build", ""),
        fx.path(),
    )
    .await;
    g.failed("build", &["Dockerfile is empty", "starts with a FROM line"]);
}

#[tokio::test]
async fn dockerfile_without_from_fails_clearly() {
    let fx = Fixture::new();
    fx.write("Dockerfile", "RUN echo no base image\nCMD [\"sh\"]\n");
    let g = grade(
        "90-build-nofrom",
        "build",
        &check("build", "build", ""),
        fx.path(),
    )
    .await;
    let r = g.failed("build", &[]);
    let msg = format!("{}\n{}", r.actual, r.hint).to_lowercase();
    assert!(
        msg.contains("from"),
        "the message never mentions FROM:\n{msg}"
    );
}

#[tokio::test]
async fn crlf_line_endings_still_build() {
    let fx = Fixture::new();
    let text = fx.preamble() + "RUN echo crlf-ok > /crlf.txt\nCMD [\"sleep\", \"1000\"]\n";
    fx.write("Dockerfile", text.replace('\n', "\r\n"));
    let checks = [
        check("build", "build", ""),
        check(
            "file",
            "file",
            "path = \"/crlf.txt\"\ncontains = \"crlf-ok\"",
        ),
        check("cmd", "image", "cmd = [\"sleep\", \"1000\"]"),
        check("exec-form", "dockerfile", "rule = \"exec_form\""),
    ]
    .concat();
    let g = grade("90-build-crlf", "build", &checks, fx.path()).await;
    g.passed("build");
    g.passed("file");
    g.passed("cmd");
    g.passed("exec-form");
}

#[tokio::test]
async fn utf8_bom_still_builds() {
    let fx = Fixture::new();
    let text = format!("\u{feff}{}CMD [\"sleep\", \"1000\"]\n", fx.preamble());
    fx.write("Dockerfile", text);
    let checks = [
        check("build", "build", ""),
        check("pinned", "dockerfile", "rule = \"from_pinned\""),
        check("cmd", "image", "cmd_form = \"exec\""),
    ]
    .concat();
    let g = grade("90-build-bom", "build", &checks, fx.path()).await;
    g.passed("build");
    g.passed("pinned");
    g.passed("cmd");
}

#[tokio::test]
async fn refused_directive_is_refused_before_anything_is_built() {
    let fx = Fixture::new();
    fx.dockerfile("RUN echo harmless\nRUN --network=host wget http://example.com\n");
    let since = now();
    let checks = [
        check("build", "build", ""),
        check("meta", "image", "max_layers = 5"),
    ]
    .concat();
    let g = grade("90-build-refused", "build", &checks, fx.path()).await;
    let r = g.failed(
        "build",
        &[
            "refused before building: line 4",
            "`RUN --network=host` gives the build step the host's network",
            "Remove the flag",
        ],
    );
    assert!(!r.actual.contains("the build failed"), "{}", r.actual);
    g.skipped("meta");
    let tags = image_tags_since(since, &g.session[..8]);
    assert!(tags.is_empty(), "an image was built and tagged: {tags:?}");
    let left = case_leftovers(&fx.case);
    assert!(left.is_empty(), "the refused build left {left:?}");
}

/// dockdojo's ownership labels reach the image (sent as one LABEL step in a copy of the
/// Dockerfile, on Docker), and neither that copy nor a `.dockerignore` made for it lands in the
/// image: `COPY . dir` copies exactly the learner's files.
#[tokio::test]
async fn ownership_labels_reach_the_image_and_the_labelled_copy_stays_out_of_it() {
    let fx = Fixture::new();
    fx.write("app.txt", "hi");
    fx.dockerfile("COPY . /ctx/\n");
    let file = |path: &str, more: &str| format!("path = \"{path}\"\n{more}");
    let checks = [
        check("build", "build", ""),
        check(
            "labelled",
            "image",
            "image = \"app\"\nlabels = { \"io.dockdojo.managed\" = \"true\" }",
        ),
        check("copied", "file", &file("/ctx/app.txt", "")),
        check("dockerfile-copied", "file", &file("/ctx/Dockerfile", "")),
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
    let g = grade("90-labels", "build", &checks, fx.path()).await;
    for id in [
        "build",
        "labelled",
        "copied",
        "dockerfile-copied",
        "no-copy",
        "no-ignore-file",
    ] {
        g.passed(id);
    }
}
