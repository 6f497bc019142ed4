//! The translations of the checks that read a built image: its metadata (`image`), a path in it
//! (`file`) and its saved layers (`layers`).

use std::fmt::Write as _;

use checker::spec::{CommandForm, FileCheck, ImageCheck, LayersCheck};

use super::{json, q, Tr};

impl Tr<'_> {
    /// `image`: one `docker image inspect` of every field, each compared in bash.
    pub(super) fn image_meta(&self, i: &ImageCheck) -> String {
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
            let _ = writeln!(
                s,
                "[ \"${{f[0]}}\" -le {} ] || {{ fail \"size ${{f[0]}}\"; return; }}",
                (m * 1e6) as u64
            );
        }
        if let Some(m) = i.min_size_mb {
            let _ = writeln!(
                s,
                "[ \"${{f[0]}}\" -ge {} ] || {{ fail \"size ${{f[0]}}\"; return; }}",
                (m * 1e6) as u64
            );
        }
        if let Some(m) = i.max_layers {
            let _ = writeln!(
                s,
                "[ \"${{f[1]}}\" -le {m} ] || {{ fail \"${{f[1]}} layers\"; return; }}"
            );
        }
        if let Some(u) = &i.user {
            let _ = writeln!(
                s,
                "[ \"${{f[2]}}\" = {} ] || {{ fail \"user ${{f[2]}}\"; return; }}",
                q(u)
            );
        }
        if i.non_root == Some(true) {
            s.push_str(
                "case \"${f[2]}\" in ''|root|0|0:*|root:*) fail 'runs as root'; return;; esac\n",
            );
        }
        if let Some(form) = i.cmd_form {
            let shell =
                "[[ \"${f[3]}\" == '[\"/bin/sh\",\"-c\",'* || \"${f[3]}\" == '[\"sh\",\"-c\",'* ]]";
            let _ = match form {
                CommandForm::Shell => {
                    writeln!(s, "{shell} || {{ fail 'not shell form'; return; }}")
                }
                CommandForm::Exec => writeln!(s, "{shell} && {{ fail 'shell form'; return; }}"),
            };
        }
        if let Some(c) = &i.cmd {
            let _ = writeln!(
                s,
                "[ \"${{f[4]}}\" = {} ] || {{ fail 'cmd'; return; }}",
                q(&json(c))
            );
        }
        if let Some(e) = &i.entrypoint {
            let _ = writeln!(
                s,
                "[ \"${{f[5]}}\" = {} ] || {{ fail 'entrypoint'; return; }}",
                q(&json(e))
            );
        }
        for (k, v) in &i.env {
            let _ = writeln!(
                s,
                "[[ \"${{f[6]}}\" == *{}* ]] || {{ fail 'env {k}'; return; }}",
                q(&json(&format!("{k}={v}")))
            );
        }
        for p in &i.exposed_ports {
            let p = if p.contains('/') {
                p.clone()
            } else {
                format!("{p}/tcp")
            };
            let _ = writeln!(
                s,
                "[[ \"${{f[7]}}\" == *{}* ]] || {{ fail 'expose {p}'; return; }}",
                q(&json(&p))
            );
        }
        for (k, v) in &i.labels {
            let _ = writeln!(
                s,
                "[[ \"${{f[8]}}\" == *{}* ]] || {{ fail 'label {k}'; return; }}",
                q(&format!("{}:{}", json(k), json(v)))
            );
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

    /// `file`: `docker cp` out of a created, never started container.
    pub(super) fn file(&self, f: &FileCheck) -> String {
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
                let _ = writeln!(
                    s,
                    "tar -xOf \"$T/file.tar\" | grep -qF -- {} || fail 'content'",
                    q(c)
                );
            }
        }
        s
    }

    /// `layers`: `docker save`, then grep in the config and every layer.
    pub(super) fn layers(&self, l: &LayersCheck) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "rm -rf \"$T/save\" && mkdir -p \"$T/save\"\ndocker save -o \"$T/save.tar\" {} && tar -xf \"$T/save.tar\" -C \"$T/save\" || {{ fail 'save'; return; }}",
            self.image(&l.image)
        );
        for t in &l.absent_text {
            let _ = writeln!(
                s,
                "grep -qF -- {} \"$T\"/save/*.json && {{ fail 'in config'; return; }}",
                q(t)
            );
        }
        s.push_str("for l in $(find \"$T/save\" -type f \\( -name layer.tar -o -path '*/blobs/*' \\)); do\n  names=$(tar -tf \"$l\" 2>/dev/null) || continue\n");
        for p in &l.absent_paths {
            let rel = p.trim_start_matches('/').trim_end_matches('/');
            let _ = writeln!(s, "  sed -e 's#^\\./##' -e 's#/$##' <<< \"$names\" | grep -qxF -- {} && {{ fail 'path {p}'; return; }}", q(rel));
        }
        for t in &l.absent_text {
            let _ = writeln!(
                s,
                "  tar -xOf \"$l\" 2>/dev/null | grep -qF -- {} && {{ fail 'text'; return; }}",
                q(t)
            );
        }
        s.push_str("done\nrm -rf \"$T/save\" \"$T/save.tar\"\n");
        s
    }
}
