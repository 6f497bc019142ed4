//! Inspecting a container that may not exist.

use bollard::models::ContainerInspectResponse;

use crate::docker::{deadline, is_not_found, Engine};
use crate::error::EnvError;

/// Inspect a container by id or name; `None` when there is none.
pub async fn container(
    engine: &Engine,
    target: &str,
) -> Result<Option<ContainerInspectResponse>, EnvError> {
    match tokio::time::timeout(
        deadline::QUICK,
        crate::docker::inspect_container(&engine.docker, target),
    )
    .await
    {
        Err(_) => Err(EnvError::Deadline {
            what: "inspect container".into(),
            deadline: deadline::QUICK,
        }),
        Ok(Err(e)) if is_not_found(&e) => Ok(None),
        Ok(r) => r
            .map(Some)
            .map_err(|e| crate::docker::classify("inspect container", &e)),
    }
}

/// List containers (`all`: stopped ones too), filtered as the API filters them (`label`,
/// `status`…; none for every running container), through the daemon's transient states.
pub async fn containers(
    engine: &Engine,
    all: bool,
    filters: &[(&str, Vec<String>)],
) -> Result<Vec<bollard::models::ContainerSummary>, EnvError> {
    let filters: std::collections::HashMap<&str, Vec<String>> = filters.iter().cloned().collect();
    let mut opts = bollard::query_parameters::ListContainersOptionsBuilder::new().all(all);
    if !filters.is_empty() {
        opts = opts.filters(&filters);
    }
    let opts = opts.build();
    crate::docker::call(
        "list containers",
        deadline::QUICK,
        crate::docker::through_transient_states(|| {
            engine.docker.list_containers(Some(opts.clone()))
        }),
    )
    .await
}
