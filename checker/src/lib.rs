//! dockdojo's checker: the exercise spec, the check engine, Docker access (bollard), ownership
//! labels and cleanup, and reports. No terminal code lives here.

pub mod checks;
pub mod docker;
pub mod dockerfile;
pub mod endpoint;
pub mod engine;
pub mod error;
pub mod fault;
pub mod labels;
pub mod notice;
pub mod report;
pub mod spec;

pub use engine::{run_exercise, run_exercise_then, run_exercise_watched, RunOptions};
pub use error::EnvError;
pub use report::{CheckResult, Report};
pub use spec::Exercise;
