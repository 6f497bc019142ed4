//! The `run` check: start a container from a built image and see it keep running, or exit
//! with the wanted code and output.

use crate::checks::{Kind, Makes, Needs};
use std::time::Duration;

use crate::checks::{Ctx, Verdict};
use crate::docker::logs::{logs_of_exited, logs_tail, tail};
use crate::docker::probe::{
    clashing_port, explain_exit, explain_runtime_log, explain_start_error, port_conflict, start,
    wait_exit, ContainerSpec,
};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RunExpect {
    /// Still running after `settle_s` seconds.
    #[default]
    Running,
    /// Exits by itself within `within_s` (with `exit_code` if given).
    Exits,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunCheck {
    #[serde(default = "crate::checks::defaults::default_image")]
    pub image: String,
    /// The handle later checks use for this container.
    #[serde(default = "crate::checks::defaults::default_image")]
    pub name: String,
    /// Container ports to publish on 127.0.0.1 (random host ports).
    #[serde(default)]
    pub ports: Vec<u16>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Override the image's CMD.
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub expect: RunExpect,
    pub exit_code: Option<i64>,
    /// Seconds to wait for the container to exit (`expect = "exits"`).
    #[serde(default = "crate::checks::defaults::default_within")]
    pub within_s: f64,
    /// Seconds the container must stay up (`expect = "running"`, default 1).
    pub settle_s: Option<f64>,
    /// Memory limit in MB (default 256).
    pub memory_mb: Option<u64>,
    /// Text the container's output (stdout and stderr) must contain, read after it exits (or
    /// after `settle_s` when it keeps running).
    #[serde(default)]
    pub output_contains: Vec<String>,
}

impl Kind for RunCheck {
    /// A container started.
    fn weight(&self) -> u32 {
        5
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            image: Some(&self.image),
            ..Needs::default()
        }
    }
    fn makes(&self) -> Makes<'_> {
        Makes {
            container: Some(&self.name),
            ..Makes::default()
        }
    }
}

/// What the `run` check saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Ran {
    /// The container did not start: the daemon's message, and who holds the host port when
    /// the message says it is taken.
    NotStarted {
        message: String,
        port_holder: Option<String>,
    },
    /// It started. `exit`: its exit code and whether it was OOM-killed, once it stopped within
    /// the wait (`None`: still running). `logs`: its output (up to 2000 lines), read when it
    /// stopped or when the spec asks for output.
    Started {
        exit: Option<(i64, bool)>,
        logs: String,
    },
}

/// What the check expects, in words.
fn expectation(spec: &RunCheck) -> String {
    match spec.expect {
        RunExpect::Running => "the container starts and keeps running".to_string(),
        RunExpect::Exits => match spec.exit_code {
            Some(c) => format!("the container runs and exits with code {c}"),
            None => "the container runs and exits".into(),
        },
    }
}

/// The `run` check: start the container (kept as a handle for later checks), wait, then
/// [`judge`] how it ran.
pub async fn check(ctx: &mut Ctx<'_>, spec: &RunCheck) -> Result<Verdict, EnvError> {
    let image = ctx.image_ref(&spec.image);
    let cs = ContainerSpec {
        image,
        cmd: spec.command.clone(),
        env: spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        ports: spec.ports.clone(),
        memory_mb: spec.memory_mb,
        ..Default::default()
    };
    let id = match start(ctx.engine, ctx.exercise, &spec.name, &cs).await? {
        Ok(id) => id,
        Err(message) => {
            let port_holder = match clashing_port(&message) {
                Some(port) => Some(port_conflict(ctx.engine, port).await?),
                None => None,
            };
            let ran = Ran::NotStarted {
                message,
                port_holder,
            };
            return Ok(judge(spec, &ran));
        }
    };
    ctx.containers.insert(spec.name.clone(), id.clone());
    let wait = match spec.expect {
        RunExpect::Running => spec.settle_s.unwrap_or(1.0),
        RunExpect::Exits => spec.within_s,
    };
    let exit = wait_exit(ctx.engine, &id, Duration::from_secs_f64(wait)).await?;
    let logs = if exit.is_some() {
        logs_of_exited(ctx.engine, &id, 2000).await
    } else if !spec.output_contains.is_empty() {
        logs_tail(ctx.engine, &id, 2000).await
    } else {
        String::new()
    };
    Ok(judge(spec, &Ran::Started { exit, logs }))
}

/// The verdict on how the container ran (no I/O).
pub fn judge(spec: &RunCheck, ran: &Ran) -> Verdict {
    let expected = expectation(spec);
    let (exit, logs) = match ran {
        Ran::NotStarted {
            message,
            port_holder,
        } => {
            let v = Verdict::fail(
                expected,
                format!("it did not start: {}", explain_start_error(message)),
            );
            return match port_holder {
                Some(advice) => v.advise(advice.clone()),
                None => v,
            };
        }
        Ran::Started { exit, logs } => (*exit, logs.as_str()),
    };
    let last = tail(logs, 5);
    let with_log_advice = |v: Verdict| match explain_runtime_log(&last) {
        Some(a) => v.advise(a),
        None => v,
    };
    match (spec.expect, exit) {
        (RunExpect::Running, None) => output_verdict(spec, expected, "running".into(), logs),
        (RunExpect::Running, Some((code, oom))) => with_log_advice(Verdict::fail(
            expected,
            format!(
                "it exited right after starting, code {}\n--- last log lines ---\n{}",
                explain_exit(code, oom),
                if last.is_empty() {
                    "(no output)"
                } else {
                    last.as_str()
                }
            ),
        )),
        (RunExpect::Exits, None) => {
            Verdict::fail(expected, format!("still running after {} s", spec.within_s))
        }
        (RunExpect::Exits, Some((code, oom))) => match spec.exit_code {
            Some(want) if want != code => with_log_advice(Verdict::fail(
                expected,
                format!(
                    "exit code {}\n--- last log lines ---\n{last}",
                    explain_exit(code, oom)
                ),
            )),
            _ => output_verdict(spec, expected, format!("exited with code {code}"), logs),
        },
    }
}

/// A run that went as expected: pass, unless its output lacks a text the spec asks for.
fn output_verdict(spec: &RunCheck, mut expected: String, actual: String, logs: &str) -> Verdict {
    if spec.output_contains.is_empty() {
        return Verdict::pass(expected, actual);
    }
    for s in &spec.output_contains {
        expected.push_str(&format!(", printing \"{s}\""));
    }
    match spec
        .output_contains
        .iter()
        .find(|s| !logs.contains(s.as_str()))
    {
        None => Verdict::pass(expected, format!("{actual}; output: {}", tail(logs, 3))),
        Some(_) => Verdict::fail(
            expected,
            format!(
                "{actual}; its output was:\n{}",
                if logs.is_empty() {
                    "(nothing)".to_string()
                } else {
                    tail(logs, 6)
                }
            ),
        ),
    }
}
