//! A learner's workspace: a folder with one sub-folder per exercise (starter files and the task)
//! and `.dockdojo/` for state. Found by walking up from the current directory.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::catalog::{self, Entry};

pub const STATE_DIR: &str = ".dockdojo";
const MARKER: &str = "workspace.toml";

pub struct Workspace {
    pub root: PathBuf,
}

impl Workspace {
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }
    pub fn exercise_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// Has `dockdojo setup` arranged this scenario's situation? (The marker is written when the
    /// setup script succeeds; workspaces from before it have the script copy it ran.)
    pub fn setup_done(&self, e: &Entry) -> bool {
        e.spec.mode != checker::spec::Mode::Scenario
            || self
                .state_dir()
                .join(format!("setup-{}.done", e.id()))
                .is_file()
            || self
                .state_dir()
                .join(format!("setup-{}.sh", e.id()))
                .is_file()
    }

    pub fn mark_setup_done(&self, id: &str) -> Result<()> {
        std::fs::write(self.state_dir().join(format!("setup-{id}.done")), "")
            .context("recording that the setup ran")
    }

    /// The workspace containing `start`, if any.
    pub fn find_from(start: &Path) -> Option<Self> {
        let mut cur = Some(start);
        while let Some(d) = cur {
            if d.join(STATE_DIR).join(MARKER).is_file() {
                return Some(Self {
                    root: d.to_path_buf(),
                });
            }
            cur = d.parent();
        }
        None
    }

    pub fn find() -> Result<Self> {
        let cwd = std::env::current_dir()?;
        Self::find_from(&cwd).with_context(|| {
            format!(
                "{} is not inside a dockdojo workspace.\nCreate one with `dockdojo init` (it makes ./dojo), then `cd dojo`.",
                cwd.display()
            )
        })
    }

    /// The exercise whose folder contains the current directory.
    pub fn current_exercise(&self) -> Option<String> {
        let cwd = std::env::current_dir().ok()?;
        let rel = cwd.strip_prefix(&self.root).ok()?;
        let first = rel.components().next()?;
        Some(first.as_os_str().to_string_lossy().to_string())
    }

    /// Create a workspace at `root` from the catalog. Refuses a non-empty folder that is not
    /// already a workspace; in an existing workspace, adds missing exercises and keeps the rest.
    pub fn init(root: &Path, all: &[Entry]) -> Result<(Self, Vec<String>)> {
        let exists = root.join(STATE_DIR).join(MARKER).is_file();
        if !exists && root.is_dir() && std::fs::read_dir(root)?.next().is_some() {
            bail!(
                "{} exists and is not empty; choose another folder: `dockdojo init <DIR>`",
                root.display()
            );
        }
        std::fs::create_dir_all(root.join(STATE_DIR))?;
        std::fs::write(
            root.join(STATE_DIR).join(MARKER),
            format!(
                "# dockdojo workspace\nversion = \"{}\"\n",
                env!("CARGO_PKG_VERSION")
            ),
        )?;
        let ws = Self {
            root: root.to_path_buf(),
        };
        let mut added = Vec::new();
        for e in all {
            let dir = ws.exercise_dir(e.id());
            if dir.exists() {
                continue;
            }
            ws.write_starter(e)?;
            added.push(e.id().to_string());
        }
        std::fs::write(root.join("README.md"), WORKSPACE_README)?;
        Ok((ws, added))
    }

    /// Write an exercise's starter files and task into its folder.
    pub fn write_starter(&self, e: &Entry) -> Result<()> {
        let dir = self.exercise_dir(e.id());
        std::fs::create_dir_all(&dir)?;
        if let Some(starter) = e.sub("starter") {
            catalog::extract(starter, starter.path(), &dir)?;
        }
        std::fs::write(dir.join("README.md"), e.task())?;
        Ok(())
    }

    /// Put an exercise folder back to its starter, keeping the learner's version in
    /// `.dockdojo/backup/<id>-<time>/`. Returns the backup path.
    pub fn reset(&self, e: &Entry) -> Result<Option<PathBuf>> {
        let dir = self.exercise_dir(e.id());
        let mut backup = None;
        if dir.exists() {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let b = self
                .state_dir()
                .join("backup")
                .join(format!("{}-{stamp}", e.id()));
            std::fs::create_dir_all(b.parent().unwrap())?;
            std::fs::rename(&dir, &b).with_context(|| format!("moving {} aside", dir.display()))?;
            backup = Some(b);
        }
        self.write_starter(e)?;
        Ok(backup)
    }
}

const WORKSPACE_README: &str = "# Your dockdojo workspace

Each folder is one exercise: its README.md is the task, the other files are where you start.

    dockdojo            the course app (progress, checks, hints)
    dockdojo list       exercises and your progress
    dockdojo check ID   grade an exercise against your Docker daemon
    dockdojo hint ID    the next hint
    dockdojo book       the book, in your browser

`dockdojo reset ID` puts a folder back to its start (your version is kept in .dockdojo/backup/).
";
