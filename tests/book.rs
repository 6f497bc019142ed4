//! The book builds offline from the embedded sources, every exercise has its card, and every
//! internal link and anchor resolves — including each exercise's and each check's `book` link.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use common::{dockdojo, text};

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            html_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "html") {
            out.push(p);
        }
    }
}

/// Values of an attribute (`href="…"`, `id="…"`) in an HTML text.
fn attrs<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let pat = format!("{name}=\"");
    html.match_indices(&pat)
        .filter_map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[test]
fn the_book_builds_and_every_link_and_anchor_resolves() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("book");
    let o = dockdojo(t.path(), &["book", "--out", out.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(out.join("index.html").is_file());

    let mut files = Vec::new();
    html_files(&out, &mut files);
    let mut ids: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    for f in &files {
        let html = std::fs::read_to_string(f).unwrap();
        ids.insert(
            f.clone(),
            attrs(&html, "id").into_iter().map(str::to_string).collect(),
        );
    }
    let mut broken = Vec::new();
    let mut checked = 0;
    for f in &files {
        if f.file_name()
            .is_some_and(|n| n == "print.html" || n == "404.html" || n == "toc.html")
        {
            continue;
        }
        let html = std::fs::read_to_string(f).unwrap();
        for href in attrs(&html, "href") {
            if href.contains("://") || href.starts_with("mailto:") || href.starts_with("data:") {
                continue;
            }
            let (path, anchor) = href.split_once('#').unwrap_or((href, ""));
            let target = if path.is_empty() {
                f.clone()
            } else {
                f.parent().unwrap().join(path)
            };
            let target = target.canonicalize().unwrap_or(target);
            if !path.is_empty() && !target.exists() {
                broken.push(format!("{}: {href} (no such file)", f.display()));
                continue;
            }
            if !anchor.is_empty() && target.extension().is_some_and(|x| x == "html") {
                let known = ids.get(&target).cloned().unwrap_or_else(|| {
                    attrs(&std::fs::read_to_string(&target).unwrap(), "id")
                        .into_iter()
                        .map(str::to_string)
                        .collect()
                });
                if !known.contains(anchor) {
                    broken.push(format!("{}: {href} (no anchor)", f.display()));
                }
            }
            checked += 1;
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 50, "only {checked} links checked");

    // Every exercise's and every check's book link lands on an anchor.
    let exercises = Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises");
    for e in std::fs::read_dir(exercises).unwrap().flatten() {
        let file = e.path().join("exercise.toml");
        if !file.is_file() {
            continue;
        }
        let ex =
            checker::spec::parse_exercise("x", &std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut links = vec![ex.book.clone()];
        links.extend(ex.checks.iter().filter_map(|c| c.book.clone()));
        for link in links {
            let (page, anchor) = link.split_once('#').unwrap();
            let html = out.join(page.replace(".md", ".html"));
            let known = ids
                .get(&html.canonicalize().unwrap_or(html.clone()))
                .cloned()
                .unwrap_or_default();
            assert!(
                known.contains(anchor),
                "{}: book link {link} does not resolve",
                ex.id
            );
        }
        let card = std::fs::read_to_string(
            out.join(ex.book.split_once('#').unwrap().0.replace(".md", ".html")),
        )
        .unwrap();
        assert!(
            card.contains(&format!("dockdojo check {}", ex.id)),
            "{}: its card is not on its page",
            ex.id
        );
    }
    // The generated pages exist.
    for page in ["solutions.html", "schedule.html"] {
        assert!(out.join(page).is_file(), "{page}");
    }
    let schedule = std::fs::read_to_string(out.join("schedule.html")).unwrap();
    assert!(
        schedule.contains("Half day") && schedule.contains("Full day"),
        "schedule tracks"
    );
}

/// The chapters the book's contents list are exactly the ones an exercise may name (0 to
/// `LAST_CHAPTER`), in order, so a new chapter cannot be added to one and not the other.
#[test]
fn the_summary_lists_every_chapter_an_exercise_may_name() {
    let summary =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/SUMMARY.md"))
            .unwrap();
    let listed: Vec<u32> = summary
        .lines()
        .filter_map(|l| l.strip_prefix("[Chapter "))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a chapter without a number: {rest}"))
        })
        .collect();
    let want: Vec<u32> = (0..=checker::spec::LAST_CHAPTER).collect();
    assert_eq!(listed, want, "{summary}");
}

#[test]
fn every_chapter_has_a_quiz_the_cli_can_ask() {
    let t = tempfile::tempdir().unwrap();
    let o = dockdojo(t.path(), &["quiz"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let listed = text(&o);
    for ch in 0..=checker::spec::LAST_CHAPTER {
        assert!(
            listed
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{ch} "))),
            "no quiz for chapter {ch}:\n{listed}"
        );
    }
    // Answer chapter 2's quiz with all "a": it is graded (exit 0 only when all right).
    let mut child = std::process::Command::new(common::bin())
        .args(["quiz", "2"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all("a\n".repeat(20).as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains(" right."), "{s}");
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{s}");
}

/// Facts the book once got wrong stay corrected (each pair: the chapter, what it must say, what
/// it must no longer say).
#[test]
fn corrected_facts_stay_corrected() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src");
    let chapter = |prefix: &str| {
        let f = std::fs::read_dir(&src)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .unwrap_or_else(|| panic!("no chapter {prefix}"));
        std::fs::read_to_string(f.path()).unwrap()
    };
    for (prefix, says, not) in [
        // `-t` without `-i`: a prompt that ignores keys and SIGTERM, not an exit.
        (
            "ch00",
            "ignores your keys",
            "Leave out `-i` and `sh` reads an empty stdin",
        ),
        // BuildKit keeps LABEL out of the step cache.
        ("ch03", "later steps stay cached", "Yes, like any step"),
        // Named volumes survive `volume prune` only since Engine 23.
        (
            "ch05",
            "since Docker Engine 23",
            "On current Docker it only removes",
        ),
        // A patch tag moves when rebuilt on a newer Debian release.
        (
            "ch10",
            "re-pointed when the image is rebuilt",
            "whatever was the default",
        ),
        // The sample failure is the real one: line 1, and a hint without the fix.
        ("intro", "line 1: the Dockerfile does not parse", "line 0:"),
        (
            "intro",
            "does not hand you\nthe fix",
            "Write the tag the task gives",
        ),
        // Docker Desktop 4.34+ has opt-in host networking.
        (
            "ch06",
            "Desktop 4.34",
            "on\nDocker Desktop it refers to the VM's network",
        ),
    ] {
        let text = chapter(prefix);
        assert!(text.contains(says), "{prefix} should say {says:?}");
        assert!(!text.contains(not), "{prefix} still says {not:?}");
    }
}
