//! Unit tests (no Docker) for the pure parts, and tests against the real daemon on
//! `/var/run/docker.sock` that only touch images tagged `dockdojo-test-<uuid>/…` and remove them.

use std::collections::HashMap;
use std::io::Read;

use futures_util::FutureExt;

use super::busybox::{elf_info, go_arch, rootfs_tar, GROUP, IMAGE_PATH, PASSWD};
use super::*;

// ---- the busybox root filesystem ----------------------------------------------------------------

#[derive(Debug)]
struct Entry {
    kind: tar::EntryType,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: u64,
    link: Option<String>,
    data: Vec<u8>,
}

fn entries(tar_bytes: &[u8]) -> HashMap<String, Entry> {
    let mut archive = tar::Archive::new(tar_bytes);
    let mut map = HashMap::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let h = e.header().clone();
        let link = e
            .link_name()
            .unwrap()
            .map(|l| l.to_string_lossy().into_owned());
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let entry = Entry {
            kind: h.entry_type(),
            mode: h.mode().unwrap(),
            uid: h.uid().unwrap(),
            gid: h.gid().unwrap(),
            mtime: h.mtime().unwrap(),
            link,
            data,
        };
        assert!(
            map.insert(path.clone(), entry).is_none(),
            "duplicate {path}"
        );
    }
    map
}

#[test]
fn busybox_rootfs_has_binary_applets_users_and_modes() {
    let binary = b"\x7fELF pretend busybox".to_vec();
    let applets: Vec<String> = ["sh", "wget", "httpd", "nc", "cat", "[", "env", "id"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let tar = rootfs_tar(&binary, &applets, 1_700_000_000).unwrap();
    let m = entries(&tar);

    let bb = &m["bin/busybox"];
    assert_eq!(bb.kind, tar::EntryType::Regular);
    assert_eq!(bb.mode, 0o755);
    assert_eq!((bb.uid, bb.gid), (0, 0));
    assert_eq!(bb.data, binary);
    assert_eq!(bb.mtime, 1_700_000_000);

    for a in &applets {
        let e = &m[&format!("bin/{a}")];
        assert_eq!(e.kind, tar::EntryType::Symlink, "{a}");
        assert_eq!(e.link.as_deref(), Some("busybox"), "{a}");
    }
    assert_eq!(m["usr/bin/env"].link.as_deref(), Some("/bin/env"));

    let tmp = &m["tmp/"];
    assert_eq!(tmp.kind, tar::EntryType::Directory);
    assert_eq!(tmp.mode, 0o1777);
    assert_eq!(m["var/tmp/"].mode, 0o1777);
    assert_eq!(m["root/"].mode, 0o700);
    let home = &m["home/app/"];
    assert_eq!(home.kind, tar::EntryType::Directory);
    assert_eq!((home.uid, home.gid), (1000, 1000));
    for d in ["bin/", "etc/", "dev/", "proc/", "sys/", "usr/bin/", "sbin/"] {
        assert_eq!(m[d].kind, tar::EntryType::Directory, "{d}");
    }

    let passwd = String::from_utf8(m["etc/passwd"].data.clone()).unwrap();
    assert_eq!(passwd, PASSWD);
    assert!(passwd.contains("root:x:0:0:root:/root:/bin/sh\n"));
    assert!(passwd.contains("nobody:x:65534:65534:"));
    assert!(passwd.contains("app:x:1000:1000:app:/home/app:/bin/sh\n"));
    let group = String::from_utf8(m["etc/group"].data.clone()).unwrap();
    assert_eq!(group, GROUP);
    assert!(group.contains("app:x:1000:\n"));
    assert_eq!(m["etc/passwd"].mode, 0o644);

    assert!(m.keys().all(|p| !p.starts_with('/') && !p.contains("..")));
}

#[test]
fn busybox_rootfs_skips_unsafe_applet_names() {
    let applets: Vec<String> = ["sh", "busybox", "../evil", "a/b", "", "two words"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let m = entries(&rootfs_tar(b"x", &applets, 0).unwrap());
    assert_eq!(m["bin/busybox"].kind, tar::EntryType::Regular);
    assert!(m.contains_key("bin/sh"));
    assert!(!m
        .keys()
        .any(|p| p.contains("evil") || p.contains("a/b") || p.contains("two")));
    // No `env` applet, no /usr/bin/env link pointing nowhere.
    assert!(!m.contains_key("usr/bin/env"));
}

// ---- ELF ---------------------------------------------------------------------------------------

/// A minimal ELF header plus program headers of the given types.
fn fake_elf(class64: bool, little: bool, machine: u16, phdrs: &[u32]) -> Vec<u8> {
    let (ehsize, phentsize) = if class64 { (64, 56) } else { (52, 32) };
    let mut b = vec![0u8; ehsize + phentsize * phdrs.len()];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = if class64 { 2 } else { 1 };
    b[5] = if little { 1 } else { 2 };
    b[6] = 1;
    let put = |b: &mut Vec<u8>, at: usize, len: usize, v: u64| {
        for i in 0..len {
            let byte = (v >> (8 * i)) as u8;
            let pos = if little { at + i } else { at + len - 1 - i };
            b[pos] = byte;
        }
    };
    put(&mut b, 16, 2, 2); // ET_EXEC
    put(&mut b, 18, 2, u64::from(machine));
    if class64 {
        put(&mut b, 32, 8, ehsize as u64);
        put(&mut b, 54, 2, phentsize as u64);
        put(&mut b, 56, 2, phdrs.len() as u64);
    } else {
        put(&mut b, 28, 4, ehsize as u64);
        put(&mut b, 42, 2, phentsize as u64);
        put(&mut b, 44, 2, phdrs.len() as u64);
    }
    for (i, t) in phdrs.iter().enumerate() {
        put(&mut b, ehsize + i * phentsize, 4, u64::from(*t));
    }
    b
}

#[test]
fn elf_static_and_dynamic_are_told_apart() {
    const LOAD: u32 = 1;
    const INTERP: u32 = 3;
    const NOTE: u32 = 4;
    let s = elf_info(&fake_elf(true, true, 62, &[6, LOAD, LOAD, NOTE])).unwrap();
    assert!(!s.interpreter);
    assert_eq!(go_arch(&s), Some("amd64"));
    let d = elf_info(&fake_elf(true, true, 62, &[6, INTERP, LOAD])).unwrap();
    assert!(d.interpreter);
    let be32 = elf_info(&fake_elf(false, false, 8, &[LOAD, INTERP])).unwrap();
    assert!(be32.interpreter && !be32.class64 && !be32.little_endian);
    assert_eq!(be32.machine, 8);
    let arm = elf_info(&fake_elf(true, true, 183, &[LOAD])).unwrap();
    assert_eq!(go_arch(&arm), Some("arm64"));
}

#[test]
fn elf_garbage_is_rejected() {
    assert!(elf_info(b"#!/bin/sh\necho hi\n").is_err());
    assert!(elf_info(b"").is_err());
    let mut cut = fake_elf(true, true, 62, &[1, 3]);
    cut.truncate(70);
    assert!(elf_info(&cut).unwrap_err().contains("truncated"));
    let mut bad_class = fake_elf(true, true, 62, &[1]);
    bad_class[4] = 9;
    assert!(elf_info(&bad_class).is_err());
}

#[test]
fn host_binaries_are_classified() {
    // Debian's busybox-static has no PT_INTERP; a normal distribution binary does.
    if let Ok(b) = std::fs::read("/bin/busybox") {
        if let Ok(info) = elf_info(&b) {
            let dpkg = std::process::Command::new("dpkg")
                .args(["-S", "/bin/busybox"])
                .output();
            if let Ok(out) = dpkg {
                if String::from_utf8_lossy(&out.stdout).starts_with("busybox-static:") {
                    assert!(!info.interpreter, "busybox-static reported as dynamic");
                }
            }
        }
    }
    for dynamic in ["/usr/bin/ls", "/bin/ls"] {
        if let Ok(b) = std::fs::read(dynamic) {
            if let Ok(info) = elf_info(&b) {
                assert!(info.interpreter, "{dynamic} should need ld.so");
                return;
            }
        }
    }
}

// ---- small parsers -------------------------------------------------------------------------------

#[test]
fn references_split_into_name_and_tag() {
    assert_eq!(split_reference("busybox:1.36.1"), ("busybox", "1.36.1"));
    assert_eq!(
        split_reference("gcc:12.2.0-bookworm"),
        ("gcc", "12.2.0-bookworm")
    );
    assert_eq!(split_reference("busybox"), ("busybox", "latest"));
    assert_eq!(
        split_reference("localhost:5001/team/app:v2"),
        ("localhost:5001/team/app", "v2")
    );
    assert_eq!(
        split_reference("localhost:5001/app"),
        ("localhost:5001/app", "latest")
    );
}

#[test]
fn pull_failures_are_summarised() {
    let dns = "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on \
               10.255.255.53:53: no such host";
    assert_eq!(
        describe_pull_failure(dns),
        "no registry reachable (lookup registry-1.docker.io: no such host)"
    );
    let refused = "Get \"https://registry-1.docker.io/v2/\": dial tcp 1.2.3.4:443: connect: \
                   connection refused";
    assert!(describe_pull_failure(refused).starts_with("no registry reachable ("));
    let unknown = "manifest for busybox:9.9 not found: manifest unknown";
    assert!(describe_pull_failure(unknown).starts_with("pull failed ("));
}

#[test]
fn only_selects_by_reference_or_name() {
    let all = select(BASE_IMAGES, &[]).unwrap();
    assert_eq!(all.len(), BASE_IMAGES.len());
    let one = select(BASE_IMAGES, &["busybox".into()]).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].reference, "busybox:1.36.1");
    let one = select(BASE_IMAGES, &["gcc:12.2.0-bookworm".into()]).unwrap();
    assert_eq!(one[0].standin, StandIn::DebianGcc);
    let err = select(BASE_IMAGES, &["alpine".into()]).unwrap_err();
    assert!(matches!(err, PrepareError::UnknownImage { .. }));
    assert!(err.to_string().contains("busybox:1.36.1"), "{err}");
}

#[test]
fn base_images_are_pinned() {
    for img in BASE_IMAGES {
        let (_, tag) = split_reference(img.reference);
        assert_ne!(tag, "latest", "{}", img.reference);
        assert!(!img.purpose.is_empty());
    }
}

#[test]
fn import_changes_quote_labels() {
    let labels = standin_labels("busybox:1.36.1", "host BusyBox v1.35.0 \"x\"");
    let changes = import_changes("sh", IMAGE_PATH, &labels);
    assert_eq!(changes[0], r#"CMD ["sh"]"#);
    assert_eq!(changes[1], "ENV PATH=/bin:/usr/bin:/sbin:/usr/sbin");
    assert!(changes.contains(&r#"LABEL "io.dockdojo.managed"="true""#.to_string()));
    assert!(changes.contains(&r#"LABEL "io.dockdojo.role"="base""#.to_string()));
    assert!(changes.contains(&r#"LABEL "io.dockdojo.standin"="busybox:1.36.1""#.to_string()));
    assert!(changes.contains(
        &r#"LABEL "io.dockdojo.standin.source"="host BusyBox v1.35.0 \"x\"""#.to_string()
    ));
}

#[test]
fn sizes_read_like_docker_images() {
    assert_eq!(megabytes(2_113_000), "2.1 MB");
    assert_eq!(megabytes(459_600_000), "460 MB");
}

#[test]
fn load_output_names_images() {
    let out = "Loaded image: busybox:1.36.1\nLoaded image: docker.io/library/gcc:12.2.0-bookworm\n\
               Loaded image ID: sha256:abc\n";
    assert_eq!(
        super::archive::loaded_names(out),
        vec!["busybox:1.36.1", "gcc:12.2.0-bookworm"]
    );
}

#[cfg(unix)]
mod debian_parsers {
    use super::super::debian::*;
    use std::path::PathBuf;

    #[test]
    fn mirror_comes_from_the_host_sources() {
        let deb822 = "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n\
                      URIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n\n\
                      Types: deb\nURIs: http://deb.debian.org/debian-security\n\
                      Suites: bookworm-security\n";
        assert_eq!(
            mirror_from_deb822(deb822).as_deref(),
            Some("http://deb.debian.org/debian")
        );
        let security_first = "URIs: http://security.debian.org/debian-security\n\n\
                              URIs: https://ftp.fr.debian.org/debian/\n";
        assert_eq!(
            mirror_from_deb822(security_first).as_deref(),
            Some("https://ftp.fr.debian.org/debian")
        );
        assert_eq!(mirror_from_deb822("URIs: cdrom:[Debian]/\n"), None);
        let list = "# comment\ndeb-src http://x/debian bookworm main\n\
                    deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n";
        assert_eq!(
            mirror_from_list(list).as_deref(),
            Some("http://mirror.example/debian")
        );
        assert!(DEFAULT_MIRROR.starts_with("http://deb.debian.org"));
    }

    #[test]
    fn gcc_version_from_dpkg_status() {
        let status = "Package: gcc\nStatus: install ok installed\nVersion: 4:12.2.0-3\n\n\
                      Package: gcc-12-base\nStatus: install ok installed\nVersion: 12.2.0-14\n\n\
                      Package: gcc-11\nStatus: deinstall ok config-files\nVersion: 11.3.0-12\n\n\
                      Package: gcc-12\nStatus: install ok installed\nVersion: 12.2.0-14\n";
        assert_eq!(parse_gcc_version(status).as_deref(), Some("12.2.0-14"));
        assert_eq!(parse_gcc_version("Package: make\n"), None);
    }

    #[test]
    fn effective_uid_is_the_second_field() {
        let s = "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(effective_uid(s), Some(0));
        assert_eq!(effective_uid("Uid:\t1000\t1000\t1000\t1000\n"), Some(1000));
        assert_eq!(effective_uid("Name: x\n"), None);
    }

    #[test]
    fn mountinfo_mount_points_are_decoded() {
        let info = "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n\
                    98 22 0:5 / /var/tmp/dockdojo-rootfs-x/dev/pts rw - devpts devpts rw\n\
                    99 22 0:6 / /mnt/with\\040space rw - tmpfs tmpfs rw\n";
        assert_eq!(
            parse_mountinfo(info),
            vec![
                PathBuf::from("/"),
                PathBuf::from("/var/tmp/dockdojo-rootfs-x/dev/pts"),
                PathBuf::from("/mnt/with space"),
            ]
        );
    }
}

// ---- against the real daemon ---------------------------------------------------------------------

const SOCKET: &str = "/var/run/docker.sock";

/// A deadline for the tests' own Docker calls.
async fn dl<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .expect("Docker did not answer within 30 s")
}

/// The daemon, or `None` (test skipped) when this machine has no Docker socket.
async fn daemon() -> Option<Docker> {
    if !std::path::Path::new(SOCKET).exists() {
        eprintln!("skipped: no {SOCKET}");
        return None;
    }
    let d = Docker::connect_with_unix(SOCKET, 120, bollard::API_DEFAULT_VERSION).unwrap();
    within("ping", Duration::from_secs(5), d.ping())
        .await
        .unwrap()
        .unwrap();
    Some(d)
}

/// A test-only reference like `dockdojo-test-1a2b3c4d/busybox:1.36.1`.
fn test_reference(name: &str) -> &'static str {
    let id = uuid::Uuid::new_v4().simple().to_string();
    Box::leak(format!("dockdojo-test-{}/{name}", &id[..8]).into_boxed_str())
}

fn test_images(busybox: &'static str, gcc: &'static str) -> Vec<BaseImage> {
    vec![
        BaseImage {
            reference: busybox,
            standin: StandIn::BusyboxStatic,
            purpose: "test",
        },
        BaseImage {
            reference: gcc,
            standin: StandIn::DebianGcc,
            purpose: "test (never built: `only` leaves it out)",
        },
    ]
}

/// Run `body`, then remove `refs` (our own test tags) whether it passed or panicked.
async fn with_cleanup<F: Future<Output = ()>>(docker: &Docker, refs: &[&str], body: F) {
    let result = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    for r in refs {
        let _ = dl(docker.remove_image(
            r,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        ))
        .await;
    }
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

fn has_host_busybox() -> bool {
    ["/bin/busybox", "/usr/bin/busybox"].iter().any(|p| {
        std::fs::read(p)
            .ok()
            .and_then(|b| elf_info(&b).ok())
            .is_some_and(|i| !i.interpreter)
    })
}

#[tokio::test]
async fn busybox_standin_is_built_labelled_and_then_present() {
    let Some(docker) = daemon().await else { return };
    if !has_host_busybox() {
        eprintln!("skipped: no static busybox on this host");
        return;
    }
    let bb = test_reference("busybox:1.36.1");
    let copy = test_reference("my-own:v1");
    let gcc = test_reference("gcc:12.2.0-bookworm");
    let images = test_images(bb, gcc);
    let d = docker.clone();
    with_cleanup(&docker, &[bb, copy], async move {
        let opts = PrepareOptions {
            offline: true,
            only: vec![bb.to_string()],
            ..Default::default()
        };
        let mut lines = Vec::new();
        let started = Instant::now();
        let out = prepare_images(&d, &images, &opts, &mut |l: &str| lines.push(l.to_string()))
            .await
            .unwrap();
        eprintln!("busybox stand-in in {:?}: {lines:#?}", started.elapsed());
        assert_eq!(out, vec![(bb.to_string(), Outcome::StandIn)]);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("built a local stand-in from the host's busybox")),
            "{lines:?}"
        );

        let img = dl(d.inspect_image(bb)).await.unwrap();
        let cfg = img.config.unwrap();
        assert_eq!(cfg.cmd, Some(vec!["sh".to_string()]));
        assert!(cfg
            .env
            .unwrap_or_default()
            .contains(&"PATH=/bin:/usr/bin:/sbin:/usr/sbin".to_string()));
        let l = cfg.labels.unwrap();
        assert!(
            !l.contains_key(labels::MANAGED),
            "inherited by every learner image: {l:?}"
        );
        assert_eq!(l[labels::STANDIN], bb);
        assert!(l[STANDIN_SOURCE].contains("BusyBox v"), "{l:?}");
        let size = img.size.unwrap();
        assert!(size > 500_000 && size < 10_000_000, "size {size}");

        assert_eq!(image_present(&d, bb).await.unwrap(), Some(true));
        assert_eq!(image_present(&d, gcc).await.unwrap(), None);

        // Another tag on the same image (like an image built FROM it, which inherits the labels)
        // is not the stand-in of that other reference.
        let (repo, tag) = split_reference(copy);
        dl(d.tag_image(
            bb,
            Some(
                bollard::query_parameters::TagImageOptionsBuilder::default()
                    .repo(repo)
                    .tag(tag)
                    .build(),
            ),
        ))
        .await
        .unwrap();
        assert_eq!(image_present(&d, copy).await.unwrap(), Some(false));

        let mut again = Vec::new();
        let out = prepare_images(&d, &images, &opts, &mut |l: &str| again.push(l.to_string()))
            .await
            .unwrap();
        assert_eq!(
            out,
            vec![(bb.to_string(), Outcome::Present { standin: true })]
        );
        assert!(again[0].contains("already present"), "{again:?}");
    })
    .await;
}

#[tokio::test]
async fn a_failed_pull_falls_through_to_the_standin() {
    let Some(docker) = daemon().await else { return };
    if !has_host_busybox() {
        eprintln!("skipped: no static busybox on this host");
        return;
    }
    // No registry here (DNS fails) or, with one, a repository that does not exist: either way
    // the pull fails and the stand-in is built.
    let bb = test_reference("busybox:1.36.1");
    let images = test_images(bb, test_reference("gcc:12.2.0-bookworm"));
    let d = docker.clone();
    with_cleanup(&docker, &[bb], async move {
        let opts = PrepareOptions {
            only: vec![bb.to_string()],
            ..Default::default()
        };
        let mut lines = Vec::new();
        let out = prepare_images(&d, &images, &opts, &mut |l: &str| lines.push(l.to_string()))
            .await
            .unwrap();
        eprintln!("{lines:#?}");
        assert_eq!(out, vec![(bb.to_string(), Outcome::StandIn)]);
        assert_eq!(lines[0], format!("{bb}: not present; pulling…"));
        assert!(
            lines[1].contains("no registry reachable") || lines[1].contains("pull failed"),
            "{lines:?}"
        );
        assert!(
            lines[1].ends_with("building a local stand-in…"),
            "{lines:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn busybox_survives_a_save_load_roundtrip() {
    let Some(docker) = daemon().await else { return };
    if !has_host_busybox() {
        eprintln!("skipped: no static busybox on this host");
        return;
    }
    let bb = test_reference("busybox:1.36.1");
    let gcc = test_reference("gcc:12.2.0-bookworm");
    let images = test_images(bb, gcc);
    let d = docker.clone();
    with_cleanup(&docker, &[bb], async move {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("course-images.tar");
        let mut lines = Vec::new();
        let opts = PrepareOptions {
            offline: true,
            save: Some(archive.clone()),
            only: vec![bb.to_string()],
            ..Default::default()
        };
        let out = prepare_images(&d, &images, &opts, &mut |l: &str| lines.push(l.to_string()))
            .await
            .unwrap();
        assert_eq!(out, vec![(bb.to_string(), Outcome::StandIn)]);
        let size = std::fs::metadata(&archive).unwrap().len();
        eprintln!("archive {size} bytes; {lines:#?}");
        assert!(size > 500_000, "archive only {size} bytes");
        assert!(lines.last().unwrap().starts_with("saved "), "{lines:?}");
        // Only the archive is left in the directory (the temporary file was renamed).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        dl(d.remove_image(
            bb,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        ))
        .await
        .unwrap();
        assert_eq!(image_present(&d, bb).await.unwrap(), None);

        let mut lines = Vec::new();
        let opts = PrepareOptions {
            offline: true,
            load: Some(archive.clone()),
            only: vec![bb.to_string()],
            ..Default::default()
        };
        let out = prepare_images(&d, &images, &opts, &mut |l: &str| lines.push(l.to_string()))
            .await
            .unwrap();
        assert_eq!(out, vec![(bb.to_string(), Outcome::Loaded)]);
        assert!(lines.iter().any(|l| l.starts_with("loaded ")), "{lines:?}");
        let labels = dl(d.inspect_image(bb))
            .await
            .unwrap()
            .config
            .unwrap()
            .labels
            .unwrap();
        assert_eq!(labels[labels::STANDIN], bb);

        // The same archive does not satisfy a list that also wants the gcc image.
        let opts = PrepareOptions {
            offline: true,
            load: Some(archive.clone()),
            ..Default::default()
        };
        let err = prepare_images(&d, &images, &opts, &mut |_: &str| {})
            .await
            .unwrap_err();
        match &err {
            PrepareError::Archive { detail, .. } => {
                assert!(detail.contains("does not contain"), "{detail}");
                assert!(detail.contains(gcc), "{detail}");
                assert!(detail.contains(bb), "{detail}");
            }
            other => panic!("expected an archive error, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn bad_archives_are_archive_errors() {
    let Some(docker) = daemon().await else { return };
    let bb = test_reference("busybox:1.36.1");
    let gcc = test_reference("gcc:12.2.0-bookworm");
    let images = test_images(bb, gcc);
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("nope.tar");
    let opts = PrepareOptions {
        load: Some(missing.clone()),
        ..Default::default()
    };
    let err = prepare_images(&docker, &images, &opts, &mut |_: &str| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PrepareError::Archive { path, detail } if path == &missing && detail.contains("cannot open")),
        "{err:?}"
    );

    let garbage = dir.path().join("garbage.tar");
    std::fs::write(&garbage, b"this is not an image archive\n".repeat(100)).unwrap();
    let opts = PrepareOptions {
        load: Some(garbage.clone()),
        ..Default::default()
    };
    let err = prepare_images(&docker, &images, &opts, &mut |_: &str| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PrepareError::Archive { detail, .. } if detail.contains("could not load")),
        "{err:?}"
    );
    eprintln!("{err}");
}

/// Builds the real course images (both stand-ins when nothing is there) and leaves them in the
/// daemon. Slow (debootstrap): `cargo test -p checker images -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn prepare_the_real_course_images() {
    let Some(docker) = daemon().await else { return };
    // DOCKDOJO_TEST_ONLINE=1 tries the registry first; DOCKDOJO_TEST_LOAD / _SAVE=FILE add
    // `--load` / `--save`.
    let env_path = |k: &str| std::env::var_os(k).map(std::path::PathBuf::from);
    let opts = PrepareOptions {
        offline: std::env::var_os("DOCKDOJO_TEST_ONLINE").is_none(),
        load: env_path("DOCKDOJO_TEST_LOAD"),
        save: env_path("DOCKDOJO_TEST_SAVE"),
        only: Vec::new(),
    };
    let started = Instant::now();
    let out = prepare(&docker, &opts, &mut |l: &str| {
        eprintln!("[{:>6.1}s] {l}", started.elapsed().as_secs_f64())
    })
    .await
    .unwrap();
    eprintln!("{out:?} in {:?}", started.elapsed());
    for img in BASE_IMAGES {
        assert!(image_present(&docker, img.reference)
            .await
            .unwrap()
            .is_some());
    }
}
