//! From a saved image to what the explorer shows: every build step with its size and
//! instruction, the files each layer adds (biggest first) and removes, and the bytes that are
//! hidden by a later layer (deleted or replaced) but still ship in the earlier one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::archive::{Kind, LayerListing, Saved};

/// One image, layer by layer.
#[derive(Debug, Clone, Serialize)]
pub struct ImageLayers {
    /// The reference asked for.
    pub image: String,
    pub id: String,
    pub tags: Vec<String>,
    /// Sum of the layer sizes.
    pub size: u64,
    /// Build steps, oldest first; metadata-only steps (ENV, CMD…) are `empty`.
    pub layers: Vec<Layer>,
    /// Files a later layer deleted or replaced, which still ship in an earlier layer.
    pub hidden: Vec<Hidden>,
    pub hidden_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    /// 1-based step number in the image's history.
    pub step: usize,
    pub instruction: String,
    pub size: u64,
    /// A step that changed only metadata and has no filesystem layer.
    pub empty: bool,
    /// Files and links this layer adds or replaces, biggest first (folders are left out).
    pub files: Vec<FileRow>,
    /// Paths this layer deletes (whiteouts), with the bytes each leaves behind in earlier layers.
    pub removed: Vec<RemovedRow>,
    /// Why the layer's contents could not be listed, if they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileRow {
    pub path: String,
    pub size: u64,
    pub kind: Kind,
    /// The later step that deletes or replaces this file (it still ships here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_by: Option<usize>,
    /// That step replaced it (rather than deleting it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replaced_later: bool,
    /// This file replaces one an earlier layer shipped.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replaces: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RemovedRow {
    pub path: String,
    /// Bytes of earlier layers this removal hides (they still ship).
    pub hides_bytes: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub opaque: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hidden {
    pub path: String,
    pub size: u64,
    /// The step whose layer still ships the bytes.
    pub shipped_in: usize,
    /// The step that deleted or replaced it.
    pub hidden_by: usize,
    pub replaced: bool,
}

/// One `docker history` row (oldest first) as the API reports it.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub created_by: String,
    pub size: u64,
    pub comment: String,
}

#[derive(Deserialize, Default)]
struct Config {
    #[serde(default)]
    history: Vec<ConfigHistory>,
}

#[derive(Deserialize)]
struct ConfigHistory {
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    empty_layer: bool,
}

/// Put the archive and the API's history together.
pub fn build(image: &str, id: &str, saved: &Saved, api_history: &[HistoryRow]) -> ImageLayers {
    let entry = saved.manifest.first();
    let layer_paths: Vec<String> = entry.map(|m| m.layers.clone()).unwrap_or_default();
    let tags = entry.and_then(|m| m.repo_tags.clone()).unwrap_or_default();
    let config: Config = entry
        .and_then(|m| saved.json.get(&m.config))
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();

    // Steps: the config's history says which steps made a layer; the API's has the sizes.
    let non_empty = config.history.iter().filter(|h| !h.empty_layer).count();
    let mut steps: Vec<(String, bool)> = if non_empty == layer_paths.len() {
        config
            .history
            .iter()
            .map(|h| (describe(&h.created_by, &h.comment), h.empty_layer))
            .collect()
    } else {
        // No usable history (some imported images): one step per layer.
        (0..layer_paths.len())
            .map(|i| (format!("(layer {}; no build history)", i + 1), false))
            .collect()
    };
    let api_matches = api_history.len() == steps.len();
    if api_matches {
        for (s, h) in steps.iter_mut().zip(api_history) {
            if !h.created_by.is_empty() || !h.comment.is_empty() {
                s.0 = describe(&h.created_by, &h.comment);
            }
        }
    }

    let mut layers = Vec::new();
    let mut next_layer = 0;
    let mut listings: Vec<(usize, Option<&LayerListing>)> = Vec::new();
    for (i, (created_by, empty)) in steps.iter().enumerate() {
        let raw = if *empty {
            None
        } else {
            let r = layer_paths.get(next_layer).and_then(|p| saved.layer(p));
            next_layer += 1;
            listings.push((layers.len(), r.and_then(|r| r.as_ref().ok())));
            r
        };
        let listing = raw.and_then(|r| r.as_ref().ok());
        let listed_size: u64 = listing.map_or(0, |l| l.added.iter().map(|a| a.size).sum());
        let size = if api_matches {
            api_history[i].size
        } else {
            listed_size
        };
        layers.push(Layer {
            step: i + 1,
            instruction: instruction(created_by),
            size,
            empty: *empty,
            files: Vec::new(),
            removed: Vec::new(),
            unreadable: match raw {
                None if !*empty => Some("missing from the saved archive".into()),
                Some(Err(why)) => Some(why.clone()),
                _ => None,
            },
        });
    }

    let hidden = trace_hidden(&mut layers, &listings);
    let hidden_bytes = hidden.iter().map(|h| h.size).sum();
    for l in &mut layers {
        l.files
            .sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    }
    ImageLayers {
        image: image.to_string(),
        id: id.to_string(),
        tags,
        size: layers.iter().map(|l| l.size).sum(),
        layers,
        hidden,
        hidden_bytes,
    }
}

/// Walk the layers in order, keeping the live files; a whiteout or a replacement hides a file
/// from the final filesystem, but its bytes stay in the layer that added it.
fn trace_hidden(layers: &mut [Layer], listings: &[(usize, Option<&LayerListing>)]) -> Vec<Hidden> {
    // path -> (layer index, row index in that layer's files)
    let mut live: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut hidden = Vec::new();
    for (li, listing) in listings {
        let Some(listing) = listing else { continue };
        let step = layers[*li].step;
        for r in &listing.removed {
            let prefix = format!("{}/", r.path.trim_end_matches('/'));
            let gone: Vec<String> = live
                .range(r.path.clone()..)
                .take_while(|(p, _)| p.starts_with(&r.path) || r.path == "/")
                .filter(|(p, _)| *p == &r.path || p.starts_with(&prefix) || r.path == "/")
                .filter(|(p, _)| !(r.opaque && *p == &r.path))
                .map(|(p, _)| p.clone())
                .collect();
            let mut bytes = 0;
            for p in gone {
                if let Some((owner, row)) = live.remove(&p) {
                    let f = &mut layers[owner].files[row];
                    f.hidden_by = Some(step);
                    bytes += f.size;
                    if f.size > 0 {
                        hidden.push(Hidden {
                            path: p,
                            size: f.size,
                            shipped_in: layers[owner].step,
                            hidden_by: step,
                            replaced: false,
                        });
                    }
                }
            }
            layers[*li].removed.push(RemovedRow {
                path: r.path.clone(),
                hides_bytes: bytes,
                opaque: r.opaque,
            });
        }
        for a in &listing.added {
            if a.kind == Kind::Dir {
                continue;
            }
            let mut replaces = false;
            if let Some((owner, row)) = live.remove(&a.path) {
                replaces = true;
                let f = &mut layers[owner].files[row];
                f.hidden_by = Some(step);
                f.replaced_later = true;
                if f.size > 0 {
                    hidden.push(Hidden {
                        path: a.path.clone(),
                        size: f.size,
                        shipped_in: layers[owner].step,
                        hidden_by: step,
                        replaced: true,
                    });
                }
            }
            let files = &mut layers[*li].files;
            files.push(FileRow {
                path: a.path.clone(),
                size: a.size,
                kind: a.kind,
                hidden_by: None,
                replaced_later: false,
                replaces,
            });
            live.insert(a.path.clone(), (*li, files.len() - 1));
        }
    }
    hidden.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    hidden
}

/// What made a step: its instruction, else (an imported image) its comment.
fn describe(created_by: &str, comment: &str) -> String {
    match (created_by.trim().is_empty(), comment.trim().is_empty()) {
        (false, _) => created_by.to_string(),
        (true, false) => format!("(imported) {}", comment.trim()),
        (true, true) => "(imported; no instruction recorded)".to_string(),
    }
}

/// `created_by` as a learner would write it in a Dockerfile.
pub fn instruction(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s.strip_suffix("# buildkit").unwrap_or(s).trim();
    // Classic builder: `/bin/sh -c #(nop)  CMD ["sh"]` is metadata, `/bin/sh -c cmd` is RUN.
    // Build args come first: `|2 A=1 B=2 /bin/sh -c …`.
    let s = match s.strip_prefix('|') {
        Some(rest) => rest
            .split_once(" /bin/sh -c ")
            .map(|(_, cmd)| format!("/bin/sh -c {cmd}"))
            .unwrap_or_else(|| s.to_string()),
        None => s.to_string(),
    };
    let s = s.as_str();
    if let Some(rest) = s.strip_prefix("/bin/sh -c #(nop)") {
        return without_source_hash(rest.trim());
    }
    if let Some(rest) = s.strip_prefix("/bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    // BuildKit: `RUN /bin/sh -c apk add …`.
    if let Some(rest) = s.strip_prefix("RUN /bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The classic builder records `COPY file:6e3f… in /app` (or `dir:`, `multi:`; a SHA-256 in hex)
/// for the sources it hashed: shown as `COPY … /app`, the way the learner wrote it bar the source names.
fn without_source_hash(instr: &str) -> String {
    let words: Vec<&str> = instr.split_whitespace().collect();
    let (Some(&kind), true) = (words.first(), words.len() >= 4) else {
        return instr.to_string();
    };
    if kind != "COPY" && kind != "ADD" {
        return instr.to_string();
    }
    let hashed = |w: &str| {
        ["file:", "dir:", "multi:"].iter().any(|p| {
            w.strip_prefix(p)
                .is_some_and(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()))
        })
    };
    let n = words.len();
    if words[n - 2] != "in" || !hashed(words[n - 3]) {
        return instr.to_string();
    }
    let mut out: Vec<&str> = words[..n - 3].to_vec();
    out.extend(["…", words[n - 1]]);
    out.join(" ")
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
