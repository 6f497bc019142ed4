//! The `container` judges on two containers capture.sh ran on each engine.

use std::path::Path;

use checker::checks::container::{judge_config, judge_state, ContainerFacts};
use checker::spec::ContainerCheck;

use super::fixtures::{json, ENGINES};

fn inspect(engine: &str, which: &str) -> bollard::models::ContainerInspectResponse {
    json(engine, &format!("container-{which}.json"))
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
            let (expected, actual) =
                judge(engine, "a", &spec).unwrap_or_else(|| panic!("{engine}: passed {spec:?}"));
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

/// A limit written in decimal bytes (`--memory 64000000` for 64m) fails with what Docker's unit
/// is; another wrong limit gets no such advice.
#[test]
fn a_memory_limit_in_decimal_bytes_is_explained() {
    let spec = ContainerCheck {
        memory_mb: Some(64),
        ..ContainerCheck::default()
    };
    let mut info = inspect("docker-20.10", "a");
    let verdict = |info: &bollard::models::ContainerInspectResponse| {
        let facts = ContainerFacts {
            info,
            oom_killed: false,
            dir: Path::new("/tmp/judge-fixture-site"),
            podman: false,
            server_version: "fixture",
        };
        judge_config("c", &facts, &spec).expect("a wrong limit fails")
    };
    info.host_config.as_mut().unwrap().memory = Some(64_000_000);
    let v = verdict(&info);
    assert_eq!(v.actual, "61 MB (64000000 bytes)");
    assert!(
        v.advice
            .as_deref()
            .unwrap_or_default()
            .contains("64m is 67108864 bytes"),
        "{:?}",
        v.advice
    );
    info.host_config.as_mut().unwrap().memory = Some(128 * 1024 * 1024);
    assert_eq!(verdict(&info).advice, None);
}

/// A rollback that pushed the old release under the new tag: the registry serves one image for
/// both, and the new release is gone from it.
#[test]
fn a_release_pushed_again_under_another_tag_is_no_release_of_its_own() {
    use checker::checks::container::judge_distinct;
    let (one, two) = ("127.0.0.1:18095/app:1.0", "127.0.0.1:18095/app:2.0");
    let v = judge_distinct(one, two, "sha256:aaaa", "sha256:aaaa").expect("the same image fails");
    assert!(!v.passed);
    assert_eq!(
        v.actual,
        "the registry serves the same image for 127.0.0.1:18095/app:2.0 as for \
         127.0.0.1:18095/app:1.0 (sha256:aaaa): 127.0.0.1:18095/app:2.0 was made from \
         127.0.0.1:18095/app:1.0 and pushed again"
    );
    assert!(judge_distinct(one, two, "sha256:aaaa", "sha256:bbbb").is_none());
    assert!(judge_distinct(one, two, "", "").is_none());
}

/// A created container that never started: `docker create` alone is told to start it; a start
/// that failed gives the runtime's own error.
#[test]
fn a_container_that_never_started_says_why() {
    use bollard::models::{ContainerState, ContainerStateStatusEnum};
    let created = |error: &str, code: i64| bollard::models::ContainerInspectResponse {
        state: Some(ContainerState {
            status: Some(ContainerStateStatusEnum::CREATED),
            running: Some(false),
            exit_code: Some(code),
            error: Some(error.into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let verdict = |info: &bollard::models::ContainerInspectResponse, spec: &ContainerCheck| {
        let facts = ContainerFacts {
            info,
            oom_killed: false,
            dir: Path::new("/tmp"),
            podman: false,
            server_version: "fixture",
        };
        judge_state("dojo-first-hello", &facts, spec)
            .or_else(|| judge_config("dojo-first-hello", &facts, spec))
            .map(|v| v.actual)
            .expect("a created container fails")
    };
    let exited_0 = ContainerCheck {
        exit_code: Some(0),
        ..ContainerCheck::default()
    };
    let only_created = verdict(&created("", 0), &exited_0);
    assert!(
        only_created.contains("created but never started")
            && only_created.contains("`docker start -a dojo-first-hello`"),
        "{only_created}"
    );
    let failed = verdict(
        &created("exec: \"ech\": executable file not found in $PATH", 0),
        &exited_0,
    );
    assert!(
        failed.contains("its command could not be run: exec: \"ech\": executable file not found"),
        "{failed}"
    );
    let running = ContainerCheck {
        running: Some(true),
        ..ContainerCheck::default()
    };
    let only_created = verdict(&created("", 0), &running);
    assert!(
        only_created.starts_with("dojo-first-hello was created but never started"),
        "{only_created}"
    );
}

/// `--cpuset-cpus` pins a container to CPUs without limiting how much of them it uses.
#[test]
fn a_cpu_set_is_no_cpu_limit_and_says_so() {
    let info = bollard::models::ContainerInspectResponse {
        state: Some(bollard::models::ContainerState {
            running: Some(true),
            ..Default::default()
        }),
        host_config: Some(bollard::models::HostConfig {
            cpuset_cpus: Some("0".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let facts = ContainerFacts {
        info: &info,
        oom_killed: false,
        dir: Path::new("/tmp"),
        podman: false,
        server_version: "fixture",
    };
    let spec = ContainerCheck {
        cpus: Some(0.5),
        ..ContainerCheck::default()
    };
    let v = judge_config("dojo-limits", &facts, &spec).expect("no limit fails");
    assert!(
        v.actual
            .starts_with("no CPU limit: --cpuset-cpus 0 picks the CPUs it may run on"),
        "{}",
        v.actual
    );
}

#[test]
fn a_container_run_by_a_tag_built_again_since_runs_the_earlier_image() {
    use checker::checks::container::{judge_image_match, ImageMatch};
    let (old, new) = ("sha256:390fe1aa", "sha256:3750626b");
    // Run by the tag, which still names its image (Podman leaves out the algorithm).
    assert_eq!(judge_image_match(true, old, Some(old)), ImageMatch::Same);
    assert_eq!(
        judge_image_match(true, old, Some("390fe1aa")),
        ImageMatch::Same
    );
    // Run by another name (an ID, a digest, Podman's localhost/…) of the same image.
    assert_eq!(judge_image_match(false, old, Some(old)), ImageMatch::Same);
    // The tag was built again after the container was made.
    assert_eq!(
        judge_image_match(true, old, Some(new)),
        ImageMatch::Rebuilt {
            now: new.to_string()
        }
    );
    // Another image altogether.
    assert_eq!(judge_image_match(false, old, Some(new)), ImageMatch::Other);
    assert_eq!(judge_image_match(false, old, None), ImageMatch::Other);
    // Run by the tag, which names nothing now (removed since): what it named is all there is.
    assert_eq!(judge_image_match(true, old, None), ImageMatch::Same);
}
