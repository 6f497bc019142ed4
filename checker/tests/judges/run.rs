//! The `run` judge on what each engine reported: a container that printed two lines and exited 3,
//! one killed for memory, and the daemon's messages for a start whose program is missing and one
//! whose host port is taken.

use checker::checks::run::{judge, Ran, RunCheck, RunExpect};
use checker::docker::logs::tail;
use checker::docker::probe::clashing_port;

use super::fixtures::{inspect, is_podman, json, text, ENGINES};

fn spec(expect: RunExpect, exit_code: Option<i64>) -> RunCheck {
    let mut spec: RunCheck = toml::from_str("").expect("every field has a default");
    spec.expect = expect;
    spec.exit_code = exit_code;
    spec
}

/// How a container ended, as the `run` check's wait reads it from an inspection.
fn exited(engine: &str, file: &str) -> Option<(i64, bool)> {
    let st = inspect(engine, file).state.expect("state");
    assert_ne!(st.running, Some(true), "{engine}/{file} is still running");
    Some((st.exit_code.unwrap_or(-1), st.oom_killed.unwrap_or(false)))
}

/// Container `b`: printed "starting up" and "config.yml: no such file", exited 3.
fn container_b(engine: &str) -> Ran {
    Ran::Started {
        exit: exited(engine, "container-b.json"),
        // As `logs_tail` reads it: up to 2000 lines.
        logs: tail(&text(engine, "container-b.log"), 2000),
    }
}

#[test]
fn an_expected_exit_code_passes_and_another_shows_the_log() {
    for engine in ENGINES {
        let v = judge(&spec(RunExpect::Exits, Some(3)), &container_b(engine));
        assert!(v.passed, "{engine}: {}", v.actual);
        assert_eq!(v.expected, "the container runs and exits with code 3");
        assert_eq!(v.actual, "exited with code 3");
        let v = judge(&spec(RunExpect::Exits, Some(0)), &container_b(engine));
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual, "exit code 3\n--- last log lines ---\nstarting up\nconfig.yml: no such file",
            "{engine}"
        );
        let v = judge(&spec(RunExpect::Exits, None), &container_b(engine));
        assert!(v.passed, "{engine}: any exit code will do");
    }
}

#[test]
fn output_is_read_from_the_log() {
    for engine in ENGINES {
        let mut want = spec(RunExpect::Exits, Some(3));
        want.output_contains = vec!["starting up".into()];
        let v = judge(&want, &container_b(engine));
        assert!(v.passed, "{engine}: {}", v.actual);
        assert_eq!(
            v.expected,
            "the container runs and exits with code 3, printing \"starting up\""
        );
        assert_eq!(
            v.actual,
            "exited with code 3; output: starting up\nconfig.yml: no such file"
        );
        want.output_contains = vec!["listening on 8080".into()];
        let v = judge(&want, &container_b(engine));
        assert!(!v.passed, "{engine}");
        assert_eq!(
            v.actual,
            "exited with code 3; its output was:\nstarting up\nconfig.yml: no such file"
        );
    }
    let mut want = spec(RunExpect::Running, None);
    want.output_contains = vec!["ready".into()];
    let v = judge(
        &want,
        &Ran::Started {
            exit: None,
            logs: String::new(),
        },
    );
    assert!(!v.passed);
    assert_eq!(v.actual, "running; its output was:\n(nothing)");
}

#[test]
fn a_container_that_should_keep_running_but_exits_says_how() {
    for engine in ENGINES {
        let v = judge(&spec(RunExpect::Running, None), &container_b(engine));
        assert!(!v.passed, "{engine}");
        assert_eq!(v.expected, "the container starts and keeps running");
        assert_eq!(
            v.actual,
            "it exited right after starting, code 3\n--- last log lines ---\nstarting up\nconfig.yml: no such file"
        );
    }
    let v = judge(
        &spec(RunExpect::Running, None),
        &Ran::Started {
            exit: Some((127, false)),
            logs: "exec: \"/app/serve\": executable file not found in $PATH\n".into(),
        },
    );
    assert!(
        v.actual.contains("code 127: the command was not found"),
        "{}",
        v.actual
    );
    assert!(v.advice.unwrap().contains("not in the image"));
    let v = judge(
        &spec(RunExpect::Running, None),
        &Ran::Started {
            exit: Some((1, false)),
            logs: String::new(),
        },
    );
    assert!(
        v.actual.ends_with("--- last log lines ---\n(no output)"),
        "{}",
        v.actual
    );
    let v = judge(
        &spec(RunExpect::Running, None),
        &Ran::Started {
            exit: None,
            logs: String::new(),
        },
    );
    assert!(v.passed);
    assert_eq!(v.actual, "running");
}

/// Docker reports a memory kill (OOMKilled, 137); Podman 4.3 reports the 137 but not why, so
/// the learner reads "killed by SIGKILL" there (the `container` check's `oom_killed` is
/// unsupported on Podman for this reason).
#[test]
fn a_memory_kill_is_named_where_the_engine_reports_it() {
    for engine in ENGINES {
        let ran = Ran::Started {
            exit: exited(engine, "run-oom.json"),
            logs: String::new(),
        };
        let v = judge(&spec(RunExpect::Running, None), &ran);
        assert!(!v.passed, "{engine}");
        let want = if is_podman(engine) {
            "code 137: killed by SIGKILL"
        } else {
            "code 137: OOM-killed (it used more memory than its limit)"
        };
        assert!(v.actual.contains(want), "{engine}: {}", v.actual);
    }
}

#[test]
fn a_still_running_container_fails_a_check_that_wants_it_to_exit() {
    let mut want = spec(RunExpect::Exits, Some(0));
    want.within_s = 5.0;
    let v = judge(
        &want,
        &Ran::Started {
            exit: None,
            logs: String::new(),
        },
    );
    assert!(!v.passed);
    assert_eq!(v.actual, "still running after 5 s");
}

/// The message `start()` returns: the create's when it was refused, else the start's.
fn start_error(engine: &str, case: &str) -> String {
    let all: serde_json::Value = json(engine, "start-errors.json");
    let c = &all[case];
    c["create"]["message"]
        .as_str()
        .or(c["start"]["message"].as_str())
        .unwrap_or_else(|| panic!("{engine}: {case} started: {c}"))
        .to_string()
}

#[test]
fn a_missing_program_is_told_in_a_learners_words_on_every_engine() {
    for engine in ENGINES {
        let message = start_error(engine, "missing_program");
        let v = judge(
            &spec(RunExpect::Running, None),
            &Ran::NotStarted {
                message: message.clone(),
                port_holder: None,
            },
        );
        assert!(!v.passed, "{engine}");
        assert!(
            v.actual.starts_with(
                "it did not start: the command to run (CMD/ENTRYPOINT) does not exist in the image."
            ),
            "{engine}: {}",
            v.actual
        );
        assert!(v.actual.contains("/app/server"), "{engine}: {}", v.actual);
        assert!(v.advice.is_none());
    }
}

/// Docker says "Bind for 127.0.0.1:18998 failed: port is already allocated", Podman "listen
/// tcp4 127.0.0.1:18998: bind: address already in use": the port is read from both, and who
/// holds it becomes the advice.
#[test]
fn a_taken_port_is_read_from_every_engines_message() {
    for engine in ENGINES {
        let message = start_error(engine, "port_taken");
        assert_eq!(clashing_port(&message), Some(18998), "{engine}: {message}");
        let holder = "Host port 18998 is held by your container web: stop it.".to_string();
        let v = judge(
            &spec(RunExpect::Running, None),
            &Ran::NotStarted {
                message,
                port_holder: Some(holder.clone()),
            },
        );
        assert!(!v.passed);
        assert!(
            v.actual
                .starts_with("it did not start: a host port it needs is already in use."),
            "{engine}: {}",
            v.actual
        );
        assert_eq!(v.advice, Some(holder));
    }
}
