//! Unit tests of the `recreate` check's judgements (no daemon).

use super::*;

fn member(service: &str, running: bool) -> Member {
    Member {
        id: format!("id-{service}"),
        service: service.into(),
        running,
        ..Default::default()
    }
}

fn spec(toml_text: &str) -> RecreateCheck {
    toml::from_str(toml_text).unwrap()
}

#[test]
fn the_spec_is_refused_when_half_a_note_is_given() {
    let ok = spec("project = \"p\"\nhost_port = 18000\nwrite = \"/add?{marker}\"");
    assert_eq!(ok.problem(), None);
    assert_eq!(ok.read, "/");
    assert_eq!(spec("project = \"p\"\nup = [\"web\"]").problem(), None);
    let half = spec("project = \"p\"\nhost_port = 18000");
    assert!(half.problem().unwrap().contains("together"));
    let no_marker = spec("project = \"p\"\nhost_port = 18000\nwrite = \"/add?x\"");
    assert!(no_marker.problem().unwrap().contains("{marker}"));
    assert!(spec("project = \"\"").problem().is_some());
    assert!(spec("project = \"p\"\nup = [\"\"]").problem().is_some());
    assert!(toml::from_str::<RecreateCheck>("project = \"p\"\ndown = true").is_err());
}

#[test]
fn expectation_says_what_is_done() {
    let e = expectation(&spec(
        "project = \"p\"\nhost_port = 18000\nwrite = \"/add?{marker}\"",
    ));
    assert_eq!(e, "a note kept through port 18000 is still served at / after project p is taken down (its containers removed, its volumes kept) and brought up again with `up -d`");
    let e = expectation(&spec("project = \"p\"\nup = [\"web\"]"));
    assert_eq!(e, "after project p is taken down (its containers removed, its volumes kept), `up -d web` brings back every service that ran");
}

#[test]
fn a_project_that_is_not_up_cannot_be_recreated() {
    let f = judge_before("p", &[], &[]).unwrap_err();
    assert_eq!(f.actual, "no containers belong to project p");
    assert!(f.advice.unwrap().contains("docker compose -p p up -d"));
    let f = judge_before("p", &[member("api", false)], &[]).unwrap_err();
    assert!(
        f.actual.contains("none of project p's containers runs"),
        "{}",
        f.actual
    );
    let both = [member("api", true), member("web", true)];
    let f = judge_before("p", &both, &["front".into()]).unwrap_err();
    assert_eq!(
        f.actual,
        "project p has no service front (services: api, web)"
    );
    assert!(judge_before("p", &both, &["web".into()]).is_ok());
}

#[test]
fn a_service_without_a_container_after_up_names_what_starts_it() {
    let wanted = vec!["api".to_string(), "web".to_string()];
    let only_web = [member("web", true)];
    assert_eq!(
        judge_back(&wanted, &only_web),
        Back::NotCreated(vec!["api".into()])
    );
    let starting = [member("web", true), member("api", false)];
    assert_eq!(
        judge_back(&wanted, &starting),
        Back::NotRunning(vec!["api".into()])
    );
    let all = [member("web", true), member("api", true)];
    assert_eq!(judge_back(&wanted, &all), Back::All(wanted.clone()));
    let f = not_created(
        &["api".into()],
        &only_web,
        &["web".into()],
        "docker-compose -p p up -d web",
    );
    assert_eq!(
        f.actual,
        "after `docker-compose -p p up -d web`, api did not come back: no container (running: web)"
    );
    assert_eq!(
        f.advice.unwrap(),
        "Compose starts the services you name, and the services they depend on: nothing tells it that web needs api."
    );
    let f = not_created(&["api".into()], &[], &[], "docker compose -p p up -d");
    assert!(f.actual.contains("(running: none)"), "{}", f.actual);
    assert!(f.advice.unwrap().contains("config --services"));
}

#[test]
fn a_lost_note_is_told_apart_before_and_after() {
    let n = Note {
        host: "127.0.0.1".into(),
        port: 18000,
        write: "/add?dojo-1".into(),
        read: "/",
        marker: "dojo-1".into(),
    };
    let after = lost(&n, 200, "no notes yet\n", true);
    assert!(
        after
            .actual
            .starts_with("the note dojo-1 is gone: GET / answers 200 without it"),
        "{}",
        after.actual
    );
    assert!(after.advice.unwrap().contains("writable layer"));
    let before = lost(&n, 200, "a fixed page\n", false);
    assert!(
        before
            .actual
            .contains("was taken, but GET / answers 200 without it"),
        "{}",
        before.actual
    );
    assert!(before.advice.is_none());
}
