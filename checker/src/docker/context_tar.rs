//! The build context: the files under the exercise folder, minus what `.dockerignore` excludes,
//! as a tar for the daemon. Like the Docker CLI, the Dockerfile and `.dockerignore` are always
//! sent. Symlinks that leave the context are refused. As with BuildKit, an ignore file named
//! after the Dockerfile (`Dockerfile.dockerignore`, beside it) is used instead of the context's
//! `.dockerignore` when there is one.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// What went wrong reading the context (a learner's problem, shown as a failed check).
#[derive(Debug)]
pub struct ContextProblem(pub String);

/// A packed context, with its size and its biggest files (for the huge-context warning).
pub struct Packed {
    pub tar: Vec<u8>,
    pub bytes: u64,
    pub biggest: Vec<(String, u64)>,
    /// The folder packed (absolute when it was given so): BuildKit keeps one synced copy of a
    /// context per folder, as it does for the docker CLI.
    pub root: PathBuf,
    /// Each entry's modification time in nanoseconds, by its path in the tar. A tar header
    /// holds whole seconds, but BuildKit's file sync skips a file whose size and time did not
    /// change, so an edit within the same second must still show as one.
    pub mtimes: HashMap<String, i64>,
}

/// Contexts bigger than this get a warning naming the biggest files.
pub const WARN_BYTES: u64 = 100 * 1024 * 1024;

/// Contexts bigger than this are refused before anything is read or sent: no exercise needs one,
/// and packing it would hold it all in memory (a forgotten disk image, a `node_modules`).
pub const REFUSE_BYTES: u64 = 1024 * 1024 * 1024;

/// The size of what [`pack`] would send and its biggest files, from file metadata only (a sparse
/// 2 GB file costs nothing to measure). Runs before packing, so a huge context is reported
/// before any of it is read.
pub fn measure(root: &Path, dockerfile: &str) -> Result<(u64, Vec<(String, u64)>), ContextProblem> {
    let ig = matcher(root, dockerfile)?;
    let mut files = Vec::new();
    walk(root, root, &ig, &mut files)?;
    let mut total = 0u64;
    let mut sizes = Vec::new();
    for (full, rel) in files {
        let meta = std::fs::symlink_metadata(&full)
            .map_err(|e| ContextProblem(format!("{}: {e}", rel.display())))?;
        if meta.is_file() {
            total += meta.len();
            sizes.push((rel.display().to_string(), meta.len()));
        }
    }
    sizes.retain(|s| s.1 >= 1_000_000);
    sizes.sort_by_key(|s| std::cmp::Reverse(s.1));
    sizes.truncate(3);
    Ok((total, sizes))
}

/// The ignore file `docker build` reads for `dockerfile` (relative to `root`): the one named
/// after the Dockerfile when it exists, else the context's `.dockerignore`. Relative to `root`.
pub fn ignore_file(root: &Path, dockerfile: &str) -> PathBuf {
    let own = PathBuf::from(format!("{dockerfile}.dockerignore"));
    if root.join(&own).is_file() {
        own
    } else {
        PathBuf::from(".dockerignore")
    }
}

/// Docker's `.dockerignore` patterns are anchored at the context root; gitignore's are not, so
/// each pattern is anchored before it is handed to the gitignore matcher.
fn matcher(root: &Path, dockerfile: &str) -> Result<Gitignore, ContextProblem> {
    let mut b = GitignoreBuilder::new(root);
    let file = ignore_file(root, dockerfile);
    let name = file.display().to_string();
    if let Ok(text) = std::fs::read_to_string(root.join(&file)) {
        // Docker drops a UTF-8 byte order mark (Windows editors write one) before the first line.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (neg, pat) = match line.strip_prefix('!') {
                Some(p) => ("!", p.trim()),
                None => ("", line),
            };
            let cleaned = clean(pat);
            let pat = cleaned.trim_start_matches('/');
            let anchored = if pat.starts_with("**") {
                pat.to_string()
            } else {
                format!("/{pat}")
            };
            b.add_line(None, &format!("{neg}{anchored}"))
                .map_err(|e| ContextProblem(format!("{name}: {e}")))?;
        }
    }
    b.build()
        .map_err(|e| ContextProblem(format!("{name}: {e}")))
}

/// A pattern as Docker reads it (Go's `filepath.Clean`): `./` and empty parts dropped, `..`
/// resolved, no trailing `/`. So `.env/` and `logs/../logs` name `.env` and `logs`, files or
/// folders alike, where gitignore would read a trailing `/` as "folders only".
fn clean(pat: &str) -> String {
    let rooted = pat.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in pat.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// A tar header for a context entry written the way the docker CLI writes it: permission bits
/// only (no file-type bits in the mode) and owned by 0:0. The classic builder's cache keys hash
/// these headers, so a context packed like this shares the build cache with the learner's own
/// `docker build` of the same folder (and a scenario's set-up builds).
fn cli_header(meta: &std::fs::Metadata) -> tar::Header {
    use std::os::unix::fs::PermissionsExt;
    let mut h = tar::Header::new_gnu();
    h.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
    h.set_mode(meta.permissions().mode() & 0o7777);
    h.set_uid(0);
    h.set_gid(0);
    h
}

/// Pack `root`, always including `dockerfile` (a path relative to root), replacing the content of
/// `override_file` when given (used by the rebuild check to simulate a code change).
pub fn pack(
    root: &Path,
    dockerfile: &str,
    override_file: Option<(&Path, &[u8])>,
) -> Result<Packed, ContextProblem> {
    let ig = matcher(root, dockerfile)?;
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    walk(root, root, &ig, &mut files)?;
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    // The daemon cannot read GNU sparse entries ("unhandled tar header type 83"): a sparse file
    // (a disk image, a database) is sent with its holes filled in, as the Docker CLI does.
    builder.sparse(false);
    let mut bytes = 0u64;
    let mut sizes = Vec::new();
    let always = [PathBuf::from(dockerfile), ignore_file(root, dockerfile)];
    for extra in &always {
        let full = root.join(extra);
        if full.is_file() && !files.iter().any(|(_, rel)| rel == extra) {
            files.push((full, extra.clone()));
        }
    }
    let mut mtimes = HashMap::new();
    for (full, rel) in &files {
        let meta = std::fs::symlink_metadata(full)
            .map_err(|e| ContextProblem(format!("{}: {e}", rel.display())))?;
        let edited = override_file.is_some_and(|(path, _)| path == rel);
        // The changed file is saved now, as an editor would.
        let modified = if edited {
            Ok(std::time::SystemTime::now())
        } else {
            meta.modified()
        };
        if let Ok(ns) = modified.map(nanos_since_epoch) {
            mtimes.insert(rel.to_string_lossy().to_string(), ns);
        }
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(full)
                .map_err(|e| ContextProblem(format!("{}: {e}", rel.display())))?;
            if leaves(rel, &target) {
                return Err(ContextProblem(format!(
                    "{} is a symlink to {}, outside the build context; dockdojo does not send \
                     files from outside the exercise folder",
                    rel.display(),
                    target.display()
                )));
            }
        }
        let mut h = cli_header(&meta);
        if let Some((path, content)) = override_file {
            if path == rel {
                h.set_size(content.len() as u64);
                h.set_cksum();
                builder
                    .append_data(&mut h, rel, content)
                    .map_err(|e| ContextProblem(e.to_string()))?;
                bytes += content.len() as u64;
                continue;
            }
        }
        let appended = if meta.file_type().is_symlink() {
            std::fs::read_link(full).and_then(|target| builder.append_link(&mut h, rel, target))
        } else if meta.is_dir() {
            h.set_size(0);
            h.set_cksum();
            builder.append_data(&mut h, rel, std::io::empty())
        } else {
            std::fs::File::open(full).and_then(|f| {
                h.set_cksum();
                builder.append_data(&mut h, rel, f)
            })
        };
        appended.map_err(|e| ContextProblem(format!("{}: {e}", rel.display())))?;
        if meta.is_file() {
            bytes += meta.len();
            sizes.push((rel.display().to_string(), meta.len()));
        }
    }
    let tar = builder
        .into_inner()
        .map_err(|e| ContextProblem(e.to_string()))?;
    sizes.sort_by_key(|s| std::cmp::Reverse(s.1));
    sizes.truncate(5);
    Ok(Packed {
        tar,
        bytes,
        biggest: sizes,
        root: root.to_path_buf(),
        mtimes,
    })
}

/// Nanoseconds since the epoch (negative before it), as fsutil's `Stat.mod_time` holds them.
fn nanos_since_epoch(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i64,
        Err(e) => -(e.duration().as_nanos() as i64),
    }
}

/// A packed context with the file `name` holding `text` instead (same header otherwise);
/// `None` when the tar has no such file.
pub fn replace_file(tar: &[u8], name: &str, text: &str) -> Option<Vec<u8>> {
    let mut out = tar::Builder::new(Vec::new());
    let mut found = false;
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().ok()? {
        let mut e = entry.ok()?;
        let mut header = e.header().clone();
        if e.path().ok()?.as_ref() == Path::new(name) {
            found = true;
            header.set_size(text.len() as u64);
            header.set_cksum();
            out.append_data(&mut header, name, text.as_bytes()).ok()?;
        } else {
            out.append(&header, &mut e).ok()?;
        }
    }
    found.then(|| out.into_inner().ok()).flatten()
}

/// The paths in a packed context.
pub fn names(tar: &[u8]) -> Vec<String> {
    let mut a = tar::Archive::new(tar);
    let Ok(entries) = a.entries() else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| {
            e.path()
                .ok()
                .map(|p| p.display().to_string().trim_end_matches('/').to_string())
        })
        .collect()
}

fn walk(
    root: &Path,
    dir: &Path,
    ig: &Gitignore,
    out: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), ContextProblem> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| ContextProblem(format!("{}: {e}", dir.display())))?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let full = e.path();
        let rel = full.strip_prefix(root).unwrap_or(&full).to_path_buf();
        let ft = e
            .file_type()
            .map_err(|err| ContextProblem(format!("{}: {err}", rel.display())))?;
        let is_dir = ft.is_dir();
        if ig.matched_path_or_any_parents(&rel, is_dir).is_ignore() {
            // A directory can be ignored while a file inside is re-included with `!`;
            // Docker handles that, so descend anyway and let each file decide.
            if is_dir {
                walk(root, &full, ig, out)?;
            }
            continue;
        }
        out.push((full.clone(), rel));
        if is_dir {
            walk(root, &full, ig, out)?;
        }
    }
    Ok(())
}

/// Does a symlink at `rel` pointing to `target` leave the context?
fn leaves(rel: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return true;
    }
    let mut depth: i64 = rel.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &Packed) -> Vec<String> {
        let mut a = tar::Archive::new(&p.tar[..]);
        let mut v: Vec<String> = a
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        v.sort();
        v
    }

    /// As BuildKit does: `Dockerfile.dockerignore` beside the Dockerfile replaces the context's
    /// `.dockerignore`; without it, `.dockerignore` rules.
    #[test]
    fn an_ignore_file_named_after_the_dockerfile_comes_first() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::write(r.join("Dockerfile"), "FROM x:1\n").unwrap();
        std::fs::create_dir_all(r.join("secrets")).unwrap();
        std::fs::write(r.join("secrets/token.txt"), "s3cret").unwrap();
        std::fs::write(r.join("notes.md"), "x").unwrap();
        std::fs::write(r.join(".dockerignore"), "notes.md\n").unwrap();
        let n = names(&pack(r, "Dockerfile", None).unwrap());
        assert!(n.contains(&"secrets/token.txt".to_string()), "{n:?}");
        assert!(!n.contains(&"notes.md".to_string()), "{n:?}");
        std::fs::write(r.join("Dockerfile.dockerignore"), "secrets\n").unwrap();
        let n = names(&pack(r, "Dockerfile", None).unwrap());
        assert!(!n.contains(&"secrets/token.txt".to_string()), "{n:?}");
        assert!(n.contains(&"notes.md".to_string()), "{n:?}");
        assert!(n.contains(&"Dockerfile.dockerignore".to_string()), "{n:?}");
        // Another Dockerfile's own ignore file is not this one's.
        let n = names(&pack(r, "other.Dockerfile", None).unwrap());
        assert!(n.contains(&"secrets/token.txt".to_string()), "{n:?}");
        // Dockerfile, notes.md and both ignore files: not the token.
        assert_eq!(measure(r, "Dockerfile").unwrap().0, 9 + 1 + 9 + 8);
    }

    /// PowerShell 5.1's `Set-Content -Encoding UTF8` and older Notepad start the file with a
    /// byte order mark; Docker reads the first pattern without it.
    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_pattern() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::write(r.join("Dockerfile"), "\u{feff}FROM x:1\n").unwrap();
        std::fs::write(r.join(".env"), "TOKEN=1").unwrap();
        std::fs::write(r.join(".dockerignore"), "\u{feff}.env\nlogs\n").unwrap();
        let n = names(&pack(r, "Dockerfile", None).unwrap());
        assert!(!n.contains(&".env".to_string()), "{n:?}");
        assert!(crate::dockerfile::parse("\u{feff}FROM x:1\n").is_ok());
    }

    #[test]
    fn patterns_are_cleaned_as_docker_cleans_them() {
        for (pat, want) in [
            (".env/", ".env"),
            ("./.env", ".env"),
            ("logs/../logs", "logs"),
            ("a//b/./c/", "a/b/c"),
            ("/secrets/", "/secrets"),
            ("../x", "../x"),
            ("**/*.log", "**/*.log"),
            ("./", "."),
        ] {
            assert_eq!(clean(pat), want, "{pat}");
        }
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::write(r.join("Dockerfile"), "FROM x:1\n").unwrap();
        std::fs::write(r.join(".dockerignore"), ".env/\nlogs/../logs\n").unwrap();
        std::fs::write(r.join(".env"), "SECRET=1").unwrap();
        std::fs::create_dir_all(r.join("logs")).unwrap();
        std::fs::write(r.join("logs/a.log"), "x").unwrap();
        let n = names(&pack(r, "Dockerfile", None).unwrap());
        assert!(
            !n.iter().any(|x| x == ".env" || x.starts_with("logs")),
            "{n:?}"
        );
    }

    #[test]
    fn dockerignore_is_anchored_and_negations_work() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::write(r.join("Dockerfile"), "FROM x:1\n").unwrap();
        std::fs::write(
            r.join(".dockerignore"),
            ".env\nlogs\n*.md\n!README.md\nDockerfile\n",
        )
        .unwrap();
        std::fs::write(r.join(".env"), "SECRET=1").unwrap();
        std::fs::create_dir_all(r.join("src/logs")).unwrap();
        std::fs::write(r.join("src/logs/keep.txt"), "x").unwrap();
        std::fs::create_dir_all(r.join("logs")).unwrap();
        std::fs::write(r.join("logs/a.log"), "x").unwrap();
        std::fs::write(r.join("notes.md"), "x").unwrap();
        std::fs::write(r.join("README.md"), "x").unwrap();
        let p = pack(r, "Dockerfile", None).unwrap();
        let n = names(&p);
        assert!(n.contains(&"Dockerfile".to_string()), "{n:?}");
        assert!(n.contains(&"README.md".to_string()), "{n:?}");
        assert!(
            n.contains(&"src/logs/keep.txt".to_string()),
            "anchored: {n:?}"
        );
        assert!(
            !n.iter()
                .any(|x| x == ".env" || x == "notes.md" || x.starts_with("logs")),
            "{n:?}"
        );
    }

    #[test]
    fn symlink_out_of_context_is_refused() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("Dockerfile"), "FROM x:1\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", t.path().join("pw")).unwrap();
        let e = pack(t.path(), "Dockerfile", None).err().unwrap();
        assert!(e.0.contains("outside the build context"), "{}", e.0);
        assert!(leaves(Path::new("a/b"), Path::new("../../x")));
        assert!(!leaves(Path::new("a/b"), Path::new("../x")));
    }

    #[test]
    fn override_replaces_content() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("Dockerfile"), "FROM x:1\n").unwrap();
        std::fs::write(t.path().join("app.sh"), "echo 1\n").unwrap();
        let p = pack(
            t.path(),
            "Dockerfile",
            Some((Path::new("app.sh"), b"echo 2\n")),
        )
        .unwrap();
        let mut a = tar::Archive::new(&p.tar[..]);
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            if e.path().unwrap() == Path::new("app.sh") {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut e, &mut s).unwrap();
                assert_eq!(s, "echo 2\n");
            }
        }
    }
}
