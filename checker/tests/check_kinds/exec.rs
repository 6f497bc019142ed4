//! `exec`: a command's exit code and output, in a run handle, in a fresh container from an
//! image (a handle or a plain reference), or in a live container by name.

use crate::common::{check, grade, Fixture, Live, BASE};

fn exec(target: &str, command: &str, more: &str) -> String {
    format!("{target}\ncommand = {command}\n{more}")
}

#[tokio::test]
async fn exec_exit_codes_and_output() {
    let fx = Fixture::new();
    fx.dockerfile(
        "RUN echo 'greeting=hello' > /etc/app.conf\nUSER 1000\nCMD [\"sleep\", \"1000\"]\n",
    );
    let web = "container = \"web\"";
    let app = "image = \"app\"";
    let missing = Live::new().name("nothing");
    let checks = [
        check("build", "build", ""),
        check("run", "run", "name = \"web\""),
        check(
            "in-handle",
            "exec",
            &exec(
                web,
                "[\"sh\", \"-c\", \"id -u; cat /etc/app.conf\"]",
                "stdout_contains = [\"1000\", \"greeting=hello\"]\nstdout_excludes = [\"token\"]",
            ),
        ),
        check(
            "in-image",
            "exec",
            &exec(
                app,
                "[\"cat\", \"/etc/app.conf\"]",
                "stdout_contains = [\"greeting=hello\"]",
            ),
        ),
        check(
            "in-base-ref",
            "exec",
            &exec(
                &format!("image = \"{BASE}\""),
                "[\"id\", \"-un\"]",
                "stdout_contains = [\"root\"]",
            ),
        ),
        check(
            "expected-failure",
            "exec",
            &exec(web, "[\"sh\", \"-c\", \"exit 4\"]", "exit_code = 4"),
        ),
        check(
            "wrong-code",
            "exec",
            &exec(web, "[\"sh\", \"-c\", \"echo nope; exit 2\"]", ""),
        ),
        check(
            "missing-stdout",
            "exec",
            &exec(
                web,
                "[\"echo\", \"hello\"]",
                "stdout_contains = [\"goodbye\"]",
            ),
        ),
        check(
            "excluded-stdout",
            "exec",
            &exec(
                app,
                "[\"cat\", \"/etc/app.conf\"]",
                "stdout_excludes = [\"greeting\"]",
            ),
        ),
        check(
            "wrong-code-image",
            "exec",
            &exec(app, "[\"sh\", \"-c\", \"echo from-image; exit 5\"]", ""),
        ),
        check(
            "not-a-program",
            "exec",
            &exec(web, "[\"sh\", \"-c\", \"no-such-program\"]", ""),
        ),
        check(
            "no-container",
            "exec",
            &exec(&format!("container = \"{missing}\""), "[\"true\"]", ""),
        ),
    ]
    .concat();
    let g = grade("90-exec", "build", &checks, fx.path()).await;
    g.passed("run");
    g.passed("in-handle");
    g.passed("in-image");
    g.passed("in-base-ref");
    g.passed("expected-failure");
    g.failed(
        "wrong-code",
        &[
            "`sh -c \"echo nope; exit 2\"` exits with 0",
            "exit code 2",
            "nope",
            "Exit code 2",
        ],
    );
    g.failed(
        "missing-stdout",
        &["prints \"goodbye\"", "exit code 0", "hello"],
    );
    g.failed(
        "excluded-stdout",
        &["never prints \"greeting\"", "greeting=hello"],
    );
    g.failed("wrong-code-image", &["exit code 5", "from-image"]);
    g.failed(
        "not-a-program",
        &[
            "exit code 127",
            "not found",
            "127: the command was not found",
        ],
    );
    g.failed(
        "no-container",
        &[
            &format!("there is no container named {missing}"),
            "docker ps -a",
        ],
    );
}

#[tokio::test]
async fn exec_in_a_live_container_by_name() {
    let mut live = Live::new();
    let web = live.run("web", &["-e", "APP_MODE=prod", BASE, "sleep", "1000"]);
    let stopped = live.run_to_exit("stopped", &[BASE, "true"]);
    let checks = [
        check(
            "live",
            "exec",
            &exec(
                &format!("container = \"{web}\""),
                "[\"sh\", \"-c\", \"echo mode=$APP_MODE\"]",
                "stdout_contains = [\"mode=prod\"]",
            ),
        ),
        check(
            "stopped",
            "exec",
            &exec(&format!("container = \"{stopped}\""), "[\"true\"]", ""),
        ),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-exec-live", "live", &checks, fx.path()).await;
    g.passed("live");
    g.failed(
        "stopped",
        &[
            &format!("{stopped} is not running: it exited with code 0"),
            &format!("docker logs {stopped}"),
        ],
    );
}

#[tokio::test]
async fn exec_of_a_missing_program_says_it_does_not_exist() {
    let mut live = Live::new();
    let web = live.run("web", &[BASE, "sleep", "1000"]);
    let checks = check(
        "missing-binary",
        "exec",
        &exec(
            &format!("container = \"{web}\""),
            "[\"no-such-program\", \"--help\"]",
            "",
        ),
    );
    let fx = Fixture::new();
    let g = grade("90-exec-missing", "live", &checks, fx.path()).await;
    let r = g.failed("missing-binary", &["executable file not found"]);
    assert!(!r.hint.contains("the command exists"), "{}", r.hint);
}
