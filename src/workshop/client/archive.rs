//! `prepare --from URL`: download the instructor's course image archive into the user's cache
//! folder, resumable (`Range: bytes=N-` on a `.part` file) and verified against the manifest's
//! SHA-256 before anything is loaded. A complete archive that already verifies is reused.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use super::{cause, normalize_url};
use crate::workshop::proto::ImageManifest;

/// Without a byte for this long, the download is given up (and can be resumed).
const IDLE: Duration = Duration::from_secs(60);

/// Where archives are kept: `<user cache>/dockdojo` (e.g. `~/.cache/dockdojo`).
pub fn cache_dir() -> Result<PathBuf> {
    let base = dirs::cache_dir()
        .context("cannot find your cache folder (is HOME set?); use `dockdojo prepare --load FILE` with a downloaded archive instead")?;
    Ok(base.join("dockdojo"))
}

/// Download (or reuse) the archive `url` serves into `dir`; returns the verified file.
/// `progress` gets a line now and then (about every 10 %).
#[cfg(test)]
pub async fn fetch_into(url: &str, dir: &Path, progress: &mut dyn FnMut(&str)) -> Result<PathBuf> {
    fetch_pinned(url, None, dir, progress).await
}

/// [`fetch_into`], verified against `pinned` (the SHA-256 the instructor shows, typed by the
/// student) rather than the one the server sends: the network may not be trusted.
pub async fn fetch_pinned(
    url: &str,
    pinned: Option<&str>,
    dir: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf> {
    let pinned = match pinned {
        Some(p) => {
            let p = p.trim().to_ascii_lowercase();
            if p.len() != 64 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!("--sha256 takes the 64 hex digits the instructor's screen shows (got {p:?})");
            }
            Some(p)
        }
        None => None,
    };
    let base = normalize_url(url)?;
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(IDLE)
        .no_proxy()
        .build()?;
    let unreachable = |e: reqwest::Error| {
        anyhow::anyhow!(
            "cannot reach the workshop server at {base}: {}. Is the URL right and are you on the room's network?",
            cause(&e)
        )
    };
    let resp = client
        .get(format!("{base}/images/manifest"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(unreachable)?;
    match resp.status() {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => bail!(
            "the workshop server at {base} hands out no image archive (the instructor starts it with `--archive FILE`); run `dockdojo prepare` instead"
        ),
        s => bail!(
            "the workshop server at {base} answered {} for the image manifest: {}",
            s.as_u16(),
            super::api_error(resp).await
        ),
    }
    let manifest: ImageManifest = resp.json().await.map_err(|e| {
        anyhow::anyhow!("the image manifest from {base} is not valid: {}", cause(&e))
    })?;
    let sha = manifest.sha256.to_ascii_lowercase();
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!(
            "the image manifest from {base} names no valid SHA-256 ({:?})",
            manifest.sha256
        );
    }
    if let Some(p) = &pinned {
        if *p != sha {
            bail!(
                "the workshop server at {base} offers an archive with sha256 {sha}, not the {p} you were given: nothing was downloaded or loaded. Check the URL and the digest with the instructor"
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let done = dir.join(format!("images-{sha}.tar"));
    let part = dir.join(format!("images-{sha}.tar.part"));
    if done.is_file() {
        if hash_file(&done).await? == sha {
            progress(&format!(
                "the course image archive is already downloaded ({})",
                done.display()
            ));
            return Ok(done);
        }
        std::fs::remove_file(&done)?;
    }
    if std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) > manifest.size {
        std::fs::remove_file(&part)?;
    }
    // The server hands out a few downloads at once: a busy answer means wait and ask again.
    let mut waited = Duration::ZERO;
    while std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) < manifest.size {
        let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        match download(&client, &base, &part, have, manifest.size, progress).await? {
            Fetched::Done => break,
            Fetched::Busy(after) if waited < BUSY_WAIT_MAX => {
                progress(&format!(
                    "the server is handing out the archive to others: waiting {} s",
                    after.as_secs()
                ));
                tokio::time::sleep(after).await;
                waited += after;
            }
            Fetched::Busy(_) => bail!(
                "the workshop server at {base} stayed busy for {} min: run the same command again later",
                BUSY_WAIT_MAX.as_secs() / 60
            ),
        }
    }
    if hash_file(&part).await? != sha {
        // Pinned or not, the bytes must be the digest asked for.
        let _ = std::fs::remove_file(&part);
        bail!("the archive from {base} does not match its manifest (sha256 {sha}); try again");
    }
    std::fs::rename(&part, &done).with_context(|| format!("saving {}", done.display()))?;
    progress(&format!(
        "downloaded and verified {} ({})",
        done.display(),
        manifest.images.join(", ")
    ));
    Ok(done)
}

/// The longest `fetch_into` waits for a free download slot in all.
const BUSY_WAIT_MAX: Duration = Duration::from_secs(30 * 60);

enum Fetched {
    Done,
    /// 503 with `Retry-After`: every download slot is taken.
    Busy(Duration),
}

async fn download(
    client: &reqwest::Client,
    base: &str,
    part: &Path,
    have: u64,
    size: u64,
    progress: &mut dyn FnMut(&str),
) -> Result<Fetched> {
    let mut req = client.get(format!("{base}/images/archive"));
    if have > 0 {
        req = req.header(RANGE, format!("bytes={have}-"));
    }
    let resp = req.send().await.map_err(|e| {
        anyhow::anyhow!(
            "cannot download the archive from {base}: {}; run the same command again to resume",
            cause(&e)
        )
    })?;
    let resumed = match resp.status() {
        StatusCode::PARTIAL_CONTENT if have > 0 => {
            // The range must start where our file ends.
            let start = resp
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes "))
                .and_then(|v| v.split('-').next())
                .and_then(|v| v.parse::<u64>().ok());
            if start != Some(have) {
                bail!("the server at {base} answered a different part of the archive than asked for; delete {} and try again", part.display());
            }
            true
        }
        StatusCode::OK => false,
        StatusCode::SERVICE_UNAVAILABLE => {
            let secs = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(20)
                .clamp(1, 120);
            return Ok(Fetched::Busy(Duration::from_secs(secs)));
        }
        s => bail!(
            "the server at {base} answered {} for the archive: {}",
            s.as_u16(),
            super::api_error(resp).await
        ),
    };
    let mut file = if resumed {
        progress(&format!(
            "resuming the download at {} of {}",
            megabytes(have),
            megabytes(size)
        ));
        std::fs::OpenOptions::new().append(true).open(part)?
    } else {
        progress(&format!(
            "downloading the course images from {base} ({})",
            megabytes(size)
        ));
        std::fs::File::create(part)?
    };
    let mut got = if resumed { have } else { 0 };
    let mut next_tenth = got * 10 / size.max(1) + 1;
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            anyhow::anyhow!(
                "the download from {base} broke off at {}: {}; run the same command again to resume",
                megabytes(got),
                cause(&e)
            )
        })?;
        file.write_all(&chunk)
            .with_context(|| format!("writing {}", part.display()))?;
        got += chunk.len() as u64;
        if got > size {
            break;
        }
        let tenth = got * 10 / size.max(1);
        if tenth >= next_tenth && got < size {
            progress(&format!(
                "  {} % ({} of {})",
                tenth * 10,
                megabytes(got),
                megabytes(size)
            ));
            next_tenth = tenth + 1;
        }
    }
    file.sync_all()?;
    if got < size {
        bail!(
            "the download from {base} ended early ({} of {}); run the same command again to resume",
            megabytes(got),
            megabytes(size)
        );
    }
    Ok(Fetched::Done)
}

/// Hex SHA-256 of a file (read off the async threads).
async fn hash_file(path: &Path) -> Result<String> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> Result<String> {
        let mut f =
            std::fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(hex::encode(h.finalize()))
    })
    .await?
}

fn megabytes(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1_000_000.0)
}

#[cfg(test)]
#[path = "archive_tests.rs"]
mod tests;
