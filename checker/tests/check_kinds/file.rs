//! `file`: a path present or absent in the image's filesystem, and its content.

use crate::common::{check, grade, Fixture};

#[tokio::test]
async fn file_exists_absent_and_contains() {
    let fx = Fixture::new();
    fx.dockerfile(
        "RUN echo 'greeting=hello' > /etc/app.conf\n\
         RUN echo 'token=s3cret' > /tmp/secret.txt\n\
         RUN rm /tmp/secret.txt\n",
    );
    let file = |path: &str, more: &str| format!("path = \"{path}\"\n{more}");
    let checks = [
        check("build", "build", ""),
        check("present", "file", &file("/etc/app.conf", "")),
        check(
            "content",
            "file",
            &file("/etc/app.conf", "contains = \"greeting=hello\""),
        ),
        check("absent", "file", &file("/etc/nope.conf", "exists = false")),
        check(
            "deleted-later",
            "file",
            &file("/tmp/secret.txt", "exists = false"),
        ),
        check(
            "wrong-content",
            "file",
            &file("/etc/app.conf", "contains = \"greeting=bye\""),
        ),
        check("missing", "file", &file("/etc/nope.conf", "")),
        check(
            "missing-content",
            "file",
            &file("/etc/nope.conf", "contains = \"x\""),
        ),
        check(
            "not-absent",
            "file",
            &file("/etc/app.conf", "exists = false"),
        ),
    ]
    .concat();
    let g = grade("90-file", "build", &checks, fx.path()).await;
    assert!(g
        .passed("present")
        .actual
        .contains("/etc/app.conf is present"));
    g.passed("content");
    assert!(g
        .passed("absent")
        .actual
        .contains("/etc/nope.conf is absent"));
    // Deleted in a later layer: the file is not in the image a container sees.
    g.passed("deleted-later");
    g.failed(
        "wrong-content",
        &[
            "/etc/app.conf in the image, containing \"greeting=bye\"",
            "/etc/app.conf contains: greeting=hello",
        ],
    );
    g.failed("missing", &["/etc/nope.conf is not in the image"]);
    g.failed("missing-content", &["/etc/nope.conf is not in the image"]);
    g.failed(
        "not-absent",
        &[
            "no /etc/app.conf in the image",
            "/etc/app.conf is in the image",
        ],
    );
}
