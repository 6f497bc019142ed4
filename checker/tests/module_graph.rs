//! The checker's top-level modules depend on each other without a cycle: the graph is read from
//! the source (`crate::…` and `super::…` paths outside comments and literals), so a new import
//! that closes a loop fails here with the files that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules it names → the files that name them.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn at(c: &[char], i: usize) -> Option<char> {
    c.get(i).copied()
}

/// The source with comments, string and char literals blanked out (lifetimes stay).
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        if c[i] == '/' && at(&c, i + 1) == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && at(&c, i + 1) == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(&c, i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(&c, i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && matches!(at(&c, i + 1), Some('"') | Some('#'))
            && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
        {
            let mut hashes = 0;
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            i = j + 1;
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' && (at(&c, i + 2) == Some('\'') || at(&c, i + 1) == Some('\\')) {
            i += 1;
            while i < c.len() && c[i] != '\'' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn ident_at(s: &str) -> Option<&str> {
    let end = s
        .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .unwrap_or(s.len());
    (end > 0).then(|| &s[..end])
}

/// The first name of each item of a `{a, b::c, d::{e, f}}` group (`s` starts after the `{`).
fn group_heads(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut heads) = (0, 0, Vec::new());
    for (i, ch) in s.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' if depth == 0 => {
                heads.extend(ident_at(s[start..i].trim_start()));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                heads.extend(ident_at(s[start..i].trim_start()));
                start = i + 1;
            }
            _ => {}
        }
    }
    heads
}

/// The first names after each occurrence of `prefix` (one, or each of a group), with the
/// number of `super::` in the prefix run when `prefix` is `super::`.
fn named_after<'a>(code: &'a str, prefix: &str) -> Vec<(usize, &'a str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(prefix) {
        let start = from + at;
        let before = code[..start].chars().last();
        from = start + prefix.len();
        if before.is_some_and(|b| b.is_alphanumeric() || b == '_' || b == ':') {
            continue;
        }
        let mut ups = 1;
        while code[from..].starts_with(prefix) {
            ups += 1;
            from += prefix.len();
        }
        let rest = &code[from..];
        match rest.strip_prefix('{') {
            Some(group) => found.extend(group_heads(group).into_iter().map(|h| (ups, h))),
            None => found.extend(ident_at(rest).map(|h| (ups, h))),
        }
    }
    found
}

fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let top: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(src).ok()?.components().next())
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .filter(|m| m != "lib")
        .collect();
    let mut graph = Graph::new();
    for file in &files {
        let rel = file.strip_prefix(src).unwrap();
        let mut path: Vec<String> = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(path.last().map(String::as_str), Some("mod" | "lib")) {
            path.pop();
        }
        let Some(me) = path.first().cloned() else {
            continue;
        };
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        let mut named: Vec<String> = named_after(&code, "crate::")
            .into_iter()
            .map(|(_, h)| h.to_string())
            .collect();
        for (ups, head) in named_after(&code, "super::") {
            let base = &path[..path.len().saturating_sub(ups)];
            named.push(base.first().map_or(head, String::as_str).to_string());
        }
        for target in named {
            if target != me && top.contains(&target) {
                let files = graph.entry(me.clone()).or_default().entry(target);
                files.or_default().insert(rel.display().to_string());
            }
        }
    }
    graph
}

/// The cycles' modules: strongly connected components of more than one module.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let reaches = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for next in graph.get(&m).into_iter().flat_map(|t| t.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for m in graph.keys() {
        let from_m = reaches(m);
        let mut comp: Vec<String> = from_m
            .iter()
            .filter(|o| *o != m && reaches(o).contains(m))
            .cloned()
            .collect();
        if !comp.is_empty() {
            comp.push(m.clone());
            comp.sort();
            found.insert(comp);
        }
    }
    found.into_iter().collect()
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph(&src);
    for (from, to) in &graph {
        let names: Vec<&str> = to.keys().map(String::as_str).collect();
        println!("{from} -> {}", names.join(", "));
    }
    // The reader sees what a check kind, the engine and the spec name of each other.
    assert!(graph["engine"].contains_key("checks") && graph["spec"].contains_key("checks"));
    let mut why = String::new();
    for comp in cycles(&graph) {
        why.push_str(&format!("cycle among {}:\n", comp.join(", ")));
        for a in &comp {
            for (b, files) in graph.get(a).into_iter().flatten() {
                if comp.contains(b) {
                    why.push_str(&format!("  {a} -> {b} in {files:?}\n"));
                }
            }
        }
    }
    assert!(why.is_empty(), "{why}");
}

#[test]
fn the_reader_finds_paths_only_in_code() {
    let code = code_only(
        "use crate::{a, b::{c, d}};\n// crate::e\nlet s = \"crate::f\"; let c = '\"'; x::<'a>(crate::g::h);\n/* crate::i */ super::super::j",
    );
    let heads: Vec<&str> = named_after(&code, "crate::")
        .into_iter()
        .map(|(_, h)| h)
        .collect();
    assert_eq!(heads, ["a", "b", "g"]);
    assert_eq!(named_after(&code, "super::"), [(2, "j")]);
}
