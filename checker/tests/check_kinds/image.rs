//! `image`: metadata of a built image (size, layers, user, command and its form, env, ports,
//! labels, healthcheck). Two images: `good` sets everything, `plain` sets nothing.

use crate::common::{check, grade, Fixture};

const GOOD: &str = "LABEL org.opencontainers.image.title=\"dojo\"
ENV APP_MODE=prod
EXPOSE 8080
USER app
HEALTHCHECK --interval=30s CMD true
CMD [\"sleep\", \"1000\"]
";

/// Two filesystem layers on top of busybox's one, a shell-form CMD, no USER.
const PLAIN: &str = "RUN echo a > /a
RUN echo b > /b
CMD sleep 1000
";

fn on(image: &str, fields: &str) -> String {
    format!("image = \"{image}\"\n{fields}")
}

#[tokio::test]
async fn image_metadata_passes_and_fails_field_by_field() {
    let fx = Fixture::new();
    fx.dockerfile_named("good.Dockerfile", GOOD);
    fx.dockerfile_named("plain.Dockerfile", PLAIN);
    // TOML ignores the indentation.
    let all_good = r#"
        max_size_mb = 5
        min_size_mb = 1
        max_layers = 1
        user = "app"
        non_root = true
        cmd_form = "exec"
        cmd = ["sleep", "1000"]
        env = { APP_MODE = "prod" }
        exposed_ports = ["8080"]
        labels = { "org.opencontainers.image.title" = "dojo" }
        healthcheck = true"#;
    let checks = [
        check(
            "build-good",
            "build",
            "image = \"good\"\ndockerfile = \"good.Dockerfile\"",
        ),
        check(
            "build-plain",
            "build",
            "image = \"plain\"\ndockerfile = \"plain.Dockerfile\"",
        ),
        check("all-good", "image", &on("good", all_good)),
        check(
            "plain-ok",
            "image",
            &on(
                "plain",
                "max_layers = 3\ncmd_form = \"shell\"\nhealthcheck = false",
            ),
        ),
        check("too-big", "image", &on("good", "max_size_mb = 1")),
        check("too-small", "image", &on("good", "min_size_mb = 50")),
        check("too-many-layers", "image", &on("plain", "max_layers = 2")),
        check("user", "image", &on("plain", "user = \"app\"")),
        check("root", "image", &on("plain", "non_root = true")),
        check("shell-form", "image", &on("plain", "cmd_form = \"exec\"")),
        check("exec-form", "image", &on("good", "cmd_form = \"shell\"")),
        check("cmd", "image", &on("plain", "cmd = [\"sleep\", \"1000\"]")),
        check(
            "env-value",
            "image",
            &on("good", "env = { APP_MODE = \"dev\" }"),
        ),
        check(
            "env-unset",
            "image",
            &on("good", "env = { LOG_LEVEL = \"debug\" }"),
        ),
        check(
            "no-ports",
            "image",
            &on("plain", "exposed_ports = [\"8080\"]"),
        ),
        check(
            "other-port",
            "image",
            &on("good", "exposed_ports = [\"9090/tcp\"]"),
        ),
        check(
            "label",
            "image",
            &on(
                "plain",
                "labels = { \"org.opencontainers.image.title\" = \"dojo\" }",
            ),
        ),
        check(
            "no-healthcheck",
            "image",
            &on("plain", "healthcheck = true"),
        ),
        check(
            "has-healthcheck",
            "image",
            &on("good", "healthcheck = false"),
        ),
    ]
    .concat();
    let g = grade("90-image", "build", &checks, fx.path()).await;
    g.passed("build-good");
    g.passed("build-plain");
    let r = g.passed("all-good");
    assert!(
        r.actual.contains("1 layer") && r.actual.contains("user app"),
        "{}",
        r.actual
    );
    g.passed("plain-ok");
    g.failed("too-big", &["an image of at most 1 MB", "MB (1 layer)"]);
    g.failed("too-small", &["an image of at least 50 MB"]);
    g.failed("too-many-layers", &["at most 2 layers", "3 layers"]);
    g.failed("user", &["USER app", "no USER (root)"]);
    g.failed(
        "root",
        &[
            "runs as a non-root user",
            "no USER set: processes run as root",
        ],
    );
    g.failed(
        "shell-form",
        &[
            "CMD in exec form",
            "CMD in shell form: [\"/bin/sh\",\"-c\",\"sleep 1000\"]",
        ],
    );
    g.failed("exec-form", &["CMD in shell form", "CMD in exec form"]);
    g.failed("cmd", &["CMD [\"sleep\", \"1000\"]", "\"/bin/sh\", \"-c\""]);
    g.failed("env-value", &["ENV APP_MODE=dev", "APP_MODE=prod"]);
    g.failed("env-unset", &["LOG_LEVEL is not set"]);
    g.failed("no-ports", &["EXPOSE 8080/tcp", "exposed: none"]);
    g.failed("other-port", &["EXPOSE 9090/tcp", "exposed: 8080/tcp"]);
    g.failed(
        "label",
        &["LABEL org.opencontainers.image.title=dojo", "=(unset)"],
    );
    g.failed("no-healthcheck", &["a HEALTHCHECK", "no HEALTHCHECK"]);
    g.failed(
        "has-healthcheck",
        &["no HEALTHCHECK", "a HEALTHCHECK is set"],
    );
}
