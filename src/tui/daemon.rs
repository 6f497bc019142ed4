//! Live re-checks from the daemon: a task follows `docker events` and, when a container, volume,
//! network or image that a live exercise names changes (created, started, stopped, died,
//! removed…), sends [`Event::Daemon`] for those exercises. A burst (`docker run` is create,
//! start, die…) is one event. dockdojo's own probe containers are recognised by their labels and
//! never trigger a re-check of their own.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use bollard::models::{EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use checker::docker::Engine;
use checker::spec::Live;

use super::action::Event;

/// Events closer together than this are one change.
pub const BURST: Duration = Duration::from_millis(50);

/// The names each live exercise's task uses.
pub type Watched = Vec<(String, Live)>;

pub fn spawn(watched: Watched, tx: UnboundedSender<Event>) -> JoinHandle<()> {
    tokio::spawn(follow(watched, tx))
}

async fn follow(watched: Watched, tx: UnboundedSender<Event>) {
    let mut backoff = Duration::from_secs(1);
    let mut seen = Seen::default();
    loop {
        let docker = match Engine::reach(checker::docker::deadline::CONNECT).await {
            Ok(e) => e.docker,
            _ => {
                let _ = tx.send(Event::EventsProblem(Some(
                    "Docker events unavailable: cannot reach Docker".into(),
                )));
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        let filters = HashMap::from([
            ("type", vec!["container", "volume", "network", "image"]),
            (
                "event",
                vec![
                    "create",
                    "start",
                    "restart",
                    "die",
                    "stop",
                    "destroy",
                    "rename",
                    "update",
                    "exec_die",
                    "connect",
                    "disconnect",
                    "tag",
                    "untag",
                    "delete",
                    "pause",
                    "unpause",
                ],
            ),
        ]);
        let mut stream = docker.events(Some(EventsOptionsBuilder::new().filters(&filters).build()));
        seen.volumes = existing_volumes(&docker, &watched).await;
        let _ = tx.send(Event::EventsProblem(None));
        backoff = Duration::from_secs(1);
        let mut burst: Option<Burst> = None;
        let mut deadline = tokio::time::Instant::now();
        loop {
            let next = tokio::select! {
                n = stream.next() => n,
                _ = tokio::time::sleep_until(deadline), if burst.is_some() => {
                    if let Some(b) = burst.take() {
                        let _ = tx.send(b.into_event());
                    }
                    continue;
                }
            };
            let msg = match next {
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    let _ = tx.send(Event::EventsProblem(Some(format!(
                        "Docker events stopped: {e}"
                    ))));
                    break;
                }
                None => break,
            };
            let Some(hit) = relevant(&msg, &watched, &mut seen) else {
                continue;
            };
            let b = burst.get_or_insert_with(Burst::default);
            b.add(hit);
            b.last_ns = msg.time_nano.or(b.last_ns);
            deadline = tokio::time::Instant::now() + BURST;
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(backoff).await;
    }
}

/// An event that matters to some live exercise.
#[derive(Debug, PartialEq, Eq)]
pub struct Hit {
    pub exercises: Vec<String>,
    /// "container dojo-notes".
    pub subject: String,
    /// "destroy".
    pub verb: String,
    /// A `docker exec` finished (dockdojo's own probes do that too).
    pub exec: bool,
}

/// Hits close together, summed up: "container dojo-notes: create, start, die".
#[derive(Debug, Default)]
pub struct Burst {
    exercises: BTreeSet<String>,
    subjects: Vec<(String, Vec<String>)>,
    any_but_exec: bool,
    /// The daemon's time of the latest event, Unix nanoseconds.
    pub last_ns: Option<i64>,
}

impl Burst {
    pub fn add(&mut self, hit: Hit) {
        self.exercises.extend(hit.exercises);
        self.any_but_exec |= !hit.exec;
        match self.subjects.iter_mut().find(|(s, _)| *s == hit.subject) {
            Some((_, verbs)) if verbs.contains(&hit.verb) => {}
            Some((_, verbs)) => verbs.push(hit.verb),
            None => self.subjects.push((hit.subject, vec![hit.verb])),
        }
    }

    pub fn into_event(self) -> Event {
        let what = self
            .subjects
            .iter()
            .map(|(s, v)| format!("{s}: {}", v.join(", ")))
            .collect::<Vec<_>>()
            .join("; ");
        Event::Daemon {
            exercises: self.exercises.into_iter().collect(),
            what,
            exec_only: !self.any_but_exec,
            at_ms: self.last_ns.map(|ns| ns / 1_000_000),
        }
    }
}

/// What the stream has learned so far.
#[derive(Debug, Default)]
pub struct Seen {
    /// dockdojo's own containers (labelled at create): their network connects are ignored too.
    pub ours: HashSet<String>,
    /// Watched volumes known to exist. The daemon reports `create` again whenever a container
    /// mounts an existing named volume (dockdojo's own probe that reads it, too): that changes
    /// nothing and must not re-check, or every check would trigger the next.
    pub volumes: HashSet<String>,
}

/// The watched volumes that exist now.
async fn existing_volumes(docker: &bollard::Docker, watched: &Watched) -> HashSet<String> {
    let names: Vec<&str> = watched
        .iter()
        .flat_map(|(_, l)| l.volumes.iter().map(String::as_str))
        .collect();
    if names.is_empty() {
        return HashSet::new();
    }
    let filters = HashMap::from([("name", names)]);
    let opts = bollard::query_parameters::ListVolumesOptionsBuilder::new()
        .filters(&filters)
        .build();
    match tokio::time::timeout(Duration::from_secs(10), docker.list_volumes(Some(opts))).await {
        Ok(Ok(r)) => r
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect(),
        _ => HashSet::new(),
    }
}

/// Which exercises an event concerns, if any.
pub fn relevant(msg: &EventMessage, watched: &Watched, seen: &mut Seen) -> Option<Hit> {
    let action = msg.action.as_deref()?;
    let actor = msg.actor.as_ref()?;
    let attrs = actor.attributes.clone().unwrap_or_default();
    let id = actor.id.clone().unwrap_or_default();
    let (kind, name, matches): (&str, String, fn(&Live, &str) -> bool) = match msg.typ? {
        EventMessageTypeEnum::CONTAINER => {
            if attrs.contains_key(checker::labels::MANAGED) {
                if action == "destroy" {
                    seen.ours.remove(&id);
                } else {
                    seen.ours.insert(id);
                }
                return None;
            }
            ("container", attrs.get("name").cloned()?, |l, n| {
                l.containers.iter().any(|c| c == n)
            })
        }
        EventMessageTypeEnum::VOLUME => {
            let fresh = match action {
                "create" => seen.volumes.insert(id.clone()),
                "destroy" => seen.volumes.remove(&id),
                _ => true,
            };
            if !fresh {
                return None;
            }
            ("volume", id, |l, n| l.volumes.iter().any(|v| v == n))
        }
        EventMessageTypeEnum::NETWORK => {
            if attrs
                .get("container")
                .is_some_and(|c| seen.ours.contains(c))
            {
                return None;
            }
            ("network", attrs.get("name").cloned()?, |l, n| {
                l.networks.iter().any(|v| v == n)
            })
        }
        EventMessageTypeEnum::IMAGE => {
            ("image", attrs.get("name").cloned().unwrap_or(id), |l, n| {
                l.images.iter().any(|i| i == n)
            })
        }
        _ => return None,
    };
    let exercises: Vec<String> = watched
        .iter()
        .filter(|(_, live)| matches(live, &name))
        .map(|(id, _)| id.clone())
        .collect();
    if exercises.is_empty() {
        return None;
    }
    let verb = action.split(':').next().unwrap_or(action);
    Some(Hit {
        exercises,
        subject: format!("{kind} {name}"),
        verb: verb.to_string(),
        exec: verb.starts_with("exec_"),
    })
}

#[cfg(test)]
#[path = "daemon_tests.rs"]
mod tests;
