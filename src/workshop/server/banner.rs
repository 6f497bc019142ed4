//! What `workshop serve` prints at start: the join command with the address students use, the
//! join code, the archive, the board's link and the instructor file.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use super::guard;
use super::ServeOptions;
use crate::workshop::proto::ImageManifest;
use crate::workshop::InstructorFile;

/// The address this machine uses on its main network (no packet is sent).
fn primary_address(v6: bool) -> Option<IpAddr> {
    let (local, remote) = if v6 {
        ("[::]:0", "[2001:db8::1]:9")
    } else {
        ("0.0.0.0:0", "192.0.2.1:9")
    };
    let s = UdpSocket::bind(local).ok()?;
    s.connect(remote).ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

pub(super) fn print_banner(
    opts: &ServeOptions,
    bound: SocketAddr,
    local_url: &str,
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
    let mut student_urls = Vec::new();
    if ip.is_unspecified() {
        eprintln!(
            "warning: listening on every network of this machine ({ip}): anyone who can reach any of them (shared Wi-Fi, VPN, container networks) can reach this server, and the join code is all that stands in the way. Prefer --bind <your classroom address>:{port}."
        );
        if let Some(a) = primary_address(ip.is_ipv6()) {
            student_urls.push(format!("http://{}", guard::authority(a, port)));
        }
    } else if ip.is_loopback() {
        student_urls.push(local_url.to_string());
    } else {
        student_urls.push(format!("http://{}", guard::authority(ip, port)));
    }
    say!();
    if student_urls.is_empty() {
        say!(
            "Students join with (use this machine's classroom address, see `ip addr` or `ipconfig`):"
        );
        student_urls.push(format!("http://<your-address>:{port}"));
    } else {
        say!("Students join with:");
    }
    for u in &student_urls {
        say!(
            "    dockdojo workshop join {u} {} --name \"Your Name\"",
            secrets.join_code
        );
    }
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
            student_urls[0],
            m.images.join(", "),
            m.size / 1_000_000,
            m.sha256
        );
        say!(
            "  Students pin it, so nothing else is loaded: dockdojo prepare --from {} --sha256 {}",
            student_urls[0],
            m.sha256
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
