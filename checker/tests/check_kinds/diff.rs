//! `diff`: files a container added or changed in its writable layer (`docker diff`).

use crate::common::{check, grade, wait_until_exec, Fixture, Live, BASE};

#[tokio::test]
async fn diff_of_a_live_container() {
    let mut live = Live::new();
    let writer = live.run(
        "writer",
        &[BASE, "sh", "-c", "echo x > /tmp/made.txt; exec sleep 1000"],
    );
    wait_until_exec(&writer, "test -f /tmp/made.txt");
    let missing = live.name("missing");
    let on = |c: &str, more: &str| format!("container = \"{c}\"\n{more}");
    let checks = [
        check(
            "changed",
            "diff",
            &on(
                &writer,
                "changed = [\"/tmp/made.txt\"]\nunchanged = [\"/etc/passwd\"]",
            ),
        ),
        check(
            "not-changed",
            "diff",
            &on(&writer, "changed = [\"/etc/app.conf\"]"),
        ),
        check(
            "not-unchanged",
            "diff",
            &on(&writer, "unchanged = [\"/tmp/made.txt\"]"),
        ),
        check(
            "missing",
            "diff",
            &on(&missing, "changed = [\"/tmp/made.txt\"]"),
        ),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-diff", "live", &checks, fx.path()).await;
    assert!(g.passed("changed").actual.contains("/tmp/made.txt"));
    g.failed(
        "not-changed",
        &[&format!(
            "{writer} has no /etc/app.conf in its writable layer (changes: /tmp, /tmp/made.txt)"
        )],
    );
    g.failed(
        "not-unchanged",
        &[&format!(
            "{writer} has /tmp/made.txt in its own writable layer"
        )],
    );
    g.failed(
        "missing",
        &[&format!("there is no container named {missing}")],
    );
}

#[tokio::test]
async fn diff_of_a_run_handle() {
    let fx = Fixture::new();
    fx.dockerfile("CMD [\"sh\", \"-c\", \"echo v1 > /tmp/state; exec sleep 1000\"]\n");
    let checks = [
        check("build", "build", ""),
        check("run", "run", "name = \"svc\""),
        check(
            "changed",
            "diff",
            "container = \"svc\"\nchanged = [\"/tmp/state\"]",
        ),
        check(
            "unchanged",
            "diff",
            "container = \"svc\"\nunchanged = [\"/tmp/state\"]",
        ),
    ]
    .concat();
    let g = grade("90-diff-run", "build", &checks, fx.path()).await;
    g.passed("changed");
    g.failed(
        "unchanged",
        &["svc has /tmp/state in its own writable layer"],
    );
}
