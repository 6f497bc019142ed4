use super::*;
use crate::layers::archive::{read_saved, Added, Removed};

fn listing(added: &[(&str, u64)], removed: &[(&str, bool)]) -> LayerListing {
    LayerListing {
        added: added
            .iter()
            .map(|(p, s)| Added {
                path: p.to_string(),
                size: *s,
                kind: Kind::File,
            })
            .collect(),
        removed: removed
            .iter()
            .map(|(p, o)| Removed {
                path: p.to_string(),
                opaque: *o,
            })
            .collect(),
    }
}

fn saved(layers: Vec<LayerListing>, history: &str) -> Saved {
    let mut s = Saved::default();
    let paths: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    for (p, l) in paths.iter().zip(layers) {
        s.layers.insert(p.clone(), Ok(l));
    }
    s.manifest = serde_json::from_value(serde_json::json!([{
        "Config": "cfg.json", "RepoTags": ["demo:1"], "Layers": paths
    }]))
    .unwrap();
    s.json
        .insert("cfg.json".into(), history.as_bytes().to_vec());
    s
}

const HISTORY: &str = r##"{"history": [
  {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
  {"created_by": "/bin/sh -c #(nop)  ENV A=1", "empty_layer": true},
  {"created_by": "/bin/sh -c rm -rf /var/cache /big"},
  {"created_by": "|1 V=2 /bin/sh -c cp /new/sh /bin/sh"}
]}"##;

#[test]
fn a_deleted_file_still_ships_in_its_layer() {
    let s = saved(
        vec![
            listing(
                &[
                    ("/bin/sh", 100),
                    ("/big", 1000),
                    ("/var/cache/a", 30),
                    ("/var/cache-old", 7),
                ],
                &[],
            ),
            listing(&[], &[("/var/cache", false), ("/big", false)]),
            listing(&[("/bin/sh", 120)], &[]),
        ],
        HISTORY,
    );
    let api = [100u64, 0, 0, 120]
        .iter()
        .map(|s| HistoryRow {
            created_by: String::new(),
            size: *s,
            comment: String::new(),
        })
        .collect::<Vec<_>>();
    let img = build("demo:1", "sha256:x", &s, &api);
    assert_eq!(img.tags, vec!["demo:1"]);
    assert_eq!(img.layers.len(), 4);
    assert!(img.layers[1].empty);
    assert_eq!(img.layers[1].instruction, "ENV A=1");
    assert_eq!(img.layers[0].instruction, "ADD file:abc in /");
    assert_eq!(img.layers[2].instruction, "RUN rm -rf /var/cache /big");
    assert_eq!(img.layers[3].instruction, "RUN cp /new/sh /bin/sh");
    // Biggest first, with who hides what.
    let first = &img.layers[0].files;
    assert_eq!(first[0].path, "/big");
    assert_eq!(first[0].hidden_by, Some(3));
    assert_eq!(first[1].path, "/bin/sh");
    assert_eq!(first[1].hidden_by, Some(4));
    let old = first.iter().find(|f| f.path == "/var/cache-old").unwrap();
    assert_eq!(old.hidden_by, None, "a sibling with the same prefix stays");
    assert!(img.layers[3].files[0].replaces);
    assert_eq!(img.layers[2].removed[0].hides_bytes, 30);
    assert_eq!(img.layers[2].removed[1].hides_bytes, 1000);
    assert_eq!(img.hidden_bytes, 1000 + 100 + 30);
    assert_eq!(img.hidden[0].path, "/big");
    assert_eq!(img.hidden[0].shipped_in, 1);
}

#[test]
fn opaque_whiteouts_hide_earlier_contents_only() {
    let s = saved(
        vec![
            listing(&[("/d/x", 5)], &[]),
            listing(&[("/d/y", 6)], &[("/d", true)]),
        ],
        r#"{"history":[{"created_by":"a"},{"created_by":"b"}]}"#,
    );
    let img = build("i", "id", &s, &[]);
    assert_eq!(img.layers[0].files[0].hidden_by, Some(2));
    assert_eq!(img.layers[1].files[0].hidden_by, None);
    // Without the API's history, sizes are what the layer lists.
    assert_eq!(img.layers[1].size, 6);
}

#[test]
fn no_history_means_one_step_per_layer() {
    let s = saved(vec![listing(&[("/a", 1)], &[])], "{}");
    let img = build("i", "id", &s, &[]);
    assert_eq!(img.layers.len(), 1);
    assert!(img.layers[0].instruction.contains("no build history"));
}

#[test]
fn buildkit_history_reads_like_a_dockerfile() {
    assert_eq!(
        instruction("RUN /bin/sh -c apk add curl # buildkit"),
        "RUN apk add curl"
    );
    assert_eq!(
        instruction("COPY hello.sh /app/ # buildkit"),
        "COPY hello.sh /app/"
    );
    assert_eq!(
        instruction("CMD [\"/app/hello.sh\"]"),
        "CMD [\"/app/hello.sh\"]"
    );
}

/// A whole archive in the classic layout, as `docker save` writes it.
#[test]
fn a_classic_archive_reads_end_to_end() {
    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (p, d) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(d.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, p, *d).unwrap();
        }
        b.into_inner().unwrap()
    }
    let l1 = tar_of(&[("secret.txt", b"hunter2"), ("bin/app", &[1u8; 64])]);
    let l2 = tar_of(&[(".wh.secret.txt", b"")]);
    let cfg = br#"{"history":[{"created_by":"/bin/sh -c #(nop) COPY dir:x in / "},{"created_by":"/bin/sh -c rm /secret.txt"}]}"#;
    let manifest =
        br#"[{"Config":"c.json","RepoTags":["t:1"],"Layers":["a/layer.tar","b/layer.tar"]}]"#;
    let outer = tar_of(&[
        ("a/layer.tar", &l1),
        ("b/layer.tar", &l2),
        ("c.json", cfg),
        ("manifest.json", manifest),
    ]);
    let s = read_saved(&outer[..]).unwrap();
    let img = build("t:1", "sha256:t", &s, &[]);
    assert_eq!(img.layers[1].removed[0].path, "/secret.txt");
    assert_eq!(img.hidden[0].path, "/secret.txt");
    assert_eq!(img.hidden[0].size, 7);
    assert_eq!(img.layers[0].files[0].path, "/bin/app");
}

#[test]
fn hashed_copy_sources_read_as_written() {
    let h = "6e3f2b1c9d8a7f6e5d4c3b2a19080706050403020100ffeeddccbbaa99887766";
    assert_eq!(
        instruction(&format!("/bin/sh -c #(nop) COPY file:{h} in /app ")),
        "COPY … /app"
    );
    assert_eq!(
        instruction(&format!(
            "/bin/sh -c #(nop) COPY --chown=1000:1000 dir:{h} in /srv/ "
        )),
        "COPY --chown=1000:1000 … /srv/"
    );
    assert_eq!(
        instruction(&format!("/bin/sh -c #(nop) ADD multi:{h} in /opt/")),
        "ADD … /opt/"
    );
    // Nothing hashed (or not a SHA-256): as recorded.
    assert_eq!(
        instruction("/bin/sh -c #(nop) COPY app.sh in /app"),
        "COPY app.sh in /app"
    );
    assert_eq!(
        instruction("/bin/sh -c #(nop) ADD file:abc in /"),
        "ADD file:abc in /"
    );
    assert_eq!(
        instruction("/bin/sh -c #(nop)  CMD [\"sh\"]"),
        "CMD [\"sh\"]"
    );
}
