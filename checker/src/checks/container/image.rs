//! The image a container runs: by name, by the registry's digest, and whether its command is the
//! image's own.

use super::*;

/// The image a container was created from, by its ID (whatever name it was run by).
pub(super) async fn image_of(
    ctx: &Ctx<'_>,
    info: &ContainerInspectResponse,
) -> Result<bollard::models::ImageInspect, EnvError> {
    let id = info.image.clone().unwrap_or_default();
    call(
        "inspect image",
        deadline::QUICK,
        ctx.engine.docker.inspect_image(&id),
    )
    .await
}

/// The ID of the image `want` names on this daemon now; `None` when it names none.
async fn id_named(ctx: &Ctx<'_>, want: &str) -> Result<Option<String>, EnvError> {
    match tokio::time::timeout(deadline::QUICK, ctx.engine.docker.inspect_image(want)).await {
        Err(_) => Err(EnvError::Deadline {
            what: "inspect image".into(),
            deadline: deadline::QUICK,
        }),
        Ok(Err(e)) if is_not_found(&e) => Ok(None),
        Ok(r) => Ok(r
            .map_err(|e| crate::docker::classify("inspect image", &e))?
            .id),
    }
}

/// How a container's image compares with the one `want` names now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageMatch {
    /// It runs the image `want` names (by ID), or it was run by that name and the name names
    /// nothing now.
    Same,
    /// It was run by that very name, but the name now names another image: rebuilt or retagged
    /// since the container was made. `now` is that image's ID.
    Rebuilt { now: String },
    /// Neither by name nor by ID.
    Other,
}

/// Does the container run the very image `want` names on this daemon (by image ID), whatever name
/// it was run by? The name a container records is not the name a learner typed: Podman records
/// the name it resolved (`localhost/busybox:1.36.1` for a local image), and a container run by ID
/// or digest records that. A container run by the name whose tag was rebuilt since runs what the
/// tag named then, not what it names now.
pub(super) async fn image_match(
    ctx: &Ctx<'_>,
    info: &ContainerInspectResponse,
    want: &str,
) -> Result<ImageMatch, EnvError> {
    let recorded = info
        .config
        .as_ref()
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let by_name = crate::docker::same_reference(&recorded, want);
    let runs = info.image.as_deref().unwrap_or_default();
    Ok(judge_image_match(
        by_name,
        runs,
        id_named(ctx, want).await?.as_deref(),
    ))
}

/// [`image_match`] on what was read (no I/O): whether the container's recorded name is `want`,
/// the ID of the image it runs, and the ID `want` names now.
pub fn judge_image_match(by_name: bool, runs: &str, named_now: Option<&str>) -> ImageMatch {
    match named_now {
        Some(now) if same_image_id(runs, now) => ImageMatch::Same,
        Some(now) if by_name => ImageMatch::Rebuilt {
            now: now.to_string(),
        },
        None if by_name => ImageMatch::Same,
        _ => ImageMatch::Other,
    }
}

/// Two image IDs name the same image (with or without the `sha256:` prefix Podman sometimes
/// leaves out); an empty ID matches nothing.
pub fn same_image_id(a: &str, b: &str) -> bool {
    let bare = |s: &str| s.trim().trim_start_matches("sha256:").to_string();
    !bare(a).is_empty() && bare(a) == bare(b)
}

/// The digest the registry serves for `want`, or the error that it could not be asked (a check
/// that cannot read the registry reports an error, never a verdict).
pub(super) async fn registry_served(ctx: &Ctx<'_>, want: &str) -> Result<String, EnvError> {
    served_digest(ctx, want).await.map_err(|why| {
        EnvError::Other(format!(
            "could not ask the registry which image it serves for {want}: {why}"
        ))
    })
}

/// Does the container run the image the registry serves for `want` (that is `served`)? `None`
/// when it does.
pub(super) async fn registry_mismatch(
    ctx: &Ctx<'_>,
    name: &str,
    want: &str,
    served: &str,
    info: &ContainerInspectResponse,
) -> Result<Option<Verdict>, EnvError> {
    let digests = image_of(ctx, info).await?.repo_digests.unwrap_or_default();
    if runs_served(&digests, want, served) {
        return Ok(None);
    }
    let ran = info
        .config
        .as_ref()
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let short = |d: &str| d.chars().take(19).collect::<String>();
    let ran = crate::docker::display_reference(&ran);
    let actual = if digests.is_empty() {
        format!("it runs {ran}, which is not the image the registry serves for {want}: it was made on this machine (built or tagged here)")
    } else {
        format!(
            "it runs {ran}, which is not the image the registry serves for {want} (that is {}; this one is known as {})",
            short(served),
            digests
                .iter()
                .map(|d| match d.split_once('@') {
                    Some((repo, digest)) => format!("{repo}@{}", short(digest)),
                    None => d.clone(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        )
    };
    Ok(Some(
        Verdict::fail(
            format!("{name} runs {want} exactly as the registry serves it ({})", short(served)),
            actual,
        )
        .advise("A rollback runs the release the registry still holds, byte for byte: run it by its name (or digest) from the registry, without rebuilding or retagging anything."),
    ))
}

/// Does the registry serve the very image of `want` (that is `served`) under `other` too? A
/// failure when it does (`other` was made from `want` and pushed again); `None` when they
/// differ, or when the registry serves nothing under `other` (a check of its own says so).
pub(super) async fn registry_same(
    ctx: &Ctx<'_>,
    want: &str,
    served: &str,
    other: &str,
) -> Option<Verdict> {
    let served_other = served_digest(ctx, other).await.ok()?;
    judge_distinct(want, other, served, &served_other)
}

/// The verdict on two references' digests in one registry (no I/O): `None` when they differ.
pub fn judge_distinct(
    want: &str,
    other: &str,
    served: &str,
    served_other: &str,
) -> Option<Verdict> {
    let short = |d: &str| d.chars().take(19).collect::<String>();
    (!served.is_empty() && served == served_other).then(|| {
        Verdict::fail(
            format!("the registry still holds {other} as a release of its own"),
            format!(
                "the registry serves the same image for {other} as for {want} ({}): {other} \
                 was made from {want} and pushed again",
                short(served)
            ),
        )
        .advise("A tag is a label a push can move: pushing the old release under the new tag replaced the new release in the registry. Build and push the new release again under its own tag; a rollback changes what the server runs, never what a tag names.")
    })
}

/// The digest a registry serves for `reference`. A registry on the daemon's loopback (the
/// course's) is asked directly when the daemon is on this machine, accepting every manifest and
/// index type, as a pull would; any other (and every registry of a daemon on another machine,
/// whose loopback dockdojo cannot reach) through the daemon (`docker manifest inspect`'s
/// endpoint, which Podman lacks).
async fn served_digest(ctx: &Ctx<'_>, reference: &str) -> Result<String, String> {
    let direct = loopback_reference(reference).filter(|_| !ctx.engine.endpoint.is_remote());
    if let Some((port, repo, tag)) = direct {
        let accept = "application/vnd.oci.image.index.v1+json, \
            application/vnd.docker.distribution.manifest.list.v2+json, \
            application/vnd.oci.image.manifest.v1+json, \
            application/vnd.docker.distribution.manifest.v2+json";
        let path = format!("/v2/{repo}/manifests/{tag}");
        let (answer, headers) =
            crate::docker::http::get_with("127.0.0.1", port, &path, &[("Accept", accept)]).await;
        return match answer {
            crate::docker::http::Probe::Answer { status: 200, .. } => headers
                .into_iter()
                .find(|(k, _)| k == "docker-content-digest")
                .map(|(_, v)| v)
                .ok_or_else(|| "the registry named no digest".to_string()),
            crate::docker::http::Probe::Answer { status, .. } => {
                Err(format!("the registry answered {status} for {repo}:{tag}"))
            }
            other => Err(format!("no answer from 127.0.0.1:{port}: {other:?}")),
        };
    }
    ctx.engine
        .docker
        .inspect_registry_image(reference, None)
        .await
        .map(|d| d.descriptor.digest.unwrap_or_default())
        .map_err(|e| crate::docker::classify("inspect registry image", &e).to_string())
}

/// `127.0.0.1:18095/app:1.0` → (18095, "app", "1.0"); `None` for any other registry.
pub fn loopback_reference(reference: &str) -> Option<(u16, String, String)> {
    let rest = reference
        .strip_prefix("127.0.0.1:")
        .or_else(|| reference.strip_prefix("localhost:"))?;
    let (port, path) = rest.split_once('/')?;
    let port = port.parse().ok()?;
    let (repo, tag) = match path.split_once('@') {
        Some((repo, digest)) => (repo, digest),
        None => path.rsplit_once(':').unwrap_or((path, "latest")),
    };
    Some((port, repo.to_string(), tag.to_string()))
}

/// Do an image's repo digests (`repo@sha256:…`) include what the registry serves for `want`?
/// `localhost:5000/app` and `127.0.0.1:5000/app` are one registry: pulled as either, an image
/// is what that registry serves.
pub fn runs_served(repo_digests: &[String], want: &str, served: &str) -> bool {
    let want_repo = same_loopback(crate::docker::repository(want));
    !served.is_empty()
        && repo_digests.iter().any(|rd| {
            rd.split_once('@').is_some_and(|(repo, digest)| {
                digest == served && same_loopback(crate::docker::repository(repo)) == want_repo
            })
        })
}

/// A repository with the loopback registry's host spelled one way (`127.0.0.1`).
fn same_loopback(repo: &str) -> String {
    for host in ["localhost:", "[::1]:"] {
        if let Some(rest) = repo.strip_prefix(host) {
            return format!("127.0.0.1:{rest}");
        }
    }
    repo.to_string()
}

/// How a container's command differs from its image's, if it does: `(entrypoint, cmd)` of each.
/// An absent list and an empty one are the same.
pub fn command_override(
    image: (&Option<Vec<String>>, &Option<Vec<String>>),
    container: (&Option<Vec<String>>, &Option<Vec<String>>),
) -> Option<String> {
    let words = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    let show = |v: &[String]| {
        format!(
            "[{}]",
            v.iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if words(image.0) != words(container.0) {
        return Some(format!(
            "its entrypoint was replaced on `docker run --entrypoint`: {} instead of the image's {}",
            show(&words(container.0)),
            show(&words(image.0))
        ));
    }
    if words(image.1) != words(container.1) {
        return Some(format!(
            "its command was replaced on `docker run`: {} instead of the image's {}",
            show(&words(container.1)),
            show(&words(image.1))
        ));
    }
    None
}
