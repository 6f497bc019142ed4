//! Watching the workspace: a saved file in an exercise folder becomes [`Event::FileSaved`]
//! (debounced, so an editor's burst of writes is one event), a change to the progress file
//! becomes [`Event::ProgressChanged`]. Where the file system sends no events (network shares,
//! some VM mounts), polling or manual mode take over.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify::{PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer_opt, Config, DebounceEventResult};
use tokio::sync::mpsc::UnboundedSender;

use super::action::Event;
use super::app::WatchMode;
use crate::workspace::STATE_DIR;

/// Quiet time after the last write before a save counts.
pub const DEBOUNCE: Duration = Duration::from_millis(50);
const POLL_EVERY: Duration = Duration::from_secs(1);

/// Keeps the watcher alive; dropping it stops watching.
pub struct Watch {
    _guard: Option<Box<dyn Any>>,
}

/// What a changed path means.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Saved { exercise: String, path: String },
    Progress,
}

pub fn start(
    root: &Path,
    ids: Vec<String>,
    mode: WatchMode,
    tx: UnboundedSender<Event>,
) -> Result<Watch, String> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let handler_root = root.clone();
    let mut seen = Fingerprints::scan(&root);
    let handler = move |res: DebounceEventResult| match res {
        Ok(events) => {
            let changed = events
                .into_iter()
                .map(|e| e.path)
                .filter(|p| seen.changed(p));
            for ev in batch(&handler_root, &ids, changed) {
                let _ = tx.send(ev);
            }
        }
        Err(e) => {
            let _ = tx.send(Event::WatchProblem(format!(
                "file watching stopped ({e}); press c to check, or a to switch to polling"
            )));
        }
    };
    let config = Config::default()
        .with_timeout(DEBOUNCE)
        .with_batch_mode(true);
    let guard: Box<dyn Any> = match mode {
        WatchMode::Manual => return Ok(Watch { _guard: None }),
        WatchMode::Auto => {
            let mut d =
                new_debouncer_opt::<_, RecommendedWatcher>(config, handler).map_err(describe)?;
            d.watcher()
                .watch(&root, RecursiveMode::Recursive)
                .map_err(describe)?;
            Box::new(d)
        }
        WatchMode::Poll => {
            let cfg =
                config.with_notify_config(notify::Config::default().with_poll_interval(POLL_EVERY));
            let mut d = new_debouncer_opt::<_, PollWatcher>(cfg, handler).map_err(describe)?;
            d.watcher()
                .watch(&root, RecursiveMode::Recursive)
                .map_err(describe)?;
            Box::new(d)
        }
    };
    Ok(Watch {
        _guard: Some(guard),
    })
}

fn describe(e: notify::Error) -> String {
    let hint = if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
        " (raise fs.inotify.max_user_watches)"
    } else {
        ""
    };
    format!("file watching is unavailable: {e}{hint}; press c to check, or a for polling")
}

/// Size and modification time of every file, to tell a real change from an event that changed
/// nothing: the watcher also reports files being opened (the checker reads the build context),
/// and an editor may rewrite a file unchanged.
struct Fingerprints(HashMap<PathBuf, (Option<SystemTime>, u64)>);

impl Fingerprints {
    /// The files of the workspace now (bounded: a workspace is small; a huge one is cut short).
    fn scan(root: &Path) -> Self {
        let mut map = HashMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let Ok(meta) = e.metadata() else { continue };
                if meta.is_dir() && !meta.file_type().is_symlink() {
                    stack.push(e.path());
                } else if meta.is_file() {
                    map.insert(e.path(), (meta.modified().ok(), meta.len()));
                }
                if map.len() > 50_000 {
                    return Self(map);
                }
            }
        }
        Self(map)
    }

    /// Did `path` change since last seen (created, written, deleted)? Folders never count.
    fn changed(&mut self, path: &Path) -> bool {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => false,
            Ok(m) => {
                let fp = (m.modified().ok(), m.len());
                self.0.insert(path.to_path_buf(), fp) != Some(fp)
            }
            Err(_) => self.0.remove(path).is_some(),
        }
    }
}

/// One event per exercise (and one for progress) out of a batch of changed paths.
fn batch(root: &Path, ids: &[String], paths: impl Iterator<Item = PathBuf>) -> Vec<Event> {
    let mut saved: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut progress = false;
    for p in paths {
        match classify(root, ids, &p) {
            Some(Change::Saved { exercise, path }) => saved.entry(exercise).or_default().push(path),
            Some(Change::Progress) => progress = true,
            None => {}
        }
    }
    let mut out: Vec<Event> = saved
        .into_iter()
        .map(|(exercise, mut paths)| {
            paths.sort();
            let path = match paths.len() {
                1 => paths.remove(0),
                n => format!("{} and {} more", paths[0], n - 1),
            };
            Event::FileSaved { exercise, path }
        })
        .collect();
    if progress {
        out.push(Event::ProgressChanged);
    }
    out
}

/// What a changed path means, if anything: editors' swap and backup files mean nothing.
pub fn classify(root: &Path, ids: &[String], path: &Path) -> Option<Change> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().to_string()),
            _ => None,
        })
        .collect();
    let first = parts.first()?;
    if first == STATE_DIR {
        return (parts.len() == 2 && parts[1] == "progress.json").then_some(Change::Progress);
    }
    if !ids.contains(first) || parts.len() < 2 {
        return None;
    }
    let name = parts.last()?;
    let scratch = name.starts_with(".#")
        || name.starts_with('#')
        || name.ends_with('~')
        || [".swp", ".swx", ".swo", ".tmp", ".part"]
            .iter()
            .any(|s| name.ends_with(s))
        || name == "4913"
        || parts.iter().any(|p| p == ".git");
    if scratch {
        return None;
    }
    Some(Change::Saved {
        exercise: first.clone(),
        path: parts[1..].join("/"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_exercises_and_scratch_files_are_ignored() {
        let root = Path::new("/ws");
        let ids = vec!["03-first-dockerfile".to_string()];
        let c = |p: &str| classify(root, &ids, Path::new(p));
        assert_eq!(
            c("/ws/03-first-dockerfile/Dockerfile"),
            Some(Change::Saved {
                exercise: "03-first-dockerfile".into(),
                path: "Dockerfile".into()
            })
        );
        assert_eq!(c("/ws/.dockdojo/progress.json"), Some(Change::Progress));
        for ignored in [
            "/ws/.dockdojo/backup/x/Dockerfile",
            "/ws/03-first-dockerfile/.Dockerfile.swp",
            "/ws/03-first-dockerfile/Dockerfile~",
            "/ws/03-first-dockerfile/4913",
            "/ws/03-first-dockerfile",
            "/ws/README.md",
            "/ws/99-unknown/Dockerfile",
            "/elsewhere/03-first-dockerfile/Dockerfile",
        ] {
            assert_eq!(c(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn only_real_changes_count() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("Dockerfile");
        std::fs::write(&f, "FROM x").unwrap();
        let mut seen = Fingerprints::scan(t.path());
        // Opened and read (the checker packing the build context): nothing changed.
        let _ = std::fs::read(&f);
        assert!(!seen.changed(&f));
        assert!(!seen.changed(t.path()), "a folder is not a change");
        std::fs::write(&f, "FROM busybox:1.36.1").unwrap();
        assert!(seen.changed(&f));
        assert!(!seen.changed(&f), "reported once");
        let new = t.path().join("app.sh");
        std::fs::write(&new, "echo").unwrap();
        assert!(seen.changed(&new));
        std::fs::remove_file(&new).unwrap();
        assert!(seen.changed(&new));
        assert!(!seen.changed(&new));
    }

    #[test]
    fn a_burst_is_one_event_per_exercise() {
        let root = Path::new("/ws");
        let ids = vec!["a".to_string(), "b".to_string()];
        let evs = batch(
            root,
            &ids,
            [
                "/ws/a/x",
                "/ws/a/y",
                "/ws/b/z",
                "/ws/.dockdojo/progress.json",
            ]
            .iter()
            .map(PathBuf::from),
        );
        let text = format!("{evs:?}");
        assert_eq!(evs.len(), 3, "{text}");
        assert!(text.contains("x and 1 more"), "{text}");
        assert!(text.contains("ProgressChanged"), "{text}");
    }
}
