//! The HTTP glue every handler shares: `ApiErr` (an error answer with its status), JSON bodies
//! whose rejections are short `ApiError`s, the student and instructor tokens as extractors,
//! blocking SQLite work, and `screen`, the middleware that checks Host and Origin and reads each
//! body up front within the size limit and the request deadline.

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::HeaderValue;
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;

use super::{guard, lock, App, Shared, API_TIMEOUT};
use crate::workshop::proto::ApiError;
use crate::workshop::{hash_token, proto, same_secret};

/// An error answer: a status and an [`ApiError`] body (and `Retry-After` seconds for a 429 or
/// a 503 that will pass).
#[derive(Debug)]
pub(super) struct ApiErr(StatusCode, String, Option<u64>);

impl ApiErr {
    pub(super) fn new(status: StatusCode, msg: impl Into<String>) -> Self {
        Self(status, msg.into(), None)
    }
    pub(super) fn retry(status: StatusCode, msg: impl Into<String>, secs: u64) -> Self {
        Self(status, msg.into(), Some(secs))
    }
    pub(super) fn bad(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, msg)
    }
    pub(super) fn internal(e: impl std::fmt::Display) -> Self {
        eprintln!("workshop server: internal error: {e}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not store this; it was not saved, send it again later",
        )
    }
    pub(super) fn wrong_code() -> Self {
        Self::new(StatusCode::FORBIDDEN, "wrong join code")
    }
    pub(super) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not found")
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let mut resp = (self.0, Json(ApiError { error: self.1 })).into_response();
        if let Some(secs) = self.2 {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// A JSON body whose every rejection is a short [`ApiError`]: 413 when too large, else 400
/// (axum alone answers 422 for type errors).
pub(super) struct ApiJson<T>(pub(super) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiErr;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> ApiErr {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return json_rejection_too_large();
    }
    match rej {
        JsonRejection::MissingJsonContentType(_) => {
            ApiErr::bad("send the body as JSON (Content-Type: application/json)")
        }
        JsonRejection::JsonSyntaxError(_) => {
            ApiErr::bad(format!("malformed JSON: {}", short(&rej.body_text(), 200)))
        }
        JsonRejection::JsonDataError(_) => {
            ApiErr::bad(format!("invalid request: {}", short(&rej.body_text(), 200)))
        }
        _ => ApiErr::bad(format!(
            "cannot read the request: {}",
            short(&rej.body_text(), 200)
        )),
    }
}

fn json_rejection_too_large() -> ApiErr {
    ApiErr::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "request body too large (the limit is {} bytes)",
            proto::MAX_BODY_BYTES
        ),
    )
}

pub(super) fn short(s: &str, max: usize) -> String {
    let s = s
        .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        .trim_start_matches("Failed to parse the request body as JSON: ");
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The student a request's `Authorization: Bearer` token belongs to.
pub(super) struct StudentAuth(pub(super) i64);

impl FromRequestParts<Shared> for StudentAuth {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Self::Rejection> {
        let id = bearer(parts).and_then(|t| lock(&app.room).student_by_token(&hash_token(t)));
        id.map(Self).ok_or_else(|| {
            ApiErr::new(
                StatusCode::UNAUTHORIZED,
                "unknown or missing student token: join the workshop again with `dockdojo workshop join`",
            )
        })
    }
}

/// A request carrying the instructor token.
pub(super) struct Instructor;

impl FromRequestParts<Shared> for Instructor {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Self::Rejection> {
        match bearer(parts) {
            Some(t) if same_secret(t, &app.instructor_token) => Ok(Self),
            _ => Err(ApiErr::new(
                StatusCode::UNAUTHORIZED,
                "this needs the instructor token (Authorization: Bearer …, from the instructor file)",
            )),
        }
    }
}

/// Run `f` on a blocking thread (SQLite work never runs on the async runtime).
pub(super) async fn blocking<T: Send + 'static>(
    app: &Shared,
    f: impl FnOnce(&App) -> Result<T, ApiErr> + Send + 'static,
) -> Result<T, ApiErr> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(ApiErr::internal)?
}

pub(super) async fn no_such_endpoint() -> ApiErr {
    ApiErr::new(StatusCode::NOT_FOUND, "no such endpoint")
}

/// An answer after which the connection is closed: the request's body was not (fully) read, so
/// the connection cannot carry another request. Saying so keeps keep-alive clients from sending
/// their next request into a connection the server is closing.
fn closing(resp: impl IntoResponse) -> Response {
    let mut resp = resp.into_response();
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Host and Origin checks for every request, the whole body read up front (within the size
/// limit and the request deadline, so no handler answers before the body is consumed and every
/// connection stays usable), plus a few safe headers on every answer.
pub(super) async fn screen(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let resp = screen_inner(&app, req, next).await;
    with_safe_headers(resp)
}

fn with_safe_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

async fn screen_inner(app: &Shared, req: Request, next: Next) -> Response {
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
    else {
        return closing(ApiErr::bad("missing Host header"));
    };
    if !app.hosts.allows(&host) {
        let shown = short(&host, 80);
        return closing(ApiErr::new(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this workshop server does not answer to the host `{shown}`: use the address the instructor shared, or the instructor restarts the server with --allow-host {shown}"
            ),
        ));
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let same = origin
                .to_str()
                .is_ok_and(|o| guard::origin_matches(o, &host));
            if !same {
                return closing(ApiErr::new(
                    StatusCode::FORBIDDEN,
                    "cross-site request refused: its Origin is not this workshop server",
                ));
            }
        }
    }
    // A declared length over the limit is refused before reading anything.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > proto::MAX_BODY_BYTES as u64) {
        return closing(json_rejection_too_large());
    }
    let (parts, body) = req.into_parts();
    let read = tokio::time::timeout(
        API_TIMEOUT,
        axum::body::to_bytes(body, proto::MAX_BODY_BYTES),
    )
    .await;
    let bytes = match read {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            // http-body-util's LengthLimitError: "length limit exceeded".
            let too_large = e.to_string().contains("length limit");
            return closing(if too_large {
                json_rejection_too_large()
            } else {
                ApiErr::bad("the request body could not be read")
            });
        }
        Err(_) => {
            return closing(ApiErr::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request did not arrive in time",
            ))
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
