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
}

impl Report {
    /// The first check that failed for a reason of its own (not skipped, not unsupported).
    pub fn first_failure(&self) -> Option<&CheckResult> {
        self.checks
            .iter()
            .find(|c| !c.passed && !c.skipped && !c.unsupported)
    }
}
