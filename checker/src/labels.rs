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
/// The pid of the dockdojo process that owns the session (used by the startup sweep).
pub const PID: &str = "io.dockdojo.pid";
/// What the resource is for: `check` (temporary, removed after the run) or `base` (a course image
/// kept between runs).
pub const ROLE: &str = "io.dockdojo.role";
/// The host that ran the session (the sweep only judges sessions of its own host).
pub const HOST: &str = "io.dockdojo.host";
/// On base images built locally instead of pulled: what they stand in for.
pub const STANDIN: &str = "io.dockdojo.standin";

/// True when a resource's labels say dockdojo created it.
pub fn is_managed(labels: Option<&HashMap<String, String>>) -> bool {
    labels
        .and_then(|l| l.get(MANAGED))
        .is_some_and(|v| v == "true")
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

/// Labels for a course base image (kept between runs; `clean --all` removes it).
pub fn base_image_labels(standin_for: Option<&str>) -> HashMap<String, String> {
    let mut l = HashMap::from([
        (MANAGED.to_string(), "true".to_string()),
        (ROLE.to_string(), "base".to_string()),
    ]);
    if let Some(s) = standin_for {
        l.insert(STANDIN.to_string(), s.to_string());
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_needs_the_exact_label() {
        let mut l = HashMap::new();
        assert!(!is_managed(None));
        assert!(!is_managed(Some(&l)));
        l.insert(MANAGED.to_string(), "false".to_string());
        assert!(!is_managed(Some(&l)));
        l.insert(MANAGED.to_string(), "true".to_string());
        assert!(is_managed(Some(&l)));
        assert!(!in_session(Some(&l), "abc"));
        l.insert(SESSION.to_string(), "abc".to_string());
        assert!(in_session(Some(&l), "abc"));
        assert!(!in_session(Some(&l), "abd"));
    }
}
