//! Judges without a daemon: what each engine CI runs reported for the same image
//! (`fixtures/engines/<engine>/`, refreshed by `fixtures/engines/capture.sh`), judged by the check
//! kinds' pure `judge` functions. An engine that reports something differently shows up here as
//! a failing test, not as a wrong verdict for a learner.

use std::path::PathBuf;

use checker::checks::image::{judge, CommandForm, ImageFacts};
use checker::spec::ImageCheck;

const ENGINES: [&str; 4] = [
    "docker-20.10",
    "docker-26",
    "docker-26-containerd",
    "podman-4.3",
];

fn facts(engine: &str) -> ImageFacts {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/engines")
        .join(engine)
        .join("image-inspect.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let info: bollard::models::ImageInspect =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ImageFacts::from_inspect(&info)
}

/// The fixture image as its Dockerfile (in capture.sh) made it, field by field.
fn as_built() -> ImageCheck {
    ImageCheck {
        max_size_mb: Some(5.0),
        min_size_mb: Some(1.0),
        max_layers: Some(2),
        user: Some("app".into()),
        non_root: Some(true),
        cmd_form: Some(CommandForm::Exec),
        cmd: Some(vec![
            "httpd".into(),
            "-f".into(),
            "-p".into(),
            "8080".into(),
        ]),
        env: [("GREETING", "hello"), ("MODE", "test")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect(),
        exposed_ports: vec!["8080".into(), "8080/tcp".into()],
        labels: [("org.opencontainers.image.version", "1.2.3")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect(),
        ..ImageCheck::default()
    }
}

#[test]
fn image_metadata_reads_the_same_on_every_engine() {
    for engine in ENGINES {
        let v = judge(&facts(engine), &as_built());
        assert!(v.passed, "{engine}: {} / {}", v.expected, v.actual);
        assert!(
            v.actual.contains("2 layers") && v.actual.contains("user app"),
            "{engine}: {}",
            v.actual
        );
    }
}

#[test]
fn each_wrong_field_fails_on_every_engine_naming_it() {
    type Edit = fn(&mut ImageCheck);
    let cases: [(Edit, &str); 8] = [
        (|c| c.max_size_mb = Some(1.0), "at most 1 MB"),
        (|c| c.max_layers = Some(1), "at most 1 layers"),
        (|c| c.user = Some("root".into()), "USER root"),
        (
            |c| c.cmd_form = Some(CommandForm::Shell),
            "CMD in exec form",
        ),
        (
            |c| c.cmd = Some(vec!["httpd".into()]),
            "CMD [\"httpd\", \"-f\", \"-p\", \"8080\"]",
        ),
        (
            |c| {
                c.env.insert("MODE".into(), "prod".into());
            },
            "MODE",
        ),
        (
            |c| c.exposed_ports = vec!["9090".into()],
            "exposed: 8080/tcp",
        ),
        (
            |c| {
                c.labels
                    .insert("org.opencontainers.image.versions".into(), "1.2.3".into());
            },
            "org.opencontainers.image.versions=(unset)",
        ),
    ];
    for engine in ENGINES {
        let f = facts(engine);
        for (edit, needle) in cases {
            let mut spec = as_built();
            edit(&mut spec);
            let v = judge(&f, &spec);
            assert!(!v.passed, "{engine}: passed {spec:?}");
            assert!(
                v.actual.contains(needle) || v.expected.contains(needle),
                "{engine}: `{needle}` not in {} / {}",
                v.expected,
                v.actual
            );
        }
    }
}

/// Docker reports the HEALTHCHECK in the image's config; Podman 4.3 leaves it out (the
/// `image` check then reads it from a container created from the image, which needs a daemon).
#[test]
fn healthcheck_is_in_the_config_on_docker_only() {
    let want = ImageCheck {
        healthcheck: Some(true),
        ..ImageCheck::default()
    };
    for engine in ENGINES {
        let v = judge(&facts(engine), &want);
        assert_eq!(
            v.passed,
            engine.starts_with("docker"),
            "{engine}: {}",
            v.actual
        );
    }
}

mod container {
    use super::ENGINES;
    use checker::checks::container::{judge_config, judge_state, ContainerFacts};
    use checker::spec::ContainerCheck;
    use std::path::{Path, PathBuf};

    fn inspect(engine: &str, which: &str) -> bollard::models::ContainerInspectResponse {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/engines")
            .join(engine)
            .join(format!("container-{which}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Both judges, state first, as the check runs them; `None` is a pass.
    fn judge(engine: &str, which: &str, spec: &ContainerCheck) -> Option<(String, String)> {
        let info = inspect(engine, which);
        let facts = ContainerFacts {
            info: &info,
            oom_killed: info.state.as_ref().and_then(|s| s.oom_killed) == Some(true),
            // capture.sh bind-mounts /tmp/judge-fixture-site/site.
            dir: Path::new("/tmp/judge-fixture-site"),
            podman: engine.starts_with("podman"),
            server_version: "fixture",
        };
        judge_state("c", &facts, spec)
            .or_else(|| judge_config("c", &facts, spec))
            .map(|v| (v.expected, v.actual))
    }

    /// Container `a` as capture.sh ran it: running, 64 MB, 0.5 CPUs (`--cpus`), env, port,
    /// restart policy, a named volume and a bind mount.
    fn as_run() -> ContainerCheck {
        let map = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        ContainerCheck {
            running: Some(true),
            env: map(&[("GREETING", "hello"), ("MODE", "test")]),
            ports: [("8080".to_string(), 18999)].into_iter().collect(),
            restart_policy: Some("unless-stopped".into()),
            memory_mb: Some(64),
            memory_min_mb: Some(32),
            memory_max_mb: Some(128),
            cpus: Some(0.5),
            binds: map(&[("site", "/usr/share/site")]),
            ..ContainerCheck::default()
        }
    }

    fn with_volume(engine: &str, mut spec: ContainerCheck) -> ContainerCheck {
        let info = inspect(engine, "a");
        let name = info
            .mounts
            .unwrap_or_default()
            .iter()
            .find(|m| m.destination.as_deref() == Some("/data"))
            .and_then(|m| m.name.clone())
            .unwrap_or_else(|| panic!("{engine}: no named volume at /data"));
        spec.volumes.insert(name, "/data".into());
        spec
    }

    #[test]
    fn a_running_container_reads_the_same_on_every_engine() {
        for engine in ENGINES {
            let spec = with_volume(engine, as_run());
            assert_eq!(judge(engine, "a", &spec), None, "{engine}");
        }
    }

    #[test]
    fn each_wrong_field_fails_on_every_engine_naming_it() {
        type Edit = fn(&mut ContainerCheck);
        let cases: [(Edit, &str); 9] = [
            (|c| c.running = Some(false), "c is running"),
            (
                |c| {
                    c.env.insert("MODE".into(), "prod".into());
                },
                "MODE",
            ),
            (
                |c| c.ports = [("8080".to_string(), 18000)].into_iter().collect(),
                "18999->8080/tcp",
            ),
            (
                |c| c.restart_policy = Some("always".into()),
                "restart policy unless-stopped",
            ),
            (|c| c.memory_mb = Some(128), "64 MB"),
            (|c| c.memory_max_mb = Some(32), "64 MB"),
            (|c| c.cpus = Some(1.0), "0.5 CPUs"),
            (
                |c| {
                    c.volumes.insert("other".into(), "/data".into());
                },
                "/data",
            ),
            (
                |c| {
                    c.binds.insert("elsewhere".into(), "/srv".into());
                },
                "/usr/share/site",
            ),
        ];
        for engine in ENGINES {
            for (edit, needle) in cases {
                let mut spec = with_volume(engine, as_run());
                edit(&mut spec);
                let (expected, actual) = judge(engine, "a", &spec)
                    .unwrap_or_else(|| panic!("{engine}: passed {spec:?}"));
                assert!(
                    actual.contains(needle),
                    "{engine}: `{needle}` not in {expected} / {actual}"
                );
            }
        }
    }

    /// `--cpu-period 100000 --cpu-quota 50000` is the same cap as `--cpus 0.5`, on every engine;
    /// the container exited 3.
    #[test]
    fn a_cpu_quota_is_a_cpu_limit_and_the_exit_code_is_read() {
        for engine in ENGINES {
            let spec = ContainerCheck {
                running: Some(false),
                cpus: Some(0.5),
                memory_mb: Some(64),
                exit_code: Some(3),
                oom_killed: Some(false),
                ..ContainerCheck::default()
            };
            assert_eq!(judge(engine, "b", &spec), None, "{engine}");
            let wrong = ContainerCheck {
                exit_code: Some(0),
                ..spec
            };
            let (_, actual) = judge(engine, "b", &wrong).expect("exit code 3 is not 0");
            assert!(actual.contains("exit code 3"), "{engine}: {actual}");
        }
    }
}

/// A label set to nothing (an ARG the stage never declared) reads as empty, not as missing.
#[test]
fn an_empty_label_says_so() {
    let mut f = facts("docker-26");
    f.config
        .labels
        .get_or_insert_with(Default::default)
        .insert("org.opencontainers.image.version".into(), String::new());
    let spec = ImageCheck {
        labels: [(
            "org.opencontainers.image.version".to_string(),
            "1.4.0".to_string(),
        )]
        .into_iter()
        .collect(),
        ..ImageCheck::default()
    };
    let v = judge(&f, &spec);
    assert!(!v.passed);
    assert_eq!(v.actual, "org.opencontainers.image.version=(empty)");
}
