//! The `compose` judge on a project each engine's Compose made (v1 on Engine 20.10 and Podman,
//! v2 on Engine 26): `web` running with a volume `data`, `worker` exited 2. v1 names containers
//! `project_service_1`, v2 `project-service-1`; the judge reads only the labels both set.

use bollard::models::{ContainerSummary, Volume};
use checker::checks::compose::{judge, ComposeCheck, Project};
use checker::docker::logs::tail;

use super::fixtures::{inspect, json, text, ENGINES};

fn project(engine: &str) -> (String, Project) {
    let containers: Vec<ContainerSummary> = json(engine, "compose-containers.json");
    let volumes: serde_json::Value = json(engine, "compose-volumes.json");
    let volumes: Vec<Volume> = serde_json::from_value(volumes["Volumes"].clone()).expect("volumes");
    let name = containers[0].labels.as_ref().expect("labels")["com.docker.compose.project"].clone();
    let worker = inspect(engine, "compose-worker.json");
    let stopped = vec![(
        worker.id.clone().expect("id"),
        Some(worker),
        // As `logs_tail` reads it: the last 4 lines.
        tail(&text(engine, "compose-worker.log"), 4),
    )];
    // As the check inspects them: the running `web`'s mounts (the list shows the same ones).
    let mounts = containers
        .iter()
        .filter(|c| c.labels.as_ref().expect("labels")["com.docker.compose.service"] == "web")
        .map(|c| ("web".to_string(), c.mounts.clone().unwrap_or_default()))
        .collect();
    (
        name,
        Project {
            containers,
            stopped,
            volumes,
            mounts,
        },
    )
}

fn spec(project: &str, running: &[&str], volumes: &[&str], up: Option<bool>) -> ComposeCheck {
    ComposeCheck {
        project: project.into(),
        running: running.iter().map(|s| s.to_string()).collect(),
        volumes: volumes.iter().map(|s| s.to_string()).collect(),
        up,
        mounted: Default::default(),
    }
}

fn mounted(p: &str, at: &str) -> ComposeCheck {
    let mut s = spec(p, &["web"], &["data"], None);
    s.mounted.insert("data".into(), at.into());
    s
}

/// The named volume where the service keeps its data: not another path, not a bind-mounted
/// folder that also outlives `down`.
#[test]
fn a_volume_must_be_mounted_where_the_service_keeps_its_data() {
    for engine in ENGINES {
        let (p, mut project) = project(engine);
        let v = judge(&mounted(&p, "web:/data"), &project);
        assert!(v.passed, "{engine}: {}", v.actual);

        let v = judge(&mounted(&p, "web:/srv"), &project);
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual,
            "nothing is mounted at /srv in web, so what it keeps there goes with its container; \
             the volume data is mounted at /data",
            "{engine}"
        );
        let advice = v.advice.unwrap_or_default();
        assert!(advice.contains("volumes: [\"data:/srv\"]"), "{advice}");

        let m = &mut project.mounts[0].1[0];
        m.typ = Some("bind".into());
        m.name = None;
        m.source = Some("/home/learner/notes".into());
        let v = judge(&mounted(&p, "web:/data"), &project);
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual, "web's /data is a bind mount of /home/learner/notes, not the volume data",
            "{engine}"
        );
    }
}

#[test]
fn a_running_service_and_its_volume_pass_on_every_compose() {
    for engine in ENGINES {
        let (p, project) = project(engine);
        let v = judge(&spec(&p, &["web"], &["data"], None), &project);
        assert!(v.passed, "{engine}: {}", v.actual);
        assert_eq!(
            v.expected,
            format!("Compose project {p} with web running and volume(s) data")
        );
        assert_eq!(v.actual, "running: web", "{engine}");
    }
}

#[test]
fn a_stopped_service_shows_its_exit_code_and_log() {
    for engine in ENGINES {
        let (p, project) = project(engine);
        let v = judge(&spec(&p, &["web", "worker"], &[], None), &project);
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual,
            "worker is not running (running: web); it exited with code 2\n--- its last log lines ---\ncannot reach the queue",
            "{engine}"
        );
        assert_eq!(
            v.advice.as_deref(),
            Some(format!("`docker compose -p {p} logs worker` shows why it stopped.").as_str())
        );
    }
}

#[test]
fn a_missing_service_volume_or_project_is_named() {
    for engine in ENGINES {
        let (p, project) = project(engine);
        let v = judge(&spec(&p, &["db"], &[], None), &project);
        assert!(!v.passed);
        assert_eq!(
            v.actual,
            format!("project {p} has no service db (running: web)")
        );
        assert!(v.advice.unwrap().contains("Declare the service `db`"));
        let v = judge(&spec(&p, &["web"], &["cache"], None), &project);
        assert!(!v.passed);
        assert_eq!(
            v.actual,
            format!("project {p} has no volume cache (volumes: data)")
        );
        let v = judge(&spec("dojo-other", &["web"], &[], None), &project);
        assert!(
            !v.passed,
            "{engine}: another project's containers are not this one's"
        );
        assert_eq!(v.actual, "no containers belong to project dojo-other");
        assert!(v
            .advice
            .unwrap()
            .contains("docker compose -p dojo-other up -d"));
    }
}

#[test]
fn a_project_brought_down_has_no_containers() {
    for engine in ENGINES {
        let (p, project) = project(engine);
        let v = judge(&spec(&p, &[], &[], Some(false)), &project);
        assert!(!v.passed, "{engine}");
        assert_eq!(v.expected, format!("project {p} is down (no containers)"));
        assert!(
            v.actual.starts_with("2 container(s) remain: ")
                && v.actual.contains("web")
                && v.actual.contains("worker"),
            "{engine}: {}",
            v.actual
        );
        let v = judge(&spec(&p, &[], &[], Some(false)), &Project::default());
        assert!(v.passed);
        assert_eq!(v.actual, "no containers");
    }
}
