//! After a check, the same steps for `dockdojo check` and the course app: record the report in
//! the progress file, count the hints used on that exercise so far, and make the report for the
//! workshop room, with the time the course app measured on the exercise (the CLI sends it at
//! once with a short deadline, the app in the background).

use checker::Report;

use crate::progress::{now, Progress, Store};
use crate::workshop::{client, proto};

/// What recording a report left.
pub struct Recorded {
    /// Hints used on the report's exercise so far (the nudge under a failure, the room's count).
    pub hints_used: u32,
    /// The progress as saved.
    pub progress: Progress,
    /// What loading the progress file had to say (a damaged file set aside…).
    pub warning: Option<String>,
    /// The report for the workshop, if the workspace joined one.
    pub room: proto::Report,
}

/// Record `r` in the progress file (under its lock) and make the room's report from it.
/// `started_by`: whether the learner asked for this check (an attempt for the room) or dockdojo
/// ran it on its own.
pub fn record(store: &Store, r: &Report, started_by: proto::StartedBy) -> anyhow::Result<Recorded> {
    let t = now();
    let mut saved = None;
    let warning = store.update(|p| {
        p.record_report(r, t, started_by == proto::StartedBy::Learner);
        saved = Some(p.clone());
    })?;
    let Some(progress) = saved else {
        anyhow::bail!("the progress file was not updated");
    };
    let (hints_used, time_spent_s) = progress
        .exercises
        .get(&r.exercise)
        .map_or((0, 0), |e| (e.hints_used, e.time_spent_s));
    Ok(Recorded {
        hints_used,
        room: client::check_report(r, hints_used, time_spent_s, started_by),
        progress,
        warning,
    })
}
