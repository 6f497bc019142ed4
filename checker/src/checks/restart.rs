//! The `restart` check: make the container's main process fail from inside (a trigger the app
//! honours), then see whether its restart policy brings it back.

use crate::checks::{Kind, Needs};
use std::time::Duration;

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

pub async fn check(ctx: &mut Ctx<'_>, spec: &RestartCheck) -> Result<Verdict, EnvError> {
    let name = &spec.container;
    let expected = format!(
        "after its process fails, {name} is restarted by Docker within {} s",
        spec.within_s
    );
    let target = ctx.container_id(name).unwrap_or_else(|| name.clone());
    let Some(mut before) = ctx.inspect(&target).await? else {
        return Ok(Verdict::fail(
            expected,
            format!("there is no container named {name}"),
        ));
    };
    // Docker reports a container waiting to be restarted as running AND restarting; the trigger
    // cannot run in it, and the restart that follows would be the previous crash's, not the
    // trigger's. Wait until it is up for real.
    let settle = tokio::time::Instant::now() + Duration::from_secs_f64(spec.within_s);
    while before.state.as_ref().and_then(|s| s.restarting) == Some(true) {
        if tokio::time::Instant::now() >= settle {
            return Ok(Verdict::fail(
                expected,
                format!(
                    "{name} was still being restarted after {} s, before anything was triggered: it keeps crashing on its own (`docker logs {name}`)",
                    spec.within_s
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        match ctx.inspect(&target).await? {
            Some(i) => before = i,
            None => {
                return Ok(Verdict::fail(
                    expected,
                    format!("{name} was removed while it was being restarted"),
                ))
            }
        }
    }
    if before.state.as_ref().and_then(|s| s.running) != Some(true) {
        return Ok(Verdict::fail(expected, format!("{name} is not running")));
    }
    let count0 = before.restart_count.unwrap_or(0);
    let started0 = before
        .state
        .as_ref()
        .and_then(|s| s.started_at.clone())
        .unwrap_or_default();
    // The trigger may kill the exec along with the process: its result does not matter.
    let _ = exec_in(ctx.engine, &target, &spec.trigger, Duration::from_secs(10)).await?;
    let until = tokio::time::Instant::now() + Duration::from_secs_f64(spec.within_s);
    let mut saw_exit = false;
    loop {
        let info = ctx.inspect(&target).await?.unwrap_or_default();
        let st = info.state.clone().unwrap_or_default();
        let count = info.restart_count.unwrap_or(0);
        let started = st.started_at.clone().unwrap_or_default();
        if st.running != Some(true) {
            saw_exit = true;
        }
        if st.running == Some(true) && (count > count0 || started != started0) {
            return Ok(Verdict::pass(
                expected,
                format!("restarted (restart count {count})"),
            ));
        }
        if tokio::time::Instant::now() >= until {
            let policy = info
                .host_config
                .and_then(|h| h.restart_policy)
                .and_then(|r| r.name)
                .map(|n| n.to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "no".into());
            let actual = if st.running == Some(true) && !saw_exit {
                format!("{name} kept running: the trigger did not make it fail")
            } else {
                format!(
                    "{name} stopped (exit code {}) and stayed down; its restart policy is `{policy}`",
                    st.exit_code.unwrap_or(0)
                )
            };
            return Ok(Verdict::fail(expected, actual));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
