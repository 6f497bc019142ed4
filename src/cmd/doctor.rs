//! `dockdojo doctor`: verify the installation end to end, each failure with its fix: the daemon
//! answers, its version and storage, the course images, a container runs, stdin/stdout make a
//! round trip, and a published port answers.

use std::time::Duration;

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{AttachContainerOptionsBuilder, CreateContainerOptionsBuilder};
use checker::checks::{exec, http, run as runner};
use checker::docker::{call, deadline, Engine};
use checker::engine::PROBE_IMAGE;
use checker::images;
use futures_util::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::output::Style;
use crate::{CmdResult, Exit};

#[derive(Serialize)]
struct Step {
    name: &'static str,
    ok: bool,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

fn ok(name: &'static str, detail: impl Into<String>) -> Step {
    Step {
        name,
        ok: true,
        detail: detail.into(),
        fix: None,
    }
}
fn bad(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Step {
    Step {
        name,
        ok: false,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

pub async fn run(json: bool) -> CmdResult {
    let mut steps = Vec::new();
    let engine = match super::connect().await {
        Ok(e) => e,
        Err(f) => {
            steps.push(bad(
                "daemon",
                format!("{:#}", f.error),
                "Start Docker, or point DOCKER_HOST / `docker context use` at it.",
            ));
            return Ok(finish_and_report(steps, json, Exit::Env).await);
        }
    };
    steps.push(ok(
        "daemon",
        format!("{} ({})", engine.endpoint.host, engine.endpoint.source),
    ));
    steps.push(ok(
        "version",
        format!(
            "{:?} {} (API {})",
            engine.runtime, engine.server_version, engine.api_version
        ),
    ));
    // Which builder grades Dockerfiles, so a learner comparing with `docker build` knows.
    steps.push(ok("builder", engine.builders.describe()));
    if engine.runtime == checker::docker::Runtime::Podman {
        // Not a failure: what the learner will see later, said up front.
        steps.push(ok(
            "runtime notes",
            "Podman: health checks run only with systemd, and kernel OOM kills are not recorded; \
             those checks (chapters 8 and 11) say \"unsupported on this runtime\" instead of \
             grading. For the local-registry exercises (chapters 9 and 10), mark 127.0.0.1 as an \
             insecure registry in registries.conf."
                .to_string(),
        ));
    }
    match call("info", deadline::QUICK, engine.docker.info()).await {
        Ok(info) => steps.push(ok(
            "storage",
            format!(
                "storage driver {}, cgroup {}, {} containers, {} images",
                info.driver.unwrap_or_default(),
                info.cgroup_version
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "?".into()),
                info.containers.unwrap_or(0),
                info.images.unwrap_or(0)
            ),
        )),
        Err(e) => steps.push(bad("storage", e.to_string(), "Check `docker info`.")),
    }
    let mut images_ok = true;
    for img in images::BASE_IMAGES {
        match images::image_present(&engine.docker, img.reference).await {
            Ok(Some(standin)) => steps.push(ok(
                "course image",
                format!(
                    "{}{}",
                    img.reference,
                    if standin { " (local stand-in)" } else { "" }
                ),
            )),
            Ok(None) => {
                images_ok = false;
                steps.push(bad(
                    "course image",
                    format!("{} is missing", img.reference),
                    "Run `dockdojo prepare`.",
                ))
            }
            Err(e) => steps.push(bad("course image", e.to_string(), "Check `docker info`.")),
        }
    }
    if images_ok {
        container_steps(&engine, &mut steps).await;
    } else {
        steps.push(bad(
            "container runs",
            "skipped: the course images are missing",
            "Run `dockdojo prepare`, then `dockdojo doctor` again.",
        ));
    }
    let _ = engine.cleanup_session().await;
    let code = if steps.iter().all(|s| s.ok) {
        Exit::Ok
    } else {
        Exit::Env
    };
    Ok(finish_and_report(steps, json, code).await)
}

/// Print the steps, then report the outcome to the workshop this workspace joined, if any.
async fn finish_and_report(steps: Vec<Step>, json: bool, code: Exit) -> Exit {
    let summary: Vec<(&str, bool, &str)> = steps
        .iter()
        .map(|s| (s.name, s.ok, s.detail.as_str()))
        .collect();
    let report = crate::workshop::client::doctor_report(&summary);
    let code = finish(steps, json, code);
    crate::workshop::client::report_here(report).await;
    code
}

async fn container_steps(engine: &Engine, steps: &mut Vec<Step>) {
    // A first container, end to end.
    let spec = runner::ContainerSpec {
        image: PROBE_IMAGE.into(),
        cmd: Some(vec!["echo".into(), "dockdojo-ok".into()]),
        ..Default::default()
    };
    match exec::run_once(engine, "doctor", spec, Duration::from_secs(20)).await {
        Ok(Ok(o)) if o.code == 0 && o.stdout.contains("dockdojo-ok") => steps.push(ok(
            "container runs",
            "a container started, printed, and exited 0",
        )),
        Ok(Ok(o)) => steps.push(bad(
            "container runs",
            format!("exit {}: {}", o.code, o.stdout.trim()),
            "Look at `docker run --rm busybox:1.36.1 echo hi`.",
        )),
        Ok(Err(m)) => steps.push(bad(
            "container runs",
            m,
            "Look at `docker run --rm busybox:1.36.1 echo hi`.",
        )),
        Err(e) => steps.push(bad("container runs", e.to_string(), "Check `docker info`.")),
    }
    match stdin_roundtrip(engine).await {
        Ok(()) => steps.push(ok(
            "stdin/stdout",
            "a line sent to a container's stdin came back on its stdout",
        )),
        Err(e) => steps.push(bad(
            "stdin/stdout",
            e,
            "Interactive containers (`docker run -it`) may not work; check your Docker version.",
        )),
    }
    match port_answers(engine).await {
        Ok(p) => steps.push(ok("published port", format!("HTTP through {}:{p} answered", engine.endpoint.probe_host()))),
        Err(e) => steps.push(bad("published port", e, "Published ports do not reach containers: check firewall rules and that docker-proxy/iptables work.")),
    }
}

async fn stdin_roundtrip(engine: &Engine) -> Result<(), String> {
    let body = ContainerCreateBody {
        image: Some(PROBE_IMAGE.into()),
        cmd: Some(vec!["head".into(), "-n".into(), "1".into()]),
        open_stdin: Some(true),
        stdin_once: Some(true),
        attach_stdin: Some(true),
        attach_stdout: Some(true),
        labels: Some(engine.labels("doctor")),
        ..Default::default()
    };
    let name = engine.name("doctor", "stdin");
    let opts = CreateContainerOptionsBuilder::new().name(&name).build();
    let c = call(
        "create container",
        deadline::QUICK,
        engine.docker.create_container(Some(opts), body),
    )
    .await
    .map_err(|e| e.to_string())?;
    let result = async {
        let aopts = AttachContainerOptionsBuilder::new()
            .stdin(true)
            .stdout(true)
            .stream(true)
            .build();
        let mut att = call(
            "attach",
            deadline::QUICK,
            engine.docker.attach_container(&c.id, Some(aopts)),
        )
        .await
        .map_err(|e| e.to_string())?;
        call(
            "start",
            deadline::QUICK,
            engine.docker.start_container(
                &c.id,
                None::<bollard::query_parameters::StartContainerOptions>,
            ),
        )
        .await
        .map_err(|e| e.to_string())?;
        att.input
            .write_all(b"dockdojo-roundtrip\n")
            .await
            .map_err(|e| e.to_string())?;
        att.input.flush().await.map_err(|e| e.to_string())?;
        let mut got = String::new();
        let until = tokio::time::Instant::now() + Duration::from_secs(10);
        while !got.contains("dockdojo-roundtrip") {
            match tokio::time::timeout_at(until, att.output.next()).await {
                Ok(Some(Ok(chunk))) => got.push_str(&chunk.to_string()),
                _ => return Err(format!("no echo within 10 s (got {got:?})")),
            }
        }
        Ok(())
    }
    .await;
    let _ = engine.remove_container(&c.id).await;
    result
}

async fn port_answers(engine: &Engine) -> Result<u16, String> {
    let spec = runner::ContainerSpec {
        image: PROBE_IMAGE.into(),
        cmd: Some(vec!["sh".into(), "-c".into(), "mkdir -p /tmp/www && echo dockdojo-port-ok > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www".into()]),
        ports: vec![8080],
        ..Default::default()
    };
    let id = match runner::start(engine, "doctor", "port", &spec).await {
        Ok(Ok(id)) => id,
        Ok(Err(m)) => return Err(m),
        Err(e) => return Err(e.to_string()),
    };
    let result = async {
        let info = engine
            .docker
            .inspect_container(&id, None)
            .await
            .map_err(|e| e.to_string())?;
        let port = info
            .network_settings
            .and_then(|n| n.ports)
            .and_then(|p| p.get("8080/tcp").cloned().flatten())
            .and_then(|b| b.first().and_then(|b| b.host_port.clone()))
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or("the port was not published")?;
        let host = engine.endpoint.probe_host();
        let until = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match http::get(&host, port, "/").await {
                http::Probe::Answer { status: 200, body } if body.contains("dockdojo-port-ok") => {
                    return Ok(port)
                }
                other if tokio::time::Instant::now() >= until => {
                    return Err(format!("no answer through {host}:{port}: {other:?}"))
                }
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
    .await;
    let _ = engine.remove_container(&id).await;
    result
}

fn finish(steps: Vec<Step>, json: bool, code: Exit) -> Exit {
    if json {
        println!(
            "{}",
            serde_json::json!({ "ok": code == Exit::Ok, "steps": steps })
        );
        return code;
    }
    let st = Style::stdout();
    for s in &steps {
        let mark = if s.ok { st.green("✓") } else { st.red("✗") };
        println!("{mark} {:<16} {}", s.name, s.detail);
        if let Some(f) = &s.fix {
            println!("  {:<16} fix: {f}", "");
        }
    }
    println!(
        "{}",
        if code == Exit::Ok {
            st.green("Docker is ready for the course.")
        } else {
            "Fix the first ✗ above, then run `dockdojo doctor` again.".to_string()
        }
    );
    code
}
