//! The accept loop (hyper HTTP/1 with a header read timeout, a connection cap overall and per
//! address, a first-byte deadline, a graceful stop), the open-file limit a full room needs, and
//! the messages for an address that cannot be bound.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use tokio::sync::{watch, Notify, Semaphore};
use tower_service::Service;

use super::download::ConnKill;
use super::limits::AddrSlots;
use super::{limits, until_stop, HEADER_READ_TIMEOUT, MAX_CONNECTIONS, SHUTDOWN_GRACE};
use crate::exit::Fail;

/// Open files a full room needs: every connection, plus the database, the archive and spare.
const OPEN_FILES_NEEDED: u64 = MAX_CONNECTIONS as u64 + 256;

/// Raise this process's open-file limit to what a full room needs (many systems start at 256 or
/// 1 024); a warning when the system does not allow it.
pub(super) fn raise_open_files() -> Option<String> {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let lim = getrlimit(Resource::Nofile);
        let now = lim.current.unwrap_or(u64::MAX);
        if now >= OPEN_FILES_NEEDED {
            return None;
        }
        let target = lim
            .maximum
            .map_or(OPEN_FILES_NEEDED, |m| m.min(OPEN_FILES_NEEDED));
        if target > now {
            let _ = setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(target),
                    maximum: lim.maximum,
                },
            );
        }
        let got = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
        if got < OPEN_FILES_NEEDED {
            return Some(format!(
                "warning: this system lets the server open {got} files, and a full room needs {OPEN_FILES_NEEDED}: past about {} students some will wait to connect. Raise the limit (`ulimit -n {OPEN_FILES_NEEDED}` in this shell, or the system's maximum) and start the server again.",
                got.saturating_sub(64) / 2
            ));
        }
    }
    None
}

pub(super) fn bind_error(addr: SocketAddr, e: std::io::Error) -> Fail {
    use std::io::ErrorKind;
    let msg = match e.kind() {
        ErrorKind::AddrInUse => format!(
            "{addr} is already in use: another server is running there? pick another port with --bind"
        ),
        ErrorKind::AddrNotAvailable => format!(
            "this machine has no address {}: bind to one of its own addresses (see `ip addr` or `ipconfig`), or 0.0.0.0 for all",
            addr.ip()
        ),
        ErrorKind::PermissionDenied => format!(
            "not allowed to listen on {addr} (ports below 1024 need privileges): pick a port like 4040 with --bind"
        ),
        _ => format!("cannot listen on {addr}: {e}"),
    };
    Fail::env(anyhow!(msg))
}

/// The accept loop: hyper HTTP/1 with a header read timeout, a connection cap, and a graceful
/// stop on Ctrl-C / SIGTERM.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    stop_tx: watch::Sender<bool>,
    stop_rx: watch::Receiver<bool>,
) {
    let conns = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let per_addr = AddrSlots::new(limits::CONNECTIONS_PER_ADDRESS);
    let mut signal = std::pin::pin!(crate::interrupt::signal());
    let mut seen_errors = HashSet::new();
    loop {
        let permit = tokio::select! {
            _ = &mut signal => break,
            p = conns.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = &mut signal => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: say so once, breathe, go on.
                    if seen_errors.insert(e.kind()) {
                        eprintln!("workshop server: cannot accept a connection: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // Over its address's share: closed at once, before any byte is read.
        let Some(slot) = per_addr.try_take(peer.ip()) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _slot = slot;
            // A connection that says nothing is closed quickly (idle and slowloris floods).
            let mut first = [0u8; 1];
            match tokio::time::timeout(limits::FIRST_BYTE_TIMEOUT, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let kill = ConnKill(Arc::new(Notify::new()));
            let killed = kill.0.clone();
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req.extensions_mut().insert(kill.clone());
                    let mut router = router.clone();
                    async move { router.call(req.map(Body::new)).await }
                },
            );
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(64 * 1024);
            let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                // Dropping the connection closes the socket.
                _ = killed.notified() => {}
                _ = until_stop(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
                }
            }
        });
    }
    drop(listener);
    eprintln!("\nStopping: finishing the requests in flight…");
    let _ = stop_tx.send(true);
    let all = u32::try_from(MAX_CONNECTIONS).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(
        SHUTDOWN_GRACE + Duration::from_secs(1),
        conns.acquire_many(all),
    )
    .await;
}
