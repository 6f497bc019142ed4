//! The routes: the API under a request timeout and the body limit, the long-lived board stream
//! and archive download without one, all behind [`screen`](super::http::screen).

use std::path::Path;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use tower_http::services::ServeFile;
use tower_http::timeout::TimeoutLayer;

use super::api::{
    export_rows, images_manifest, join, message, moderate, no_archive, pace, report, room_view,
    student_view,
};
use super::board::{board, board_events};
use super::download::download_guard;
use super::http::{no_such_endpoint, screen};
use super::{Shared, API_TIMEOUT};
use crate::workshop::proto;

pub(super) fn router(app: Shared, archive: Option<&Path>) -> Router {
    let timeout = || TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, API_TIMEOUT);
    let api = Router::new()
        .route("/api/join", post(join))
        .route("/api/report", post(report))
        .route("/api/student", get(student_view))
        .route("/api/room", get(room_view))
        .route("/api/pace", post(pace))
        .route("/api/message", post(message))
        .route("/api/moderate", post(moderate))
        .route("/api/export", get(export_rows))
        .route("/board", get(board))
        .route("/images/manifest", get(images_manifest))
        .layer(DefaultBodyLimit::max(proto::MAX_BODY_BYTES))
        .layer(timeout());
    // Long-lived answers: no request timeout (the stream and the download take as long as
    // they take; the connection limit still holds).
    let long = Router::new().route("/board/events", get(board_events));
    let long = match archive {
        Some(path) => long.merge(
            Router::new()
                .route_service("/images/archive", ServeFile::new(path))
                .layer(axum::middleware::from_fn_with_state(
                    app.clone(),
                    download_guard,
                )),
        ),
        None => long.route("/images/archive", get(|| async { no_archive() })),
    };
    api.merge(long)
        .fallback(no_such_endpoint)
        .layer(axum::middleware::from_fn_with_state(app.clone(), screen))
        .with_state(app)
}
