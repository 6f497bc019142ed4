//! `prepare --from` downloads against a scripted server on 127.0.0.1: resume with a Range
//! request, start over when the server ignores it, refuse a tampered archive, reuse a verified
//! one.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sha2::{Digest, Sha256};

use super::fetch_into;
use crate::workshop::proto::ImageManifest;

#[derive(Clone)]
struct Fake {
    body: Arc<Vec<u8>>,
    /// The SHA-256 the manifest claims.
    sha: String,
    honour_range: bool,
    /// The Range header of every archive request (None: no header).
    ranges: Arc<Mutex<Vec<Option<String>>>>,
}

async fn manifest(State(f): State<Fake>) -> Json<ImageManifest> {
    Json(ImageManifest {
        sha256: f.sha.clone(),
        size: f.body.len() as u64,
        images: vec!["busybox:1.36.1".into()],
    })
}

async fn archive(State(f): State<Fake>, headers: HeaderMap) -> Response {
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    f.ranges.lock().unwrap().push(range.clone());
    let start = range.filter(|_| f.honour_range).and_then(|r| {
        r.strip_prefix("bytes=")?
            .strip_suffix('-')?
            .parse::<usize>()
            .ok()
    });
    match start {
        Some(s) if s < f.body.len() => (
            StatusCode::PARTIAL_CONTENT,
            [(
                header::CONTENT_RANGE,
                format!("bytes {s}-{}/{}", f.body.len() - 1, f.body.len()),
            )],
            f.body[s..].to_vec(),
        )
            .into_response(),
        _ => (StatusCode::OK, f.body.to_vec()).into_response(),
    }
}

async fn serve(fake: Fake) -> String {
    let app = Router::new()
        .route("/images/manifest", get(manifest))
        .route("/images/archive", get(archive))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("{addr}")
}

fn data() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn fake(body: Vec<u8>, honour_range: bool) -> Fake {
    let sha = hex::encode(Sha256::digest(&body));
    Fake {
        body: Arc::new(body),
        sha,
        honour_range,
        ranges: Arc::default(),
    }
}

#[tokio::test]
async fn a_partial_download_resumes_with_a_range_request() {
    let body = data();
    let f = fake(body.clone(), true);
    let url = serve(f.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join(format!("images-{}.tar.part", f.sha));
    std::fs::write(&part, &body[..120_000]).unwrap();
    let mut lines = Vec::new();
    let path = fetch_into(&url, dir.path(), &mut |l| lines.push(l.to_string()))
        .await
        .unwrap();
    assert_eq!(path, dir.path().join(format!("images-{}.tar", f.sha)));
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert!(!part.exists());
    assert_eq!(
        *f.ranges.lock().unwrap(),
        vec![Some("bytes=120000-".to_string())]
    );
    assert!(lines.iter().any(|l| l.contains("resuming")), "{lines:?}");

    // Complete and verified: reused without downloading again.
    fetch_into(&url, dir.path(), &mut |_| {}).await.unwrap();
    assert_eq!(f.ranges.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_server_ignoring_the_range_means_starting_over() {
    let body = data();
    let f = fake(body.clone(), false);
    let url = serve(f.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join(format!("images-{}.tar.part", f.sha));
    std::fs::write(&part, &body[..50_000]).unwrap();
    let path = fetch_into(&format!("http://{url}/"), dir.path(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(
        *f.ranges.lock().unwrap(),
        vec![Some("bytes=50000-".to_string())]
    );
}

#[tokio::test]
async fn a_tampered_archive_is_refused_and_deleted() {
    let mut f = fake(data(), true);
    f.sha = hex::encode(Sha256::digest(b"what the instructor really published"));
    let url = serve(f.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let err = fetch_into(&url, dir.path(), &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not match its manifest")
            && err.contains(&f.sha)
            && err.contains("try again"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_manifest_sha_that_is_not_hex_is_refused() {
    let mut f = fake(data(), true);
    f.sha = "../../etc/passwd".into();
    let url = serve(f.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let err = fetch_into(&url, dir.path(), &mut |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("no valid SHA-256"), "{err}");
    assert!(f.ranges.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_server_says_so() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let dir = tempfile::tempdir().unwrap();
    let err = fetch_into(&addr.to_string(), dir.path(), &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot reach the workshop server"), "{err}");
}

/// Case 46: whoever controls the network can swap the archive and its manifest together; a
/// digest the instructor showed (`--sha256`) refuses it before a byte is downloaded.
#[tokio::test]
async fn case_46_a_pinned_digest_refuses_an_archive_swapped_with_its_manifest() {
    let swapped = fake(b"an archive someone else made".repeat(1000), true);
    let url = serve(swapped.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let published = hex::encode(Sha256::digest(data()));
    let err = super::fetch_pinned(&url, Some(&published), dir.path(), &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&published) && err.contains("nothing was downloaded"),
        "{err}"
    );
    assert!(swapped.ranges.lock().unwrap().is_empty());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // The real one, pinned in upper case as someone may type it: downloaded and verified.
    let real = fake(data(), true);
    let url = serve(real.clone()).await;
    let path = super::fetch_pinned(
        &url,
        Some(&real.sha.to_uppercase()),
        dir.path(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data());
    let err = super::fetch_pinned(&url, Some("abc"), dir.path(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("64 hex digits"), "{err}");
}

/// A busy server (503 with Retry-After: every download slot taken) is waited for, not an error.
#[tokio::test]
async fn a_busy_server_is_waited_for() {
    let f = fake(data(), true);
    let busy = Arc::new(Mutex::new(2u32));
    let (ff, b) = (f.clone(), busy.clone());
    let app = Router::new()
        .route("/images/manifest", get(manifest))
        .route(
            "/images/archive",
            get(move |h: HeaderMap| {
                let (f, b) = (ff.clone(), b.clone());
                async move {
                    {
                        let mut left = b.lock().unwrap();
                        if *left > 0 {
                            *left -= 1;
                            return (
                                StatusCode::SERVICE_UNAVAILABLE,
                                [(header::RETRY_AFTER, "1")],
                                "busy",
                            )
                                .into_response();
                        }
                    }
                    archive(State(f), h).await
                }
            }),
        )
        .with_state(f.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    let path = fetch_into(&addr.to_string(), dir.path(), &mut |l| {
        lines.push(l.to_string())
    })
    .await
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data());
    assert_eq!(*busy.lock().unwrap(), 0);
    assert!(lines.iter().any(|l| l.contains("waiting 1 s")), "{lines:?}");
}
