//! dockdojo's ownership labels as ONE build step.
//!
//! Docker's classic builder turns every label given with a build request into a `LABEL` step of
//! its own, and each step commits a layer (about a second on fuse-overlayfs). Three ownership
//! labels cost three steps per build. Instead, the build is sent a copy of the learner's
//! Dockerfile, under a name of ours, with one `LABEL` instruction carrying all three at the end of
//! the stage being built; the context's `.dockerignore` lists that copy, so the daemon reads it
//! but never copies it into the image. The learner's own files are sent unchanged.
//!
//! When the copy cannot be made safely (a parser directive changing the escape character, a
//! line continued into the insertion point, an unknown target stage), the build falls back to
//! request labels.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::dockerfile;

/// The name the labelled copy of the Dockerfile travels under, at the context's root.
pub const BUILD_DOCKERFILE: &str = ".dockdojo-build.Dockerfile";

/// The learner's Dockerfile with one `LABEL` step appended to the stage `target` (the last
/// stage when `None`); `None` when that cannot be done safely.
pub fn with_label_step(
    text: &str,
    target: Option<&str>,
    labels: &HashMap<String, String>,
) -> Option<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // `# escape=` changes what continues a line; keep it simple and let the request carry labels.
    if text
        .lines()
        .take_while(|l| l.trim_start().starts_with('#'))
        .any(|l| {
            l.to_ascii_lowercase()
                .replace(' ', "")
                .starts_with("#escape=")
        })
    {
        return None;
    }
    let df = dockerfile::parse(text).ok()?;
    let stages: Vec<_> = df.stages().collect();
    if stages.is_empty() {
        return None;
    }
    let index = match target {
        None => stages.len() - 1,
        Some(t) => stages.iter().position(|s| {
            s.from
                .as_
                .as_ref()
                .is_some_and(|(_, name)| name.value.eq_ignore_ascii_case(t))
        })?,
    };
    let insert_at = match stages.get(index + 1) {
        Some(next) => {
            let from = next.from.from.span.start;
            text[..from].rfind('\n').map(|i| i + 1).unwrap_or(0)
        }
        None => text.len(),
    };
    let (before, after) = text.split_at(insert_at);
    // A line continued into the insertion point would swallow the LABEL line.
    let last = before.trim_end();
    if last.ends_with('\\') || last.ends_with('`') {
        return None;
    }
    let mut keys: Vec<&String> = labels.keys().collect();
    keys.sort();
    let pairs: Vec<String> = keys
        .iter()
        .map(|k| {
            let v = labels[*k].replace('\\', "\\\\").replace('"', "\\\"");
            format!("{k}=\"{v}\"")
        })
        .collect();
    let mut out = String::with_capacity(text.len() + 200);
    out.push_str(before);
    if !before.is_empty() && !before.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("LABEL ");
    out.push_str(&pairs.join(" "));
    out.push('\n');
    out.push_str(after);
    Some(out)
}

/// The build context `tar` with the labelled copy of `dockerfile` added as [`BUILD_DOCKERFILE`]
/// (see [`context_with_copy`]). `None` when the Dockerfile is not in the tar or cannot be
/// labelled.
pub fn labelled_context(
    tar: &[u8],
    dockerfile: &str,
    target: Option<&str>,
    labels: &HashMap<String, String>,
) -> Option<Vec<u8>> {
    let labelled = with_label_step(&read_file(tar, dockerfile)?, target, labels)?;
    context_with_copy(tar, &labelled)
}

/// The text of one file of the build context.
pub fn read_file(tar: &[u8], name: &str) -> Option<String> {
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().ok()? {
        let mut e = entry.ok()?;
        if e.path().ok()?.as_ref() == Path::new(name) {
            let mut s = String::new();
            e.read_to_string(&mut s).ok()?;
            return Some(s);
        }
    }
    None
}

/// The build context `tar` with `text` added as [`BUILD_DOCKERFILE`] and listed in
/// `.dockerignore` (made when there is none, listing itself too, so a context without one still
/// copies exactly what it did). `None` when the learner has a file of that name.
pub fn context_with_copy(tar: &[u8], text: &str) -> Option<Vec<u8>> {
    let mut ignore: Option<(tar::Header, Vec<u8>)> = None;
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().ok()? {
        let mut e = entry.ok()?;
        let path = e.path().ok()?.into_owned();
        if path == Path::new(".dockerignore") {
            let mut b = Vec::new();
            e.read_to_end(&mut b).ok()?;
            ignore = Some((e.header().clone(), b));
        } else if path == Path::new(BUILD_DOCKERFILE) {
            return None; // a learner's file of that name: leave everything as it is
        }
    }

    let mut out = tar::Builder::new(Vec::new());
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().ok()? {
        let mut e = entry.ok()?;
        if e.path().ok()?.as_ref() == Path::new(".dockerignore") {
            continue;
        }
        let header = e.header().clone();
        out.append(&header, &mut e).ok()?;
    }
    let (mut header, mut content) = match ignore {
        Some((h, mut b)) => {
            if !b.is_empty() && !b.ends_with(b"\n") {
                b.push(b'\n');
            }
            (h, b)
        }
        None => {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            (h, b".dockerignore\n".to_vec())
        }
    };
    content.extend_from_slice(format!("{BUILD_DOCKERFILE}\n").as_bytes());
    header.set_size(content.len() as u64);
    header.set_cksum();
    out.append_data(&mut header, ".dockerignore", content.as_slice())
        .ok()?;
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(text.len() as u64);
    h.set_cksum();
    out.append_data(&mut h, BUILD_DOCKERFILE, text.as_bytes())
        .ok()?;
    out.into_inner().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> HashMap<String, String> {
        [
            ("io.dockdojo.session", "s-1"),
            ("io.dockdojo.managed", "true"),
            ("io.dockdojo.owner", "host/42"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    const LABEL: &str = "LABEL io.dockdojo.managed=\"true\" io.dockdojo.owner=\"host/42\" io.dockdojo.session=\"s-1\"\n";

    #[test]
    fn one_label_step_at_the_end_of_the_last_stage() {
        let t = "FROM busybox:1.36.1\nRUN true\nCMD [\"sh\"]";
        let out = with_label_step(t, None, &labels()).unwrap();
        assert_eq!(
            out,
            format!("FROM busybox:1.36.1\nRUN true\nCMD [\"sh\"]\n{LABEL}")
        );
    }

    #[test]
    fn a_target_stage_gets_it_before_the_next_stage() {
        let t = "FROM busybox:1.36.1 AS build\nRUN true\n\n# ship\nFROM busybox:1.36.1\nCOPY --from=build / /\n";
        let out = with_label_step(t, Some("BUILD"), &labels()).unwrap();
        assert_eq!(
            out,
            format!("FROM busybox:1.36.1 AS build\nRUN true\n\n# ship\n{LABEL}FROM busybox:1.36.1\nCOPY --from=build / /\n")
        );
        assert!(with_label_step(t, Some("nope"), &labels()).is_none());
    }

    #[test]
    fn unsafe_texts_fall_back_to_request_labels() {
        assert!(with_label_step("# escape=`\nFROM busybox:1.36.1\n", None, &labels()).is_none());
        assert!(with_label_step("FROM busybox:1.36.1\nRUN echo \\\n", None, &labels()).is_none());
    }

    #[test]
    fn values_are_quoted() {
        let mut l = HashMap::new();
        l.insert("io.dockdojo.owner".to_string(), "a\"b\\c".to_string());
        let out = with_label_step("FROM x:1\n", None, &l).unwrap();
        assert!(
            out.ends_with("LABEL io.dockdojo.owner=\"a\\\"b\\\\c\"\n"),
            "{out}"
        );
    }

    fn tar_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, text) in files {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            h.set_size(text.len() as u64);
            h.set_cksum();
            b.append_data(&mut h, name, text.as_bytes()).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn files(tar: &[u8]) -> Vec<(String, String)> {
        let mut a = tar::Archive::new(tar);
        a.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let mut s = String::new();
                e.read_to_string(&mut s).unwrap();
                (e.path().unwrap().display().to_string(), s)
            })
            .collect()
    }

    #[test]
    fn the_context_gets_the_copy_and_ignores_it() {
        let tar = tar_of(&[
            ("Dockerfile", "FROM x:1\nCOPY . /app\n"),
            ("app.sh", "echo"),
        ]);
        let out = files(&labelled_context(&tar, "Dockerfile", None, &labels()).unwrap());
        assert_eq!(
            out[0],
            ("Dockerfile".into(), "FROM x:1\nCOPY . /app\n".into())
        );
        assert_eq!(out[1], ("app.sh".into(), "echo".into()));
        assert_eq!(
            out[2],
            (
                ".dockerignore".into(),
                format!(".dockerignore\n{BUILD_DOCKERFILE}\n")
            )
        );
        assert_eq!(
            out[3],
            (
                BUILD_DOCKERFILE.into(),
                format!("FROM x:1\nCOPY . /app\n{LABEL}")
            )
        );

        let tar = tar_of(&[("Dockerfile", "FROM x:1\n"), (".dockerignore", "*.log")]);
        let out = files(&labelled_context(&tar, "Dockerfile", None, &labels()).unwrap());
        assert_eq!(
            out[1],
            (
                ".dockerignore".into(),
                format!("*.log\n{BUILD_DOCKERFILE}\n")
            )
        );
        assert!(labelled_context(&tar, "other/Dockerfile", None, &labels()).is_none());
    }
}
