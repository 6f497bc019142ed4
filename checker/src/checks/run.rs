//! The `run` check: start a container from a built image and see it keep running, or exit
//! with the wanted code and output.

use crate::checks::{Kind, Makes, Needs};
use std::time::Duration;

use crate::checks::{Ctx, Verdict};
use crate::docker::logs::{logs_tail, tail};
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

/// The `run` check.
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
    let expected = match spec.expect {
        RunExpect::Running => "the container starts and keeps running".to_string(),
        RunExpect::Exits => match spec.exit_code {
            Some(c) => format!("the container runs and exits with code {c}"),
            None => "the container runs and exits".into(),
        },
    };
    let id = match start(ctx.engine, ctx.exercise, &spec.name, &cs).await? {
        Ok(id) => id,
        Err(msg) => {
            let v = Verdict::fail(
                expected,
                format!("it did not start: {}", explain_start_error(&msg)),
            );
            return Ok(match clashing_port(&msg) {
                Some(port) => v.advise(port_conflict(ctx.engine, port).await?),
                None => v,
            });
        }
    };
    ctx.containers.insert(spec.name.clone(), id.clone());
    match spec.expect {
        RunExpect::Running => {
            let settle = Duration::from_secs_f64(spec.settle_s.unwrap_or(1.0));
            match wait_exit(ctx.engine, &id, settle).await? {
                None => Ok(output_verdict(ctx, &id, spec, expected, "running".into()).await),
                Some((code, oom)) => {
                    let logs = logs_tail(ctx.engine, &id, 5).await;
                    let v =
                        Verdict::fail(
                            expected,
                            format!(
                            "it exited right after starting, code {}\n--- last log lines ---\n{}",
                            explain_exit(code, oom),
                            if logs.is_empty() { "(no output)" } else { logs.as_str() }
                        ),
                        );
                    Ok(match explain_runtime_log(&logs) {
                        Some(a) => v.advise(a),
                        None => v,
                    })
                }
            }
        }
        RunExpect::Exits => {
            let within = Duration::from_secs_f64(spec.within_s);
            match wait_exit(ctx.engine, &id, within).await? {
                None => Ok(Verdict::fail(
                    expected,
                    format!("still running after {} s", spec.within_s),
                )),
                Some((code, oom)) => match spec.exit_code {
                    Some(want) if want != code => {
                        let logs = logs_tail(ctx.engine, &id, 5).await;
                        let v = Verdict::fail(
                            expected,
                            format!(
                                "exit code {}\n--- last log lines ---\n{logs}",
                                explain_exit(code, oom)
                            ),
                        );
                        Ok(match explain_runtime_log(&logs) {
                            Some(a) => v.advise(a),
                            None => v,
                        })
                    }
                    _ => Ok(output_verdict(
                        ctx,
                        &id,
                        spec,
                        expected,
                        format!("exited with code {code}"),
                    )
                    .await),
                },
            }
        }
    }
}

async fn output_verdict(
    ctx: &Ctx<'_>,
    id: &str,
    spec: &RunCheck,
    mut expected: String,
    actual: String,
) -> Verdict {
    if spec.output_contains.is_empty() {
        return Verdict::pass(expected, actual);
    }
    for s in &spec.output_contains {
        expected.push_str(&format!(", printing \"{s}\""));
    }
    let logs = logs_tail(ctx.engine, id, 2000).await;
    match spec
        .output_contains
        .iter()
        .find(|s| !logs.contains(s.as_str()))
    {
        None => Verdict::pass(expected, format!("{actual}; output: {}", tail(&logs, 3))),
        Some(_) => Verdict::fail(
            expected,
            format!(
                "{actual}; its output was:\n{}",
                if logs.is_empty() {
                    "(nothing)".to_string()
                } else {
                    tail(&logs, 6)
                }
            ),
        ),
    }
}
