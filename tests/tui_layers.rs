//! `dockdojo layers IMAGE` against the real daemon: an image whose later step deletes a 10 MB file
//! shows the file still shipping in the layer that added it, with sizes and instructions.

mod common;

use common::{dockdojo, docker, text};

/// A test image, removed by its exact tag on drop.
struct Image(String);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = docker(&["rmi", "-f", &self.0]);
    }
}

fn build_bloated() -> Image {
    let tag = format!("dockdojo-test-layers-{}:1", common::short_id());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox:1.36.1\n\
         RUN dd if=/dev/zero of=/big.bin bs=1M count=10 2>/dev/null && echo keep > /keep.txt\n\
         ENV STAGE=cleanup\n\
         RUN rm /big.bin && echo changed > /keep.txt\n",
    )
    .unwrap();
    let image = Image(tag.clone());
    let (ok, out) = docker(&["build", "-q", "-t", &tag, dir.path().to_str().unwrap()]);
    assert!(ok, "docker build failed: {out}");
    image
}

#[test]
fn a_deleted_file_still_ships_in_its_layer() {
    let image = build_bloated();
    let t = tempfile::tempdir().unwrap();
    let o = dockdojo(t.path(), &["layers", &image.0, "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let layers = v["layers"].as_array().unwrap();
    let dd = layers
        .iter()
        .find(|l| l["instruction"].as_str().unwrap().starts_with("RUN dd"))
        .expect("the dd step");
    assert!(dd["size"].as_u64().unwrap() >= 10_000_000, "{dd}");
    let big = &dd["files"][0];
    assert_eq!(big["path"], "/big.bin", "biggest first: {dd}");
    let rm_step = layers
        .iter()
        .find(|l| l["instruction"].as_str().unwrap().starts_with("RUN rm"))
        .expect("the rm step");
    assert_eq!(big["hidden_by"], rm_step["step"]);
    assert_eq!(rm_step["removed"][0]["path"], "/big.bin");
    assert!(rm_step["removed"][0]["hides_bytes"].as_u64().unwrap() >= 10_000_000);
    let env = layers
        .iter()
        .find(|l| l["instruction"] == "ENV STAGE=cleanup")
        .expect("ENV");
    assert_eq!(env["empty"], true);
    assert!(v["hidden_bytes"].as_u64().unwrap() >= 10_000_000, "{v}");
    assert!(v["tags"].as_array().unwrap().iter().any(|t| t == &image.0));

    let o = dockdojo(t.path(), &["layers", &image.0], &[]);
    let out = text(&o);
    assert!(out.contains("/big.bin  deleted in step"), "{out}");
    assert!(
        out.contains("Deleted or replaced later, but still shipped"),
        "{out}"
    );
    assert!(!out.contains("\x1b["), "no colour without a TTY");
}

#[test]
fn base_images_and_missing_ones() {
    let t = tempfile::tempdir().unwrap();
    let o = dockdojo(t.path(), &["layers", "busybox:1.36.1", "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let files = v["layers"][0]["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f["path"] == "/bin/busybox"), "{v}");

    let o = dockdojo(t.path(), &["layers", "dockdojo-test-no-such-image:0"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no local image"), "{}", text(&o));
}
