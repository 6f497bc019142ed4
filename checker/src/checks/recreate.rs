//! The `recreate` check: take a Compose project down and bring it up again, as `down` and
//! `up -d` do, and see what came back. Its containers are removed (found by the project's label;
//! its volumes and networks are left alone, as `down` without `-v` leaves volumes), then the
//! Compose program that made the project (v1 or v2, read from its labels) runs `up -d` on the
//! files it was started from, naming the services in `up` if any. Every service that ran before
//! must run again: one that only starts because a named service depends on it proves
//! `depends_on`. With `write`, a note with a fresh marker is first stored through the app's
//! published port and read back; after the project came back, it must still be served.

use crate::checks::Kind;
use std::time::Duration;

use crate::checks::{Ctx, Verdict};
use crate::docker::compose::{self, Cli, Member, Origin};
use crate::docker::http::{get, Probe};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

fn default_recreate_within() -> f64 {
    30.0
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecreateCheck {
    /// The project name (`-p`, `name:`, or the folder name).
    pub project: String,
    /// The services named to `up -d` (`up -d web`); empty: `up -d` with none named, which
    /// starts them all.
    #[serde(default)]
    pub up: Vec<String>,
    /// With `write`: the published host port the app answers on.
    pub host_port: Option<u16>,
    /// A path whose GET makes the app keep a note; `{marker}` in it is replaced by a word made
    /// for this check (`/cgi-bin/add?{marker}`).
    pub write: Option<String>,
    /// The path whose answer must show the note, before and after.
    #[serde(default = "crate::checks::defaults::default_path")]
    pub read: String,
    /// Seconds to wait for the app's answers and for the services to run again.
    #[serde(default = "default_recreate_within")]
    pub within_s: f64,
}

impl Kind for RecreateCheck {
    /// A project taken down and brought up again.
    fn weight(&self) -> u32 {
        20
    }
    fn problem(&self) -> Option<String> {
        if self.project.trim().is_empty() {
            return Some("`project` is empty".into());
        }
        if self.host_port.is_some() != self.write.is_some() {
            return Some(
                "give `host_port` and `write` together (a note kept through the app), or neither"
                    .into(),
            );
        }
        if self.write.as_ref().is_some_and(|w| !w.contains("{marker}")) {
            return Some("`write` must hold `{marker}`, where the note goes".into());
        }
        self.up
            .iter()
            .any(|s| s.trim().is_empty())
            .then(|| "`up` names an empty service".into())
    }
}

/// The note the check keeps through the app, when the spec asks for one.
struct Note<'a> {
    host: String,
    port: u16,
    write: String,
    read: &'a str,
    marker: String,
}

/// What the check expects, in words.
fn expectation(spec: &RecreateCheck) -> String {
    let up = up_words(&spec.up);
    let down = format!(
        "project {} is taken down (its containers removed, its volumes kept)",
        spec.project
    );
    match spec.host_port {
        Some(port) => format!(
            "a note kept through port {port} is still served at {} after {down} and brought up again with `{up}`",
            spec.read
        ),
        None => format!("after {down}, `{up}` brings back every service that ran"),
    }
}

fn up_words(up: &[String]) -> String {
    let mut s = "up -d".to_string();
    for u in up {
        s.push(' ');
        s.push_str(u);
    }
    s
}

pub async fn check(ctx: &mut Ctx<'_>, spec: &RecreateCheck) -> Result<Verdict, EnvError> {
    let expected = expectation(spec);
    let within = Duration::from_secs_f64(spec.within_s);
    let note = spec.host_port.zip(spec.write.as_ref()).map(|(port, w)| {
        let marker = format!("dojo-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Note {
            host: ctx.engine.endpoint.probe_host(),
            port,
            write: w.replace("{marker}", &marker),
            read: &spec.read,
            marker,
        }
    });
    let p = &spec.project;
    let before = compose::members(ctx.engine, p).await?;
    if let Err(v) = judge_before(p, &before, &spec.up) {
        return Ok(v.into_verdict(expected));
    }
    if let Some(n) = &note {
        if let Err(v) = keep_note(n, within).await {
            return Ok(v.into_verdict(expected));
        }
    }
    // How to bring it back is settled before anything is removed.
    let origin = before
        .iter()
        .find(|m| m.running)
        .map(|m| Origin::of(&m.labels))
        .unwrap_or_else(|| Origin::of(&Default::default()));
    let (dir, files) = origin
        .resolve(&ctx.dir)
        .map_err(|e| EnvError::Other(format!("cannot bring project {p} up again: {e}")))?;
    let Some(cli) = compose::find_cli(ctx.engine, Cli::candidates(origin.v1)).await else {
        return Err(EnvError::Other(format!(
            "cannot bring project {p} up again: neither `docker compose` nor `docker-compose` runs here"
        )));
    };
    for m in &before {
        compose::remove(ctx.engine, p, m).await?;
    }
    let mut action = vec!["up".to_string(), "-d".to_string()];
    action.extend(spec.up.iter().cloned());
    let ran = compose::run(
        ctx.engine,
        &cli,
        p,
        &dir,
        &files,
        &action,
        Duration::from_secs(300),
    )
    .await?;
    let removed = format!(
        "removed {} container(s) of {p} ({})",
        before.len(),
        services(&before).join(", ")
    );
    if !ran.ok {
        return Ok(Verdict::fail(
            expected,
            format!("{removed}; then `{}` failed:\n{}", ran.shown, ran.output),
        )
        .advise(format!(
            "The project is down now (its volumes are kept): once Compose is content, `{}` brings it back.",
            ran.shown
        )));
    }
    let wanted: Vec<String> = services(
        &before
            .iter()
            .filter(|m| m.running)
            .cloned()
            .collect::<Vec<_>>(),
    );
    let back = match wait_back(ctx, p, &wanted, &spec.up, &ran.shown, within).await? {
        Ok(back) => back,
        Err(v) => return Ok(v.into_verdict(expected)),
    };
    let mut actual = format!(
        "{removed}; `{}` brought back {}",
        ran.shown,
        back.join(", ")
    );
    if let Some(n) = &note {
        match read_note(n, within, true).await {
            Ok(()) => actual.push_str(&format!(
                "; the note {} is still served at {}",
                n.marker, n.read
            )),
            Err(v) => {
                return Ok(Fail {
                    actual: format!("{removed}; after `{}`: {}", ran.shown, v.actual),
                    advice: v.advice,
                }
                .into_verdict(expected))
            }
        }
    }
    Ok(Verdict::pass(expected, actual))
}

/// A failure before its Expected is added.
#[derive(Debug)]
pub struct Fail {
    pub actual: String,
    pub advice: Option<String>,
}

impl Fail {
    fn new(actual: impl Into<String>, advice: impl Into<String>) -> Self {
        Self {
            actual: actual.into(),
            advice: Some(advice.into()),
        }
    }
    fn into_verdict(self, expected: String) -> Verdict {
        let v = Verdict::fail(expected, self.actual);
        match self.advice {
            Some(a) => v.advise(a),
            None => v,
        }
    }
}

/// The services of these containers, each once, in order.
fn services(members: &[Member]) -> Vec<String> {
    let mut s: Vec<String> = members.iter().map(|m| m.service.clone()).collect();
    s.sort();
    s.dedup();
    s
}

/// Can the project be taken down and brought back as asked: it has containers, some run, and
/// the services to name exist?
pub fn judge_before(project: &str, members: &[Member], up: &[String]) -> Result<(), Fail> {
    let start = format!(
        "`docker compose -p {project} up -d` (or `docker-compose -p {project} up -d`) starts it."
    );
    if members.is_empty() {
        return Err(Fail::new(
            format!("no containers belong to project {project}"),
            format!("Run the stack with the project name the task gives: {start}"),
        ));
    }
    if !members.iter().any(|m| m.running) {
        return Err(Fail::new(
            format!(
                "none of project {project}'s containers runs ({} stopped)",
                services(members).join(", ")
            ),
            format!("Bring the project up first: {start}"),
        ));
    }
    let known = services(members);
    if let Some(s) = up.iter().find(|s| !known.contains(s)) {
        return Err(Fail::new(
            format!(
                "project {project} has no service {s} (services: {})",
                known.join(", ")
            ),
            format!("Declare the service `{s}` under `services:` in the compose file."),
        ));
    }
    Ok(())
}

/// Where the services stand after `up -d`: all back (`Ok`), or what is missing.
#[derive(Debug, PartialEq, Eq)]
pub enum Back {
    All(Vec<String>),
    /// Services Compose made no container for: they will not come.
    NotCreated(Vec<String>),
    /// Services whose container is not running (yet).
    NotRunning(Vec<String>),
}

/// Compare the services that ran before with the containers after.
pub fn judge_back(wanted: &[String], after: &[Member]) -> Back {
    let not_created: Vec<String> = wanted
        .iter()
        .filter(|s| !after.iter().any(|m| &m.service == *s))
        .cloned()
        .collect();
    if !not_created.is_empty() {
        return Back::NotCreated(not_created);
    }
    let not_running: Vec<String> = wanted
        .iter()
        .filter(|s| !after.iter().any(|m| &m.service == *s && m.running))
        .cloned()
        .collect();
    if !not_running.is_empty() {
        return Back::NotRunning(not_running);
    }
    Back::All(wanted.to_vec())
}

/// Why a service that ran before has no container after `shown`.
pub fn not_created(missing: &[String], after: &[Member], up: &[String], shown: &str) -> Fail {
    let running: Vec<String> = services(
        &after
            .iter()
            .filter(|m| m.running)
            .cloned()
            .collect::<Vec<_>>(),
    );
    let running = if running.is_empty() {
        "none".to_string()
    } else {
        running.join(", ")
    };
    let actual = format!(
        "after `{shown}`, {} did not come back: no container (running: {running})",
        missing.join(", ")
    );
    let advice = if up.is_empty() {
        "Compose made no container for it: `docker compose config --services` lists the services the file declares.".to_string()
    } else {
        format!(
            "Compose starts the services you name, and the services they depend on: nothing tells it that {} needs {}.",
            up.join(" and "),
            missing.join(" and ")
        )
    };
    Fail::new(actual, advice)
}

/// Wait until every service in `wanted` runs again.
async fn wait_back(
    ctx: &Ctx<'_>,
    project: &str,
    wanted: &[String],
    up: &[String],
    shown: &str,
    within: Duration,
) -> Result<Result<Vec<String>, Fail>, EnvError> {
    let until = tokio::time::Instant::now() + within;
    loop {
        let after = compose::members(ctx.engine, project).await?;
        match judge_back(wanted, &after) {
            Back::All(s) => return Ok(Ok(s)),
            Back::NotCreated(missing) => return Ok(Err(not_created(&missing, &after, up, shown))),
            Back::NotRunning(down) if tokio::time::Instant::now() >= until => {
                let s = &down[0];
                let id = after
                    .iter()
                    .find(|m| &m.service == s)
                    .map(|m| m.id.clone())
                    .unwrap_or_default();
                let info = ctx.inspect(&id).await?.unwrap_or_default();
                let st = info.state.unwrap_or_default();
                let logs = crate::docker::logs::logs_tail(ctx.engine, &id, 4).await;
                return Ok(Err(Fail::new(
                    format!(
                        "after `{shown}`, {s} is not running: it exited with code {}\n--- its last log lines ---\n{}",
                        crate::docker::probe::explain_exit(st.exit_code.unwrap_or(0), st.oom_killed.unwrap_or(false)),
                        if logs.is_empty() { "(no output)".into() } else { logs }
                    ),
                    format!("`docker compose -p {project} logs {s}` shows why it stopped."),
                )));
            }
            Back::NotRunning(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// How long a wrong answer from a running app is asked again before it is believed (the
/// service behind it may still be starting).
const BELIEVE_AFTER: Duration = Duration::from_secs(3);

/// Store the note through the app, then read it back, before anything is taken down. A client
/// error (4xx) is believed at once, another wrong answer after [`BELIEVE_AFTER`], no answer at
/// all after `within`.
async fn keep_note(n: &Note<'_>, within: Duration) -> Result<(), Fail> {
    let until = tokio::time::Instant::now() + within;
    let at = format!("{}:{}", n.host, n.port);
    let mut first_wrong: Option<tokio::time::Instant> = None;
    loop {
        let last = get(&n.host, n.port, &n.write).await;
        let now = tokio::time::Instant::now();
        let believed = match &last {
            Probe::Answer { status, .. } if (200..300).contains(status) => break,
            Probe::Answer { status, .. } if (400..500).contains(status) => true,
            Probe::Answer { .. } => {
                now.duration_since(*first_wrong.get_or_insert(now)) >= BELIEVE_AFTER
            }
            _ => false,
        };
        if !believed && now < until {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        let actual = match last {
            Probe::Answer { status, body } => format!(
                "GET {} answered {status}, so the note was not kept:\n{}",
                n.write,
                crate::docker::logs::tail(&body, 3)
            ),
            Probe::Refused => {
                format!("connection refused on {at}: nothing listens on that host port")
            }
            Probe::NoAnswer(why) => format!("connected to {at} but got no HTTP answer ({why})"),
        };
        return Err(Fail {
            actual: format!("before the project was taken down: {actual}"),
            advice: None,
        });
    }
    read_note(n, within, false)
        .await
        .map_err(|f| Fail {
            actual: format!("before the project was taken down: {}", f.actual),
            advice: Some(f.advice.unwrap_or_else(|| format!(
                "GET {} was answered, yet {} does not show what it stored: is the page made from what the app keeps?",
                n.write, n.read
            ))),
        })
}

/// Read the note back: a right answer holding the marker. A right answer without it is believed
/// after [`BELIEVE_AFTER`] (an app may still be loading); anything else is waited out to
/// `within`.
async fn read_note(n: &Note<'_>, within: Duration, after: bool) -> Result<(), Fail> {
    let until = tokio::time::Instant::now() + within;
    let mut first_without: Option<tokio::time::Instant> = None;
    loop {
        let last = get(&n.host, n.port, n.read).await;
        let now = tokio::time::Instant::now();
        if let Probe::Answer { status, body } = &last {
            if (200..300).contains(status) {
                if body.contains(&n.marker) {
                    return Ok(());
                }
                let since = *first_without.get_or_insert(now);
                if now >= until || now.duration_since(since) >= BELIEVE_AFTER {
                    return Err(lost(n, *status, body, after));
                }
            }
        }
        if now >= until {
            let at = format!("{}:{}", n.host, n.port);
            return Err(Fail {
                actual: match last {
                    Probe::Answer { status, body } => format!(
                        "GET {} answers {status}:\n{}",
                        n.read,
                        crate::docker::logs::tail(&body, 3)
                    ),
                    Probe::Refused => {
                        format!("connection refused on {at}: nothing listens on that host port")
                    }
                    Probe::NoAnswer(why) => {
                        format!("connected to {at} but got no HTTP answer ({why})")
                    }
                },
                advice: None,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A right answer without the note.
fn lost(n: &Note<'_>, status: u16, body: &str, after: bool) -> Fail {
    let shown = crate::docker::logs::tail(body, 3);
    if after {
        Fail::new(
            format!(
                "the note {} is gone: GET {} answers {status} without it:\n{shown}",
                n.marker, n.read
            ),
            "What a container keeps in its own writable layer, or in an anonymous volume (a `volumes:` entry with only a path in the container), goes with the container: `down` removes containers, and `up` makes new ones from the image, with new anonymous volumes. Only a named volume (`NAME:/path`, declared under the top-level `volumes:`) or a bind mount is still there.",
        )
    } else {
        Fail {
            actual: format!(
                "the note {} was taken, but GET {} answers {status} without it:\n{shown}",
                n.marker, n.read
            ),
            advice: None,
        }
    }
}

#[cfg(test)]
#[path = "recreate_tests.rs"]
mod tests;
