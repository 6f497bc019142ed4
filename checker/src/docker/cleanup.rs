//! Removing what dockdojo created, and nothing else. Every list call filters by label on the
//! daemon and every item is re-checked on the client: some runtimes ignore label filters
//! (podman#8860). Containers go first (with their anonymous volumes), then networks, volumes and
//! images.

use std::collections::HashMap;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListNetworksOptionsBuilder,
    ListVolumesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
};

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

impl Cleaned {
    fn merge(&mut self, other: Cleaned) {
        self.removed.extend(other.removed);
        self.failed.extend(other.failed);
        self.warnings.extend(other.warnings);
    }
}

/// Which managed resources to take.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Everything of one session.
    Session(String),
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
    /// Remove everything this run created.
    pub async fn cleanup_session(&self) -> Cleaned {
        remove_scope(self, &Scope::Session(self.session.clone())).await
    }

    /// Remove the resources of sessions whose dockdojo process is gone (killed, crashed): the
    /// startup sweep. Only sessions started on this host are judged.
    pub async fn sweep_dead_sessions(&self) -> Result<Cleaned, EnvError> {
        let host = hostname();
        let mut dead = std::collections::BTreeSet::new();
        let list = self.list_managed_containers().await?;
        let mut label_sets: Vec<HashMap<String, String>> =
            list.into_iter().filter_map(|c| c.labels).collect();
        for v in self.list_managed_volumes().await? {
            label_sets.push(v.labels);
        }
        for n in self.list_managed_networks().await? {
            if let Some(l) = n.labels {
                label_sets.push(l);
            }
        }
        for i in self.list_managed_images().await? {
            label_sets.push(i.labels);
        }
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
        let mut out = Cleaned::default();
        for s in dead {
            out.merge(remove_scope(self, &Scope::Session(s)).await);
        }
        Ok(out)
    }

    /// `dockdojo clean`.
    pub async fn clean(&self, include_base: bool) -> Cleaned {
        let scope = if include_base {
            Scope::Everything
        } else {
            Scope::AllButBase
        };
        remove_scope(self, &scope).await
    }

    pub async fn list_managed_containers(
        &self,
    ) -> Result<Vec<bollard::models::ContainerSummary>, EnvError> {
        let opts = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&labels::managed_filter())
            .build();
        call(
            "list containers",
            deadline::QUICK,
            self.docker.list_containers(Some(opts)),
        )
        .await
    }

    pub async fn list_managed_volumes(&self) -> Result<Vec<bollard::models::Volume>, EnvError> {
        let opts = ListVolumesOptionsBuilder::new()
            .filters(&labels::managed_filter())
            .build();
        let r = call(
            "list volumes",
            deadline::QUICK,
            self.docker.list_volumes(Some(opts)),
        )
        .await?;
        Ok(r.volumes.unwrap_or_default())
    }

    pub async fn list_managed_networks(&self) -> Result<Vec<bollard::models::Network>, EnvError> {
        let opts = ListNetworksOptionsBuilder::new()
            .filters(&labels::managed_filter())
            .build();
        call(
            "list networks",
            deadline::QUICK,
            self.docker.list_networks(Some(opts)),
        )
        .await
    }

    pub async fn list_managed_images(
        &self,
    ) -> Result<Vec<bollard::models::ImageSummary>, EnvError> {
        let opts = ListImagesOptionsBuilder::new()
            .filters(&labels::managed_filter())
            .build();
        call(
            "list images",
            deadline::QUICK,
            self.docker.list_images(Some(opts)),
        )
        .await
    }

    /// Remove one container we started (re-checking its labels first).
    pub async fn remove_container(&self, id: &str) -> Result<(), EnvError> {
        let info =
            match tokio::time::timeout(deadline::QUICK, self.docker.inspect_container(id, None))
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

const IGNORED_FILTER: &str = "the daemon returned resources without dockdojo's labels for a \
label-filtered list (it ignores label filters); they were left alone";

async fn remove_scope(engine: &Engine, scope: &Scope) -> Cleaned {
    let mut out = Cleaned::default();
    let mut saw_foreign = false;

    match engine.list_managed_containers().await {
        Ok(list) => {
            for c in list {
                let id = c.id.clone().unwrap_or_default();
                if !labels::is_managed(c.labels.as_ref()) {
                    saw_foreign = true;
                    continue;
                }
                if !scope.wants(c.labels.as_ref()) {
                    continue;
                }
                let name = c
                    .names
                    .as_ref()
                    .and_then(|n| n.first().cloned())
                    .unwrap_or_else(|| id.clone());
                match force_remove_container(engine, &id).await {
                    Ok(()) => out
                        .removed
                        .push(format!("container {}", name.trim_start_matches('/'))),
                    Err(e) => out.failed.push(format!("container {name}: {e}")),
                }
            }
        }
        Err(e) => out.failed.push(format!("listing containers: {e}")),
    }

    match engine.list_managed_networks().await {
        Ok(list) => {
            for n in list {
                if !labels::is_managed(n.labels.as_ref()) {
                    saw_foreign = true;
                    continue;
                }
                if !scope.wants(n.labels.as_ref()) {
                    continue;
                }
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
        Err(e) => out.failed.push(format!("listing networks: {e}")),
    }

    match engine.list_managed_volumes().await {
        Ok(list) => {
            for v in list {
                let l = Some(&v.labels);
                if !labels::is_managed(l) {
                    saw_foreign = true;
                    continue;
                }
                if !scope.wants(l) {
                    continue;
                }
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
        Err(e) => out.failed.push(format!("listing volumes: {e}")),
    }

    match engine.list_managed_images().await {
        Ok(list) => {
            for i in list {
                let l = Some(&i.labels);
                if !labels::is_managed(l) {
                    saw_foreign = true;
                    continue;
                }
                if !scope.wants(l) {
                    continue;
                }
                let name = i.repo_tags.first().cloned().unwrap_or_else(|| i.id.clone());
                // Our builds tag `dockdojo-check/…`; a fully cached rebuild gives the same image a
                // second such tag. Remove every tag of ours; an image that also carries a tag we
                // did not give it keeps that tag (and so survives).
                let ours: Vec<&String> = i
                    .repo_tags
                    .iter()
                    .filter(|t| t.starts_with(CHECK_REPO))
                    .collect();
                let targets: Vec<String> = if ours.len() == i.repo_tags.len() && ours.len() <= 1 {
                    vec![i.id.clone()]
                } else {
                    ours.iter().map(|t| t.to_string()).collect()
                };
                let mut failed = None;
                for target in &targets {
                    let opts = RemoveImageOptionsBuilder::new().force(false).build();
                    match call(
                        "remove image",
                        deadline::QUICK,
                        engine.docker.remove_image(target, Some(opts), None),
                    )
                    .await
                    {
                        Ok(_) => {}
                        Err(EnvError::Daemon { detail, .. })
                            if detail.contains("No such image") => {}
                        Err(e) => failed = Some(e),
                    }
                }
                match failed {
                    None => out.removed.push(format!("image {name}")),
                    Some(e) => out.failed.push(format!("image {name}: {e}")),
                }
            }
        }
        Err(e) => out.failed.push(format!("listing images: {e}")),
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
        engine.docker.list_images(Some(opts)),
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
