//! `dockdojo clean`: remove everything dockdojo labelled (`everything`). `dockdojo clean ID`:
//! remove what an exercise's task names (its `[live]` containers, Compose projects, networks,
//! volumes and images, and every copy of a scenario's registry images), after a confirmation that
//! lists them; for that one nothing else is looked at: no label, no prune, no pattern.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListNetworksOptionsBuilder,
    ListVolumesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
    RemoveVolumeOptions,
};
use checker::docker::Engine;
use checker::spec::Live;

use crate::catalog;
use crate::exit::{CmdResult, Exit, Fail};

/// One thing to remove, as the learner reads it and as Docker names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Container(String),
    Network(String),
    Volume(String),
    /// A reference to untag (`name:tag`), or an image id when it has no tag left.
    Image {
        reference: String,
        shown: String,
    },
}

impl Item {
    fn describe(&self) -> String {
        match self {
            Item::Container(n) => format!("container {n}"),
            Item::Network(n) => format!("network {n}"),
            Item::Volume(n) => format!("volume {n}"),
            Item::Image { shown, .. } => format!("image {shown}"),
        }
    }
}

/// A registry image's repository (`127.0.0.1:18100/dojo-base`) when the reference names a
/// registry host; scenario registries leave copies of it under other tags and digests.
fn registry_repo(reference: &str) -> Option<&str> {
    let (host, _) = reference.split_once('/')?;
    if !(host.contains(':') || host.contains('.') || host == "localhost") {
        return None;
    }
    let repo = reference.split('@').next().unwrap_or(reference);
    let last_slash = repo.rfind('/').unwrap_or(0);
    Some(match repo[last_slash..].find(':') {
        Some(i) => &repo[..last_slash + i],
        None => repo,
    })
}

const Q: Duration = Duration::from_secs(10);

fn timeout() -> Fail {
    Fail::env(anyhow::anyhow!(
        "Docker did not answer within {} s",
        Q.as_secs()
    ))
}

/// What of the task's names exists now.
pub async fn plan(engine: &Engine, live: &Live) -> Result<Vec<Item>, Fail> {
    let d = &engine.docker;
    let mut out = Vec::new();
    for c in live.containers.iter().chain(&live.try_containers) {
        let found = tokio::time::timeout(Q, d.inspect_container(c, None))
            .await
            .map_err(|_| timeout())?;
        // Docker also answers a unique id prefix: only the exact name counts.
        if found.is_ok_and(|i| i.name.as_deref().map(|n| n.trim_start_matches('/')) == Some(c)) {
            out.push(Item::Container(c.clone()));
        }
    }
    for p in &live.projects {
        let label = format!("com.docker.compose.project={p}");
        let f = HashMap::from([("label".to_string(), vec![label])]);
        let ours = |l: Option<&HashMap<String, String>>| {
            l.and_then(|l| l.get("com.docker.compose.project"))
                .is_some_and(|v| v == p)
        };
        let opts = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&f)
            .build();
        let list = tokio::time::timeout(Q, d.list_containers(Some(opts)))
            .await
            .map_err(|_| timeout())?
            .unwrap_or_default();
        for c in list.into_iter().filter(|c| ours(c.labels.as_ref())) {
            let name = c
                .names
                .unwrap_or_default()
                .first()
                .cloned()
                .unwrap_or_default();
            out.push(Item::Container(name.trim_start_matches('/').to_string()));
        }
        let opts = ListNetworksOptionsBuilder::new().filters(&f).build();
        let list = tokio::time::timeout(Q, d.list_networks(Some(opts)))
            .await
            .map_err(|_| timeout())?
            .unwrap_or_default();
        for n in list.into_iter().filter(|n| ours(n.labels.as_ref())) {
            out.push(Item::Network(n.name.unwrap_or_default()));
        }
        let opts = ListVolumesOptionsBuilder::new().filters(&f).build();
        let list = tokio::time::timeout(Q, d.list_volumes(Some(opts)))
            .await
            .map_err(|_| timeout())?
            .map(|l| l.volumes.unwrap_or_default())
            .unwrap_or_default();
        for v in list.into_iter().filter(|v| ours(Some(&v.labels))) {
            out.push(Item::Volume(v.name));
        }
    }
    for n in &live.networks {
        let found = tokio::time::timeout(Q, d.inspect_network(n, None))
            .await
            .map_err(|_| timeout())?;
        if found.is_ok_and(|i| i.name.as_deref() == Some(n)) {
            out.push(Item::Network(n.clone()));
        }
    }
    for v in &live.volumes {
        let found = tokio::time::timeout(Q, d.inspect_volume(v))
            .await
            .map_err(|_| timeout())?;
        if found.is_ok() && !out.contains(&Item::Volume(v.clone())) {
            out.push(Item::Volume(v.clone()));
        }
    }
    let repos: Vec<&str> = live
        .images
        .iter()
        .filter_map(|i| registry_repo(i))
        .collect();
    let images = if repos.is_empty() {
        Vec::new()
    } else {
        let opts = ListImagesOptionsBuilder::new()
            .all(false)
            .digests(true)
            .build();
        tokio::time::timeout(Q, d.list_images(Some(opts)))
            .await
            .map_err(|_| timeout())?
            .unwrap_or_default()
    };
    let mut image = |reference: String, shown: String| {
        let item = Item::Image { reference, shown };
        if !out.contains(&item) {
            out.push(item);
        }
    };
    for i in live.images.iter().chain(&live.try_images) {
        if registry_repo(i).is_some() {
            continue;
        }
        let found = tokio::time::timeout(Q, d.inspect_image(i))
            .await
            .map_err(|_| timeout())?;
        if found.is_ok_and(|img| {
            img.repo_tags.unwrap_or_default().iter().any(|t| {
                t == i
                    || (!i.contains(':') && t == &format!("{i}:latest"))
                    || t == &format!("docker.io/library/{i}")
            })
        }) {
            image(i.clone(), i.clone());
        }
    }
    // Every copy of a scenario's registry repository: tagged, or left untagged by a re-push
    // (then known only by its digest).
    for repo in repos {
        for img in &images {
            let tags: Vec<&String> = img
                .repo_tags
                .iter()
                .filter(|t| t.rsplit_once(':').is_some_and(|(r, _)| r == repo))
                .collect();
            let digests: Vec<&String> = img
                .repo_digests
                .iter()
                .filter(|t| t.split_once('@').is_some_and(|(r, _)| r == repo))
                .collect();
            let other_tags = img
                .repo_tags
                .iter()
                .any(|t| t != "<none>:<none>" && !tags.contains(&t));
            for t in &tags {
                image((*t).clone(), (*t).clone());
            }
            if tags.is_empty() && !digests.is_empty() && !other_tags {
                let id = img.id.clone();
                let short = id
                    .trim_start_matches("sha256:")
                    .chars()
                    .take(12)
                    .collect::<String>();
                image(id, format!("{} (untagged, {short})", digests[0]));
            }
        }
    }
    Ok(out)
}

/// Remove the items, containers first (they hold the rest). Returns the failures.
pub async fn remove(engine: &Engine, items: &[Item]) -> Vec<String> {
    let d = &engine.docker;
    let long = Duration::from_secs(60);
    let mut failed = Vec::new();
    let mut note =
        |what: &Item,
         r: Result<Result<(), bollard::errors::Error>, tokio::time::error::Elapsed>| match r
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failed.push(format!("{}: {e}", what.describe())),
            Err(_) => failed.push(format!("{}: Docker did not answer", what.describe())),
        };
    let rank = |i: &Item| match i {
        Item::Container(_) => 0,
        Item::Network(_) => 1,
        Item::Volume(_) => 2,
        Item::Image { .. } => 3,
    };
    let mut items = items.to_vec();
    items.sort_by_key(rank);
    for it in &items {
        match it {
            Item::Container(n) => {
                let o = RemoveContainerOptionsBuilder::new()
                    .force(true)
                    .v(true)
                    .build();
                note(
                    it,
                    tokio::time::timeout(long, d.remove_container(n, Some(o))).await,
                );
            }
            Item::Network(n) => note(it, tokio::time::timeout(long, d.remove_network(n)).await),
            Item::Volume(n) => note(
                it,
                tokio::time::timeout(long, d.remove_volume(n, None::<RemoveVolumeOptions>)).await,
            ),
            Item::Image { reference, .. } => {
                let o = RemoveImageOptionsBuilder::new().build();
                let r = tokio::time::timeout(long, d.remove_image(reference, Some(o), None)).await;
                note(it, r.map(|r| r.map(|_| ())));
            }
        }
    }
    failed
}

pub async fn run(id: &str, yes: bool) -> CmdResult {
    let entries = catalog::load()?;
    let e = catalog::find(&entries, id).map_err(Fail::usage)?;
    let engine = super::connect().await?;
    let items = plan(&engine, &e.spec.live).await?;
    if items.is_empty() {
        println!(
            "Nothing to remove: none of the names {} uses exists.",
            e.id()
        );
        return Ok(Exit::Ok);
    }
    println!("{} uses these names; this removes them:", e.id());
    for i in &items {
        println!("  {}", i.describe());
    }
    if !yes {
        print!("Remove these {}? [y/N] ", items.len());
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let stdin = std::io::stdin();
        if !stdin.is_terminal() && stdin.lock().read_line(&mut answer).unwrap_or(0) == 0 {
            println!();
            println!("Nothing removed (no answer; `--yes` removes without asking).");
            return Ok(Exit::Ok);
        }
        if stdin.is_terminal() {
            stdin.lock().read_line(&mut answer)?;
        }
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing removed.");
            return Ok(Exit::Ok);
        }
    }
    let failed = remove(&engine, &items).await;
    let done = items.len() - failed.len();
    println!("Removed {done} of {}.", items.len());
    for f in &failed {
        eprintln!("could not remove {f}");
    }
    Ok(if failed.is_empty() {
        Exit::Ok
    } else {
        Exit::Env
    })
}

/// `dockdojo clean [--all]`: remove everything labelled by dockdojo (with `--all`, the course
/// base images too), nothing else.
pub async fn everything(all: bool) -> CmdResult {
    let engine = super::connect().await?;
    let cleaned = engine.clean(all).await;
    for w in &cleaned.warnings {
        eprintln!("warning: {w}");
    }
    if cleaned.removed.is_empty() {
        println!(
            "Nothing to remove: no containers, images, volumes or networks labelled by dockdojo."
        );
    } else {
        println!("Removed {}:", cleaned.removed.len());
        for r in &cleaned.removed {
            println!("  {r}");
        }
    }
    if !all {
        println!("(Course base images are kept; `dockdojo clean --all` removes them too.)");
    }
    if !cleaned.failed.is_empty() {
        for f in &cleaned.failed {
            eprintln!("could not remove {f}");
        }
        return Ok(Exit::Env);
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::registry_repo;

    #[test]
    fn registry_repositories_are_told_apart_from_local_names() {
        assert_eq!(
            registry_repo("127.0.0.1:18100/dojo-base:3.12-slim"),
            Some("127.0.0.1:18100/dojo-base")
        );
        assert_eq!(
            registry_repo("127.0.0.1:18095/dojo-ship-app@sha256:ab"),
            Some("127.0.0.1:18095/dojo-ship-app")
        );
        assert_eq!(registry_repo("localhost/x"), Some("localhost/x"));
        assert_eq!(registry_repo("dojo-web:v1"), None);
        assert_eq!(registry_repo("library/busybox:1.36.1"), None);
    }
}
