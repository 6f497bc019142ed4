//! Where a daemon is reached: an address as the Docker CLI takes it, where the choice came from,
//! and its TLS files or ssh target. Plain data, read by connecting and by the errors that name
//! what was tried.

use std::path::{Path, PathBuf};

/// Where to reach a daemon, and why we chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix:///…`, `tcp://…`, `ssh://…`, `npipe://…`.
    pub host: String,
    /// Where the choice came from, e.g. "DOCKER_HOST" or "context 'colima'".
    pub source: String,
    /// TLS for a `tcp://` host, when the environment or the context asks for it.
    pub tls: Option<Tls>,
}

/// A `tcp://` endpoint's TLS material, as the CLI finds it: `ca.pem`, `cert.pem` and `key.pem` in
/// `DOCKER_CERT_PATH` (default the config folder) or in a context's TLS folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tls {
    /// The folder the files are in (named in error messages).
    pub dir: PathBuf,
    /// The CA that signs the daemon's certificate; `None`: the system's roots.
    pub ca: Option<PathBuf>,
    /// The client certificate and its key, when there is one.
    pub client: Option<(PathBuf, PathBuf)>,
    /// Check the daemon's certificate (false with `DOCKER_TLS` alone or `SkipTLSVerify`).
    pub verify: bool,
}

impl Tls {
    /// The files in `dir` that exist. With `verify`, `ca.pem` must: a missing one is named when
    /// connecting ([`Tls::check`]).
    pub(crate) fn from_dir(dir: &Path, verify: bool) -> Self {
        let file = |n: &str| Some(dir.join(n)).filter(|p| p.is_file());
        let ca = file("ca.pem").or_else(|| verify.then(|| dir.join("ca.pem")));
        let client = match (file("cert.pem"), file("key.pem")) {
            (Some(c), Some(k)) => Some((c, k)),
            // One without the other: keep both names so the missing one is reported.
            (Some(c), None) => Some((c, dir.join("key.pem"))),
            (None, Some(k)) => Some((dir.join("cert.pem"), k)),
            (None, None) => None,
        };
        Self {
            dir: dir.to_path_buf(),
            ca,
            client,
            verify,
        }
    }

    /// Every file the connection will read exists, or the first missing one is named.
    pub fn check(&self) -> Result<(), String> {
        let mut files: Vec<(&Path, &str)> = Vec::new();
        if let Some(ca) = &self.ca {
            files.push((ca, "the CA certificate"));
        }
        if let Some((cert, key)) = &self.client {
            files.push((cert, "the client certificate"));
            files.push((key, "the client key"));
        }
        for (path, what) in files {
            if !path.is_file() {
                return Err(format!(
                    "TLS is on, but {what} is missing: no file {}",
                    path.display()
                ));
            }
        }
        Ok(())
    }
}

/// Where a `tcp://` or `ssh://` host name is the machine itself.
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `ssh://[user@]host[:port]` in parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Endpoint {
    pub fn new(host: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            source: source.into(),
            tls: None,
        }
    }

    /// `host:port` of a `tcp://` (or `http://`) endpoint; no port means 2376 with TLS and 2375
    /// without, as the CLI has it.
    pub fn tcp_addr(&self) -> Option<String> {
        let rest = self
            .host
            .strip_prefix("tcp://")
            .or_else(|| self.host.strip_prefix("http://"))
            .or_else(|| self.host.strip_prefix("https://"))?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let url = url::Url::parse(&format!("tcp://{authority}")).ok()?;
        let host = url.host_str()?.to_string();
        let port = url
            .port()
            .unwrap_or(if self.tls.is_some() { 2376 } else { 2375 });
        Some(format!("{host}:{port}"))
    }

    /// The parts of an `ssh://` endpoint.
    pub fn ssh_target(&self) -> Option<Result<SshTarget, String>> {
        if !self.host.starts_with("ssh://") {
            return None;
        }
        let parse = || -> Result<SshTarget, String> {
            let url = url::Url::parse(&self.host).map_err(|e| format!("'{}': {e}", self.host))?;
            let host = url
                .host_str()
                .filter(|h| !h.is_empty())
                .ok_or_else(|| format!("'{}' names no host", self.host))?;
            if !matches!(url.path(), "" | "/") {
                return Err(format!(
                    "'{}': an ssh:// address takes no path (the CLI refuses one too)",
                    self.host
                ));
            }
            Ok(SshTarget {
                user: Some(url.username().to_string()).filter(|u| !u.is_empty()),
                host: host.to_string(),
                port: url.port(),
            })
        };
        Some(parse())
    }

    /// The host whose ports the daemon publishes: the daemon's own host for a `tcp://` or
    /// `ssh://` endpoint on another machine, else this machine's IPv4 loopback. HTTP probes of
    /// published ports go there.
    pub fn probe_host(&self) -> String {
        let remote = if let Some(addr) = self.tcp_addr() {
            addr.rsplit_once(':').map(|(h, _)| h.to_string())
        } else if let Some(Ok(t)) = self.ssh_target() {
            Some(t.host)
        } else {
            None
        };
        match remote {
            Some(h) => {
                let h = h.trim_start_matches('[').trim_end_matches(']').to_string();
                if is_loopback(&h) {
                    "127.0.0.1".into()
                } else {
                    h
                }
            }
            None => "127.0.0.1".into(),
        }
    }

    /// Is the daemon on another machine (its published ports are not on this one's loopback)?
    pub fn is_remote(&self) -> bool {
        self.probe_host() != "127.0.0.1"
    }
}
