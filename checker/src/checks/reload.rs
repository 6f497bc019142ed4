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
    let p = spec.host_port;
    let actual = match last {
        Probe::Answer { status, .. } => {
            return Verdict::fail(
                expected,
                format!("{status}, but still the old content: the container serves a copy, not your folder"),
            )
            .advise("Mount the folder instead of copying it: `-v \"$PWD/site:/path/in/container\"` (a bind mount); changes then show at once.")
        }
        Probe::Refused => format!("nothing answers on {host}:{p}"),
        Probe::NoAnswer(w) => format!("no HTTP answer on {host}:{p} ({w})"),
    };
    // Nothing answered: the mount may be right, the port is what is off.
    Verdict::fail(expected, actual).advise(format!(
        "First the site must answer on host port {p}: publish it to the port the server listens on inside the container (`-p {p}:<container port>`); `docker ps` shows what is published."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ReloadCheck {
        toml::from_str("host_port = 18997\nfile = \"site/index.html\"").expect("spec")
    }

    fn asked(last: Probe) -> Reloaded {
        Reloaded::Asked {
            host: "127.0.0.1".into(),
            token: "dockdojo-reload-1a2b3c4d".into(),
            last,
        }
    }

    #[test]
    fn the_old_content_is_told_to_mount_the_folder() {
        let old = Probe::Answer {
            status: 200,
            body: "<h1>old</h1>".into(),
        };
        let v = judge(&spec(), &asked(old));
        assert!(!v.passed);
        let advice = v.advice.unwrap();
        assert!(
            advice.starts_with("Mount the folder instead of copying it"),
            "{advice}"
        );
    }

    #[test]
    fn no_answer_is_told_to_publish_the_port_not_to_mount() {
        for last in [Probe::Refused, Probe::NoAnswer("connection reset".into())] {
            let v = judge(&spec(), &asked(last));
            assert!(!v.passed);
            let advice = v.advice.unwrap();
            assert_eq!(
                advice,
                "First the site must answer on host port 18997: publish it to the port the server listens on inside the container (`-p 18997:<container port>`); `docker ps` shows what is published."
            );
            assert!(!advice.contains("Mount the folder"));
        }
    }
}
