//! The `http` judge on what each engine's published ports answered (capture.sh's
//! `http-probes.json`): a page, a 404, an app listening on the container's loopback only, a
//! container with nothing listening, a port nobody publishes. Docker's proxy accepts the
//! connection and closes or resets it when nothing answers inside; Podman refuses it.

use checker::checks::http::{
    diagnose, first_bound_port, judge, published_port, Asked, HttpCheck, Inside, Probed,
};
use checker::docker::exec::Output;
use checker::docker::http::Probe;
use checker::docker::logs::tail;

use super::fixtures::{inspect, is_podman, probe, text, ENGINES};

fn spec(status: u16, body: Option<&str>) -> HttpCheck {
    let mut spec: HttpCheck = toml::from_str("host_port = 18997").expect("spec");
    spec.status = status;
    spec.body_contains = body.map(String::from);
    spec
}

fn probed(last: Probe, publisher: Option<&str>, inside: Option<Inside>) -> Asked {
    Asked::Probed(Probed {
        host: "127.0.0.1".into(),
        host_port: 18997,
        publisher: publisher.map(String::from),
        last,
        changed: None,
        inside,
    })
}

#[test]
fn the_published_port_is_read_from_every_engines_inspection() {
    for engine in ENGINES {
        let a = inspect(engine, "container-a.json");
        assert_eq!(published_port(&a, "8080/tcp"), Some(18999), "{engine}");
        assert_eq!(published_port(&a, "80/tcp"), None, "{engine}");
        assert_eq!(first_bound_port(&a), Some(8080), "{engine}");
        let b = inspect(engine, "container-b.json");
        assert_eq!(published_port(&b, "8080/tcp"), None, "{engine}");
    }
}

#[test]
fn the_right_answer_passes_and_a_wrong_one_shows_what_came() {
    for engine in ENGINES {
        let v = judge(
            &spec(200, Some("judge fixture")),
            &probed(probe(engine, "answers"), None, None),
        );
        assert!(v.passed, "{engine}: {}", v.actual);
        assert_eq!(
            v.expected,
            "GET http://127.0.0.1:18997/ answers 200 with \"judge fixture\" in the body"
        );
        assert_eq!(v.actual, "200, 23 bytes", "{engine}");
        let v = judge(
            &spec(200, Some("Welcome")),
            &probed(probe(engine, "answers"), None, None),
        );
        assert!(!v.passed, "{engine}");
        assert_eq!(v.actual, "200; body: <h1>judge fixture</h1>");
        let v = judge(
            &spec(200, None),
            &probed(probe(engine, "not_found"), None, None),
        );
        assert!(!v.passed, "{engine}");
        assert!(
            v.actual
                .starts_with("404; body: <BODY><H1>404 Not Found</H1>"),
            "{engine}: {}",
            v.actual
        );
        assert!(v.advice.is_none());
    }
}

/// Nothing listening behind a published port: Docker's proxy takes the connection and drops it
/// (closed on Engine 26, reset on 20.10; either on the containerd store), Podman refuses it.
#[test]
fn nothing_listening_inside_reads_as_each_engine_reports_it() {
    for engine in ENGINES {
        let last = probe(engine, "nothing_listens");
        let v = judge(&spec(200, None), &probed(last.clone(), None, None));
        assert!(!v.passed, "{engine}");
        if is_podman(engine) {
            assert_eq!(last, Probe::Refused, "{engine}");
            assert_eq!(
                v.actual,
                "connection refused on 127.0.0.1:18997: nothing listens on that host port"
            );
            assert_eq!(
                v.advice.as_deref(),
                Some("No container publishes host port 18997: run yours with `-p 18997:<container port>`.")
            );
            // When a container is known to publish it, the refusal is about its inside.
            let v = judge(&spec(200, None), &probed(last, Some("dojo-web"), None));
            assert_eq!(
                v.actual,
                "connection refused on 127.0.0.1:18997: dojo-web publishes it, but nothing in \
                 the container accepts the connection"
            );
        } else {
            assert!(matches!(last, Probe::NoAnswer(_)), "{engine}: {last:?}");
            assert!(
                v.actual
                    .starts_with("connected to 127.0.0.1:18997 but got no HTTP answer ("),
                "{engine}: {}",
                v.actual
            );
            assert!(v.advice.is_none(), "{engine}: no publisher known, no guess");
        }
    }
}

#[test]
fn a_port_nobody_publishes_is_refused_everywhere() {
    for engine in ENGINES {
        assert_eq!(probe(engine, "unpublished"), Probe::Refused, "{engine}");
    }
}

/// The app of capture.sh's `lo` container listens on 127.0.0.1:8080 inside; its sockets, as
/// `/proc/net/tcp` lists them, name the mistake, whatever the engine answered outside.
#[test]
fn an_app_on_the_containers_loopback_is_named() {
    for engine in ENGINES {
        let inside = Inside::Running {
            cport: Some(8080),
            sockets: Output {
                code: 0,
                stdout: text(engine, "proc-net-tcp.txt"),
                stderr: String::new(),
            },
        };
        let v = judge(
            &spec(200, None),
            &probed(
                probe(engine, "loopback_only"),
                Some("dojo-web"),
                Some(inside.clone()),
            ),
        );
        assert!(!v.passed, "{engine}");
        assert!(
            v.advice
                .as_deref()
                .is_some_and(|a| a.starts_with("The app inside dojo-web listens on 127.0.0.1:8080")),
            "{engine}: {:?}",
            v.advice
        );
        let Inside::Running { sockets, .. } = inside else {
            unreachable!()
        };
        let elsewhere = Inside::Running {
            cport: Some(9090),
            sockets,
        };
        assert_eq!(
            diagnose("dojo-web", &elsewhere).as_deref(),
            Some("Inside dojo-web, nothing listens on port 9090 (it listens on 127.0.0.1:8080): the published port must lead to the port the app really listens on."),
            "{engine}"
        );
    }
}

#[test]
fn a_stopped_container_behind_the_port_is_named_with_its_log() {
    for engine in ENGINES {
        let b = inspect(engine, "container-b.json").state.expect("state");
        let inside = Inside::Stopped {
            exit_code: b.exit_code.expect("exit code"),
            oom: b.oom_killed.unwrap_or(false),
            // As `logs_tail` reads it: the last 5 lines.
            logs: tail(&text(engine, "container-b.log"), 5),
        };
        let v = judge(
            &spec(200, None),
            &probed(Probe::Refused, Some("dojo-web"), Some(inside)),
        );
        assert!(!v.passed);
        assert_eq!(
            v.advice.as_deref(),
            Some("dojo-web is not running (exit code 3). Its last log lines:\nstarting up\nconfig.yml: no such file"),
            "{engine}"
        );
    }
}

/// No advice is better than a guess: sockets that could not be read, or no port to look for.
#[test]
fn what_cannot_be_seen_inside_gives_no_advice() {
    let unreadable = Inside::Running {
        cport: Some(8080),
        sockets: Output {
            code: 1,
            stdout: String::new(),
            stderr: "cat: can't open '/proc/net/tcp'".into(),
        },
    };
    assert_eq!(diagnose("c", &unreadable), None);
    let no_port = Inside::Running {
        cport: None,
        sockets: Output {
            code: 0,
            stdout: text("docker-26", "proc-net-tcp.txt"),
            stderr: String::new(),
        },
    };
    assert_eq!(diagnose("c", &no_port), None);
    let v = judge(&spec(200, None), &probed(Probe::Refused, Some("c"), None));
    assert!(!v.passed);
    assert!(v.advice.is_none());
}

#[test]
fn a_page_that_must_change_passes_only_when_it_does() {
    let mut want = spec(200, None);
    want.changes_within_s = Some(3.0);
    let first = Probe::Answer {
        status: 200,
        body: "tick 1\n".into(),
    };
    let mut asked = Probed {
        host: "127.0.0.1".into(),
        host_port: 18997,
        publisher: None,
        last: first,
        changed: Some("tick 2\n".into()),
        inside: None,
    };
    let v = judge(&want, &Asked::Probed(asked.clone()));
    assert!(v.passed, "{}", v.actual);
    assert_eq!(
        v.expected,
        "GET http://127.0.0.1:18997/ answers 200, and a body that changes within 3 s"
    );
    assert_eq!(v.actual, "\"tick 1\" became \"tick 2\"");
    asked.changed = None;
    let v = judge(&want, &Asked::Probed(asked));
    assert!(!v.passed);
    assert_eq!(v.actual, "the same body for 3 s: \"tick 1\"");
    assert!(v.advice.unwrap().contains("fixed copy"));
}

#[test]
fn a_missing_or_unpublished_container_fails_before_asking() {
    let want: HttpCheck = toml::from_str("container = \"dojo-web\"\nport = 8080").expect("spec");
    let v = judge(&want, &Asked::NoContainer("dojo-web".into()));
    assert!(!v.passed);
    assert_eq!(
        (v.expected.as_str(), v.actual.as_str()),
        ("an HTTP answer", "there is no container named dojo-web")
    );
    let v = judge(
        &want,
        &Asked::NotPublished {
            container: "dojo-web".into(),
            key: "8080/tcp".into(),
            stopped: None,
        },
    );
    assert!(!v.passed);
    assert_eq!(
        (v.expected.as_str(), v.actual.as_str()),
        (
            "container port 8080/tcp published on the host",
            "dojo-web publishes no host port for 8080/tcp"
        )
    );
    // A container run with `-p` that exited shows no published port: the message says why.
    let v = judge(
        &want,
        &Asked::NotPublished {
            container: "dojo-web".into(),
            key: "8080/tcp".into(),
            stopped: Some("exited with code 1".into()),
        },
    );
    assert!(!v.passed);
    assert_eq!(
        v.actual,
        "dojo-web is not running (exited with code 1), and a container that is not running \
         publishes no port"
    );
}
