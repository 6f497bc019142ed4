//! Handing out the course image archive: reading its manifest at start, and the download guard
//! (a slot overall and per address, a minimum rate or the connection is closed).

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::{watch, Notify};

use super::http::ApiErr;
use super::{limits, until_stop, Shared};
use crate::workshop::proto::ImageManifest;

/// Closes its connection when notified (a download too slow to finish).
#[derive(Clone)]
pub(super) struct ConnKill(pub(super) Arc<Notify>);

/// The archive route: a download slot (overall and per address) or a 503 with `Retry-After`,
/// then a watch on the bytes sent: less than the minimum rate over a window closes the
/// connection (the client resumes with `Range`).
pub(super) async fn download_guard(
    State(app): State<Shared>,
    req: Request,
    next: Next,
) -> Response {
    let busy = |why: &str| {
        ApiErr::retry(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{why}: try again in a moment (`prepare --from` waits and retries by itself)"),
            limits::DOWNLOAD_RETRY_AFTER_SECS,
        )
        .into_response()
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let kill = req.extensions().get::<ConnKill>().cloned();
    let Ok(all) = app.downloads.clone().try_acquire_owned() else {
        return busy("the archive is being downloaded by many students at once");
    };
    let mine = match peer {
        Some(p) => match app.download_slots.try_take(p.ip()) {
            Some(s) => Some(s),
            None => return busy("this address is downloading the archive already"),
        },
        None => None,
    };
    let resp = next.run(req).await;
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let held = (all, mine);
    let (parts, body) = resp.into_parts();
    let stream = body.into_data_stream().map(move |chunk| {
        let _ = &held;
        if let Ok(c) = &chunk {
            counter.fetch_add(c.len() as u64, Ordering::Relaxed);
        }
        chunk
    });
    if let Some(kill) = kill {
        tokio::spawn(watch_download(sent, kill.0, app.stop.clone()));
    }
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Every [`limits::DOWNLOAD_WINDOW`]: fewer bytes than the minimum rate since the last look →
/// close the connection. Ends when the body is gone (finished or dropped).
async fn watch_download(sent: Arc<AtomicU64>, kill: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    let min = limits::DOWNLOAD_MIN_BYTES_PER_SEC * limits::DOWNLOAD_WINDOW.as_secs();
    let mut last = 0;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(limits::DOWNLOAD_WINDOW) => {}
            _ = until_stop(&mut stop) => return,
        }
        if Arc::strong_count(&sent) == 1 {
            return;
        }
        let now = sent.load(Ordering::Relaxed);
        if now.saturating_sub(last) < min {
            kill.notify_one();
            return;
        }
        last = now;
    }
}

/// SHA-256, size and image names of a `docker save` archive.
pub(super) fn inspect_archive(path: &Path) -> anyhow::Result<ImageManifest> {
    let open = || {
        std::fs::File::open(path).with_context(|| {
            format!(
                "cannot read the image archive {}: make it with `dockdojo prepare --save FILE`",
                path.display()
            )
        })
    };
    let file = open()?;
    let size = file.metadata()?.len();
    let mut hasher = Sha256::new();
    std::io::copy(
        &mut std::io::BufReader::with_capacity(1 << 20, file),
        &mut hasher,
    )
    .with_context(|| format!("cannot read the image archive {}", path.display()))?;
    let sha256 = hex::encode(hasher.finalize());
    let mut images = None;
    let mut archive = tar::Archive::new(open()?);
    let not_save = || {
        anyhow!(
            "{} is not a `docker save` archive (no readable manifest.json): make one with `dockdojo prepare --save FILE`",
            path.display()
        )
    };
    for entry in archive.entries().map_err(|_| not_save())? {
        let entry = entry.map_err(|_| not_save())?;
        let is_manifest = entry
            .path()
            .map(|p| p.to_string_lossy().trim_start_matches("./") == "manifest.json")
            .unwrap_or(false);
        if !is_manifest {
            continue;
        }
        let mut text = String::new();
        entry
            .take(16 << 20)
            .read_to_string(&mut text)
            .map_err(|_| not_save())?;
        let items: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|_| not_save())?;
        let mut names = Vec::new();
        for item in items {
            if let Some(tags) = item.get("RepoTags").and_then(|t| t.as_array()) {
                names.extend(tags.iter().filter_map(|t| t.as_str().map(str::to_string)));
            }
        }
        names.sort();
        names.dedup();
        images = Some(names);
        break;
    }
    let images = images.ok_or_else(not_save)?;
    if images.is_empty() {
        bail!(
            "{}: the archive holds no tagged image; make it with `dockdojo prepare --save FILE`",
            path.display()
        );
    }
    Ok(ImageManifest {
        sha256,
        size,
        images,
    })
}
