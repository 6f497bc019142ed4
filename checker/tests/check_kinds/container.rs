//! `container`: a live container's state and config, looked up by name.

use crate::common::{check, docker, free_port, grade, Fixture, Live, BASE};

#[tokio::test]
async fn container_state_and_config_of_live_containers() {
    let mut live = Live::new();
    let port = free_port();
    let flags = format!(
        "--restart unless-stopped --memory 64m --cpus 0.5 -e APP_MODE=prod \
         -p 127.0.0.1:{port}:8080"
    );
    let mut args: Vec<&str> = flags.split_whitespace().collect();
    args.extend([BASE, "sleep", "1000"]);
    let web = live.run("web", &args);
    let done = live.run_to_exit("done", &[BASE, "sh", "-c", "exit 3"]);
    let gone = live.name("gone");
    let on = |name: &str, fields: &str| format!("container = \"{name}\"\n{fields}");
    let all_ok = format!(
        r#"
        running = true
        image = "{BASE}"
        env = {{ APP_MODE = "prod" }}
        ports = {{ "8080" = {port} }}
        restart_policy = "unless-stopped"
        memory_mb = 64
        cpus = 0.5"#
    );
    let other_port = port ^ 1;
    let checks = [
        check("all-ok", "container", &on(&web, &all_ok)),
        check(
            "exited-ok",
            "container",
            &on(&done, "running = false\nexit_code = 3"),
        ),
        check("gone-ok", "container", &on(&gone, "exists = false")),
        check("want-stopped", "container", &on(&web, "running = false")),
        check("want-running", "container", &on(&done, "running = true")),
        check(
            "image",
            "container",
            &on(&web, "image = \"busybox:1.37.0\""),
        ),
        check(
            "env",
            "container",
            &on(&web, "env = { APP_MODE = \"dev\" }"),
        ),
        check(
            "env-unset",
            "container",
            &on(&web, "env = { LOG_LEVEL = \"debug\" }"),
        ),
        check(
            "port",
            "container",
            &on(&web, &format!("ports = {{ \"8080/tcp\" = {other_port} }}")),
        ),
        check(
            "no-ports",
            "container",
            &on(&done, "ports = { \"8080\" = 18080 }"),
        ),
        check(
            "restart",
            "container",
            &on(&web, "restart_policy = \"always\""),
        ),
        check(
            "no-restart",
            "container",
            &on(&done, "restart_policy = \"on-failure\""),
        ),
        check("memory", "container", &on(&web, "memory_mb = 128")),
        check("no-memory", "container", &on(&done, "memory_mb = 64")),
        check("cpus", "container", &on(&web, "cpus = 1.0")),
        check("exit-code", "container", &on(&done, "exit_code = 0")),
        check("still-running", "container", &on(&web, "exit_code = 0")),
        check("not-gone", "container", &on(&web, "exists = false")),
        check("missing", "container", &on(&gone, "running = true")),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-container", "live", &checks, fx.path()).await;
    assert!(g.passed("all-ok").actual.contains("running"));
    g.passed("exited-ok");
    g.passed("gone-ok");
    g.failed(
        "want-stopped",
        &[&format!("{web} stopped"), &format!("{web} is running")],
    );
    g.failed(
        "want-running",
        &[
            &format!("{done} running"),
            &format!("{done} is exited (exit code 3)"),
        ],
    );
    g.failed(
        "image",
        // Podman records the name it resolved (`localhost/busybox:1.36.1` for a local image).
        &["created from busybox:1.37.0", "busybox:1.36.1"],
    );
    g.failed("env", &["has APP_MODE=dev", "APP_MODE=prod"]);
    g.failed("env-unset", &["LOG_LEVEL is not set"]);
    g.failed(
        "port",
        &[
            &format!("host port {other_port} published to container port 8080/tcp (-p {other_port}:8080)"),
            &format!("published: {port}->8080/tcp"),
        ],
    );
    g.failed("no-ports", &["no ports published"]);
    g.failed(
        "restart",
        &["restart policy always", "restart policy unless-stopped"],
    );
    g.failed(
        "no-restart",
        &["restart policy on-failure", "restart policy no"],
    );
    g.failed(
        "memory",
        &["a memory limit of 128 MB (--memory 128m)", "64 MB"],
    );
    g.failed("no-memory", &["no memory limit"]);
    g.failed("cpus", &["a CPU limit of 1 (--cpus 1)", "0.5 CPUs"]);
    g.failed("exit-code", &["exited with code 0", "exit code 3"]);
    g.failed("still-running", &["still running"]);
    g.failed(
        "not-gone",
        &[&format!("{web} still exists"), "docker rm -f"],
    );
    g.failed(
        "missing",
        &[
            &format!("there is no container named {gone}"),
            "docker ps -a",
        ],
    );
}

/// `image` is the image the container runs, whatever name it was run by: a container run by the
/// image's ID (Podman likewise records `localhost/busybox:1.36.1` for a local image run as
/// `busybox:1.36.1`) runs `busybox:1.36.1`; a name for another image still fails.
#[tokio::test]
async fn container_image_is_compared_by_what_it_runs() {
    let mut live = Live::new();
    let id = docker(&["image", "inspect", "--format", "{{.Id}}", BASE]);
    let id = id.trim();
    let by_id = live.run("by-id", &[id, "sleep", "1000"]);
    let checks = [
        check(
            "by-id",
            "container",
            &format!("container = \"{by_id}\"\nrunning = true\nimage = \"{BASE}\""),
        ),
        check(
            "other-image",
            "container",
            &format!("container = \"{by_id}\"\nimage = \"busybox:1.37.0\""),
        ),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-container-image", "live", &checks, fx.path()).await;
    g.passed("by-id");
    g.failed("other-image", &["created from busybox:1.37.0"]);
}

/// `non_root` asks the running process its uid: uid 1000 passes whatever its name, root fails,
/// and a container that is not running fails saying so (it has no process to ask).
#[tokio::test]
async fn container_non_root_asks_the_running_process() {
    let mut live = Live::new();
    let user = live.run("user", &["--user", "1000:1000", BASE, "sleep", "1000"]);
    let root = live.run("root", &[BASE, "sleep", "1000"]);
    let ended = live.run_to_exit("ended", &["--user", "1000", BASE, "sh", "-c", "exit 1"]);
    let on = |name: &str| format!("container = \"{name}\"\nnon_root = true");
    let checks = [
        check("user", "container", &on(&user)),
        check("root", "container", &on(&root)),
        check("ended", "container", &on(&ended)),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-container-user", "live", &checks, fx.path()).await;
    g.passed("user");
    g.failed("root", &["it runs as root (uid 0)"]);
    g.failed(
        "ended",
        &[&format!(
            "{ended} is not running, so it has no process to ask"
        )],
    );
}

/// The health wait ends with the status it waits for (either way) or with the container's death.
/// Never healthy and no HEALTHCHECK at all: `checker/tests/reliability.rs`, case 25.
#[tokio::test]
async fn container_health_waits_for_the_probes_verdict() {
    let mut live = Live::new();
    // Still starting (no probe for 30 s) when it dies: the wait ends with its death.
    let dies = live.run(
        "dies",
        &[
            "--health-cmd",
            "true",
            "--health-interval",
            "30s",
            BASE,
            "sh",
            "-c",
            "sleep 2; exit 4",
        ],
    );
    let fine = live.run(
        "fine",
        &[
            "--health-cmd",
            "true",
            "--health-interval",
            "1s",
            BASE,
            "sleep",
            "1000",
        ],
    );
    let sick = live.run(
        "sick",
        &[
            "--health-cmd",
            "echo no page; exit 1",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
            BASE,
            "sleep",
            "1000",
        ],
    );
    // A probe that works once: it leaves a file behind and fails when the file is there (as
    // busybox `wget URL` does with the page it saves). Healthy for a moment only.
    let once = live.run(
        "once",
        &[
            "--health-cmd",
            "test ! -e /tmp/probed && touch /tmp/probed",
            "--health-interval",
            "1s",
            BASE,
            "sleep",
            "1000",
        ],
    );
    // Failing probes in a long start period: "starting" until it ends, and the wait says why.
    let patient = live.run(
        "patient",
        &[
            "--health-cmd",
            "exit 1",
            "--health-interval",
            "1s",
            "--health-start-period",
            "30s",
            BASE,
            "sleep",
            "1000",
        ],
    );
    // Probes that name a program the image does not have, in exec and in shell form: they can
    // never pass, and the wait says so without waiting out its 60 s.
    let no_curl = live.run(
        "no-curl",
        &[
            "--health-cmd",
            "curl -f http://127.0.0.1/",
            "--health-interval",
            "1s",
            BASE,
            "sleep",
            "1000",
        ],
    );
    let on = |name: &str, fields: &str| format!("container = \"{name}\"\n{fields}");
    let checks = [
        check(
            "no-curl",
            "container",
            &on(&no_curl, "health = \"healthy\"\nwithin_s = 60"),
        ),
        check(
            "dies",
            "container",
            &on(&dies, "health = \"healthy\"\nwithin_s = 20"),
        ),
        check(
            "fine",
            "container",
            &on(&fine, "health = \"healthy\"\nwithin_s = 10"),
        ),
        // Unhealthy wanted from a container whose probes keep passing: said after two passes,
        // not after the 60 s.
        check(
            "never-sick",
            "container",
            &on(&fine, "health = \"unhealthy\"\nwithin_s = 60"),
        ),
        check(
            "sick",
            "container",
            &on(&sick, "health = \"unhealthy\"\nwithin_s = 10"),
        ),
        check(
            "once",
            "container",
            &on(&once, "health = \"healthy\"\nwithin_s = 10"),
        ),
        check(
            "patient",
            "container",
            &on(&patient, "health = \"unhealthy\"\nwithin_s = 3"),
        ),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-health", "live", &checks, fx.path()).await;
    g.failed(
        "dies",
        &[
            &format!("{dies} reports healthy within 20 s"),
            &format!("{dies} is not running"),
        ],
    );
    g.failed(
        "no-curl",
        &[
            "its probe cannot run: the command it names is not in the container",
            "exit 127",
        ],
    );
    assert!(g
        .passed("fine")
        .actual
        .contains("is healthy, and its last two probes succeeded"));
    g.failed("patient", &["has a start period of 30 s"]);
    g.failed(
        "once",
        &[&format!(
            "{once} turned healthy, but then a probe failed (exit 1"
        )],
    );
    assert!(g.passed("sick").actual.contains("is unhealthy"));
    g.failed(
        "never-sick",
        &[&format!(
            "{fine} is healthy; its last two probes succeeded, the last exited 0"
        )],
    );
}
