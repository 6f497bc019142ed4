//! A live exercise's case: its scripts run in a process group of their own (a Ctrl-C kills
//! them and whatever docker commands they started), and the names its task gives checked absent
//! before the case and removed after it.

use std::path::Path;
use std::time::Duration;

use bollard::query_parameters::{RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder};
use checker::docker::Engine;
use checker::spec::Live;

use super::CaseError;
use crate::exit::Exit;

/// The exit code with which a case's script says this engine cannot do what the case needs
/// (a BuildKit secret from a CLI without BuildKit): the case is unsupported here, not failed.
/// (77 is the "skipped" code of automake's test harness.)
pub(super) const CANNOT_HERE: i32 = 77;

/// How a case's script ended.
pub(super) enum Ran {
    Ok,
    Failed(String),
    /// It exited [`CANNOT_HERE`]; its last lines say why.
    CannotHere(String),
}

/// Run a case's script in a process group of its own; a Ctrl-C kills the group (the script and
/// the docker commands it started, so none of them creates anything afterwards) and stops the
/// case.
pub(super) async fn run_script(dir: &Path, name: &str) -> Result<Ran, CaseError> {
    let child = tokio::process::Command::new("bash")
        .arg(name)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .process_group(0)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => return Ok(Ran::Failed(e.to_string())),
    };
    let group = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32));
    let kill_group = || {
        if let Some(g) = group {
            let _ = rustix::process::kill_process_group(g, rustix::process::Signal::KILL);
        }
    };
    let finished = tokio::select! {
        r = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output()) => r,
        _ = crate::interrupt::interrupted() => {
            kill_group();
            return Err(CaseError::Interrupted(Exit::Interrupted));
        }
    };
    let said = |out: &std::process::Output| {
        crate::output::last_lines(&String::from_utf8_lossy(&out.stderr), 4)
    };
    Ok(match finished {
        Err(_) => {
            kill_group();
            Ran::Failed("did not finish within 300 s".into())
        }
        Ok(Err(e)) => Ran::Failed(e.to_string()),
        Ok(Ok(out)) if out.status.success() => Ran::Ok,
        Ok(Ok(out)) if out.status.code() == Some(CANNOT_HERE) => Ran::CannotHere(said(&out)),
        Ok(Ok(out)) => Ran::Failed(format!(
            "exit {}: {}",
            out.status.code().unwrap_or(-1),
            said(&out)
        )),
    })
}

/// The first of the task's names that already exists.
pub(super) async fn existing_names(
    engine: &Engine,
    live: &Live,
) -> Result<Option<String>, checker::EnvError> {
    let d = &engine.docker;
    let q = checker::docker::deadline::QUICK;
    let exists = |r: Result<bool, tokio::time::error::Elapsed>, what: &str| {
        r.map_err(|_| checker::EnvError::Deadline {
            what: what.to_string(),
            deadline: q,
        })
    };
    for c in &live.containers {
        if exists(
            tokio::time::timeout(q, async { d.inspect_container(c, None).await.is_ok() }).await,
            "inspect container",
        )? {
            return Ok(Some(format!("container {c}")));
        }
    }
    for v in &live.volumes {
        if exists(
            tokio::time::timeout(q, async { d.inspect_volume(v).await.is_ok() }).await,
            "inspect volume",
        )? {
            return Ok(Some(format!("volume {v}")));
        }
    }
    for n in &live.networks {
        if exists(
            tokio::time::timeout(q, async { d.inspect_network(n, None).await.is_ok() }).await,
            "inspect network",
        )? {
            return Ok(Some(format!("network {n}")));
        }
    }
    for p in &live.projects {
        let f = std::collections::HashMap::from([(
            "label".to_string(),
            vec![format!("com.docker.compose.project={p}")],
        )]);
        let opts = bollard::query_parameters::ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&f)
            .build();
        let found = tokio::time::timeout(q, d.list_containers(Some(opts))).await;
        if exists(
            found.map(|r| r.map(|l| !l.is_empty()).unwrap_or(false)),
            "list containers",
        )? {
            return Ok(Some(format!("Compose project {p}")));
        }
    }
    for i in &live.images {
        if exists(
            tokio::time::timeout(q, async { d.inspect_image(i).await.is_ok() }).await,
            "inspect image",
        )? {
            return Ok(Some(format!("image {i}")));
        }
    }
    Ok(None)
}

/// The repository under which an exercise's built images are kept between its cases.
pub(super) const KEEP_REPO: &str = "dojo-selftest-keep";

/// The images an exercise's cases built, kept between its cases under a tag of the self-test's
/// own ([`KEEP_REPO`]`:<exercise>-<id>`), so that the next case's build of the same steps finds
/// them in the build cache. A case's names are still removed after it (the next case sees none
/// of them): removing a name that another tag also holds only untags it. On the classic
/// builder (Engine 20.10, Compose v1, Podman) the build cache is the images' own layers, which
/// removing the last name would delete; BuildKit keeps its cache apart, where this changes
/// nothing. [`Kept::release`] removes them once the exercise's cases are done.
pub(super) struct Kept {
    exercise: String,
    tags: std::collections::BTreeSet<String>,
}

impl Kept {
    pub(super) fn new(exercise: &str) -> Self {
        Self {
            exercise: exercise.to_string(),
            tags: Default::default(),
        }
    }

    /// Keep the image `name` names, if it exists.
    async fn keep(&mut self, engine: &Engine, name: &str) {
        let q = checker::docker::deadline::QUICK;
        let d = &engine.docker;
        let Ok(Ok(info)) = tokio::time::timeout(q, d.inspect_image(name)).await else {
            return;
        };
        let Some(id) = info.id else { return };
        let hex = id.strip_prefix("sha256:").unwrap_or(&id);
        let tag = format!("{}-{}", self.exercise, &hex[..hex.len().min(12)]);
        let o = bollard::query_parameters::TagImageOptionsBuilder::new()
            .repo(KEEP_REPO)
            .tag(&tag)
            .build();
        if let Ok(Ok(())) = tokio::time::timeout(q, d.tag_image(&id, Some(o))).await {
            self.tags.insert(tag);
        }
    }

    /// Remove the kept images (and the layers under them that no other image uses).
    pub(super) async fn release(self, engine: &Engine) {
        for tag in &self.tags {
            remove_kept(engine, &format!("{KEEP_REPO}:{tag}")).await;
        }
    }
}

async fn remove_kept(engine: &Engine, reference: &str) {
    let o = RemoveImageOptionsBuilder::new().force(true).build();
    let _ = tokio::time::timeout(
        Duration::from_secs(30),
        engine.docker.remove_image(reference, Some(o), None),
    )
    .await;
}

/// Remove the images a self-test killed before it could release them kept (their repository is
/// the self-test's own).
pub(super) async fn release_stale_kept(engine: &Engine) {
    let f =
        std::collections::HashMap::from([("reference".to_string(), vec![KEEP_REPO.to_string()])]);
    let o = bollard::query_parameters::ListImagesOptionsBuilder::new()
        .filters(&f)
        .build();
    let q = checker::docker::deadline::QUICK;
    let Ok(Ok(list)) = tokio::time::timeout(q, engine.docker.list_images(Some(o))).await else {
        return;
    };
    for t in list.iter().flat_map(|i| &i.repo_tags) {
        if is_kept_tag(t) {
            remove_kept(engine, t).await;
        }
    }
}

/// Is `tag` one self-test kept? Docker lists it as `dojo-selftest-keep:…`; Podman puts a default
/// registry first (`docker.io/library/dojo-selftest-keep:…` for a tag made through its Docker
/// API, `localhost/…` for one made by its own tools).
fn is_kept_tag(tag: &str) -> bool {
    let repo = checker::docker::repository(tag);
    repo.strip_prefix("localhost/").unwrap_or(repo) == KEEP_REPO
}

/// Remove the task's names (checked absent before the case, so made by it). Its images are
/// kept in `kept` first.
pub(super) async fn remove_names(engine: &Engine, live: &Live, kept: &mut Kept) {
    let d = &engine.docker;
    let q = Duration::from_secs(30);
    for i in &live.images {
        kept.keep(engine, i).await;
    }
    for c in &live.containers {
        let o = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        let _ = tokio::time::timeout(q, d.remove_container(c, Some(o))).await;
    }
    for p in &live.projects {
        remove_project(engine, p).await;
    }
    for n in &live.networks {
        let _ = tokio::time::timeout(q, d.remove_network(n)).await;
    }
    for v in &live.volumes {
        let _ = tokio::time::timeout(
            q,
            d.remove_volume(v, None::<bollard::query_parameters::RemoveVolumeOptions>),
        )
        .await;
    }
    for i in &live.images {
        let o = RemoveImageOptionsBuilder::new().force(true).build();
        let _ = tokio::time::timeout(q, d.remove_image(i, Some(o), None)).await;
    }
}

/// Remove a Compose project's containers, networks and volumes by its label (checked absent
/// before the case, so made by it).
async fn remove_project(engine: &Engine, project: &str) {
    let d = &engine.docker;
    let q = Duration::from_secs(30);
    let label = format!("com.docker.compose.project={project}");
    let f = std::collections::HashMap::from([("label".to_string(), vec![label])]);
    let owned = |l: Option<&std::collections::HashMap<String, String>>| {
        l.and_then(|l| l.get("com.docker.compose.project"))
            .map(String::as_str)
            == Some(project)
    };
    let opts = bollard::query_parameters::ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&f)
        .build();
    if let Ok(Ok(list)) = tokio::time::timeout(q, d.list_containers(Some(opts))).await {
        for c in list.into_iter().filter(|c| owned(c.labels.as_ref())) {
            let o = RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
            let _ = tokio::time::timeout(q, d.remove_container(&c.id.unwrap_or_default(), Some(o)))
                .await;
        }
    }
    let opts = bollard::query_parameters::ListNetworksOptionsBuilder::new()
        .filters(&f)
        .build();
    if let Ok(Ok(list)) = tokio::time::timeout(q, d.list_networks(Some(opts))).await {
        for n in list.into_iter().filter(|n| owned(n.labels.as_ref())) {
            let _ = tokio::time::timeout(q, d.remove_network(&n.id.unwrap_or_default())).await;
        }
    }
    let opts = bollard::query_parameters::ListVolumesOptionsBuilder::new()
        .filters(&f)
        .build();
    if let Ok(Ok(list)) = tokio::time::timeout(q, d.list_volumes(Some(opts))).await {
        for v in list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .filter(|v| owned(Some(&v.labels)))
        {
            let _ = tokio::time::timeout(
                q,
                d.remove_volume(
                    &v.name,
                    None::<bollard::query_parameters::RemoveVolumeOptions>,
                ),
            )
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ran(body: &str) -> Ran {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.sh"), body).unwrap();
        match run_script(dir.path(), "s.sh").await {
            Ok(r) => r,
            Err(_) => panic!("interrupted"),
        }
    }

    #[test]
    fn kept_tags_are_found_with_or_without_podmans_registry() {
        assert!(is_kept_tag(
            "dojo-selftest-keep:09-compose-services-0123456789ab"
        ));
        assert!(is_kept_tag(
            "localhost/dojo-selftest-keep:09-compose-services-0123456789ab"
        ));
        assert!(is_kept_tag(
            "docker.io/library/dojo-selftest-keep:10-moved-tag-0123456789ab"
        ));
        assert!(!is_kept_tag("dojo-selftest-keeper:x"));
        assert!(!is_kept_tag("example.com/dojo-selftest-keep:x"));
        assert!(!is_kept_tag("dojo-web:1.0"));
    }

    #[tokio::test]
    async fn exit_77_is_an_engine_that_cannot_not_a_failure() {
        assert!(matches!(ran("exit 0").await, Ran::Ok));
        match ran("echo 'no BuildKit here' >&2; exit 77").await {
            Ran::CannotHere(why) => assert!(why.contains("no BuildKit here"), "{why}"),
            _ => panic!("exit 77 is not 'cannot here'"),
        }
        match ran("echo broken >&2; exit 1").await {
            Ran::Failed(why) => assert!(why.contains("exit 1: broken"), "{why}"),
            _ => panic!("exit 1 is a failure"),
        }
    }
}
