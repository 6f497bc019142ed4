//! The `network` judge on a user network capture.sh made on each engine: `api` (aliases `api`
//! and `backend`, serving on 8080) and `client` running on it, `gone` started on it and exited;
//! and what the check's probe script printed in `client`. Docker lists only running containers
//! as attached; Podman 4.3 lists the stopped one too.

use bollard::models::NetworkInspect;
use checker::checks::network::{attached, judge, NetworkCheck, Reached};
use checker::docker::exec::Output;

use super::fixtures::{inspect, is_podman, json, named, output, ENGINES};

struct Net {
    info: NetworkInspect,
    name: String,
    api: String,
    client: String,
    gone: String,
    probes: serde_json::Value,
}

fn net(engine: &str) -> Net {
    let info: NetworkInspect = json(engine, "network-inspect.json");
    let stopped = inspect(engine, "network-stopped.json");
    let gone = stopped
        .name
        .as_deref()
        .expect("name")
        .trim_start_matches('/')
        .to_string();
    let names = attached(&info);
    Net {
        name: info.name.clone().expect("network name"),
        api: named(&names, "api"),
        client: named(&names, "client"),
        gone,
        probes: json(engine, "network-probes.json"),
        info,
    }
}

fn spec(
    n: &Net,
    members: &[&str],
    resolves: &[(&str, &str)],
    http_port: Option<u16>,
) -> NetworkCheck {
    NetworkCheck {
        network: n.name.clone(),
        members: members.iter().map(|m| m.to_string()).collect(),
        resolves: resolves
            .iter()
            .map(|(a, b)| [a.to_string(), b.to_string()])
            .collect(),
        http_port,
    }
}

fn reached(n: &Net, probes: &[&str]) -> Reached {
    Reached {
        network: Some(n.info.clone()),
        unlisted: vec![],
        probes: probes.iter().map(|p| Some(output(&n.probes[*p]))).collect(),
        inspected: vec![],
    }
}

#[test]
fn members_that_reach_each_other_by_name_and_alias_pass() {
    for engine in ENGINES {
        let n = net(engine);
        let spec = spec(
            &n,
            &[&n.api, &n.client],
            &[(&n.client, "api"), (&n.client, "backend")],
            Some(8080),
        );
        let v = judge(&spec, &reached(&n, &["reaches", "reaches_alias"]));
        assert!(v.passed, "{engine}: {}", v.actual);
        assert_eq!(
            v.expected,
            format!(
                "network {} with {}, {}; {c} reaches api by name, {c} reaches backend by name",
                n.name,
                n.api,
                n.client,
                c = n.client
            )
        );
        assert!(
            v.actual.starts_with("attached: ")
                && v.actual.contains(&n.api)
                && v.actual.contains(&n.client),
            "{engine}: {}",
            v.actual
        );
    }
}

/// Docker lists a stopped container as not attached, and the check says it is not running
/// (on the network it was started on); Podman lists it as attached, so membership passes.
#[test]
fn a_stopped_member_is_not_attached_on_docker_and_listed_on_podman() {
    for engine in ENGINES {
        let n = net(engine);
        let listed = attached(&n.info);
        assert_eq!(
            listed.contains(&n.gone),
            is_podman(engine),
            "{engine}: {listed:?}"
        );
        let spec = spec(&n, &[&n.api, &n.gone], &[], None);
        let mut r = reached(&n, &[]);
        if !is_podman(engine) {
            r.unlisted = vec![(
                n.gone.clone(),
                Some(inspect(engine, "network-stopped.json")),
            )];
        }
        let v = judge(&spec, &r);
        if is_podman(engine) {
            assert!(v.passed, "{engine}: {}", v.actual);
            continue;
        }
        assert!(!v.passed, "{engine}");
        // Recorded from a container that ran `true`: it exited by itself, with code 0.
        assert!(
            v.actual
                .starts_with(&format!("{} is not running: it exited with code 0", n.gone))
                && v.actual.ends_with(&format!("(its network: {})", n.name)),
            "{engine}: {}",
            v.actual
        );
        assert!(v.advice.unwrap().contains(&format!(
            "`docker network inspect {}` lists who is attached",
            n.name
        )));
    }
}

#[test]
fn a_member_elsewhere_or_missing_is_named() {
    for engine in ENGINES {
        let n = net(engine);
        let elsewhere = inspect(engine, "container-a.json");
        let a = elsewhere
            .name
            .clone()
            .unwrap()
            .trim_start_matches('/')
            .to_string();
        let mut r = reached(&n, &[]);
        r.unlisted = vec![(a.clone(), Some(elsewhere))];
        let v = judge(&spec(&n, &[&n.api, &a], &[], None), &r);
        assert!(!v.passed, "{engine}");
        let listed = attached(&n.info);
        assert_eq!(
            v.actual,
            format!(
                "{a} is not attached to {} (attached: {})",
                n.name,
                listed.join(", ")
            ),
            "{engine}"
        );
        r.unlisted = vec![("dojo-db".into(), None)];
        let v = judge(&spec(&n, &["dojo-db"], &[], None), &r);
        assert!(!v.passed);
        assert_eq!(v.actual, "there is no container named dojo-db");
    }
}

#[test]
fn a_name_that_does_not_resolve_or_a_port_that_does_not_answer_fails() {
    for engine in ENGINES {
        let n = net(engine);
        let v = judge(
            &spec(&n, &[], &[(&n.client, "nosuch")], Some(8080)),
            &reached(&n, &["unknown"]),
        );
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual,
            format!("from {}, the name nosuch does not resolve", n.client)
        );
        assert!(v.advice.unwrap().contains(&format!(
            "on the same network you created (`--network {}`)",
            n.name
        )));
        let v = judge(
            &spec(&n, &[], &[(&n.client, "api")], Some(9090)),
            &reached(&n, &["wrong_port"]),
        );
        assert!(!v.passed, "{engine}");
        assert!(
            v.actual.starts_with(&format!(
                "from {}, api resolves, but nothing answers at http://api:9090/ wget: can't connect to remote host",
                n.client
            )) && v.actual.ends_with("Connection refused"),
            "{engine}: {}",
            v.actual
        );
        assert!(v.advice.unwrap().contains("use the container port (9090)"));
        // Resolving alone is enough without `http_port`.
        let v = judge(
            &spec(&n, &[], &[(&n.client, "api")], None),
            &reached(&n, &["wrong_port"]),
        );
        assert!(v.passed, "{engine}: {}", v.actual);
    }
}

#[test]
fn the_default_bridge_is_named_as_the_reason() {
    let n = net("docker-26");
    let mut spec = spec(&n, &[], &[("dojo-a", "dojo-b")], None);
    spec.network = "bridge".into();
    let out = Output {
        code: 1,
        stdout: String::new(),
        stderr: String::new(),
    };
    let r = Reached {
        network: Some(n.info.clone()),
        unlisted: vec![],
        probes: vec![Some(out)],
        inspected: vec![],
    };
    let v = judge(&spec, &r);
    assert!(!v.passed);
    assert!(v
        .advice
        .unwrap()
        .contains("Create one (`docker network create NAME`)"));
}

#[test]
fn no_network_a_stopped_prober_or_no_probe_fail() {
    let n = net("docker-20.10");
    let spec = spec(&n, &[], &[(&n.client, "api")], None);
    let v = judge(&spec, &Reached::default());
    assert!(!v.passed);
    assert_eq!(v.actual, format!("there is no network named {}", n.name));
    assert!(v.advice.unwrap().contains("`docker network ls`"));
    let mut r = reached(&n, &[]);
    r.probes = vec![None];
    let v = judge(&spec, &r);
    assert!(!v.passed);
    assert_eq!(v.actual, format!("{} is not running", n.client));
    r.probes = vec![];
    let v = judge(&spec, &r);
    assert!(!v.passed, "a probe that was never made is not a pass");
}
