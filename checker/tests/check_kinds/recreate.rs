//! `recreate`: a Compose project taken down (its containers removed by label, volumes kept) and
//! brought up again by the Compose program that made it; every service comes back, and a note
//! kept through the app survives only in a volume. Needs `docker compose` or `docker-compose`
//! (without either, the tests say so and return, except under `CI=true`).

use std::path::Path;
use std::process::Command;

use crate::common::{check, free_port, grade, unique, Fixture, BASE};

/// The Compose program here, as `docker compose` (v2) or `docker-compose` (v1).
fn compose_program() -> Option<Vec<&'static str>> {
    for p in [vec!["docker", "compose"], vec!["docker-compose"]] {
        let ok = Command::new(p[0])
            .args(&p[1..])
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(p);
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI must have `docker compose` or `docker-compose`");
    }
    println!("skipped: neither `docker compose` nor `docker-compose` runs here");
    None
}

/// A Compose project of this test, `dojo-kt-<8 hex>`, brought down with its volumes when the
/// test ends (pass or fail). Only this project is ever touched.
struct Project {
    program: Vec<&'static str>,
    name: String,
    dir: std::path::PathBuf,
}

impl Project {
    fn up(program: Vec<&'static str>, dir: &Path) -> Self {
        let p = Self {
            program,
            name: format!("dojo-kt-{}", unique()),
            dir: dir.to_path_buf(),
        };
        let out = p.run(&["up", "-d"]);
        assert!(
            out.status.success(),
            "up failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        p
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new(self.program[0])
            .args(&self.program[1..])
            .args(["-p", &self.name])
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("the Compose program")
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = self.run(&["down", "-v", "--remove-orphans"]);
    }
}

/// An app (busybox httpd, its CGI scripts bind-mounted) that keeps each `GET /cgi-bin/add?TEXT`
/// as a line of /data/notes and lists them at `/cgi-bin/list`; `store` mounts a named volume on
/// /data or nothing. A second service, `side`, depends on `app` when `depends` says so.
fn fixture(port: u16, store: bool, depends: bool) -> Fixture {
    let fx = Fixture::new();
    fx.write(
        "www/cgi-bin/add",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"$QUERY_STRING\" >> /data/notes\necho kept\n",
    )
    .write(
        "www/cgi-bin/list",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\ncat /data/notes 2>/dev/null\necho end\n",
    );
    for f in ["add", "list"] {
        let p = fx.path().join("www/cgi-bin").join(f);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let volume = if store { "      - data:/data\n" } else { "" };
    let declared = if store { "volumes:\n  data:\n" } else { "" };
    let depends = if depends {
        "    depends_on:\n      - app\n"
    } else {
        ""
    };
    fx.write(
        "compose.yaml",
        format!(
            "version: \"2.4\"\nservices:\n  app:\n    image: {BASE}\n    command: [\"sh\", \"-c\", \"mkdir -p /data && exec httpd -f -p 8080 -h /www\"]\n    ports:\n      - \"127.0.0.1:{port}:8080\"\n    volumes:\n      - ./www:/www:ro\n{volume}  side:\n    image: {BASE}\n    init: true\n    command: [\"sleep\", \"3600\"]\n{depends}{declared}"
        ),
    );
    fx
}

fn checks(project: &str, port: u16) -> String {
    [
        check(
            "survives",
            "recreate",
            &format!("project = \"{project}\"\nhost_port = {port}\nwrite = \"/cgi-bin/add?{{marker}}\"\nread = \"/cgi-bin/list\""),
        ),
        check(
            "side-alone",
            "recreate",
            &format!("project = \"{project}\"\nup = [\"side\"]"),
        ),
    ]
    .concat()
}

#[tokio::test]
async fn a_note_in_a_volume_survives_and_depends_on_brings_app_back() {
    let Some(program) = compose_program() else {
        return;
    };
    let port = free_port();
    let fx = fixture(port, true, true);
    let project = Project::up(program, fx.path());
    let g = grade(
        "90-recreate-ok",
        "live",
        &checks(&project.name, port),
        fx.path(),
    )
    .await;
    let r = g.passed("survives");
    assert!(
        r.actual.contains("removed 2 container(s)") && r.actual.contains("brought back app, side"),
        "{}",
        r.actual
    );
    assert!(
        r.actual.contains("is still served at /cgi-bin/list"),
        "{}",
        r.actual
    );
    let r = g.passed("side-alone");
    assert!(
        r.actual.contains("up -d side` brought back app, side"),
        "{}",
        r.actual
    );
    // The project is up again, with its volume and its note.
    let ps = project.run(&["ps", "-q"]);
    assert_eq!(String::from_utf8_lossy(&ps.stdout).lines().count(), 2);
}

#[tokio::test]
async fn a_note_in_the_writable_layer_is_lost_and_a_lone_service_starts_alone() {
    let Some(program) = compose_program() else {
        return;
    };
    let port = free_port();
    let fx = fixture(port, false, false);
    let project = Project::up(program, fx.path());
    let g = grade(
        "90-recreate-fail",
        "live",
        &checks(&project.name, port),
        fx.path(),
    )
    .await;
    g.failed(
        "survives",
        &[
            "is gone: GET /cgi-bin/list answers 200 without it",
            "writable layer",
        ],
    );
    g.failed(
        "side-alone",
        &[
            "up -d side`, app did not come back: no container (running: side)",
            "nothing tells it that side needs app",
        ],
    );
}

#[tokio::test]
async fn a_project_that_is_not_up_is_not_touched() {
    let fx = Fixture::new();
    let name = format!("dojo-kt-{}", unique());
    let g = grade(
        "90-recreate-none",
        "live",
        &check("gone", "recreate", &format!("project = \"{name}\"")),
        fx.path(),
    )
    .await;
    g.failed(
        "gone",
        &[
            &format!("no containers belong to project {name}"),
            &format!("docker compose -p {name} up -d"),
        ],
    );
}
