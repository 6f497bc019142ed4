//! The build context as BuildKit's file sync asks for it: a tree of the packed context's files
//! with their stats, walked in the order fsutil sends them, filtered by include patterns.

use super::*;

/// One entry of the context, as fsutil describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub stat: Stat,
    /// A regular file's bytes.
    pub data: Option<Vec<u8>>,
}

/// Go's `os.FileMode` bits that fsutil puts in `Stat.mode`.
pub(super) const MODE_DIR: u32 = 1 << 31;
pub(super) const MODE_SYMLINK: u32 = 1 << 27;

/// The context as a tree in fsutil's walk order (keyed by path components).
#[derive(Debug, Default)]
pub struct Tree {
    nodes: BTreeMap<Vec<String>, Node>,
}

impl Tree {
    /// Read a packed context. Parent folders the tar does not list are added.
    pub fn from_tar(tar: &[u8], mtimes: &HashMap<String, i64>) -> std::io::Result<Self> {
        use std::io::Read;
        let mut tree = Tree::default();
        let mut archive = tar::Archive::new(tar);
        for entry in archive.entries()? {
            let mut e = entry?;
            let path = e.path()?.to_string_lossy().to_string();
            let key: Vec<String> = path
                .split('/')
                .filter(|p| !p.is_empty() && *p != ".")
                .map(str::to_string)
                .collect();
            if key.is_empty() {
                continue;
            }
            let h = e.header();
            let perm = h.mode().unwrap_or(0o644) & 0o7777;
            let mtime = match mtimes.get(&path) {
                Some(ns) => *ns,
                None => h.mtime().unwrap_or(0) as i64 * 1_000_000_000,
            };
            let kind = h.entry_type();
            let (mode, linkname, data) = if kind.is_dir() {
                (perm | MODE_DIR, String::new(), None)
            } else if kind.is_symlink() {
                let target = e
                    .link_name()?
                    .map(|t| t.to_string_lossy().to_string())
                    .unwrap_or_default();
                (perm | MODE_SYMLINK, target, None)
            } else {
                let mut data = Vec::new();
                e.read_to_end(&mut data)?;
                (perm, String::new(), Some(data))
            };
            let size = data.as_ref().map_or(0, |d| d.len() as i64);
            tree.add_parents(&key);
            tree.nodes.insert(
                key.clone(),
                Node {
                    stat: Stat {
                        path: key.join("/"),
                        mode,
                        size,
                        mod_time: mtime,
                        linkname,
                        ..Default::default()
                    },
                    data,
                },
            );
        }
        Ok(tree)
    }

    fn add_parents(&mut self, key: &[String]) {
        for n in 1..key.len() {
            let parent = key[..n].to_vec();
            self.nodes.entry(parent.clone()).or_insert_with(|| Node {
                stat: Stat {
                    path: parent.join("/"),
                    mode: 0o755 | MODE_DIR,
                    ..Default::default()
                },
                data: None,
            });
        }
    }

    /// The entries to send, in walk order, for a request's include patterns and follow paths
    /// (none: everything). Exclusions were applied when the context was packed.
    pub fn select(&self, includes: &[String]) -> Vec<&Node> {
        if includes.is_empty() {
            return self.nodes.values().collect();
        }
        let Some(matcher) = include_matcher(includes) else {
            return self.nodes.values().collect();
        };
        let hit = |key: &Vec<String>| {
            matcher
                .matched_path_or_any_parents(key.join("/"), false)
                .is_ignore()
        };
        let wanted: Vec<&Vec<String>> = self.nodes.keys().filter(|k| hit(k)).collect();
        self.nodes
            .iter()
            .filter(|(k, _)| {
                hit(k)
                    || wanted
                        .iter()
                        .any(|w| w.len() > k.len() && w[..k.len()] == k[..])
            })
            .map(|(_, n)| n)
            .collect()
    }
}

/// Include patterns as a matcher (gitignore syntax, anchored at the context's root).
pub(super) fn include_matcher(patterns: &[String]) -> Option<ignore::gitignore::Gitignore> {
    let mut b = ignore::gitignore::GitignoreBuilder::new("/");
    for p in patterns {
        let p = p.trim_start_matches("./").trim_start_matches('/');
        if p.is_empty() {
            continue;
        }
        b.add_line(None, &format!("/{p}")).ok()?;
    }
    b.build().ok()
}

pub(super) struct Files {
    pub(super) tree: Arc<Tree>,
}

/// The values of a gRPC metadata key (BuildKit sends lists as repeated keys).
pub(super) fn metadata_list(meta: &tonic::metadata::MetadataMap, key: &str) -> Vec<String> {
    meta.get_all(key)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| {
            // Non-ASCII values arrive percent-encoded.
            url::form_urlencoded::parse(format!("v={v}").as_bytes())
                .next()
                .map(|(_, v)| v.to_string())
                .unwrap_or_else(|| v.to_string())
        })
        .collect()
}

#[tonic::async_trait]
impl FileSync for Files {
    type DiffCopyStream = BoxStream<'static, Result<Packet, Status>>;

    async fn diff_copy(
        &self,
        request: Request<Streaming<Packet>>,
    ) -> Result<Response<Self::DiffCopyStream>, Status> {
        let meta = request.metadata();
        let dir = metadata_list(meta, "dir-name");
        if !dir
            .first()
            .is_some_and(|d| d == "context" || d == "dockerfile")
        {
            return Err(Status::not_found(format!("no such folder: {dir:?}")));
        }
        let mut includes = metadata_list(meta, "include-patterns");
        includes.extend(metadata_list(meta, "followpaths"));
        let nodes: Vec<Node> = self.tree.select(&includes).into_iter().cloned().collect();
        let mut incoming = request.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Packet, Status>>(16);
        tokio::spawn(async move {
            for n in &nodes {
                let p = Packet {
                    r#type: PacketType::PacketStat as i32,
                    stat: Some(n.stat.clone()),
                    ..Default::default()
                };
                if tx.send(Ok(p)).await.is_err() {
                    return;
                }
            }
            let end = Packet {
                r#type: PacketType::PacketStat as i32,
                ..Default::default()
            };
            if tx.send(Ok(end)).await.is_err() {
                return;
            }
            while let Some(Ok(p)) = incoming.next().await {
                match PacketType::try_from(p.r#type) {
                    Ok(PacketType::PacketReq) => {
                        let data = nodes
                            .get(p.id as usize)
                            .and_then(|n| n.data.clone())
                            .unwrap_or_default();
                        for chunk in data.chunks(32 * 1024) {
                            let d = Packet {
                                r#type: PacketType::PacketData as i32,
                                id: p.id,
                                data: chunk.to_vec(),
                                ..Default::default()
                            };
                            if tx.send(Ok(d)).await.is_err() {
                                return;
                            }
                        }
                        let eof = Packet {
                            r#type: PacketType::PacketData as i32,
                            id: p.id,
                            ..Default::default()
                        };
                        if tx.send(Ok(eof)).await.is_err() {
                            return;
                        }
                    }
                    Ok(PacketType::PacketFin) => {
                        let fin = Packet {
                            r#type: PacketType::PacketFin as i32,
                            ..Default::default()
                        };
                        let _ = tx.send(Ok(fin)).await;
                        return;
                    }
                    Ok(PacketType::PacketErr) => return,
                    _ => {}
                }
            }
        });
        let out = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) });
        Ok(Response::new(out.boxed()))
    }

    type TarStreamStream = BoxStream<'static, Result<Packet, Status>>;

    async fn tar_stream(
        &self,
        _: Request<Streaming<Packet>>,
    ) -> Result<Response<Self::TarStreamStream>, Status> {
        Err(Status::unimplemented("tar stream"))
    }
}
