//! Running a command in a container: one that runs (`exec_in`), or a fresh checker-owned one
//! from an image (`run_once`).

use std::time::Duration;

use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use futures_util::StreamExt;

use crate::docker::logs::{logs_of_exited, logs_tail};
use crate::docker::probe::{self as run, ContainerSpec};
use crate::docker::{call, deadline, is_not_found, Engine};
use crate::error::EnvError;

/// The result of running a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub code: i64,
    pub stdout: String,
    pub stderr: String,
}

/// Podman answers an exec into a container that is not running with 500 "container state
/// improper" (Docker: 409, handled by status).
fn not_running(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 409,
            ..
        }
    ) || crate::docker::connect::describe_bollard(e).contains("container state improper")
}

/// Run `cmd` in a running container; `Ok(None)` when the container does not exist or is not running.
pub async fn exec_in(
    engine: &Engine,
    container: &str,
    cmd: &[String],
    limit: Duration,
) -> Result<Option<Output>, EnvError> {
    let config = ExecConfig {
        cmd: Some(cmd.to_vec()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let created = match tokio::time::timeout(
        deadline::QUICK,
        engine.docker.create_exec(container, config),
    )
    .await
    {
        Err(_) => {
            return Err(EnvError::Deadline {
                what: "exec".into(),
                deadline: deadline::QUICK,
            })
        }
        Ok(Err(e)) if is_not_found(&e) => return Ok(None),
        Ok(Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        })) => return Ok(None),
        Ok(Err(e)) if not_running(&e) => return Ok(None),
        Ok(r) => r.map_err(|e| crate::docker::classify("exec", &e))?,
    };
    let started = match tokio::time::timeout(
        deadline::QUICK,
        engine.docker.start_exec(
            &created.id,
            Some(StartExecOptions {
                detach: false,
                ..Default::default()
            }),
        ),
    )
    .await
    {
        Err(_) => {
            return Err(EnvError::Deadline {
                what: "exec".into(),
                deadline: deadline::QUICK,
            })
        }
        // The container stopped between creating the exec and starting it.
        Ok(Err(e)) if not_running(&e) => return Ok(None),
        Ok(r) => r.map_err(|e| crate::docker::classify("exec", &e))?,
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    if let StartExecResults::Attached { mut output, .. } = started {
        let until = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(until, output.next()).await {
                Err(_) => {
                    return Ok(Some(Output {
                        code: -1,
                        stdout,
                        stderr: format!("{stderr}(timed out after {} s)", limit.as_secs()),
                    }))
                }
                Ok(None) => break,
                Ok(Some(Ok(bollard::container::LogOutput::StdErr { message }))) => {
                    stderr.push_str(&String::from_utf8_lossy(&message))
                }
                Ok(Some(Ok(m))) => stdout.push_str(&m.to_string()),
                Ok(Some(Err(e))) => return Err(crate::docker::classify("exec output", &e)),
            }
        }
    }
    let info = call(
        "inspect exec",
        deadline::QUICK,
        engine.docker.inspect_exec(&created.id),
    )
    .await?;
    Ok(Some(Output {
        code: info.exit_code.unwrap_or(-1),
        stdout,
        stderr,
    }))
}

/// Run `cmd` in a fresh checker-owned container from `image`; waits for it to exit.
pub async fn run_once(
    engine: &Engine,
    exercise: &str,
    spec: ContainerSpec,
    limit: Duration,
) -> Result<Result<Output, String>, EnvError> {
    let id = match run::start(engine, exercise, "exec", &spec).await? {
        Ok(id) => id,
        Err(msg) => return Ok(Err(msg)),
    };
    let exit = run::wait_exit(engine, &id, limit).await?;
    let logs = match exit {
        Some(_) => logs_of_exited(engine, &id, 200).await,
        None => logs_tail(engine, &id, 200).await,
    };
    let _ = engine.remove_container(&id).await;
    Ok(match exit {
        Some((code, _)) => Ok(Output {
            code,
            stdout: logs,
            stderr: String::new(),
        }),
        None => Ok(Output {
            code: -1,
            stdout: logs,
            stderr: format!("(timed out after {} s)", limit.as_secs()),
        }),
    })
}
