//! The translations of the checks on what a running app or a task makes: an HTTP answer
//! (`http`), a volume's file (`volume`), a network's members and names (`network`), a reload
//! after an edit (`reload`) and a Compose project (`compose`).

use std::fmt::Write as _;

use checker::spec::{ComposeCheck, HttpCheck, NetworkCheck, ReloadCheck, VolumeCheck};

use super::{q, Tr};

impl Tr<'_> {
    /// `http`: the published port from `docker port`, then `curl` until the answer or the deadline.
    pub(super) fn http(&self, h: &HttpCheck) -> String {
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
        // A page another service keeps rewriting: ask again until the body changes.
        if let Some(secs) = h.changes_within_s {
            let url = format!("\"http://127.0.0.1:$port\"{}", q(&h.path));
            let _ = writeln!(
                s,
                "first=$(curl -s -m 3 {url}); end=$(( $(now_ms) + {} )); changed=\n\
                 while [ \"$(now_ms)\" -lt \"$end\" ]; do\n  sleep 0.25; now=$(curl -s -m 3 {url})\n  \
                 [ -n \"$now\" ] && [ \"$now\" != \"$first\" ] && {{ changed=1; break; }}\ndone\n\
                 [ -n \"$changed\" ] || fail 'fixed page'",
                (secs * 1000.0) as u64
            );
        }
        s
    }

    /// `volume`: `docker volume inspect`, then the file read by a throwaway container.
    pub(super) fn volume(&self, v: &VolumeCheck) -> String {
        let mut s = String::new();
        let vol = q(&v.volume);
        if v.exists == Some(false) {
            let _ = writeln!(
                s,
                "docker volume inspect {vol} >/dev/null 2>&1 && fail 'still exists'\nreturn"
            );
            return s;
        }
        let _ = writeln!(
            s,
            "docker volume inspect {vol} >/dev/null 2>&1 || {{ fail 'no volume'; return; }}"
        );
        let _ = writeln!(
            s,
            "out=$(docker run --rm --label \"$LBL\" \"${{LIMITS[@]}}\" -v {}:/dockdojo-volume:ro busybox:1.36.1 cat {} 2>&1) || {{ fail 'no file'; return; }}",
            v.volume,
            q(&format!("/dockdojo-volume/{}", v.file.trim_start_matches('/')))
        );
        if let Some(c) = &v.contains {
            let _ = writeln!(
                s,
                "[[ \"$out\" == *{}* ]] || {{ fail 'content'; return; }}",
                q(c)
            );
        }
        if let Some(x) = &v.excludes {
            let _ = writeln!(
                s,
                "[[ \"$out\" == *{}* ]] && {{ fail 'stale'; return; }}",
                q(x)
            );
        }
        s
    }

    /// `network`: its members, then names resolved (and fetched) from inside a member.
    pub(super) fn network(&self, n: &NetworkCheck) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "members=$(docker network inspect -f '{{{{range .Containers}}}}{{{{.Name}}}} {{{{end}}}}' {} 2>/dev/null) || {{ fail 'no network'; return; }}",
            q(&n.network)
        );
        for m in &n.members {
            let _ = writeln!(
                s,
                "[[ \" $members \" == *{}* ]] || {{ fail 'not attached: {m}'; return; }}",
                q(&format!(" {m} "))
            );
        }
        for [from, to] in &n.resolves {
            let mut script =
                format!("nslookup {to} 127.0.0.11 >/dev/null 2>&1 && echo DOJO-RESOLVED");
            if let Some(p) = n.http_port {
                let _ = write!(
                    script,
                    "; wget -q -O- http://{to}:{p}/ >/dev/null && echo DOJO-FETCHED"
                );
            }
            let _ = writeln!(
                s,
                "out=$(timeout 10 docker exec {} sh -c {} 2>&1)",
                q(from),
                q(&script)
            );
            s.push_str(
                "[[ \"$out\" == *DOJO-RESOLVED* ]] || { fail 'does not resolve'; return; }\n",
            );
            if n.http_port.is_some() {
                s.push_str("[[ \"$out\" == *DOJO-FETCHED* ]] || { fail 'no answer'; return; }\n");
            }
        }
        s
    }

    /// `reload`: a token appended to the file, then polled for over HTTP.
    pub(super) fn reload(&self, r: &ReloadCheck) -> String {
        let mut s = String::new();
        let f = q(&r.file);
        let _ = writeln!(
            s,
            "mkdir -p \"$T/restore/$(dirname {f})\" && cp {f} \"$T/restore/\"{f} && RESTORE+=({f})"
        );
        s.push_str("tok=\"dockdojo-reload-$RANDOM$RANDOM\"\n");
        let _ = writeln!(s, "printf '\\n<!-- %s -->\\n' \"$tok\" >> {f}");
        let _ = writeln!(
            s,
            "http_wait {} {} 200 \"$tok\" {}; rc=$?",
            r.host_port,
            q(&r.path),
            (r.within_s * 1000.0) as u64
        );
        let _ = writeln!(s, "cat \"$T/restore/\"{f} > {f}");
        s.push_str("[ $rc -eq 0 ] || fail 'not reloaded'\n");
        s
    }

    /// `compose`: the project's containers and volumes by their Compose labels.
    pub(super) fn compose(&self, c: &ComposeCheck) -> String {
        let mut s = String::new();
        let l = q(&format!("label=com.docker.compose.project={}", c.project));
        let _ = writeln!(s, "svcs=$(docker ps -a --filter {l} --format '{{{{.Label \"com.docker.compose.service\"}}}} {{{{.State}}}}')");
        if c.up == Some(false) {
            s.push_str("[ -z \"$svcs\" ] || fail 'containers remain'\nreturn\n");
            return s;
        }
        for r in &c.running {
            let _ = writeln!(
                s,
                "grep -qxF -- {} <<< \"$svcs\" || {{ fail 'not running: {r}'; return; }}",
                q(&format!("{r} running"))
            );
        }
        if !c.volumes.is_empty() {
            let _ = writeln!(s, "vols=$(docker volume ls --filter {l} --format '{{{{.Label \"com.docker.compose.volume\"}}}}')");
            for v in &c.volumes {
                let _ = writeln!(
                    s,
                    "grep -qxF -- {} <<< \"$vols\" || {{ fail 'no volume {v}'; return; }}",
                    q(v)
                );
            }
        }
        s
    }
}
