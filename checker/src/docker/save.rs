//! Reading a `docker save` archive, in every form engines write it, as it streams.
//!
//! The forms: the classic one (`<id>/layer.tar` plus `manifest.json`, Engine before 25), the
//! same with Podman's symlinked layers, and the OCI image layout (`index.json`, `blobs/sha256/…`)
//! that Engine 25+ writes, with or without a `manifest.json` beside it. Under the containerd
//! image store the layer blobs are kept as they were pulled or built: gzip- or zstd-compressed.
//! An index may name several manifests: attestation manifests (BuildKit's provenance) are
//! skipped, and the one for this machine's platform is preferred.
//!
//! One pass reads the stream: small JSON documents are kept, and every layer blob is decoded and
//! handed to a visitor (the layer check scans contents; the layer explorer lists paths). Nothing
//! is ever silently skipped: a layer blob the reader cannot decode is kept as an error, and the
//! image's layers are looked up from its manifest, so a missing or unreadable layer is an error
//! for the caller, never an empty layer.

use std::collections::HashMap;
use std::io::{self, Read};

use serde::Deserialize;

/// One image's entry in `manifest.json` (or the same, resolved from `index.json`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The archive path of the image config.
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    /// The archive paths of the layer blobs, bottom first.
    #[serde(rename = "Layers")]
    pub layers: Vec<String>,
}

/// What the visitor made of each layer blob, or why it could not.
pub type LayerResult<L> = Result<L, String>;

/// The parts of an archive a reader needs.
#[derive(Debug)]
pub struct Saved<L> {
    /// Images in the archive, from `manifest.json` or, without one, from `index.json`.
    pub manifest: Vec<ManifestEntry>,
    /// Small JSON documents by archive path (configs, manifests, indexes).
    pub json: HashMap<String, Vec<u8>>,
    /// Each layer blob by archive path.
    pub layers: HashMap<String, LayerResult<L>>,
    /// Archive symlinks (the classic layout links a repeated layer to its first copy; Podman
    /// links `<id>/layer.tar` to `<digest>.tar`).
    pub links: HashMap<String, String>,
}

impl<L> Default for Saved<L> {
    fn default() -> Self {
        Self {
            manifest: Vec::new(),
            json: HashMap::new(),
            layers: HashMap::new(),
            links: HashMap::new(),
        }
    }
}

impl<L> Saved<L> {
    /// The blob at a manifest layer path, following archive symlinks.
    pub fn layer(&self, path: &str) -> Option<&LayerResult<L>> {
        let mut p = normalize(path);
        for _ in 0..8 {
            if let Some(l) = self.layers.get(&p) {
                return Some(l);
            }
            let target = self.links.get(&p)?;
            p = resolve_link(&p, target);
        }
        None
    }

    /// The first image's config document, parsed.
    pub fn config(&self) -> Option<serde_json::Value> {
        let entry = self.manifest.first()?;
        serde_json::from_slice(self.json.get(&normalize(&entry.config))?).ok()
    }

    /// The first image's layers in order, each what the visitor made of it. An error names the
    /// layer (1-based) that is missing from the archive or could not be decoded.
    pub fn image_layers(&self) -> Result<Vec<&L>, String> {
        let entry = self
            .manifest
            .first()
            .ok_or("the archive names no image (no manifest.json, no usable index.json)")?;
        entry
            .layers
            .iter()
            .enumerate()
            .map(|(i, path)| match self.layer(path) {
                Some(Ok(l)) => Ok(l),
                Some(Err(why)) => Err(format!("layer {} ({path}): {why}", i + 1)),
                None => Err(format!(
                    "layer {} ({path}) is missing from the archive",
                    i + 1
                )),
            })
            .collect()
    }
}

/// JSON documents larger than this are not configs or manifests; they are skipped.
const MAX_JSON: u64 = 16 << 20;

/// How a blob's first bytes say it is stored.
#[derive(Debug, PartialEq, Eq)]
enum Form {
    Json,
    Tar,
    Gzip,
    Zstd,
    Unknown,
}

fn form(head: &[u8]) -> Form {
    let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
    if head.starts_with(&[0x1f, 0x8b]) {
        Form::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Form::Zstd
    } else if is_tar(head) {
        Form::Tar
    } else if first == Some(b'{') || first == Some(b'[') {
        Form::Json
    } else {
        Form::Unknown
    }
}

fn is_tar(head: &[u8]) -> bool {
    // ustar magic at 257 (POSIX "ustar\0" and GNU "ustar "); an all-zero first block is an empty
    // tar (a layer that changes no file, as BuildKit writes for WORKDIR).
    head.get(257..262) == Some(b"ustar") || (head.len() >= 512 && head.iter().all(|b| *b == 0))
}

/// Read a whole `docker save` stream, handing each layer blob, decompressed, to `visit`.
pub fn read<L>(
    reader: impl Read,
    mut visit: impl FnMut(&mut dyn Read) -> io::Result<L>,
) -> io::Result<Saved<L>> {
    let mut saved = Saved::default();
    let mut manifest_json = None;
    let mut outer = tar::Archive::new(reader);
    for entry in outer.entries()? {
        let mut entry = entry?;
        let path = normalize(&entry.path()?.to_string_lossy());
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            if let Some(target) = entry.link_name()? {
                let target = target.to_string_lossy().to_string();
                // Hard link names are relative to the archive's root; symlinks to their folder.
                let target = if kind.is_hard_link() {
                    format!("/{target}")
                } else {
                    target
                };
                saved.links.insert(path, target);
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
            manifest_json = Some(buf);
            continue;
        }
        let mut head = Vec::with_capacity(512);
        (&mut entry).take(512).read_to_end(&mut head)?;
        let form = form(&head);
        if form == Form::Json {
            if size <= MAX_JSON {
                let mut buf = head;
                entry.read_to_end(&mut buf)?;
                saved.json.insert(path, buf);
            }
            continue;
        }
        let is_blob = path.ends_with(".tar") || path.starts_with("blobs/");
        if !is_blob {
            continue;
        }
        let mut rest = io::Cursor::new(head).chain(&mut entry);
        let result = match form {
            Form::Tar => visit(&mut rest).map_err(|e| format!("could not read it: {e}")),
            Form::Gzip => visit(&mut flate2::read::MultiGzDecoder::new(rest))
                .map_err(|e| format!("could not decompress it (gzip): {e}")),
            Form::Zstd => match ruzstd::decoding::StreamingDecoder::new(rest) {
                Ok(mut d) => {
                    visit(&mut d).map_err(|e| format!("could not decompress it (zstd): {e}"))
                }
                Err(e) => Err(format!("could not decompress it (zstd): {e}")),
            },
            Form::Json | Form::Unknown => {
                Err("not a tar, gzip or zstd stream (a form dockdojo does not read)".into())
            }
        };
        saved.layers.insert(path, result);
        // Whatever the visitor left unread is skipped by the outer archive.
    }
    saved.manifest = match manifest_json {
        Some(buf) => serde_json::from_slice(&buf).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("manifest.json is not a docker save manifest: {e}"),
            )
        })?,
        None => from_index(&saved.json),
    };
    Ok(saved)
}

/// An OCI descriptor, the parts we read.
#[derive(Debug, Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    annotations: HashMap<String, String>,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Debug, Deserialize)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
}

#[derive(Debug, Deserialize)]
struct OciDoc {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    #[serde(default)]
    manifests: Vec<Descriptor>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// `sha256:abc` → `blobs/sha256/abc`.
fn blob_path(digest: &str) -> String {
    let (alg, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
    format!("blobs/{alg}/{hex}")
}

fn is_attestation(d: &Descriptor) -> bool {
    d.annotations
        .get("vnd.docker.reference.type")
        .is_some_and(|t| t == "attestation-manifest")
        || d.platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
}

fn this_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        other => other,
    }
}

/// The images an OCI layout's `index.json` leads to, one per top-level entry.
fn from_index(json: &HashMap<String, Vec<u8>>) -> Vec<ManifestEntry> {
    let Some(index) = json
        .get("index.json")
        .and_then(|b| serde_json::from_slice::<OciDoc>(b).ok())
    else {
        return Vec::new();
    };
    index
        .manifests
        .iter()
        .filter_map(|d| {
            let name = d
                .annotations
                .get("io.containerd.image.name")
                .or_else(|| d.annotations.get("org.opencontainers.image.ref.name"))
                .cloned();
            let mut entry = resolve(json, d, 0)?;
            entry.repo_tags = name.map(|n| vec![n]);
            Some(entry)
        })
        .collect()
}

/// Follow a descriptor through nested indexes to one image manifest.
fn resolve(json: &HashMap<String, Vec<u8>>, d: &Descriptor, depth: usize) -> Option<ManifestEntry> {
    if depth > 4 || is_attestation(d) {
        return None;
    }
    let doc: OciDoc = serde_json::from_slice(json.get(&blob_path(&d.digest))?).ok()?;
    let is_index = !doc.manifests.is_empty()
        || doc.media_type.contains("index")
        || doc.media_type.contains("manifest.list")
        || d.media_type.contains("index")
        || d.media_type.contains("manifest.list");
    if is_index {
        let wanted = |m: &&&Descriptor| {
            m.platform
                .as_ref()
                .is_some_and(|p| p.architecture == this_arch())
        };
        let candidates: Vec<&Descriptor> = doc
            .manifests
            .iter()
            .filter(|m| !is_attestation(m))
            .collect();
        let pick = candidates
            .iter()
            .find(wanted)
            .or_else(|| candidates.first())?;
        return resolve(json, pick, depth + 1);
    }
    Some(ManifestEntry {
        config: blob_path(&doc.config?.digest),
        repo_tags: None,
        layers: doc.layers.iter().map(|l| blob_path(&l.digest)).collect(),
    })
}

/// `./a/b/` → `a/b`.
pub fn normalize(p: &str) -> String {
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

/// The archive path a link at `link` pointing to `target` names: relative to the link's folder
/// (`a/layer.tar` → `../b.tar` gives `b.tar`), or from the archive's root when it starts with `/`.
pub fn resolve_link(link: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = link.split('/').collect();
        p.pop();
        p
    };
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
}

/// One entry of a layer tar as a layer means it.
pub enum Change {
    /// A whiteout: the path (or, opaque, everything under the folder) is removed.
    Removed(Removed),
    /// The entry adds this absolute path.
    Added(String),
}

/// What an entry at `raw` (a path inside a layer tar) does.
pub fn change(raw: &str) -> Option<Change> {
    let path = format!("/{}", normalize(raw));
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
    if name == ".wh..wh..opq" {
        let folder = if dir.is_empty() { "/" } else { dir };
        return Some(Change::Removed(Removed {
            path: folder.into(),
            opaque: true,
        }));
    }
    if let Some(gone) = name.strip_prefix(".wh.") {
        return Some(Change::Removed(Removed {
            path: format!("{dir}/{gone}"),
            opaque: false,
        }));
    }
    (path != "/").then_some(Change::Added(path))
}

/// List one layer tar: added paths with sizes, whiteouts as removals.
pub fn list_layer(reader: &mut dyn Read) -> io::Result<LayerListing> {
    let mut out = LayerListing::default();
    let mut a = tar::Archive::new(reader);
    for entry in a.entries()? {
        let entry = entry?;
        let raw = entry.path()?.to_string_lossy().to_string();
        let path = match change(&raw) {
            None => continue,
            Some(Change::Removed(r)) => {
                out.removed.push(r);
                continue;
            }
            Some(Change::Added(p)) => p,
        };
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

/// A long save (a compiler toolchain image) still has to end: one deadline for the whole stream.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(300);

/// `docker save` of one image, read as it streams (on a blocking thread), each layer handed to
/// `visit`. The outer error is Docker's (unreachable, deadline, no such image); the inner one is
/// an archive that could not be read at all.
pub async fn export<L, F>(
    docker: &bollard::Docker,
    image: &str,
    visit: F,
) -> Result<io::Result<Saved<L>>, crate::error::EnvError>
where
    L: Send + 'static,
    F: FnMut(&mut dyn Read) -> io::Result<L> + Send + 'static,
{
    use futures_util::StreamExt;
    let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(32);
    let reader = tokio::task::spawn_blocking(move || read(ChannelReader::new(rx), visit));
    let mut stream = docker.export_image(image);
    let until = tokio::time::Instant::now() + DEADLINE;
    let mut failed = None;
    loop {
        match tokio::time::timeout_at(until, stream.next()).await {
            Err(_) => {
                failed = Some(crate::error::EnvError::Deadline {
                    what: "save image".into(),
                    deadline: DEADLINE,
                });
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                failed = Some(super::classify("save image", &e));
                break;
            }
            Ok(Some(Ok(chunk))) => {
                // The reader stops early only on a read error, reported below.
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
        }
    }
    drop(tx);
    drop(stream);
    let saved = reader.await.map_err(|e| io::Error::other(e.to_string()));
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(saved.and_then(|s| s))
}

/// A blocking `Read` over chunks sent from the async side.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    cur: bytes::Bytes,
}

impl ChannelReader {
    fn new(rx: tokio::sync::mpsc::Receiver<bytes::Bytes>) -> Self {
        Self {
            rx,
            cur: bytes::Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(next) => self.cur = next,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
#[path = "save_tests.rs"]
pub(crate) mod tests;
