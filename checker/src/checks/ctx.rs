//! What the checks of one run share ([`Ctx`]: the daemon, the exercise's id and checks, the
//! handles of built images and started containers) and what each returns ([`Verdict`]). The
//! engine makes one `Ctx` per run and hands it to every kind; kinds never see the exercise-level
//! model ([`crate::spec`]), which is built on them.

use std::collections::HashMap;
use std::path::PathBuf;

use bollard::models::ContainerInspectResponse;

use super::{build::BuildCheck, Check, CheckKind};
use crate::docker::build::Step;
use crate::docker::Engine;
use crate::error::EnvError;

/// An image the checker built in this run.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    pub id: String,
    pub tag: String,
    /// The build's steps in order, with whether each came from the cache.
    pub steps: Vec<Step>,
    /// Where and how it was built, so `rebuild` can repeat it.
    pub spec: BuildCheck,
}

/// What the checks of one run share.
pub struct Ctx<'a> {
    pub engine: &'a Engine,
    /// The exercise's id: what the checker's own containers and images are labelled and named
    /// with.
    pub exercise: &'a str,
    /// The exercise's checks, in order (a kind reads an earlier `build` check's settings).
    pub checks: &'a [Check],
    pub dir: PathBuf,
    pub images: HashMap<String, BuiltImage>,
    /// Run handles → container ids.
    pub containers: HashMap<String, String>,
    /// Image ids this run's builds made themselves (intermediate and build-stage layers). They
    /// carry no labels, so they are removed by id when the run ends, if still untagged.
    pub fresh_layers: Vec<String>,
    /// Live container names (and `network NAME`s) an earlier check of this run found missing:
    /// later checks on them are not run (one "there is no container" is enough to read).
    pub absent: std::collections::HashSet<String>,
    /// Container inspections made by checks that only read, shared with the next checks until
    /// the engine ends the sharing ([`Ctx::forget_inspections`]). Keyed by the target (an id or
    /// a live name); `None` is "no such container".
    pub shared: std::sync::Mutex<HashMap<String, Option<ContainerInspectResponse>>>,
}

/// One check's verdict before timing and book links are added.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub passed: bool,
    pub expected: String,
    pub actual: String,
    /// Extra, situation-specific advice, shown before the check's own hint.
    pub advice: Option<String>,
    pub unsupported: bool,
}

impl Verdict {
    pub fn pass(expected: impl Into<String>, actual: impl Into<String>) -> Self {
        Self {
            passed: true,
            expected: expected.into(),
            actual: actual.into(),
            advice: None,
            unsupported: false,
        }
    }
    pub fn fail(expected: impl Into<String>, actual: impl Into<String>) -> Self {
        Self {
            passed: false,
            ..Self::pass(expected, actual)
        }
    }
    pub fn advise(mut self, advice: impl Into<String>) -> Self {
        self.advice = Some(advice.into());
        self
    }
    /// The named container does not exist (the engine skips later checks on that name).
    pub fn no_container(name: &str) -> Self {
        Self::fail(format!("a container named {name}"), format!("there is no container named {name}"))
            .advise("`docker ps -a` lists every container, running or not: the task says how to create this one, and `--name` on `docker run` names it.")
    }
    pub fn unsupported(expected: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            passed: false,
            unsupported: true,
            ..Self::pass(
                expected,
                format!("unsupported on this runtime: {}", why.into()),
            )
        }
    }
}

impl Ctx<'_> {
    /// A container for a check: a run handle of this run, else a live container by name.
    pub fn container_id(&self, name: &str) -> Option<String> {
        self.containers.get(name).cloned()
    }

    /// Is `name` an image handle declared by a build check?
    pub fn is_handle(&self, name: &str) -> bool {
        self.checks
            .iter()
            .any(|c| matches!(&c.kind, CheckKind::Build(b) if b.image == name))
    }

    /// An image handle's tag, or the name itself when it is a plain reference.
    pub fn image_ref(&self, name: &str) -> String {
        self.images
            .get(name)
            .map(|i| i.id.clone())
            .unwrap_or_else(|| name.to_string())
    }

    /// Inspect a container by run handle or live name; `None` when there is none.
    pub async fn inspect(&self, name: &str) -> Result<Option<ContainerInspectResponse>, EnvError> {
        let target = self.container_id(name).unwrap_or_else(|| name.to_string());
        let found = crate::docker::inspect::container(self.engine, &target).await?;
        self.lock_shared().insert(target, found.clone());
        Ok(found)
    }

    /// As [`Ctx::inspect`], but the container as an earlier check of this run saw it, when only
    /// checks that read ran since (one inspection for several checks of one container). For a
    /// check's first look; a check that waits for a change inspects again with
    /// [`Ctx::inspect`].
    pub async fn inspect_shared(
        &self,
        name: &str,
    ) -> Result<Option<ContainerInspectResponse>, EnvError> {
        let target = self.container_id(name).unwrap_or_else(|| name.to_string());
        if let Some(seen) = self.lock_shared().get(&target) {
            return Ok(seen.clone());
        }
        self.inspect(name).await
    }

    /// No inspection made so far is shared with later checks (the engine calls this after a
    /// check that changed something, or waited).
    pub fn forget_inspections(&self) {
        self.lock_shared().clear();
    }

    fn lock_shared(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, Option<ContainerInspectResponse>>> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}
