//! `run`: start a container from a built image; it keeps running, or exits (with a code, an
//! output); a start that fails is explained.

use crate::common::{check, grade, Fixture};

/// A `run` check of image `app` under handle `name`, with `command` (a TOML array) and more.
fn run(name: &str, command: &str, more: &str) -> String {
    format!("name = \"{name}\"\ncommand = {command}\n{more}")
}

#[tokio::test]
async fn run_running_and_exiting_containers() {
    let fx = Fixture::new();
    fx.dockerfile("CMD [\"sleep\", \"1000\"]\n");
    let job = "[\"sh\", \"-c\", \"echo job-done; exit 3\"]";
    let exits = "expect = \"exits\"";
    let checks = [
        check("build", "build", ""),
        check("running", "run", "name = \"svc\"\nsettle_s = 1"),
        check(
            "running-output",
            "run",
            &run(
                "ready",
                "[\"sh\", \"-c\", \"echo ready-now; exec sleep 1000\"]",
                "output_contains = [\"ready-now\"]",
            ),
        ),
        check(
            "exits",
            "run",
            &run(
                "job",
                job,
                &format!("{exits}\nexit_code = 3\noutput_contains = [\"job-done\"]"),
            ),
        ),
        check(
            "wrong-code",
            "run",
            &run("job2", job, &format!("{exits}\nexit_code = 0")),
        ),
        check(
            "wrong-output",
            "run",
            &run(
                "job3",
                job,
                &format!("{exits}\noutput_contains = [\"never-printed\"]"),
            ),
        ),
        check(
            "exits-early",
            "run",
            &run("crash", "[\"sh\", \"-c\", \"echo boom >&2; exit 1\"]", ""),
        ),
        check(
            "never-exits",
            "run",
            &run(
                "hang",
                "[\"sleep\", \"1000\"]",
                &format!("{exits}\nwithin_s = 1"),
            ),
        ),
    ]
    .concat();
    let g = grade("90-run", "build", &checks, fx.path()).await;
    assert_eq!(g.passed("running").actual, "running");
    assert!(g.passed("running-output").actual.contains("ready-now"));
    assert!(g.passed("exits").actual.contains("exited with code 3"));
    g.failed(
        "wrong-code",
        &["exits with code 0", "exit code 3", "job-done"],
    );
    g.failed(
        "wrong-output",
        &["printing \"never-printed\"", "its output was:", "job-done"],
    );
    g.failed(
        "exits-early",
        &[
            "starts and keeps running",
            "it exited right after starting, code 1: the program reported an error",
            "boom",
        ],
    );
    g.failed("never-exits", &["still running after 1 s"]);
}

#[tokio::test]
async fn run_explains_a_missing_program() {
    let fx = Fixture::new();
    // Exec form: the runtime cannot start a program that is not in the image.
    fx.dockerfile_named(
        "exec.Dockerfile",
        "CMD [\"/app/server\", \"--port\", \"8080\"]\n",
    );
    // Shell form: the shell starts, then cannot find the program (exit 127).
    fx.dockerfile_named("shell.Dockerfile", "CMD serverx --port 8080\n");
    let checks = [
        check(
            "build-exec",
            "build",
            "image = \"exec\"\ndockerfile = \"exec.Dockerfile\"",
        ),
        check(
            "build-shell",
            "build",
            "image = \"shell\"\ndockerfile = \"shell.Dockerfile\"",
        ),
        check("run-exec", "run", "image = \"exec\"\nname = \"exec\""),
        check("run-shell", "run", "image = \"shell\"\nname = \"shell\""),
    ]
    .concat();
    let g = grade("90-run-missing", "build", &checks, fx.path()).await;
    g.failed(
        "run-exec",
        &[
            "it did not start",
            "the command to run (CMD/ENTRYPOINT) does not exist in the image",
            "/app/server",
        ],
    );
    g.failed(
        "run-shell",
        &[
            "it exited right after starting, code 127: the command was not found",
            "serverx: not found",
        ],
    );
}

#[tokio::test]
async fn run_output_contains_sees_early_output() {
    let fx = Fixture::new();
    fx.dockerfile("CMD [\"sleep\", \"1000\"]\n");
    let chatty = "[\"sh\", \"-c\", \"echo ready-now; seq 1 60\"]";
    let checks = [
        check("build", "build", ""),
        check(
            "chatty",
            "run",
            &run(
                "chatty",
                chatty,
                "expect = \"exits\"\noutput_contains = [\"ready-now\"]",
            ),
        ),
    ]
    .concat();
    let g = grade("90-run-chatty", "build", &checks, fx.path()).await;
    g.passed("chatty");
}
