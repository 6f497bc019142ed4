//! `stop`: a real `docker stop`, timed, and the exit code it left.

use crate::common::{check, grade, Fixture, Live, BASE};

/// PID 1 is a shell that traps SIGTERM and exits at once.
const TRAPS_TERM: &str = "trap 'echo bye; exit 0' TERM; sleep 1000 & wait";

#[tokio::test]
async fn stop_of_a_process_that_handles_sigterm_is_quick() {
    let fx = Fixture::new();
    fx.dockerfile(&format!("CMD [\"sh\", \"-c\", \"{TRAPS_TERM}\"]\n"));
    let checks = [
        check("build", "build", ""),
        check("run", "run", "name = \"svc\""),
        check(
            "stop",
            "stop",
            "container = \"svc\"\nmax_seconds = 3\ntimeout_s = 10",
        ),
    ]
    .concat();
    let g = grade("90-stop-ok", "build", &checks, fx.path()).await;
    let r = g.passed("stop");
    let took: f64 = r
        .actual
        .strip_prefix("stopped in ")
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {:?}", r.actual));
    assert!(took < 2.0, "a trapped SIGTERM took {took} s");
    assert!(r.actual.contains("exit code 0"), "{}", r.actual);
}

#[tokio::test]
async fn stop_of_a_pid_1_that_ignores_sigterm_fails() {
    let mut live = Live::new();
    // `sh -c 'sleep 1000'` execs sleep as PID 1, which has no SIGTERM handler: the kernel
    // ignores the signal and Docker kills it after the timeout.
    let stubborn = live.run("stubborn", &[BASE, "sh", "-c", "sleep 1000"]);
    let exits_3 = live.run(
        "exits3",
        &[BASE, "sh", "-c", "trap 'exit 3' TERM; sleep 1000 & wait"],
    );
    let stopped = live.run_to_exit("stopped", &[BASE, "true"]);
    let missing = live.name("missing");
    let stop = |c: &str, more: &str| {
        format!("container = \"{c}\"\nmax_seconds = 5\ntimeout_s = 2\n{more}")
    };
    let checks = [
        check("ignores-term", "stop", &stop(&stubborn, "")),
        check("wrong-code", "stop", &stop(&exits_3, "")),
        check("not-running", "stop", &stop(&stopped, "")),
        check("missing", "stop", &stop(&missing, "")),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-stop-fail", "live", &checks, fx.path()).await;
    g.failed(
        "ignores-term",
        &[
            "finishes within 5 s with exit code 0 or 143",
            "exit code 137: killed by SIGKILL",
            "did not handle SIGTERM",
            "`docker stop` signals PID 1 only",
        ],
    );
    let r = g.failed("wrong-code", &["exit code 3"]);
    assert!(!r.hint.contains("did not handle SIGTERM"), "{}", r.hint);
    g.failed(
        "not-running",
        &[&format!(
            "{stopped} was not running, so it could not be stopped"
        )],
    );
    g.failed(
        "missing",
        &[&format!("there is no container named {missing}")],
    );
}

#[tokio::test]
async fn stop_that_is_graceful_but_slow_is_not_called_a_sigkill() {
    let mut live = Live::new();
    let slow = live.run(
        "slow",
        &[
            BASE,
            "sh",
            "-c",
            "trap 'sleep 2; exit 0' TERM; sleep 1000 & wait",
        ],
    );
    let checks = check(
        "slow",
        "stop",
        &format!("container = \"{slow}\"\nmax_seconds = 1\ntimeout_s = 10"),
    );
    let fx = Fixture::new();
    let g = grade("90-stop-slow", "live", &checks, fx.path()).await;
    let r = g.failed("slow", &["exit code 0"]);
    assert!(!r.hint.contains("did not handle SIGTERM"), "{}", r.hint);
}
