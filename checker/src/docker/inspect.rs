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
