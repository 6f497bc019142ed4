//! `dockdojo doctor` against the real daemon names the fix for what it finds: here a course
//! port held by a program that is not a container.

mod common;

use common::{dockdojo, text, workspace};

#[test]
fn a_course_port_held_by_another_program_is_named_with_its_fix() {
    let (_t, root) = workspace();
    // 05-bind-mount-reload publishes 18050; this test holds it like a stray dev server would.
    let Ok(_held) = std::net::TcpListener::bind(("127.0.0.1", 18050)) else {
        eprintln!("port 18050 is in use already; skipping");
        return;
    };
    let o = dockdojo(&root, &["doctor"], &[]);
    let out = text(&o);
    if out.contains("cannot reach Docker") && std::env::var("CI").as_deref() != Ok("true") {
        eprintln!("no Docker daemon; skipping:\n{out}");
        return;
    }
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("✗ course ports") && out.contains("18050 (05-bind-mount-reload)"),
        "{out}"
    );
    assert!(out.contains("which program holds it"), "{out}");
    // Everything else is fine on a working daemon.
    assert_eq!(
        out.lines().filter(|l| l.starts_with('✗')).count(),
        1,
        "{out}"
    );
}
