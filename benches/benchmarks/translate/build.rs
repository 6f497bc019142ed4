//! The translations of the image-making checks: `build`, `rebuild` (the same build after a
//! touched file, its steps read from the log) and the static `dockerfile` rules (grep and awk).

use std::fmt::Write as _;

use checker::spec::{BuildCheck, DockerfileRule, RebuildCheck};

use super::{q, var, Tr};

impl Tr<'_> {
    /// `build`: `docker build` with the check's options; the layers it made are noted for removal.
    pub(super) fn build(&self, b: &BuildCheck) -> String {
        let img = var("IMG", &b.image);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{img}=\"bench-check/{}:$RUN-{}\"\nTAGS+=(\"${img}\")",
            self.ex.id,
            b.image.to_lowercase()
        );
        let ctx = q(&b.context);
        let _ = writeln!(
            s,
            "[ -s {ctx}/{} ] || {{ fail 'no Dockerfile'; return; }}",
            q(&b.dockerfile)
        );
        let _ = writeln!(
            s,
            "docker build {} -t \"${img}\" > \"$T/build-{img}.log\" 2>&1; rc=$?",
            build_args(b)
        );
        let _ = writeln!(s, "fresh_layers \"$T/build-{img}.log\" >> \"$T/fresh\"");
        let _ = writeln!(
            s,
            "[ $rc -eq 0 ] || {{ fail 'the build failed'; return; }}\n{img}_OK=1"
        );
        s
    }

    /// `rebuild`: the first build again after a touched file, each listed step cached or rebuilt as
    /// expected.
    pub(super) fn rebuild(&self, r: &RebuildCheck) -> String {
        let Some(b) = self.builds.get(&r.image) else {
            return "fail 'no build to repeat'\n".into();
        };
        let img = var("IMG", &r.image);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "[ -n \"${{{img}_OK:-}}\" ] || {{ fail 'not run: no first build'; return; }}"
        );
        let _ = writeln!(
            s,
            "mkdir -p \"$T/restore/$(dirname {f})\" && cp {f} \"$T/restore/\"{f} && RESTORE+=({f})\nprintf '\\n' >> {f}",
            f = q(&r.touch)
        );
        let _ = writeln!(s, "TAGS+=(\"${img}-rebuild\")");
        let _ = writeln!(
            s,
            "docker build {} -t \"${img}-rebuild\" > \"$T/rebuild.log\" 2>&1; rc=$?",
            build_args(b)
        );
        let _ = writeln!(s, "cat \"$T/restore/\"{f} > {f}", f = q(&r.touch));
        s.push_str("fresh_layers \"$T/rebuild.log\" >> \"$T/fresh\"\n");
        s.push_str("[ $rc -eq 0 ] || { fail 'the rebuild failed'; return; }\n");
        s.push_str("steps=$(steps_of \"$T/rebuild.log\")\n");
        for (want, entries) in [("C", &r.cached), ("R", &r.rebuilt)] {
            for e in entries {
                let cond = step_condition(e);
                let _ = writeln!(
                    s,
                    "st=none; while IFS=$'\\t' read -r s1 ins; do if {cond}; then st=$s1; break; fi; done <<< \"$steps\"\n[ \"$st\" = {want} ] || fail {}",
                    q(&format!("step {e}: {want} expected"))
                );
            }
        }
        s
    }
}

/// `docker build` arguments for a build check (context and Dockerfile relative to the exercise
/// folder, which is the script's working directory).
pub(super) fn build_args(b: &BuildCheck) -> String {
    let mut a = String::from("\"${BUILD_LABELS[@]}\" --force-rm --memory 1g");
    if let Some(t) = &b.target {
        let _ = write!(a, " --target {}", q(t));
    }
    if b.pull {
        a.push_str(" --pull");
    }
    for (k, v) in &b.build_args {
        let _ = write!(a, " --build-arg {}", q(&format!("{k}={v}")));
    }
    let _ = write!(
        a,
        " -f {} {}",
        q(&format!("{}/{}", b.context, b.dockerfile)),
        q(&b.context)
    );
    a
}

/// A bash condition on `$ins` matching a `cached`/`rebuilt` entry the way dockdojo does: a
/// substring, and the instruction keyword too when the entry starts with one.
fn step_condition(entry: &str) -> String {
    match entry.split_once(' ') {
        Some((kw, rest)) if kw.len() > 1 && kw.chars().all(|c| c.is_ascii_uppercase()) => {
            format!(
                "[[ \"${{ins^^}}\" == {}* && \"$ins\" == *{}* ]]",
                q(&format!("{kw} ")),
                q(rest.trim())
            )
        }
        _ => format!("[[ \"$ins\" == *{}* ]]", q(entry)),
    }
}

/// A static Dockerfile rule with grep/awk, as a shell checker would write it.
pub(super) fn dockerfile_rule(path: &str, rule: DockerfileRule) -> String {
    let f = q(path);
    let body = match rule {
        DockerfileRule::FromPinned => {
            "stages=' '\nwhile read -ra w; do\n  kw=${w[0]:-}; [ \"${kw^^}\" = FROM ] || continue\n  i=1; [[ \"${w[1]:-}\" == --* ]] && i=2\n  img=${w[$i]:-}; low=${img,,}; nx=${w[$((i+1))]:-}; as=${w[$((i+2))]:-}\n  [ \"${nx^^}\" = AS ] && as=${as,,} || as=\n  if [ \"$low\" != scratch ] && [[ \"$stages\" != *\" $low \"* ]] && [[ \"$img\" != *@sha256:* ]]; then\n    tag=${img##*/}\n    if [[ \"$tag\" != *:* ]] || [ \"${tag##*:}\" = latest ]; then fail \"unpinned $img\"; return; fi\n  fi\n  [ -n \"$as\" ] && stages+=\"$as \"\ndone < FILE\n"
        }
        DockerfileRule::MultiStage => {
            "awk 'toupper($1)==\"FROM\" { n++; last=0 } toupper($1)==\"COPY\" && $2 ~ /^--from=/ { last=1 } END { exit !(n >= 2 && last) }' FILE || fail 'not multi-stage'\n"
        }
        DockerfileRule::NonRootUser => {
            "u=$(awk 'toupper($1)==\"USER\" { u=$2 } END { print u }' FILE)\ncase \"$u\" in ''|root|0|0:*|root:*) fail \"user '$u'\";; esac\n"
        }
        DockerfileRule::ExecForm => {
            "grep -iE '^[[:space:]]*(CMD|ENTRYPOINT)[[:space:]]' FILE | grep -qvE '^[[:space:]]*[A-Za-z]+[[:space:]]+\\[' && fail 'shell form'\n"
        }
    };
    format!(
        "[ -f {f} ] || {{ fail 'no Dockerfile'; return; }}\n{}",
        body.replace("FILE", &f)
    )
}
