//! Serving the built book on 127.0.0.1 (mdBook's own `serve` cannot be embedded): static files
//! from the build folder, nothing else.

use std::path::{Component, Path, PathBuf};

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        _ => "application/octet-stream",
    }
}

async fn file(State(root): State<PathBuf>, uri: Uri) -> Response {
    let rel = uri.path().trim_start_matches('/');
    let mut path = root.clone();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(n) => path.push(n),
            _ => return StatusCode::BAD_REQUEST.into_response(),
        }
    }
    if path.is_dir() {
        path.push("index.html");
    }
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(&path))], bytes).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Serve `root` on 127.0.0.1:`port` until Ctrl-C. Port 0 picks a free one; the URL is printed.
pub async fn serve(root: PathBuf, port: u16, on_ready: impl FnOnce(String)) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}. Another program uses that port: pick one with `dockdojo book --port N`.")
    })?;
    let addr = listener.local_addr()?;
    on_ready(format!("http://{addr}/"));
    let app = axum::Router::new().fallback(file).with_state(root);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
