//! The projector board: its page (behind the board key, with a strict CSP) and its event
//! stream (SSE), coalesced to one event per [`BOARD_MIN_INTERVAL`](super::BOARD_MIN_INTERVAL).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use tokio::sync::{watch, OwnedSemaphorePermit};

use super::http::ApiErr;
use super::limits::AddrSlot;
use super::{limits, lock, until_stop, App, Shared, BOARD_MIN_INTERVAL, MAX_BOARD_STREAMS};
use crate::workshop::same_secret;

/// The board gets a fresh view at least this often (idle students become "stuck").
const BOARD_REFRESH: Duration = Duration::from_secs(30);

const SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The projector page (read-only, fed by `/board/events`).
const BOARD_HTML: &str = include_str!("../board.html");

/// The board page may run only its own inline code and talk only to this server.
const BOARD_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
     connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The board key the request gives, when it is the current one.
fn board_key_ok(
    app: &App,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Option<String> {
    q.ok()
        .and_then(|Query(q)| q.get("key").cloned())
        .filter(|k| same_secret(k, &lock(&app.board_key)))
}

pub(super) async fn board(
    State(app): State<Shared>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    if board_key_ok(&app, q).is_none() {
        return ApiErr::not_found().into_response();
    }
    (
        [
            (header::CONTENT_SECURITY_POLICY, BOARD_CSP),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            // The board key is in the URL: never pass it on.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(BOARD_HTML),
    )
        .into_response()
}

/// What a board stream carries between events.
struct BoardStream {
    app: Shared,
    changes: watch::Receiver<u64>,
    stop: watch::Receiver<bool>,
    first: bool,
    last: Instant,
    /// The board key this stream was opened with: a new key closes it.
    key: String,
    _permit: OwnedSemaphorePermit,
    _slot: AddrSlot,
}

pub(super) async fn board_events(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let Some(key) = board_key_ok(&app, q) else {
        return ApiErr::not_found().into_response();
    };
    let Some(slot) = app.board_slots.try_take(peer.ip()) else {
        return ApiErr::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "too many boards open from this address (limit {}): close one",
                limits::BOARD_STREAMS_PER_ADDRESS
            ),
        )
        .into_response();
    };
    let Ok(permit) = app.boards.clone().try_acquire_owned() else {
        return ApiErr::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("too many boards open (limit {MAX_BOARD_STREAMS}): close one"),
        )
        .into_response();
    };
    let st = BoardStream {
        changes: app.changes.subscribe(),
        stop: app.stop.clone(),
        app: app.clone(),
        first: true,
        last: Instant::now(),
        key,
        _permit: permit,
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(st, |mut st| async move {
        if st.first {
            st.first = false;
            st.changes.borrow_and_update();
        } else {
            let stopped = tokio::select! {
                r = st.changes.changed() => r.is_err(),
                _ = until_stop(&mut st.stop) => true,
                _ = tokio::time::sleep(BOARD_REFRESH) => false,
            };
            if stopped {
                return None;
            }
            // Coalesce: changes during this wait become one event.
            let due = tokio::time::Instant::from_std(st.last + BOARD_MIN_INTERVAL);
            let stopped = tokio::select! {
                _ = tokio::time::sleep_until(due) => false,
                _ = until_stop(&mut st.stop) => true,
            };
            if stopped {
                return None;
            }
            st.changes.borrow_and_update();
        }
        if !same_secret(&st.key, &lock(&st.app.board_key)) {
            return None;
        }
        st.last = Instant::now();
        let view = st.app.board_view();
        let event = Event::default()
            .json_data(&view)
            .unwrap_or_else(|_| Event::default().comment("the room view could not be encoded"));
        Some((Ok::<_, Infallible>(event), st))
    });
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(SSE_KEEP_ALIVE)),
    )
        .into_response()
}
