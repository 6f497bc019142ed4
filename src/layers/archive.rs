//! Reading a `docker save` archive as it streams: the manifest, the image config and, for every
//! layer tar, the files it adds and the whiteouts that remove earlier files. Both layouts are
//! understood: the classic one (`<id>/layer.tar`) and the OCI one of newer engines
//! (`blobs/sha256/<hash>`, possibly gzip-compressed when the containerd image store keeps pulled
//! blobs as they came).

use std::collections::HashMap;
use std::io::{self, Read};

use serde::Deserialize;

/// What one entry of a layer tar is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Other,
}

/// A path a layer puts into the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// Absolute, without a trailing slash (`/usr/bin/gcc`).
    pub path: String,
    pub size: u64,
    pub kind: Kind,
}

/// A path a layer removes from what earlier layers shipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub path: String,
    /// An opaque whiteout (`.wh..wh..opq`): everything earlier layers had under this folder.
    pub opaque: bool,
}

/// The listing of one layer tar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerListing {
    pub added: Vec<Added>,
    pub removed: Vec<Removed>,
    /// The layer blob could not be read as a tar (an unsupported compression).
    pub unreadable: Option<String>,
}

/// One image's entry in `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    pub layers: Vec<String>,
}

/// The parts of an archive the explorer needs.
#[derive(Debug, Default)]
pub struct Saved {
    pub manifest: Vec<ManifestEntry>,
    /// Small JSON documents by archive path (image configs among them).
    pub json: HashMap<String, Vec<u8>>,
    /// Layer listings by archive path.
    pub layers: HashMap<String, LayerListing>,
    /// Archive symlinks (the classic layout links a repeated layer to its first copy).
    pub links: HashMap<String, String>,
}

impl Saved {
    /// The listing for a manifest layer path, following archive symlinks.
    pub fn layer(&self, path: &str) -> Option<&LayerListing> {
        let mut p = path.to_string();
        for _ in 0..8 {
            if let Some(l) = self.layers.get(&p) {
                return Some(l);
            }
            let target = self.links.get(&p)?;
            p = resolve_link(&p, target);
        }
        None
    }
}

/// JSON documents larger than this are not configs; they are skipped.
const MAX_JSON: u64 = 16 << 20;

/// Read a whole `docker save` stream.
pub fn read_saved(reader: impl Read) -> io::Result<Saved> {
    let mut saved = Saved::default();
    let mut outer = tar::Archive::new(reader);
    for entry in outer.entries()? {
        let mut entry = entry?;
        let path = normalize(&entry.path()?.to_string_lossy());
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            if let Some(target) = entry.link_name()? {
                saved
                    .links
                    .insert(path, target.to_string_lossy().to_string());
            }
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let size = entry.header().size().unwrap_or(0);
        if path == "manifest.json" {
            let mut buf = Vec::new();
            entry.read_to_end(&mut buf)?;
            saved.manifest = serde_json::from_slice(&buf).map_err(io::Error::other)?;
            continue;
        }
        // Peek at the start to tell JSON, gzip and tar apart.
        let mut head = Vec::with_capacity(512);
        (&mut entry).take(512).read_to_end(&mut head)?;
        let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
        if first == Some(b'{') || first == Some(b'[') {
            if size <= MAX_JSON {
                let mut buf = head;
                entry.read_to_end(&mut buf)?;
                saved.json.insert(path, buf);
            }
            continue;
        }
        let rest = io::Cursor::new(head.clone()).chain(&mut entry);
        let listing = if head.starts_with(&[0x1f, 0x8b]) {
            list_layer(flate2::read::GzDecoder::new(rest))
        } else if is_tar(&head) {
            list_layer(rest)
        } else if path.ends_with("layer.tar") || path.starts_with("blobs/") {
            Ok(LayerListing {
                unreadable: Some(
                    "not a tar (compressed in a format dockdojo does not read)".into(),
                ),
                ..LayerListing::default()
            })
        } else {
            continue;
        };
        match listing {
            Ok(l) => {
                saved.layers.insert(path, l);
            }
            Err(e) => {
                saved.layers.insert(
                    path,
                    LayerListing {
                        unreadable: Some(format!("could not read it: {e}")),
                        ..LayerListing::default()
                    },
                );
            }
        }
        // Whatever the inner reader left unread is skipped by the outer archive.
    }
    Ok(saved)
}

fn is_tar(head: &[u8]) -> bool {
    // ustar magic at 257; an all-zero first block is an empty tar.
    head.get(257..262) == Some(b"ustar") || (head.len() >= 512 && head.iter().all(|b| *b == 0))
}

/// List one layer tar: added paths with sizes, whiteouts as removals.
pub fn list_layer(reader: impl Read) -> io::Result<LayerListing> {
    let mut out = LayerListing::default();
    let mut a = tar::Archive::new(reader);
    for entry in a.entries()? {
        let entry = entry?;
        let raw = entry.path()?.to_string_lossy().to_string();
        let path = format!("/{}", normalize(&raw));
        let (dir, name) = match path.rsplit_once('/') {
            Some((d, n)) => (d, n),
            None => ("", path.as_str()),
        };
        if name == ".wh..wh..opq" {
            out.removed.push(Removed {
                path: if dir.is_empty() {
                    "/".into()
                } else {
                    dir.into()
                },
                opaque: true,
            });
            continue;
        }
        if let Some(gone) = name.strip_prefix(".wh.") {
            out.removed.push(Removed {
                path: format!("{dir}/{gone}"),
                opaque: false,
            });
            continue;
        }
        if path == "/" {
            continue;
        }
        let t = entry.header().entry_type();
        let kind = if t.is_file() {
            Kind::File
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_symlink() {
            Kind::Symlink
        } else if t.is_hard_link() {
            Kind::Hardlink
        } else {
            Kind::Other
        };
        let size = if kind == Kind::File {
            entry.header().size().unwrap_or(0)
        } else {
            0
        };
        out.added.push(Added { path, size, kind });
    }
    Ok(out)
}

/// `./a/b/` → `a/b`.
fn normalize(p: &str) -> String {
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

/// Resolve an archive symlink target relative to the link's folder.
fn resolve_link(link: &str, target: &str) -> String {
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_relative_to_their_folder() {
        assert_eq!(
            resolve_link("abc/layer.tar", "../def/layer.tar"),
            "def/layer.tar"
        );
        assert_eq!(
            resolve_link("blobs/sha256/x", "y"),
            "blobs/sha256/y".to_string()
        );
    }

    #[test]
    fn whiteouts_are_removals() {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |path: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, path, data).unwrap();
        };
        add("etc/.wh.passwd", b"");
        add("var/cache/.wh..wh..opq", b"");
        add("app/big.bin", &[0u8; 1000]);
        let l = list_layer(&b.into_inner().unwrap()[..]).unwrap();
        assert_eq!(
            l.removed,
            vec![
                Removed {
                    path: "/etc/passwd".into(),
                    opaque: false
                },
                Removed {
                    path: "/var/cache".into(),
                    opaque: true
                }
            ]
        );
        assert_eq!(l.added[0].path, "/app/big.bin");
        assert_eq!(l.added[0].size, 1000);
    }
}
