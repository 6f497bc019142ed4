//! The book: embedded in the binary, built with mdBook (as a library) after the exercise cards,
//! solutions, quizzes and the workshop schedule are generated from `exercises/` and `book/quiz/`.
//! `dockdojo book` builds it into a cache folder and serves it on 127.0.0.1, or writes it with
//! `--out DIR`.

mod cards;
pub mod schedule;
mod serve;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use include_dir::{include_dir, Dir};
use mdbook_driver::MDBook;

use crate::catalog::{self, Entry};

static BOOK: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/book");

pub use cards::DojoPreprocessor;
pub use serve::serve;

/// Build the embedded book into `out` (created if missing). Returns the path of index.html.
pub fn build(out: &Path) -> Result<PathBuf> {
    let src = tempfile::tempdir()?;
    extract(&BOOK, src.path())?;
    build_from(src.path(), out, catalog::load()?)
}

/// Build a book from a source folder (tests use the repository's `book/` directly).
pub fn build_from(root: &Path, out: &Path, exercises: Vec<Entry>) -> Result<PathBuf> {
    let mut md = MDBook::load(root)
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("loading the book")?;
    md.config
        .set("build.build-dir", out)
        .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    md.with_preprocessor(DojoPreprocessor::new(exercises, quizzes_from(root)?));
    md.build()
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("building the book")?;
    Ok(out.join("index.html"))
}

fn quizzes_from(root: &Path) -> Result<Vec<crate::quiz::Quiz>> {
    crate::quiz::load_dir(&root.join("quiz"))
}

fn extract(dir: &Dir<'_>, dest: &Path) -> Result<()> {
    for f in dir.files() {
        let target = dest.join(f.path());
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::write(&target, f.contents())?;
    }
    for d in dir.dirs() {
        extract(d, dest)?;
    }
    Ok(())
}

/// The embedded quiz files (for `dockdojo quiz`).
pub fn embedded_quizzes() -> Result<Vec<crate::quiz::Quiz>> {
    let mut v = Vec::new();
    if let Some(d) = BOOK.get_dir("quiz") {
        for f in d.files() {
            let name = f.path().display().to_string();
            let text = f
                .contents_utf8()
                .with_context(|| format!("{name} is not UTF-8"))?;
            v.push(crate::quiz::parse(&name, text)?);
        }
    }
    v.sort_by_key(|q| q.chapter);
    Ok(v)
}

/// Where `dockdojo book` builds by default.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("dockdojo")
        .join(format!("book-{}", env!("CARGO_PKG_VERSION")))
}
