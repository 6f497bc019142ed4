//! Watching the workspace: a saved file in an exercise folder becomes [`Event::FileSaved`]
//! (debounced, so an editor's burst of writes is one event), a change to the progress file
//! becomes [`Event::ProgressChanged`]. Where the file system sends no events (network shares,
//! some VM mounts), polling or manual mode take over.

use std::any::Any;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use notify::{PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer_opt, Config, DebounceEventResult};
use tokio::sync::mpsc::UnboundedSender;

use super::action::Event;
use super::app::WatchMode;
use crate::workspace::STATE_DIR;

/// Quiet time after the last write before a save counts.
pub const DEBOUNCE: Duration = Duration::from_millis(200);
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
    let handler = move |res: DebounceEventResult| match res {
        Ok(events) => {
            for ev in batch(&handler_root, &ids, events.into_iter().map(|e| e.path)) {
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

/// One event per exercise (and one for progress) out of a batch of changed paths.
fn batch(root: &Path, ids: &[String], paths: impl Iterator<Item = PathBuf>) -> Vec<Event> {
    let mut saved: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut progress = false;
    for p in paths {
        // A folder's own events (its listing changed) say nothing a file's event does not.
        if p.is_dir() {
            continue;
        }
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
