//! The `registry` stand-in: Debian's distribution registry (package `docker-registry`, 2.8.x) in
//! a `FROM scratch`-like image. Debian's registry is a Go program linked against the C library
//! only, so the root filesystem holds it at `/bin/registry`, the host's dynamic loader (at the
//! binary's `PT_INTERP` path) and `libc.so.6` (in the host's multiarch directory), the upstream
//! image's `config.yml` (plus deletes enabled), `/var/lib/registry`, `/tmp` and a minimal
//! `/etc/passwd` and `/etc/group`; built as a tar in memory (~23 MB) and `docker import`ed with
//! the upstream image's entrypoint, command, port and volume.
//!
//! The binary is the host's `/usr/bin/docker-registry` when the package is installed. Otherwise
//! the package is fetched with `apt-get download` and unpacked with `dpkg-deb -x` in a temporary
//! directory, never installed (installing starts a registry service on port 5000).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io;
use std::path::{Component, Path};
use std::process::Stdio;
use std::time::{Duration, Instant, UNIX_EPOCH};

use bollard::Docker;

use super::busybox::{elf_info, go_arch, write_tar, Node};
use super::debian::{find_tool, tail};
use crate::daemon::{daemon_arch, image_size, megabytes, IMPORT_SMALL_DEADLINE};
use crate::import::{import_rootfs, label_changes, quote, standin_labels, RootfsBody};
use crate::PrepareError;

pub(super) mod libs;
use libs::{glibc_version, host_libraries};

/// Where Debian's package installs the registry.
const HOST_BINARY: &str = "/usr/bin/docker-registry";
const PACKAGE: &str = "docker-registry";
/// The registry series the course's `registry:2.8.2` belongs to.
const SERIES: &str = "2.8.";
/// The only library the stand-in carries (besides the loader).
const LIBC: &str = "libc.so.6";
/// `apt-get download` of a ~5 MB package, and unpacking it.
const DOWNLOAD_DEADLINE: Duration = Duration::from_secs(5 * 60);
const EXTRACT_DEADLINE: Duration = Duration::from_secs(2 * 60);
/// For `docker-registry --version`.
const HOST_TOOL_DEADLINE: Duration = Duration::from_secs(10);
const GO_AROUND: &str =
    "ask your instructor for an image archive and run `dockdojo prepare --load FILE`";

/// In the image, where the upstream image has them.
pub(super) const BINARY: &str = "/bin/registry";
pub(super) const CONFIG_PATH: &str = "/etc/docker/registry/config.yml";
pub(super) const DATA_DIR: &str = "/var/lib/registry";
pub(super) const PORT: u16 = 5000;
/// The upstream image's `PATH` (Alpine's default).
pub(super) const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The upstream image's `config.yml`, with deletes enabled (the course deletes manifests).
pub(super) const CONFIG: &str = "\
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
";

/// No shell in the image; like distroless, the login shell names one that is not there.
pub(super) const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\n\
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n";
pub(super) const GROUP: &str = "root:x:0:\nnobody:x:65534:\n";

/// The registry binary, read into memory, and where it came from.
#[derive(Debug)]
struct Registry {
    binary: Vec<u8>,
    /// `/usr/bin/docker-registry`, or the package it was unpacked from.
    origin: String,
    /// `2.8.2+ds1`, from `--version`.
    version: String,
    mtime: u64,
}

/// A shared object the image carries: where it goes (an absolute path) and its bytes.
#[derive(Debug)]
pub(super) struct Library {
    pub path: String,
    pub data: Vec<u8>,
}

/// Build the stand-in and tag it `reference`.
pub(super) async fn build(
    docker: &Docker,
    reference: &str,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(), PrepareError> {
    let started = Instant::now();
    let failed = |detail: String| PrepareError::StandInFailed {
        image: reference.to_string(),
        detail,
    };
    if !cfg!(target_os = "linux") {
        return Err(PrepareError::MissingTool {
            tool: PACKAGE.into(),
            fix: format!("the {reference} stand-in can only be built on Linux; {GO_AROUND}."),
        });
    }
    let registry = find_registry(reference, progress).await?;
    let elf =
        elf_info(&registry.binary).map_err(|e| failed(format!("{}: {e}", registry.origin)))?;
    if let (Some(daemon), Some(ours)) = (daemon_arch(docker).await?, go_arch(&elf)) {
        if daemon != ours {
            return Err(failed(format!(
                "the registry ({}) is built for {ours} but the Docker daemon runs on {daemon}; \
                 {GO_AROUND}.",
                registry.origin
            )));
        }
    }
    let libs = host_libraries(&registry, &elf).await.map_err(failed)?;
    // (for the source label, for the progress sentence)
    let (libc, with) = match libs.iter().find_map(|l| glibc_version(&l.data)) {
        Some(v) => (format!("host glibc {v}"), format!("the host's glibc {v}")),
        None if libs.is_empty() => ("static".to_string(), "no libraries (static)".to_string()),
        None => (
            "host C library".to_string(),
            "the host's C library".to_string(),
        ),
    };
    let tar = rootfs_tar(&registry.binary, &libs, registry.mtime)
        .map_err(|e| failed(format!("could not assemble the root filesystem: {e}")))?;
    let source = format!(
        "Debian docker-registry {} from {}, {libc}",
        registry.version, registry.origin
    );
    let changes = import_changes(&standin_labels(reference, &source));
    let message = format!("dockdojo stand-in for {reference}: {source}");
    import_rootfs(
        docker,
        reference,
        RootfsBody::Bytes(tar),
        changes,
        &message,
        IMPORT_SMALL_DEADLINE,
    )
    .await?
    .map_err(|msg| failed(format!("Docker refused the root filesystem: {msg}")))?;
    let size = image_size(docker, reference).await?;
    progress(&format!(
        "{reference}: built a local stand-in from Debian's docker-registry {} and {with} ({}) in \
         {:.1} s",
        registry.version,
        megabytes(size),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn missing_registry(why: &str) -> PrepareError {
    PrepareError::MissingTool {
        tool: PACKAGE.into(),
        fix: format!(
            "{why}. The registry stand-in is made from Debian's distribution registry: install it \
             (`sudo apt-get install docker-registry`; that also starts a registry service on port \
             5000, which `sudo systemctl disable --now docker-registry` stops) and run `dockdojo \
             prepare` again, or {GO_AROUND}."
        ),
    }
}

/// The host's registry, else one unpacked from the package `apt-get download` fetches.
async fn find_registry(
    reference: &str,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Registry, PrepareError> {
    let host = Path::new(HOST_BINARY);
    if tokio::fs::metadata(host).await.is_ok_and(|m| m.is_file()) {
        return read_registry(reference, host, HOST_BINARY.to_string()).await;
    }
    let (Some(apt_get), Some(dpkg_deb)) = (find_tool("apt-get"), find_tool("dpkg-deb")) else {
        return Err(missing_registry(&format!(
            "{HOST_BINARY} is not installed, and this host has no `apt-get` and `dpkg-deb` to \
             fetch it"
        )));
    };
    progress(&format!(
        "{reference}: {HOST_BINARY} is not installed; fetching Debian's {PACKAGE} package with \
         `apt-get download` (about 5 MB; unpacked in a temporary directory, not installed)…"
    ));
    let dir = tempfile::Builder::new()
        .prefix("dockdojo-registry-")
        .tempdir()
        .map_err(|e| PrepareError::StandInFailed {
            image: reference.to_string(),
            detail: format!("cannot create a temporary directory: {e}"),
        })?;
    // Dropping `dir` (also when this future is dropped) removes it; here we say if that failed.
    let result = fetch_into(reference, dir.path(), &apt_get, &dpkg_deb).await;
    let path = dir.path().to_path_buf();
    if let Err(e) = dir.close() {
        progress(&format!(
            "{reference}: warning: could not remove {}: {e}",
            path.display()
        ));
    }
    result
}

/// `apt-get download` the package into `dir`, unpack it there and read the registry from it.
async fn fetch_into(
    reference: &str,
    dir: &Path,
    apt_get: &Path,
    dpkg_deb: &Path,
) -> Result<Registry, PrepareError> {
    let failed = |detail: String| PrepareError::StandInFailed {
        image: reference.to_string(),
        detail,
    };
    let args = [OsStr::new("download"), OsStr::new(PACKAGE)];
    let (ok, out) = run(apt_get, &args, Some(dir), DOWNLOAD_DEADLINE)
        .await
        .map_err(failed)?;
    if !ok {
        return Err(failed(format!(
            "`apt-get download {PACKAGE}` failed{}:\n{}\nInstall the package (`sudo apt-get \
             install {PACKAGE}`) and run `dockdojo prepare` again, or {GO_AROUND}.",
            apt_hint(&out),
            tail(&out, 5)
        )));
    }
    let deb = std::fs::read_dir(dir)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(OsStr::to_str)
                .is_some_and(|n| n.starts_with(&format!("{PACKAGE}_")) && n.ends_with(".deb"))
        })
        .ok_or_else(|| {
            failed(format!(
                "`apt-get download {PACKAGE}` succeeded but left no {PACKAGE}_*.deb:\n{}",
                tail(&out, 5)
            ))
        })?;
    let root = dir.join("unpacked");
    let args = [OsStr::new("-x"), deb.as_os_str(), root.as_os_str()];
    let (ok, out) = run(dpkg_deb, &args, None, EXTRACT_DEADLINE)
        .await
        .map_err(failed)?;
    if !ok {
        return Err(failed(format!(
            "`dpkg-deb -x` of {} failed:\n{}",
            deb.display(),
            tail(&out, 5)
        )));
    }
    let binary = root.join(HOST_BINARY.trim_start_matches('/'));
    if !tokio::fs::metadata(&binary)
        .await
        .is_ok_and(|m| m.is_file())
    {
        return Err(failed(format!(
            "the package {} has no {HOST_BINARY}",
            deb.display()
        )));
    }
    let name = deb.file_name().map_or_else(
        || deb.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    read_registry(reference, &binary, format!("{name} (apt-get download)")).await
}

/// Why `apt-get download` failed, when its output says so plainly.
fn apt_hint(out: &str) -> &'static str {
    if out.contains("Unable to locate package") || out.contains("has no installation candidate") {
        " (the package lists do not know it: run `sudo apt-get update` first)"
    } else if out.contains("Failed to fetch")
        || out.contains("Temporary failure resolving")
        || out.contains("Could not resolve")
    {
        " (no Debian mirror reachable)"
    } else {
        ""
    }
}

/// Check the registry at `path` says it is 2.8.x, then read it.
async fn read_registry(
    reference: &str,
    path: &Path,
    origin: String,
) -> Result<Registry, PrepareError> {
    let failed = |detail: String| PrepareError::StandInFailed {
        image: reference.to_string(),
        detail,
    };
    let (ok, out) = run(path, &[OsStr::new("--version")], None, HOST_TOOL_DEADLINE)
        .await
        .map_err(failed)?;
    let Some(version) = parse_version(&out).filter(|_| ok) else {
        return Err(failed(format!(
            "`{} --version` did not give a version: {}",
            path.display(),
            tail(&out, 3)
        )));
    };
    if !version.starts_with(SERIES) {
        return Err(failed(format!(
            "{origin} is distribution {version}, but {reference} needs {SERIES}x; {GO_AROUND}."
        )));
    }
    let binary = tokio::fs::read(path)
        .await
        .map_err(|e| failed(format!("cannot read {}: {e}", path.display())))?;
    let mtime = tokio::fs::metadata(path)
        .await
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    Ok(Registry {
        binary,
        origin,
        version,
        mtime,
    })
}

/// Run `program` with `args` (in `dir`, if given) within `deadline`: whether it succeeded, and
/// its stdout and stderr together. `Err` when it could not run or did not finish.
async fn run(
    program: &Path,
    args: &[&OsStr],
    dir: Option<&Path>,
    deadline: Duration,
) -> Result<(bool, String), String> {
    let shown = std::iter::once(program.as_os_str())
        .chain(args.iter().copied())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    match tokio::time::timeout(deadline, cmd.output()).await {
        Err(_) => Err(format!(
            "`{shown}` did not finish within {} s",
            deadline.as_secs()
        )),
        Ok(Err(e)) => Err(format!("could not run `{shown}`: {e}")),
        Ok(Ok(out)) => Ok((
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )),
    }
}

/// `2.8.2+ds1` from `docker-registry github.com/docker/distribution 2.8.2+ds1` (upstream prints
/// `v2.8.2`): the last word that looks like a version.
pub(super) fn parse_version(out: &str) -> Option<String> {
    let line = out.lines().find(|l| !l.trim().is_empty())?;
    line.split_whitespace()
        .map(|w| w.strip_prefix('v').unwrap_or(w))
        .rfind(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.'))
        .map(str::to_string)
}

// ---- the root filesystem ------------------------------------------------------------------------

/// `/lib64/ld.so` → `lib64/ld.so`; `None` unless absolute with only plain components.
pub(super) fn image_relative(path: &str) -> Option<String> {
    let p = Path::new(path);
    if !p.is_absolute() {
        return None;
    }
    let parts = p
        .components()
        .skip(1)
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect::<Option<Vec<&str>>>()?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The image's root filesystem as a tar: directories (parents first), `/bin/registry`, the
/// libraries at their paths, the registry's `config.yml`, `/etc/passwd`, `/etc/group`.
pub(super) fn rootfs_tar(registry: &[u8], libs: &[Library], mtime: u64) -> io::Result<Vec<u8>> {
    let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
    let mut dirs: BTreeMap<String, u32> = [
        ("bin", 0o755),
        ("dev", 0o755),
        ("etc", 0o755),
        ("etc/docker", 0o755),
        ("etc/docker/registry", 0o755),
        ("proc", 0o555),
        ("root", 0o700),
        ("sys", 0o555),
        ("tmp", 0o1777),
        ("var", 0o755),
        ("var/lib", 0o755),
        ("var/lib/registry", 0o755),
    ]
    .into_iter()
    .map(|(p, m)| (p.to_string(), m))
    .collect();
    let relative = |p: &str| image_relative(p).ok_or_else(|| invalid(format!("bad path {p}")));
    let mut files: Vec<(String, u32, &[u8])> = vec![
        (relative(BINARY)?, 0o755, registry),
        (relative(CONFIG_PATH)?, 0o644, CONFIG.as_bytes()),
        ("etc/passwd".into(), 0o644, PASSWD.as_bytes()),
        ("etc/group".into(), 0o644, GROUP.as_bytes()),
    ];
    for lib in libs {
        let path = relative(&lib.path)?;
        if files.iter().any(|f| f.0 == path) {
            return Err(invalid(format!("{} would replace another file", lib.path)));
        }
        files.push((path, 0o755, &lib.data));
    }
    for (path, ..) in &files {
        let mut parent = Path::new(path).parent();
        while let Some(dir) = parent.filter(|d| !d.as_os_str().is_empty()) {
            dirs.entry(dir.to_string_lossy().into_owned())
                .or_insert(0o755);
            parent = dir.parent();
        }
    }
    if let Some((path, ..)) = files.iter().find(|f| dirs.contains_key(&f.0)) {
        return Err(invalid(format!("/{path} is both a file and a directory")));
    }
    let capacity = files.iter().map(|f| f.2.len() + 1024).sum::<usize>() + 64 * 1024;
    let mut nodes: Vec<(String, Node)> = dirs
        .into_iter()
        .map(|(p, mode)| (p, Node::Dir { mode, owner: 0 }))
        .collect();
    nodes.extend(
        files
            .into_iter()
            .map(|(p, mode, data)| (p, Node::File { mode, data })),
    );
    write_tar(nodes, mtime, capacity)
}

/// The upstream image's configuration (`docker inspect registry:2.8.2`, minus its entrypoint
/// script), `PATH`, and the stand-in labels, as `changes` lines.
pub(super) fn import_changes(labels: &[(String, String)]) -> Vec<String> {
    let mut changes = vec![
        format!("ENTRYPOINT [{}]", quote(BINARY)),
        format!("CMD [{}, {}]", quote("serve"), quote(CONFIG_PATH)),
        format!("EXPOSE {PORT}/tcp"),
        format!("VOLUME [{}]", quote(DATA_DIR)),
        format!("ENV PATH={IMAGE_PATH}"),
    ];
    changes.extend(label_changes(labels));
    changes
}
