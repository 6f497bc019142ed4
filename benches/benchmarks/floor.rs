//! The floor: the fewest Docker API requests an exercise's checks need, made on one kept-alive
//! connection to the socket (hyper over tokio, as dockdojo uses) by a minimal program (this
//! executable started again, so a process start and a runtime are counted as for `check`), with
//! nothing else: no daemon lookup or ping, no startup sweep, no labels, no cleanup, no report.
//! What `check` takes beyond it is its own overhead.
//!
//! Only the check kinds whose minimum is plain are translated: `container` (one inspection per
//! container, shared by the checks that read it), `http` (that inspection for the published
//! port, then one request to the app; a fixed `host_port` needs no inspection), `exec` in a live
//! container (create, start read to its end, inspect), `diff` (`/changes`) and `volume` (inspect
//! the volume; create a container mounting it, copy the file out, remove it). An exercise with
//! any other kind, or a container check by Compose project, has no floor here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use bytes::Bytes;
use checker::spec::{CheckKind, Exercise};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// A file of a named volume, as the fewest requests read it: create a container mounting the
/// volume (never started), copy the file out, remove the container. The requests it made.
async fn read_volume(api: &mut Api, volume: &str, file: &str) -> Result<usize, String> {
    let created = api
        .call(
            "POST",
            "/containers/create",
            Some(serde_json::json!({
                "Image": checker::engine::PROBE_IMAGE,
                "Cmd": ["true"],
                "HostConfig": { "Binds": [format!("{volume}:/v:ro")] },
            })),
        )
        .await?;
    let id = serde_json::from_slice::<serde_json::Value>(&created.1)
        .ok()
        .and_then(|v| v["Id"].as_str().map(str::to_string))
        .ok_or_else(|| format!("create a container mounting {volume}: {}", created.0))?;
    let file = file.trim_start_matches('/');
    let (status, _) = api
        .call(
            "GET",
            &format!("/containers/{id}/archive?path=/v/{file}"),
            None,
        )
        .await?;
    api.call("DELETE", &format!("/containers/{id}?force=true"), None)
        .await?;
    if status != 200 {
        return Err(format!("{volume} has no {file} ({status})"));
    }
    Ok(3)
}

/// Why an exercise has no floor here, or `None` when it has one.
pub fn unsupported(ex: &Exercise) -> Option<String> {
    for c in &ex.checks {
        let ok = match &c.kind {
            CheckKind::Container(k) => k.container.is_some(),
            CheckKind::Http(k) => k.host_port.is_some() || k.container.is_some(),
            CheckKind::Exec(k) => k.container.is_some(),
            CheckKind::Diff(_) => true,
            CheckKind::Volume(_) => true,
            _ => false,
        };
        if !ok {
            return Some(format!("`{}` ({})", c.id, c.kind.name()));
        }
    }
    None
}

/// One connection to the daemon, dialled again only when a hijacked request ended it.
struct Api {
    socket: PathBuf,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Api {
    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let io = tokio::net::UnixStream::connect(&self.socket)
                .await
                .map_err(|e| format!("{}: {e}", self.socket.display()))?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        let s = self.sender.as_mut().expect("dialled");
        s.ready().await.map_err(|e| e.to_string())?;
        Ok(s)
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, Bytes), String> {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("Host", "docker");
        let body = match body {
            Some(v) => {
                req = req.header("Content-Type", "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
        let response = self
            .sender()
            .await?
            .send_request(req)
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?
            .to_bytes();
        Ok((status, body))
    }

    async fn json(&mut self, method: &str, path: &str) -> Result<serde_json::Value, String> {
        let (status, body) = self.call(method, path, None).await?;
        if status >= 300 {
            return Err(format!("{method} {path}: {status}"));
        }
        serde_json::from_slice(&body).map_err(|e| format!("{method} {path}: {e}"))
    }
}

/// One GET to an app on the loopback.
async fn app_get(port: u16, path: &str) -> Result<u16, String> {
    let io = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = hyper::Request::builder()
        .uri(path)
        .header("Host", format!("127.0.0.1:{port}"))
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    Ok(status)
}

/// The floor as a program of its own: this benchmark's executable started again with
/// [`CHILD`], the daemon's socket and the exercise's file; the seconds from its start to its exit
/// (the process start, a tokio runtime, one connection and the requests: what any program doing
/// the same must pay) and how many API requests it made.
pub fn run(socket: &Path, exercise_toml: &Path) -> Result<(f64, usize), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let t = Instant::now();
    let out = std::process::Command::new(exe)
        .arg(CHILD)
        .arg(socket)
        .arg(exercise_toml)
        .output()
        .map_err(|e| e.to_string())?;
    let secs = t.elapsed().as_secs_f64();
    let said = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{}{}",
            said.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let n = said
        .trim()
        .parse()
        .map_err(|_| format!("the floor said {said:?}"))?;
    Ok((secs, n))
}

/// The first argument that makes this executable the floor program.
pub const CHILD: &str = "__floor";

/// The floor program: `CHILD <socket> <exercise.toml>`; prints how many requests it made.
pub fn child(args: &[String]) -> std::process::ExitCode {
    let go = || -> Result<usize, String> {
        let [socket, file] = args else {
            return Err(format!("usage: {CHILD} <socket> <exercise.toml>"));
        };
        let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
        let ex = checker::spec::parse_exercise(file, &text).map_err(|e| e.to_string())?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(requests(Path::new(socket), &ex))
    };
    match go() {
        Ok(n) => {
            println!("{n}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn requests(socket: &Path, ex: &Exercise) -> Result<usize, String> {
    let mut api = Api {
        socket: socket.to_path_buf(),
        sender: None,
    };
    let mut inspected: HashMap<String, serde_json::Value> = HashMap::new();
    let mut n = 0;
    for c in &ex.checks {
        match &c.kind {
            // "Does not exist" is one inspection answered 404.
            CheckKind::Container(k) if k.exists == Some(false) => {
                let name = k.container.as_deref().unwrap_or_default();
                let (status, _) = api
                    .call("GET", &format!("/containers/{name}/json"), None)
                    .await?;
                n += 1;
                if status != 404 {
                    return Err(format!("{name} exists ({status})"));
                }
            }
            CheckKind::Container(k) => {
                let name = k.container.as_deref().unwrap_or_default();
                inspect(&mut api, &mut inspected, name, &mut n).await?;
            }
            CheckKind::Http(k) => {
                let port = match (k.host_port, &k.container) {
                    (Some(p), _) => p,
                    (None, Some(name)) => {
                        let info = inspect(&mut api, &mut inspected, name, &mut n).await?;
                        published(info, k.port)
                            .ok_or_else(|| format!("{name}: no published port"))?
                    }
                    (None, None) => return Err("an http check names nothing".into()),
                };
                let status = app_get(port, &k.path).await?;
                if status != k.status {
                    return Err(format!("GET {}: {status}, not {}", k.path, k.status));
                }
            }
            CheckKind::Exec(k) => {
                let name = k.container.as_deref().unwrap_or_default();
                let created = api
                    .call(
                        "POST",
                        &format!("/containers/{name}/exec"),
                        Some(serde_json::json!({
                            "Cmd": k.command, "AttachStdout": true, "AttachStderr": true
                        })),
                    )
                    .await?;
                let id = serde_json::from_slice::<serde_json::Value>(&created.1)
                    .ok()
                    .and_then(|v| v["Id"].as_str().map(str::to_string))
                    .ok_or_else(|| format!("exec in {name}: {}", created.0))?;
                api.call(
                    "POST",
                    &format!("/exec/{id}/start"),
                    Some(serde_json::json!({ "Detach": false, "Tty": false })),
                )
                .await?;
                api.json("GET", &format!("/exec/{id}/json")).await?;
                n += 3;
            }
            CheckKind::Diff(k) => {
                api.json("GET", &format!("/containers/{}/changes", k.container))
                    .await?;
                n += 1;
            }
            CheckKind::Volume(k) => {
                api.json("GET", &format!("/volumes/{}", k.volume)).await?;
                n += 1;
                if k.exists != Some(false) {
                    n += read_volume(&mut api, &k.volume, &k.file).await?;
                }
            }
            other => return Err(format!("no floor for {}", other.name())),
        }
    }
    Ok(n)
}

async fn inspect<'a>(
    api: &mut Api,
    inspected: &'a mut HashMap<String, serde_json::Value>,
    name: &str,
    n: &mut usize,
) -> Result<&'a serde_json::Value, String> {
    if !inspected.contains_key(name) {
        let v = api.json("GET", &format!("/containers/{name}/json")).await?;
        *n += 1;
        inspected.insert(name.to_string(), v);
    }
    Ok(&inspected[name])
}

/// The host port `port`/tcp is published on (the first one published when `port` is `None`).
fn published(info: &serde_json::Value, port: Option<u16>) -> Option<u16> {
    let ports = info["NetworkSettings"]["Ports"].as_object()?;
    let bindings = match port {
        Some(p) => ports.get(&format!("{p}/tcp"))?,
        None => ports.values().find(|v| v.is_array())?,
    };
    bindings
        .as_array()?
        .iter()
        .find_map(|b| b["HostPort"].as_str()?.parse().ok())
}
