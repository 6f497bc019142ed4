//! One build's stream, folded: the classic builder's (and Podman's) log text, or BuildKit's
//! status messages, into the log a learner reads, the steps with their cache hits, and the
//! outcome. No I/O: the daemon's messages go in, a [`Built`] comes out, so a stream captured from
//! an engine is folded by the same code without one (`checker/tests/judges/`).

use std::time::Duration;

use bollard::models::BuildInfo;

use super::{buildkit, fresh_layers, parse_steps, Built};
use crate::docker::builder::Builder;

/// What one build stream has told so far.
pub struct Stream {
    builder: Builder,
    /// The classic builder's log text.
    log: String,
    /// BuildKit's status messages.
    progress: buildkit::Progress,
    id: Option<String>,
}

impl Stream {
    /// A stream from `builder`, building `dockerfile` (its stages order BuildKit's steps).
    pub fn new(builder: Builder, dockerfile: &str) -> Self {
        Self {
            builder,
            log: String::new(),
            progress: buildkit::Progress::for_dockerfile(dockerfile),
            id: None,
        }
    }

    /// Fold one message in. A message carrying an error (`errorDetail`) ends the build: the
    /// caller gives its text to [`Stream::failed`].
    pub fn absorb(&mut self, info: BuildInfo) {
        if let Some(s) = info.stream {
            if let Some(rest) = s.trim().strip_prefix("Successfully built ") {
                self.id = Some(rest.trim().to_string());
            }
            self.log.push_str(&s);
        }
        if let Some(id) = info.aux.and_then(|a| self.progress.absorb(a)) {
            self.id = Some(id);
        }
    }

    /// Has the image id arrived (the build is done, though a BuildKit session may go on)?
    pub fn has_image(&self) -> bool {
        self.id.is_some()
    }

    /// The log as a learner reads it.
    pub fn log(&self) -> String {
        match self.builder {
            Builder::Classic => self.log.clone(),
            Builder::BuildKit => self.progress.log(),
        }
    }

    /// The step that was running last.
    pub fn running(&self) -> Option<String> {
        match self.builder {
            Builder::Classic => parse_steps(&self.log).last().map(|s| s.instruction.clone()),
            Builder::BuildKit => self.progress.running_step(),
        }
    }

    /// The error as a learner reads it: with BuildKit, which step failed and why.
    fn error(&self, error: &str) -> String {
        let error = buildkit::strip_ansi(error);
        match (self.builder, self.progress.failed_step()) {
            (Builder::BuildKit, Some((step, _))) => format!("`{step}` failed: {}", error.trim()),
            _ => error,
        }
    }

    /// The build failed with `error` (the stream's error message, or the daemon's refusal).
    pub fn failed(&self, error: &str) -> Built {
        Built::Failed {
            log: self.log(),
            error: self.error(error),
        }
    }

    /// The build was stopped at its deadline `limit`.
    pub fn timed_out(&self, limit: Duration) -> Built {
        Built::TimedOut {
            log: self.log(),
            limit,
            running: self.running(),
        }
    }

    /// The stream ended: the image and its steps, or a build that made none.
    pub fn finish(self) -> Built {
        let log = self.log();
        match self.id {
            Some(id) => {
                let (steps, fresh) = match self.builder {
                    Builder::Classic => (parse_steps(&log), fresh_layers(&log)),
                    Builder::BuildKit => (self.progress.steps(), Vec::new()),
                };
                Built::Ok {
                    id,
                    log,
                    steps,
                    fresh,
                }
            }
            None => Built::Failed {
                error: "the build ended without producing an image".into(),
                log,
            },
        }
    }
}
