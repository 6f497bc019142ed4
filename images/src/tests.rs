//! Unit tests (no Docker) for the pure parts, and tests against the real daemon on
//! `/var/run/docker.sock` (or `DOCKER_HOST`'s unix socket) that only touch images tagged `dockdojo-test-<uuid>/…` and remove them.

use std::collections::HashMap;
use std::future::Future;
use std::io::Read;
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use super::busybox::{elf_info, go_arch, rootfs_tar, GROUP, IMAGE_PATH, PASSWD};
use super::daemon::*;
use super::import::*;
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
    // The host's build lacks adduser/addgroup: scripts stand in for them.
    for tool in ["adduser", "addgroup"] {
        let e = &m[&format!("bin/{tool}")];
        assert_eq!(e.kind, tar::EntryType::Regular, "{tool}");
        assert_eq!(e.mode, 0o755, "{tool}");
        assert!(e.data.starts_with(b"#!/bin/sh\n"), "{tool}");
    }

    let tmp = &m["tmp/"];
    assert_eq!(tmp.kind, tar::EntryType::Directory);
    assert_eq!(tmp.mode, 0o1777);
    assert_eq!(m["var/tmp/"].mode, 0o1777);
    assert_eq!(m["root/"].mode, 0o700);
    assert!(
        !m.contains_key("home/app/"),
        "no app user: exercises create their own"
    );
    for d in ["bin/", "etc/", "dev/", "proc/", "sys/", "usr/bin/", "sbin/"] {
        assert_eq!(m[d].kind, tar::EntryType::Directory, "{d}");
    }

    let passwd = String::from_utf8(m["etc/passwd"].data.clone()).unwrap();
    assert_eq!(passwd, PASSWD);
    assert!(passwd.contains("root:x:0:0:root:/root:/bin/sh\n"));
    assert!(passwd.contains("nobody:x:65534:65534:"));
    assert!(!passwd.contains("app:x:1000"));
    let group = String::from_utf8(m["etc/group"].data.clone()).unwrap();
    assert_eq!(group, GROUP);
    assert!(group.contains("nobody:x:65534:\n"));
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
    let one = select(BASE_IMAGES, &["registry".into()]).unwrap();
    assert_eq!(one[0].reference, "registry:2.8.2");
    assert_eq!(one[0].standin, StandIn::DebianRegistry);
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
    assert_eq!(
        changes[1],
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    );
    // Only the stand-in labels: `managed` would be inherited by every image built FROM it.
    assert_eq!(
        &changes[2..],
        &[
            r#"LABEL "io.dockdojo.standin"="busybox:1.36.1""#.to_string(),
            r#"LABEL "io.dockdojo.standin.format"="3""#.to_string(),
            r#"LABEL "io.dockdojo.standin.source"="host BusyBox v1.35.0 \"x\"""#.to_string(),
        ]
    );
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
    // Podman: one line, comma-joined, local names.
    let podman = "Loaded image: localhost/busybox:1.36.1,localhost/gcc:12.2.0-bookworm,docker.io/library/registry:2.8.2\n";
    assert_eq!(
        super::archive::loaded_names(podman),
        vec!["busybox:1.36.1", "gcc:12.2.0-bookworm", "registry:2.8.2"]
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

// ---- the registry root filesystem ---------------------------------------------------------------

#[cfg(unix)]
mod registry_parts {
    use super::super::busybox::elf_info;
    use super::super::registry::libs::*;
    use super::super::registry::*;
    use super::{entries, fake_elf};

    fn libs() -> Vec<Library> {
        vec![
            Library {
                path: "/lib64/ld-linux-x86-64.so.2".into(),
                data: b"\x7fELF pretend loader".to_vec(),
            },
            Library {
                path: "/lib/x86_64-linux-gnu/libc.so.6".into(),
                data: b"\x7fELF pretend libc".to_vec(),
            },
        ]
    }

    #[test]
    fn rootfs_has_binary_loader_libc_config_users_and_modes() {
        let binary = b"\x7fELF pretend registry".to_vec();
        let tar = rootfs_tar(&binary, &libs(), 1_683_990_000).unwrap();
        let m = entries(&tar);

        let reg = &m["bin/registry"];
        assert_eq!(reg.kind, tar::EntryType::Regular);
        assert_eq!(reg.mode, 0o755);
        assert_eq!((reg.uid, reg.gid), (0, 0));
        assert_eq!(reg.data, binary);
        assert_eq!(reg.mtime, 1_683_990_000);

        for lib in libs() {
            let e = &m[lib.path.trim_start_matches('/')];
            assert_eq!(e.kind, tar::EntryType::Regular, "{}", lib.path);
            assert_eq!(e.mode, 0o755, "{}", lib.path);
            assert_eq!(e.data, lib.data, "{}", lib.path);
        }
        for d in ["lib/", "lib/x86_64-linux-gnu/", "lib64/"] {
            assert_eq!(m[d].kind, tar::EntryType::Directory, "{d}");
            assert_eq!(m[d].mode, 0o755, "{d}");
        }

        let data = &m["var/lib/registry/"];
        assert_eq!(data.kind, tar::EntryType::Directory);
        assert_eq!(data.mode, 0o755);
        assert_eq!(m["tmp/"].mode, 0o1777);
        assert_eq!(m["root/"].mode, 0o700);
        assert_eq!(m["proc/"].mode, 0o555);
        for d in [
            "bin/",
            "dev/",
            "etc/",
            "etc/docker/",
            "etc/docker/registry/",
            "sys/",
        ] {
            assert_eq!(m[d].kind, tar::EntryType::Directory, "{d}");
        }

        let config = &m["etc/docker/registry/config.yml"];
        assert_eq!(config.mode, 0o644);
        assert_eq!(String::from_utf8(config.data.clone()).unwrap(), CONFIG);

        let passwd = String::from_utf8(m["etc/passwd"].data.clone()).unwrap();
        assert_eq!(passwd, PASSWD);
        assert!(passwd.starts_with("root:x:0:0:root:/root:"));
        assert!(passwd.contains("\nnobody:x:65534:65534:"));
        assert_eq!(
            String::from_utf8(m["etc/group"].data.clone()).unwrap(),
            "root:x:0:\nnobody:x:65534:\n"
        );
        assert_eq!(m["etc/passwd"].mode, 0o644);

        // Nothing else: no shell, no package leftovers.
        let files: Vec<&String> = m
            .iter()
            .filter(|(_, e)| e.kind != tar::EntryType::Directory)
            .map(|(p, _)| p)
            .collect();
        assert_eq!(files.len(), 6, "{files:?}");
        assert!(m.keys().all(|p| !p.starts_with('/') && !p.contains("..")));
    }

    #[test]
    fn rootfs_lists_parents_before_children() {
        let tar = rootfs_tar(b"x", &libs(), 0).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut seen: Vec<String> = Vec::new();
        for e in archive.entries().unwrap() {
            let path = e.unwrap().path().unwrap().to_string_lossy().into_owned();
            let trimmed = path.trim_end_matches('/');
            if let Some((parent, _)) = trimmed.rsplit_once('/') {
                assert!(
                    seen.iter().any(|s| s == &format!("{parent}/")),
                    "{path} before {parent}/"
                );
            }
            seen.push(path);
        }
    }

    #[test]
    fn a_static_registry_needs_no_libraries() {
        let m = entries(&rootfs_tar(b"x", &[], 0).unwrap());
        assert!(m.contains_key("bin/registry"));
        assert!(!m.keys().any(|p| p.starts_with("lib")), "{:?}", m.keys());
    }

    #[test]
    fn unsafe_library_paths_are_refused() {
        for bad in [
            "../etc/shadow",
            "lib/relative.so",
            "/lib/../../x.so",
            "/bin/registry",
            "/bin/registry/x.so",
            "/etc/passwd",
            "/var/lib/registry",
            "/",
        ] {
            let lib = Library {
                path: bad.into(),
                data: b"x".to_vec(),
            };
            assert!(rootfs_tar(b"x", &[lib], 0).is_err(), "{bad} accepted");
        }
        assert_eq!(
            image_relative("/lib64/ld-linux-x86-64.so.2").as_deref(),
            Some("lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(image_relative("/lib/./a.so").as_deref(), Some("lib/a.so"));
        assert_eq!(image_relative("/a/../b"), None);
    }

    #[test]
    fn config_is_the_upstream_one_with_deletes() {
        let lines: Vec<&str> = CONFIG.lines().collect();
        assert_eq!(lines[0], "version: 0.1");
        for want in [
            "storage:",
            "  filesystem:",
            "    rootdirectory: /var/lib/registry",
            "  delete:",
            "    enabled: true",
            "http:",
            "  addr: :5000",
            "health:",
            "  storagedriver:",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{CONFIG}");
        }
        // `enabled: true` under storage.delete and health.storagedriver.
        let delete = lines.iter().position(|l| *l == "  delete:").unwrap();
        assert_eq!(lines[delete + 1], "    enabled: true");
        let health = lines.iter().position(|l| *l == "  storagedriver:").unwrap();
        assert_eq!(lines[health + 1], "    enabled: true");
        assert!(!CONFIG.contains("auth:"), "no authentication");
        assert!(!CONFIG.contains('\t'));
        assert_eq!(CONFIG_PATH, "/etc/docker/registry/config.yml");
        assert_eq!(DATA_DIR, "/var/lib/registry");
    }

    #[test]
    fn changes_match_the_upstream_image() {
        let labels = crate::import::standin_labels("registry:2.8.2", "Debian docker-registry");
        let changes = import_changes(&labels);
        assert_eq!(
            &changes[..5],
            &[
                r#"ENTRYPOINT ["/bin/registry"]"#,
                r#"CMD ["serve", "/etc/docker/registry/config.yml"]"#,
                "EXPOSE 5000/tcp",
                r#"VOLUME ["/var/lib/registry"]"#,
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ]
        );
        assert!(changes.contains(&r#"LABEL "io.dockdojo.standin"="registry:2.8.2""#.to_string()));
        assert!(changes.contains(
            &r#"LABEL "io.dockdojo.standin.source"="Debian docker-registry""#.to_string()
        ));
        assert!(!changes.iter().any(|c| c.contains("io.dockdojo.managed")));
    }

    #[test]
    fn versions_are_read() {
        assert_eq!(
            parse_version("/usr/bin/docker-registry github.com/docker/distribution 2.8.2+ds1\n")
                .as_deref(),
            Some("2.8.2+ds1")
        );
        assert_eq!(
            parse_version("registry github.com/distribution/distribution/v3 v3.0.0\n").as_deref(),
            Some("3.0.0")
        );
        assert_eq!(parse_version("Error: unknown flag: --version\n"), None);
        assert_eq!(parse_version(""), None);

        let fake = b"\0\0GNU C Library (Debian GLIBC 2.36-9+deb12u10) stable release version \
                     2.36.\nCopyright";
        assert_eq!(glibc_version(fake).as_deref(), Some("2.36"));
        assert_eq!(glibc_version(b"no banner"), None);
    }

    /// A 64-bit little-endian ELF with a `PT_INTERP`, one `PT_LOAD` over the whole file and a
    /// `PT_DYNAMIC` whose `DT_NEEDED` names point into a string table.
    fn fake_dynamic_elf(interp: Option<&str>, needed: &[&str]) -> Vec<u8> {
        const BASE: u64 = 0x40_0000;
        let mut phdrs: Vec<(u32, u64, u64)> = Vec::new(); // (type, offset, size)
        let mut b = vec![0u8; 64 + 56 * 3];
        let interp_at = b.len() as u64;
        if let Some(i) = interp {
            b.extend_from_slice(i.as_bytes());
            b.push(0);
            phdrs.push((3, interp_at, i.len() as u64 + 1));
        }
        let strtab_at = b.len() as u64;
        b.push(0);
        let mut offsets = Vec::new();
        for n in needed {
            offsets.push(b.len() as u64 - strtab_at);
            b.extend_from_slice(n.as_bytes());
            b.push(0);
        }
        let strsz = b.len() as u64 - strtab_at;
        while !b.len().is_multiple_of(8) {
            b.push(0);
        }
        let dyn_at = b.len() as u64;
        let mut dynamic: Vec<(u64, u64)> = offsets.iter().map(|o| (1, *o)).collect();
        dynamic.push((5, BASE + strtab_at));
        dynamic.push((10, strsz));
        dynamic.push((0, 0));
        for (tag, val) in &dynamic {
            b.extend_from_slice(&tag.to_le_bytes());
            b.extend_from_slice(&val.to_le_bytes());
        }
        phdrs.push((2, dyn_at, dynamic.len() as u64 * 16));
        let total = b.len() as u64;
        phdrs.insert(0, (1, 0, total));
        let head = fake_elf(true, true, 62, &[0; 0]);
        b[..64].copy_from_slice(&head[..64]);
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for (i, (kind, offset, size)) in phdrs.iter().enumerate() {
            let at = 64 + 56 * i;
            b[at..at + 4].copy_from_slice(&kind.to_le_bytes());
            b[at + 8..at + 16].copy_from_slice(&offset.to_le_bytes());
            b[at + 16..at + 24].copy_from_slice(&(BASE + offset).to_le_bytes());
            b[at + 32..at + 40].copy_from_slice(&size.to_le_bytes());
            b[at + 40..at + 48].copy_from_slice(&size.to_le_bytes());
        }
        b
    }

    #[test]
    fn linking_reads_interpreter_and_needed_libraries() {
        let elf = fake_dynamic_elf(Some("/lib64/ld-linux-x86-64.so.2"), &["libc.so.6"]);
        assert_eq!(
            linking(&elf).unwrap(),
            Linking {
                interpreter: Some("/lib64/ld-linux-x86-64.so.2".into()),
                needed: vec!["libc.so.6".into()],
            }
        );
        let more = fake_dynamic_elf(
            Some("/lib/ld-linux-aarch64.so.1"),
            &["libpthread.so.0", "libc.so.6"],
        );
        assert_eq!(
            linking(&more).unwrap().needed,
            vec!["libpthread.so.0", "libc.so.6"]
        );
        let plain = linking(&fake_dynamic_elf(None, &[])).unwrap();
        assert_eq!(plain, Linking::default());
        let mut cut = elf.clone();
        cut.truncate(200);
        assert!(linking(&cut).is_err());
        assert!(linking(b"#!/bin/sh\n").is_err());
    }

    #[test]
    fn only_libc_and_its_loader_are_accepted() {
        let links = |interp: Option<&str>, needed: &[&str]| Linking {
            interpreter: interp.map(str::to_string),
            needed: needed.iter().map(|s| s.to_string()).collect(),
        };
        let ld = Some("/lib64/ld-linux-x86-64.so.2");
        assert_eq!(
            loader_for(&links(ld, &["libc.so.6"]), "x")
                .unwrap()
                .as_deref(),
            ld
        );
        assert_eq!(loader_for(&links(None, &[]), "x").unwrap(), None);
        assert_eq!(loader_for(&links(ld, &[]), "x").unwrap().as_deref(), ld);
        let err = loader_for(&links(ld, &["libpthread.so.0", "libc.so.6"]), "reg").unwrap_err();
        assert!(
            err.contains("needs libpthread.so.0 besides the C library"),
            "{err}"
        );
        assert!(err.contains("--load FILE"), "{err}");
        assert!(loader_for(&links(None, &["libc.so.6"]), "x").is_err());
        assert!(loader_for(&links(Some("ld.so"), &["libc.so.6"]), "x").is_err());
        assert!(loader_for(&links(Some("/lib/../ld.so"), &["libc.so.6"]), "x").is_err());
    }

    #[test]
    fn host_binaries_link_as_expected() {
        // A normal distribution binary needs the loader and libc; glibc itself needs only the
        // loader (which is what the stand-in relies on).
        let Ok(ls) = std::fs::read("/bin/ls") else {
            return;
        };
        let info = elf_info(&ls).unwrap();
        let links = linking(&ls).unwrap();
        let interp = links.interpreter.clone().expect("/bin/ls is dynamic");
        assert!(links.needed.iter().any(|n| n == "libc.so.6"), "{links:?}");
        let tuple = multiarch(&info)[0];
        let libc = std::fs::read(format!("/lib/{tuple}/libc.so.6")).unwrap();
        let own = linking(&libc).unwrap();
        let loader = std::path::Path::new(&interp).file_name().unwrap();
        assert_eq!(own.needed, vec![loader.to_string_lossy().into_owned()]);
        assert!(glibc_version(&libc).is_some_and(|v| v.starts_with("2.")));
        if info.machine == 62 {
            assert_eq!(interp, "/lib64/ld-linux-x86-64.so.2");
            assert_eq!(tuple, "x86_64-linux-gnu");
        }
        // Debian's registry (when installed) needs libc and nothing else.
        if let Ok(reg) = std::fs::read("/usr/bin/docker-registry") {
            assert_eq!(linking(&reg).unwrap().needed, vec!["libc.so.6"]);
        }
    }
}

// ---- against the real daemon ---------------------------------------------------------------------

/// The daemon's socket: `DOCKER_HOST` when it names a unix socket, else Docker's default.
pub(crate) fn socket() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if h.starts_with("unix://") => h["unix://".len()..].to_string(),
        _ => "/var/run/docker.sock".to_string(),
    }
}

/// A deadline for the tests' own Docker calls.
async fn dl<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .expect("Docker did not answer within 30 s")
}

/// The daemon, or `None` (test skipped) when this machine has no Docker socket.
async fn daemon() -> Option<Docker> {
    let socket = socket();
    if !std::path::Path::new(&socket).exists() {
        eprintln!("skipped: no {socket}");
        return None;
    }
    let d = Docker::connect_with_unix(&socket, 120, bollard::API_DEFAULT_VERSION).unwrap();
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
    with_cleanup_all(docker, &[], refs, body).await;
}

/// [`with_cleanup`] that first removes the containers named `containers` (with their anonymous
/// volumes), each only if it carries the test's `session` labels.
async fn with_cleanup_all<F: Future<Output = ()>>(
    docker: &Docker,
    containers: &[(&str, &str)],
    refs: &[&str],
    body: F,
) {
    let result = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    for (name, session) in containers {
        let Ok(Ok(c)) = tokio::time::timeout(
            Duration::from_secs(30),
            docker.inspect_container(
                name,
                None::<bollard::query_parameters::InspectContainerOptions>,
            ),
        )
        .await
        else {
            continue;
        };
        if !labels::in_session(c.config.and_then(|c| c.labels).as_ref(), session) {
            eprintln!("not removing {name}: it is not this test's");
            continue;
        }
        let opts = bollard::query_parameters::RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        let _ = dl(docker.remove_container(name, Some(opts))).await;
    }
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
        // The upstream image's PATH: a program in /usr/local/bin runs by name.
        assert!(cfg.env.unwrap_or_default().contains(
            &"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()
        ));
        // The user tools a Dockerfile uses on busybox behave as upstream's applets do.
        let script = "set -e
            adduser -D app && id app
            addgroup -S web && adduser -S -G web -H svc && id svc
            addgroup app web && grep '^web:' /etc/group
            adduser app 2>&1 || true
            mkdir -p /usr/local/bin && printf '#!/bin/sh\\necho local tool\\n' > /usr/local/bin/tool
            chmod +x /usr/local/bin/tool && tool && ls -ld /home/app";
        let out = std::process::Command::new("docker")
            .args(["run", "--rm", bb, "sh", "-c", script])
            .output()
            .expect("docker run");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        for want in [
            "uid=1000(app) gid=1000(app) groups=1000(app)",
            "uid=100(svc) gid=101(web)",
            "web:x:101:app",
            "adduser: user 'app' in use",
            "local tool",
            "app      app",
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }
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

/// Builds the registry stand-in under a test tag (from /usr/bin/docker-registry, else a package
/// fetched with `apt-get download`), runs it on a random 127.0.0.1 port and asks `GET /v2/`.
#[cfg(unix)]
#[tokio::test]
async fn registry_standin_serves_the_v2_api() {
    use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};

    let Some(docker) = daemon().await else { return };
    let installed = std::path::Path::new("/usr/bin/docker-registry").is_file();
    let fetchable = ["apt-get", "dpkg-deb"]
        .iter()
        .all(|t| super::debian::find_tool(t).is_some());
    if !installed && !fetchable {
        eprintln!("skipped: no docker-registry and no apt-get + dpkg-deb on this host");
        return;
    }
    let reg = test_reference("registry:2.8.2");
    let session = uuid::Uuid::new_v4().to_string();
    let name = format!("dockdojo-test-{}-registry", &session[..8]);
    let images = vec![BaseImage {
        reference: reg,
        standin: StandIn::DebianRegistry,
        purpose: "test",
    }];
    let d = docker.clone();
    let (name2, session2) = (name.clone(), session.clone());
    with_cleanup_all(&docker, &[(&name, &session)], &[reg], async move {
        let (name, session) = (name2, session2);
        let before = registry_temp_dirs();
        let opts = PrepareOptions {
            offline: true,
            only: vec![reg.to_string()],
            ..Default::default()
        };
        let mut lines = Vec::new();
        let started = Instant::now();
        let out = prepare_images(&d, &images, &opts, &mut |l: &str| lines.push(l.to_string()))
            .await
            .unwrap();
        eprintln!("registry stand-in in {:?}: {lines:#?}", started.elapsed());
        assert_eq!(out, vec![(reg.to_string(), Outcome::StandIn)]);
        assert!(
            lines.iter().any(|l| l.contains(&format!(
                "{reg}: built a local stand-in from Debian's docker-registry 2.8."
            ))),
            "{lines:?}"
        );
        assert_eq!(
            registry_temp_dirs(),
            before,
            "temporary directory left behind"
        );

        let img = dl(d.inspect_image(reg)).await.unwrap();
        let cfg = img.config.unwrap();
        assert_eq!(cfg.entrypoint, Some(vec!["/bin/registry".to_string()]));
        assert_eq!(
            cfg.cmd,
            Some(vec![
                "serve".to_string(),
                "/etc/docker/registry/config.yml".to_string()
            ])
        );
        assert_eq!(cfg.exposed_ports, Some(vec!["5000/tcp".to_string()]));
        assert_eq!(cfg.volumes, Some(vec!["/var/lib/registry".to_string()]));
        let l = cfg.labels.unwrap();
        assert!(
            !l.contains_key(labels::MANAGED),
            "inherited by every learner image: {l:?}"
        );
        assert_eq!(l[labels::STANDIN], reg);
        assert!(l[STANDIN_SOURCE].contains("docker-registry 2.8."), "{l:?}");
        let size = img.size.unwrap();
        eprintln!(
            "registry stand-in: {size} bytes; source {:?}",
            l[STANDIN_SOURCE]
        );
        assert!(size > 5_000_000 && size < 60_000_000, "size {size}");
        assert_eq!(image_present(&d, reg).await.unwrap(), Some(true));

        // Run it as the course does: published on 127.0.0.1 only, on a port the daemon picks.
        let body = ContainerCreateBody {
            image: Some(reg.to_string()),
            labels: Some(HashMap::from([
                (labels::MANAGED.to_string(), "true".to_string()),
                (labels::SESSION.to_string(), session.clone()),
            ])),
            host_config: Some(HostConfig {
                port_bindings: Some(HashMap::from([(
                    "5000/tcp".to_string(),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(String::new()),
                    }]),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let opts = bollard::query_parameters::CreateContainerOptionsBuilder::new()
            .name(&name)
            .build();
        dl(d.create_container(Some(opts), body)).await.unwrap();
        dl(d.start_container(
            &name,
            None::<bollard::query_parameters::StartContainerOptions>,
        ))
        .await
        .unwrap();
        let c = dl(d.inspect_container(
            &name,
            None::<bollard::query_parameters::InspectContainerOptions>,
        ))
        .await
        .unwrap();
        let port: u16 = c
            .network_settings
            .and_then(|n| n.ports)
            .and_then(|p| p.get("5000/tcp").cloned().flatten())
            .and_then(|b| b.first().and_then(|b| b.host_port.clone()))
            .and_then(|p| p.parse().ok())
            .expect("5000/tcp published");

        let started = Instant::now();
        let mut last = None;
        while started.elapsed() < Duration::from_secs(30) {
            let probe = checker::docker::http::get("127.0.0.1", port, "/v2/").await;
            if matches!(
                probe,
                checker::docker::http::Probe::Answer { status: 200, .. }
            ) {
                last = Some(probe);
                break;
            }
            last = Some(probe);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        eprintln!(
            "GET /v2/ on 127.0.0.1:{port} after {:?}: {last:?}",
            started.elapsed()
        );
        match &last {
            Some(checker::docker::http::Probe::Answer { status: 200, body }) => {
                assert_eq!(body.trim(), "{}");
            }
            other => panic!("the registry did not answer 200 on /v2/: {other:?}"),
        }
        let catalog = checker::docker::http::get("127.0.0.1", port, "/v2/_catalog").await;
        assert_eq!(
            catalog,
            checker::docker::http::Probe::Answer {
                status: 200,
                body: "{\"repositories\":[]}\n".into()
            }
        );

        let opts = bollard::query_parameters::RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        dl(d.remove_container(&name, Some(opts))).await.unwrap();
    })
    .await;
    let gone = dl(docker.inspect_container(
        &name,
        None::<bollard::query_parameters::InspectContainerOptions>,
    ))
    .await;
    assert!(gone.is_err(), "{name} still there");
}

/// `dockdojo-registry-*` directories in the temporary directory.
#[cfg(unix)]
fn registry_temp_dirs() -> Vec<std::path::PathBuf> {
    let mut v: Vec<std::path::PathBuf> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("dockdojo-registry-"))
        .collect();
    v.sort();
    v
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
/// daemon. Slow (debootstrap): `cargo test -p dockdojo-images -- --ignored --nocapture`.
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
        app_image: None,
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

/// A stand-in that a reference no longer names is removed after `prepare` replaced it, and
/// nothing else is: not an image still tagged, not one without our stand-in label.
#[tokio::test]
async fn a_replaced_standin_is_removed_and_nothing_else() {
    let Some(docker) = daemon().await else { return };
    let reference = test_reference("busybox:1.36.1");
    let other = test_reference("kept:1");
    // Three tiny images from one tar, told apart by their labels.
    let dir = tempfile::tempdir().unwrap();
    let tar_path = dir.path().join("rootfs.tar");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(2);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "marker", &b"ok"[..]).unwrap();
    std::fs::write(&tar_path, b.into_inner().unwrap()).unwrap();
    // One `LABEL` per change: Podman reads `LABEL a=1 b=2` as one label `a` valued `1 b=2`.
    let import = |labels: &[String]| {
        let mut cmd = std::process::Command::new("docker");
        cmd.arg("import");
        for l in labels {
            cmd.args(["--change", &format!("LABEL {l}")]);
        }
        let out = cmd.arg(&tar_path).output().expect("docker import");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Docker prints the ID; Podman's answer reads `ID: ID` through the Docker CLI.
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout.split_whitespace().last().unwrap_or("").to_string()
    };
    let ours = |x: &str| [format!("{}={reference}", labels::STANDIN), format!("x={x}")];
    let old = import(&ours("old"));
    let new = import(&ours("new"));
    let foreign = import(&["x=foreign".to_string()]);
    let tag = |id: &str, r: &str| {
        let ok = std::process::Command::new("docker")
            .args(["tag", id, r])
            .status()
            .unwrap()
            .success();
        assert!(ok, "docker tag {id} {r}");
    };
    let d = docker.clone();
    let (o, n, f) = (old.clone(), new.clone(), foreign.clone());
    with_cleanup(
        &docker,
        &[reference, other, &old, &new, &foreign],
        async move {
            let gone = |id: String| {
                let d = d.clone();
                async move { d.inspect_image(&id).await.is_err() }
            };
            let mut lines = Vec::new();
            // The reference moved from old to new: old goes.
            tag(&n, reference);
            retire(&d, reference, &o, &mut |l: &str| lines.push(l.to_string())).await;
            assert!(
                gone(o.clone()).await,
                "the replaced stand-in is still there"
            );
            assert!(
                lines[0].contains("removed the stand-in it replaced"),
                "{lines:?}"
            );
            // Not ours (no stand-in label): kept.
            retire(&d, reference, &f, &mut |_: &str| {}).await;
            assert!(
                !gone(f.clone()).await,
                "an image without our label was removed"
            );
            // Ours but still tagged elsewhere: kept.
            let again = import(&ours("again"));
            tag(&again, other);
            retire(&d, reference, &again, &mut |_: &str| {}).await;
            assert!(!gone(again.clone()).await, "a tagged image was removed");
            let _ = d
                .remove_image(
                    &again,
                    None::<bollard::query_parameters::RemoveImageOptions>,
                    None,
                )
                .await;
            // Still named by the reference: kept.
            retire(&d, reference, &n, &mut |_: &str| {}).await;
            assert!(!gone(n.clone()).await, "the current stand-in was removed");
        },
    )
    .await;
}
