//! Grading on a daemon on another machine, reached the ways a learner's CLI reaches one: TCP with
//! TLS (`DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`, or a context with its TLS files) and ssh
//! (`ssh://user@host:port`, where the far side runs `docker system dial-stdio`).
//!
//! The daemon is `.ci/engines-up`'s `e26c` (Engine 26, containerd image store), which also
//! listens on `tcp://10.226.27.2:2376` with `--tlsverify`, in its own network namespace, joined to
//! the host's by a veth pair. These tests run in the host's namespace, so 127.0.0.1 is not the
//! daemon's: a live exercise with a published port passes only if dockdojo's probes go to the
//! daemon's host. For ssh, each test starts its own `sshd` (its own configuration, host key and
//! authorized key in a temp folder) inside e26c's namespace, and the client's `ssh` is a wrapper
//! first on PATH that adds the test's key and known-hosts file (nothing under ~/.ssh is read or
//! written).
//!
//! When the TLS endpoint does not answer, the tests print why and return, unless `CI=true`: CI
//! must have started the engines, so there they fail.

#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{bin, text};

const ADDR: &str = "10.226.27.2";
const TCP_HOST: &str = "tcp://10.226.27.2:2376";
/// engines-up's client certificate folder: ca.pem, cert.pem, key.pem.
const CERTS: &str = "/var/cache/dockdojo-engines/tls/client";
/// The engines' CLI (Engine 26's `docker`) and its buildx and Compose v2 plugins.
const CLI_BIN: &str = "/var/cache/dockdojo-engines/root/usr/bin";
const CLI_PLUGINS: &str = "/var/cache/dockdojo-engines/cli/cli-plugins";
const E26C_SOCKET: &str = "/run/dockdojo-engines/docker26-containerd.sock";
const NETNS: &str = "/run/netns/dockdojo-e26c";
/// The exercise graded remotely: a container publishes host port 18040 and the check asks it.
const EXERCISE: &str = "04-publish-port";

/// One test at a time (they share the daemon and the exercise's fixed names and port), and only
/// when the TLS endpoint answers. `None`: skipped here (and this is not CI).
fn remote() -> Option<MutexGuard<'static, ()>> {
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let o = Command::new("curl")
        .args(["-sf", "--max-time", "3"])
        .args(["--cacert", &format!("{CERTS}/ca.pem")])
        .args(["--cert", &format!("{CERTS}/cert.pem")])
        .args(["--key", &format!("{CERTS}/key.pem")])
        .arg(format!("https://{ADDR}:2376/_ping"))
        .output();
    let answer = o.map(|o| String::from_utf8_lossy(&o.stdout).to_string());
    if answer.as_deref().ok() != Some("OK") {
        let msg = format!(
            "Docker Engine 26 (e26c) does not answer on {TCP_HOST} with TLS ({answer:?}). Start \
             it with `.ci/engines-up`."
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} CI must start it before the tests.");
        }
        println!("skipped: {msg}");
        return None;
    }
    Some(guard)
}

/// dockdojo in a temp folder, from the host's namespace, with `env` set (and the CLI's own
/// variables cleared first so only `env` decides). PATH starts with `path_first` when given.
fn dockdojo(args: &[&str], env: &[(&str, &str)], path_first: Option<&Path>) -> Output {
    let t = tempfile::tempdir().unwrap();
    let mut path = format!("{CLI_BIN}:{}", std::env::var("PATH").unwrap_or_default());
    if let Some(p) = path_first {
        path = format!("{}:{path}", p.display());
    }
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(t.path())
        .env("NO_COLOR", "1")
        .env("PATH", path);
    for k in [
        "DOCKER_HOST",
        "DOCKER_CONTEXT",
        "DOCKER_CONFIG",
        "DOCKER_TLS_VERIFY",
        "DOCKER_TLS",
        "DOCKER_CERT_PATH",
    ] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdin(Stdio::null()).output().expect("run dockdojo")
}

/// A CLI config folder with the engines' buildx and Compose v2 plugins (what `docker build` and
/// `docker compose` in the exercise's scripts use).
fn cli_config() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(CLI_PLUGINS, d.path().join("cli-plugins")).unwrap();
    d
}

fn tls_env<'a>(config: &'a Path, cert_path: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("DOCKER_HOST", TCP_HOST),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", cert_path),
        ("DOCKER_CONFIG", config.to_str().unwrap()),
    ]
}

/// `doctor` passes and its published-port probe went to the daemon's host.
fn assert_doctor_passes(o: &Output, how: &str) {
    let out = text(o);
    println!("doctor through {how}:\n{out}");
    assert!(o.status.success(), "doctor through {how} failed:\n{out}");
    assert!(
        out.contains("Docker 26."),
        "doctor names the engine:\n{out}"
    );
    assert!(
        out.contains(&format!("HTTP through {ADDR}:")),
        "the published port was asked on the daemon's host:\n{out}"
    );
}

/// `self-test` of the exercise: 0 failed, the solution passes.
fn assert_self_test_passes(o: &Output, how: &str) {
    let out = text(o);
    println!("self-test {EXERCISE} through {how}:\n{out}");
    assert!(o.status.success(), "self-test through {how} failed:\n{out}");
    assert!(out.contains("  ok   solution passes"), "{out}");
    assert!(
        out.lines().any(|l| l.ends_with(" passed, 0 failed")),
        "{out}"
    );
}

/// Nothing labelled `io.dockdojo.managed` is left on e26c.
fn assert_nothing_left() {
    let o = Command::new(format!("{CLI_BIN}/docker"))
        .args(["ps", "-a", "-q", "--filter", "label=io.dockdojo.managed"])
        .env("DOCKER_HOST", format!("unix://{E26C_SOCKET}"))
        .env_remove("DOCKER_CONTEXT")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "", "left behind");
}

/// Fails within `limit` (no hang), with exit 3 (the environment), saying `what` in its output.
fn assert_fails_clearly(args: &[&str], env: &[(&str, &str)], limit: Duration, what: &[&str]) {
    let started = Instant::now();
    let o = dockdojo(args, env, None);
    let took = started.elapsed();
    let out = text(&o);
    println!("{args:?} with {env:?} ({took:?}):\n{out}");
    assert_eq!(o.status.code(), Some(3), "an environment error:\n{out}");
    assert!(took < limit, "took {took:?}:\n{out}");
    for w in what {
        assert!(out.contains(w), "the error says {w:?}:\n{out}");
    }
}

#[test]
fn tls_from_the_environment_grades_a_published_port_on_the_daemons_host() {
    let Some(_remote) = remote() else { return };
    let config = cli_config();
    let env = tls_env(config.path(), CERTS);
    assert_doctor_passes(&dockdojo(&["doctor"], &env, None), "DOCKER_TLS_VERIFY");
    let o = dockdojo(&["self-test", EXERCISE], &env, None);
    assert_self_test_passes(&o, "DOCKER_TLS_VERIFY");
    assert_nothing_left();
}

#[test]
fn tls_through_a_context_with_its_own_tls_files() {
    let Some(_remote) = remote() else { return };
    let config = cli_config();
    // Made by the docker CLI itself: it copies the files into contexts/tls/<hash>/docker/.
    let o = Command::new(format!("{CLI_BIN}/docker"))
        .args(["context", "create", "far"])
        .arg("--docker")
        .arg(format!(
            "host={TCP_HOST},ca={CERTS}/ca.pem,cert={CERTS}/cert.pem,key={CERTS}/key.pem"
        ))
        .env("DOCKER_CONFIG", config.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let tls_dirs: Vec<PathBuf> = std::fs::read_dir(config.path().join("contexts/tls"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(tls_dirs.len(), 1, "{tls_dirs:?}");
    assert!(tls_dirs[0].join("docker/key.pem").is_file());
    std::fs::write(
        config.path().join("config.json"),
        r#"{"currentContext":"far"}"#,
    )
    .unwrap();
    let env = [("DOCKER_CONFIG", config.path().to_str().unwrap())];
    let o = dockdojo(&["doctor"], &env, None);
    assert!(text(&o).contains("context 'far'"), "{}", text(&o));
    assert_doctor_passes(&o, "a context");
    let o = dockdojo(&["self-test", EXERCISE], &env, None);
    assert_self_test_passes(&o, "a context");
    assert_nothing_left();

    // SkipTLSVerify with no CA: the daemon's certificate is taken as it is.
    let meta_dir = std::fs::read_dir(config.path().join("contexts/meta"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let meta = meta_dir.join("meta.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    v["Endpoints"]["docker"]["SkipTLSVerify"] = serde_json::Value::Bool(true);
    std::fs::write(&meta, v.to_string()).unwrap();
    std::fs::remove_file(tls_dirs[0].join("docker/ca.pem")).unwrap();
    let o = dockdojo(&["doctor"], &env, None);
    assert_doctor_passes(&o, "a context with SkipTLSVerify");
}

#[test]
fn tls_failures_say_what_is_wrong_without_hanging() {
    let Some(_remote) = remote() else { return };
    let limit = Duration::from_secs(15);
    let config = cli_config();
    let dir = tempfile::tempdir().unwrap();
    let certs = |name: &str, files: &[&str]| -> String {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for f in files {
            std::fs::copy(Path::new(CERTS).join(f), d.join(f)).unwrap();
        }
        d.to_str().unwrap().to_string()
    };

    // A CA that did not sign the daemon's certificate.
    let wrong = certs("wrong-ca", &["cert.pem", "key.pem"]);
    let o = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=some other CA", "-keyout"])
        .arg(dir.path().join("other-ca-key.pem"))
        .arg("-out")
        .arg(Path::new(&wrong).join("ca.pem"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_fails_clearly(
        &["doctor"],
        &tls_env(config.path(), &wrong),
        limit,
        &[
            "TLS handshake with 10.226.27.2:2376 failed",
            &format!("{wrong}/ca.pem"),
        ],
    );

    // No client certificate: the daemon (--tlsverify) wants one.
    let no_client = certs("no-client", &["ca.pem"]);
    assert_fails_clearly(
        &["doctor"],
        &tls_env(config.path(), &no_client),
        limit,
        &["client certificate", &no_client],
    );

    // A key without its certificate: the missing file is named.
    let no_cert = certs("no-cert", &["ca.pem", "key.pem"]);
    assert_fails_clearly(
        &["doctor"],
        &tls_env(config.path(), &no_cert),
        limit,
        &[&format!("no file {no_cert}/cert.pem")],
    );

    // DOCKER_TLS_VERIFY with no CA at all.
    let no_ca = certs("no-ca", &["cert.pem", "key.pem"]);
    assert_fails_clearly(
        &["doctor"],
        &tls_env(config.path(), &no_ca),
        limit,
        &[&format!("no file {no_ca}/ca.pem")],
    );

    // Plain HTTP to the TLS port: refused by the daemon, said at once.
    let o = dockdojo(
        &["doctor"],
        &[
            ("DOCKER_HOST", TCP_HOST),
            ("DOCKER_CONFIG", config.path().to_str().unwrap()),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}

/// An `sshd` of the test's own in e26c's namespace, and a client-side `ssh` wrapper for it.
struct Sshd {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Sshd {
    fn start(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (key, kind) in [("host_key", "ed25519"), ("client_key", "ed25519")] {
            let o = Command::new("ssh-keygen")
                .args(["-q", "-t", kind, "-N", "", "-C", "dockdojo-test", "-f"])
                .arg(d.join(key))
                .output()
                .expect("ssh-keygen (openssh-client)");
            assert!(o.status.success(), "{}", text(&o));
        }
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        let host_pub: Vec<&str> = host_pub.split_whitespace().take(2).collect();
        std::fs::write(
            d.join("known_hosts"),
            format!("[{ADDR}]:{port} {}\n", host_pub.join(" ")),
        )
        .unwrap();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress {ADDR}\nHostKey {hk}\nAuthorizedKeysFile {ak}\n\
                 PermitRootLogin prohibit-password\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
                 PidFile {pid}\nSetEnv DOCKER_HOST=unix://{E26C_SOCKET}\n",
                hk = d.join("host_key").display(),
                ak = d.join("authorized_keys").display(),
                pid = d.join("sshd.pid").display(),
            ),
        )
        .unwrap();
        // The client side: `ssh` first on PATH, with this test's key and known hosts only.
        let bin_dir = d.join("bin");
        std::fs::create_dir(&bin_dir).unwrap();
        let wrapper = bin_dir.join("ssh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec /usr/bin/ssh -F /dev/null -i {key} -o IdentitiesOnly=yes \
                 -o UserKnownHostsFile={kh} -o StrictHostKeyChecking=yes -o BatchMode=yes \"$@\"\n",
                key = d.join("client_key").display(),
                kh = d.join("known_hosts").display(),
            ),
        )
        .unwrap();
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("sshd (openssh-server; .ci/run installs it)");
        let child = Command::new("nsenter")
            .arg(format!("--net={NETNS}"))
            .args(["--", sshd, "-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("sshd.log")).unwrap())
            .spawn()
            .expect("start sshd");
        let s = Self { child, dir, port };
        let until = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect((ADDR, port)).is_err() {
            assert!(Instant::now() < until, "sshd did not listen: {}", s.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        s
    }

    fn bin_dir(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // Our own child, by its id (nsenter execs sshd, so this is sshd itself).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ssh_grades_a_published_port_on_the_daemons_host() {
    let Some(_remote) = remote() else { return };
    let sshd = Sshd::start(2222);
    let config = cli_config();
    let host = format!("ssh://root@{ADDR}:{}", sshd.port);
    let env = [
        ("DOCKER_HOST", host.as_str()),
        ("DOCKER_CONFIG", config.path().to_str().unwrap()),
    ];
    let o = dockdojo(&["doctor"], &env, Some(&sshd.bin_dir()));
    if !o.status.success() {
        println!("sshd's log:\n{}", sshd.log());
    }
    assert_doctor_passes(&o, "ssh");
    let o = dockdojo(&["self-test", EXERCISE], &env, Some(&sshd.bin_dir()));
    if !o.status.success() {
        println!("sshd's log:\n{}", sshd.log());
    }
    assert_self_test_passes(&o, "ssh");
    assert_nothing_left();
}

#[test]
fn ssh_failures_give_sshs_own_words() {
    let Some(_remote) = remote() else { return };
    let sshd = Sshd::start(2223);
    let config = cli_config();
    let limit = Duration::from_secs(30);
    // A user the server does not know: ssh's refusal is in the error.
    let host = format!("ssh://no-such-user@{ADDR}:{}", sshd.port);
    let started = Instant::now();
    let o = dockdojo(
        &["doctor"],
        &[
            ("DOCKER_HOST", host.as_str()),
            ("DOCKER_CONFIG", config.path().to_str().unwrap()),
        ],
        Some(&sshd.bin_dir()),
    );
    let out = text(&o);
    println!("{host} ({:?}):\n{out}", started.elapsed());
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(started.elapsed() < limit, "{out}");
    assert!(out.contains(&format!("ssh to {ADDR}")), "{out}");
    assert!(out.contains("Permission denied"), "ssh's own words:\n{out}");

    // Nothing listens on the port.
    let host = format!("ssh://root@{ADDR}:2");
    let o = dockdojo(
        &["doctor"],
        &[
            ("DOCKER_HOST", host.as_str()),
            ("DOCKER_CONFIG", config.path().to_str().unwrap()),
        ],
        Some(&sshd.bin_dir()),
    );
    let out = text(&o);
    println!("{host}:\n{out}");
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("Connection refused"),
        "ssh's own words:\n{out}"
    );
}
