//! The ownership model: every resource dockdojo creates carries these labels, and nothing without
//! them is ever removed. Lookups filter by label on the daemon *and* re-check on the client, because
//! some runtimes ignore label filters and return everything.

use std::collections::HashMap;

/// Present on everything dockdojo creates.
pub const MANAGED: &str = "io.dockdojo.managed";
/// The run (session) that created the resource, a UUID.
pub const SESSION: &str = "io.dockdojo.session";
/// The exercise the resource belongs to.
pub const EXERCISE: &str = "io.dockdojo.exercise";
/// `<host>/<pid>` of the dockdojo process that owns the session: the startup sweep removes the
/// resources of sessions whose process is gone (judged only on the same host).
pub const OWNER: &str = "io.dockdojo.owner";
/// On course base images built locally instead of pulled: the reference they stand in for.
///
/// Base images deliberately do NOT carry [`MANAGED`]: labels are inherited, so every image a
/// learner builds `FROM` a stand-in, and every container run from it, would look like dockdojo's.
/// A base image is recognised by this label naming one of the image's own tags.
pub const STANDIN: &str = "io.dockdojo.standin";

/// True when a resource's labels say a dockdojo run created it: the managed flag and a session.
pub fn is_managed(labels: Option<&HashMap<String, String>>) -> bool {
    labels.is_some_and(|l| l.get(MANAGED).is_some_and(|v| v == "true") && l.contains_key(SESSION))
}

/// True when the labels say the resource belongs to `session`.
pub fn in_session(labels: Option<&HashMap<String, String>>, session: &str) -> bool {
    is_managed(labels)
        && labels
            .and_then(|l| l.get(SESSION))
            .is_some_and(|v| v == session)
}

/// The daemon-side filter for managed resources (always re-checked with [`is_managed`]).
pub fn managed_filter() -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![format!("{MANAGED}=true")])])
}

/// The daemon-side filter for one session's resources: its session label alone (what comes
/// back is re-checked with [`is_managed`] and the session on the client). One label, because
/// Podman 4.3 answers an image or container list filtered by two labels with nothing, even for
/// items that carry both: that left a run's images behind.
pub fn session_filter(session: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![format!("{SESSION}={session}")])])
}

/// Labels for a course base image stand-in (kept between runs; `clean --all` removes it).
pub fn base_image_labels(standin_for: &str) -> HashMap<String, String> {
    HashMap::from([(STANDIN.to_string(), standin_for.to_string())])
}

/// Is this image a base-image stand-in dockdojo built? Its stand-in label names one of its tags.
pub fn is_standin(labels: Option<&HashMap<String, String>>, repo_tags: &[String]) -> bool {
    labels
        .and_then(|l| l.get(STANDIN))
        .is_some_and(|s| repo_tags.iter().any(|t| t == s))
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_session_is_listed_by_one_label_filter() {
        // Podman 4.3 lists nothing for two label filters; the client re-checks the rest.
        let f = session_filter("s-1");
        assert_eq!(f["label"], vec!["io.dockdojo.session=s-1".to_string()]);
        assert_eq!(managed_filter()["label"].len(), 1);
    }

    use super::*;

    #[test]
    fn managed_needs_the_exact_label() {
        let mut l = HashMap::new();
        assert!(!is_managed(None));
        assert!(!is_managed(Some(&l)));
        l.insert(MANAGED.to_string(), "false".to_string());
        assert!(!is_managed(Some(&l)));
        l.insert(MANAGED.to_string(), "true".to_string());
        assert!(!is_managed(Some(&l)), "a session is required too");
        assert!(!in_session(Some(&l), "abc"));
        l.insert(SESSION.to_string(), "abc".to_string());
        assert!(is_managed(Some(&l)));
        assert!(in_session(Some(&l), "abc"));
        assert!(!in_session(Some(&l), "abd"));
    }
}

#[cfg(test)]
mod standin_tests {
    use super::*;

    #[test]
    fn a_standin_must_name_its_own_tag() {
        let l = base_image_labels("busybox:1.36.1");
        assert!(!is_managed(Some(&l)), "base images are never 'managed'");
        assert!(is_standin(Some(&l), &["busybox:1.36.1".into()]));
        // A learner's image built FROM the stand-in inherits the label, not the tag.
        assert!(!is_standin(Some(&l), &["myapp:1".into()]));
    }
}
