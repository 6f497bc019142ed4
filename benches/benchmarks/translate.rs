//! The docker-CLI side of the comparison: a bash script generated from an exercise's checks, doing
//! the same inspections the way a shell-script checker does them (`docker build`, `docker image
//! inspect --format`, `docker run -d -p 127.0.0.1::PORT`, `docker port`, `curl` with retries,
//! `docker exec`, `docker inspect`, `docker volume inspect`, `docker network inspect`,
//! `docker ps --filter label=…`, `docker rm -f`, `docker rmi`).
//!
//! The script is generated rather than written by hand so it stays true to the spec: every check
//! kind has one translation, which [`Tr::check`] below picks (they are in `translate/`: `build`,
//! `image`, `container`, `live`). It labels everything it creates with
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
use checker::spec::{BuildCheck, CheckKind, Exercise};

mod build;
mod container;
mod image;
mod live;

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
        | CheckKind::Situation(_)
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

    /// The body of one check's bash function: one translation per kind.
    fn check(&self, kind: &CheckKind) -> String {
        match kind {
            CheckKind::Build(b) => self.build(b),
            CheckKind::Rebuild(r) => self.rebuild(r),
            CheckKind::Dockerfile(d) => build::dockerfile_rule(&d.dockerfile, d.rule),
            CheckKind::Image(i) => self.image_meta(i),
            CheckKind::File(f) => self.file(f),
            CheckKind::Run(r) => self.run(r),
            CheckKind::Exec(e) => self.exec(e),
            CheckKind::Container(c) => self.container_state(c),
            CheckKind::Diff(d) => self.diff(d),
            CheckKind::Http(h) => self.http(h),
            CheckKind::Volume(v) => self.volume(v),
            CheckKind::Network(n) => self.network(n),
            CheckKind::Stop(st) => self.stop(st),
            CheckKind::Restart(r) => self.restart(r),
            CheckKind::Layers(l) => self.layers(l),
            CheckKind::Context(_) => {
                "# No docker CLI equivalent: the CLI cannot list what it would send without building.\n:\n".into()
            }
            CheckKind::Answer(_) => {
                "# No docker CLI equivalent: a written answer is judged, not Docker.\n:\n".into()
            }
            CheckKind::Situation(x) => {
                let mut s = String::new();
                let objects = (x.containers.iter().map(|n| ("container", n)))
                    .chain(x.images.iter().map(|n| ("image", n)))
                    .chain(x.networks.iter().map(|n| ("network", n)))
                    .chain(x.volumes.iter().map(|n| ("volume", n)));
                for (what, n) in objects {
                    let _ = writeln!(s, "docker {what} inspect {} >/dev/null 2>&1 || {{ fail 'gone'; return; }}", q(n));
                }
                s
            }
            CheckKind::Reload(r) => self.reload(r),
            CheckKind::Compose(c) => self.compose(c),
            CheckKind::Recreate(r) => recreate(r),
        }
    }
}

fn json(v: &(impl serde::Serialize + ?Sized)) -> String {
    serde_json::to_string(v).unwrap_or_default()
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
