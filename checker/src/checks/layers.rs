//! The `layers` check: every layer of an image, as `docker save` ships it, scanned for paths and
//! text. A file deleted in a later layer is still in the earlier one, and still ships.

use std::io::{Read, Seek, Write};

use futures_util::StreamExt;

use crate::engine::{Ctx, Verdict};
use crate::error::EnvError;
use crate::spec::LayersCheck;

/// One layer: its position, the instruction that made it, and what it holds.
pub struct Finding {
    pub layer: usize,
    pub instruction: String,
    pub path: String,
    pub what: String,
}

/// Write `docker save` of an image to a temp file.
pub async fn save_image(ctx: &Ctx<'_>, image: &str) -> Result<std::fs::File, EnvError> {
    let mut file = tempfile::tempfile().map_err(|e| EnvError::Other(format!("temp file: {e}")))?;
    let mut s = ctx.engine.docker.export_image(image);
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        match tokio::time::timeout_at(until, s.next()).await {
            Err(_) => {
                return Err(EnvError::Deadline {
                    what: "save image".into(),
                    deadline: std::time::Duration::from_secs(300),
                })
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(crate::docker::classify("save image", &e)),
            Ok(Some(Ok(b))) => file
                .write_all(&b)
                .map_err(|e| EnvError::Other(format!("writing the saved image: {e}")))?,
        }
    }
    file.rewind().map_err(|e| EnvError::Other(e.to_string()))?;
    Ok(file)
}

/// The layer tars of a saved image, in order (from manifest.json), with the instruction that made
/// each (from the image config's history, skipping entries marked `empty_layer`).
pub fn layer_tars(
    saved: &mut std::fs::File,
) -> std::io::Result<(Vec<Vec<u8>>, Vec<String>, String)> {
    let mut manifest = None;
    let mut files: std::collections::HashMap<String, Vec<u8>> = std::collections::HashMap::new();
    let mut blobs = std::collections::HashMap::new();
    // Podman's archives keep each layer as `<digest>.tar` at the top and make `<id>/layer.tar` a
    // symlink to it: links are followed when the manifest names them.
    let mut links = std::collections::HashMap::new();
    let mut a = tar::Archive::new(saved);
    for e in a.entries()? {
        let mut e = e?;
        let name = e.path()?.display().to_string();
        let mut buf = Vec::new();
        if e.header().entry_type().is_symlink() {
            if let Some(target) = e.link_name()? {
                links.insert(
                    name.clone(),
                    resolve_link(&name, &target.display().to_string()),
                );
            }
        } else if name == "manifest.json" {
            e.read_to_end(&mut buf)?;
            manifest = Some(buf);
        } else if name.ends_with(".tar") || name.starts_with("blobs/") {
            e.read_to_end(&mut buf)?;
            blobs.insert(name, buf);
        } else if name.ends_with(".json") {
            e.read_to_end(&mut buf)?;
            files.insert(name, buf);
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&manifest.unwrap_or_default()).unwrap_or_default();
    let layers = manifest
        .get(0)
        .and_then(|m| m.get("Layers"))
        .and_then(|l| l.as_array())
        .cloned()
        .unwrap_or_default();
    let config_name = manifest
        .get(0)
        .and_then(|m| m.get("Config"))
        .and_then(|c| c.as_str())
        .unwrap_or_default();
    let config: serde_json::Value = files
        .get(config_name)
        .or_else(|| blobs.get(config_name))
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    let instructions = config
        .get("history")
        .and_then(|h| h.as_array())
        .map(|h| {
            h.iter()
                .filter(|e| {
                    !e.get("empty_layer")
                        .and_then(|x| x.as_bool())
                        .unwrap_or(false)
                })
                .map(|e| {
                    clean_instruction(e.get("created_by").and_then(|c| c.as_str()).unwrap_or(""))
                })
                .collect()
        })
        .unwrap_or_default();
    let names: Vec<String> = layers
        .iter()
        .filter_map(|l| l.as_str())
        .map(|n| links.get(n).cloned().unwrap_or_else(|| n.to_string()))
        .collect();
    let mut tars = Vec::new();
    for (i, n) in names.iter().enumerate() {
        // Two layers with the same content can be one blob: take it at its last use only.
        let used_again = names[i + 1..].contains(n);
        let tar = if used_again {
            blobs.get(n).cloned()
        } else {
            blobs.remove(n)
        };
        tars.extend(tar);
    }
    // The config travels with the image too: ENV, LABEL, and ARG values recorded in its history.
    let config_text = [
        config
            .pointer("/config/Env")
            .map(|v| v.to_string())
            .unwrap_or_default(),
        config
            .pointer("/config/Labels")
            .map(|v| v.to_string())
            .unwrap_or_default(),
        config
            .get("history")
            .map(|v| v.to_string())
            .unwrap_or_default(),
    ]
    .join("\n");
    Ok((tars, instructions, config_text))
}

/// The archive path a symlink at `link` pointing to `target` names (`a/layer.tar` →
/// `../b.tar` gives `b.tar`).
fn resolve_link(link: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        link.split('/').collect()
    };
    parts.pop();
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn clean_instruction(created_by: &str) -> String {
    let c = created_by
        .replace("/bin/sh -c #(nop) ", "")
        .replace("/bin/sh -c ", "RUN ");
    c.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Scan layer tars for the check's paths and text.
pub fn scan(layers: &[Vec<u8>], spec: &LayersCheck) -> Vec<(usize, String, String)> {
    let mut found = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let mut a = tar::Archive::new(&layer[..]);
        let Ok(entries) = a.entries() else { continue };
        for e in entries.flatten() {
            let Ok(p) = e.path() else { continue };
            let path = format!("/{}", p.display().to_string().trim_start_matches("./"));
            if path.contains("/.wh.") {
                continue;
            }
            if let Some(want) = spec
                .absent_paths
                .iter()
                .find(|w| path.trim_end_matches('/') == w.trim_end_matches('/'))
            {
                found.push((i, path.clone(), format!("the file {want}")));
            }
            if !spec.absent_text.is_empty()
                && e.header().entry_type().is_file()
                && e.size() <= 4 * 1024 * 1024
            {
                let mut e = e;
                let mut buf = Vec::new();
                if e.read_to_end(&mut buf).is_ok() {
                    let text = String::from_utf8_lossy(&buf);
                    for t in &spec.absent_text {
                        if text.contains(t.as_str()) {
                            found.push((i, path.clone(), format!("the text \"{t}\"")));
                        }
                    }
                }
            }
        }
    }
    found
}

pub async fn layers(ctx: &mut Ctx<'_>, spec: &LayersCheck) -> Result<Verdict, EnvError> {
    let image = ctx.image_ref(&spec.image);
    let mut what: Vec<String> = spec.absent_paths.clone();
    what.extend(spec.absent_text.iter().map(|t| format!("\"{t}\"")));
    let expected = format!("no layer of the image contains {}", what.join(", "));
    let mut saved = save_image(ctx, &image).await?;
    let (layers, instr, config_text) = layer_tars(&mut saved)
        .map_err(|e| EnvError::Other(format!("reading the saved image: {e}")))?;
    if let Some(t) = spec
        .absent_text
        .iter()
        .find(|t| config_text.contains(t.as_str()))
    {
        return Ok(Verdict::fail(
            expected,
            format!("the image's configuration holds \"{t}\" (an ENV, a LABEL, or an ARG recorded in its build history)"),
        )
        .advise("Anyone with the image can read its config: `docker history --no-trunc` and `docker inspect` show ENV, LABEL and build-ARG values. Pass secrets at run time, never as build arguments or ENV."));
    }
    let found = scan(&layers, spec);
    if found.is_empty() {
        return Ok(Verdict::pass(
            expected,
            format!("scanned {} layers", layers.len()),
        ));
    }
    let (i, path, thing) = &found[0];
    let made_by = instr
        .get(*i)
        .map(|s| format!(" (made by `{}`)", truncate(s, 140)))
        .unwrap_or_default();
    let later = if *i + 1 < layers.len() {
        format!(
            "; {} later layer(s) cannot take it out again",
            layers.len() - i - 1
        )
    } else {
        String::new()
    };
    let v = Verdict::fail(
        expected,
        format!(
            "layer {} of {}{made_by} contains {thing} at {path}{later}",
            i + 1,
            layers.len()
        ),
    );
    Ok(if later.is_empty() {
        v.advise("Keep it out of the image entirely: .dockerignore it, or use it only in a build stage that is not shipped.")
    } else {
        v.advise("Deleting a file in a later step only hides it: the layer that added it still ships, and `docker save` or `dockdojo layers` shows it. Keep it out of every layer: .dockerignore it, or use it only in a build stage that is not shipped.")
    })
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod podman_archive_tests {
    use super::*;

    #[test]
    fn layer_symlinks_are_followed() {
        assert_eq!(resolve_link("abc/layer.tar", "../def.tar"), "def.tar");
        assert_eq!(resolve_link("abc/layer.tar", "def.tar"), "abc/def.tar");
        assert_eq!(resolve_link("abc/layer.tar", "/x/y.tar"), "x/y.tar");
    }

    /// A `docker save` archive as Podman 4.3 writes it: the layer is `<digest>.tar` at the top,
    /// `<id>/layer.tar` a symlink to it.
    #[test]
    fn podman_archives_yield_their_layers() {
        let mut layer = tar::Builder::new(Vec::new());
        let secret = b"TOKEN=dojo-secret-123\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(secret.len() as u64);
        h.set_mode(0o644);
        layer.append_data(&mut h, "app/.env", &secret[..]).unwrap();
        let layer = layer.into_inner().unwrap();
        let config =
            br#"{"config":{},"history":[{"created_by":"/bin/sh -c #(nop) COPY dir:1 in /app"}]}"#;
        let manifest = br#"[{"Config":"cfg.json","Layers":["id1/layer.tar"]}]"#;
        let mut outer = tar::Builder::new(Vec::new());
        for (name, data) in [
            ("d1.tar", &layer[..]),
            ("cfg.json", &config[..]),
            ("manifest.json", &manifest[..]),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o444);
            outer.append_data(&mut h, name, data).unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        outer
            .append_link(&mut h, "id1/layer.tar", "../d1.tar")
            .unwrap();
        let bytes = outer.into_inner().unwrap();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&bytes).unwrap();
        f.rewind().unwrap();
        let (tars, instructions, _) = layer_tars(&mut f).unwrap();
        assert_eq!(tars.len(), 1);
        assert_eq!(tars[0], layer);
        assert_eq!(instructions, ["COPY dir:1 in /app"]);
    }
}
