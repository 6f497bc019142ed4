//! Reading the captures in `fixtures/engines/<engine>/` (see capture.sh there).

use std::path::PathBuf;

use bollard::models::{BuildInfo, ContainerInspectResponse};
use checker::docker::build::stream::Stream;
use checker::docker::build::Built;
use checker::docker::builder::Builder;
use checker::docker::exec::Output;
use checker::docker::http::Probe;
use serde::de::DeserializeOwned;

/// The engines CI runs, one fixture folder each.
pub const ENGINES: [&str; 4] = [
    "docker-20.10",
    "docker-26",
    "docker-26-containerd",
    "podman-4.3",
];

/// The builds captured: which engine, through which builder (files `build-<builder>-*.jsonl`).
/// Engine 20.10 runs both: the classic builder when `DOCKER_BUILDKIT=0` asks for it, BuildKit
/// otherwise. Podman's own builder streams a classic-style log. The containerd image store's
/// BuildKit cannot read a context sent in the request body, so capture.sh has no stream of it.
pub const BUILDS: [(&str, Builder); 4] = [
    ("docker-20.10", Builder::Classic),
    ("docker-20.10", Builder::BuildKit),
    ("docker-26", Builder::BuildKit),
    ("podman-4.3", Builder::Classic),
];

pub fn path(engine: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/engines")
        .join(engine)
        .join(file)
}

pub fn text(engine: &str, file: &str) -> String {
    let path = path(engine, file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn json<T: DeserializeOwned>(engine: &str, file: &str) -> T {
    serde_json::from_str(&text(engine, file))
        .unwrap_or_else(|e| panic!("{}: {e}", path(engine, file).display()))
}

pub fn inspect(engine: &str, file: &str) -> ContainerInspectResponse {
    json(engine, file)
}

pub fn is_podman(engine: &str) -> bool {
    engine.starts_with("podman")
}

/// The name of the fixture container whose name ends with `-suffix` (capture.sh names them
/// `judge-fixture-<pid>-<suffix>`).
pub fn named(names: &[String], suffix: &str) -> String {
    names
        .iter()
        .find(|n| n.ends_with(&format!("-{suffix}")))
        .unwrap_or_else(|| panic!("no name ending -{suffix} in {names:?}"))
        .clone()
}

/// One /build stream as the daemon sent it, folded by the checker's own [`Stream`]. A message
/// with an `errorDetail` ends the build, as bollard (and dockdojo's session) turn it into an
/// error the check reads.
pub fn build(engine: &str, builder: Builder, case: &str, dockerfile: &str) -> Built {
    let name = match builder {
        Builder::Classic => "classic",
        Builder::BuildKit => "buildkit",
    };
    let file = format!("build-{name}-{case}.jsonl");
    let mut stream = Stream::new(builder, dockerfile);
    for line in text(engine, &file).lines() {
        let info: BuildInfo =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{engine}/{file}: {e}: {line}"));
        if let Some(error) = info.error_detail.as_ref().and_then(|d| d.message.clone()) {
            return stream.failed(&error);
        }
        stream.absorb(info);
    }
    stream.finish()
}

/// One GET as capture.sh recorded it, as `docker::http::get` returns it: an answer, refused,
/// or a connection that closed or was reset before any reply.
pub fn probe(engine: &str, case: &str) -> Probe {
    let all: serde_json::Value = json(engine, "http-probes.json");
    let p = &all[case];
    if let Some(status) = p["status"].as_u64() {
        return Probe::Answer {
            status: status as u16,
            body: p["body"].as_str().unwrap_or_default().to_string(),
        };
    }
    if p["refused"] == true {
        return Probe::Refused;
    }
    if p["closed"] == true {
        return Probe::NoAnswer("the connection closed without a reply".into());
    }
    if p["reset"] == true {
        return Probe::NoAnswer("Connection reset by peer (os error 104)".into());
    }
    panic!("{engine}: http-probes.json {case}: {p}")
}

/// A command's output as capture.sh recorded it (`{"code", "stdout", "stderr"}`).
pub fn output(v: &serde_json::Value) -> Output {
    Output {
        code: v["code"].as_i64().expect("code"),
        stdout: v["stdout"].as_str().expect("stdout").to_string(),
        stderr: v["stderr"].as_str().expect("stderr").to_string(),
    }
}
