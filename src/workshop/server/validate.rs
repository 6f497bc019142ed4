//! What a request may carry: display names, message text, and a report's id, exercise, failed
//! checks, summary, hint count and time spent (only the course's exercises and their own check
//! ids).

use std::collections::HashSet;

use super::http::{short, ApiErr};
use super::{lock, App};
use crate::workshop::names::is_bidi_control;
use crate::workshop::proto::{Report, ReportKind};
use crate::workshop::{names, proto};

/// Entries of a report's `failed` list, and characters of each / of a report id.
const MAX_FAILED: usize = 32;

const MAX_CHECK_NAME_CHARS: usize = 100;

const MAX_REPORT_ID_CHARS: usize = 100;

/// Hints per exercise anyone can plausibly open.
const MAX_HINTS: u32 = 1000;

/// Seconds anyone can plausibly spend on one exercise (30 days; also keeps it an SQLite
/// integer).
const MAX_TIME_SPENT_S: u64 = 30 * 24 * 3600;

/// A display name: normalised ([`names::normalize`]), 1..=MAX_NAME_CHARS characters.
pub(super) fn valid_name(name: &str) -> Result<String, ApiErr> {
    names::normalize(name).map_err(ApiErr::bad)
}

/// Free text (a message): trimmed, 1..=MAX_TEXT_CHARS, no control characters but newlines/tabs.
pub(super) fn valid_text(what: &str, text: &str) -> Result<String, ApiErr> {
    let text = text.trim();
    let n = text.chars().count();
    if n == 0 {
        return Err(ApiErr::bad(format!("the {what} is empty")));
    }
    if n > proto::MAX_TEXT_CHARS {
        return Err(ApiErr::bad(format!(
            "the {what} is {n} characters long; the limit is {}",
            proto::MAX_TEXT_CHARS
        )));
    }
    if text
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c))
    {
        return Err(ApiErr::bad(format!(
            "the {what} contains control characters"
        )));
    }
    Ok(text.to_string())
}

/// A short label (report id, check name): 1..=max characters, no control characters.
fn valid_label(what: &str, s: &str, max: usize) -> Result<(), ApiErr> {
    let n = s.chars().count();
    if n == 0 || n > max || s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(ApiErr::bad(format!(
            "{what} must be 1 to {max} characters without control characters"
        )));
    }
    Ok(())
}

pub(super) fn validate_report(app: &App, r: &mut Report) -> Result<(), ApiErr> {
    valid_label("the report id", &r.id, MAX_REPORT_ID_CHARS)?;
    match (r.kind, &r.exercise) {
        (ReportKind::Check, None) => {
            return Err(ApiErr::bad("a check report names its exercise"));
        }
        (ReportKind::Check, Some(ex)) => {
            if !lock(&app.room).has_exercise(ex) {
                return Err(ApiErr::bad(format!(
                    "unknown exercise `{}`: is this dockdojo the same version as the instructor's?",
                    short(ex, 60)
                )));
            }
        }
        (_, Some(_)) => {
            return Err(ApiErr::bad(
                "only check reports name an exercise (doctor and prepare do not)",
            ));
        }
        (_, None) => {}
    }
    if r.failed.len() > MAX_FAILED {
        return Err(ApiErr::bad(format!(
            "too many failed checks listed ({}; the limit is {MAX_FAILED})",
            r.failed.len()
        )));
    }
    for f in &r.failed {
        valid_label("each failed check", f, MAX_CHECK_NAME_CHARS)?;
    }
    match (r.kind, &r.exercise) {
        // Only the exercise's own check ids: the projector shows these names large.
        (ReportKind::Check, Some(ex)) => {
            let known = app.checks.get(ex);
            if let Some(f) = r
                .failed
                .iter()
                .find(|f| !known.is_some_and(|k| k.contains(f.as_str())))
            {
                return Err(ApiErr::bad(format!(
                    "`{}` is not a check of {ex}: is this dockdojo the same version as the instructor's?",
                    short(f, 60)
                )));
            }
        }
        // Doctor steps this version does not know are kept as "other".
        (ReportKind::Doctor, _) => {
            let mut seen = HashSet::new();
            r.failed = std::mem::take(&mut r.failed)
                .into_iter()
                .map(|f| {
                    if proto::DOCTOR_STEPS.contains(&f.as_str()) {
                        f
                    } else {
                        "other".into()
                    }
                })
                .filter(|f| seen.insert(f.clone()))
                .collect();
        }
        (ReportKind::Prepare, _) if !r.failed.is_empty() => {
            return Err(ApiErr::bad("a prepare report lists no failed checks"));
        }
        _ => {}
    }
    let n = r.summary.chars().count();
    if n > proto::MAX_TEXT_CHARS {
        return Err(ApiErr::bad(format!(
            "the summary is {n} characters long; the limit is {}",
            proto::MAX_TEXT_CHARS
        )));
    }
    // One line for the instructor: control characters become spaces.
    r.summary = r
        .summary
        .chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    if r.hints_used > MAX_HINTS {
        return Err(ApiErr::bad(format!(
            "hints_used {} is not plausible (the limit is {MAX_HINTS})",
            r.hints_used
        )));
    }
    if let Some(t) = r.time_spent_s.filter(|t| *t > MAX_TIME_SPENT_S) {
        return Err(ApiErr::bad(format!(
            "time_spent_s {t} is not plausible (the limit is {MAX_TIME_SPENT_S})"
        )));
    }
    Ok(())
}
