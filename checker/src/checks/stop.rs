//! The `stop` check: a real `docker stop`, timed on the monotonic clock, and the exit code it left.

use crate::checks::{Kind, Needs};
use std::time::{Duration, Instant};

use bollard::query_parameters::StopContainerOptionsBuilder;

use crate::checks::{Ctx, Verdict};
use crate::docker::deadline;
use crate::error::EnvError;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StopCheck {
    pub container: String,
    /// The stop must finish within this many seconds.
    pub max_seconds: f64,
    /// Acceptable exit codes after the stop.
    #[serde(default = "crate::checks::defaults::default_stop_codes")]
    pub exit_codes: Vec<i64>,
    /// The timeout passed to `docker stop` (default 10, Docker's default).
    pub timeout_s: Option<i64>,
}

impl Kind for StopCheck {
    /// A stop, up to its timeout.
    fn weight(&self) -> u32 {
        10
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            container: Some(&self.container),
            ..Needs::default()
        }
    }
}

pub async fn check(ctx: &mut Ctx<'_>, spec: &StopCheck) -> Result<Verdict, EnvError> {
    let name = &spec.container;
    let timeout = spec.timeout_s.unwrap_or(10);
    let expected = format!(
        "`docker stop` finishes within {} s with exit code {}",
        spec.max_seconds,
        spec.exit_codes
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" or ")
    );
    let Some(info) = ctx.inspect(name).await? else {
        return Ok(Verdict::fail(
            expected,
            format!("there is no container named {name}"),
        ));
    };
    if info.state.as_ref().and_then(|s| s.running) != Some(true) {
        return Ok(Verdict::fail(
            expected,
            format!("{name} was not running, so it could not be stopped"),
        ));
    }
    let target = ctx.container_id(name).unwrap_or_else(|| name.clone());
    let opts = StopContainerOptionsBuilder::new().t(timeout as i32).build();
    let t0 = Instant::now();
    let sent = time::OffsetDateTime::now_utc();
    let limit = Duration::from_secs(timeout as u64) + deadline::STOP_GRACE;
    match tokio::time::timeout(limit, ctx.engine.docker.stop_container(&target, Some(opts))).await {
        Err(_) => {
            return Err(EnvError::Deadline {
                what: "stop container".into(),
                deadline: limit,
            })
        }
        Ok(r) => r.map_err(|e| crate::docker::classify("stop container", &e))?,
    }
    let took = t0.elapsed().as_secs_f64();
    let after = ctx
        .inspect(name)
        .await?
        .and_then(|i| i.state)
        .unwrap_or_default();
    // How long the app took is when it exited (the engine records it) minus when the stop was
    // sent; the call itself can return later on a busy engine (Podman's stop waits on its
    // storage lock while builds run). Only when that moment is known and plausible, on the same
    // clock as ours (a remote daemon's may differ): otherwise the call's own time.
    let took = stop_took(after.finished_at.as_deref(), sent, took);
    let stopped = Stopped {
        took,
        code: after.exit_code.unwrap_or(-1),
        oom: after.oom_killed.unwrap_or(false),
    };
    Ok(judge(&stopped, spec, expected))
}

/// Seconds from the stop being sent to the app's exit as the engine recorded it (`finished_at`),
/// when that is known and no later than the call's own `took`; otherwise `took`.
fn stop_took(finished_at: Option<&str>, sent: time::OffsetDateTime, took: f64) -> f64 {
    finished_at
        .and_then(|t| time::OffsetDateTime::parse(t, &Rfc3339).ok())
        .map(|f| (f - sent).as_seconds_f64())
        .filter(|s| (-0.5..=took).contains(s))
        .map_or(took, |s| s.max(0.0))
}

/// What a `docker stop` did: how long it took and the exit code it left.
pub struct Stopped {
    pub took: f64,
    pub code: i64,
    pub oom: bool,
}

/// The verdict on a finished stop (no I/O).
pub fn judge(stopped: &Stopped, spec: &StopCheck, expected: String) -> Verdict {
    let Stopped { took, code, oom } = *stopped;
    let actual = format!(
        "stopped in {took:.1} s, exit code {}",
        crate::docker::probe::explain_exit(code, oom)
    );
    if code != 137 && took > spec.max_seconds {
        return Verdict::fail(expected, actual).advise(format!(
            "It handled SIGTERM, but shutting down took {took:.1} s: finish the cleanup faster, or stop waiting for work that can be dropped."
        ));
    }
    // Killed well before the timeout: the stop signal itself was SIGKILL (`STOPSIGNAL`), or the
    // process was killed some other way; Docker did not wait.
    let timeout = spec.timeout_s.unwrap_or(10) as f64;
    if code == 137 && took < timeout / 2.0 {
        return Verdict::fail(expected, actual).advise(
            "It was killed (137) at once, not after the timeout: the signal `docker stop` sent \
             was SIGKILL itself (a `STOPSIGNAL SIGKILL` in the image?), which nobody can catch. \
             Keep the default SIGTERM and let the app handle it.",
        );
    }
    if code == 137 {
        return Verdict::fail(expected, actual).advise(
            "The process did not handle SIGTERM, so Docker waited out the timeout and sent SIGKILL (137). \
             `docker stop` signals PID 1 only: which process is PID 1 in this container, and does \
             it pass the signal on to the app?",
        );
    }
    if !spec.exit_codes.contains(&code) {
        return Verdict::fail(expected, actual);
    }
    Verdict::pass(expected, actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apps_own_exit_time_counts_not_a_slow_call() {
        let sent = time::OffsetDateTime::parse("2026-12-06T11:00:00Z", &Rfc3339).unwrap();
        // Exited 0.8 s after the signal; the engine answered the call only after 3.9 s.
        assert!((stop_took(Some("2026-12-06T11:00:00.8Z"), sent, 3.9) - 0.8).abs() < 1e-6);
        // Unknown, unparsable, or later than the call (another clock): the call's time.
        assert_eq!(stop_took(None, sent, 3.9), 3.9);
        assert_eq!(stop_took(Some("0001-01-01T00:00:00Z"), sent, 3.9), 3.9);
        assert_eq!(stop_took(Some("2026-12-06T11:00:09Z"), sent, 3.9), 3.9);
        // A clock a little behind ours: not below zero.
        assert_eq!(stop_took(Some("2026-12-06T10:59:59.8Z"), sent, 3.9), 0.0);
    }

    #[test]
    fn stops_are_judged() {
        let spec = StopCheck {
            container: "dojo-stop".into(),
            max_seconds: 3.0,
            exit_codes: vec![0, 143],
            timeout_s: None,
        };
        let v = |took, code| {
            judge(
                &Stopped {
                    took,
                    code,
                    oom: false,
                },
                &spec,
                "e".into(),
            )
        };
        assert!(v(0.4, 0).passed && v(0.4, 143).passed);
        let slow = v(5.0, 0);
        assert!(!slow.passed && slow.advice.unwrap().contains("shutting down took 5.0 s"));
        let killed = v(10.2, 137);
        assert!(!killed.passed && killed.advice.unwrap().contains("waited out the timeout"));
        // Killed at once: Docker did not wait, the stop signal was SIGKILL.
        let at_once = v(0.0, 137);
        assert!(!at_once.passed);
        let advice = at_once.advice.unwrap();
        assert!(
            advice.contains("killed (137) at once") && !advice.contains("waited out"),
            "{advice}"
        );
        assert!(!v(0.2, 1).passed);
    }
}
