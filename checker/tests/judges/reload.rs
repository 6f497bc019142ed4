//! The `reload` judge: after the check changed the file, the answer either serves the change
//! (a bind mount), still serves the old copy, or none comes; the no-answer cases as each
//! engine's published port gave them (capture.sh's `http-probes.json`).

use checker::checks::reload::{judge, ReloadCheck, Reloaded};
use checker::docker::http::Probe;

use super::fixtures::{is_podman, probe, ENGINES};

const TOKEN: &str = "dockdojo-reload-1a2b3c4d";

fn spec() -> ReloadCheck {
    toml::from_str("host_port = 18997\nfile = \"site/index.html\"").expect("spec")
}

fn asked(last: Probe) -> Reloaded {
    Reloaded::Asked {
        host: "127.0.0.1".into(),
        token: TOKEN.into(),
        last,
    }
}

#[test]
fn the_change_served_passes_and_the_old_copy_fails() {
    let served = Probe::Answer {
        status: 200,
        body: format!("<h1>judge fixture</h1>\n\n<!-- {TOKEN} -->\n"),
    };
    let v = judge(&spec(), &asked(served));
    assert!(v.passed, "{}", v.actual);
    assert_eq!(
        v.expected,
        "a change to site/index.html shows at http://127.0.0.1:18997/ without rebuilding or restarting"
    );
    assert_eq!(v.actual, "200, the change was served");
    for engine in ENGINES {
        let v = judge(&spec(), &asked(probe(engine, "answers")));
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual,
            "200, but still the old content: the container serves a copy, not your folder"
        );
        assert!(v.advice.unwrap().contains("a bind mount"));
    }
}

#[test]
fn no_answer_is_told_as_each_engine_gave_it() {
    for engine in ENGINES {
        let v = judge(&spec(), &asked(probe(engine, "nothing_listens")));
        assert!(!v.passed, "{engine}");
        if is_podman(engine) {
            assert_eq!(v.actual, "nothing answers on 127.0.0.1:18997");
        } else {
            assert!(
                v.actual.starts_with("no HTTP answer on 127.0.0.1:18997 ("),
                "{engine}: {}",
                v.actual
            );
        }
        let v = judge(&spec(), &asked(probe(engine, "unpublished")));
        assert_eq!(v.actual, "nothing answers on 127.0.0.1:18997", "{engine}");
    }
}

#[test]
fn a_missing_file_fails_naming_it() {
    let v = judge(
        &spec(),
        &Reloaded::NoFile {
            host: "192.168.1.20".into(),
        },
    );
    assert!(!v.passed);
    assert_eq!(
        v.expected,
        "a change to site/index.html shows at http://192.168.1.20:18997/ without rebuilding or restarting"
    );
    assert_eq!(
        v.actual,
        "there is no site/index.html in the exercise folder"
    );
}
