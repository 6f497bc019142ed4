//! The layer explorer: where an image's bytes come from. For any local image, every build step
//! with its size and instruction (`docker history`), and the files each layer adds and removes,
//! read from the image's `docker save` archive as it streams. It shows where the bloat is, and
//! that a file deleted in a later step still ships in the layer that added it.

pub mod archive;
pub mod model;

use bollard::Docker;

use checker::docker::{call, classify, deadline, is_not_found};
use checker::EnvError;

pub use model::ImageLayers;

#[derive(Debug, thiserror::Error)]
pub enum LayersError {
    #[error("there is no local image '{0}'. `docker images` lists them; the explorer only reads images already on this machine")]
    NotFound(String),
    #[error(transparent)]
    Env(#[from] EnvError),
    #[error("could not read the saved image: {0}")]
    Read(#[from] std::io::Error),
}

/// Explore one local image.
pub async fn explore(docker: &Docker, image: &str) -> Result<ImageLayers, LayersError> {
    let inspected = match docker.inspect_image(image).await {
        Ok(i) => i,
        Err(e) if is_not_found(&e) => return Err(LayersError::NotFound(image.to_string())),
        Err(e) => return Err(classify("inspect image", &e).into()),
    };
    let id = inspected.id.unwrap_or_default();
    let history = call(
        "image history",
        deadline::QUICK,
        docker.image_history(image),
    )
    .await?;
    let rows: Vec<model::HistoryRow> = history
        .iter()
        .rev()
        .map(|h| model::HistoryRow {
            created_by: h.created_by.clone(),
            size: h.size.max(0) as u64,
            comment: h.comment.clone(),
        })
        .collect();

    let saved =
        checker::docker::save::export(docker, image, checker::docker::save::list_layer).await??;
    let mut out = model::build(image, &id, &saved, &rows);
    if out.tags.is_empty() {
        out.tags = inspected.repo_tags.unwrap_or_default();
    }
    Ok(out)
}

/// Sizes the way `docker images` prints them (powers of 1000).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if v >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_docker_images() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_980_000), "2.0 MB");
        assert_eq!(human_size(325_000_000), "325 MB");
        assert_eq!(human_size(12_345), "12.3 kB");
    }
}
