//! The `reload` check: change a file on the host and expect the change to be served through a
//! published port right away, which is what a bind mount gives (a copy baked into the image does
//! not change). The file's content is restored afterwards.

use crate::checks::Kind;
use std::time::Duration;

use crate::checks::{Ctx, Verdict};
use crate::docker::http::{get, Probe};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadCheck {
    pub host_port: u16,
    /// The file to change, relative to the exercise folder. Its content is restored afterwards.
    pub file: String,
    /// The URL path that serves it.
    #[serde(default = "crate::checks::defaults::default_path")]
    pub path: String,
    #[serde(default = "crate::checks::defaults::default_within")]
    pub within_s: f64,
}

impl Kind for ReloadCheck {
    /// A file changed and the page asked again.
    fn weight(&self) -> u32 {
        10
    }
}

/// What the `reload` check saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Reloaded {
    /// The file to change is not in the exercise folder (`host`: where it would be asked).
    NoFile { host: String },
    /// The file was changed by appending a comment holding `token`; `last` is the last answer
    /// from `host` (the one that served the change, if one did).
    Asked {
        host: String,
        token: String,
        last: Probe,
    },
}

/// Did this answer serve the changed file?
fn serves(probe: &Probe, token: &str) -> bool {
    matches!(probe, Probe::Answer { body, .. } if body.contains(token))
}

/// The `reload` check: change the file, ask the port until the change is served or `within_s`
/// passes, put the file back, then [`judge`].
pub async fn check(ctx: &mut Ctx<'_>, spec: &ReloadCheck) -> Result<Verdict, EnvError> {
    Ok(judge(spec, &reload(ctx, spec).await?))
}

async fn reload(ctx: &Ctx<'_>, spec: &ReloadCheck) -> Result<Reloaded, EnvError> {
    let path = ctx.dir.join(&spec.file);
    let host = ctx.engine.endpoint.probe_host();
    let Ok(original) = std::fs::read(&path) else {
        return Ok(Reloaded::NoFile { host });
    };
    let token = format!("dockdojo-reload-{}", &uuid::Uuid::new_v4().to_string()[..8]);
    let mut changed = original.clone();
    changed.extend_from_slice(format!("\n<!-- {token} -->\n").as_bytes());
    // Write in place (same inode): editors differ, but a bind mount of the folder sees both ways.
    if let Err(e) = std::fs::write(&path, &changed) {
        return Err(EnvError::Other(format!(
            "cannot change {} for the reload check: {e}",
            path.display()
        )));
    }
    let until = tokio::time::Instant::now() + Duration::from_secs_f64(spec.within_s);
    let last = loop {
        let last = get(&host, spec.host_port, &spec.path).await;
        if serves(&last, &token) || tokio::time::Instant::now() >= until {
            break last;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let _ = std::fs::write(&path, &original);
    Ok(Reloaded::Asked { host, token, last })
}

/// The verdict on the answers after the change (no I/O).
pub fn judge(spec: &ReloadCheck, reloaded: &Reloaded) -> Verdict {
    let (host, token, last) = match reloaded {
        Reloaded::NoFile { host } => (host.clone(), "", None),
        Reloaded::Asked { host, token, last } => (host.clone(), token.as_str(), Some(last)),
    };
    let expected = format!(
        "a change to {} shows at http://{host}:{}{} without rebuilding or restarting",
        spec.file, spec.host_port, spec.path
    );
    let Some(last) = last else {
        return Verdict::fail(
            expected,
            format!("there is no {} in the exercise folder", spec.file),
        );
    };
    if let (Probe::Answer { status, .. }, true) = (last, serves(last, token)) {
        return Verdict::pass(expected, format!("{status}, the change was served"));
    }
    let actual = match last {
        Probe::Answer { status, .. } => format!(
            "{status}, but still the old content: the container serves a copy, not your folder"
        ),
        Probe::Refused => format!("nothing answers on {host}:{}", spec.host_port),
        Probe::NoAnswer(w) => format!("no HTTP answer on {host}:{} ({w})", spec.host_port),
    };
    Verdict::fail(expected, actual)
        .advise("Mount the folder instead of copying it: `-v \"$PWD/site:/path/in/container\"` (a bind mount); changes then show at once.")
}
