//! The docker-CLI side of the comparison: a bash script generated from an exercise's checks, doing
//! the same inspections the way a shell-script checker does them (`docker build`, `docker image
//! inspect --format`, `docker run -d -p 127.0.0.1::PORT`, `docker port`, `curl` with retries,
//! `docker exec`, `docker inspect`, `docker volume inspect`, `docker network inspect`,
//! `docker ps --filter label=…`, `docker rm -f`, `docker rmi`).
//!
//! The script is generated rather than written by hand so it stays true to the spec: every check
//! kind has one translation below. It labels everything it creates with
//! `io.dockdojo-bench.run=<run id>` and removes it when it ends, including the build layers its
//! builds made (as dockdojo does), so each round starts from the same build-cache state.
//! Polling intervals are dockdojo's own (0.25 s for HTTP, 0.3 s for logs, 0.1 s for restarts), so
//! the comparison is about the work and its overhead, not about sleep lengths. Health is polled
//! every 0.1 s, the way script checkers do it; dockdojo follows the daemon's health events.
//!
//! Usage of a generated script: `bash SCRIPT EXERCISE_DIR RUN_ID`; exit 0 when every check passed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use checker::checks::recreate::RecreateCheck;
use checker::spec::{
    BuildCheck, CheckKind, CommandForm, ContainerCheck, DockerfileRule, Exercise, HttpCheck,
    RunExpect,
};

/// How faithfully a check kind's CLI translation matches what dockdojo does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fidelity {
    /// The same daemon work and the same verdict.
    Same,
    /// Equivalent daemon work; the verdict is computed more crudely (grep instead of a parser).
    Approximate,
    /// No reasonable docker-CLI equivalent: the script skips it, and its time is taken out of
    /// dockdojo's side of the comparison.
    NoEquivalent,
}

/// The fidelity of one check kind's translation.
pub fn fidelity(kind: &CheckKind) -> Fidelity {
    match kind {
        // The CLI cannot show the context it would send without building.
        CheckKind::Context(_) => Fidelity::NoEquivalent,
        // Judging a learner's written answer is not Docker work.
        CheckKind::Answer(_) => Fidelity::NoEquivalent,
        // A static rule: grep/awk instead of a Dockerfile parser.
        CheckKind::Dockerfile(_) => Fidelity::Approximate,
        // cmd_form is judged by the JSON prefix `["/bin/sh","-c",`.
        CheckKind::Image(i) if i.cmd_form.is_some() => Fidelity::Approximate,
        CheckKind::Build(_)
        | CheckKind::Rebuild(_)
        | CheckKind::Image(_)
        | CheckKind::File(_)
        | CheckKind::Run(_)
        | CheckKind::Exec(_)
        | CheckKind::Container(_)
        | CheckKind::Diff(_)
        | CheckKind::Http(_)
        | CheckKind::Volume(_)
        | CheckKind::Network(_)
        | CheckKind::Stop(_)
        | CheckKind::Restart(_)
        | CheckKind::Layers(_)
        | CheckKind::Reload(_)
        | CheckKind::Compose(_)
        | CheckKind::Recreate(_) => Fidelity::Same,
    }
}

/// Single-quote a string for bash.
pub fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A bash variable name for a handle.
fn var(prefix: &str, handle: &str) -> String {
    let clean: String = handle
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{clean}")
}

const PRELUDE: &str = r##"set -uo pipefail
# BENCH_CLI_BUILDER=buildkit builds as a learner's current CLI does (`docker build` is
# `docker buildx build` there); the classic builder otherwise.
if [ "${BENCH_CLI_BUILDER:-classic}" = buildkit ]; then
  export DOCKER_BUILDKIT=1 BUILDKIT_PROGRESS=plain
else
  export DOCKER_BUILDKIT=0
fi
DIR=$1
RUN=$2
cd "$DIR" || exit 3
LBL="io.dockdojo-bench.run=$RUN"
T=$(mktemp -d)
: > "$T/fresh"
FAILED=0
TAGS=()
RESTORE=()
CHECK=
# BENCH_BUILD_LABELS=N gives builds N labels (the classic builder makes one step of each).
BUILD_LABELS=(--label "$LBL")
for ((k = 2; k <= ${BENCH_BUILD_LABELS:-1}; k++)); do BUILD_LABELS+=(--label "io.dockdojo-bench.extra$k=$RUN"); done
LIMITS=(--memory 256m --cpus 1 --pids-limit 256 --security-opt no-new-privileges --log-opt max-size=1m --log-opt max-file=1)

fail() { echo "FAIL $CHECK: $*" >&2; FAILED=1; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

# The image ids a classic-builder log says its own steps made (not cache hits): ours to remove.
fresh_layers() {
  awk '/^Step [0-9]+\/[0-9]+ : / { ins=$0; sub(/^Step [0-9]+\/[0-9]+ : /, "", ins); cached=(toupper(substr(ins,1,5))=="FROM "); next }
       /^ ---> Using cache/ { cached=1; next }
       /^ ---> [0-9a-f]+$/ { if (!cached && length($2) >= 12) print $2 }' "$1"
}

# The steps of a build log: "C<TAB>instruction" (from the cache) or "R<TAB>instruction".
steps_of() {
  if [ "${BENCH_CLI_BUILDER:-classic}" = buildkit ]; then
    # BuildKit's plain progress: "#7 [2/4] RUN …", later "#7 CACHED"; FROM counts as cached.
    awk '/^#[0-9]+ \[[^]]*[0-9]+\/[0-9]+\] / { v=$1; ins=$0; sub(/^#[0-9]+ \[[^]]*\] /, "", ins); if (!(v in name)) { order[++n]=v; name[v]=ins; st[v]=(toupper(substr(ins,1,5))=="FROM ") ? "C" : "R" } next }
         /^#[0-9]+ CACHED/ { if ($1 in name) st[$1]="C" }
         END { for (i = 1; i <= n; i++) print st[order[i]] "\t" name[order[i]] }' "$1" | grep -v $'\tLABEL io.dockdojo-bench'
    return
  fi
  awk '/^Step [0-9]+\/[0-9]+ : / { if (n) print st "\t" ins; ins=$0; sub(/^Step [0-9]+\/[0-9]+ : /, "", ins); st=(toupper(substr(ins,1,5))=="FROM ") ? "C" : "R"; n=1; next }
       /^ ---> Using cache/ { st="C" }
       END { if (n) print st "\t" ins }' "$1" | grep -v $'\tLABEL io.dockdojo-bench'
}

# GET http://127.0.0.1:PORT/PATH until STATUS (and BODY in the body), retrying for WITHIN_MS.
http_wait() {
  local port=$1 path=$2 status=$3 want=$4 within=$5 end resp code body
  end=$(( $(now_ms) + within ))
  while :; do
    resp=$(curl -s -m 3 -w '\n%{http_code}' "http://127.0.0.1:$port$path" 2>/dev/null)
    code=${resp##*$'\n'}
    body=${resp%$'\n'*}
    if [ "$code" = "$status" ] && [[ -z "$want" || "$body" == *"$want"* ]]; then return 0; fi
    [ "$(now_ms)" -ge "$end" ] && return 1
    sleep 0.25
  done
}

finish() {
  local f ids left
  for f in "${RESTORE[@]}"; do [ -f "$T/restore/$f" ] && cat "$T/restore/$f" > "$f"; done
  ids=$(docker ps -aq --filter "label=$LBL")
  [ -n "$ids" ] && docker rm -f -v $ids >/dev/null 2>&1
  [ ${#TAGS[@]} -gt 0 ] && docker rmi "${TAGS[@]}" >/dev/null 2>&1
  left=$(tac "$T/fresh")
  [ -n "$left" ] && docker rmi $left >/dev/null 2>&1
  rm -rf "$T"
}
trap finish EXIT
"##;

/// Generate the script for an exercise.
pub fn script(ex: &Exercise) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "#!/usr/bin/env bash\n# Generated from exercises/{}/exercise.toml by benches/benchmarks/translate.rs.\n# The same inspections as `dockdojo check {}`, with docker CLI calls.",
        ex.id, ex.id
    );
    s.push_str(PRELUDE);
    let builds: BTreeMap<String, BuildCheck> = ex
        .checks
        .iter()
        .filter_map(|c| match &c.kind {
            CheckKind::Build(b) => Some((b.image.clone(), b.clone())),
            _ => None,
        })
        .collect();
    let run_handles: Vec<String> = ex
        .checks
        .iter()
        .filter_map(|c| match &c.kind {
            CheckKind::Run(r) => Some(r.name.clone()),
            _ => None,
        })
        .collect();
    let t = Tr {
        ex,
        builds,
        run_handles,
    };
    for (i, c) in ex.checks.iter().enumerate() {
        let _ = writeln!(s, "\n# check {} ({})", c.id, c.kind.name());
        let _ = writeln!(s, "c{i}() {{\nCHECK={}", q(&c.id));
        s.push_str(&t.check(&c.kind));
        let _ = writeln!(s, "}}\nc{i}");
    }
    s.push_str("\nexit $FAILED\n");
    s
}

struct Tr<'a> {
    ex: &'a Exercise,
    builds: BTreeMap<String, BuildCheck>,
    run_handles: Vec<String>,
}

impl Tr<'_> {
    /// A bash word naming an image: a build handle's tag variable, or the reference itself.
    fn image(&self, name: &str) -> String {
        if self.builds.contains_key(name) {
            format!("\"${}\"", var("IMG", name))
        } else {
            q(name)
        }
    }

    /// A bash word naming a container: a run handle's id variable, or the live name.
    fn container(&self, name: &str) -> String {
        if self.run_handles.iter().any(|h| h == name) {
            format!("\"${{{}:-}}\"", var("CTR", name))
        } else {
            q(name)
        }
    }

    fn check(&self, kind: &CheckKind) -> String {
        match kind {
            CheckKind::Build(b) => self.build(b),
            CheckKind::Rebuild(r) => {
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
            CheckKind::Dockerfile(d) => dockerfile_rule(&d.dockerfile, d.rule),
            CheckKind::Image(i) => {
                let mut s = String::new();
                let fmt = [
                    "{{.Size}}",
                    "{{len .RootFS.Layers}}",
                    "{{.Config.User}}",
                    "{{if .Config.Entrypoint}}{{json .Config.Entrypoint}}{{else}}{{json .Config.Cmd}}{{end}}",
                    "{{json .Config.Cmd}}",
                    "{{json .Config.Entrypoint}}",
                    "{{json .Config.Env}}",
                    "{{json .Config.ExposedPorts}}",
                    "{{json .Config.Labels}}",
                    "{{if .Config.Healthcheck}}{{if .Config.Healthcheck.Test}}{{index .Config.Healthcheck.Test 0}}{{end}}{{end}}",
                ]
                .join("{{\"\\n\"}}");
                let _ = writeln!(
                    s,
                    "mapfile -t f < <(docker image inspect -f {} {} 2>/dev/null)\n[ ${{#f[@]}} -ge 10 ] || {{ fail 'no such image'; return; }}",
                    q(&fmt),
                    self.image(&i.image)
                );
                if let Some(m) = i.max_size_mb {
                    let _ = writeln!(s, "[ \"${{f[0]}}\" -le {} ] || {{ fail \"size ${{f[0]}}\"; return; }}", (m * 1e6) as u64);
                }
                if let Some(m) = i.min_size_mb {
                    let _ = writeln!(s, "[ \"${{f[0]}}\" -ge {} ] || {{ fail \"size ${{f[0]}}\"; return; }}", (m * 1e6) as u64);
                }
                if let Some(m) = i.max_layers {
                    let _ = writeln!(s, "[ \"${{f[1]}}\" -le {m} ] || {{ fail \"${{f[1]}} layers\"; return; }}");
                }
                if let Some(u) = &i.user {
                    let _ = writeln!(s, "[ \"${{f[2]}}\" = {} ] || {{ fail \"user ${{f[2]}}\"; return; }}", q(u));
                }
                if i.non_root == Some(true) {
                    s.push_str("case \"${f[2]}\" in ''|root|0|0:*|root:*) fail 'runs as root'; return;; esac\n");
                }
                if let Some(form) = i.cmd_form {
                    let shell = "[[ \"${f[3]}\" == '[\"/bin/sh\",\"-c\",'* || \"${f[3]}\" == '[\"sh\",\"-c\",'* ]]";
                    let _ = match form {
                        CommandForm::Shell => writeln!(s, "{shell} || {{ fail 'not shell form'; return; }}"),
                        CommandForm::Exec => writeln!(s, "{shell} && {{ fail 'shell form'; return; }}"),
                    };
                }
                if let Some(c) = &i.cmd {
                    let _ = writeln!(s, "[ \"${{f[4]}}\" = {} ] || {{ fail 'cmd'; return; }}", q(&json(c)));
                }
                if let Some(e) = &i.entrypoint {
                    let _ = writeln!(s, "[ \"${{f[5]}}\" = {} ] || {{ fail 'entrypoint'; return; }}", q(&json(e)));
                }
                for (k, v) in &i.env {
                    let _ = writeln!(s, "[[ \"${{f[6]}}\" == *{}* ]] || {{ fail 'env {k}'; return; }}", q(&json(&format!("{k}={v}"))));
                }
                for p in &i.exposed_ports {
                    let p = if p.contains('/') { p.clone() } else { format!("{p}/tcp") };
                    let _ = writeln!(s, "[[ \"${{f[7]}}\" == *{}* ]] || {{ fail 'expose {p}'; return; }}", q(&json(&p)));
                }
                for (k, v) in &i.labels {
                    let _ = writeln!(s, "[[ \"${{f[8]}}\" == *{}* ]] || {{ fail 'label {k}'; return; }}", q(&format!("{}:{}", json(k), json(v))));
                }
                if let Some(h) = i.healthcheck {
                    let has = "[ -n \"${f[9]}\" ] && [ \"${f[9]}\" != NONE ]";
                    let _ = if h {
                        writeln!(s, "{has} || {{ fail 'no healthcheck'; return; }}")
                    } else {
                        writeln!(s, "{has} && {{ fail 'healthcheck'; return; }}")
                    };
                }
                s
            }
            CheckKind::File(f) => {
                let mut s = String::new();
                let _ = writeln!(
                    s,
                    "cid=$(docker create --label \"$LBL\" --network none --entrypoint '' {} /dockdojo-never-started) || {{ fail 'create'; return; }}",
                    self.image(&f.image)
                );
                let _ = writeln!(
                    s,
                    "docker cp \"$cid:\"{} - > \"$T/file.tar\" 2>/dev/null; rc=$?\ndocker rm -f \"$cid\" >/dev/null",
                    q(&f.path)
                );
                if !f.exists {
                    s.push_str("[ $rc -ne 0 ] || fail 'present'\n");
                } else {
                    s.push_str("[ $rc -eq 0 ] || { fail 'absent'; return; }\n");
                    if let Some(c) = &f.contains {
                        let _ = writeln!(s, "tar -xOf \"$T/file.tar\" | grep -qF -- {} || fail 'content'", q(c));
                    }
                }
                s
            }
            CheckKind::Run(r) => {
                let mut s = String::new();
                let v = var("CTR", &r.name);
                let mut args = format!(
                    "docker run -d --label \"$LBL\" --memory {}m --cpus 1 --pids-limit 256 --security-opt no-new-privileges --log-opt max-size=1m --log-opt max-file=1",
                    r.memory_mb.unwrap_or(256)
                );
                for p in &r.ports {
                    let _ = write!(args, " -p 127.0.0.1::{p}");
                }
                for (k, val) in &r.env {
                    let _ = write!(args, " -e {}", q(&format!("{k}={val}")));
                }
                let _ = write!(args, " {}", self.image(&r.image));
                for a in r.command.iter().flatten() {
                    let _ = write!(args, " {}", q(a));
                }
                let _ = writeln!(s, "{v}=$({args} 2>\"$T/run.err\") || {{ {v}=; fail \"did not start: $(cat \"$T/run.err\")\"; return; }}");
                match r.expect {
                    RunExpect::Exits => {
                        let _ = writeln!(s, "code=$(timeout {} docker wait \"${v}\") || {{ fail 'still running'; return; }}", r.within_s);
                        if let Some(c) = r.exit_code {
                            let _ = writeln!(s, "[ \"$code\" = {c} ] || {{ fail \"exit code $code\"; return; }}");
                        }
                    }
                    RunExpect::Running => {
                        let _ = writeln!(
                            s,
                            "if code=$(timeout {} docker wait \"${v}\"); then fail \"exited with $code\"; return; fi",
                            r.settle_s.unwrap_or(1.0)
                        );
                    }
                }
                if !r.output_contains.is_empty() {
                    let _ = writeln!(s, "out=$(docker logs \"${v}\" 2>&1)");
                    for o in &r.output_contains {
                        let _ = writeln!(s, "[[ \"$out\" == *{}* ]] || {{ fail 'output'; return; }}", q(o));
                    }
                }
                s
            }
            CheckKind::Exec(e) => {
                let mut s = String::new();
                let cmd: Vec<String> = e.command.iter().map(|a| q(a)).collect();
                match (&e.container, &e.image) {
                    (Some(c), _) => {
                        let _ = writeln!(s, "out=$(timeout 30 docker exec {} {} 2>&1); code=$?", self.container(c), cmd.join(" "));
                    }
                    (None, Some(i)) => {
                        let _ = writeln!(
                            s,
                            "out=$(timeout 30 docker run --rm --label \"$LBL\" \"${{LIMITS[@]}}\" {} {} 2>&1); code=$?",
                            self.image(i),
                            cmd.join(" ")
                        );
                    }
                    (None, None) => s.push_str("fail 'no target'; return\n"),
                }
                let _ = writeln!(s, "[ \"$code\" = {} ] || {{ fail \"exit code $code\"; return; }}", e.exit_code);
                for o in &e.stdout_contains {
                    let _ = writeln!(s, "[[ \"$out\" == *{}* ]] || {{ fail 'output'; return; }}", q(o));
                }
                for o in &e.stdout_excludes {
                    let _ = writeln!(s, "[[ \"$out\" == *{}* ]] && {{ fail 'output'; return; }}", q(o));
                }
                s
            }
            CheckKind::Container(c) => self.container_state(c),
            CheckKind::Diff(d) => {
                let mut s = String::new();
                let _ = writeln!(s, "changes=$(docker diff {} 2>/dev/null | awk '{{print $2}}') || {{ fail 'no container'; return; }}", self.container(&d.container));
                for p in &d.changed {
                    let _ = writeln!(s, "grep -qxF -- {} <<< \"$changes\" || {{ fail 'missing {p}'; return; }}", q(p));
                }
                for p in &d.unchanged {
                    let _ = writeln!(s, "grep -qxF -- {} <<< \"$changes\" && {{ fail 'has {p}'; return; }}", q(p));
                }
                s
            }
            CheckKind::Http(h) => self.http(h),
            CheckKind::Volume(v) => {
                let mut s = String::new();
                let vol = q(&v.volume);
                if v.exists == Some(false) {
                    let _ = writeln!(s, "docker volume inspect {vol} >/dev/null 2>&1 && fail 'still exists'\nreturn");
                    return s;
                }
                let _ = writeln!(s, "docker volume inspect {vol} >/dev/null 2>&1 || {{ fail 'no volume'; return; }}");
                let _ = writeln!(
                    s,
                    "out=$(docker run --rm --label \"$LBL\" \"${{LIMITS[@]}}\" -v {}:/dockdojo-volume:ro busybox:1.36.1 cat {} 2>&1) || {{ fail 'no file'; return; }}",
                    v.volume,
                    q(&format!("/dockdojo-volume/{}", v.file.trim_start_matches('/')))
                );
                if let Some(c) = &v.contains {
                    let _ = writeln!(s, "[[ \"$out\" == *{}* ]] || {{ fail 'content'; return; }}", q(c));
                }
                if let Some(x) = &v.excludes {
                    let _ = writeln!(s, "[[ \"$out\" == *{}* ]] && {{ fail 'stale'; return; }}", q(x));
                }
                s
            }
            CheckKind::Network(n) => {
                let mut s = String::new();
                let _ = writeln!(
                    s,
                    "members=$(docker network inspect -f '{{{{range .Containers}}}}{{{{.Name}}}} {{{{end}}}}' {} 2>/dev/null) || {{ fail 'no network'; return; }}",
                    q(&n.network)
                );
                for m in &n.members {
                    let _ = writeln!(s, "[[ \" $members \" == *{}* ]] || {{ fail 'not attached: {m}'; return; }}", q(&format!(" {m} ")));
                }
                for [from, to] in &n.resolves {
                    let mut script = format!("nslookup {to} 127.0.0.11 >/dev/null 2>&1 && echo DOJO-RESOLVED");
                    if let Some(p) = n.http_port {
                        let _ = write!(script, "; wget -q -O- http://{to}:{p}/ >/dev/null && echo DOJO-FETCHED");
                    }
                    let _ = writeln!(s, "out=$(timeout 10 docker exec {} sh -c {} 2>&1)", q(from), q(&script));
                    s.push_str("[[ \"$out\" == *DOJO-RESOLVED* ]] || { fail 'does not resolve'; return; }\n");
                    if n.http_port.is_some() {
                        s.push_str("[[ \"$out\" == *DOJO-FETCHED* ]] || { fail 'no answer'; return; }\n");
                    }
                }
                s
            }
            CheckKind::Stop(st) => {
                let mut s = String::new();
                let c = self.container(&st.container);
                let _ = writeln!(s, "[ \"$(docker inspect -f '{{{{.State.Running}}}}' {c} 2>/dev/null)\" = true ] || {{ fail 'not running'; return; }}");
                let _ = writeln!(s, "t0=$(now_ms); docker stop -t {} {c} >/dev/null || {{ fail 'stop'; return; }}; took=$(( $(now_ms) - t0 ))", st.timeout_s.unwrap_or(10));
                let _ = writeln!(s, "code=$(docker inspect -f '{{{{.State.ExitCode}}}}' {c})");
                let _ = writeln!(s, "[ \"$took\" -le {} ] || {{ fail \"took $took ms\"; return; }}", (st.max_seconds * 1000.0) as u64);
                let codes: Vec<String> = st.exit_codes.iter().map(|c| c.to_string()).collect();
                let _ = writeln!(s, "case \"$code\" in {}) ;; *) fail \"exit code $code\";; esac", codes.join("|"));
                s
            }
            CheckKind::Restart(r) => {
                let mut s = String::new();
                let c = self.container(&r.container);
                let f = "'{{.RestartCount}} {{.State.StartedAt}} {{.State.Running}}'";
                let _ = writeln!(s, "read -r c0 s0 run0 < <(docker inspect -f {f} {c} 2>/dev/null)\n[ \"${{run0:-}}\" = true ] || {{ fail 'not running'; return; }}");
                let trig: Vec<String> = r.trigger.iter().map(|a| q(a)).collect();
                let _ = writeln!(s, "timeout 10 docker exec {c} {} >/dev/null 2>&1", trig.join(" "));
                let _ = writeln!(s, "end=$(( $(now_ms) + {} ))", (r.within_s * 1000.0) as u64);
                let _ = writeln!(s, "while :; do\n  read -r n1 s1 run1 < <(docker inspect -f {f} {c})\n  if [ \"$run1\" = true ] && {{ [ \"$n1\" -gt \"$c0\" ] || [ \"$s1\" != \"$s0\" ]; }}; then break; fi\n  [ \"$(now_ms)\" -ge \"$end\" ] && {{ fail 'stayed down'; return; }}\n  sleep 0.1\ndone");
                s
            }
            CheckKind::Layers(l) => {
                let mut s = String::new();
                let _ = writeln!(
                    s,
                    "rm -rf \"$T/save\" && mkdir -p \"$T/save\"\ndocker save -o \"$T/save.tar\" {} && tar -xf \"$T/save.tar\" -C \"$T/save\" || {{ fail 'save'; return; }}",
                    self.image(&l.image)
                );
                for t in &l.absent_text {
                    let _ = writeln!(s, "grep -qF -- {} \"$T\"/save/*.json && {{ fail 'in config'; return; }}", q(t));
                }
                s.push_str("for l in $(find \"$T/save\" -type f \\( -name layer.tar -o -path '*/blobs/*' \\)); do\n  names=$(tar -tf \"$l\" 2>/dev/null) || continue\n");
                for p in &l.absent_paths {
                    let rel = p.trim_start_matches('/').trim_end_matches('/');
                    let _ = writeln!(s, "  sed -e 's#^\\./##' -e 's#/$##' <<< \"$names\" | grep -qxF -- {} && {{ fail 'path {p}'; return; }}", q(rel));
                }
                for t in &l.absent_text {
                    let _ = writeln!(s, "  tar -xOf \"$l\" 2>/dev/null | grep -qF -- {} && {{ fail 'text'; return; }}", q(t));
                }
                s.push_str("done\nrm -rf \"$T/save\" \"$T/save.tar\"\n");
                s
            }
            CheckKind::Context(_) => {
                "# No docker CLI equivalent: the CLI cannot list what it would send without building.\n:\n".into()
            }
            CheckKind::Answer(_) => {
                "# No docker CLI equivalent: a written answer is judged, not Docker.\n:\n".into()
            }
            CheckKind::Reload(r) => {
                let mut s = String::new();
                let f = q(&r.file);
                let _ = writeln!(s, "mkdir -p \"$T/restore/$(dirname {f})\" && cp {f} \"$T/restore/\"{f} && RESTORE+=({f})");
                s.push_str("tok=\"dockdojo-reload-$RANDOM$RANDOM\"\n");
                let _ = writeln!(s, "printf '\\n<!-- %s -->\\n' \"$tok\" >> {f}");
                let _ = writeln!(s, "http_wait {} {} 200 \"$tok\" {}; rc=$?", r.host_port, q(&r.path), (r.within_s * 1000.0) as u64);
                let _ = writeln!(s, "cat \"$T/restore/\"{f} > {f}");
                s.push_str("[ $rc -eq 0 ] || fail 'not reloaded'\n");
                s
            }
            CheckKind::Compose(c) => {
                let mut s = String::new();
                let l = q(&format!("label=com.docker.compose.project={}", c.project));
                let _ = writeln!(s, "svcs=$(docker ps -a --filter {l} --format '{{{{.Label \"com.docker.compose.service\"}}}} {{{{.State}}}}')");
                if c.up == Some(false) {
                    s.push_str("[ -z \"$svcs\" ] || fail 'containers remain'\nreturn\n");
                    return s;
                }
                for r in &c.running {
                    let _ = writeln!(s, "grep -qxF -- {} <<< \"$svcs\" || {{ fail 'not running: {r}'; return; }}", q(&format!("{r} running")));
                }
                if !c.volumes.is_empty() {
                    let _ = writeln!(s, "vols=$(docker volume ls --filter {l} --format '{{{{.Label \"com.docker.compose.volume\"}}}}')");
                    for v in &c.volumes {
                        let _ = writeln!(s, "grep -qxF -- {} <<< \"$vols\" || {{ fail 'no volume {v}'; return; }}", q(v));
                    }
                }
                s
            }
            CheckKind::Recreate(r) => recreate(r),
        }
    }

    fn build(&self, b: &BuildCheck) -> String {
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

    fn http(&self, h: &HttpCheck) -> String {
        let mut s = String::new();
        match (&h.container, h.host_port) {
            (Some(c), _) => {
                let _ = writeln!(
                    s,
                    "hp=$(docker port {} {}/tcp 2>/dev/null | head -n1); port=${{hp##*:}}\n[ -n \"$port\" ] || {{ fail 'not published'; return; }}",
                    self.container(c),
                    h.port.unwrap_or(80)
                );
            }
            (None, Some(p)) => {
                let _ = writeln!(s, "port={p}");
            }
            (None, None) => s.push_str("fail 'no port'; return\n"),
        }
        let _ = writeln!(
            s,
            "http_wait \"$port\" {} {} {} {} || fail 'no answer'",
            q(&h.path),
            h.status,
            q(h.body_contains.as_deref().unwrap_or("")),
            (h.within_s * 1000.0) as u64
        );
        s
    }

    fn container_state(&self, c: &ContainerCheck) -> String {
        let mut s = String::new();
        let target = match (&c.container, &c.project, &c.service) {
            (Some(n), _, _) => self.container(n),
            (None, Some(p), Some(sv)) => {
                let _ = writeln!(
                    s,
                    "ref=$(docker ps -aq --filter {} --filter {} | head -n1)\n[ -n \"$ref\" ] || {{ fail 'no container for the service'; return; }}",
                    q(&format!("label=com.docker.compose.project={p}")),
                    q(&format!("label=com.docker.compose.service={sv}"))
                );
                "\"$ref\"".to_string()
            }
            _ => return "fail 'no target'; return\n".into(),
        };
        if c.exists == Some(false) {
            let _ = writeln!(s, "docker inspect --type container {target} >/dev/null 2>&1 && fail 'still exists'\nreturn");
            return s;
        }
        let fmt = [
            "{{.State.Running}}",
            "{{.Config.Image}}",
            "{{json .Config.Env}}",
            "{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostPort}}->{{$p}} {{end}}{{end}}",
            "{{.HostConfig.RestartPolicy.Name}}",
            "{{.HostConfig.Memory}}",
            "{{.HostConfig.NanoCpus}}",
            "{{.State.ExitCode}}",
            "{{.State.OOMKilled}}",
            // Bind mounts have no Name: reading it would fail the whole template.
            "{{range .Mounts}}{{.Type}}:{{if eq .Type \"volume\"}}{{.Name}}{{end}}:{{.Source}}:{{.Destination}} {{end}}",
            "{{.State.Status}}",
            "{{.Id}}",
        ]
        .join("{{\"\\n\"}}");
        let _ = writeln!(
            s,
            "mapfile -t f < <(docker inspect --type container -f {} {target} 2>/dev/null)\n[ ${{#f[@]}} -ge 12 ] || {{ fail 'no container'; return; }}\nid=${{f[11]}}",
            q(&fmt)
        );
        if let Some(r) = c.running {
            let _ = writeln!(
                s,
                "[ \"${{f[0]}}\" = {r} ] || {{ fail \"running: ${{f[0]}}\"; return; }}"
            );
        }
        if let Some(i) = &c.image {
            let _ = writeln!(
                s,
                "[ \"${{f[1]}}\" = {} ] || {{ fail \"image ${{f[1]}}\"; return; }}",
                q(i)
            );
        }
        for (k, v) in &c.env {
            let _ = writeln!(
                s,
                "[[ \"${{f[2]}}\" == *{}* ]] || {{ fail 'env {k}'; return; }}",
                q(&json(&format!("{k}={v}")))
            );
        }
        for (cp, hp) in &c.ports {
            let key = if cp.contains('/') {
                cp.clone()
            } else {
                format!("{cp}/tcp")
            };
            let _ = writeln!(
                s,
                "[[ \" ${{f[3]}} \" == *{}* ]] || {{ fail 'port {hp}'; return; }}",
                q(&format!(" {hp}->{key} "))
            );
        }
        if let Some(p) = &c.restart_policy {
            let _ = writeln!(
                s,
                "p=${{f[4]:-no}}; [ \"$p\" = {} ] || {{ fail \"restart policy $p\"; return; }}",
                q(p)
            );
        }
        if let Some(m) = c.memory_mb {
            let _ = writeln!(
                s,
                "[ \"${{f[5]}}\" = {} ] || {{ fail \"memory ${{f[5]}}\"; return; }}",
                m * 1024 * 1024
            );
        }
        if c.memory_min_mb.is_some() || c.memory_max_mb.is_some() {
            let lo = c.memory_min_mb.unwrap_or(0);
            let hi = c
                .memory_max_mb
                .map_or(String::new(), |h| format!(" && mb <= {h}"));
            let _ = writeln!(s, "mb=$(( ${{f[5]}} / 1048576 )); (( mb > 0 && mb >= {lo}{hi} )) || {{ fail \"memory $mb\"; return; }}");
        }
        if let Some(cpus) = c.cpus {
            let _ = writeln!(
                s,
                "[ \"${{f[6]}}\" = {} ] || {{ fail \"cpus ${{f[6]}}\"; return; }}",
                (cpus * 1e9).round() as i64
            );
        }
        if let Some(code) = c.exit_code {
            let _ = writeln!(s, "[ \"${{f[0]}}\" = false ] && [ \"${{f[7]}}\" = {code} ] || {{ fail \"exit code ${{f[7]}}\"; return; }}");
        }
        if let Some(o) = c.oom_killed {
            let _ = writeln!(s, "[ \"${{f[8]}}\" = {o} ] || {{ fail 'oom'; return; }}");
        }
        for (v, p) in &c.volumes {
            let _ = writeln!(
                s,
                "[[ \" ${{f[9]}} \" == *{}*{}* ]] || {{ fail 'volume {v}'; return; }}",
                q(&format!(" volume:{v}:")),
                q(&format!(":{p} "))
            );
        }
        for (h, p) in &c.binds {
            let rel = h.trim_start_matches("./").trim_end_matches('/');
            let _ = writeln!(
                s,
                "[[ \" ${{f[9]}} \" == *' bind::'*{}* ]] || {{ fail 'bind {h}'; return; }}",
                q(&format!("/{rel}:{p} "))
            );
        }
        if !c.output_contains.is_empty() {
            let all: Vec<String> = c
                .output_contains
                .iter()
                .map(|o| format!("[[ \"$out\" == *{}* ]]", q(o)))
                .collect();
            let all = all.join(" && ");
            let _ = writeln!(
                s,
                "end=$(( $(now_ms) + 5000 ))\nout=$(docker logs \"$id\" 2>&1)\nwhile [ \"${{f[0]}}\" = true ] && ! {{ {all}; }} && [ \"$(now_ms)\" -lt \"$end\" ]; do sleep 0.3; out=$(docker logs \"$id\" 2>&1); done\n{all} || {{ fail 'output'; return; }}"
            );
        }
        if c.non_root == Some(true) {
            s.push_str("u=$(timeout 10 docker exec \"$id\" id -u 2>/dev/null) && [ \"$u\" != 0 ] || { fail 'root'; return; }\n");
        }
        if let Some(h) = &c.health {
            let _ = writeln!(
                s,
                "end=$(( $(now_ms) + {} ))\nwhile :; do\n  h=$(docker inspect -f '{{{{if .State.Health}}}}{{{{.State.Health.Status}}}}{{{{end}}}}' \"$id\")\n  [ \"$h\" = {} ] && break\n  [ \"$(now_ms)\" -ge \"$end\" ] && {{ fail \"health $h\"; return; }}\n  sleep 0.1\ndone",
                (c.within_s.unwrap_or(30.0) * 1000.0) as u64,
                q(h)
            );
        }
        s
    }
}

/// `docker build` arguments for a build check (context and Dockerfile relative to the exercise
/// folder, which is the script's working directory).
fn build_args(b: &BuildCheck) -> String {
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

fn json(v: &(impl serde::Serialize + ?Sized)) -> String {
    serde_json::to_string(v).unwrap_or_default()
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
fn dockerfile_rule(path: &str, rule: DockerfileRule) -> String {
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

/// `recreate`: the note through the app, the project's containers removed by label, `up -d` by
/// the Compose program its labels name, in its working folder with its files, then the services
/// and the note again.
fn recreate(r: &RecreateCheck) -> String {
    let mut s = String::new();
    let within = (r.within_s * 1000.0) as u64;
    let l = q(&format!("label=com.docker.compose.project={}", r.project));
    if let (Some(port), Some(w)) = (r.host_port, &r.write) {
        s.push_str("tok=\"dojo-$RANDOM$RANDOM\"\n");
        let w = q(w).replace("{marker}", "'\"$tok\"'");
        let _ = writeln!(
            s,
            "http_wait {port} {w} 200 '' {within} || {{ fail 'note not kept'; return; }}"
        );
        let _ = writeln!(
            s,
            "http_wait {port} {} 200 \"$tok\" {within} || {{ fail 'note not shown'; return; }}",
            q(&r.read)
        );
    }
    let _ = writeln!(
        s,
        "ids=$(docker ps -aq --filter {l} --filter label=com.docker.compose.oneoff=False)"
    );
    s.push_str("[ -n \"$ids\" ] || { fail 'no containers'; return; }\n");
    let _ = writeln!(s, "want=$(docker ps -q --filter {l} --filter label=com.docker.compose.oneoff=False | xargs -r docker inspect -f '{{{{index .Config.Labels \"com.docker.compose.service\"}}}}' | sort -u)");
    s.push_str("first=$(head -n 1 <<< \"$ids\")\n");
    s.push_str("lab() { docker inspect -f \"{{index .Config.Labels \\\"$1\\\"}}\" \"$first\"; }\n");
    s.push_str("ver=$(lab com.docker.compose.version); wd=$(lab com.docker.compose.project.working_dir); files=$(lab com.docker.compose.project.config_files)\n");
    s.push_str("if [[ $ver == 1.* ]]; then dc=(docker-compose); else dc=(docker compose); fi\n");
    let _ = writeln!(s, "args=(-p {})", q(&r.project));
    s.push_str(
        "IFS=, read -ra fs <<< \"$files\"; for f in \"${fs[@]}\"; do args+=(-f \"$f\"); done\n",
    );
    s.push_str("docker rm -f $ids >/dev/null || { fail 'remove'; return; }\n");
    let up: Vec<String> = r.up.iter().map(|u| q(u)).collect();
    let _ = writeln!(s, "(cd \"${{wd:-.}}\" && \"${{dc[@]}}\" \"${{args[@]}}\" up -d {}) >/dev/null 2>&1 || {{ fail 'up'; return; }}", up.join(" "));
    let _ = writeln!(s, "end=$(( $(now_ms) + {within} ))");
    let _ = writeln!(s, "until [ \"$(docker ps -q --filter {l} --filter label=com.docker.compose.oneoff=False | xargs -r docker inspect -f '{{{{index .Config.Labels \"com.docker.compose.service\"}}}}' | sort -u)\" = \"$want\" ]; do\n  [ \"$(now_ms)\" -ge \"$end\" ] && {{ fail 'not back'; return; }}\n  sleep 0.25\ndone");
    if let Some(port) = r.host_port {
        let _ = writeln!(
            s,
            "http_wait {port} {} 200 \"$tok\" {within} || fail 'note gone'",
            q(&r.read)
        );
    }
    s
}
