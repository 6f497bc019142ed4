//! The learner's CLI path against the real daemon: a check says which check runs as it goes
//! (plain lines when piped), and `dockdojo watch` checks again when a file is saved, until the
//! exercise passes.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::{apply_solution, dockdojo, text, workspace};

fn docker_here(root: &std::path::Path) -> bool {
    let o = dockdojo(root, &["list"], &[]);
    o.status.success() && common::docker(&["info"]).0
}

#[test]
fn check_shows_each_check_as_it_runs_and_watch_rechecks_on_save() {
    let (_t, root) = workspace();
    if !docker_here(&root) {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "no Docker under CI"
        );
        eprintln!("no Docker daemon; skipping");
        return;
    }
    let id = "03-first-dockerfile";
    let o = dockdojo(&root.join(id), &["check"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("  [1/4] The base image is pinned to an exact version…"),
        "{err}"
    );
    assert!(err.contains("  [4/4] "), "{err}");
    assert!(!err.contains('\r'), "no terminal codes when piped: {err:?}");
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        out.contains("Stuck? `dockdojo hint 03-first-dockerfile` shows hint 1 of 4."),
        "{out}"
    );

    // watch: the starter fails, a saved solution passes, and watch ends by itself.
    let mut child = std::process::Command::new(common::bin())
        .arg("watch")
        .current_dir(root.join(id))
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let wait_for = |what: &str, seen: &mut String| {
        let until = Instant::now() + Duration::from_secs(120);
        while !seen.contains(what) {
            let left = until.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(b) => seen.push_str(&String::from_utf8_lossy(&b)),
                Err(_) => panic!("no {what:?} from watch:\n{seen}"),
            }
        }
    };
    wait_for("Watching ", &mut seen);
    assert!(
        seen.contains("1 of 4 checks passed") || seen.contains("of 4 checks passed"),
        "{seen}"
    );
    apply_solution(&root, id);
    wait_for("03-first-dockerfile passed.", &mut seen);
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}");
    assert!(seen.contains("4 of 4 checks passed"), "{seen}");
}
