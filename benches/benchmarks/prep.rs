//! Solved workspaces, made the way `dockdojo self-test` makes its "solution passes" case: the
//! starter files (here from `dockdojo init`), then a scenario's `setup.sh`, then the solution's
//! files laid over the exercise folder, then `solve.sh`. Also the `[live]` names: refused when
//! they already exist (so everything by those names afterwards is ours), removed afterwards.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use checker::spec::{Exercise, Live, Mode};

/// Run the docker CLI; (success, trimmed stdout).
pub fn docker(args: &[&str]) -> (bool, String) {
    match Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    {
        Ok(o) => (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).trim().to_string(),
        ),
        Err(_) => (false, String::new()),
    }
}

/// Copy a folder's files over another, keeping permissions (the exec bits of scripts).
fn overlay(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            overlay(&entry.path(), &target)?;
        } else if entry.file_name() != "expect.toml" && entry.file_name() != ".gitkeep" {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// `bash NAME` in `dir`, as self-test runs scripts (300 s at most).
fn run_script(dir: &Path, name: &str) -> Result<(), String> {
    let out = Command::new("timeout")
        .args(["300", "bash", name])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(4).collect();
        Err(format!(
            "{name} exited {}: {}",
            out.status.code().unwrap_or(-1),
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ))
    }
}

/// Turn the starter folder `ws/<id>` into a solved one.
pub fn solve(repo: &Path, ws: &Path, ex: &Exercise) -> Result<(), String> {
    let src = repo.join("exercises").join(&ex.id);
    let dir = ws.join(&ex.id);
    if ex.mode == Mode::Scenario && src.join("setup.sh").is_file() {
        std::fs::copy(src.join("setup.sh"), dir.join(".setup.sh"))
            .map_err(|e| format!("copy setup.sh: {e}"))?;
        run_script(&dir, ".setup.sh")?;
        // What `dockdojo setup` records once the situation is arranged: `check` grades a
        // scenario only after it.
        std::fs::write(
            ws.join(".dockdojo").join(format!("setup-{}.done", ex.id)),
            "",
        )
        .map_err(|e| format!("mark the setup done: {e}"))?;
    }
    overlay(&src.join("solution"), &dir).map_err(|e| format!("copy solution/: {e}"))?;
    if dir.join("solve.sh").is_file() {
        run_script(&dir, "solve.sh")?;
    }
    // Let what solve.sh started settle the way a learner's check would find it a moment later.
    std::thread::sleep(Duration::from_millis(200));
    Ok(())
}

/// The first `[live]` name that already exists.
pub fn clash(live: &Live) -> Option<String> {
    for c in &live.containers {
        if docker(&["inspect", "--type", "container", c]).0 {
            return Some(format!("container {c}"));
        }
    }
    for v in &live.volumes {
        if docker(&["volume", "inspect", v]).0 {
            return Some(format!("volume {v}"));
        }
    }
    for n in &live.networks {
        if docker(&["network", "inspect", n]).0 {
            return Some(format!("network {n}"));
        }
    }
    for p in &live.projects {
        let f = format!("label=com.docker.compose.project={p}");
        if !docker(&["ps", "-aq", "--filter", &f]).1.is_empty() {
            return Some(format!("Compose project {p}"));
        }
    }
    for i in &live.images {
        if docker(&["image", "inspect", i]).0 {
            return Some(format!("image {i}"));
        }
    }
    None
}

/// Remove the `[live]` names (absent before the run, so made by it), as self-test does.
pub fn remove_live(live: &Live) {
    for c in &live.containers {
        docker(&["rm", "-f", "-v", c]);
    }
    for p in &live.projects {
        let f = format!("label=com.docker.compose.project={p}");
        let ids = docker(&["ps", "-aq", "--filter", &f]).1;
        for id in ids.lines() {
            docker(&["rm", "-f", "-v", id]);
        }
        for n in docker(&["network", "ls", "-q", "--filter", &f]).1.lines() {
            docker(&["network", "rm", n]);
        }
        for v in docker(&["volume", "ls", "-q", "--filter", &f]).1.lines() {
            docker(&["volume", "rm", v]);
        }
    }
    for n in &live.networks {
        docker(&["network", "rm", n]);
    }
    for v in &live.volumes {
        docker(&["volume", "rm", v]);
    }
    for i in &live.images {
        docker(&["rmi", "-f", i]);
    }
}

/// Wait (outside the timing) until the task's containers are not in a restart back-off: not
/// `restarting`, and, if Docker ever restarted one, up for 11 s, which resets Docker's doubling
/// restart delay to 100 ms. Without this, each `restart` check would find the delay left by the
/// previous round's crash, doubled, and later rounds would be slower whichever side ran them.
pub fn settle(live: &Live) {
    const WAIT: &str = r#"for c in "$@"; do
  for i in $(seq 150); do
    read -r rs run n st < <(docker inspect -f '{{.State.Restarting}} {{.State.Running}} {{.RestartCount}} {{.State.StartedAt}}' "$c" 2>/dev/null) || break
    if [ "$rs" = true ]; then sleep 0.2; continue; fi
    if [ "$run" = true ] && [ "$n" -gt 0 ] && [ $(( $(date +%s) - $(date -d "$st" +%s) )) -lt 11 ]; then sleep 0.5; continue; fi
    break
  done
done"#;
    if live.containers.is_empty() {
        return;
    }
    let _ = Command::new("bash")
        .arg("-c")
        .arg(WAIT)
        .arg("settle")
        .args(&live.containers)
        .stdin(Stdio::null())
        .status();
}
