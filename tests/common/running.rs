//! A `dockdojo` process in the background for the fault tests: its output collected as it comes,
//! signals sent to it, its containers and its exit awaited.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{bin, docker};

pub fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// A `dockdojo` process running in the background, its output collected as it comes.
pub struct Running {
    pub child: Child,
    pub pid: u32,
    out: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

pub fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("run dockdojo");
    let out = Arc::new(Mutex::new(String::new()));
    let mut readers = Vec::new();
    let pipes: Vec<Box<dyn Read + Send>> = vec![
        Box::new(child.stdout.take().unwrap()),
        Box::new(child.stderr.take().unwrap()),
    ];
    for mut pipe in pipes {
        let out = out.clone();
        readers.push(std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                out.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }));
    }
    Running {
        pid: child.id(),
        child,
        out,
        readers,
    }
}

impl Running {
    pub fn text(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {} failed", self.pid);
    }

    /// Wait until the output contains `needle` (panics after `within`, or when the process
    /// ends without printing it).
    pub fn wait_for_output(&mut self, needle: &str, within: Duration) {
        let t0 = Instant::now();
        while !self.text().contains(needle) {
            if let Ok(Some(st)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                assert!(
                    self.text().contains(needle),
                    "dockdojo ended ({st}) without printing {needle:?}:\n{}",
                    self.text()
                );
            }
            assert!(
                t0.elapsed() < within,
                "no {needle:?} within {within:?}:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait until this process has started a container of a check (by its owner label and its
    /// `dockdojo-` name: the builder's own step containers inherit the labels too); its ids.
    pub fn wait_for_container(&mut self, within: Duration) -> Vec<String> {
        let filter = format!("label=io.dockdojo.owner={}/{}", hostname(), self.pid);
        let t0 = Instant::now();
        loop {
            let ids = docker(&[
                "ps",
                "-q",
                "--filter",
                &filter,
                "--filter",
                "name=^dockdojo-",
            ])
            .1;
            if !ids.is_empty() {
                return ids.lines().map(str::to_string).collect();
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!(
                    "dockdojo ended ({st}) before creating a container:\n{}",
                    self.text()
                );
            }
            assert!(
                t0.elapsed() < within,
                "no container within {within:?}:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait for the exit; (exit code, everything printed, time from the call to the exit).
    pub fn finish(mut self) -> (Option<i32>, String, Duration) {
        let t0 = Instant::now();
        let st = self.child.wait().unwrap();
        let took = t0.elapsed();
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        (st.code(), self.text(), took)
    }
}

/// Make `id`'s Dockerfile in `root` a build that hangs: one `RUN sleep MARKER` step (the marker
/// finds its build container).
pub fn hanging_build(root: &Path, id: &str, marker: &str) {
    std::fs::write(
        root.join(id).join("Dockerfile"),
        format!("FROM busybox:1.36.1\nRUN sleep {marker}\nCMD [\"true\"]\n"),
    )
    .unwrap();
}

/// Does the `RUN sleep MARKER` step of a [`hanging_build`] run? Its process is on this machine's
/// process list whichever builder runs it (the classic builder's build container, or a step
/// BuildKit runs with runc, which `docker ps` does not list).
pub fn building(marker: &str) -> bool {
    Command::new("pgrep")
        .args(["-f", &format!("sleep {marker}$")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Wait (up to a minute) until the [`hanging_build`] with `marker` runs its `sleep` step.
pub fn wait_until_building(marker: &str) {
    let t0 = Instant::now();
    while !building(marker) {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the build never started"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
