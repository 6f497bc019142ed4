//! Finding the daemon the way the Docker CLI does: `DOCKER_HOST`, then `DOCKER_CONTEXT`, then
//! `currentContext` in `$DOCKER_CONFIG/config.json` (default `~/.docker`), then the platform
//! defaults. A context that is named but missing is an error, never a silent fallback.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};

use crate::error::EnvError;

/// Where to reach a daemon, and why we chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix:///…`, `tcp://…`, `npipe://…`.
    pub host: String,
    /// Where the choice came from, e.g. "DOCKER_HOST" or "context 'colima'".
    pub source: String,
}

/// The environment the lookup reads; a struct so tests can supply their own.
#[derive(Debug, Clone, Default)]
pub struct LookupEnv {
    pub docker_host: Option<String>,
    pub docker_context: Option<String>,
    pub docker_config: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl LookupEnv {
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self {
            docker_host: var("DOCKER_HOST"),
            docker_context: var("DOCKER_CONTEXT"),
            docker_config: var("DOCKER_CONFIG").map(PathBuf::from),
            home: dirs::home_dir(),
        }
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
        return Ok(vec![Endpoint {
            host: h.clone(),
            source: "DOCKER_HOST".into(),
        }]);
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
        let host = context_host(&dir, &ctx).ok_or_else(|| EnvError::MissingContext {
            context: ctx.clone(),
            source_of_name: ctx_source.clone(),
            looked_in: dir.join("contexts").join("meta"),
        })?;
        return Ok(vec![Endpoint {
            host,
            source: format!("context '{ctx}' ({ctx_source})"),
        }]);
    }
    Ok(platform_defaults(env))
}

fn platform_defaults(env: &LookupEnv) -> Vec<Endpoint> {
    let mut v = vec![Endpoint {
        host: "unix:///var/run/docker.sock".into(),
        source: "the default socket".into(),
    }];
    if let Some(home) = &env.home {
        for (p, what) in [
            (".docker/run/docker.sock", "Docker Desktop's socket"),
            (".docker/desktop/docker.sock", "Docker Desktop's socket"),
            (".colima/default/docker.sock", "colima's socket"),
            (".orbstack/run/docker.sock", "OrbStack's socket"),
        ] {
            v.push(Endpoint {
                host: format!("unix://{}", home.join(p).display()),
                source: what.into(),
            });
        }
    }
    if let Ok(runtime) = std::env::var("XDG_RUNTIME_DIR") {
        v.push(Endpoint {
            host: format!("unix://{runtime}/docker.sock"),
            source: "rootless Docker's socket".into(),
        });
        v.push(Endpoint {
            host: format!("unix://{runtime}/podman/podman.sock"),
            source: "Podman's socket".into(),
        });
    }
    v
}

fn current_context(config_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(config_dir.join("config.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("currentContext")?.as_str().map(str::to_string)
}

/// Contexts live in `contexts/meta/<sha256(name)>/meta.json`; we scan instead of hashing, which
/// keeps us free of a digest dependency and is just as exact (we compare the `Name` field).
fn context_host(config_dir: &Path, name: &str) -> Option<String> {
    let meta = config_dir.join("contexts").join("meta");
    for entry in std::fs::read_dir(meta).ok()?.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("meta.json")) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if v.get("Name").and_then(|n| n.as_str()) == Some(name) {
            return v
                .pointer("/Endpoints/docker/Host")
                .and_then(|h| h.as_str())
                .map(str::to_string);
        }
    }
    None
}

/// Deadline for the first ping of each candidate.
pub const PING_DEADLINE: Duration = Duration::from_secs(3);

/// Connect to the first candidate that answers a ping. Every failure is kept so the error can list
/// what was tried and why each one failed.
pub async fn connect(env: &LookupEnv) -> Result<(Docker, Endpoint), EnvError> {
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
            Ok(d) => return Ok((d, ep)),
            Err(e) => tried.push((ep, e)),
        }
    }
    let permission = tried.iter().any(|(_, e)| e.contains("ermission denied"));
    Err(if permission {
        EnvError::PermissionDenied { tried }
    } else {
        EnvError::Unreachable { tried }
    })
}

async fn try_endpoint(ep: &Endpoint) -> Result<Docker, String> {
    let h = ep.host.as_str();
    let docker = if let Some(path) = h.strip_prefix("unix://") {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        let _ = meta;
        Docker::connect_with_unix(path, 120, API_DEFAULT_VERSION)
    } else if h.starts_with("tcp://") || h.starts_with("http://") {
        Docker::connect_with_http(h, 120, API_DEFAULT_VERSION)
    } else {
        return Err(format!("unsupported address scheme in '{h}'"));
    }
    .map_err(|e| e.to_string())?;
    match tokio::time::timeout(PING_DEADLINE, docker.ping()).await {
        Err(_) => Err(format!("no answer within {}s", PING_DEADLINE.as_secs())),
        Ok(Err(e)) => Err(describe_bollard(&e)),
        Ok(Ok(_)) => {
            let negotiated =
                tokio::time::timeout(PING_DEADLINE, docker.clone().negotiate_version())
                    .await
                    .map_err(|_| "version negotiation timed out".to_string())?
                    .map_err(|e| describe_bollard(&e))?;
            Ok(negotiated)
        }
    }
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
mod tests {
    use super::*;

    fn env_with(dir: &Path) -> LookupEnv {
        LookupEnv {
            docker_config: Some(dir.to_path_buf()),
            home: Some(dir.to_path_buf()),
            ..Default::default()
        }
    }

    fn write_context(dir: &Path, name: &str, host: &str) {
        let d = dir.join("contexts/meta/abc123");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("meta.json"),
            format!(r#"{{"Name":"{name}","Endpoints":{{"docker":{{"Host":"{host}"}}}}}}"#),
        )
        .unwrap();
    }

    #[test]
    fn docker_host_wins() {
        let t = tempfile::tempdir().unwrap();
        let mut env = env_with(t.path());
        env.docker_host = Some("unix:///x.sock".into());
        env.docker_context = Some("nope".into());
        let r = resolve(&env).unwrap();
        assert_eq!(r[0].host, "unix:///x.sock");
        assert_eq!(r[0].source, "DOCKER_HOST");
    }

    #[test]
    fn current_context_is_followed() {
        let t = tempfile::tempdir().unwrap();
        write_context(t.path(), "other", "unix:///other.sock");
        std::fs::write(
            t.path().join("config.json"),
            r#"{"currentContext":"other"}"#,
        )
        .unwrap();
        let r = resolve(&env_with(t.path())).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].host, "unix:///other.sock");
        assert!(r[0].source.contains("other"), "{}", r[0].source);
    }

    #[test]
    fn docker_context_beats_config() {
        let t = tempfile::tempdir().unwrap();
        write_context(t.path(), "other", "unix:///other.sock");
        std::fs::write(
            t.path().join("config.json"),
            r#"{"currentContext":"missing"}"#,
        )
        .unwrap();
        let mut env = env_with(t.path());
        env.docker_context = Some("other".into());
        assert_eq!(resolve(&env).unwrap()[0].host, "unix:///other.sock");
    }

    #[test]
    fn missing_context_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        let mut env = env_with(t.path());
        env.docker_context = Some("ghost".into());
        let err = resolve(&env).unwrap_err().to_string();
        assert!(err.contains("ghost"), "{err}");
        assert!(err.contains("DOCKER_CONTEXT"), "{err}");
    }

    #[test]
    fn default_context_means_platform_defaults() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(
            t.path().join("config.json"),
            r#"{"currentContext":"default"}"#,
        )
        .unwrap();
        let r = resolve(&env_with(t.path())).unwrap();
        assert_eq!(r[0].host, "unix:///var/run/docker.sock");
        assert!(r
            .iter()
            .any(|e| e.host.ends_with(".docker/run/docker.sock")));
    }
}
