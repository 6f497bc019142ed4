//! The `volume` check: the data is in the named volume itself. A fresh probe container, created and
//! never started, mounts the volume read-only and the file is copied out of it, so data left in
//! some container's writable layer (or an anonymous volume) does not count.

use crate::checks::Kind;

use crate::checks::{Ctx, Verdict};
use crate::docker::files::{mount_unstarted, read_file};
use crate::docker::probe::PROBE_IMAGE;
use crate::docker::{deadline, is_not_found};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeCheck {
    /// The named volume.
    pub volume: String,
    /// A file path inside the volume (relative to its root).
    pub file: String,
    pub contains: Option<String>,
    /// Text the file must not contain (e.g. stale data from an earlier run).
    pub excludes: Option<String>,
    /// Text every line of the file must contain (blank lines aside): the file holds only what
    /// one writer wrote (`"written by run-test.sh"`), not data left or edited by hand.
    pub every_line_contains: Option<String>,
    /// `false`: the volume must not exist at all.
    pub exists: Option<bool>,
    /// Every container that mounted the volume writable and was already there when `file` was
    /// last written is removed: the data outlives its writer. A container created afterwards (a
    /// reader started to look) may remain; a writer renamed, or never named, may not.
    #[serde(default)]
    pub writers_removed: bool,
}

impl Kind for VolumeCheck {
    fn reads_only(&self) -> bool {
        true
    }
}

/// What the check found: no volume, or the volume and the file's content (`None`: no such file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeSeen {
    Missing,
    Present { file: Option<String> },
}

/// A container that still mounts the volume, as the `writers_removed` judge needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Its name, without the leading `/`.
    pub name: String,
    /// When it was created, in nanoseconds since the epoch (the daemon's clock).
    pub created_ns: i128,
    /// It mounts the volume writable.
    pub writable: bool,
}

/// Where the probe container mounts the volume.
const AT: &str = "/dockdojo-volume";

/// The `volume` check: look for the volume, copy the file out of a probe container mounting it
/// read-only, then [`judge`] what was found.
pub async fn check(ctx: &mut Ctx<'_>, spec: &VolumeCheck) -> Result<Verdict, EnvError> {
    let v = &spec.volume;
    let exists =
        match tokio::time::timeout(deadline::QUICK, ctx.engine.docker.inspect_volume(v)).await {
            Err(_) => {
                return Err(EnvError::Deadline {
                    what: "inspect volume".into(),
                    deadline: deadline::QUICK,
                })
            }
            Ok(Err(e)) if is_not_found(&e) => false,
            Ok(r) => {
                r.map_err(|e| crate::docker::classify("inspect volume", &e))?;
                true
            }
        };
    if !exists || spec.exists == Some(false) {
        let seen = if exists {
            VolumeSeen::Present { file: None }
        } else {
            VolumeSeen::Missing
        };
        return Ok(judge(&seen, spec));
    }
    let file = spec.file.trim_start_matches('/');
    let created = match mount_unstarted(ctx.engine, ctx.exercise, PROBE_IMAGE, v, AT).await {
        Ok(c) => c,
        // The daemon refused the probe (its image is missing): say what to do. Other trouble
        // (unreachable, a deadline) keeps its own message.
        Err(EnvError::Daemon { detail, .. }) => {
            return Err(EnvError::Other(format!(
                "could not create the probe container ({PROBE_IMAGE}) that reads {v}: \
                 {detail}\nRun `dockdojo prepare`."
            )))
        }
        Err(e) => return Err(e),
    };
    let path = format!("{AT}/{file}");
    let read = read_file(ctx.engine, &created.id, &path).await;
    let written = if spec.writers_removed && matches!(read, Ok(Some(_))) {
        Some(written_at(ctx, &created.id, &path).await)
    } else {
        None
    };
    let _ = ctx.engine.remove_container(&created.id).await;
    let content = read?;
    let verdict = judge(
        &VolumeSeen::Present {
            file: content.clone(),
        },
        spec,
    );
    match written {
        Some(at) if verdict.passed => {
            let holders = holders(ctx, v, &created.id).await?;
            Ok(judge_writers(spec, at?, &holders).unwrap_or(verdict))
        }
        _ => Ok(verdict),
    }
}

/// When the file was last written, in nanoseconds since the epoch (the daemon's clock, as the
/// archive's path stat gives it).
async fn written_at(ctx: &Ctx<'_>, id: &str, path: &str) -> Result<i128, EnvError> {
    let opts = bollard::query_parameters::ContainerArchiveInfoOptionsBuilder::default()
        .path(path)
        .build();
    let stat = crate::docker::call(
        "stat a file in a volume",
        deadline::QUICK,
        ctx.engine.docker.get_container_archive_info(id, Some(opts)),
    )
    .await?;
    let mtime = stat.modification_time.unwrap_or_default();
    nanos(&mtime).ok_or_else(|| {
        EnvError::Other(format!(
            "the daemon gave {path} a modification time that cannot be read: {mtime:?}"
        ))
    })
}

/// An RFC 3339 time as nanoseconds since the epoch.
fn nanos(t: &str) -> Option<i128> {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|d| d.unix_timestamp_nanos())
}

/// The containers (running or not, dockdojo's own aside) that mount volume `v`.
async fn holders(ctx: &Ctx<'_>, v: &str, probe: &str) -> Result<Vec<Holder>, EnvError> {
    let all = crate::docker::inspect::containers(ctx.engine, true, &[]).await?;
    let mut found = Vec::new();
    for c in all {
        let mounts_it = c
            .mounts
            .as_ref()
            .is_some_and(|ms| ms.iter().any(|m| m.name.as_deref() == Some(v)));
        let id = c.id.clone().unwrap_or_default();
        if !mounts_it || id == probe || crate::labels::is_managed(c.labels.as_ref()) {
            continue;
        }
        let Some(info) = ctx.inspect(&id).await? else {
            continue;
        };
        let writable = info.mounts.as_ref().is_some_and(|ms| {
            ms.iter()
                .any(|m| m.name.as_deref() == Some(v) && m.rw != Some(false))
        });
        let Some(created_ns) = info.created.map(|t| t.unix_timestamp_nanos()) else {
            continue;
        };
        found.push(Holder {
            name: info
                .name
                .clone()
                .unwrap_or(id)
                .trim_start_matches('/')
                .to_string(),
            created_ns,
            writable,
        });
    }
    Ok(found)
}

/// With `writers_removed`: a container that mounts the volume writable and was there when the
/// file was last written (`written_ns`) still exists. `None`: none does.
pub fn judge_writers(spec: &VolumeCheck, written_ns: i128, holders: &[Holder]) -> Option<Verdict> {
    let v = &spec.volume;
    let file = spec.file.trim_start_matches('/');
    let writer = holders
        .iter()
        .find(|h| h.writable && h.created_ns <= written_ns)?;
    let name = &writer.name;
    Some(
        Verdict::fail(
            format!("every container that was there when {file} was written into {v} is removed"),
            format!(
                "{name} still exists and mounts {v}: it was created before {file} was last written"
            ),
        )
        .advise(format!(
            "The task ends with the container that wrote the data removed: the point is that the data outlives it. A renamed or unnamed container is still that container: `docker rm {name}` removes it (`docker ps -a` lists them all)."
        )),
    )
}

/// Whether the volume exists as the task asks, holds the file, and what the file contains.
pub fn judge(seen: &VolumeSeen, spec: &VolumeCheck) -> Verdict {
    let v = &spec.volume;
    let expected = match &spec.contains {
        Some(c) => format!("named volume {v} holds {} containing \"{c}\"", spec.file),
        None => format!("named volume {v} holds {}", spec.file),
    };
    let content = match (seen, spec.exists) {
        (VolumeSeen::Missing, Some(false)) => {
            return Verdict::pass(format!("no volume named {v}"), "it is gone");
        }
        (VolumeSeen::Present { .. }, Some(false)) => {
            return Verdict::fail(format!("no volume named {v}"), format!("{v} still exists"))
                .advise(format!("A named volume stays until it is removed itself, whatever happens to its containers (`docker volume ls` lists {v})."));
        }
        (VolumeSeen::Missing, _) => {
            return Verdict::fail(expected, format!("there is no volume named {v}"))
                .advise("`docker volume ls` lists volumes. A named volume comes into being when a container mounts it by name (or with `docker volume create`).");
        }
        (VolumeSeen::Present { file }, _) => file,
    };
    let file = spec.file.trim_start_matches('/');
    let Some(content) = content else {
        return Verdict::fail(expected, format!("{v} exists but has no {file}"))
            .advise("The file was written somewhere else: into the container's own writable layer (gone with `docker rm`) or another volume. Mount the named volume at the folder the app writes to.");
    };
    if let Some(c) = &spec.contains {
        if !content.contains(c.as_str()) {
            return Verdict::fail(
                expected,
                format!(
                    "{file} in {v} contains: {}",
                    crate::docker::logs::tail(content, 3)
                ),
            );
        }
    }
    if let Some(x) = &spec.excludes {
        if content.contains(x.as_str()) {
            return Verdict::fail(
                format!("{expected}, without \"{x}\""),
                format!("{file} in {v} still holds \"{x}\" from an earlier run"),
            )
            .advise("Named volumes outlive containers: stale data stays until the volume is removed (`docker compose down -v`, `docker volume rm`).");
        }
    }
    if let Some(w) = &spec.every_line_contains {
        if let Some(line) = content
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.contains(w.as_str()))
        {
            return Verdict::fail(
                format!("{expected}, every line of it \"{w}\""),
                format!("{file} in {v} also holds a line that was not {w}: `{line}`"),
            )
            .advise("Named volumes outlive containers, and so does anything left or edited in them: start from an empty volume (`docker volume rm`, then run again) rather than changing old data by hand.");
        }
    }
    Verdict::pass(expected, format!("{file} found in volume {v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> VolumeCheck {
        VolumeCheck {
            volume: "dojo-data".into(),
            file: "/notes.txt".into(),
            contains: Some("hello".into()),
            excludes: Some("stale".into()),
            exists: None,
            every_line_contains: None,
            writers_removed: false,
        }
    }

    fn holder(name: &str, created_ns: i128, writable: bool) -> Holder {
        Holder {
            name: name.into(),
            created_ns,
            writable,
        }
    }

    #[test]
    fn a_writer_still_there_fails_and_a_later_reader_does_not() {
        let spec = VolumeCheck {
            writers_removed: true,
            ..spec()
        };
        let written = nanos("2026-12-07T14:00:00.500000000Z").unwrap();
        let before = nanos("2026-12-07T14:00:00.200000000Z").unwrap();
        let after = nanos("2026-12-07T14:00:00.900000000Z").unwrap();
        assert!(judge_writers(&spec, written, &[]).is_none());
        // A reader started after the write, left behind: the data outlived its writer.
        assert!(judge_writers(&spec, written, &[holder("reader", after, true)]).is_none());
        // A read-only mount cannot have written it.
        assert!(judge_writers(&spec, written, &[holder("peek", before, false)]).is_none());
        // The writer, renamed or never named, is still there.
        let v = judge_writers(
            &spec,
            written,
            &[
                holder("reader", after, true),
                holder("old-notes", before, true),
            ],
        )
        .expect("a writer still there fails");
        assert!(!v.passed);
        assert_eq!(
            v.actual,
            "old-notes still exists and mounts dojo-data: it was created before notes.txt was last written"
        );
        assert!(v.advice.unwrap().contains("`docker rm old-notes`"));
    }

    #[test]
    fn daemon_times_read_to_the_nanosecond() {
        assert_eq!(nanos("1970-01-01T00:00:01.000000002Z"), Some(1_000_000_002));
        assert_eq!(nanos("yesterday"), None);
    }

    #[test]
    fn only_lines_one_writer_wrote() {
        let spec = VolumeCheck {
            every_line_contains: Some("written by run-test.sh".into()),
            contains: Some("counter=1 written by run-test.sh".into()),
            ..spec()
        };
        let present = |f: &str| VolumeSeen::Present {
            file: Some(f.to_string()),
        };
        assert!(judge(&present("counter=1 written by run-test.sh\n\n"), &spec).passed);
        // Yesterday's line edited by hand rather than the volume emptied.
        let v = judge(
            &present("counter=0\ncounter=1 written by run-test.sh\n"),
            &spec,
        );
        assert!(!v.passed);
        assert_eq!(
            v.actual,
            "notes.txt in dojo-data also holds a line that was not written by run-test.sh: \
             `counter=0`"
        );
    }

    #[test]
    fn a_volume_its_file_and_its_content() {
        let present = |f: Option<&str>| VolumeSeen::Present {
            file: f.map(str::to_string),
        };
        assert!(judge(&present(Some("hello\n")), &spec()).passed);
        let v = judge(&VolumeSeen::Missing, &spec());
        assert_eq!(v.actual, "there is no volume named dojo-data");
        let v = judge(&present(None), &spec());
        assert_eq!(v.actual, "dojo-data exists but has no notes.txt");
        let v = judge(&present(Some("bye\n")), &spec());
        assert!(
            !v.passed && v.actual.contains("contains: bye"),
            "{}",
            v.actual
        );
        let v = judge(&present(Some("hello stale\n")), &spec());
        assert!(
            !v.passed && v.actual.contains("still holds \"stale\""),
            "{}",
            v.actual
        );
    }

    #[test]
    fn a_volume_that_must_be_gone() {
        let gone = VolumeCheck {
            exists: Some(false),
            ..spec()
        };
        assert!(judge(&VolumeSeen::Missing, &gone).passed);
        let v = judge(&VolumeSeen::Present { file: None }, &gone);
        assert_eq!(v.actual, "dojo-data still exists");
    }
}
