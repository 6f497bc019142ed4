//! A BuildKit build with dockdojo's own session, as the Docker CLI makes one: `POST /session`
//! upgraded to HTTP/2, where dockdojo serves BuildKit the build context and the Dockerfile
//! (`FileSync`), the build's secrets (`Secrets`) and its health; then `POST /build` with
//! `version=2`, `remote=client-session` and the session's id, whose progress is the same JSON
//! stream as any build.
//!
//! The context travels through the session, not in the request body: that is what the Docker CLI
//! does, and the only way the containerd image store's BuildKit reads a context (a context in the
//! body fails there with "failed to read downloaded context").
//!
//! `FileSync.DiffCopy` follows fsutil's sender: one `STAT` packet per entry in walk order
//! (parents first, names compared component by component), an empty `STAT` to end the walk; each
//! `REQ` for a file's index is answered with `DATA` packets and an empty `DATA`; `FIN` is echoed.

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bollard::models::BuildInfo;
use bollard_buildkit_proto::fsutil::types::{packet::PacketType, Packet, Stat};
use bollard_buildkit_proto::health::health_check_response::ServingStatus;
use bollard_buildkit_proto::health::health_server::{Health, HealthServer};
use bollard_buildkit_proto::health::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
};
use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server::{Secrets, SecretsServer};
use bollard_buildkit_proto::moby::buildkit::secrets::v1::{GetSecretRequest, GetSecretResponse};
use bollard_buildkit_proto::moby::filesync::v1::file_sync_server::{FileSync, FileSyncServer};
use futures_util::stream::{self, BoxStream, StreamExt};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::{Request, Response, Status, Streaming};

use super::connect::Endpoint;
use super::dial;

mod files;
use files::Files;
pub use files::{Node, Tree};

/// What the build's session serves.
pub struct Served {
    /// The packed build context (as [`crate::docker::context_tar::pack`] makes it).
    pub context: Vec<u8>,
    /// Each file's modification time in nanoseconds, by its path in the context (a tar header
    /// holds whole seconds). BuildKit skips sending a file whose size and time match the copy
    /// it kept, so whole seconds would let a same-size edit go unseen.
    pub mtimes: HashMap<String, i64>,
    /// Names the copy of the context BuildKit keeps between builds: see [`shared_key`].
    pub shared_key: String,
    /// Secrets by id, for `RUN --mount=type=secret,id=…`.
    pub secrets: HashMap<String, Vec<u8>>,
}

/// A build's progress: the daemon's JSON messages, or why they stopped.
pub type Progress = BoxStream<'static, Result<BuildInfo, bollard::errors::Error>>;

/// The key BuildKit files its synced copy of a context under, one per folder as the docker CLI
/// keeps it: a digest of the folder's path. With one key for every folder, a build would sync
/// into the copy another exercise left, and a file of the same name, size and time there would
/// be taken as already sent: the image would get the other exercise's file.
pub fn shared_key(root: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let digest = Sha256::digest(root.as_os_str().as_encoded_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Start the session, then the build; the stream ends when the daemon ends the build's response.
/// `query` is the `/build` query string without `session`, `remote` and `version`.
pub async fn build(
    endpoint: &Endpoint,
    api_version: &str,
    query: &str,
    served: Served,
) -> Result<Progress, bollard::errors::Error> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let tree = Arc::new(Tree::from_tar(&served.context, &served.mtimes).map_err(io_error)?);
    let services = Services {
        tree,
        secrets: Arc::new(served.secrets),
    };
    let session = open_session(endpoint, api_version, &id, &served.shared_key, services).await?;
    let path =
        format!("/v{api_version}/build?{query}&version=2&remote=client-session&session={id}");
    super::cleanup::note_request(&hyper::Method::POST, "/build");
    let response = request(
        endpoint,
        "POST",
        &path,
        &[("Content-Type", "application/x-tar")],
    )
    .await?;
    let status = response.status();
    if !status.is_success() {
        let body = error_body(response).await;
        session.abort();
        return Err(bollard::errors::Error::DockerResponseServerError {
            status_code: status.as_u16(),
            message: body,
        });
    }
    let lines = JsonLines::new(response.into_body());
    // The session lives as long as the build's response is read.
    let guard = SessionGuard(session);
    Ok(lines
        .map(move |item| {
            let _ = &guard;
            item
        })
        .boxed())
}

struct SessionGuard(tokio::task::JoinHandle<()>);

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn io_error(e: std::io::Error) -> bollard::errors::Error {
    bollard::errors::Error::IOError { err: e }
}

/// The message of an error response: its `{"message": "…"}`, or the body itself.
async fn error_body(response: hyper::Response<hyper::body::Incoming>) -> String {
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    server_message(&body)
}

/// The daemon's `{"message": "…"}` error body, or the body itself.
fn server_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_string())
}

type Body = http_body_util::combinators::BoxBody<bytes::Bytes, hyper::Error>;

/// One HTTP/1.1 request on a connection of its own.
async fn request(
    endpoint: &Endpoint,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<hyper::Response<hyper::body::Incoming>, bollard::errors::Error> {
    let conn = dial::dial(endpoint).await.map_err(io_error)?;
    let (mut sender, driver) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(conn))
        .await
        .map_err(|e| io_error(std::io::Error::other(e)))?;
    tokio::spawn(async move {
        let _ = driver.with_upgrades().await;
    });
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("Host", "docker");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(Empty::new().map_err(|never| match never {}).boxed())
        .map_err(|e| io_error(std::io::Error::other(e)))?;
    sender
        .send_request(req)
        .await
        .map_err(|e| io_error(std::io::Error::other(e)))
}

/// The gRPC methods the session offers (the daemon routes only these to it).
const METHODS: [&str; 4] = [
    "/moby.filesync.v1.FileSync/DiffCopy",
    "/moby.buildkit.secrets.v1.Secrets/GetSecret",
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
];

/// `POST /session`, upgraded; the gRPC server then runs on that connection until aborted.
async fn open_session(
    endpoint: &Endpoint,
    api_version: &str,
    id: &str,
    shared_key: &str,
    services: Services,
) -> Result<tokio::task::JoinHandle<()>, bollard::errors::Error> {
    let mut headers = vec![
        ("Upgrade", "h2c"),
        ("Connection", "Upgrade"),
        ("X-Docker-Expose-Session-Uuid", id),
        ("X-Docker-Expose-Session-Name", "dockdojo"),
        ("X-Docker-Expose-Session-Sharedkey", shared_key),
    ];
    for m in METHODS {
        headers.push(("X-Docker-Expose-Session-Grpc-Method", m));
    }
    let response = request(
        endpoint,
        "POST",
        &format!("/v{api_version}/session"),
        &headers,
    )
    .await?;
    if response.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
        let status = response.status().as_u16();
        let body = error_body(response).await;
        return Err(bollard::errors::Error::DockerResponseServerError {
            status_code: status,
            message: format!("the daemon did not open a build session: {body}"),
        });
    }
    let upgraded = hyper::upgrade::on(response)
        .await
        .map_err(|e| io_error(std::io::Error::other(e)))?;
    let io = Upgraded(TokioIo::new(upgraded));
    let Services { tree, secrets } = services;
    Ok(tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(HealthServer::new(Healthy))
            .add_service(FileSyncServer::new(Files { tree }))
            .add_service(SecretsServer::new(SecretStore { secrets }))
            .serve_with_incoming(stream::iter([Ok::<_, std::io::Error>(io)]))
            .await;
    }))
}

struct Services {
    tree: Arc<Tree>,
    secrets: Arc<HashMap<String, Vec<u8>>>,
}

/// The upgraded connection as tonic's server takes it.
struct Upgraded(TokioIo<hyper::upgrade::Upgraded>);

impl tonic::transport::server::Connected for Upgraded {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

struct Healthy;

#[tonic::async_trait]
impl Health for Healthy {
    async fn check(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    async fn list(
        &self,
        _: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("list"))
    }

    type WatchStream = BoxStream<'static, Result<HealthCheckResponse, Status>>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("watch"))
    }
}

struct SecretStore {
    secrets: Arc<HashMap<String, Vec<u8>>>,
}

#[tonic::async_trait]
impl Secrets for SecretStore {
    async fn get_secret(
        &self,
        request: Request<GetSecretRequest>,
    ) -> Result<Response<GetSecretResponse>, Status> {
        let id = &request.get_ref().id;
        match self.secrets.get(id) {
            Some(data) => Ok(Response::new(GetSecretResponse { data: data.clone() })),
            None => Err(Status::not_found(format!("secret {id} not found"))),
        }
    }
}

/// The build's response body as a stream of JSON messages, one per line.
struct JsonLines;

impl JsonLines {
    #[allow(clippy::new_ret_no_self)]
    fn new(body: hyper::body::Incoming) -> Progress {
        let frames = http_body_util::BodyStream::new(body);
        stream::unfold(
            (frames, Vec::<u8>::new(), false),
            |(mut frames, mut buf, done)| async move {
                loop {
                    if let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=pos).collect();
                        if line.iter().all(u8::is_ascii_whitespace) {
                            continue;
                        }
                        return Some((decode(&line), (frames, buf, done)));
                    }
                    if done {
                        if buf.iter().all(u8::is_ascii_whitespace) {
                            return None;
                        }
                        let line = std::mem::take(&mut buf);
                        return Some((decode(&line), (frames, buf, true)));
                    }
                    match frames.next().await {
                        Some(Ok(frame)) => {
                            if let Ok(data) = frame.into_data() {
                                buf.extend_from_slice(&data);
                            }
                        }
                        Some(Err(e)) => {
                            return Some((
                                Err(io_error(std::io::Error::other(e))),
                                (frames, Vec::new(), true),
                            ))
                        }
                        None => {
                            let rest = std::mem::take(&mut buf);
                            if rest.iter().all(u8::is_ascii_whitespace) {
                                return None;
                            }
                            return Some((decode(&rest), (frames, Vec::new(), true)));
                        }
                    }
                }
            },
        )
        .boxed()
    }
}

/// One message; an `errorDetail` becomes the stream's error, as bollard reports it.
fn decode(line: &[u8]) -> Result<BuildInfo, bollard::errors::Error> {
    let info: BuildInfo = serde_json::from_slice(line)
        .map_err(|e| bollard::errors::Error::JsonSerdeError { err: e })?;
    if let Some(error) = info.error_detail.as_ref().and_then(|d| d.message.clone()) {
        return Err(bollard::errors::Error::DockerStreamError { error });
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::files::MODE_DIR;
    use super::*;

    fn tar_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, text) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, path, text.as_bytes()).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn paths(nodes: &[&Node]) -> Vec<String> {
        nodes.iter().map(|n| n.stat.path.clone()).collect()
    }

    #[test]
    fn walk_order_is_by_component_with_parents_first() {
        let t = Tree::from_tar(
            &tar_of(&[("a.txt", "1"), ("a/b", "2"), ("Dockerfile", "FROM x")]),
            &HashMap::new(),
        )
        .unwrap();
        // "a" < "a.txt" component-wise, though "a/b" > "a.txt" byte-wise.
        assert_eq!(
            paths(&t.select(&[])),
            vec!["Dockerfile", "a", "a/b", "a.txt"]
        );
        let a = t.select(&[])[1];
        assert_eq!(
            a.stat.mode & MODE_DIR,
            MODE_DIR,
            "a synthesized parent is a folder"
        );
    }

    #[test]
    fn include_patterns_keep_matches_and_their_parents() {
        let t = Tree::from_tar(
            &tar_of(&[
                (".dockerignore", "x"),
                ("src/app.py", "print()"),
                ("src/lib/util.py", ""),
                ("Dockerfile", "FROM x"),
            ]),
            &HashMap::new(),
        )
        .unwrap();
        assert_eq!(
            paths(&t.select(&[".dockerignore".into()])),
            vec![".dockerignore"]
        );
        assert_eq!(
            paths(&t.select(&["Dockerfile".into(), "Dockerfile.dockerignore".into()])),
            vec!["Dockerfile"]
        );
        assert_eq!(
            paths(&t.select(&["src/lib".into()])),
            vec!["src", "src/lib", "src/lib/util.py"]
        );
    }

    #[test]
    fn file_times_keep_their_nanoseconds() {
        let mtimes = HashMap::from([("app.sh".to_string(), 1_700_000_000_600_000_000)]);
        let t = Tree::from_tar(&tar_of(&[("app.sh", "x"), ("b", "y")]), &mtimes).unwrap();
        let stats: Vec<i64> = t.select(&[]).iter().map(|n| n.stat.mod_time).collect();
        // The one given keeps its nanoseconds; the other falls back to the header's seconds.
        assert_eq!(stats, vec![1_700_000_000_600_000_000, 0]);
    }

    #[test]
    fn each_folder_has_its_own_shared_key() {
        let a = shared_key(std::path::Path::new("/work/ex/03-cache-order"));
        let b = shared_key(std::path::Path::new("/work/ex/03-first-dockerfile"));
        assert_ne!(a, b);
        assert_eq!(
            a,
            shared_key(std::path::Path::new("/work/ex/03-cache-order"))
        );
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn stream_messages_decode_and_errors_surface() {
        let ok = decode(br#"{"stream":"Step 1/2\n"}"#).unwrap();
        assert_eq!(ok.stream.as_deref(), Some("Step 1/2\n"));
        let err = decode(br#"{"errorDetail":{"message":"boom"},"error":"boom"}"#).unwrap_err();
        assert!(
            matches!(err, bollard::errors::Error::DockerStreamError { ref error } if error == "boom")
        );
    }
}
