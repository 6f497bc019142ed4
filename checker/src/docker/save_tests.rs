//! The reader on archives of every form, built here byte for byte the way each engine writes
//! them, plus the real archives Engine 26 wrote (checker/tests/fixtures/save/).

use super::*;
use std::io::Write;

pub(crate) const SECRET: &[u8] = b"TOKEN=dojo-secret-123\n";

/// A layer tar with these files.
pub(crate) fn layer(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

fn sha(data: &[u8]) -> String {
    // Any unique name will do for an archive built here; real digests are not checked.
    format!("{:064x}", {
        let mut h: u64 = 1469598103934665603;
        for b in data {
            h = (h ^ *b as u64).wrapping_mul(1099511628211);
        }
        h
    })
}

/// An outer archive of these entries; a `None` body is a symlink to the given target.
pub(crate) fn archive(entries: &[(&str, Result<&[u8], &str>)]) -> Vec<u8> {
    let mut outer = tar::Builder::new(Vec::new());
    for (name, body) in entries {
        let mut h = tar::Header::new_ustar();
        match body {
            Ok(data) => {
                h.set_size(data.len() as u64);
                h.set_mode(0o444);
                h.set_cksum();
                outer.append_data(&mut h, name, *data).unwrap();
            }
            Err(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                outer.append_link(&mut h, name, target).unwrap();
            }
        }
    }
    outer.into_inner().unwrap()
}

pub(crate) const CONFIG: &[u8] = br#"{"config":{"Env":["PATH=/bin"]},"history":[{"created_by":"COPY .env /app/ # buildkit"},{"created_by":"RUN /bin/sh -c rm /app/.env # buildkit"}]}"#;

fn two_layers() -> (Vec<u8>, Vec<u8>) {
    (
        layer(&[("app/.env", SECRET)]),
        layer(&[("app/.wh..env", b""), ("app/other.txt", b"x")]),
    )
}

/// Paths each layer adds, in order: what the checks and the explorer build on.
fn added(saved: &Saved<LayerListing>) -> Vec<Vec<String>> {
    saved
        .image_layers()
        .unwrap()
        .iter()
        .map(|l| l.added.iter().map(|a| a.path.clone()).collect())
        .collect()
}

fn read_all(bytes: &[u8]) -> Saved<LayerListing> {
    read(bytes, list_layer).unwrap()
}

#[test]
fn classic_layout() {
    let (l1, l2) = two_layers();
    let bytes = archive(&[
        ("aaa/layer.tar", Ok(&l1)),
        ("bbb/layer.tar", Ok(&l2)),
        ("cfg.json", Ok(CONFIG)),
        (
            "manifest.json",
            Ok(br#"[{"Config":"cfg.json","RepoTags":["x:1"],"Layers":["aaa/layer.tar","bbb/layer.tar"]}]"#),
        ),
    ]);
    let saved = read_all(&bytes);
    assert_eq!(added(&saved), [vec!["/app/.env"], vec!["/app/other.txt"]]);
    assert_eq!(
        saved.manifest[0].repo_tags.as_deref(),
        Some(&["x:1".to_string()][..])
    );
    assert!(saved.config().unwrap().get("history").is_some());
}

#[test]
fn podman_symlinked_layers() {
    let (l1, _) = two_layers();
    let bytes = archive(&[
        ("d1.tar", Ok(&l1)),
        ("cfg.json", Ok(CONFIG)),
        (
            "manifest.json",
            Ok(br#"[{"Config":"cfg.json","Layers":["id1/layer.tar"]}]"#),
        ),
        ("id1/layer.tar", Err("../d1.tar")),
    ]);
    assert_eq!(added(&read_all(&bytes)), [vec!["/app/.env"]]);
}

/// Engine 25+ with the containerd store: OCI layout, manifest.json beside it, compressed layers.
#[test]
fn oci_layout_with_gzip_and_zstd_layers() {
    let (l1, l2) = two_layers();
    let (g1, z2) = (gzip(&l1), zstd(&l2));
    let (p1, p2, pc) = (
        format!("blobs/sha256/{}", sha(&g1)),
        format!("blobs/sha256/{}", sha(&z2)),
        format!("blobs/sha256/{}", sha(CONFIG)),
    );
    let manifest = format!(r#"[{{"Config":"{pc}","Layers":["{p1}","{p2}"]}}]"#);
    let bytes = archive(&[
        ("oci-layout", Ok(br#"{"imageLayoutVersion":"1.0.0"}"#)),
        (&p1, Ok(&g1)),
        (&p2, Ok(&z2)),
        (&pc, Ok(CONFIG)),
        ("index.json", Ok(b"{\"manifests\":[]}")),
        ("manifest.json", Ok(manifest.as_bytes())),
    ]);
    let saved = read_all(&bytes);
    assert_eq!(added(&saved), [vec!["/app/.env"], vec!["/app/other.txt"]]);
    let removed = &saved.image_layers().unwrap()[1].removed;
    assert_eq!(removed[0].path, "/app/.env");
}

/// No manifest.json: the image is found through index.json, past a nested index and
/// BuildKit's attestation manifest.
#[test]
fn oci_index_with_attestation() {
    let (l1, l2) = two_layers();
    let (g1, g2) = (gzip(&l1), gzip(&l2));
    let d = |b: &[u8]| format!("sha256:{}", sha(b));
    let image = format!(
        r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"digest":"{}"}},"layers":[{{"digest":"{}"}},{{"digest":"{}"}}]}}"#,
        d(CONFIG),
        d(&g1),
        d(&g2)
    );
    let attest_layer = br#"{"_type":"https://in-toto.io/Statement/v0.1"}"#;
    let attest = format!(
        r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"digest":"{}"}},"layers":[{{"digest":"{}"}}]}}"#,
        d(CONFIG),
        d(attest_layer)
    );
    let nested = format!(
        r#"{{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","platform":{{"architecture":"unknown","os":"unknown"}},"annotations":{{"vnd.docker.reference.type":"attestation-manifest"}}}},
            {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","platform":{{"architecture":"{}","os":"linux"}}}}]}}"#,
        d(attest.as_bytes()),
        d(image.as_bytes()),
        this_arch()
    );
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{}","annotations":{{"io.containerd.image.name":"docker.io/library/x:1"}}}}]}}"#,
        d(nested.as_bytes())
    );
    let blob = |b: &[u8]| format!("blobs/sha256/{}", sha(b));
    let bytes = archive(&[
        (&blob(&g1), Ok(&g1)),
        (&blob(&g2), Ok(&g2)),
        (&blob(CONFIG), Ok(CONFIG)),
        (&blob(attest_layer), Ok(attest_layer)),
        (&blob(attest.as_bytes()), Ok(attest.as_bytes())),
        (&blob(image.as_bytes()), Ok(image.as_bytes())),
        (&blob(nested.as_bytes()), Ok(nested.as_bytes())),
        ("index.json", Ok(index.as_bytes())),
    ]);
    let saved = read_all(&bytes);
    assert_eq!(added(&saved), [vec!["/app/.env"], vec!["/app/other.txt"]]);
    assert_eq!(
        saved.manifest[0].repo_tags.as_deref(),
        Some(&["docker.io/library/x:1".to_string()][..])
    );
}

/// A layer in a form the reader does not know is an error for the image, never an empty layer.
#[test]
fn an_unreadable_layer_is_an_error() {
    let bz = b"BZh91AY&SY not really bzip2".repeat(30);
    let bytes = archive(&[
        ("blobs/sha256/aa", Ok(&bz)),
        ("blobs/sha256/cc", Ok(CONFIG)),
        (
            "manifest.json",
            Ok(br#"[{"Config":"blobs/sha256/cc","Layers":["blobs/sha256/aa"]}]"#),
        ),
    ]);
    let err = read_all(&bytes).image_layers().unwrap_err();
    assert!(
        err.contains("layer 1") && err.contains("not a tar"),
        "{err}"
    );
    // A corrupt gzip stream too.
    let mut g = gzip(&layer(&[("a", SECRET)]));
    let n = g.len();
    g[n / 2..].iter_mut().for_each(|b| *b ^= 0x5a);
    let bytes = archive(&[
        ("blobs/sha256/aa", Ok(&g)),
        ("blobs/sha256/cc", Ok(CONFIG)),
        (
            "manifest.json",
            Ok(br#"[{"Config":"blobs/sha256/cc","Layers":["blobs/sha256/aa"]}]"#),
        ),
    ]);
    let err = read_all(&bytes).image_layers().unwrap_err();
    assert!(err.contains("gzip"), "{err}");
    // A layer the manifest names but the archive lacks.
    let bytes = archive(&[
        ("blobs/sha256/cc", Ok(CONFIG)),
        (
            "manifest.json",
            Ok(br#"[{"Config":"blobs/sha256/cc","Layers":["blobs/sha256/aa"]}]"#),
        ),
    ]);
    let err = read_all(&bytes).image_layers().unwrap_err();
    assert!(err.contains("missing"), "{err}");
    // No manifest at all.
    let err = read_all(&archive(&[("x.json", Ok(CONFIG))]))
        .image_layers()
        .unwrap_err();
    assert!(err.contains("names no image"), "{err}");
}

#[test]
fn links_resolve_relative_to_their_folder() {
    assert_eq!(
        resolve_link("abc/layer.tar", "../def/layer.tar"),
        "def/layer.tar"
    );
    assert_eq!(resolve_link("abc/layer.tar", "def.tar"), "abc/def.tar");
    assert_eq!(resolve_link("abc/layer.tar", "/x/y.tar"), "x/y.tar");
    assert_eq!(resolve_link("blobs/sha256/x", "y"), "blobs/sha256/y");
}

#[test]
fn whiteouts_are_removals() {
    let l = layer(&[
        ("etc/.wh.passwd", b""),
        ("var/cache/.wh..wh..opq", b""),
        ("app/big.bin", &[0u8; 1000]),
    ]);
    let l = list_layer(&mut &l[..]).unwrap();
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

/// The archives Engine 26 wrote, one per image store (see the fixtures' README): the secret
/// added in layer 1 is found in both.
#[test]
fn engine_26_archives() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/save");
    for name in ["e26-graphdriver.tar", "e26-containerd.tar"] {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let saved = read_all(&bytes);
        let layers = saved
            .image_layers()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            layers
                .iter()
                .any(|l| l.added.iter().any(|a| a.path == "/app/.env")),
            "{name}: no layer adds /app/.env: {layers:?}"
        );
        assert_eq!(layers.len(), 3, "{name}");
    }
}

#[test]
fn the_channel_reader_joins_chunks() {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.try_send(bytes::Bytes::from_static(b"hel")).unwrap();
    tx.try_send(bytes::Bytes::new()).unwrap();
    tx.try_send(bytes::Bytes::from_static(b"lo")).unwrap();
    drop(tx);
    let mut s = String::new();
    ChannelReader::new(rx).read_to_string(&mut s).unwrap();
    assert_eq!(s, "hello");
}
