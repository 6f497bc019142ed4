//! What `workshop serve` prints at start: the join command with the address students use, the
//! join code, the archive, the board's link and the instructor file (the board's join screen
//! shows the same address and commands: [`join_screen`](super::join_screen)).

use std::net::SocketAddr;

use super::join_screen::{join_command, placeholder_url, prepare_command};
use super::ServeOptions;
use crate::workshop::proto::ImageManifest;
use crate::workshop::InstructorFile;

pub(super) fn print_banner(
    opts: &ServeOptions,
    bound: SocketAddr,
    local_url: &str,
    student: Option<&str>,
    secrets: &crate::workshop::db::Secrets,
    ((students, reports), fresh): ((u64, u64), bool),
    manifest: Option<&ImageManifest>,
) {
    if !fresh {
        say!("resuming workshop ({students} students, {reports} reports)");
    }
    say!("dockdojo workshop server listening on {bound}");
    let port = bound.port();
    let ip = bound.ip();
    if ip.is_unspecified() {
        eprintln!(
            "warning: listening on every network of this machine ({ip}): anyone who can reach any of them (shared Wi-Fi, VPN, container networks) can reach this server, and the join code is all that stands in the way. Prefer --bind <your classroom address>:{port}."
        );
    }
    say!();
    if student.is_some() {
        say!("Students join with:");
    } else {
        say!(
            "Students join with (use this machine's classroom address, see `ip addr` or `ipconfig`):"
        );
    }
    let student = student.map_or_else(|| placeholder_url(port), str::to_string);
    say!("    {}", join_command(&student, &secrets.join_code));
    if ip.is_unspecified() {
        say!(
            "  (that is this machine's address on its main network; if the room is on another network, use this machine's address there)"
        );
    }
    if ip.is_loopback() {
        say!(
            "  (127.0.0.1: only this machine can reach it; for a classroom, use --bind <your LAN address>:{port})"
        );
    }
    say!("Join code: {}", secrets.join_code);
    if let Some(m) = manifest {
        say!(
            "Course images for `dockdojo prepare --from {}`: {} ({} MB, sha256 {})",
            student,
            m.images.join(", "),
            m.size / 1_000_000,
            m.sha256
        );
        say!(
            "  Students pin it, so nothing else is loaded: {}",
            prepare_command(&student, &m.sha256)
        );
    }
    say!(
        "Projector board (read-only; anyone with this link sees names): {local_url}/board?key={}",
        secrets.board_key
    );
    say!(
        "Instructor file (for `workshop dash` and `workshop export`; keep it private): {}",
        InstructorFile::path(&opts.data).display()
    );
    say!(
        "Serving. Stop with Ctrl-C; every acknowledged report is on disk and the same command resumes the room."
    );
}
