//! Talking to the workshop server with the instructor token: a background task polls
//! GET /api/room about once a second (and at once after an action), and each instructor action
//! is one request on a task of its own. Every answer comes back as an [`Event`]; a refusal
//! carries the server's own error text.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::action::Event;
use super::state::Effect;
use super::text;
use crate::workshop::proto::{ApiError, Message, Moderated, RoomView};

/// How often the room is fetched.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// A request that takes longer than this counts as "server unreachable".
const TIMEOUT: Duration = Duration::from_secs(4);

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
    tx: UnboundedSender<Event>,
    /// Wakes the poller for an immediate refresh.
    refresh: Arc<Notify>,
}

impl Api {
    pub fn new(base: &str, token: &str, tx: UnboundedSender<Event>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            tx,
            refresh: Arc::new(Notify::new()),
        })
    }

    /// The poller; runs until aborted or the app's channel closes.
    pub fn spawn_poller(&self) -> JoinHandle<()> {
        let api = self.clone();
        tokio::spawn(async move {
            loop {
                let room = api.get::<RoomView>("/api/room").await.map(Box::new);
                if api.tx.send(Event::Room(room)).is_err() {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(POLL_EVERY) => {}
                    _ = api.refresh.notified() => {}
                }
            }
        })
    }

    /// Carry out an instructor action; the outcome arrives as [`Event::Done`].
    pub fn execute(&self, effect: Effect) {
        let api = self.clone();
        tokio::spawn(async move {
            let done = match effect {
                Effect::Pace(pace, what) => {
                    api.post::<_, RoomView>("/api/pace", &pace)
                        .await
                        .map(|room| {
                            let _ = api.tx.send(Event::Room(Ok(Box::new(room))));
                            what
                        })
                }
                Effect::Send(msg) => {
                    let kind = match &msg.exercise {
                        Some(e) => format!("hint for {e}"),
                        None => "message".to_string(),
                    };
                    api.post::<_, Message>("/api/message", &msg)
                        .await
                        .map(|_| format!("{kind} sent to the room"))
                }
                Effect::Moderate(m) => api
                    .post::<_, Moderated>("/api/moderate", &m)
                    .await
                    .map(|d| text::fit(&d.done, 200)),
            };
            api.refresh.notify_one();
            let _ = api.tx.send(Event::Done(done));
        });
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, String> {
        let req = self.http.post(format!("{}{path}", self.base)).json(body);
        self.send(req).await
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, String> {
        let resp = req
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| describe(&e))?;
        if !status.is_success() {
            let why = serde_json::from_slice::<ApiError>(&body)
                .map(|e| e.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
            let hint = if status == reqwest::StatusCode::UNAUTHORIZED {
                " (is this the instructor file of the running server?)"
            } else {
                ""
            };
            return Err(text::fit(
                &format!("the server refused ({status}): {}{hint}", why.trim()),
                300,
            ));
        }
        serde_json::from_slice(&body).map_err(|e| {
            format!(
                "the server sent something unexpected ({e}); are the server and the dashboard the same dockdojo version?"
            )
        })
    }
}

/// A transport error in a few words (reqwest's chain is long).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer within 4 s".into()
    } else if e.is_connect() {
        "connection refused or no route".into()
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s = format!("{s}: {inner}");
            src = inner.source();
        }
        text::fit(&s, 200)
    }
}
