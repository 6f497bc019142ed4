//! The `restart` check: make the container's main process fail from inside (a trigger the app
//! honours), then see whether its restart policy brings it back.

use crate::checks::{Kind, Needs};
use std::time::Duration;

use bollard::models::ContainerInspectResponse;

use crate::checks::{Ctx, Verdict};
use crate::docker::exec::exec_in;
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

fn default_restart_within() -> f64 {
    20.0
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RestartCheck {
    pub container: String,
    /// A command run inside the container that makes its main process fail (e.g.
    /// `["touch", "/tmp/crash"]` for an app that exits when it sees that file).
    pub trigger: Vec<String>,
    /// Seconds to wait for it to be running again.
    #[serde(default = "default_restart_within")]
    pub within_s: f64,
}

impl Kind for RestartCheck {
    /// A crash and a restart waited for.
    fn weight(&self) -> u32 {
        20
    }
    fn problem(&self) -> Option<String> {
        self.trigger.is_empty().then(|| "`trigger` is empty".into())
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            container: Some(&self.container),
            ..Needs::default()
        }
    }
}

/// A container's state, as the `restart` check reads it from an inspection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub running: bool,
    /// Waiting to be restarted (Docker reports such a container as running too).
    pub restarting: bool,
    pub restart_count: i64,
    pub started_at: String,
    pub exit_code: i64,
    /// The restart policy's name; `no` when none is set.
    pub policy: String,
    /// `on-failure:N`'s N: how many restarts the policy allows (0: no cap).
    pub max_retries: i64,
}

impl Seen {
    pub fn from_inspect(info: &ContainerInspectResponse) -> Self {
        let st = info.state.clone().unwrap_or_default();
        Self {
            running: st.running == Some(true),
            restarting: st.restarting == Some(true),
            restart_count: info.restart_count.unwrap_or(0),
            started_at: st.started_at.unwrap_or_default(),
            exit_code: st.exit_code.unwrap_or(0),
            policy: info
                .host_config
                .as_ref()
                .and_then(|h| h.restart_policy.as_ref())
                .and_then(|r| r.name)
                .map(|n| n.to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "no".into()),
            max_retries: info
                .host_config
                .as_ref()
                .and_then(|h| h.restart_policy.as_ref())
                .and_then(|r| r.maximum_retry_count)
                .unwrap_or(0),
        }
    }

    /// Has an `on-failure:N` policy used all N restarts? Docker then leaves the container down
    /// after its next failure, until a `docker start` or `docker restart` sets the count back
    /// to 0.
    pub fn cap_used(&self) -> bool {
        self.policy == "on-failure"
            && self.max_retries > 0
            && self.restart_count >= self.max_retries
    }

    /// The policy as `docker run --restart` takes it (`on-failure:5`).
    fn policy_flag(&self) -> String {
        if self.policy == "on-failure" && self.max_retries > 0 {
            format!("on-failure:{}", self.max_retries)
        } else {
            self.policy.clone()
        }
    }

    /// Is it running again since `before` (restarted once more, or started anew)?
    fn back_since(&self, before: &Seen) -> bool {
        self.running
            && (self.restart_count > before.restart_count || self.started_at != before.started_at)
    }
}

/// What the `restart` check saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Restarted {
    NoContainer,
    /// Still being restarted after `within_s`, before anything was triggered.
    KeptRestarting,
    /// Removed while it was being restarted, before anything was triggered.
    Removed,
    /// Running, but its `on-failure:N` policy had already restarted it N times (each check
    /// crashes it once): Docker would leave it down after one more failure, so nothing was
    /// triggered. Those restarts are Docker's answer to earlier failures.
    CapUsed(Seen),
    /// Up (or stopped) for real before the trigger; then every inspection after the trigger,
    /// until it was back or `within_s` ran out. `after` is empty when it was not running (nothing
    /// was triggered). A container gone after the trigger reads as a stopped one.
    Settled {
        before: Seen,
        after: Vec<Seen>,
    },
    /// The trigger could not run in the container (it exited non-zero, saying why) and the
    /// container kept running: the policy was never put to the test.
    TriggerFailed(crate::docker::exec::Output),
}

/// The `restart` check: wait until the container is up for real, run the trigger in it, watch
/// it until its policy brings it back or `within_s` passes, then [`judge`].
pub async fn check(ctx: &mut Ctx<'_>, spec: &RestartCheck) -> Result<Verdict, EnvError> {
    Ok(judge(spec, &watch(ctx, spec).await?))
}

async fn watch(ctx: &Ctx<'_>, spec: &RestartCheck) -> Result<Restarted, EnvError> {
    let name = &spec.container;
    let target = ctx.container_id(name).unwrap_or_else(|| name.clone());
    let Some(mut before) = ctx.inspect(&target).await?.as_ref().map(Seen::from_inspect) else {
        return Ok(Restarted::NoContainer);
    };
    // Docker reports a container waiting to be restarted as running AND restarting; the trigger
    // cannot run in it, and the restart that follows would be the previous crash's, not the
    // trigger's. Wait until it is up for real.
    let settle = tokio::time::Instant::now() + Duration::from_secs_f64(spec.within_s);
    while before.restarting {
        if tokio::time::Instant::now() >= settle {
            return Ok(Restarted::KeptRestarting);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        match ctx.inspect(&target).await? {
            Some(i) => before = Seen::from_inspect(&i),
            None => return Ok(Restarted::Removed),
        }
    }
    let mut after = Vec::new();
    if !before.running {
        return Ok(Restarted::Settled { before, after });
    }
    if before.cap_used() {
        return Ok(Restarted::CapUsed(before));
    }
    // The trigger may kill the exec along with the process: its result does not matter.
    let triggered = exec_in(ctx.engine, &target, &spec.trigger, Duration::from_secs(10)).await?;
    let started = tokio::time::Instant::now();
    let until = started + Duration::from_secs_f64(spec.within_s);
    // A trigger that failed and left the container up for a second did nothing: a trigger that
    // worked takes the process down with it at once (its exec may then end non-zero too).
    let failed = triggered.filter(|o| o.code != 0);
    loop {
        let now = Seen::from_inspect(&ctx.inspect(&target).await?.unwrap_or_default());
        let back = now.back_since(&before);
        after.push(now);
        let never_down = after.iter().all(|s| s.running && !s.back_since(&before));
        let waited = tokio::time::Instant::now();
        if let Some(o) = failed.as_ref() {
            if never_down && (waited >= until || waited - started >= Duration::from_secs(1)) {
                return Ok(Restarted::TriggerFailed(o.clone()));
            }
        }
        if back || waited >= until {
            return Ok(Restarted::Settled { before, after });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The verdict on what the container did after the trigger (no I/O).
pub fn judge(spec: &RestartCheck, restarted: &Restarted) -> Verdict {
    let name = &spec.container;
    let expected = format!(
        "after its process fails, {name} is restarted by Docker within {} s",
        spec.within_s
    );
    let (before, after) = match restarted {
        Restarted::NoContainer => {
            return Verdict::fail(expected, format!("there is no container named {name}"))
        }
        Restarted::KeptRestarting => return Verdict::fail(
            expected,
            format!(
                "{name} was still being restarted after {} s, before anything was triggered: it keeps crashing on its own (`docker logs {name}`)",
                spec.within_s
            ),
        ),
        Restarted::Removed => {
            return Verdict::fail(
                expected,
                format!("{name} was removed while it was being restarted"),
            )
        }
        Restarted::CapUsed(seen) => {
            return Verdict::pass(
                expected,
                format!(
                    "restarted {} times already, all its `{}` policy allows, so it was not \
                     crashed again: after one more failure Docker would leave it down, until \
                     `docker restart {name}` sets the count back to 0",
                    seen.restart_count,
                    seen.policy_flag()
                ),
            )
        }
        Restarted::TriggerFailed(o) => {
            return Verdict::fail(
                expected,
                format!(
                    "{name} kept running: the check's trigger `{}` could not run in it (exit {}: {})",
                    spec.trigger.join(" "),
                    o.code,
                    crate::docker::logs::tail(&format!("{}{}", o.stdout, o.stderr), 2).trim()
                ),
            )
            .advise("The check makes the app fail by running that command inside the container, so the policy was never put to the test. A read-only filesystem (`--read-only`) or a user who may not write there stops it: run the container as the task says, or give that path a writable place (`--tmpfs /tmp`).");
        }
        Restarted::Settled { before, after } => (before, after),
    };
    if !before.running {
        return Verdict::fail(expected, format!("{name} is not running"));
    }
    if let Some(back) = after.iter().find(|s| s.back_since(before)) {
        return Verdict::pass(
            expected,
            format!("restarted (restart count {})", back.restart_count),
        );
    }
    let saw_exit = after.iter().any(|s| !s.running);
    let last = after.last().cloned().unwrap_or_default();
    let actual = if last.running && !saw_exit {
        format!("{name} kept running: the trigger did not make it fail")
    } else {
        let policy = if last.policy.is_empty() {
            "no".to_string()
        } else {
            last.policy_flag()
        };
        let cap = if last.cap_used() {
            format!(
                " (it had been restarted {} times, all that policy allows)",
                last.restart_count
            )
        } else {
            String::new()
        };
        format!(
            "{name} stopped (exit code {}) and stayed down; its restart policy is `{policy}`{cap}",
            last.exit_code
        )
    };
    Verdict::fail(expected, actual)
}
