//! The `busybox` stand-in: a `FROM scratch`-like image holding the host's static busybox (Debian
//! package `busybox-static`), one `/bin/<applet>` symlink per applet, a minimal `/etc/passwd` and
//! `/etc/group` (the accounts of the upstream image), built as a tar in memory (~2 MB) and `docker import`ed.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use bollard::Docker;

use crate::daemon::{daemon_arch, image_size, megabytes, IMPORT_SMALL_DEADLINE};
use crate::import::{import_changes, import_rootfs, standin_labels, RootfsBody};
use crate::PrepareError;

/// Where Debian (and most distributions) put busybox.
const CANDIDATES: &[&str] = &[
    "/bin/busybox",
    "/usr/bin/busybox",
    "/sbin/busybox",
    "/usr/sbin/busybox",
];
/// For `busybox --list` and `busybox --help` on the host.
const HOST_TOOL_DEADLINE: Duration = Duration::from_secs(10);
/// `PATH` in the image: the upstream image's, so a program installed in `/usr/local/bin` runs
/// by name (every applet is in `/bin`).
pub(super) const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Applets of the upstream image that distributions' static builds often leave out, as scripts
/// that behave the same for what a Dockerfile does with them.
const USER_TOOLS: &[(&str, &str)] = &[
    ("adduser", include_str!("busybox/adduser.sh")),
    ("addgroup", include_str!("busybox/addgroup.sh")),
];

/// The accounts of the upstream busybox image (no app user: exercises create their own, which
/// then works the same on the real image).
pub(super) const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
daemon:x:1:1:daemon:/usr/sbin:/bin/false\n\
bin:x:2:2:bin:/bin:/bin/false\n\
sys:x:3:3:sys:/dev:/bin/false\n\
sync:x:4:100:sync:/bin:/bin/sync\n\
mail:x:8:8:mail:/var/spool/mail:/bin/false\n\
www-data:x:33:33:www-data:/var/www:/bin/false\n\
operator:x:37:37:Operator:/var:/bin/false\n\
nobody:x:65534:65534:nobody:/home:/bin/false\n";
pub(super) const GROUP: &str = "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nwheel:x:10:root\nmail:x:8:\nwww-data:x:33:\noperator:x:37:\nstaff:x:50:\nusers:x:100:\nnogroup:x:65533:\nnobody:x:65534:\n";

/// The host's static busybox, read and probed.
#[derive(Debug)]
struct HostBusybox {
    path: PathBuf,
    binary: Vec<u8>,
    elf: ElfInfo,
    mtime: u64,
    /// `1.35.0`.
    version: String,
    /// `BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)`.
    banner: String,
    applets: Vec<String>,
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
    let host = find_host_busybox(reference).await?;
    if let (Some(daemon), Some(ours)) = (daemon_arch(docker).await?, go_arch(&host.elf)) {
        if daemon != ours {
            return Err(failed(format!(
                "the host's busybox ({}) is built for {ours} but the Docker daemon runs on \
                 {daemon}. Ask your instructor for an image archive and run `dockdojo prepare \
                 --load FILE`.",
                host.path.display()
            )));
        }
    }
    let tar = rootfs_tar(&host.binary, &host.applets, host.mtime)
        .map_err(|e| failed(format!("could not assemble the root filesystem: {e}")))?;
    let source = format!("host {} from {}", host.banner, host.path.display());
    let changes = import_changes("sh", IMAGE_PATH, &standin_labels(reference, &source));
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
        "{reference}: built a local stand-in from the host's busybox {} ({}, {} applets) in {:.1} s",
        host.version,
        megabytes(size),
        host.applets.len(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn missing_busybox(why: &str) -> PrepareError {
    PrepareError::MissingTool {
        tool: "busybox-static".into(),
        fix: format!(
            "{why}. The busybox stand-in needs a statically linked busybox: install it \
             (`sudo apt-get install busybox-static`) and run `dockdojo prepare` again, or ask your \
             instructor for an image archive and run `dockdojo prepare --load FILE`."
        ),
    }
}

/// The first static busybox among [`CANDIDATES`], with its version and applet list.
async fn find_host_busybox(reference: &str) -> Result<HostBusybox, PrepareError> {
    let mut dynamic = None;
    for candidate in CANDIDATES {
        let path = Path::new(candidate);
        let Ok(binary) = tokio::fs::read(path).await else {
            continue;
        };
        let Ok(elf) = elf_info(&binary) else {
            continue;
        };
        if elf.interpreter {
            dynamic.get_or_insert(path);
            continue;
        }
        let mtime = tokio::fs::metadata(path)
            .await
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let failed = |detail: String| PrepareError::StandInFailed {
            image: reference.to_string(),
            detail,
        };
        let list = run_host(path, "--list").await.map_err(failed)?;
        let applets = parse_applets(&list);
        if applets.len() < 10 || !applets.iter().any(|a| a == "sh") {
            return Err(failed(format!(
                "`{candidate} --list` did not list the applets (got {} lines, no `sh`)",
                applets.len()
            )));
        }
        let help = run_host(path, "--help").await.map_err(failed)?;
        let (version, banner) = parse_banner(&help).unwrap_or_else(|| {
            (
                "unknown".to_string(),
                "BusyBox (version unknown)".to_string(),
            )
        });
        return Ok(HostBusybox {
            path: path.to_path_buf(),
            binary,
            elf,
            mtime,
            version,
            banner,
            applets,
        });
    }
    Err(match dynamic {
        Some(p) => missing_busybox(&format!(
            "the host's busybox ({}) is dynamically linked",
            p.display()
        )),
        None => missing_busybox("no busybox on this host"),
    })
}

/// Run the host busybox with one argument; its stdout and stderr together.
async fn run_host(path: &Path, arg: &str) -> Result<String, String> {
    let mut cmd = tokio::process::Command::new(path);
    cmd.arg(arg)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    match tokio::time::timeout(HOST_TOOL_DEADLINE, cmd.output()).await {
        Err(_) => Err(format!(
            "`{} {arg}` did not finish within {} s",
            path.display(),
            HOST_TOOL_DEADLINE.as_secs()
        )),
        Ok(Err(e)) => Err(format!("could not run `{} {arg}`: {e}", path.display())),
        Ok(Ok(out)) => Ok(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

/// Applet names from `busybox --list`, keeping only names that are safe as one path component.
fn parse_applets(list: &str) -> Vec<String> {
    let mut v: Vec<String> = list
        .lines()
        .map(str::trim)
        .filter(|a| is_applet_name(a))
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

fn is_applet_name(a: &str) -> bool {
    !a.is_empty()
        && a != "."
        && a != ".."
        && a != "busybox"
        && a.len() < 64
        && !a.contains('/')
        && !a.contains('\0')
        && !a.chars().any(char::is_whitespace)
}

/// (`1.35.0`, `BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)`) from the `--help` banner.
fn parse_banner(help: &str) -> Option<(String, String)> {
    let line = help.lines().find(|l| l.contains("BusyBox v"))?;
    let start = line.find("BusyBox v")?;
    let line = &line[start..];
    let version = line["BusyBox v".len()..]
        .split_whitespace()
        .next()?
        .to_string();
    let banner = match line.find(')') {
        Some(end) => &line[..=end],
        None => line.split(" multi-call").next().unwrap_or(line),
    };
    Some((version, banner.trim().to_string()))
}

// ---- the root filesystem ------------------------------------------------------------------------

/// One entry of an image's root filesystem.
pub(super) enum Node<'a> {
    Dir { mode: u32, owner: u64 },
    File { mode: u32, data: &'a [u8] },
    Symlink { target: &'a str },
}

/// The image's root filesystem as a tar: directories, `/bin/busybox`, one `/bin/<applet>` symlink
/// per applet, `adduser`/`addgroup` scripts where the host's build lacks them, `/usr/bin/env`
/// (for `#!/usr/bin/env` scripts), `/etc/passwd`, `/etc/group`.
pub(super) fn rootfs_tar(busybox: &[u8], applets: &[String], mtime: u64) -> io::Result<Vec<u8>> {
    let dir = |mode| Node::Dir { mode, owner: 0 };
    let mut nodes: Vec<(String, Node)> = vec![
        ("bin".into(), dir(0o755)),
        ("dev".into(), dir(0o755)),
        ("etc".into(), dir(0o755)),
        ("home".into(), dir(0o755)),
        ("proc".into(), dir(0o555)),
        ("root".into(), dir(0o700)),
        ("sbin".into(), dir(0o755)),
        ("sys".into(), dir(0o555)),
        ("tmp".into(), dir(0o1777)),
        ("usr".into(), dir(0o755)),
        ("usr/bin".into(), dir(0o755)),
        ("usr/sbin".into(), dir(0o755)),
        ("var".into(), dir(0o755)),
        ("var/tmp".into(), dir(0o1777)),
        (
            "bin/busybox".into(),
            Node::File {
                mode: 0o755,
                data: busybox,
            },
        ),
    ];
    for a in applets.iter().filter(|a| is_applet_name(a)) {
        nodes.push((format!("bin/{a}"), Node::Symlink { target: "busybox" }));
    }
    for (name, script) in USER_TOOLS {
        if !applets.iter().any(|a| a == name) {
            nodes.push((
                format!("bin/{name}"),
                Node::File {
                    mode: 0o755,
                    data: script.as_bytes(),
                },
            ));
        }
    }
    if applets.iter().any(|a| a == "env") {
        nodes.push(("usr/bin/env".into(), Node::Symlink { target: "/bin/env" }));
    }
    nodes.push((
        "etc/passwd".into(),
        Node::File {
            mode: 0o644,
            data: PASSWD.as_bytes(),
        },
    ));
    nodes.push((
        "etc/group".into(),
        Node::File {
            mode: 0o644,
            data: GROUP.as_bytes(),
        },
    ));

    write_tar(nodes, mtime, busybox.len() + 256 * 1024)
}

/// A tar of `nodes` (paths relative to the root, parents first), every entry owned by root
/// unless a directory says otherwise, all with `mtime`.
pub(super) fn write_tar(
    nodes: Vec<(String, Node)>,
    mtime: u64,
    capacity: usize,
) -> io::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::with_capacity(capacity));
    for (path, node) in nodes {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        match node {
            Node::Dir { mode, owner } => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(mode);
                h.set_uid(owner);
                h.set_gid(owner);
                h.set_size(0);
                tar.append_data(&mut h, format!("{path}/"), io::empty())?;
            }
            Node::File { mode, data } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(mode);
                h.set_size(data.len() as u64);
                tar.append_data(&mut h, &path, data)?;
            }
            Node::Symlink { target } => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                tar.append_link(&mut h, &path, target)?;
            }
        }
    }
    tar.into_inner()
}

// ---- ELF -----------------------------------------------------------------------------------------

/// What we need to know about an executable: its machine and whether it asks for a dynamic loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ElfInfo {
    /// `e_machine` (62 = x86-64, 183 = AArch64…).
    pub machine: u16,
    pub little_endian: bool,
    pub class64: bool,
    /// Has a `PT_INTERP` program header, i.e. needs `ld.so` and shared libraries at run time.
    pub interpreter: bool,
}

const PT_INTERP: u32 = 3;

/// Parse the ELF header and program headers of `bytes` (the start of the file is enough as long
/// as it holds the program headers).
pub(super) fn elf_info(bytes: &[u8]) -> Result<ElfInfo, String> {
    if bytes.len() < 16 || &bytes[..4] != b"\x7fELF" {
        return Err("not an ELF executable".into());
    }
    let class64 = match bytes[4] {
        1 => false,
        2 => true,
        c => return Err(format!("unknown ELF class {c}")),
    };
    let little_endian = match bytes[5] {
        1 => true,
        2 => false,
        d => return Err(format!("unknown ELF data encoding {d}")),
    };
    let truncated = || "truncated ELF file".to_string();
    let field = |at: usize, len: usize| -> Result<u64, String> {
        let b = bytes.get(at..at + len).ok_or_else(truncated)?;
        let mut v: u64 = 0;
        for i in 0..len {
            let byte = if little_endian { b[len - 1 - i] } else { b[i] };
            v = (v << 8) | u64::from(byte);
        }
        Ok(v)
    };
    let machine = field(18, 2)? as u16;
    let (phoff, phentsize, phnum) = if class64 {
        (field(32, 8)?, field(54, 2)?, field(56, 2)?)
    } else {
        (field(28, 4)?, field(42, 2)?, field(44, 2)?)
    };
    if phnum > 0 && phentsize < 4 {
        return Err("bad ELF program header size".into());
    }
    let mut interpreter = false;
    for i in 0..phnum {
        let at = phoff
            .checked_add(i * phentsize)
            .and_then(|a| usize::try_from(a).ok())
            .ok_or_else(truncated)?;
        if field(at, 4)? as u32 == PT_INTERP {
            interpreter = true;
        }
    }
    Ok(ElfInfo {
        machine,
        little_endian,
        class64,
        interpreter,
    })
}

/// The Go architecture name (as the daemon reports it) of an ELF executable, when we know it.
pub(super) fn go_arch(elf: &ElfInfo) -> Option<&'static str> {
    Some(match (elf.machine, elf.class64, elf.little_endian) {
        (62, true, _) => "amd64",
        (3, false, _) => "386",
        (183, true, _) => "arm64",
        (40, false, _) => "arm",
        (21, true, true) => "ppc64le",
        (21, true, false) => "ppc64",
        (22, true, _) => "s390x",
        (243, true, _) => "riscv64",
        _ => return None,
    })
}
