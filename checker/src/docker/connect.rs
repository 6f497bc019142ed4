//! Finding the daemon the way the Docker CLI does: `DOCKER_HOST`, then `DOCKER_CONTEXT`, then
//! `currentContext` in `$DOCKER_CONFIG/config.json` (default `~/.docker`), then the platform
//! defaults. A context that is named but missing is an error, never a silent fallback.
//!
//! Every address the CLI takes: `unix://` sockets, `tcp://` in plain HTTP or TLS (from
//! `DOCKER_TLS_VERIFY`/`DOCKER_TLS` and `DOCKER_CERT_PATH`, or a context's TLS files and its
//! `SkipTLSVerify`), `ssh://[user@]host[:port]` (the CLI's `ssh … docker system dial-stdio`) and,
//! on Windows, `npipe://` named pipes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};

use crate::error::EnvError;

pub use crate::endpoint::{Endpoint, SshTarget, Tls};

/// The environment the lookup reads; a struct so tests can supply their own.
#[derive(Debug, Clone, Default)]
pub struct LookupEnv {
    pub docker_host: Option<String>,
    pub docker_context: Option<String>,
    pub docker_config: Option<PathBuf>,
    pub home: Option<PathBuf>,
    /// `DOCKER_TLS_VERIFY` is set (not empty).
    pub tls_verify: bool,
    /// `DOCKER_TLS` is set (not empty): TLS without checking the daemon's certificate.
    pub tls: bool,
    /// `DOCKER_CERT_PATH` (default: the config folder).
    pub cert_path: Option<PathBuf>,
}

impl LookupEnv {
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self {
            docker_host: var("DOCKER_HOST"),
            docker_context: var("DOCKER_CONTEXT"),
            docker_config: var("DOCKER_CONFIG").map(PathBuf::from),
            home: dirs::home_dir(),
            tls_verify: var("DOCKER_TLS_VERIFY").is_some(),
            tls: var("DOCKER_TLS").is_some(),
            cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
        }
    }

    /// TLS for the default context's `tcp://` host (`DOCKER_HOST`), from the environment.
    fn env_tls(&self, host: &str) -> Option<Tls> {
        if !(self.tls_verify || self.tls) || !is_tcp(host) {
            return None;
        }
        let dir = self
            .cert_path
            .clone()
            .or_else(|| self.config_dir())
            .unwrap_or_else(|| PathBuf::from(".docker"));
        Some(Tls::from_dir(&dir, self.tls_verify))
    }

    fn config_dir(&self) -> Option<PathBuf> {
        self.docker_config
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".docker")))
    }
}

/// Resolve the endpoint candidates in the CLI's order. Returns the explicit choice (one element)
/// when the user named one, else the platform defaults that exist, in order of preference.
pub fn resolve(env: &LookupEnv) -> Result<Vec<Endpoint>, EnvError> {
    if let Some(h) = &env.docker_host {
        let mut ep = Endpoint::new(h.clone(), "DOCKER_HOST");
        ep.tls = env.env_tls(h);
        return Ok(vec![ep]);
    }
    let config_dir = env.config_dir();
    let (context, ctx_source) = match &env.docker_context {
        Some(c) => (Some(c.clone()), "DOCKER_CONTEXT".to_string()),
        None => (
            config_dir
                .as_deref()
                .and_then(current_context)
                .filter(|c| !c.is_empty()),
            "currentContext in config.json".to_string(),
        ),
    };
    if let Some(ctx) = context.filter(|c| c != "default") {
        let dir = config_dir.unwrap_or_else(|| PathBuf::from(".docker"));
        let found = find_context(&dir, &ctx).ok_or_else(|| EnvError::MissingContext {
            context: ctx.clone(),
            source_of_name: ctx_source.clone(),
            looked_in: dir.join("contexts").join("meta"),
        })?;
        let mut ep = Endpoint::new(found.host, format!("context '{ctx}' ({ctx_source})"));
        ep.tls = found.tls;
        return Ok(vec![ep]);
    }
    Ok(platform_defaults(env))
}

fn platform_defaults(env: &LookupEnv) -> Vec<Endpoint> {
    let mut v = vec![Endpoint::new(
        "unix:///var/run/docker.sock",
        "the default socket",
    )];
    if let Some(home) = &env.home {
        for (p, what) in [
            (".docker/run/docker.sock", "Docker Desktop's socket"),
            (".docker/desktop/docker.sock", "Docker Desktop's socket"),
            (".colima/default/docker.sock", "colima's socket"),
            (".orbstack/run/docker.sock", "OrbStack's socket"),
        ] {
            v.push(Endpoint::new(
                format!("unix://{}", home.join(p).display()),
                what,
            ));
        }
    }
    if let Ok(runtime) = std::env::var("XDG_RUNTIME_DIR") {
        v.push(Endpoint::new(
            format!("unix://{runtime}/docker.sock"),
            "rootless Docker's socket",
        ));
        v.push(Endpoint::new(
            format!("unix://{runtime}/podman/podman.sock"),
            "Podman's socket",
        ));
    }
    v
}

fn current_context(config_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(config_dir.join("config.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("currentContext")?.as_str().map(str::to_string)
}

fn is_tcp(host: &str) -> bool {
    host.starts_with("tcp://") || host.starts_with("https://")
}

/// A context's docker endpoint.
struct ContextEndpoint {
    host: String,
    tls: Option<Tls>,
}

/// Contexts live in `contexts/meta/<sha256(name)>/meta.json`; we scan instead of hashing, which
/// keeps us free of a digest dependency and is just as exact (we compare the `Name` field). A
/// context's TLS files are in `contexts/tls/<the same folder name>/docker/`; the CLI uses TLS for
/// it when that folder has any of them or the endpoint says `SkipTLSVerify`.
fn find_context(config_dir: &Path, name: &str) -> Option<ContextEndpoint> {
    let meta = config_dir.join("contexts").join("meta");
    for entry in std::fs::read_dir(meta).ok()?.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("meta.json")) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if v.get("Name").and_then(|n| n.as_str()) != Some(name) {
            continue;
        }
        let host = v
            .pointer("/Endpoints/docker/Host")
            .and_then(|h| h.as_str())?
            .to_string();
        let skip_verify = v
            .pointer("/Endpoints/docker/SkipTLSVerify")
            .and_then(|s| s.as_bool())
            .unwrap_or(false);
        let tls_dir = config_dir
            .join("contexts")
            .join("tls")
            .join(entry.file_name())
            .join("docker");
        let has_files = ["ca.pem", "cert.pem", "key.pem"]
            .iter()
            .any(|f| tls_dir.join(f).is_file());
        let tls = (is_tcp(&host) && (has_files || skip_verify))
            .then(|| Tls::from_dir(&tls_dir, !skip_verify))
            // A context's CA is optional (the system's roots otherwise), unlike DOCKER_TLS_VERIFY's.
            .map(|mut t| {
                t.ca = t.ca.filter(|p| p.is_file());
                t
            });
        return Some(ContextEndpoint { host, tls });
    }
    None
}

/// Deadline for the first ping of each candidate.
pub const PING_DEADLINE: Duration = Duration::from_secs(3);
/// The same for an `ssh://` endpoint (a login first).
pub const SSH_DEADLINE: Duration = Duration::from_secs(20);

/// What the first `GET /_ping` said about the daemon, from its headers.
#[derive(Debug, Clone, Default)]
pub struct Ping {
    /// `Api-Version`: the newest API it speaks.
    pub api_version: Option<String>,
    /// `Server`: `Docker/20.10.24 (linux)` on Docker Engine.
    pub server: Option<String>,
    /// `Ostype`: `linux` or `windows`.
    pub os: Option<String>,
    /// `Builder-Version`: `1` (classic) or `2` (BuildKit), its default builder.
    pub builder_version: Option<String>,
    /// `Libpod-Api-Version`: Podman says so whatever else it claims.
    pub libpod: bool,
}

impl Ping {
    fn from_headers(h: &hyper::HeaderMap) -> Self {
        let get = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Self {
            api_version: get("api-version"),
            server: get("server"),
            os: get("ostype"),
            builder_version: get("builder-version"),
            libpod: get("libpod-api-version").is_some(),
        }
    }

    /// Docker Engine's version from `Server: Docker/<version> (<os>)`; `None` for anything else
    /// (Podman, a proxy), which is then asked `/version`.
    pub fn docker_version(&self) -> Option<&str> {
        if self.libpod {
            return None;
        }
        let rest = self.server.as_deref()?.strip_prefix("Docker/")?;
        let v = rest.split_whitespace().next()?;
        (!v.is_empty()).then_some(v)
    }
}

/// Connect to the first candidate that answers a ping. Every failure is kept so the error can list
/// what was tried and why each one failed.
pub async fn connect(env: &LookupEnv) -> Result<(Docker, Endpoint, Ping), EnvError> {
    let candidates = resolve(env)?;
    let explicit = candidates.len() == 1;
    let mut tried = Vec::new();
    for ep in candidates {
        if !explicit && ep.host.starts_with("unix://") {
            let path = ep.host.trim_start_matches("unix://");
            if !Path::new(path).exists() {
                tried.push((ep, "no such socket".to_string()));
                continue;
            }
        }
        match try_endpoint(&ep).await {
            Ok((d, ping)) => return Ok((d, ep, ping)),
            Err(e) => tried.push((ep, e)),
        }
    }
    // A socket's permission, not an ssh login's "Permission denied (publickey)".
    let permission = tried
        .iter()
        .any(|(ep, e)| ep.host.starts_with("unix://") && e.contains("ermission denied"));
    Err(if permission {
        EnvError::PermissionDenied { tried }
    } else {
        EnvError::Unreachable { tried }
    })
}

/// The connection pool for an endpoint, not yet asked anything: every endpoint's requests go
/// through [`super::dial::Pool`], over dockdojo's own connections.
pub fn pool(ep: &Endpoint) -> Result<super::dial::Pool, String> {
    let h = ep.host.as_str();
    if let Some(path) = h.strip_prefix("unix://") {
        std::fs::metadata(path).map_err(|e| e.to_string())?;
        #[cfg(not(unix))]
        return Err(format!(
            "'{h}' is a unix socket, which this system does not have"
        ));
    } else if h.starts_with("npipe://") {
        #[cfg(not(windows))]
        return Err(not_windows(h));
    } else if let Some(tls) = &ep.tls {
        tls.check()?;
    } else if let Some(target) = ep.ssh_target() {
        target?;
    } else if h.starts_with("tcp://") || h.starts_with("http://") {
        ep.tcp_addr()
            .ok_or_else(|| format!("cannot read the address '{h}'"))?;
    } else {
        return Err(format!(
            "unsupported address scheme in '{h}' (dockdojo speaks unix://, tcp://, ssh:// and, on \
             Windows, npipe://)"
        ));
    }
    Ok(super::dial::Pool::new(ep))
}

/// Why an `npipe://` address cannot be used here.
pub fn not_windows(h: &str) -> String {
    format!(
        "'{h}' is a Windows named pipe; named pipes exist only on Windows. On this machine, \
         point DOCKER_HOST or the context at a unix://, tcp:// or ssh:// address"
    )
}

async fn try_endpoint(ep: &Endpoint) -> Result<(Docker, Ping), String> {
    let pool = pool(ep)?;
    // ssh starts a process and logs in before the first byte: give it the CLI's patience.
    let deadline = if ep.ssh_target().is_some() {
        SSH_DEADLINE
    } else {
        PING_DEADLINE
    };
    let headers = match tokio::time::timeout(deadline, pool.ping()).await {
        Err(_) => return Err(format!("no answer within {}s", deadline.as_secs())),
        Ok(Err(e)) => return Err(explain(ep, describe_bollard(&e))),
        Ok(Ok(h)) => h,
    };
    let ping = Ping::from_headers(&headers);
    // The ping's `Api-Version` header names the daemon's API version: speak the older of it and
    // ours, without asking `/version` (slow on some daemons: Docker asks containerd and runc,
    // Podman takes seconds under load). The client keeps the ping's connection.
    if let Some(v) = ping.api_version.as_deref().and_then(parse_api_version) {
        let ours = API_DEFAULT_VERSION;
        let speak = if (v.major_version, v.minor_version) < (ours.major_version, ours.minor_version)
        {
            v
        } else {
            *ours
        };
        return Ok((pool.docker(&speak), ping));
    }
    let negotiated = tokio::time::timeout(
        super::deadline::QUICK,
        pool.docker(API_DEFAULT_VERSION).negotiate_version(),
    )
    .await
    .map_err(|_| "version negotiation timed out".to_string())?
    .map_err(|e| describe_bollard(&e))?;
    Ok((negotiated, ping))
}

/// `1.41` → API version 1.41.
fn parse_api_version(v: &str) -> Option<bollard::ClientVersion> {
    let (major, minor) = v.trim().split_once('.')?;
    Some(bollard::ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
}

/// A failed first request, with what it most likely means for a TLS endpoint. Where dockdojo's
/// own connection said what went wrong (a TLS handshake, ssh's words), that is the message,
/// without hyper's wrapping before it.
fn explain(ep: &Endpoint, e: String) -> String {
    let e = [
        "TLS handshake with ",
        "ssh to ",
        "cannot connect to ",
        "cannot run `ssh`",
    ]
    .iter()
    .filter_map(|p| e.find(p))
    .min()
    .map_or(e.clone(), |i| e[i..].to_string());
    let Some(tls) = &ep.tls else { return e };
    let lower = e.to_lowercase();
    let addr = ep.tcp_addr().unwrap_or_else(|| ep.host.clone());
    // Asked for a certificate there was none of, and then the connection failed: that is why,
    // whether or not the daemon's alert reached the request before the connection closed.
    let refused_without_one = tls.client.is_none()
        && !lower.contains("tls handshake with ")
        && super::dial::asked_for_a_client_certificate(&addr);
    if refused_without_one
        || lower.contains("certificaterequired")
        || lower.contains("certificate required")
        || lower.contains("badcertificate")
        || lower.contains("bad certificate")
    {
        let why = match &tls.client {
            None => format!(
                "the daemon asks for a client certificate and there is none (no cert.pem and key.pem in {})",
                tls.dir.display()
            ),
            Some((cert, _)) => format!(
                "the daemon refused the client certificate {} (is it signed by the daemon's CA?)",
                cert.display()
            ),
        };
        let said = match e.find("received fatal alert") {
            Some(i) => &e[i..],
            // Closed before the request read the daemon's alert.
            None if refused_without_one => "it closed the connection",
            None => e.as_str(),
        };
        return format!("the daemon at {addr} ended the TLS connection ({said}): {why}");
    }
    e
}

/// Flatten a bollard error and its sources into one line.
pub fn describe_bollard(e: &bollard::errors::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests;
