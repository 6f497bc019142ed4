//! `network`: membership of a network and reaching a container by name from another.

use crate::common::{check, grade, wait_until_exec, Fixture, Live, BASE};

const SERVE: &str =
    "mkdir -p /tmp/www && echo net-dojo > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www";

/// A web server `api` and a client `shell` attached to `network` (None: the default bridge).
fn pair(live: &mut Live, network: Option<&str>) -> (String, String) {
    let mut args: Vec<&str> = network.map(|n| vec!["--network", n]).unwrap_or_default();
    args.extend_from_slice(&[BASE, "sh", "-c", SERVE]);
    let api = live.run("api", &args);
    let mut args: Vec<&str> = network.map(|n| vec!["--network", n]).unwrap_or_default();
    args.extend_from_slice(&[BASE, "sleep", "1000"]);
    let shell = live.run("shell", &args);
    wait_until_exec(&api, "test -f /tmp/www/index.html");
    (api, shell)
}

fn net(network: &str, fields: &str) -> String {
    format!("network = \"{network}\"\n{fields}")
}

#[tokio::test]
async fn network_members_and_name_resolution() {
    let mut live = Live::new();
    let network = live.network("net");
    let (api, shell) = pair(&mut live, Some(&network));
    let outsider = live.run("outsider", &[BASE, "sleep", "1000"]);
    let nowhere = live.name("nowhere");
    let checks = [
        check(
            "members",
            "network",
            &net(&network, &format!("members = [\"{api}\", \"{shell}\"]")),
        ),
        check(
            "dns",
            "network",
            &net(&network, &format!("resolves = [[\"{shell}\", \"{api}\"]]")),
        ),
        check(
            "not-member",
            "network",
            &net(&network, &format!("members = [\"{api}\", \"{outsider}\"]")),
        ),
        check(
            "no-network",
            "network",
            &net(&nowhere, &format!("members = [\"{api}\"]")),
        ),
        check(
            "no-such-name",
            "network",
            &net(
                &network,
                &format!("resolves = [[\"{shell}\", \"{nowhere}\"]]"),
            ),
        ),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-network", "live", &checks, fx.path()).await;
    let r = g.passed("members");
    assert!(
        r.actual.contains(&api) && r.actual.contains(&shell),
        "{}",
        r.actual
    );
    g.passed("dns");
    g.failed(
        "not-member",
        &[
            &format!("{outsider} is not attached to {network}"),
            "a container joins a network when it is started on it",
        ],
    );
    g.failed(
        "no-network",
        &[
            &format!("there is no network named {nowhere}"),
            "The default bridge has no name resolution",
        ],
    );
    g.failed(
        "no-such-name",
        &[
            &format!("from {shell}"),
            &format!("the name {nowhere} does not resolve"),
        ],
    );
}

#[tokio::test]
async fn network_http_port_reaches_the_server_by_name() {
    let mut live = Live::new();
    let network = live.network("net");
    let (api, shell) = pair(&mut live, Some(&network));
    let checks = check(
        "http",
        "network",
        &net(
            &network,
            &format!("resolves = [[\"{shell}\", \"{api}\"]]\nhttp_port = 8080"),
        ),
    );
    let fx = Fixture::new();
    let g = grade("90-network-http", "live", &checks, fx.path()).await;
    g.passed("http");
}

#[tokio::test]
async fn network_the_default_bridge_has_no_dns() {
    let mut live = Live::new();
    let (api, shell) = pair(&mut live, None);
    let checks = [
        check(
            "members",
            "network",
            &net("bridge", &format!("members = [\"{api}\", \"{shell}\"]")),
        ),
        check(
            "dns",
            "network",
            &net("bridge", &format!("resolves = [[\"{shell}\", \"{api}\"]]")),
        ),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-network-bridge", "live", &checks, fx.path()).await;
    // Attached, yes: the default bridge is a network like any other for membership.
    g.passed("members");
    g.failed(
        "dns",
        &[
            &format!("{shell} reaches {api} by name"),
            &format!("from {shell}"),
            &format!("the name {api} does not resolve"),
        ],
    );
}

#[tokio::test]
async fn network_default_bridge_failure_says_why() {
    let mut live = Live::new();
    let (api, shell) = pair(&mut live, None);
    let checks = check(
        "dns",
        "network",
        &net("bridge", &format!("resolves = [[\"{shell}\", \"{api}\"]]")),
    );
    let fx = Fixture::new();
    let g = grade("90-network-bridge-why", "live", &checks, fx.path()).await;
    g.failed("dns", &["default bridge", "docker network create"]);
}
