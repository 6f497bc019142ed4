//! The translations of the checks on containers: starting one (`run`), a command in one
//! (`exec`), its state and settings (`container`), its changed paths (`diff`), stopping it
//! (`stop`) and its restart after a crash (`restart`).

use std::fmt::Write as _;

use checker::spec::{
    ContainerCheck, DiffCheck, ExecCheck, RestartCheck, RunCheck, RunExpect, StopCheck,
};

use super::{json, q, var, Tr};

impl Tr<'_> {
    /// `run`: `docker run -d` with dockdojo's limits, then its exit or its staying up, and its logs.
    pub(super) fn run(&self, r: &RunCheck) -> String {
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
                    let _ = writeln!(
                        s,
                        "[ \"$code\" = {c} ] || {{ fail \"exit code $code\"; return; }}"
                    );
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
                let _ = writeln!(
                    s,
                    "[[ \"$out\" == *{}* ]] || {{ fail 'output'; return; }}",
                    q(o)
                );
            }
        }
        s
    }

    /// `exec`: `docker exec` in a container, or `docker run --rm` of an image.
    pub(super) fn exec(&self, e: &ExecCheck) -> String {
        let mut s = String::new();
        let cmd: Vec<String> = e.command.iter().map(|a| q(a)).collect();
        match (&e.container, &e.image) {
            (Some(c), _) => {
                let _ = writeln!(
                    s,
                    "out=$(timeout 30 docker exec {} {} 2>&1); code=$?",
                    self.container(c),
                    cmd.join(" ")
                );
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
        let _ = writeln!(
            s,
            "[ \"$code\" = {} ] || {{ fail \"exit code $code\"; return; }}",
            e.exit_code
        );
        for o in &e.stdout_contains {
            let _ = writeln!(
                s,
                "[[ \"$out\" == *{}* ]] || {{ fail 'output'; return; }}",
                q(o)
            );
        }
        for o in &e.stdout_excludes {
            let _ = writeln!(
                s,
                "[[ \"$out\" == *{}* ]] && {{ fail 'output'; return; }}",
                q(o)
            );
        }
        s
    }

    /// `diff`: `docker diff`.
    pub(super) fn diff(&self, d: &DiffCheck) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "changes=$(docker diff {} 2>/dev/null | awk '{{print $2}}') || {{ fail 'no container'; return; }}", self.container(&d.container));
        for p in &d.changed {
            let _ = writeln!(
                s,
                "grep -qxF -- {} <<< \"$changes\" || {{ fail 'missing {p}'; return; }}",
                q(p)
            );
        }
        for p in &d.unchanged {
            let _ = writeln!(
                s,
                "grep -qxF -- {} <<< \"$changes\" && {{ fail 'has {p}'; return; }}",
                q(p)
            );
        }
        s
    }

    /// `stop`: `docker stop`, timed, and the exit code.
    pub(super) fn stop(&self, st: &StopCheck) -> String {
        let mut s = String::new();
        let c = self.container(&st.container);
        let _ = writeln!(s, "[ \"$(docker inspect -f '{{{{.State.Running}}}}' {c} 2>/dev/null)\" = true ] || {{ fail 'not running'; return; }}");
        let _ = writeln!(s, "t0=$(now_ms); docker stop -t {} {c} >/dev/null || {{ fail 'stop'; return; }}; took=$(( $(now_ms) - t0 ))", st.timeout_s.unwrap_or(10));
        let _ = writeln!(s, "code=$(docker inspect -f '{{{{.State.ExitCode}}}}' {c})");
        let _ = writeln!(
            s,
            "[ \"$took\" -le {} ] || {{ fail \"took $took ms\"; return; }}",
            (st.max_seconds * 1000.0) as u64
        );
        let codes: Vec<String> = st.exit_codes.iter().map(|c| c.to_string()).collect();
        let _ = writeln!(
            s,
            "case \"$code\" in {}) ;; *) fail \"exit code $code\";; esac",
            codes.join("|")
        );
        s
    }

    /// `restart`: the crash trigger, then `docker inspect` until a restart shows.
    pub(super) fn restart(&self, r: &RestartCheck) -> String {
        let mut s = String::new();
        let c = self.container(&r.container);
        let f = "'{{.RestartCount}} {{.State.StartedAt}} {{.State.Running}}'";
        let _ = writeln!(s, "read -r c0 s0 run0 < <(docker inspect -f {f} {c} 2>/dev/null)\n[ \"${{run0:-}}\" = true ] || {{ fail 'not running'; return; }}");
        let trig: Vec<String> = r.trigger.iter().map(|a| q(a)).collect();
        let _ = writeln!(
            s,
            "timeout 10 docker exec {c} {} >/dev/null 2>&1",
            trig.join(" ")
        );
        let _ = writeln!(s, "end=$(( $(now_ms) + {} ))", (r.within_s * 1000.0) as u64);
        let _ = writeln!(s, "while :; do\n  read -r n1 s1 run1 < <(docker inspect -f {f} {c})\n  if [ \"$run1\" = true ] && {{ [ \"$n1\" -gt \"$c0\" ] || [ \"$s1\" != \"$s0\" ]; }}; then break; fi\n  [ \"$(now_ms)\" -ge \"$end\" ] && {{ fail 'stayed down'; return; }}\n  sleep 0.1\ndone");
        s
    }

    /// `container`: one `docker inspect` of every field, each compared in bash; logs and health polled.
    pub(super) fn container_state(&self, c: &ContainerCheck) -> String {
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
