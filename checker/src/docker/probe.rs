//! Containers the checker owns (the `run` check's, and the probes other checks and `doctor`
//! start): each carries the run's labels, publishes only on 127.0.0.1, and gets limits,
//! `no-new-privileges`, capped logs and no restart policy (docs/RELIABILITY.md rule 6). Also
//! waiting for one to exit, and what a failed start or an exit code means to a learner.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, HostConfigLogConfig, PortBinding};
use bollard::query_parameters::{CreateContainerOptionsBuilder, WaitContainerOptionsBuilder};
use futures_util::StreamExt;

use crate::docker::{call, deadline, Engine};
use crate::error::EnvError;

/// The course image the checker uses for its own probes (reading a volume, resolving a name).
pub const PROBE_IMAGE: &str = "busybox:1.36.1";

/// What a checker-owned container looks like.
#[derive(Debug, Default, Clone)]
pub struct ContainerSpec {
    pub image: String,
    pub cmd: Option<Vec<String>>,
    /// Replaces the image's ENTRYPOINT (`Some(vec![])` clears it).
    pub entrypoint: Option<Vec<String>>,
    pub env: Vec<String>,
    /// Container ports to publish on a random 127.0.0.1 port.
    pub ports: Vec<u16>,
    pub memory_mb: Option<u64>,
    /// `volume:/path[:ro]` binds of named volumes.
    pub volumes: Vec<String>,
    pub network: Option<String>,
}

/// Create and start a labelled container. A failed start is returned as `Ok(Err(message))`
/// (the learner's image is at fault), daemon trouble as `Err`.
pub async fn start(
    engine: &Engine,
    exercise: &str,
    what: &str,
    spec: &ContainerSpec,
) -> Result<Result<String, String>, EnvError> {
    let mut bindings = HashMap::new();
    // A random host port, unless a reliability test asks for a fixed one to provoke a clash.
    let host_port = crate::fault::fault("host-port").unwrap_or_default();
    // On this machine's loopback only; a daemon on another machine publishes on all its
    // addresses, for dockdojo's probes come from here.
    let host_ip = if engine.endpoint.is_remote() {
        "0.0.0.0"
    } else {
        "127.0.0.1"
    };
    for p in &spec.ports {
        bindings.insert(
            format!("{p}/tcp"),
            Some(vec![PortBinding {
                host_ip: Some(host_ip.into()),
                host_port: Some(host_port.clone()),
            }]),
        );
    }
    let host = HostConfig {
        port_bindings: Some(bindings),
        memory: Some(spec.memory_mb.unwrap_or(256) as i64 * 1024 * 1024),
        nano_cpus: Some(1_000_000_000),
        pids_limit: Some(256),
        security_opt: Some(vec!["no-new-privileges".into()]),
        log_config: Some(HostConfigLogConfig {
            typ: Some("json-file".into()),
            config: Some(HashMap::from([
                ("max-size".to_string(), "1m".to_string()),
                ("max-file".to_string(), "1".to_string()),
            ])),
        }),
        binds: (!spec.volumes.is_empty()).then(|| spec.volumes.clone()),
        network_mode: spec.network.clone(),
        ..Default::default()
    };
    let body = ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.cmd.clone(),
        entrypoint: spec.entrypoint.clone(),
        env: (!spec.env.is_empty()).then(|| spec.env.clone()),
        labels: Some(engine.labels(exercise)),
        exposed_ports: (!spec.ports.is_empty())
            .then(|| spec.ports.iter().map(|p| format!("{p}/tcp")).collect()),
        host_config: Some(host),
        ..Default::default()
    };
    let name = engine.name(
        exercise,
        &format!("{what}-{}", &uuid::Uuid::new_v4().to_string()[..4]),
    );
    let opts = CreateContainerOptionsBuilder::new().name(&name).build();
    let created = match tokio::time::timeout(
        deadline::QUICK,
        engine.docker.create_container(Some(opts), body),
    )
    .await
    {
        Err(_) => {
            return Err(EnvError::Deadline {
                what: "create container".into(),
                deadline: deadline::QUICK,
            })
        }
        Ok(Err(bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        })) if status_code == 404 || status_code == 400 => return Ok(Err(message)),
        Ok(r) => r.map_err(|e| crate::docker::classify("create container", &e))?,
    };
    let id = created.id;
    if crate::fault::fault("panic-after-create").is_some() {
        panic!("injected fault (DOCKDOJO_FAULT=panic-after-create): container {id} was created");
    }
    match tokio::time::timeout(
        deadline::QUICK,
        engine.docker.start_container(
            &id,
            None::<bollard::query_parameters::StartContainerOptions>,
        ),
    )
    .await
    {
        Err(_) => Err(EnvError::Deadline {
            what: "start container".into(),
            deadline: deadline::QUICK,
        }),
        Ok(Ok(())) => Ok(Ok(id)),
        Ok(Err(bollard::errors::Error::DockerResponseServerError { message, .. })) => {
            // Stuck in Created after a failed start (a port clash, a missing program): remove it.
            let _ = engine.remove_container(&id).await;
            Ok(Err(message))
        }
        Ok(Err(e)) => {
            let _ = engine.remove_container(&id).await;
            Err(crate::docker::classify("start container", &e))
        }
    }
}

/// The host port a failed start says is taken ("Bind for 127.0.0.1:18040 failed: port is already
/// allocated", "listen tcp4 127.0.0.1:18040: bind: address already in use").
pub fn clashing_port(msg: &str) -> Option<u16> {
    let lower = msg.to_lowercase();
    if !(lower.contains("port is already allocated") || lower.contains("address already in use")) {
        return None;
    }
    ["127.0.0.1:", "0.0.0.0:", "]:"].iter().find_map(|ip| {
        let rest = &msg[msg.find(ip)? + ip.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// Who holds host port `port`: a container of another dockdojo run, one of the learner's own, or
/// a program that is not a container. One sentence saying what to do about it.
pub async fn port_conflict(engine: &Engine, port: u16) -> Result<String, EnvError> {
    let list = crate::docker::inspect::containers(engine, false, &[]).await?;
    let holder = list.into_iter().find(|c| {
        c.ports
            .as_ref()
            .is_some_and(|ps| ps.iter().any(|p| p.public_port == Some(port)))
    });
    Ok(match holder {
        Some(c) => {
            let name = c
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map(|n| n.trim_start_matches('/').to_string())
                .or(c.id.clone())
                .unwrap_or_default();
            if crate::labels::is_managed(c.labels.as_ref()) {
                format!(
                    "Host port {port} is held by {name}, a container of another dockdojo run. Let \
                     that run finish, or remove its leftovers with `dockdojo clean`."
                )
            } else {
                format!(
                    "Host port {port} is held by your container {name}: stop it (`docker stop \
                     {name}`) or publish another port."
                )
            }
        }
        None => format!(
            "Host port {port} is taken by a program on this machine that is not a container \
             (`ss -ltnp 'sport = :{port}'` or `lsof -i :{port}` names it): stop it, or use \
             another port."
        ),
    })
}

/// Wait until a container is no longer running; its exit code, or None at the deadline.
///
/// The daemon's own wait (`POST /containers/{id}/wait`) answers the moment the container stops;
/// between inspections it is given at most a second, so a daemon that stops answering is still
/// noticed by the next inspection's deadline. The inspection, not the wait's answer, is the
/// verdict (it also tells whether the container was OOM-killed). Once the wait has answered, or
/// a runtime refuses it, inspections every 100 ms take over.
pub async fn wait_exit(
    engine: &Engine,
    id: &str,
    within: Duration,
) -> Result<Option<(i64, bool)>, EnvError> {
    let until = tokio::time::Instant::now() + within;
    let opts = WaitContainerOptionsBuilder::new()
        .condition("not-running")
        .build();
    let mut waiter = Some(Box::pin(engine.docker.wait_container(id, Some(opts))));
    loop {
        let info = call(
            "inspect container",
            deadline::QUICK,
            crate::docker::inspect_container(&engine.docker, id),
        )
        .await?;
        let st = info.state.unwrap_or_default();
        if st.running != Some(true) && st.status.map(|s| s.to_string()) != Some("created".into()) {
            return Ok(Some((
                st.exit_code.unwrap_or(-1),
                st.oom_killed.unwrap_or(false),
            )));
        }
        let now = tokio::time::Instant::now();
        if now >= until {
            return Ok(None);
        }
        match waiter.as_mut() {
            Some(w) => {
                let step = (until - now).min(Duration::from_secs(1));
                // Ok(_) means the wait answered (exited, refused or failed): inspect, then poll.
                if tokio::time::timeout(step, w.next()).await.is_ok() {
                    waiter = None;
                }
            }
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// A failed start in a learner's words (the runtime's message is long and technical).
pub fn explain_start_error(msg: &str) -> String {
    // runc's guess for any "not a directory" ("mount a directory onto a file?") is about bind
    // mounts and misleads here: the path names a file where a folder was meant.
    let msg = msg
        .split(": Are you trying to mount a directory onto a file")
        .next()
        .unwrap_or(msg);
    let lower = msg.to_lowercase();
    // `exec: "/bin/sh": stat /bin/sh: no such file or directory`: a shell-form command (or
    // RUN) in an image with no shell, such as `scratch`.
    let no_shell = ["\"/bin/sh\"", "stat /bin/sh", "/bin/sh: no such file"]
        .iter()
        .any(|p| lower.contains(p));
    let short = if no_shell && !lower.contains("not a directory") {
        "the image has no /bin/sh, and a command in shell form (`CMD /app/x`) runs through it. \
         Write the command in exec form, `CMD [\"/app/x\"]`, which starts the program itself"
    } else if lower.contains("not a directory") {
        "a part of the command's path that should be a folder is a file in the image (a COPY whose \
         destination has no trailing `/` copies to a file of that name, not into a folder)"
    } else if lower.contains("executable file not found")
        || lower.contains("no such file or directory")
    {
        "the command to run (CMD/ENTRYPOINT) does not exist in the image. Check its path, that the \
         file was copied in, and, for a binary in a `scratch` image, that it is statically linked"
    } else if lower.contains("permission denied") {
        "the command to run exists but is not executable (chmod +x it, or run it through sh)"
    } else if lower.contains("port is already allocated")
        || lower.contains("address already in use")
    {
        "a host port it needs is already in use"
    } else {
        return msg.trim().to_string();
    };
    format!("{short}.\n(Docker said: {})", msg.trim())
}

/// The runtime's own complaints in a container's log (some engines report a failed exec as exit
/// code 1 with a line in the log instead of a failed start).
pub fn explain_runtime_log(logs: &str) -> Option<String> {
    let l = logs.to_lowercase();
    if l.contains("executable file not found") {
        Some("The program is not in the image (not found on its PATH): check its name, that it was copied or installed, and PATH.".into())
    } else if l.contains("exec ") && l.contains("no such file or directory") {
        Some(
            "The container's command could not be started: \"no such file or directory\". Either the \
             path in CMD/ENTRYPOINT is wrong, or the program is dynamically linked and its loader and \
             libraries are not in the image (common in `scratch` images: link it statically)."
                .into(),
        )
    } else if l.contains("exec format error") {
        Some("\"exec format error\": the program was built for another CPU architecture, or a script lacks its `#!` line.".into())
    } else if l.contains("exec ") && l.contains("permission denied") {
        Some("\"permission denied\": the command is not executable; `chmod +x` it (or `RUN chmod +x …`).".into())
    } else {
        None
    }
}

/// What an exit code usually means, for failure messages.
pub fn explain_exit(code: i64, oom: bool) -> String {
    match (code, oom) {
        (137, true) => "137: OOM-killed (it used more memory than its limit)".into(),
        (137, false) => {
            "137: killed by SIGKILL (e.g. after the stop timeout, or `docker kill`)".into()
        }
        (143, _) => "143: stopped by SIGTERM".into(),
        (127, _) => {
            "127: the command was not found in the image (check CMD/ENTRYPOINT and PATH)".into()
        }
        (126, _) => {
            "126: the command exists but cannot be run (not executable, or a directory)".into()
        }
        (125, _) => "125: Docker itself could not run the container".into(),
        (1, _) => "1: the program reported an error (read its log)".into(),
        (0, _) => "0: it finished successfully".into(),
        (c, _) => format!("{c}"),
    }
}

#[cfg(test)]
mod start_error_tests {
    /// A shell-form CMD in a `scratch` image: the runtime cannot find /bin/sh, not the program.
    #[test]
    fn a_missing_shell_is_told_apart_from_a_missing_program() {
        let no_shell =
            "failed to create shim task: OCI runtime create failed: runc create failed: \
                        unable to start container process: exec: \"/bin/sh\": stat /bin/sh: no \
                        such file or directory: unknown";
        let e = super::explain_start_error(no_shell);
        assert!(e.starts_with("the image has no /bin/sh"), "{e}");
        assert!(e.contains("exec form"), "{e}");
        let no_program = "OCI runtime create failed: runc create failed: unable to start container \
                          process: exec: \"/hello\": stat /hello: no such file or directory: unknown";
        let e = super::explain_start_error(no_program);
        assert!(
            e.starts_with("the command to run (CMD/ENTRYPOINT) does not exist"),
            "{e}"
        );
    }
}
