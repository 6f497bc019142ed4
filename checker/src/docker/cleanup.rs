//! Removing what dockdojo created, and nothing else. Every list call filters by label on the
//! daemon and every item is re-checked on the client: some runtimes ignore label filters
//! (podman#8860). Containers go first (with their anonymous volumes), then networks, volumes and
//! images.
//!
//! A run's own cleanup lists only what it may have created: every request of the process passes
//! [`note_request`] (bollard's through [`super::dial::Pool`], BuildKit's `/build` in
//! [`super::session`]), so a kind no request could have created is not listed at all, and the
//! lists of the others ask for this session's label, not every run's.

use std::collections::HashMap;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListNetworksOptionsBuilder,
    ListVolumesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
};

use std::sync::atomic::{AtomicU8, Ordering};

use futures_util::StreamExt;

use super::{call, deadline, is_not_found, Engine};
use crate::error::EnvError;
use crate::labels;

/// What a cleanup removed, what it could not, and anything odd it noticed.
#[derive(Debug, Default, Clone)]
pub struct Cleaned {
    pub removed: Vec<String>,
    pub failed: Vec<String>,
    pub warnings: Vec<String>,
}

/// Kinds of resource, as bits.
const CONTAINERS: u8 = 1;
const NETWORKS: u8 = 2;
const VOLUMES: u8 = 4;
const IMAGES: u8 = 8;
const ALL: u8 = CONTAINERS | NETWORKS | VOLUMES | IMAGES;

/// The kinds this process sent a request that can create (never cleared: a superset is safe).
static NOTED: AtomicU8 = AtomicU8::new(0);

/// Note a request about to be sent: a create or a build may leave a labelled resource this run's
/// cleanup must look for. Called before the request leaves, so one cut short still counts.
pub fn note_request(method: &hyper::Method, path: &str) {
    if method != hyper::Method::POST {
        return;
    }
    let kind = if path.ends_with("/containers/create") {
        // A container may also create named volumes (unlabelled) and anonymous ones (removed
        // with it); only `/volumes/create` makes a labelled volume.
        CONTAINERS
    } else if path.ends_with("/build") || path.ends_with("/commit") {
        IMAGES
    } else if path.ends_with("/networks/create") {
        NETWORKS
    } else if path.ends_with("/volumes/create") {
        VOLUMES
    } else {
        return;
    };
    NOTED.fetch_or(kind, Ordering::SeqCst);
}

/// Which managed resources to take.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Everything of one session.
    Session(String),
    /// Everything of these sessions (the startup sweep: sessions whose process is gone).
    Sessions(std::collections::BTreeSet<String>),
    /// Every managed resource except course base images.
    AllButBase,
    /// Every managed resource, base images included.
    Everything,
}

impl Scope {
    fn wants(&self, l: Option<&HashMap<String, String>>) -> bool {
        if !labels::is_managed(l) {
            return false;
        }
        match self {
            Scope::Session(s) => labels::in_session(l, s),
            Scope::Sessions(set) => set.iter().any(|s| labels::in_session(l, s)),
            // `clean` leaves alone what another dockdojo still running on this host is using.
            Scope::AllButBase | Scope::Everything => !owned_by_other_live_process(l),
        }
    }
}

/// This process as an owner label value: `<host>/<pid>`.
pub fn owner() -> String {
    format!("{}/{}", hostname(), std::process::id())
}

pub fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Is `pid` a live dockdojo process on this host?
fn pid_alive(pid: &str) -> bool {
    pid.parse::<u32>().is_ok() && std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Is the owner label another live process on this host?
fn owned_by_other_live_process(l: Option<&HashMap<String, String>>) -> bool {
    let Some((host, pid)) = l
        .and_then(|l| l.get(labels::OWNER))
        .and_then(|o| o.rsplit_once('/'))
    else {
        return false;
    };
    host == hostname() && pid != std::process::id().to_string() && pid_alive(pid)
}

impl Engine {
    /// Remove everything this run created: the kinds its requests could have created
    /// ([`note_request`]), listed by this session's label (and re-checked on the client).
    pub async fn cleanup_session(&self) -> Cleaned {
        let filter = labels::session_filter(&self.session);
        let lists = Lists::fetch(self, NOTED.load(Ordering::SeqCst), &filter).await;
        remove_listed(self, &Scope::Session(self.session.clone()), lists).await
    }

    /// Remove the resources of sessions whose dockdojo process is gone (killed, crashed): the
    /// startup sweep. Only sessions started on this host are judged. One list per kind (a label
    /// filter cannot span kinds); the dead sessions' resources are removed from those lists.
    pub async fn sweep_dead_sessions(&self) -> Result<Cleaned, EnvError> {
        let host = hostname();
        let mut lists = Lists::fetch(self, ALL, &labels::managed_filter()).await;
        if let Some(e) = lists.take_error() {
            return Err(e);
        }
        let mut label_sets: Vec<&HashMap<String, String>> = Vec::new();
        if let Some(Ok(l)) = &lists.containers {
            label_sets.extend(l.iter().filter_map(|c| c.labels.as_ref()));
        }
        if let Some(Ok(l)) = &lists.volumes {
            label_sets.extend(l.iter().map(|v| &v.labels));
        }
        if let Some(Ok(l)) = &lists.networks {
            label_sets.extend(l.iter().filter_map(|n| n.labels.as_ref()));
        }
        if let Some(Ok(l)) = &lists.images {
            label_sets.extend(l.iter().map(|i| &i.labels));
        }
        let mut dead = std::collections::BTreeSet::new();
        for l in label_sets {
            let (Some(session), Some(owner)) = (l.get(labels::SESSION), l.get(labels::OWNER))
            else {
                continue;
            };
            let Some((owner_host, pid)) = owner.rsplit_once('/') else {
                continue;
            };
            if session == &self.session || owner_host != host {
                continue;
            }
            if !pid_alive(pid) {
                dead.insert(session.clone());
            }
        }
        if dead.is_empty() {
            return Ok(Cleaned::default());
        }
        Ok(remove_listed(self, &Scope::Sessions(dead), lists).await)
    }

    /// `dockdojo clean`.
    pub async fn clean(&self, include_base: bool) -> Cleaned {
        let scope = if include_base {
            Scope::Everything
        } else {
            Scope::AllButBase
        };
        let lists = Lists::fetch(self, ALL, &labels::managed_filter()).await;
        remove_listed(self, &scope, lists).await
    }

    pub async fn list_managed_containers(
        &self,
        filter: &HashMap<String, Vec<String>>,
    ) -> Result<Vec<bollard::models::ContainerSummary>, EnvError> {
        let opts = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(filter)
            .build();
        call(
            "list containers",
            deadline::QUICK,
            super::through_transient_states(|| self.docker.list_containers(Some(opts.clone()))),
        )
        .await
    }

    pub async fn list_managed_volumes(
        &self,
        filter: &HashMap<String, Vec<String>>,
    ) -> Result<Vec<bollard::models::Volume>, EnvError> {
        let opts = ListVolumesOptionsBuilder::new().filters(filter).build();
        let r = call(
            "list volumes",
            deadline::QUICK,
            self.docker.list_volumes(Some(opts)),
        )
        .await?;
        Ok(r.volumes.unwrap_or_default())
    }

    pub async fn list_managed_networks(
        &self,
        filter: &HashMap<String, Vec<String>>,
    ) -> Result<Vec<bollard::models::Network>, EnvError> {
        let opts = ListNetworksOptionsBuilder::new().filters(filter).build();
        call(
            "list networks",
            deadline::QUICK,
            self.docker.list_networks(Some(opts)),
        )
        .await
    }

    pub async fn list_managed_images(
        &self,
        filter: &HashMap<String, Vec<String>>,
    ) -> Result<Vec<bollard::models::ImageSummary>, EnvError> {
        let opts = ListImagesOptionsBuilder::new().filters(filter).build();
        call(
            "list images",
            deadline::QUICK,
            super::through_transient_states(|| self.docker.list_images(Some(opts.clone()))),
        )
        .await
    }

    /// Remove one container we started (re-checking its labels first).
    pub async fn remove_container(&self, id: &str) -> Result<(), EnvError> {
        let info =
            match tokio::time::timeout(deadline::QUICK, super::inspect_container(&self.docker, id))
                .await
            {
                Err(_) => {
                    return Err(EnvError::Deadline {
                        what: "inspect container".into(),
                        deadline: deadline::QUICK,
                    })
                }
                Ok(Err(e)) if is_not_found(&e) => return Ok(()),
                Ok(other) => other.map_err(|e| super::classify("inspect container", &e))?,
            };
        let l = info.config.as_ref().and_then(|c| c.labels.as_ref());
        if !labels::in_session(l, &self.session) {
            return Err(EnvError::Other(format!(
                "refusing to remove container {id}: it is not labelled as this dockdojo run's"
            )));
        }
        force_remove_container(self, id).await
    }
}

async fn force_remove_container(engine: &Engine, id: &str) -> Result<(), EnvError> {
    let opts = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    match tokio::time::timeout(
        deadline::QUICK + deadline::STOP_GRACE,
        engine.docker.remove_container(id, Some(opts)),
    )
    .await
    {
        Ok(Err(e)) if is_not_found(&e) => Ok(()),
        Ok(Err(e)) => Err(super::classify("remove container", &e)),
        Ok(Ok(())) => Ok(()),
        Err(_) => Err(EnvError::Deadline {
            what: format!("remove container {id}"),
            deadline: deadline::QUICK + deadline::STOP_GRACE,
        }),
    }
}

/// The repository every image a check builds is tagged in.
pub const CHECK_REPO: &str = "dockdojo-check/";

/// Is `tag` one our builds give (`dockdojo-check/…`, in any spelling of Docker Hub)?
pub fn is_check_tag(tag: &str) -> bool {
    super::short_reference(tag).starts_with(CHECK_REPO)
}

const IGNORED_FILTER: &str = "the daemon returned resources without dockdojo's labels for a \
label-filtered list (it ignores label filters); they were left alone";

/// The client-side re-check of a label-filtered list: the items `scope` takes, and whether the
/// daemon returned anything without dockdojo's labels (it ignored the filter; those stay).
fn select<T>(
    items: Vec<T>,
    labels_of: impl Fn(&T) -> Option<&HashMap<String, String>>,
    scope: &Scope,
) -> (Vec<T>, bool) {
    let mut foreign = false;
    let mut keep = Vec::new();
    for item in items {
        let l = labels_of(&item);
        if !labels::is_managed(l) {
            foreign = true;
        } else if scope.wants(l) {
            keep.push(item);
        }
    }
    (keep, foreign)
}

/// A kind's label-filtered list, or `None` for a kind not asked for.
type Listed<T> = Option<Result<Vec<T>, EnvError>>;

/// The label-filtered lists a removal works from.
struct Lists {
    containers: Listed<bollard::models::ContainerSummary>,
    networks: Listed<bollard::models::Network>,
    volumes: Listed<bollard::models::Volume>,
    images: Listed<bollard::models::ImageSummary>,
}

impl Lists {
    /// List the `kinds` asked for, each filtered by `filter` on the daemon.
    async fn fetch(engine: &Engine, kinds: u8, filter: &HashMap<String, Vec<String>>) -> Self {
        /// A list, if its kind is asked for.
        async fn when<T>(wanted: bool, list: impl std::future::Future<Output = T>) -> Option<T> {
            if wanted {
                Some(list.await)
            } else {
                None
            }
        }
        let wants = |kind: u8| kinds & kind != 0;
        // The lists are independent: asked side by side, on as many pooled connections.
        let (containers, networks, volumes, images) = tokio::join!(
            when(wants(CONTAINERS), engine.list_managed_containers(filter)),
            when(wants(NETWORKS), engine.list_managed_networks(filter)),
            when(wants(VOLUMES), engine.list_managed_volumes(filter)),
            when(wants(IMAGES), engine.list_managed_images(filter)),
        );
        Self {
            containers,
            networks,
            volumes,
            images,
        }
    }

    /// The first failed list, taken out.
    fn take_error(&mut self) -> Option<EnvError> {
        fn take<T>(l: &mut Listed<T>) -> Option<EnvError> {
            match l.take() {
                Some(Err(e)) => Some(e),
                other => {
                    *l = other;
                    None
                }
            }
        }
        take(&mut self.containers)
            .or_else(|| take(&mut self.networks))
            .or_else(|| take(&mut self.volumes))
            .or_else(|| take(&mut self.images))
    }
}

/// Remove one image; gone already counts as removed. Podman removes a build's intermediate
/// containers after the build has answered, so an image can still be "in use by a container" for
/// a moment: that answer is retried for up to [`IN_USE_WAIT`] before it counts as a failure.
async fn remove_image_settled(engine: &Engine, target: &str) -> Result<(), EnvError> {
    let until = tokio::time::Instant::now() + IN_USE_WAIT;
    loop {
        let opts = RemoveImageOptionsBuilder::new().force(false).build();
        match call(
            "remove image",
            deadline::QUICK,
            engine.docker.remove_image(target, Some(opts), None),
        )
        .await
        {
            Ok(_) => return Ok(()),
            Err(EnvError::Daemon { detail, .. }) if is_gone(&detail) => return Ok(()),
            Err(EnvError::Daemon { detail, .. })
                if is_in_use(&detail) && tokio::time::Instant::now() < until =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// How long an image "in use by a container" is retried at cleanup.
const IN_USE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Docker's and Podman's answers for an image a container still uses.
/// The image is gone already. Docker says "No such image"; Podman, when the tag still named an
/// image that another removal took a moment before, "failed to find image …: image not known"
/// (seen in a self-test at three jobs, removing a rebuild's tag).
fn is_gone(detail: &str) -> bool {
    detail.contains("No such image") || detail.contains("image not known")
}

fn is_in_use(detail: &str) -> bool {
    detail.contains("is in use by a container") || detail.contains("is being used by")
}

async fn remove_listed(engine: &Engine, scope: &Scope, lists: Lists) -> Cleaned {
    let mut out = Cleaned::default();
    let mut saw_foreign = false;

    match lists.containers {
        None => {}
        Some(Ok(list)) => {
            let (list, foreign) = select(list, |c| c.labels.as_ref(), scope);
            saw_foreign |= foreign;
            // Side by side (up to 8 at once): each removal waits for its container to be
            // killed and unmounted, and none depends on another.
            let removals = list.into_iter().map(|c| async move {
                let id = c.id.clone().unwrap_or_default();
                let name = c
                    .names
                    .as_ref()
                    .and_then(|n| n.first().cloned())
                    .unwrap_or_else(|| id.clone());
                (name, force_remove_container(engine, &id).await)
            });
            let results: Vec<_> = futures_util::stream::iter(removals)
                .buffered(8)
                .collect()
                .await;
            for (name, result) in results {
                match result {
                    Ok(()) => out
                        .removed
                        .push(format!("container {}", name.trim_start_matches('/'))),
                    Err(e) => out.failed.push(format!("container {name}: {e}")),
                }
            }
        }
        Some(Err(e)) => out.failed.push(format!("listing containers: {e}")),
    }

    match lists.networks {
        None => {}
        Some(Ok(list)) => {
            let (list, foreign) = select(list, |n| n.labels.as_ref(), scope);
            saw_foreign |= foreign;
            for n in list {
                let name = n.name.clone().unwrap_or_default();
                let id = n.id.clone().unwrap_or_default();
                match call(
                    "remove network",
                    deadline::QUICK,
                    engine.docker.remove_network(&id),
                )
                .await
                {
                    Ok(()) => out.removed.push(format!("network {name}")),
                    Err(e) => out.failed.push(format!("network {name}: {e}")),
                }
            }
        }
        Some(Err(e)) => out.failed.push(format!("listing networks: {e}")),
    }

    match lists.volumes {
        None => {}
        Some(Ok(list)) => {
            let (list, foreign) = select(list, |v| Some(&v.labels), scope);
            saw_foreign |= foreign;
            for v in list {
                match call(
                    "remove volume",
                    deadline::QUICK,
                    engine.docker.remove_volume(
                        &v.name,
                        None::<bollard::query_parameters::RemoveVolumeOptions>,
                    ),
                )
                .await
                {
                    Ok(()) => out.removed.push(format!("volume {}", v.name)),
                    Err(e) => out.failed.push(format!("volume {}: {e}", v.name)),
                }
            }
        }
        Some(Err(e)) => out.failed.push(format!("listing volumes: {e}")),
    }

    match lists.images {
        None => {}
        Some(Ok(list)) => {
            let (list, foreign) = select(list, |i| Some(&i.labels), scope);
            saw_foreign |= foreign;
            for i in list {
                // Untagged images are listed with `<none>:<none>` (or nothing).
                let tags: Vec<&String> = i
                    .repo_tags
                    .iter()
                    .filter(|t| !t.is_empty() && t.as_str() != "<none>:<none>")
                    .collect();
                let name = tags
                    .first()
                    .map(|t| super::short_reference(t))
                    .unwrap_or_else(|| i.id.clone());
                // Our builds tag `dockdojo-check/…` (Podman lists it as
                // `docker.io/dockdojo-check/…`); a fully cached rebuild gives the same image a
                // second such tag. Remove every tag of ours; an image that also carries a tag we
                // did not give it keeps that tag (and so survives).
                let ours: Vec<&String> = tags.iter().copied().filter(|t| is_check_tag(t)).collect();
                let targets: Vec<String> = if ours.len() == tags.len() && ours.len() <= 1 {
                    vec![i.id.clone()]
                } else {
                    ours.iter().map(|t| t.to_string()).collect()
                };
                let mut failed = None;
                for target in &targets {
                    if let Err(e) = remove_image_settled(engine, target).await {
                        failed = Some(e);
                    }
                }
                match failed {
                    None => out.removed.push(format!("image {name}")),
                    Some(e) => out.failed.push(format!("image {name}: {e}")),
                }
            }
        }
        Some(Err(e)) => out.failed.push(format!("listing images: {e}")),
    }

    if matches!(scope, Scope::Everything) {
        remove_standins(engine, &mut out).await;
    }
    if saw_foreign {
        out.warnings.push(IGNORED_FILTER.to_string());
    }
    out
}

/// Remove the course base-image stand-ins: only the tag each one's label names, so an image a
/// learner also tagged keeps that tag.
async fn remove_standins(engine: &Engine, out: &mut Cleaned) {
    let filter = HashMap::from([("label".to_string(), vec![labels::STANDIN.to_string()])]);
    let opts = ListImagesOptionsBuilder::new().filters(&filter).build();
    let list = match call(
        "list images",
        deadline::QUICK,
        super::through_transient_states(|| engine.docker.list_images(Some(opts.clone()))),
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return out.failed.push(format!("listing base images: {e}")),
    };
    for i in list {
        if !labels::is_standin(Some(&i.labels), &i.repo_tags) {
            continue;
        }
        let tag = i.labels[labels::STANDIN].clone();
        let opts = RemoveImageOptionsBuilder::new().force(false).build();
        match call(
            "remove image",
            deadline::QUICK,
            engine.docker.remove_image(&tag, Some(opts), None),
        )
        .await
        {
            Ok(_) => out.removed.push(format!("base image {tag}")),
            Err(e) => out.failed.push(format!("base image {tag}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests;
