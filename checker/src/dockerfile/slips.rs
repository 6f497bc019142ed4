//! Slips a Dockerfile's author makes that Docker reports late or not at all.

/// Common slips a Dockerfile's author makes that Docker reports late or not at all, each told as
/// what happens and why: a COPY to a folder without the trailing `/`, an exec-form list Docker
/// cannot read (it silently becomes shell form), scripts with Windows line endings or without
/// their `#!` line. `context` is the build context, to read the scripts COPY takes from it.
pub fn slips(text: &str, context: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let lines = logical_lines(text);
    let mut copies: Vec<(String, String, String)> = Vec::new(); // (line, sources, destination)
    for (i, line) in lines.iter().enumerate() {
        let mut words = line.split_whitespace();
        let Some(kw) = words.next() else { continue };
        let kw = kw.to_ascii_uppercase();
        let rest = line[line.find(char::is_whitespace).unwrap_or(line.len())..].trim();
        match kw.as_str() {
            "COPY" | "ADD" => {
                let args: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                // `--from`: the source is in a stage or an image, not the context, and may
                // well be a folder this check cannot see.
                let from_elsewhere = rest
                    .split_whitespace()
                    .any(|w| w.to_ascii_lowercase().starts_with("--from"));
                if args.len() == 2 && !rest.starts_with('[') && !from_elsewhere {
                    let (src, dest) = (args[0], args[1]);
                    let folder_later = lines[i + 1..]
                        .iter()
                        .any(|l| l.contains(&format!("{dest}/")));
                    // A folder (`.`, `src/`) or a pattern copies into the destination anyway.
                    let one_file = !src.ends_with('/')
                        && !src.contains('*')
                        && !src.contains('?')
                        && !context.join(src).is_dir()
                        && !src.starts_with("http");
                    if one_file && !dest.ends_with('/') && !dest.ends_with('.') && folder_later {
                        out.push(format!(
                            "`{kw} {src} {dest}` copies {src} to a file named {dest}, not into a folder: \
                             later steps use {dest}/… as a folder. A destination that ends in `/` is a folder."
                        ));
                    }
                    copies.push((line.clone(), src.to_string(), dest.to_string()));
                }
            }
            "CMD" | "ENTRYPOINT" | "RUN" | "HEALTHCHECK" => {
                let body = if kw == "HEALTHCHECK" {
                    rest.split_once("CMD").map(|(_, b)| b.trim()).unwrap_or("")
                } else {
                    rest
                };
                if body.starts_with('[') && serde_json::from_str::<Vec<String>>(body).is_err() {
                    let why = if !body.trim_end().ends_with(']') {
                        "the closing `]` is missing"
                    } else if body.contains('\'') {
                        "it uses single quotes; JSON needs double quotes"
                    } else {
                        "it is not a valid JSON list of strings"
                    };
                    out.push(format!(
                        "`{kw} {body}` looks like exec form, but {why}: Docker then runs it as shell \
                         form, `/bin/sh -c '{body}'`, without saying so."
                    ));
                }
            }
            _ => {}
        }
    }
    // Scripts the image runs: Windows line endings, or no `#!` line.
    for (_, src, _) in &copies {
        let path = context.join(src);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let is_script = src.ends_with(".sh") || bytes.starts_with(b"#!");
        if !is_script || bytes.len() > 1_000_000 {
            continue;
        }
        if bytes.windows(2).any(|w| w == b"\r\n") {
            out.push(format!(
                "{src} has Windows line endings (CRLF): its `#!` line asks for a program whose name \
                 ends in an invisible `\\r`, which does not exist (\"no such file or directory\"). \
                 Save it with Unix line endings (LF)."
            ));
        } else if !bytes.starts_with(b"#!") && runs_directly(&lines, src) {
            out.push(format!(
                "{src} has no `#!` line at its top, so the kernel does not know which program runs \
                 it (\"exec format error\")."
            ));
        }
    }
    out
}

/// Whether a `CMD`, `ENTRYPOINT` or `RUN` runs the script `src` as a program (`/app/run.sh`,
/// `./run.sh`), which needs its `#!` line; `sh run.sh` does not.
pub(super) fn runs_directly(lines: &[String], src: &str) -> bool {
    let name = src.rsplit('/').next().unwrap_or(src);
    let is_script = |word: &str| {
        let word = word.trim_matches(|c| c == '"' || c == '\'');
        word == name || word.ends_with(&format!("/{name}"))
    };
    lines.iter().any(|line| {
        let Some((kw, rest)) = line.trim().split_once(char::is_whitespace) else {
            return false;
        };
        let kw = kw.to_ascii_uppercase();
        if !matches!(kw.as_str(), "CMD" | "ENTRYPOINT" | "RUN") {
            return false;
        }
        let rest = rest.trim();
        if let Ok(list) = serde_json::from_str::<Vec<String>>(rest) {
            return list.first().is_some_and(|p| is_script(p));
        }
        // Shell form: the first word of each command in the line.
        rest.split(['&', ';', '|'])
            .filter_map(|cmd| cmd.split_whitespace().find(|w| !w.contains('=')))
            .any(is_script)
    })
}

/// Instructions joined across `\` continuations, comments and blank lines dropped.
pub(super) fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for raw in text.lines() {
        let l = raw.trim_end_matches('\r');
        if cur.is_empty() && (l.trim_start().starts_with('#') || l.trim().is_empty()) {
            continue;
        }
        if let Some(head) = l.strip_suffix('\\') {
            cur.push_str(head);
            cur.push(' ');
            continue;
        }
        cur.push_str(l);
        out.push(cur.trim().to_string());
        cur.clear();
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::slips;

    fn with_files(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, body) in files {
            std::fs::write(d.path().join(name), body).unwrap();
        }
        d
    }

    #[test]
    fn copy_to_a_folder_without_the_slash_is_explained() {
        let d = with_files(&[("hello.sh", b"#!/bin/sh\necho hi\n")]);
        let s = slips(
            "FROM busybox:1.36.1\nCOPY hello.sh /app\nCMD [\"/app/hello.sh\"]\n",
            d.path(),
        );
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(
            s[0].contains("to a file named /app, not into a folder"),
            "{s:?}"
        );
        // With the slash, or copying to a file path on purpose: nothing to say.
        assert!(slips(
            "FROM b\nCOPY hello.sh /app/\nCMD [\"/app/hello.sh\"]\n",
            d.path()
        )
        .is_empty());
        assert!(slips("FROM b\nCOPY . /app\nCMD [\"/app/hello.sh\"]\n", d.path()).is_empty());
        // From a stage: its /app is a folder the context knows nothing of.
        assert!(slips(
            "FROM b AS files\nCOPY hello.sh /app/\nFROM b\nCOPY --from=files /app /app\nCMD [\"/app/hello.sh\"]\n",
            d.path()
        )
        .is_empty());
        assert!(slips(
            "FROM b\nCOPY hello.sh /app/hello.sh\nCMD [\"/app/hello.sh\"]\n",
            d.path()
        )
        .is_empty());
    }

    #[test]
    fn malformed_exec_form_is_explained() {
        let d = with_files(&[]);
        let s = slips("FROM b\nCMD [\"/app/hello.sh\"\n", d.path());
        assert!(
            s.len() == 1 && s[0].contains("the closing `]` is missing") && s[0].contains("shell"),
            "{s:?}"
        );
        let s = slips("FROM b\nENTRYPOINT ['/app/hello.sh']\n", d.path());
        assert!(s.len() == 1 && s[0].contains("single quotes"), "{s:?}");
        assert!(slips(
            "FROM b\nCMD [\"/app/hello.sh\"]\nCMD /app/hello.sh\n",
            d.path()
        )
        .is_empty());
    }

    #[test]
    fn crlf_scripts_and_missing_shebangs_are_explained() {
        let d = with_files(&[
            ("crlf.sh", b"#!/bin/sh\r\necho hi\r\n"),
            ("bare.sh", b"echo hi\n"),
            ("ok.sh", b"#!/bin/sh\necho hi\n"),
        ]);
        let s = slips(
            "FROM b\nCOPY crlf.sh /app/\nCOPY bare.sh /app/\nCOPY ok.sh /app/\nCMD [\"/app/bare.sh\"]\n",
            d.path(),
        );
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].contains("crlf.sh has Windows line endings"), "{s:?}");
        assert!(s[1].contains("bare.sh has no `#!` line"), "{s:?}");
        // Run directly in shell form too, and after other commands.
        for run in [
            "CMD ./bare.sh",
            "ENTRYPOINT /app/bare.sh --flag",
            "RUN chmod +x bare.sh && ./bare.sh",
        ] {
            let s = slips(
                &format!("FROM b\nWORKDIR /app\nCOPY bare.sh .\n{run}\n"),
                d.path(),
            );
            assert!(
                s.len() == 1 && s[0].contains("no `#!` line"),
                "{run}: {s:?}"
            );
        }
    }

    #[test]
    fn a_script_given_to_its_shell_needs_no_shebang() {
        let d = with_files(&[("bare.sh", b"echo hi\n")]);
        for run in [
            "CMD [\"sh\", \"/app/bare.sh\"]",
            "CMD sh /app/bare.sh",
            "ENTRYPOINT [\"/bin/bash\", \"bare.sh\"]",
            "RUN sh bare.sh && echo done",
        ] {
            let s = slips(
                &format!("FROM b\nWORKDIR /app\nCOPY bare.sh /app/\n{run}\n"),
                d.path(),
            );
            assert!(s.is_empty(), "{run}: {s:?}");
        }
    }
}
