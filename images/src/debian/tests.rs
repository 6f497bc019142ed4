//! The Debian stand-in's host-side steps (root filesystem release), against the real host.

use super::*;

/// What protects the host: a bind mount left below the root filesystem (as debootstrap leaves
/// `/dev/shm` when killed inside a container) is unmounted before the directory is removed,
/// so the mounted directory's files survive. Needs root; skipped otherwise.
#[test]
fn release_unmounts_before_removing() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("keep.txt"), "host data").unwrap();
    let dir = tempfile::Builder::new()
        .prefix("dockdojo-rootfs-test-")
        .tempdir_in(temp_base())
        .unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let shm = root.join("dev/shm");
    std::fs::create_dir_all(&shm).unwrap();
    let mounted = std::process::Command::new("mount")
        .arg("--bind")
        .arg(outside.path())
        .arg(&shm)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot bind-mount here");
        return;
    }
    assert_eq!(mounts_below(&root), vec![shm.clone()]);
    let mut guard = Rootfs {
        dir: Some(dir),
        pgid: None,
    };
    guard.release().unwrap();
    assert!(!root.exists(), "{} still there", root.display());
    assert!(mounts_below(&root).is_empty());
    assert_eq!(
        std::fs::read_to_string(outside.path().join("keep.txt")).unwrap(),
        "host data"
    );
}

/// Cancel a real debootstrap midway (default after 40 s, when its mounts are up here) and check
/// that nothing is left: no process, no mount, no directory. Slow and needs the network:
/// `cargo test -p dockdojo-images cancelled -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn a_cancelled_debootstrap_leaves_nothing() {
    let socket = crate::tests::socket();
    let docker = Docker::connect_with_unix(&socket, 120, bollard::API_DEFAULT_VERSION).unwrap();
    let after = std::env::var("DOCKDOJO_TEST_CANCEL_AFTER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let reference = "dockdojo-test-cancel/gcc:never";
    let before: Vec<PathBuf> = leftovers();
    let mut lines = Vec::new();
    {
        let mut sink = |l: &str| lines.push(l.to_string());
        let run = build(&docker, reference, &mut sink);
        let watch = async {
            tokio::time::sleep(Duration::from_secs(after)).await;
            let m: Vec<PathBuf> = leftovers()
                .iter()
                .flat_map(|p| mounts_below(&std::fs::canonicalize(p).unwrap()))
                .collect();
            eprintln!("mounted at cancel time: {m:?}");
        };
        tokio::select! {
            r = run => panic!("finished before the cancel: {r:?}"),
            () = watch => {}
        }
    }
    eprintln!("{lines:#?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(leftovers(), before, "directories left behind");
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mountinfo.contains("dockdojo-rootfs-"), "{mountinfo}");
    let ps = std::process::Command::new("sh")
        .args(["-c", "ps -eo pid,args 2>/dev/null || true"])
        .output()
        .unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout);
    assert!(!ps.contains("dockdojo-rootfs-"), "{ps}");
    assert!(crate::image_present(&docker, reference)
        .await
        .unwrap()
        .is_none());
}

fn leftovers() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(temp_base())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("dockdojo-rootfs-"))
        .collect();
    v.sort();
    v
}
