//! The `restart` judge on containers capture.sh ran on each engine: one with `on-failure:3`
//! before its process failed and after its policy brought it back, one with no policy that
//! stayed down.

use checker::checks::restart::{judge, RestartCheck, Restarted, Seen};

use super::fixtures::{inspect, ENGINES};

fn spec() -> RestartCheck {
    toml::from_str("container = \"dojo-api\"\ntrigger = [\"touch\", \"/tmp/crash\"]\nwithin_s = 10")
        .expect("spec")
}

fn seen(engine: &str, which: &str) -> Seen {
    Seen::from_inspect(&inspect(engine, &format!("restart-{which}.json")))
}

#[test]
fn every_engine_reports_the_restart_the_same_way() {
    for engine in ENGINES {
        let (before, after, down) = (
            seen(engine, "before"),
            seen(engine, "after"),
            seen(engine, "down"),
        );
        assert!(
            before.running && !before.restarting && before.restart_count == 0,
            "{engine}: {before:?}"
        );
        assert_eq!(before.policy, "on-failure", "{engine}");
        assert!(
            after.running && after.restart_count == 1,
            "{engine}: {after:?}"
        );
        assert_ne!(after.started_at, before.started_at, "{engine}");
        assert!(!down.running && down.exit_code == 1, "{engine}: {down:?}");
        assert_eq!(down.policy, "no", "{engine}");
    }
}

#[test]
fn a_container_brought_back_passes() {
    for engine in ENGINES {
        let before = seen(engine, "before");
        // Inspections while it was down, then back up.
        let mut crashed = before.clone();
        crashed.running = false;
        crashed.exit_code = 1;
        let r = Restarted::Settled {
            before: before.clone(),
            after: vec![before.clone(), crashed, seen(engine, "after")],
        };
        let v = judge(&spec(), &r);
        assert!(v.passed, "{engine}: {}", v.actual);
        assert_eq!(
            v.expected,
            "after its process fails, dojo-api is restarted by Docker within 10 s"
        );
        assert_eq!(v.actual, "restarted (restart count 1)");
    }
}

#[test]
fn a_container_that_stays_down_names_its_policy() {
    for engine in ENGINES {
        let r = Restarted::Settled {
            before: seen(engine, "before"),
            after: vec![seen(engine, "down")],
        };
        let v = judge(&spec(), &r);
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual,
            "dojo-api stopped (exit code 1) and stayed down; its restart policy is `no`"
        );
    }
}

#[test]
fn a_trigger_that_did_nothing_is_told() {
    for engine in ENGINES {
        let before = seen(engine, "before");
        let r = Restarted::Settled {
            before: before.clone(),
            after: vec![before.clone(), before],
        };
        let v = judge(&spec(), &r);
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual,
            "dojo-api kept running: the trigger did not make it fail"
        );
    }
}

#[test]
fn a_container_missing_stopped_or_crash_looping_beforehand_fails() {
    let v = judge(&spec(), &Restarted::NoContainer);
    assert!(!v.passed);
    assert_eq!(v.actual, "there is no container named dojo-api");
    for engine in ENGINES {
        let v = judge(
            &spec(),
            &Restarted::Settled {
                before: seen(engine, "down"),
                after: vec![],
            },
        );
        assert!(!v.passed, "{engine}");
        assert_eq!(v.actual, "dojo-api is not running");
    }
    let v = judge(&spec(), &Restarted::KeptRestarting);
    assert!(!v.passed);
    assert!(
        v.actual
            .starts_with("dojo-api was still being restarted after 10 s"),
        "{}",
        v.actual
    );
    let v = judge(&spec(), &Restarted::Removed);
    assert!(!v.passed);
    assert_eq!(
        v.actual,
        "dojo-api was removed while it was being restarted"
    );
}

#[test]
fn an_on_failure_cap_already_used_is_not_crashed_again_and_passes() {
    for engine in ENGINES {
        // `on-failure:3`, restarted three times by earlier crashes (each check crashes it once).
        let mut used = seen(engine, "after");
        assert_eq!(used.max_retries, 3, "{engine}: {used:?}");
        assert!(!used.cap_used(), "{engine}: one restart of three");
        used.restart_count = 3;
        assert!(used.cap_used(), "{engine}");
        let v = judge(&spec(), &Restarted::CapUsed(used.clone()));
        assert!(v.passed, "{engine}: {}", v.actual);
        assert_eq!(
            v.actual,
            "restarted 3 times already, all its `on-failure:3` policy allows, so it was not \
             crashed again: after one more failure Docker would leave it down, until `docker \
             restart dojo-api` sets the count back to 0"
        );
        // Had it been crashed anyway, it would have stayed down: the message says why.
        let mut down = used;
        down.running = false;
        down.exit_code = 1;
        let v = judge(
            &spec(),
            &Restarted::Settled {
                before: seen(engine, "after"),
                after: vec![down],
            },
        );
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual,
            "dojo-api stopped (exit code 1) and stayed down; its restart policy is \
             `on-failure:3` (it had been restarted 3 times, all that policy allows)"
        );
    }
}

/// A trigger that cannot run in the container (a read-only filesystem) tests no policy: the
/// verdict says so, not that the app "kept running" on its own.
#[test]
fn a_trigger_that_could_not_run_is_told() {
    let out = checker::docker::exec::Output {
        code: 1,
        stdout: String::new(),
        stderr: "touch: /tmp/crash: Read-only file system\n".into(),
    };
    let v = judge(&spec(), &Restarted::TriggerFailed(out));
    assert!(!v.passed);
    assert_eq!(
        v.actual,
        "dojo-api kept running: the check's trigger `touch /tmp/crash` could not run in it (exit 1: touch: /tmp/crash: Read-only file system)"
    );
    assert!(v.advice.unwrap().contains("--read-only"));
}
