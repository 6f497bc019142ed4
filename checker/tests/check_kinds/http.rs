//! `http`: a real HTTP request through a published host port; a failure is diagnosed.

use crate::common::{check, free_port, grade, wait_until_exec, Fixture, Live, BASE};

/// busybox httpd serving `/www` as an unprivileged user (uid 1000), listening on `addr`.
fn web_dockerfile(addr: &str) -> String {
    format!(
        "RUN mkdir /www && echo hello-dojo > /www/index.html\n\
         USER 1000\n\
         CMD [\"httpd\", \"-f\", \"-p\", \"{addr}\", \"-h\", \"/www\"]\n"
    )
}

#[tokio::test]
async fn http_through_a_run_handles_published_port() {
    let fx = Fixture::new();
    fx.dockerfile_named("web.Dockerfile", &web_dockerfile("8080"));
    fx.dockerfile_named("loopback.Dockerfile", &web_dockerfile("127.0.0.1:8080"));
    let probe = |name: &str, more: &str| format!("container = \"{name}\"\n{more}");
    let checks = [
        check(
            "build-web",
            "build",
            "image = \"web\"\ndockerfile = \"web.Dockerfile\"",
        ),
        check(
            "build-lo",
            "build",
            "image = \"lo\"\ndockerfile = \"loopback.Dockerfile\"",
        ),
        check(
            "run-web",
            "run",
            "image = \"web\"\nname = \"web\"\nports = [8080]",
        ),
        check(
            "run-lo",
            "run",
            "image = \"lo\"\nname = \"lo\"\nports = [8080]",
        ),
        check(
            "answers",
            "http",
            &probe("web", "port = 8080\nbody_contains = \"hello-dojo\""),
        ),
        check(
            "not-found",
            "http",
            &probe("web", "port = 8080\npath = \"/missing\"\nwithin_s = 1"),
        ),
        check(
            "wrong-body",
            "http",
            &probe(
                "web",
                "port = 8080\nbody_contains = \"goodbye\"\nwithin_s = 1",
            ),
        ),
        check(
            "unpublished",
            "http",
            &probe("web", "port = 9090\nwithin_s = 1"),
        ),
        check(
            "loopback",
            "http",
            &probe("lo", "port = 8080\nwithin_s = 2"),
        ),
    ]
    .concat();
    let g = grade("90-http", "build", &checks, fx.path()).await;
    g.passed("run-web");
    g.passed("run-lo");
    let r = g.passed("answers");
    assert!(
        r.expected.contains("with \"hello-dojo\" in the body"),
        "{}",
        r.expected
    );
    g.failed("not-found", &["/missing answers 200", "404"]);
    g.failed(
        "wrong-body",
        &["with \"goodbye\" in the body", "200; body: hello-dojo"],
    );
    g.failed(
        "unpublished",
        &[
            "container port 9090/tcp published on the host",
            "publishes no host port for 9090/tcp",
        ],
    );
    g.failed(
        "loopback",
        &[
            "got no HTTP answer",
            "listens on 127.0.0.1:8080, the container's own loopback",
            "the container's own loopback only",
        ],
    );
}

#[tokio::test]
async fn http_on_a_fixed_host_port() {
    let mut live = Live::new();
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:8080");
    let serve = "mkdir -p /tmp/www && echo live-dojo > /tmp/www/index.html \
                 && exec httpd -f -p 8080 -h /tmp/www";
    let web = live.run("web", &["-p", &publish, BASE, "sh", "-c", serve]);
    wait_until_exec(&web, "test -f /tmp/www/index.html");
    let idle = free_port();
    // A container that asked for a port (`-p`) and exited: it publishes nothing, and says why.
    let gone_port = free_port();
    let gone_publish = format!("127.0.0.1:{gone_port}:8080");
    let gone = live.run_to_exit(
        "gone",
        &[
            "-p",
            &gone_publish,
            BASE,
            "sh",
            "-c",
            "echo no folder to serve >&2; exit 1",
        ],
    );
    let checks = [
        check(
            "stopped",
            "http",
            &format!("host_port = {gone_port}\nwithin_s = 1"),
        ),
        check(
            "answers",
            "http",
            &format!("host_port = {port}\nbody_contains = \"live-dojo\""),
        ),
        check(
            "refused",
            "http",
            &format!("host_port = {idle}\nwithin_s = 1"),
        ),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-http-live", "live", &checks, fx.path()).await;
    g.passed("answers");
    g.failed(
        "stopped",
        &[
            &format!(
                "connection refused on 127.0.0.1:{gone_port}: {gone} asks for that port (`-p`), \
                 but it is not running"
            ),
            "no folder to serve",
        ],
    );
    g.failed(
        "refused",
        &[
            &format!("connection refused on 127.0.0.1:{idle}"),
            &format!("No container publishes host port {idle}"),
        ],
    );
}
