//! `answer`: the learner's diagnosis in `ANSWER.md`, judged as text (no Docker work, but graded
//! through the same engine and report as every kind).

use checker::report::Status;

use crate::common::{check, grade, Fixture};

fn answer_checks() -> String {
    check(
        "why",
        "answer",
        "question = \"What exit code, and why?\"\n\
         all = [[\"137\"], [\"OOMKilled\", \"OOM\", \"out of memory\"]]\n\
         reject = [\"143\"]",
    )
}

#[tokio::test]
async fn a_right_answer_in_any_words_passes() {
    let fx = Fixture::new();
    fx.write(
        "ANSWER.md",
        "# Why\n\nIt exited with **137**: the kernel's *out-of-memory* killer.\n",
    );
    let g = grade("90-answer-pass", "live", &answer_checks(), fx.path()).await;
    let r = g.passed("why");
    assert_eq!(r.expected, "What exit code, and why?");
    assert!(r.actual.contains("**137**"), "{}", r.actual);
}

#[tokio::test]
async fn no_answer_a_wrong_one_and_two_answers_fail_saying_why() {
    let fx = Fixture::new();
    let g = grade("90-answer-none", "live", &answer_checks(), fx.path()).await;
    g.failed(
        "why",
        &[
            "no answer yet",
            "dockdojo answer 90-answer-none",
            "hint for why",
        ],
    );

    fx.write("ANSWER.md", "exit code 1370, OOM\n");
    let g = grade("90-answer-wrong", "live", &answer_checks(), fx.path()).await;
    let r = g.failed("why", &["not the answer yet", "1 of the 2 things"]);
    assert!(!r.actual.contains("137\""), "{}", r.actual);

    fx.write("ANSWER.md", "137 or 143 - OOMKilled\n");
    let g = grade("90-answer-two", "live", &answer_checks(), fx.path()).await;
    g.failed("why", &["names two answers, 137 and 143"]);
}

#[tokio::test]
async fn an_answer_that_cannot_be_read_is_an_error_not_a_verdict() {
    let fx = Fixture::new();
    // A folder where the file should be: reading it fails for any user, root included.
    std::fs::create_dir_all(fx.path().join("ANSWER.md")).unwrap();
    let g = grade("90-answer-unreadable", "live", &answer_checks(), fx.path()).await;
    let r = g.check("why");
    assert_eq!(r.status(), Status::Error, "{r:?}");
    assert!(r.actual.contains("could not read"), "{}", r.actual);
}

/// A diagnosis asked before the fix gates the checks after it: their results would give the
/// answer away (08-oom's fix checks print "OOMKilled"), so they wait until the answer is right.
#[tokio::test]
async fn checks_after_a_wrong_diagnosis_wait_for_it() {
    let fx = Fixture::new();
    let checks = format!(
        "{}\n{}",
        answer_checks(),
        check(
            "then",
            "answer",
            "question = \"And the signal?\"\naccept = [\"SIGKILL\", \"9\"]",
        )
    );
    let g = grade("90-answer-gate", "live", &checks, fx.path()).await;
    g.failed("why", &["no answer yet"]);
    let r = g.skipped("then");
    assert!(
        r.actual.contains("runs once \"") && !r.actual.contains("SIGKILL"),
        "{}",
        r.actual
    );
    assert!(
        r.hint.contains("Answer the question above first"),
        "{}",
        r.hint
    );

    fx.write("ANSWER.md", "137, the OOM killer\n");
    let g = grade("90-answer-gate-open", "live", &checks, fx.path()).await;
    g.passed("why");
    g.failed("then", &["not the answer yet"]);
}
