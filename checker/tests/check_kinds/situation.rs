//! `situation`: what a scenario's setup arranged still exists; a check that finds it gone offers
//! `dockdojo setup` and the checks after it wait.

use crate::common::{check, grade, Fixture, Live, BASE};

#[tokio::test]
async fn what_setup_made_is_there_or_named_as_gone() {
    let mut live = Live::new();
    // A stopped container is still there: only existence counts.
    let kept = live.run_to_exit("kept", &[BASE, "true"]);
    let net = live.network("net");
    let vol = live.volume("vol");
    let gone = live.name("gone");
    let checks = [
        check(
            "all-there",
            "situation",
            &format!(
                "containers = [\"{kept}\"]\nnetworks = [\"{net}\"]\nvolumes = [\"{vol}\"]\nimages = [\"{BASE}\"]"
            ),
        ),
        check(
            "one-gone",
            "situation",
            &format!("containers = [\"{kept}\", \"{gone}\"]"),
        ),
        // Never reached: the failed situation above stops the checks after it.
        check("after", "situation", &format!("images = [\"{BASE}\"]")),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-situation", "scenario", &checks, fx.path()).await;
    let r = g.passed("all-there");
    assert!(
        r.expected.contains(&format!("the container {kept}")),
        "{}",
        r.expected
    );
    g.failed(
        "one-gone",
        &[
            &format!("the container {gone} is gone"),
            "`dockdojo setup 90-situation` arranges the situation again",
        ],
    );
    let r = g.skipped("after");
    assert!(r.actual.contains("not run yet"), "{}", r.actual);
    assert!(r.hint.contains("Fix the check above first"), "{}", r.hint);
}
