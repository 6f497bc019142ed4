//! One raw connection to the daemon's API, over whatever the endpoint names: a unix socket, TCP,
//! TLS over TCP, `ssh … docker system dial-stdio` (as the CLI's connection helper does it) or a
//! Windows named pipe. Every bollard call of a run goes over these, kept alive and reused by
//! [`Pool`]; BuildKit's session dials its own.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::rustls;

use super::connect::{Endpoint, Tls};

/// A byte stream to the daemon.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A boxed connection, ready for HTTP/1.1.
pub type Conn = Pin<Box<dyn Stream>>;

/// Open a new connection to the endpoint's daemon.
pub async fn dial(endpoint: &Endpoint) -> io::Result<Conn> {
    let h = endpoint.host.as_str();
    if let Some(path) = h.strip_prefix("unix://") {
        #[cfg(unix)]
        return Ok(Box::pin(tokio::net::UnixStream::connect(path).await?));
        #[cfg(not(unix))]
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("unix sockets are not available here: {path}"),
        ));
    }
    if h.starts_with("npipe://") {
        return named_pipe(h).await;
    }
    if let Some(target) = endpoint.ssh_target() {
        let target = target.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        return ssh(&target);
    }
    if let Some(addr) = endpoint.tcp_addr() {
        let tcp = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot connect to {addr}: {e}")))?;
        return match &endpoint.tls {
            None => Ok(Box::pin(tcp)),
            Some(tls) => Ok(Box::pin(handshake(tls, &addr, tcp).await?)),
        };
    }
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("cannot open a raw connection to '{h}'"),
    ))
}

#[cfg(windows)]
async fn named_pipe(h: &str) -> io::Result<Conn> {
    use tokio::net::windows::named_pipe::ClientOptions;
    // npipe:////./pipe/docker_engine → \\.\pipe\docker_engine
    let path = h.trim_start_matches("npipe://").replace('/', "\\");
    // ERROR_PIPE_BUSY: every instance is in use for a moment; the CLI waits too.
    const ERROR_PIPE_BUSY: i32 = 231;
    for _ in 0..50 {
        match ClientOptions::new().open(&path) {
            Ok(c) => return Ok(Box::pin(c)),
            Err(e) if e.raw_os_error() == Some(ERROR_PIPE_BUSY) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("the named pipe {path} stayed busy"),
    ))
}

#[cfg(not(windows))]
async fn named_pipe(h: &str) -> io::Result<Conn> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        super::connect::not_windows(h),
    ))
}

// --- TLS ---

/// The rustls client configuration for `tls`: its CA (or the system's roots), its client
/// certificate, and no check of the daemon's certificate when `verify` is off.
fn tls_config(tls: &Tls, addr: &str) -> io::Result<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |path: &std::path::Path, e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot read {}: {e}", path.display()),
        )
    };
    let mut roots = rustls::RootCertStore::empty();
    match &tls.ca {
        Some(ca) if tls.verify => {
            let certs = CertificateDer::pem_file_iter(ca)
                .map_err(|e| invalid(ca, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid(ca, &e))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(invalid(ca, &"no certificate in it"));
            }
        }
        None if tls.verify => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
        _ => {}
    }
    // The process's provider: the one bollard's own TLS uses (ring).
    let builder = rustls::ClientConfig::builder().with_root_certificates(roots);
    let mut config = match &tls.client {
        None => builder.with_client_cert_resolver(Arc::new(NoClientCert(addr.to_string()))),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .map_err(|e| invalid(cert, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid(cert, &e))?;
            let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| invalid(key, &e))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| invalid(cert, &e))?
        }
    };
    if !tls.verify {
        let provider = Arc::clone(config.crypto_provider());
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(NoVerify(provider)));
    }
    Ok(config)
}

/// The addresses whose daemon asked during the handshake for a client certificate this run had
/// none to give. A daemon that requires one (`--tlsverify`) ends the connection right after a
/// TLS 1.3 handshake; whether the first request then reads its alert or only finds the
/// connection closed is a race, so the request's own error cannot say why and this does.
static ASKED_FOR_A_CLIENT_CERT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Whether the daemon at `addr` asked for a client certificate that there was none of.
pub(crate) fn asked_for_a_client_certificate(addr: &str) -> bool {
    ASKED_FOR_A_CLIENT_CERT
        .lock()
        .is_ok_and(|asked| asked.iter().any(|a| a == addr))
}

pub(crate) fn note_asked_for_a_client_certificate(addr: &str) {
    if let Ok(mut asked) = ASKED_FOR_A_CLIENT_CERT.lock() {
        if !asked.iter().any(|a| a == addr) {
            asked.push(addr.to_string());
        }
    }
}

/// No client certificate, and a note of the daemon that asked for one anyway.
#[derive(Debug)]
struct NoClientCert(String);

impl rustls::client::ResolvesClientCert for NoClientCert {
    fn resolve(
        &self,
        _: &[&[u8]],
        _: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        note_asked_for_a_client_certificate(&self.0);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// The TLS handshake over `tcp`, with the failure said plainly.
async fn handshake(
    tls: &Tls,
    addr: &str,
    tcp: tokio::net::TcpStream,
) -> io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let config = tls_config(tls, addr)?;
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = rustls_pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{host}: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    connector.connect(name, tcp).await.map_err(|e| {
        let text = e.to_string();
        let hint = if text.contains("UnknownIssuer") || text.contains("BadSignature") {
            match &tls.ca {
                Some(ca) => format!(
                    " (the daemon's certificate is not signed by the CA in {})",
                    ca.display()
                ),
                None => {
                    " (the daemon's certificate is not signed by a CA this system trusts)".into()
                }
            }
        } else if text.contains("NotValidForName") {
            format!(" (the daemon's certificate does not name {host})")
        } else {
            String::new()
        };
        io::Error::new(
            e.kind(),
            format!("TLS handshake with {addr} failed: {text}{hint}"),
        )
    })
}

/// `SkipTLSVerify` / `DOCKER_TLS` without `DOCKER_TLS_VERIFY`: any certificate, still a real
/// signature check of the handshake.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &[rustls_pki_types::CertificateDer<'_>],
        _: &rustls_pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

// --- ssh ---

/// `ssh [-l user] [-p port] -- host docker system dial-stdio`, the child's stdin and stdout as
/// the stream (the Docker CLI's connection helper does the same). ssh reads the user's own
/// configuration, keys and agent.
fn ssh(target: &super::connect::SshTarget) -> io::Result<Conn> {
    let mut cmd = tokio::process::Command::new("ssh");
    cmd.args(["-o", "ConnectTimeout=30", "-T"]);
    if let Some(user) = &target.user {
        cmd.arg("-l").arg(user);
    }
    if let Some(port) = target.port {
        cmd.arg("-p").arg(port.to_string());
    }
    cmd.arg("--")
        .arg(&target.host)
        .args(["docker", "system", "dial-stdio"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot run `ssh` for {}: {e}", target.host),
        )
    })?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    // ssh's own messages (a refused login, an unknown host, no `docker` on the far side), kept
    // for when the stream ends before the daemon said anything.
    let stderr = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let mut s = String::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_string(&mut s).await;
        s
    });
    Ok(Box::pin(SshStream {
        _child: child,
        stdin,
        stdout,
        stderr: Some(stderr),
        host: target.host.clone(),
        got_bytes: false,
    }))
}

struct SshStream {
    _child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::process::ChildStdout,
    stderr: Option<tokio::task::JoinHandle<String>>,
    host: String,
    got_bytes: bool,
}

impl AsyncRead for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stdout).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before && !self.got_bytes => {
                // The end before any answer: ssh failed. Wait for its last words (its stderr
                // closes when it exits) and give them as the error.
                let Some(task) = self.stderr.as_mut() else {
                    return Poll::Ready(Ok(()));
                };
                let said = match Pin::new(task).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(s) => s.unwrap_or_default(),
                };
                self.stderr = None;
                let said = said.trim();
                let said = if said.is_empty() {
                    "it ended without a word".to_string()
                } else {
                    said.lines().collect::<Vec<_>>().join(" / ")
                };
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    format!(
                        "ssh to {} (`docker system dial-stdio` on the far side) failed: {said}",
                        self.host
                    ),
                )))
            }
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.got_bytes = true;
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

use std::future::Future as _;

impl AsyncWrite for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

// --- bollard over dial ---

/// The body of bollard's requests (its own alias is private).
trait BodyOf {
    type Body;
}
impl<B> BodyOf for hyper::Request<B> {
    type Body = B;
}
type ReqBody = <bollard::BollardRequest as BodyOf>::Body;

/// One pooled HTTP/1.1 client per run, over [`dial`] for every kind of endpoint: a request
/// reuses an idle kept-alive connection, so a run's calls one after another share one
/// connection. Calls side by side, a streamed response being read (events, logs, a build) and a
/// hijacked one (attach, exec) hold a connection of their own; the pool dials another for them.
#[derive(Clone)]
pub struct Pool {
    client: Arc<hyper_util::client::legacy::Client<Connector, ReqBody>>,
}

impl Pool {
    pub fn new(endpoint: &Endpoint) -> Self {
        use hyper_util::client::legacy::Client;
        use hyper_util::rt::TokioExecutor;
        let connector = Connector(Arc::new(endpoint.clone()));
        // hyper-util's defaults keep idle connections (90 s); bollard's own clients keep none.
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Self {
            client: Arc::new(client),
        }
    }

    /// `GET /_ping`: its headers name the daemon (`Server`, `Api-Version`, `Ostype`,
    /// `Builder-Version`), which bollard's `ping` does not return.
    pub async fn ping(&self) -> Result<hyper::HeaderMap, bollard::errors::Error> {
        use http_body_util::BodyExt;
        let req = hyper::Request::builder()
            .method("GET")
            .uri("http://docker/_ping")
            .body(bollard::body_full(bytes::Bytes::new()))
            .map_err(bollard::errors::Error::from)?;
        let response = self.client.request(req).await?;
        let status = response.status();
        let (parts, body) = response.into_parts();
        // Read to the end, so the connection goes back to the pool.
        let body = body.collect().await?.to_bytes();
        if !status.is_success() {
            return Err(bollard::errors::Error::DockerResponseServerError {
                status_code: status.as_u16(),
                message: String::from_utf8_lossy(&body).trim().to_string(),
            });
        }
        Ok(parts.headers)
    }

    /// A bollard client speaking API `version` whose requests go through this pool.
    pub fn docker(&self, version: &bollard::ClientVersion) -> bollard::Docker {
        let client = Arc::clone(&self.client);
        bollard::Docker::connect_with_custom_transport(
            move |req: bollard::BollardRequest| {
                super::cleanup::note_request(req.method(), req.uri().path());
                let client = Arc::clone(&client);
                Box::pin(async move {
                    client
                        .request(req)
                        .await
                        .map_err(bollard::errors::Error::from)
                })
            },
            // The requests' URL only names the daemon for the Host header; the connector dials.
            Some("http://docker"),
            120,
            version,
        )
        .expect("a custom transport always builds")
    }
}

#[derive(Clone)]
pub struct Connector(Arc<Endpoint>);

impl tower_service::Service<hyper::Uri> for Connector {
    type Response = hyper_util::rt::TokioIo<Io>;
    type Error = io::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let endpoint = Arc::clone(&self.0);
        Box::pin(async move { Ok(hyper_util::rt::TokioIo::new(Io(dial(&endpoint).await?))) })
    }
}

/// A [`Conn`] as hyper's client wants it.
pub struct Io(Conn);

impl hyper_util::client::legacy::connect::Connection for Io {
    fn connected(&self) -> hyper_util::client::legacy::connect::Connected {
        hyper_util::client::legacy::connect::Connected::new()
    }
}

impl AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_shutdown(cx)
    }
}
