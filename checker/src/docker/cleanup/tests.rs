use super::*;

/// A `/containers/json?filters={"label":["io.dockdojo.managed=true"]}` answer from a daemon
/// that ignored the filter (podman#8860): a learner's container, one with only a look-alike
/// label, one of another session, and one of ours.
const IGNORED_FILTER_LIST: &str = r#"[
      {"Id": "aaa", "Names": ["/learners-db"], "Labels": {"app": "db"}},
      {"Id": "bbb", "Names": ["/dockdojo-lookalike"], "Labels": {"io.dockdojo.managed": "false", "io.dockdojo.session": "s1"}},
      {"Id": "ccc", "Names": ["/other-run"], "Labels": {"io.dockdojo.managed": "true", "io.dockdojo.session": "s2"}},
      {"Id": "ddd", "Names": ["/ours"], "Labels": {"io.dockdojo.managed": "true", "io.dockdojo.session": "s1"}},
      {"Id": "eee", "Names": ["/no-labels"]}
    ]"#;

#[test]
fn a_list_that_ignored_the_label_filter_is_rechecked() {
    let list: Vec<bollard::models::ContainerSummary> =
        serde_json::from_str(IGNORED_FILTER_LIST).expect("a container list");
    let (picked, foreign) = select(list, |c| c.labels.as_ref(), &Scope::Session("s1".into()));
    let ids: Vec<_> = picked.iter().filter_map(|c| c.id.as_deref()).collect();
    assert_eq!(ids, ["ddd"], "only this session's labelled container");
    assert!(foreign, "the unlabelled answers are noticed");
}

#[test]
fn clean_takes_every_session_but_nothing_unlabelled() {
    let list: Vec<bollard::models::Volume> = serde_json::from_str(
        r#"[{"Name": "learner-data", "Driver": "local", "Mountpoint": "/x", "Labels": {}, "Scope": "local", "Options": {}},
                {"Name": "dockdojo-v", "Driver": "local", "Mountpoint": "/y", "Scope": "local", "Options": {},
                 "Labels": {"io.dockdojo.managed": "true", "io.dockdojo.session": "s9"}}]"#,
    )
    .expect("a volume list");
    let (picked, foreign) = select(list, |v| Some(&v.labels), &Scope::AllButBase);
    let names: Vec<_> = picked.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["dockdojo-v"]);
    assert!(foreign);
}

#[test]
fn check_tags_in_any_spelling() {
    assert!(is_check_tag("dockdojo-check/03-x:abcd1234-app"));
    assert!(is_check_tag("docker.io/dockdojo-check/03-x:abcd1234-app"));
    assert!(!is_check_tag("myapp:1"));
    assert!(!is_check_tag("quay.io/dockdojo-check/x:1"));
}

#[test]
fn an_image_already_gone_counts_as_removed() {
    assert!(is_gone(
        "No such image: dockdojo-check/03-cache-order:4864eefc-app"
    ));
    assert!(is_gone(
        "failed to find image sha256:20615394c17a: docker.io/library/sha256:20615394c17a: \
         image not known"
    ));
    assert!(!is_gone(
        "conflict: unable to remove repository reference (must force) - container 1a2b is using \
         its referenced image"
    ));
    assert!(!is_in_use("image not known"));
}
