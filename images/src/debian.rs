//! The `gcc` stand-in: `debootstrap --variant=minbase --include=gcc,libc6-dev bookworm` into a
//! temporary directory, then the root filesystem streamed through `tar` into `docker import`
//! (~460 MB, never held in memory). Needs Linux, root and `debootstrap`.
//!
//! debootstrap mounts `proc`, `sys` and (inside containers) bind-mounts host `/dev` entries under
//! the target while it runs. If it dies before unmounting them, deleting the directory would
//! descend into the host's `/dev/shm`; so cleanup unmounts whatever is still mounted below the
//! directory first and leaves the directory alone if that fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bollard::Docker;
use tempfile::TempDir;
use tokio::io::AsyncReadExt;

use crate::daemon::{daemon_arch, image_size, megabytes, IMPORT_LARGE_DEADLINE};
use crate::import::{import_changes, import_rootfs, standin_labels, ChunkStream, RootfsBody};
use crate::PrepareError;

const SUITE: &str = "bookworm";
const INCLUDE: &str = "gcc,libc6-dev";
pub(super) const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
const DEBOOTSTRAP_DEADLINE: Duration = Duration::from_secs(30 * 60);
/// Waiting for the `tar` feeding the import to finish once the import is over.
const TAR_EXIT_DEADLINE: Duration = Duration::from_secs(30);
/// Debian's default `PATH`, as in the official images.
const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Build the stand-in and tag it `reference`.
pub(super) async fn build(
    docker: &Docker,
    reference: &str,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(), PrepareError> {
    let failed = |detail: String| PrepareError::StandInFailed {
        image: reference.to_string(),
        detail,
    };
    let go_around =
        "ask your instructor for an image archive and run `dockdojo prepare --load FILE`";
    if !cfg!(target_os = "linux") {
        return Err(PrepareError::MissingTool {
            tool: "debootstrap".into(),
            fix: format!("the {reference} stand-in can only be built on Linux; {go_around}."),
        });
    }
    let Some(debootstrap) = find_tool("debootstrap") else {
        return Err(PrepareError::MissingTool {
            tool: "debootstrap".into(),
            fix: format!(
                "the {reference} stand-in is built with it. Install it (`sudo apt-get install \
                 debootstrap`) and run `dockdojo prepare` again, or {go_around}."
            ),
        });
    };
    if !is_root() {
        return Err(PrepareError::NotRoot);
    }
    if let (Some(daemon), Some(ours)) = (daemon_arch(docker).await?, host_go_arch()) {
        if daemon != ours {
            return Err(failed(format!(
                "debootstrap would build an {ours} root filesystem but the Docker daemon runs \
                 on {daemon}; {go_around}."
            )));
        }
    }
    let mirror = debian_mirror();
    let base = temp_base();
    let dir = tempfile::Builder::new()
        .prefix("dockdojo-rootfs-")
        .tempdir_in(&base)
        .map_err(|e| {
            failed(format!(
                "cannot create a temporary directory in {}: {e}",
                base.display()
            ))
        })?;
    let mut guard = Rootfs {
        dir: Some(dir),
        pgid: None,
    };
    let result = build_in(
        docker,
        reference,
        &mut guard,
        &debootstrap,
        &mirror,
        progress,
    )
    .await;
    // Removing ~20 000 files blocks; do it off the async workers. The guard moves into the
    // closure, so it is released even if this future is dropped meanwhile.
    let cleanup = tokio::task::spawn_blocking(move || guard.release())
        .await
        .unwrap_or_else(|e| Err(format!("cleanup did not finish: {e}")));
    if let Err(msg) = cleanup {
        progress(&format!("{reference}: warning: {msg}"));
    }
    result
}

async fn build_in(
    docker: &Docker,
    reference: &str,
    guard: &mut Rootfs,
    debootstrap: &Path,
    mirror: &str,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(), PrepareError> {
    let failed = |detail: String| PrepareError::StandInFailed {
        image: reference.to_string(),
        detail,
    };
    let root = guard.path().to_path_buf();
    progress(&format!(
        "{reference}: running debootstrap (Debian {SUITE}, minbase + {}) from {mirror} into {}; \
         this downloads about 80 MB and takes a minute or more…",
        INCLUDE.replace(',', ", "),
        root.display()
    ));
    let started = Instant::now();
    let mut cmd = tokio::process::Command::new(debootstrap);
    cmd.arg("--variant=minbase")
        .arg(format!("--include={INCLUDE}"))
        .arg("--components=main")
        .arg(SUITE)
        .arg(&root)
        .arg(mirror)
        .env("LC_ALL", "C")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let child = cmd
        .spawn()
        .map_err(|e| failed(format!("could not start {}: {e}", debootstrap.display())))?;
    guard.pgid = child.id();
    let output = match tokio::time::timeout(DEBOOTSTRAP_DEADLINE, child.wait_with_output()).await {
        Err(_) => {
            guard.kill_group();
            return Err(failed(format!(
                "debootstrap did not finish within {} minutes",
                DEBOOTSTRAP_DEADLINE.as_secs() / 60
            )));
        }
        Ok(Err(e)) => {
            guard.kill_group();
            return Err(failed(format!("debootstrap failed to run: {e}")));
        }
        Ok(Ok(out)) => out,
    };
    if !output.status.success() {
        guard.kill_group();
        let mut detail = format!(
            "debootstrap {} (mirror {mirror}).\n{}",
            output.status,
            tail(
                &format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
                15
            )
        );
        if let Ok(log) = std::fs::read_to_string(root.join("debootstrap/debootstrap.log")) {
            detail.push_str("\nEnd of debootstrap.log:\n");
            detail.push_str(&tail(&log, 15));
        }
        return Err(failed(detail));
    }
    // It exited by itself: its process group is gone and the id may be reused.
    guard.pgid = None;
    let took = started.elapsed();
    tidy_rootfs(&root);
    let gcc = gcc_version(&root).unwrap_or_else(|| "(version unknown)".into());
    progress(&format!(
        "{reference}: debootstrap finished in {:.0} s; importing the root filesystem into Docker…",
        took.as_secs_f64()
    ));

    let import_started = Instant::now();
    let (body, tar_task) = tar_stream(&root).map_err(|e| failed(format!("cannot run tar: {e}")))?;
    let source = format!(
        "debootstrap --variant=minbase --include={INCLUDE} {SUITE} {mirror} (Debian gcc {gcc})"
    );
    let changes = import_changes("bash", IMAGE_PATH, &standin_labels(reference, &source));
    let message = format!("dockdojo stand-in for {reference}: {source}");
    let imported = import_rootfs(
        docker,
        reference,
        RootfsBody::Stream(body),
        changes,
        &message,
        IMPORT_LARGE_DEADLINE,
    )
    .await;
    // The import is over (the body is dropped): tar has finished or is being stopped.
    let tar_failure = match tokio::time::timeout(TAR_EXIT_DEADLINE, tar_task).await {
        Ok(Ok(failure)) => failure,
        Ok(Err(e)) => Some(format!("the tar task failed: {e}")),
        Err(_) => Some("tar did not stop".into()),
    };
    // A failed tar aborts the upload, which the import reports as a lost connection: blame tar.
    if let Some(tar_msg) = tar_failure {
        if !matches!(imported, Ok(Ok(()))) {
            return Err(failed(format!(
                "packing the root filesystem failed: {tar_msg}"
            )));
        }
    }
    imported?.map_err(|msg| failed(format!("Docker refused the root filesystem: {msg}")))?;
    let size = image_size(docker, reference).await?;
    progress(&format!(
        "{reference}: built a local stand-in with Debian's gcc {gcc} ({SUITE}, {}) in {:.0} s \
         (debootstrap {:.0} s, import {:.0} s)",
        megabytes(size),
        started.elapsed().as_secs_f64(),
        took.as_secs_f64(),
        import_started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Stream `tar -c` of `root` in chunks. The stream ends only after tar exited successfully, and
/// ends with an error when it did not, so a truncated tar never becomes an image. The task's
/// result is tar's failure, if any.
fn tar_stream(
    root: &Path,
) -> std::io::Result<(ChunkStream, tokio::task::JoinHandle<Option<String>>)> {
    let mut child = tokio::process::Command::new("tar")
        .arg("--create")
        .arg("--file=-")
        .arg("--numeric-owner")
        .arg("--one-file-system")
        .arg("--directory")
        .arg(root)
        .arg(".")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(16);
    let task = tokio::spawn(async move {
        let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take())
        else {
            return Some("tar's output was not captured".to_string());
        };
        let errors = async {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s).await;
            s
        };
        let pump = async {
            loop {
                let mut buf = vec![0u8; 256 * 1024];
                match stdout.read(&mut buf).await {
                    Ok(0) => return Ok(true),
                    Ok(n) => {
                        buf.truncate(n);
                        if tx.send(Ok(buf)).await.is_err() {
                            return Ok(false); // the import stopped reading
                        }
                    }
                    Err(e) => return Err(e.to_string()),
                }
            }
        };
        let (errors, pumped) = tokio::join!(errors, pump);
        let failure = match pumped {
            Ok(true) => match child.wait().await {
                Ok(status) if status.success() => None,
                Ok(status) => Some(format!("tar {status}: {}", tail(&errors, 5))),
                Err(e) => Some(format!("waiting for tar failed: {e}")),
            },
            Ok(false) => {
                let _ = child.kill().await;
                Some("the import stopped reading".to_string())
            }
            Err(e) => {
                let _ = child.kill().await;
                Some(format!("reading tar's output failed: {e}"))
            }
        };
        if let Some(msg) = &failure {
            let _ = tx.send(Err(std::io::Error::other(msg.clone()))).await;
        }
        failure
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    Ok((Box::pin(body), task))
}

/// The temporary root filesystem, its debootstrap process group while it runs, and a careful
/// cleanup (also on drop).
struct Rootfs {
    dir: Option<TempDir>,
    pgid: Option<u32>,
}

impl Rootfs {
    fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .map_or(Path::new("/nonexistent"), |d| d.path())
    }

    /// Kill debootstrap and everything it started (dpkg, maintainer scripts in the chroot).
    fn kill_group(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            let _ = std::process::Command::new("sh")
                .args(["-c", "kill -s KILL -- \"-$1\"", "sh", &pgid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    /// Unmount what debootstrap left mounted below the directory, then remove it. If something
    /// stays mounted, the directory is left in place (removing it would reach into the mount).
    fn release(&mut self) -> Result<(), String> {
        self.kill_group();
        let Some(dir) = self.dir.take() else {
            return Ok(());
        };
        let root = std::fs::canonicalize(dir.path()).unwrap_or_else(|_| dir.path().to_path_buf());
        let mut mounts = mounts_below(&root);
        if !mounts.is_empty() {
            // Deepest first.
            mounts.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
            for m in &mounts {
                let _ = std::process::Command::new("umount")
                    .arg("--lazy")
                    .arg(m)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            let left = mounts_below(&root);
            if let Some(first) = left.first() {
                let kept = dir.keep();
                return Err(format!(
                    "left {} in place because {} is still mounted; unmount it (`umount -l`) and \
                     remove the directory by hand",
                    kept.display(),
                    first.display()
                ));
            }
        }
        dir.close()
            .map_err(|e| format!("could not remove {}: {e}", root.display()))
    }
}

impl Drop for Rootfs {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

/// Mount points at or below `root`, from `/proc/self/mountinfo`.
fn mounts_below(root: &Path) -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    parse_mountinfo(&info)
        .into_iter()
        .filter(|m| m.starts_with(root))
        .collect()
}

/// The mount points (5th field, octal escapes decoded) of a mountinfo text.
pub(super) fn parse_mountinfo(info: &str) -> Vec<PathBuf> {
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape_octal(p)))
        .collect()
}

fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = b[i + 1..i + 4]
                .iter()
                .fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
            out.push(u8::try_from(v).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Drop what debootstrap copied from the host or downloaded and no image should carry.
fn tidy_rootfs(root: &Path) {
    for f in ["etc/resolv.conf", "etc/hostname"] {
        let p = root.join(f);
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
            let _ = std::fs::remove_file(p);
        }
    }
    for (dir, keep) in [
        ("var/cache/apt/archives", &["partial", "lock"][..]),
        ("var/lib/apt/lists", &["partial", "lock"][..]),
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if keep.iter().any(|k| name == *k) {
                continue;
            }
            if e.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// The installed `gcc-NN` package's version from the root filesystem's dpkg database.
fn gcc_version(root: &Path) -> Option<String> {
    let status = std::fs::read_to_string(root.join("var/lib/dpkg/status")).ok()?;
    parse_gcc_version(&status)
}

pub(super) fn parse_gcc_version(status: &str) -> Option<String> {
    status.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name).map(str::trim))
        };
        let package = field("Package:")?;
        let suffix = package.strip_prefix("gcc-")?;
        if suffix.is_empty() || !suffix.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if !field("Status:").is_some_and(|s| s.ends_with("installed")) {
            return None;
        }
        field("Version:").map(str::to_string)
    })
}

/// The Debian mirror the host uses (deb822 `debian.sources`, then `sources.list`), else
/// deb.debian.org.
fn debian_mirror() -> String {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    read("/etc/apt/sources.list.d/debian.sources")
        .and_then(|s| mirror_from_deb822(&s))
        .or_else(|| read("/etc/apt/sources.list").and_then(|s| mirror_from_list(&s)))
        .unwrap_or_else(|| DEFAULT_MIRROR.to_string())
}

fn usable_mirror(uri: &str) -> Option<String> {
    let uri = uri.trim().trim_end_matches('/');
    let http = uri.starts_with("http://") || uri.starts_with("https://");
    (http && !uri.contains("security")).then(|| uri.to_string())
}

/// The first non-security http(s) `URIs:` of a deb822 sources file.
pub(super) fn mirror_from_deb822(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("URIs:"))
        .flat_map(str::split_whitespace)
        .find_map(usable_mirror)
}

/// The first non-security http(s) URI of a one-line-style `sources.list`.
pub(super) fn mirror_from_list(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let rest = l.strip_prefix("deb ")?;
        let rest = rest.trim_start();
        // Skip `[arch=amd64 signed-by=…]` options.
        let rest = match rest.strip_prefix('[') {
            Some(r) => r.split_once(']')?.1,
            None => rest,
        };
        usable_mirror(rest.split_whitespace().next()?)
    })
}

/// Where to put the ~460 MB root filesystem: `/var/tmp` (on disk, and unlike a tmpfs `/tmp`
/// usually not `nodev`), else the usual temporary directory.
fn temp_base() -> PathBuf {
    let var_tmp = Path::new("/var/tmp");
    if var_tmp.is_dir() {
        var_tmp.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// An executable named `name` on `PATH` or in the sbin directories (often missing from users'
/// `PATH`).
pub(super) fn find_tool(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// True when our effective uid is 0 (from `/proc/self/status`, no libc needed).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| effective_uid(&s))
        .is_some_and(|uid| uid == 0)
}

pub(super) fn effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The host's architecture in Go's naming (what debootstrap will build, as the daemon says it).
fn host_go_arch() -> Option<&'static str> {
    Some(match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        _ => return None,
    })
}

/// The last `n` non-empty lines of `text`.
pub(super) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests;
