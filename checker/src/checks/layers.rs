//! The `layers` check: every layer of an image, as `docker save` ships it, scanned for paths and
//! text. A file deleted in a later layer is still in the earlier one, and still ships.

use crate::checks::{Kind, Needs};
use std::io::Read;

use crate::checks::{Ctx, Verdict};
use crate::docker::save;
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LayersCheck {
    #[serde(default = "crate::checks::defaults::default_image")]
    pub image: String,
    /// Paths (absolute, as in the image) that must not be in any layer, even one a later layer deletes.
    #[serde(default)]
    pub absent_paths: Vec<String>,
    /// Text that must not appear in any file of any layer.
    #[serde(default)]
    pub absent_text: Vec<String>,
    /// File names (`*` matches any run of characters: `gcc-*`) that no file or link of any
    /// layer may have, wherever it is (`/usr/local/bin/gcc` as much as `/usr/bin/gcc`).
    #[serde(default)]
    pub absent_names: Vec<String>,
}

impl Kind for LayersCheck {
    fn reads_only(&self) -> bool {
        true
    }
    fn problem(&self) -> Option<String> {
        (self.absent_paths.is_empty()
            && self.absent_text.is_empty()
            && self.absent_names.is_empty())
        .then(|| {
            "a layers check needs `absent_paths`, `absent_text` or `absent_names` (otherwise \
                 it cannot fail)"
                .into()
        })
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            image: Some(&self.image),
            ..Needs::default()
        }
    }
}

/// What one layer holds that the check looks for: (path, what was found there).
type Hits = Vec<(String, String)>;

/// Scan one layer tar for the check's paths and text.
fn scan_layer(tar_stream: &mut dyn Read, spec: &LayersCheck) -> std::io::Result<Hits> {
    let mut found = Vec::new();
    let mut a = tar::Archive::new(tar_stream);
    for e in a.entries()? {
        let mut e = e?;
        let raw = e.path()?.to_string_lossy().to_string();
        // A whiteout removes a path; it does not ship it.
        let Some(save::Change::Added(path)) = save::change(&raw) else {
            continue;
        };
        if let Some(want) = spec.absent_paths.iter().find(|w| {
            let w = format!("/{}", save::normalize(w));
            path == w || path.starts_with(&format!("{w}/"))
        }) {
            found.push((path.clone(), format!("the file {want}")));
        }
        let t = e.header().entry_type();
        if t.is_file() || t.is_symlink() || t.is_hard_link() {
            let base = path.rsplit('/').next().unwrap_or_default();
            if spec.absent_names.iter().any(|n| glob(n, base)) {
                found.push((path.clone(), format!("a file named {base}")));
            }
        }
        if !spec.absent_text.is_empty()
            && e.header().entry_type().is_file()
            && e.size() <= 4 * 1024 * 1024
        {
            let mut buf = Vec::new();
            e.read_to_end(&mut buf)?;
            let text = String::from_utf8_lossy(&buf);
            for t in &spec.absent_text {
                if text.contains(t.as_str()) {
                    found.push((path.clone(), format!("the text \"{t}\"")));
                }
            }
        }
    }
    Ok(found)
}

/// The instructions that made each layer (from the image config's history, skipping entries
/// marked `empty_layer`), and the config's text that ships with the image: ENV, LABEL, and ARG
/// values recorded in its history.
/// A step's command line, shortened for a message.
fn short_step(step: &str) -> String {
    let one = step.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 90 {
        format!("{}…", one.chars().take(90).collect::<String>())
    } else {
        one
    }
}

fn from_config(config: &serde_json::Value) -> (Vec<String>, String) {
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
    let text = ["/config/Env", "/config/Labels"]
        .iter()
        .map(|p| config.pointer(p).map(|v| v.to_string()).unwrap_or_default())
        .chain(std::iter::once(
            config
                .get("history")
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ))
        .collect::<Vec<_>>()
        .join("\n");
    (instructions, text)
}

fn clean_instruction(created_by: &str) -> String {
    let c = created_by
        .replace("/bin/sh -c #(nop) ", "")
        .replace(" # buildkit", "");
    // BuildKit records `RUN /bin/sh -c cmd`, the classic builder `/bin/sh -c cmd`.
    let c = match c.trim().strip_prefix("RUN /bin/sh -c ") {
        Some(rest) => format!("RUN {rest}"),
        None => c.replace("/bin/sh -c ", "RUN "),
    };
    c.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub async fn check(ctx: &mut Ctx<'_>, spec: &LayersCheck) -> Result<Verdict, EnvError> {
    let image = ctx.image_ref(&spec.image);
    let expected = expectation(spec);
    let scan_spec = spec.clone();
    let saved = save::export(&ctx.engine.docker, &image, move |layer| {
        scan_layer(layer, &scan_spec)
    })
    .await?
    .map_err(|e| EnvError::Other(format!("could not read the saved image {image}: {e}")))?;
    judge(&saved, spec, &image, expected)
}

/// The verdict on an archive whose layers were scanned.
fn judge(
    saved: &save::Saved<Hits>,
    spec: &LayersCheck,
    image: &str,
    expected: String,
) -> Result<Verdict, EnvError> {
    // No verdict from an archive we could not read whole: that would be a "clean" that looked
    // at nothing.
    let layers = saved.image_layers().map_err(|e| {
        EnvError::Other(format!(
            "could not read every layer of the saved image {image}, so it cannot be checked: {e}"
        ))
    })?;
    let (instr, config_text) = saved.config().map(|c| from_config(&c)).ok_or_else(|| {
        EnvError::Other(format!(
            "the saved image {image} has no readable configuration, so it cannot be checked"
        ))
    })?;
    if let Some(t) = spec
        .absent_text
        .iter()
        .find(|t| config_text.contains(t.as_str()))
    {
        // The step that wrote it, where one did: a RUN with the value in its command line is as
        // readable as an ENV.
        let step = saved
            .config()
            .and_then(|c| c.get("history").and_then(|h| h.as_array()).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.get("created_by").and_then(|c| c.as_str()))
            .find(|c| c.contains(t.as_str()))
            .map(clean_instruction);
        let actual = match step {
            Some(step) if step.trim_start().starts_with("RUN") => format!(
                "the image's build history holds \"{t}\": the step `{}` has it in its command line",
                short_step(&step)
            ),
            _ => format!(
                "the image's configuration holds \"{t}\" (an ENV, a LABEL, or an ARG recorded in its build history)"
            ),
        };
        return Ok(Verdict::fail(expected, actual)
        .advise("Anyone with the image can read its config and history: `docker history --no-trunc` and `docker inspect` show every step's command line and the ENV, LABEL and build-ARG values. A secret the build needs goes in as a BuildKit secret mount (`RUN --mount=type=secret,…`), which leaves no trace; one the app needs only when it runs is given at `docker run`."));
    }
    let found = layers
        .iter()
        .enumerate()
        .find_map(|(i, hits)| hits.first().map(|(p, w)| (i, p.clone(), w.clone())));
    let Some((i, path, thing)) = found else {
        return Ok(Verdict::pass(
            expected,
            format!("scanned {} layers", layers.len()),
        ));
    };
    let (i, path, thing) = (&i, &path, &thing);
    let made_by = instr
        .get(*i)
        .map(|s| {
            if s.trim().is_empty() {
                // An imported layer (the base image's own) records no instruction.
                " (a layer of the base image, from FROM)".to_string()
            } else {
                format!(" (made by `{}`)", truncate(s, 140))
            }
        })
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

fn expectation(spec: &LayersCheck) -> String {
    let mut what: Vec<String> = spec.absent_paths.clone();
    what.extend(spec.absent_text.iter().map(|t| format!("\"{t}\"")));
    if !spec.absent_names.is_empty() {
        what.push(format!(
            "a file named {} anywhere",
            spec.absent_names.join(" or ")
        ));
    }
    format!("no layer of the image contains {}", what.join(", "))
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::save::tests::{archive, gzip, layer, CONFIG, SECRET};

    #[test]
    fn instructions_read_as_written() {
        assert_eq!(
            clean_instruction("RUN /bin/sh -c cp /run/secrets/t /app/t # buildkit"),
            "RUN cp /run/secrets/t /app/t"
        );
        assert_eq!(clean_instruction("/bin/sh -c rm /app/t"), "RUN rm /app/t");
        assert_eq!(
            clean_instruction("/bin/sh -c #(nop) COPY file:ab in /app/ "),
            "COPY file:ab in /app/"
        );
    }

    fn spec() -> LayersCheck {
        LayersCheck {
            image: "app".into(),
            absent_paths: vec!["/app/.env".into()],
            absent_text: vec!["dojo-secret-123".into()],
            absent_names: vec![],
        }
    }

    #[test]
    fn names_match_anywhere_with_wildcards() {
        assert!(glob("gcc", "gcc"));
        assert!(!glob("gcc", "gcc-12"));
        assert!(glob("gcc-*", "gcc-12"));
        assert!(glob("*-gcc-*", "x86_64-linux-gnu-gcc-12"));
        assert!(!glob("*-gcc", "gcc"));
        let mut spec = spec();
        spec.absent_names = vec!["gcc".into(), "cc1".into()];
        let l = layer(&[
            ("usr/local/bin/gcc", b"\x7fELF"),
            ("usr/lib/gcc/x86_64-linux-gnu/12/cc1", b"\x7fELF"),
            ("app/gcc.txt", b"notes"),
        ]);
        let hits = scan_layer(&mut &l[..], &spec).unwrap();
        let paths: Vec<&str> = hits.iter().map(|h| h.0.as_str()).collect();
        assert_eq!(
            paths,
            ["/usr/local/bin/gcc", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"]
        );
    }

    fn verdict(bytes: &[u8]) -> Result<Verdict, EnvError> {
        let spec = spec();
        let s = spec.clone();
        let saved = save::read(bytes, move |l| scan_layer(l, &s)).unwrap();
        judge(&saved, &spec, "app", expectation(&spec))
    }

    /// The containerd image store's archive: OCI layout, gzip layers. A secret added in layer 1
    /// and deleted in layer 2 still ships; this once read as "clean" (no layer was decoded).
    #[test]
    fn a_deleted_secret_in_a_compressed_oci_layer_fails() {
        let l1 = gzip(&layer(&[("app/.env", SECRET)]));
        let l2 = gzip(&layer(&[("app/.wh..env", b"")]));
        let bytes = archive(&[
            ("blobs/sha256/l1", Ok(&l1)),
            ("blobs/sha256/l2", Ok(&l2)),
            ("blobs/sha256/cc", Ok(CONFIG)),
            (
                "manifest.json",
                Ok(br#"[{"Config":"blobs/sha256/cc","Layers":["blobs/sha256/l1","blobs/sha256/l2"]}]"#),
            ),
        ]);
        let v = verdict(&bytes).unwrap();
        assert!(!v.passed, "{v:?}");
        assert!(
            v.actual.contains("layer 1 of 2") && v.actual.contains("/app/.env"),
            "{}",
            v.actual
        );
        assert!(v.actual.contains("COPY .env /app/"), "{}", v.actual);
    }

    /// The real archive Engine 26 wrote with the containerd image store (image index,
    /// attestation, gzip layers): the secret is found in the layer that added it.
    #[test]
    fn engine_26_containerd_archive_is_scanned() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/save/e26-containerd.tar");
        let v = verdict(&std::fs::read(path).unwrap()).unwrap();
        assert!(!v.passed, "{v:?}");
        assert!(
            v.actual.contains("layer 2 of 3") && v.actual.contains("/app/.env"),
            "{}",
            v.actual
        );
    }

    /// The whiteout in layer 2 is no hit of its own, and a clean image passes.
    #[test]
    fn a_clean_image_passes_and_whiteouts_are_not_hits() {
        let l1 = gzip(&layer(&[("app/main.sh", b"echo hi")]));
        let l2 = gzip(&layer(&[("app/.wh..env", b"")]));
        let bytes = archive(&[
            ("blobs/sha256/l1", Ok(&l1)),
            ("blobs/sha256/l2", Ok(&l2)),
            ("blobs/sha256/cc", Ok(CONFIG)),
            (
                "manifest.json",
                Ok(br#"[{"Config":"blobs/sha256/cc","Layers":["blobs/sha256/l1","blobs/sha256/l2"]}]"#),
            ),
        ]);
        let v = verdict(&bytes).unwrap();
        assert!(v.passed, "{v:?}");
        assert_eq!(v.actual, "scanned 2 layers");
    }

    /// A layer the reader cannot decode is an error, never "clean".
    #[test]
    fn an_unreadable_layer_is_no_verdict() {
        let junk = b"BZh91AY&SY".repeat(60);
        let bytes = archive(&[
            ("blobs/sha256/l1", Ok(&junk)),
            ("blobs/sha256/cc", Ok(CONFIG)),
            (
                "manifest.json",
                Ok(br#"[{"Config":"blobs/sha256/cc","Layers":["blobs/sha256/l1"]}]"#),
            ),
        ]);
        let e = verdict(&bytes).unwrap_err().to_string();
        assert!(
            e.contains("cannot be checked") && e.contains("layer 1"),
            "{e}"
        );
    }

    /// A path under a listed folder counts as the folder.
    #[test]
    fn files_under_an_absent_folder_are_hits() {
        let mut spec = spec();
        spec.absent_paths = vec!["/app/.git".into()];
        spec.absent_text.clear();
        let l = layer(&[("app/.git/HEAD", b"ref: main")]);
        let hits = scan_layer(&mut &l[..], &spec).unwrap();
        assert_eq!(hits[0].0, "/app/.git/HEAD");
        let l = layer(&[("app/.gitignore", b"x")]);
        assert!(scan_layer(&mut &l[..], &spec).unwrap().is_empty());
    }
}
