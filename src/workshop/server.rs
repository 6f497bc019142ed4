//! `dockdojo workshop serve`: the instructor's HTTP server (axum) over a SQLite store (WAL).

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::CmdResult;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on, exactly as the instructor named it.
    pub bind: SocketAddr,
    /// Folder for the database and the instructor file.
    pub data: PathBuf,
    /// A course image archive (`prepare --save`) to hand out at /images/archive.
    pub archive: Option<PathBuf>,
    /// Extra host names (or host:port) students may use to reach the server (Host check).
    pub allow_hosts: Vec<String>,
    /// A student counts as stuck after this many failed attempts in a row on one check...
    pub stuck_after: u32,
    /// ...or after this many minutes without a report.
    pub idle_minutes: u64,
}

pub async fn run(opts: ServeOptions) -> CmdResult {
    let _ = opts;
    todo!("workshop serve")
}
