//! What a check run produces: one [`Report`] per exercise, one [`CheckResult`] per check. The JSON
//! shape is the contract in docs/DESIGN.md (`check --json`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub exercise: String,
    pub passed: bool,
    pub duration_ms: u64,
    pub checks: Vec<CheckResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(into = "Wire")]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    pub passed: bool,
    pub expected: String,
    pub actual: String,
    pub hint: String,
    pub book: String,
    pub duration_ms: u64,
    /// Not run because an earlier check it depends on failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// The runtime cannot do this check (e.g. healthchecks on some Podman setups): neither a
    /// pass nor a learner's failure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsupported: bool,
    /// The check could not look at what it inspects (an archive it could not read, an answer
    /// Docker refused): no verdict either way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub error: bool,
}

/// A check's outcome, as every reader shows it (CLI, app, JSON, self-test, the room).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    /// Not run: an earlier check it needs did not produce what it needs.
    Skipped,
    /// The runtime cannot do this check.
    Unsupported,
    /// The check could not look: neither a pass nor the learner's failure.
    Error,
}

impl CheckResult {
    pub fn status(&self) -> Status {
        if self.passed {
            Status::Passed
        } else if self.error {
            Status::Error
        } else if self.unsupported {
            Status::Unsupported
        } else if self.skipped {
            Status::Skipped
        } else {
            Status::Failed
        }
    }
}

/// The JSON form: every field, plus `status`.
#[derive(Serialize)]
struct Wire {
    id: String,
    title: String,
    status: Status,
    passed: bool,
    expected: String,
    actual: String,
    hint: String,
    book: String,
    duration_ms: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    skipped: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    unsupported: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    error: bool,
}

impl From<CheckResult> for Wire {
    fn from(c: CheckResult) -> Self {
        Self {
            status: c.status(),
            id: c.id,
            title: c.title,
            passed: c.passed,
            expected: c.expected,
            actual: c.actual,
            hint: c.hint,
            book: c.book,
            duration_ms: c.duration_ms,
            skipped: c.skipped,
            unsupported: c.unsupported,
            error: c.error,
        }
    }
}

impl Report {
    /// The first check that failed for a reason of its own (not skipped, not unsupported).
    pub fn first_failure(&self) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.status() == Status::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(passed: bool, skipped: bool, unsupported: bool, error: bool) -> CheckResult {
        CheckResult {
            id: "c".into(),
            title: "t".into(),
            passed,
            expected: "e".into(),
            actual: "a".into(),
            hint: "h".into(),
            book: "b.md".into(),
            duration_ms: 1,
            skipped,
            unsupported,
            error,
        }
    }

    /// Every state has its own word in the JSON, `passed` stays for older readers, and a
    /// failure is only a check that looked and found the work wrong.
    #[test]
    fn each_check_says_its_status() {
        for (r, want) in [
            (result(true, false, false, false), "passed"),
            (result(false, false, false, false), "failed"),
            (result(false, true, false, false), "skipped"),
            (result(false, false, true, false), "unsupported"),
            (result(false, false, false, true), "error"),
        ] {
            let v = serde_json::to_value(&r).unwrap();
            assert_eq!(v["status"], want, "{v}");
            assert_eq!(v["passed"], r.passed);
            let back: CheckResult = serde_json::from_value(v).unwrap();
            assert_eq!(back, r);
        }
        let report = Report {
            exercise: "x".into(),
            passed: false,
            duration_ms: 1,
            checks: vec![
                result(false, false, false, true),
                result(false, false, true, false),
                result(false, true, false, false),
            ],
        };
        assert!(report.first_failure().is_none());
    }
}
