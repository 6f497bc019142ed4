//! `dockdojo doctor`: verify the installation end to end, each failure with its fix: the daemon
//! answers, its version and storage, the course images, a container runs, stdin/stdout make a
//! round trip, and a published port answers.

use std::time::Duration;

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{AttachContainerOptionsBuilder, CreateContainerOptionsBuilder};
use checker::docker::probe::PROBE_IMAGE;
use checker::docker::{call, deadline, Engine};
use checker::docker::{exec, http, probe as runner};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::exit::{CmdResult, Exit};
use crate::output::Style;

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

/// The fix for a failure doctor recognises by its message; `otherwise` for the rest.
fn fix_for(message: &str, otherwise: &str) -> String {
    let m = message.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
    if has(&["permission denied"]) {
        "Your user may not use the Docker socket: add it to the docker group (`sudo usermod -aG \
         docker $USER`, then log out and back in), or run rootless Docker."
            .into()
    } else if has(&[
        "no space left",
        "disk docker writes to is full",
        "disk quota",
    ]) {
        "The disk Docker writes to is full: `docker system df` shows what takes the room; \
         `dockdojo clean` and `docker image prune` free some."
            .into()
    } else if has(&[
        "network bridge not found",
        "no such network: bridge",
        "network bridge",
        "failed to create endpoint",
        "iptables",
        "could not find an available, non-overlapping",
    ]) {
        "The daemon's default network (its bridge) is broken: restart the daemon (`sudo \
         systemctl restart docker`, or quit and restart Docker Desktop), then run `dockdojo \
         doctor` again."
            .into()
    } else if has(&["port is already allocated", "address already in use"]) {
        "A port it needs is taken: `docker ps` shows which container publishes it, and \
         `ss -ltnp` (macOS: `lsof -iTCP -sTCP:LISTEN`) which program holds it; stop that one."
            .into()
    } else if has(&["no such image", "image not known", "pull access denied"]) {
        "The course images are missing: run `dockdojo prepare`.".into()
    } else {
        otherwise.into()
    }
}

pub async fn run(json: bool) -> CmdResult {
    let mut steps = Vec::new();
    let engine = match super::connect().await {
        Ok(e) => e,
        Err(f) => {
            let detail = format!("{:#}", f.error);
            let fix = fix_for(
                &detail,
                "Start Docker, or point DOCKER_HOST / `docker context use` at it.",
            );
            steps.push(bad("daemon", detail, fix));
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
        Err(e) => steps.push(bad(
            "storage",
            e.to_string(),
            fix_for(&e.to_string(), "Check `docker info`."),
        )),
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
    app_image_step(&engine, &mut steps).await;
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
            fix_for(
                &o.stdout,
                "Try `docker run --rm busybox:1.36.1 echo hi` yourself: what it prints names the problem.",
            ),
        )),
        Ok(Err(m)) => {
            let fix = fix_for(
                &m,
                "Try `docker run --rm busybox:1.36.1 echo hi` yourself: what it prints names the problem.",
            );
            steps.push(bad("container runs", m, fix))
        }
        Err(e) => steps.push(bad(
            "container runs",
            e.to_string(),
            fix_for(&e.to_string(), "Check `docker info`."),
        )),
    }
    match stdin_roundtrip(engine).await {
        Ok(()) => steps.push(ok(
            "stdin/stdout",
            "a line sent to a container's stdin came back on its stdout",
        )),
        Err(e) => {
            let fix = fix_for(
                &e,
                "Interactive containers (`docker run -it`) may not work: update Docker, or restart the daemon.",
            );
            steps.push(bad("stdin/stdout", e, fix))
        }
    }
    match port_answers(engine).await {
        Ok(p) => steps.push(ok(
            "published port",
            format!("HTTP through {}:{p} answered", engine.endpoint.probe_host()),
        )),
        Err(e) => {
            let fix = match std::env::var(images::app_image::ENV) {
                // Inside the course app image, 127.0.0.1 is the container's own loopback.
                Ok(image) => format!("dockdojo runs inside {image}: give its container the host's network (`docker run --network host …`, as README.md shows), so 127.0.0.1 is your machine's."),
                Err(_) => fix_for(&e, "Published ports do not reach containers: restart the daemon (it sets up the forwarding); if that does not help, a firewall may block it."),
            };
            steps.push(bad("published port", e, fix))
        }
    }
    course_ports(engine, steps).await;
}

/// The course app image, when it is there (it is optional: `prepare --app-image` makes it), or
/// that dockdojo runs inside it.
async fn app_image_step(engine: &Engine, steps: &mut Vec<Step>) {
    let app = images::app_image::reference();
    if let Ok(image) = std::env::var(images::app_image::ENV) {
        steps.push(ok("app image", format!("dockdojo runs inside {image}")));
    } else if let Ok(Some(true)) = images::image_present(&engine.docker, &app).await {
        steps.push(ok(
            "app image",
            format!("{app} (the course app for `docker run`, see README.md)"),
        ));
    }
}

/// The host ports the exercises publish: one held by a program that is not a container would
/// make an exercise fail for a reason that is not the learner's.
async fn course_ports(engine: &Engine, steps: &mut Vec<Step>) {
    // Only this machine's ports can be tried here; a daemon elsewhere has its own.
    if engine.endpoint.probe_host() != "127.0.0.1" {
        return;
    }
    let Ok(entries) = crate::catalog::load() else {
        return;
    };
    let published: std::collections::HashSet<u16> = engine
        .docker
        .list_containers(None::<bollard::query_parameters::ListContainersOptions>)
        .await
        .unwrap_or_default()
        .iter()
        .flat_map(|c| c.ports.clone().unwrap_or_default())
        .filter_map(|p| p.public_port)
        .collect();
    let mut taken = Vec::new();
    for e in &entries {
        for &p in &e.spec.live.ports {
            if !published.contains(&p) && std::net::TcpListener::bind(("127.0.0.1", p)).is_err() {
                taken.push(format!("{p} ({})", e.id()));
            }
        }
    }
    if taken.is_empty() {
        steps.push(ok(
            "course ports",
            "the exercises' host ports are free or held by containers",
        ));
    } else {
        steps.push(bad(
            "course ports",
            format!(
                "held by a program that is not a container: {}",
                taken.join(", ")
            ),
            fix_for("address already in use", ""),
        ));
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

#[cfg(test)]
mod tests {
    use super::fix_for;

    /// Each failure doctor recognises gets its own fix, never the generic one.
    #[test]
    fn recognised_failures_name_their_fix() {
        let generic = "GENERIC";
        for (message, fix) in [
            ("Error response from daemon: network bridge not found", "restart the daemon"),
            ("failed to create endpoint x on network bridge: iptables failed", "restart the daemon"),
            ("permission denied on the Docker socket. Tried: unix:///var/run/docker.sock", "docker group"),
            ("write /var/lib/docker/tmp: no space left on device", "docker system df"),
            ("the disk Docker writes to is full (x)", "docker system df"),
            ("driver failed programming external connectivity: Bind for 0.0.0.0:18040 failed: port is already allocated", "docker ps"),
            ("No such image: busybox:1.36.1", "dockdojo prepare"),
        ] {
            let got = fix_for(message, generic);
            assert!(got.contains(fix), "{message} → {got}");
        }
        assert_eq!(fix_for("something else", generic), generic);
    }
}
