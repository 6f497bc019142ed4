//! The exercise spec: the serde types for `exercise.toml` and `mutants/<name>/expect.toml`.
//! Every field is documented here, the fields every check shares in `checks.rs` and each check
//! kind's own in its file under `checks/` (all re-exported below); together they are the
//! authority on the format (`exercises/README.md` explains it for authors). Unknown keys and bad
//! values are errors naming the file, the key and the line.

use serde::{Deserialize, Serialize};

/// The format version this build understands.
pub const SCHEMA_VERSION: u32 = 1;

/// The last chapter of the book (`book/src/SUMMARY.md`); an exercise's `chapter` is 0 to this.
pub const LAST_CHAPTER: u32 = 14;

/// One exercise, as written in `exercises/<id>/exercise.toml`.
#[derive(Debug, Clone, Serialize)]
pub struct Exercise {
    /// Must equal [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The folder name, e.g. `03-cache-order`: a two-digit order, a dash, a slug.
    pub id: String,
    /// A short title shown in lists.
    pub title: String,
    /// The book chapter number (0 to [`LAST_CHAPTER`], as in `book/src/SUMMARY.md`).
    pub chapter: u32,
    /// Expected minutes for a learner (schedules are summed from it).
    pub minutes: u32,
    /// Position within its chapter (lower first; default 50, then by id).
    pub order: u32,
    pub difficulty: Difficulty,
    pub mode: Mode,
    /// The book page (and anchor) that teaches this exercise, e.g. `ch03-build-cache.md#cache-order`.
    pub book: String,
    /// The hint ladder: shown one at a time by `dockdojo hint`.
    pub hints: Vec<String>,
    /// For live and scenario exercises: the names and host ports the task asks for. Self-test
    /// refuses to run if any of these already exist, and removes exactly these afterwards.
    pub live: Live,
    /// The checks, run in order.
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

/// How the exercise is graded (see docs/DESIGN.md, "The exercise model").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The checker builds the learner's Dockerfile and inspects/runs the result.
    Build,
    /// The learner runs docker commands; the checker inspects live state by name.
    Live,
    /// The checker arranges a situation first (`setup.sh`), the learner fixes it.
    Scenario,
}

/// Resources a live exercise's task names.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Live {
    #[serde(default)]
    pub containers: Vec<String>,
    #[serde(default)]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub networks: Vec<String>,
    #[serde(default)]
    pub images: Vec<String>,
    /// Compose project names the task uses (everything labelled with one of them is the task's).
    #[serde(default)]
    pub projects: Vec<String>,
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Containers the task suggests for trying things by hand (`docker run --name dojo-stop-try
    /// …`): not graded, not reserved by self-test; `dockdojo clean ID` removes them too.
    #[serde(default)]
    pub try_containers: Vec<String>,
    /// Images the task suggests building by hand (`docker build -t cache-order .`), the same way.
    #[serde(default)]
    pub try_images: Vec<String>,
}

/// `mutants/<name>/expect.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MutantExpect {
    /// What is wrong with this attempt, in a sentence.
    pub description: String,
    /// The check that must be the first to fail.
    pub check: String,
    /// Text the failing check's message (expected/actual/hint) must contain.
    pub message_contains: Option<String>,
    /// On Podman, this text instead of `message_contains`: for messages that quote what the
    /// runtime measures or records differently (an image's size, the exit code of a failed start).
    pub message_contains_podman: Option<String>,
    /// On Docker with the containerd image store, this text instead of `message_contains`: for
    /// the same kind of message (an image's size is its unpacked snapshots' disk usage there).
    pub message_contains_containerd: Option<String>,
}

// `Check` and each kind's spec live under `checks/`, with the registry of kinds: the exercise
// model is built on them, and the checks never read this module. The format is read from here.
pub use crate::checks::answer::AnswerCheck;
pub use crate::checks::build::BuildCheck;
pub use crate::checks::compose::ComposeCheck;
pub use crate::checks::container::ContainerCheck;
pub use crate::checks::context::ContextCheck;
pub use crate::checks::diff::DiffCheck;
pub use crate::checks::dockerfile::DockerfileCheck;
pub use crate::checks::dockerfile::DockerfileRule;
pub use crate::checks::exec::ExecCheck;
pub use crate::checks::file::FileCheck;
pub use crate::checks::http::HttpCheck;
pub use crate::checks::image::CommandForm;
pub use crate::checks::image::ImageCheck;
pub use crate::checks::layers::LayersCheck;
pub use crate::checks::network::NetworkCheck;
pub use crate::checks::rebuild::RebuildCheck;
pub use crate::checks::reload::ReloadCheck;
pub use crate::checks::restart::RestartCheck;
pub use crate::checks::run::RunCheck;
pub use crate::checks::run::RunExpect;
pub use crate::checks::stop::StopCheck;
pub use crate::checks::volume::VolumeCheck;
pub use crate::checks::Check;
pub use crate::checks::CheckKind;

mod parse;
pub use parse::{parse_exercise, parse_mutant_expect, SpecError};
