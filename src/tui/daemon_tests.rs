use super::*;
use bollard::models::EventActor;

fn msg(typ: EventMessageTypeEnum, action: &str, id: &str, attrs: &[(&str, &str)]) -> EventMessage {
    EventMessage {
        typ: Some(typ),
        action: Some(action.into()),
        actor: Some(EventActor {
            id: Some(id.into()),
            attributes: Some(
                attrs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        }),
        ..EventMessage::default()
    }
}

fn watched() -> Watched {
    vec![(
        "05-named-volume".to_string(),
        Live {
            containers: vec!["dojo-notes".into()],
            volumes: vec!["dojo-notes-data".into()],
            networks: vec!["dojo-net".into()],
            images: vec!["dojo-web:v1".into()],
            ..Live::default()
        },
    )]
}

#[test]
fn the_learners_names_are_hits() {
    let mut seen = Seen::default();
    let w = watched();
    let hit = relevant(
        &msg(
            EventMessageTypeEnum::CONTAINER,
            "destroy",
            "c1",
            &[("name", "dojo-notes")],
        ),
        &w,
        &mut seen,
    )
    .unwrap();
    assert_eq!(hit.exercises, vec!["05-named-volume"]);
    assert_eq!(hit.subject, "container dojo-notes");
    assert!(!hit.exec);
    let vol = relevant(
        &msg(
            EventMessageTypeEnum::VOLUME,
            "create",
            "dojo-notes-data",
            &[],
        ),
        &w,
        &mut seen,
    );
    assert_eq!(vol.unwrap().subject, "volume dojo-notes-data");
    let img = relevant(
        &msg(
            EventMessageTypeEnum::IMAGE,
            "tag",
            "sha256:1",
            &[("name", "dojo-web:v1")],
        ),
        &w,
        &mut seen,
    );
    assert!(img.is_some());
    let exec = relevant(
        &msg(
            EventMessageTypeEnum::CONTAINER,
            "exec_die",
            "c1",
            &[("name", "dojo-notes")],
        ),
        &w,
        &mut seen,
    );
    assert!(exec.unwrap().exec);
}

#[test]
fn other_names_and_our_own_probes_are_not() {
    let mut seen = Seen::default();
    let w = watched();
    let other = msg(
        EventMessageTypeEnum::CONTAINER,
        "start",
        "c2",
        &[("name", "my-app")],
    );
    assert_eq!(relevant(&other, &w, &mut seen), None);
    // A dockdojo probe mounting the learner's volume: labelled, so ignored, and remembered.
    let probe = msg(
        EventMessageTypeEnum::CONTAINER,
        "create",
        "probe1",
        &[("name", "dojo-notes"), (checker::labels::MANAGED, "true")],
    );
    assert_eq!(relevant(&probe, &w, &mut seen), None);
    let join = msg(
        EventMessageTypeEnum::NETWORK,
        "connect",
        "n1",
        &[("name", "dojo-net"), ("container", "probe1")],
    );
    assert_eq!(relevant(&join, &w, &mut seen), None);
    let learner_join = msg(
        EventMessageTypeEnum::NETWORK,
        "connect",
        "n1",
        &[("name", "dojo-net"), ("container", "learner1")],
    );
    assert!(relevant(&learner_join, &w, &mut seen).is_some());
}

#[test]
fn mounting_an_existing_volume_is_no_change() {
    let mut seen = Seen::default();
    let w = watched();
    let create = msg(
        EventMessageTypeEnum::VOLUME,
        "create",
        "dojo-notes-data",
        &[],
    );
    assert!(relevant(&create, &w, &mut seen).is_some(), "a new volume");
    // dockdojo's probe (or any container) mounting it: the daemon says `create` again.
    assert_eq!(relevant(&create, &w, &mut seen), None);
    let destroy = msg(
        EventMessageTypeEnum::VOLUME,
        "destroy",
        "dojo-notes-data",
        &[],
    );
    assert!(relevant(&destroy, &w, &mut seen).is_some());
    assert!(relevant(&create, &w, &mut seen).is_some(), "created anew");
}

#[test]
fn a_burst_reads_as_one_line() {
    let mut b = Burst::default();
    let mut seen = Seen::default();
    let w = watched();
    for (t, a, id, name) in [
        (
            EventMessageTypeEnum::VOLUME,
            "create",
            "dojo-notes-data",
            "",
        ),
        (
            EventMessageTypeEnum::CONTAINER,
            "create",
            "c1",
            "dojo-notes",
        ),
        (EventMessageTypeEnum::CONTAINER, "start", "c1", "dojo-notes"),
        (EventMessageTypeEnum::CONTAINER, "die", "c1", "dojo-notes"),
        (EventMessageTypeEnum::CONTAINER, "die", "c1", "dojo-notes"),
    ] {
        let attrs: Vec<(&str, &str)> = if name.is_empty() {
            vec![]
        } else {
            vec![("name", name)]
        };
        b.add(relevant(&msg(t, a, id, &attrs), &w, &mut seen).unwrap());
    }
    match b.into_event() {
        Event::Daemon {
            exercises,
            what,
            exec_only,
            ..
        } => {
            assert_eq!(exercises, vec!["05-named-volume"]);
            assert_eq!(
                what,
                "volume dojo-notes-data: create; container dojo-notes: create, start, die"
            );
            assert!(!exec_only);
        }
        other => panic!("{other:?}"),
    }
}
