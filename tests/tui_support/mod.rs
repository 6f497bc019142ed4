//! Driving the real binary in a real terminal: a tmux session per test (its own server and socket,
//! so tests never see each other's sessions), read with `capture-pane`, typed into with
//! `send-keys`. The session is killed on drop, whatever happens.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    /// Holds the server's socket, so nothing is left behind.
    dir: tempfile::TempDir,
    pub name: String,
    /// Where the shell running the command writes its exit status (tmux's own
    /// `pane_dead_status` is sometimes left empty when the pane closes first).
    status: tempfile::NamedTempFile,
}

/// Quote for `sh -c`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Tmux {
    /// Start `cmd` (a shell command line) in `dir` in a `width`×`height` terminal. The pane stays
    /// after the command exits, so its exit status can be read.
    pub fn start(tag: &str, dir: &Path, cmd: &str, width: u16, height: u16) -> Self {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let unique = format!("dd-{tag}-{}-{n}", std::process::id());
        let t = Self {
            dir: tempfile::tempdir().expect("a folder for the tmux socket"),
            name: unique,
            status: tempfile::NamedTempFile::new().expect("a status file"),
        };
        let cmd = format!(
            "{cmd}; echo $? > {}",
            sh_quote(&t.status.path().display().to_string())
        );
        let out = t
            .cmd()
            .args(["new-session", "-d", "-s", &t.name, "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .arg("-c")
            .arg(dir)
            .arg(&cmd)
            .args([";", "set-option", "-t", &t.name, "remain-on-exit", "on"])
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(self.dir.path().join("socket"));
        c
    }

    pub fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Wait until the screen shows `what`; the screen at that moment, or the last one seen.
    pub fn wait_for(&self, what: &str, timeout: Duration) -> Result<String, String> {
        self.wait_until(|s| s.contains(what), timeout)
    }

    pub fn wait_until(
        &self,
        ok: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, String> {
        let until = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if ok(&s) {
                return Ok(s);
            }
            if Instant::now() > until {
                return Err(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `send-keys` names: "q", "Escape", "Enter", "C-c", or literal text.
    pub fn keys(&self, keys: &[&str]) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .expect("send-keys")
            .success();
        assert!(ok, "send-keys {keys:?}");
    }

    /// Esc on its own. A terminal cannot tell Esc followed at once by another key from an
    /// Alt-key sequence, so give it a moment, as a person's typing would.
    pub fn esc(&self) {
        self.keys(&["Escape"]);
        std::thread::sleep(Duration::from_millis(300));
    }

    fn format(&self, f: &str) -> String {
        let out = self
            .cmd()
            .args(["display-message", "-p", "-t", &self.name, f])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The exit status once the command has ended.
    pub fn wait_exit(&self, timeout: Duration) -> Option<i32> {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            let text = std::fs::read_to_string(self.status.path()).unwrap_or_default();
            if let Ok(code) = text.trim().parse() {
                return Some(code);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// The pid of the command (the child of the pane's shell).
    pub fn pid(&self) -> u32 {
        let shell = self.format("#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default();
        children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the command runs under the pane's shell")
    }

    /// Is the terminal in the alternate screen (a full-screen app is drawing)?
    pub fn alternate_screen(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().args(["kill-server"]).status();
    }
}

/// The app with extra environment variables, as a shell command line.
pub fn app_command(env: &[(&str, &str)]) -> String {
    let vars: Vec<String> = env
        .iter()
        .map(|(k, v)| format!("{k}={}", sh_quote(v)))
        .collect();
    format!(
        "env {} {}",
        vars.join(" "),
        sh_quote(&super::common::bin().display().to_string())
    )
}

/// The live exercise `05-named-volume`'s fixed names.
pub const CONTAINER: &str = "dojo-notes";
pub const VOLUME: &str = "dojo-notes-data";

/// Removes the live exercise's container and volume, which this test created, on every exit.
pub struct LiveNames;

impl LiveNames {
    /// Wait until no container or volume has the exercise's names (another test may be using
    /// them), then own them for the test.
    pub fn claim() -> Self {
        let until = Instant::now() + Duration::from_secs(300);
        loop {
            let (_, c) =
                super::common::docker(&["ps", "-aq", "--filter", &format!("name=^{CONTAINER}$")]);
            let (_, v) = super::common::docker(&[
                "volume",
                "ls",
                "-q",
                "--filter",
                &format!("name=^{VOLUME}$"),
            ]);
            if c.is_empty() && v.is_empty() {
                return LiveNames;
            }
            assert!(
                Instant::now() < until,
                "{CONTAINER} / {VOLUME} exist and were not released within 5 minutes; this test will not touch what it did not create"
            );
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

impl Drop for LiveNames {
    fn drop(&mut self) {
        let _ = super::common::docker(&["rm", "-f", CONTAINER]);
        let _ = super::common::docker(&["volume", "rm", VOLUME]);
    }
}
