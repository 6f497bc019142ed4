//! The course catalog, embedded in the binary from `exercises/`: every exercise's spec, task,
//! starter, solution and mutants. One source of truth for the CLI, the TUI, JSON and the book.

use std::path::Path;

use anyhow::{bail, Context, Result};
use checker::spec::{self, Exercise, MutantExpect};
use include_dir::{include_dir, Dir, File};

static EXERCISES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/exercises");
const EXEC_BITS: &str = include_str!(concat!(env!("OUT_DIR"), "/exec_bits.txt"));

/// One exercise: its parsed spec and its embedded folder.
pub struct Entry {
    pub spec: Exercise,
    pub dir: &'static Dir<'static>,
}

/// A mutant: a known-wrong attempt and what it must fail on.
pub struct Mutant {
    pub name: String,
    pub expect: MutantExpect,
    pub dir: &'static Dir<'static>,
}

impl Entry {
    pub fn id(&self) -> &str {
        &self.spec.id
    }
    pub fn task(&self) -> &'static str {
        self.dir
            .get_file(format!("{}/README.md", self.spec.id))
            .and_then(|f| f.contents_utf8())
            .unwrap_or("")
    }
    pub fn sub(&self, name: &str) -> Option<&'static Dir<'static>> {
        self.dir.get_dir(format!("{}/{name}", self.spec.id))
    }
    /// Other valid ways to do the task (`solutions/<name>/`, each overlaid on the starter with
    /// its `solve.sh`): each must pass, like the reference solution.
    pub fn variants(&self) -> Vec<(String, &'static Dir<'static>)> {
        let mut out: Vec<_> = self
            .sub("solutions")
            .map(|s| {
                s.dirs()
                    .map(|d| {
                        let name = d.path().file_name().unwrap_or_default();
                        (name.to_string_lossy().to_string(), d)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    pub fn mutants(&self) -> Result<Vec<Mutant>> {
        let Some(m) = self.sub("mutants") else {
            return Ok(vec![]);
        };
        let mut out = Vec::new();
        for d in m.dirs() {
            let name = d.path().file_name().unwrap().to_string_lossy().to_string();
            let file = d
                .get_file(d.path().join("expect.toml"))
                .with_context(|| format!("{}: mutant {name} has no expect.toml", self.id()))?;
            let text = file.contents_utf8().unwrap_or("");
            let expect =
                spec::parse_mutant_expect(&file.path().display().to_string(), text, &self.spec)?;
            out.push(Mutant {
                name,
                expect,
                dir: d,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// All exercises, in id order. A spec error in the embedded catalog is a build defect; it is
/// reported with its file and line.
pub fn load() -> Result<Vec<Entry>> {
    load_where(|_| true)
}

/// The exercises `ids` name (each an id or its slug, as [`find`] takes them), parsed alone:
/// a check of one exercise does not read the other thirty. When one of them names none, all of
/// them, so that [`find`] can say what was meant.
pub fn load_named(ids: &[String]) -> Result<Vec<Entry>> {
    let names = |id: &str, dir: &str| dir == id || dir.get(3..) == Some(id);
    let all_found = ids.iter().all(|id| {
        EXERCISES
            .dirs()
            .any(|d| names(id, &d.path().display().to_string()))
    });
    if !all_found {
        return load();
    }
    load_where(|dir| ids.iter().any(|id| names(id, dir)))
}

fn load_where(wanted: impl Fn(&str) -> bool) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for d in EXERCISES.dirs() {
        let id = d.path().display().to_string();
        if !wanted(&id) {
            continue;
        }
        let Some(f) = d.get_file(format!("{id}/exercise.toml")) else {
            continue;
        };
        let text = f
            .contents_utf8()
            .with_context(|| format!("{id}/exercise.toml is not UTF-8"))?;
        let spec = spec::parse_exercise(&format!("exercises/{id}/exercise.toml"), text)?;
        if spec.id != id {
            bail!(
                "exercises/{id}/exercise.toml: id '{}' does not match its folder",
                spec.id
            );
        }
        out.push(Entry { spec, dir: d });
    }
    out.sort_by(|a, b| {
        (a.spec.chapter, a.spec.order, &a.spec.id).cmp(&(b.spec.chapter, b.spec.order, &b.spec.id))
    });
    Ok(out)
}

pub fn find<'a>(all: &'a [Entry], id: &str) -> Result<&'a Entry> {
    all.iter()
        .find(|e| e.spec.id == id || e.spec.id.get(3..) == Some(id))
        .with_context(|| match did_you_mean(all, id) {
            Some(near) => format!("no exercise '{id}'. Did you mean {near}?"),
            None => format!("no exercise '{id}'. `dockdojo list` shows them all."),
        })
}

/// The exercise id closest to a mistyped one, if one is close enough to be what was meant.
fn did_you_mean<'a>(all: &'a [Entry], typed: &str) -> Option<&'a str> {
    let typed = typed.to_lowercase();
    all.iter()
        .map(|e| {
            let full = distance(&typed, e.id());
            let slug = e.id().get(3..).map_or(full, |s| distance(&typed, s));
            (full.min(slug), e.id())
        })
        .filter(|(d, _)| *d <= 3.max(typed.chars().count() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, id)| id)
}

/// Edit distance (insertions, deletions, substitutions).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn is_exec(path: &Path) -> bool {
    let p = path.display().to_string();
    EXEC_BITS.lines().any(|l| l == p)
}

/// Write an embedded folder's files into `dest`, exec bits restored; paths are relative to `base`.
pub fn extract(dir: &Dir<'_>, base: &Path, dest: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    extract_into(dir, base, dest, &mut written)?;
    Ok(written)
}

fn extract_into(
    dir: &Dir<'_>,
    base: &Path,
    dest: &Path,
    written: &mut Vec<std::path::PathBuf>,
) -> Result<()> {
    for f in dir.files() {
        write_file(f, base, dest)?;
        written.push(
            f.path()
                .strip_prefix(base)
                .unwrap_or(f.path())
                .to_path_buf(),
        );
    }
    for d in dir.dirs() {
        std::fs::create_dir_all(dest.join(d.path().strip_prefix(base).unwrap_or(d.path())))?;
        extract_into(d, base, dest, written)?;
    }
    Ok(())
}

fn write_file(f: &File<'_>, base: &Path, dest: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let rel = f.path().strip_prefix(base).unwrap_or(f.path());
    if rel.file_name().is_some_and(|n| n == ".gitkeep") {
        return Ok(());
    }
    let target = dest.join(rel);
    if let Some(p) = target.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::write(&target, f.contents())
        .with_context(|| format!("writing {}", target.display()))?;
    if is_exec(f.path()) {
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_exercise_is_read_alone_and_a_misspelt_one_reads_all() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let one = load_named(&ids(&["00-first-container"])).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(
            find(&one, "00-first-container").unwrap().id(),
            "00-first-container"
        );
        let by_slug = load_named(&ids(&["first-container", "09-compose-stack"])).unwrap();
        let got: Vec<&str> = by_slug.iter().map(|e| e.id()).collect();
        assert_eq!(got, ["00-first-container", "09-compose-stack"]);
        let all = load().unwrap();
        assert!(all.len() > 2);
        let misspelt = load_named(&ids(&["00-first-containr"])).unwrap();
        assert_eq!(misspelt.len(), all.len());
        let err = match find(&misspelt, "00-first-containr") {
            Ok(_) => panic!("a misspelt id was found"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("Did you mean 00-first-container?"), "{err}");
    }
}
