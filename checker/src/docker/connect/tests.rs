use super::*;

fn env_with(dir: &Path) -> LookupEnv {
    LookupEnv {
        docker_config: Some(dir.to_path_buf()),
        home: Some(dir.to_path_buf()),
        ..Default::default()
    }
}

fn write_context(dir: &Path, name: &str, host: &str) {
    let d = dir.join("contexts/meta/abc123");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("meta.json"),
        format!(r#"{{"Name":"{name}","Endpoints":{{"docker":{{"Host":"{host}"}}}}}}"#),
    )
    .unwrap();
}

#[test]
fn docker_host_wins() {
    let t = tempfile::tempdir().unwrap();
    let mut env = env_with(t.path());
    env.docker_host = Some("unix:///x.sock".into());
    env.docker_context = Some("nope".into());
    let r = resolve(&env).unwrap();
    assert_eq!(r[0].host, "unix:///x.sock");
    assert_eq!(r[0].source, "DOCKER_HOST");
}

#[test]
fn current_context_is_followed() {
    let t = tempfile::tempdir().unwrap();
    write_context(t.path(), "other", "unix:///other.sock");
    std::fs::write(
        t.path().join("config.json"),
        r#"{"currentContext":"other"}"#,
    )
    .unwrap();
    let r = resolve(&env_with(t.path())).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].host, "unix:///other.sock");
    assert!(r[0].source.contains("other"), "{}", r[0].source);
}

#[test]
fn docker_context_beats_config() {
    let t = tempfile::tempdir().unwrap();
    write_context(t.path(), "other", "unix:///other.sock");
    std::fs::write(
        t.path().join("config.json"),
        r#"{"currentContext":"missing"}"#,
    )
    .unwrap();
    let mut env = env_with(t.path());
    env.docker_context = Some("other".into());
    assert_eq!(resolve(&env).unwrap()[0].host, "unix:///other.sock");
}

#[test]
fn missing_context_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let mut env = env_with(t.path());
    env.docker_context = Some("ghost".into());
    let err = resolve(&env).unwrap_err().to_string();
    assert!(err.contains("ghost"), "{err}");
    assert!(err.contains("DOCKER_CONTEXT"), "{err}");
}

#[test]
fn default_context_means_platform_defaults() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("config.json"),
        r#"{"currentContext":"default"}"#,
    )
    .unwrap();
    let r = resolve(&env_with(t.path())).unwrap();
    assert_eq!(r[0].host, "unix:///var/run/docker.sock");
    assert!(r
        .iter()
        .any(|e| e.host.ends_with(".docker/run/docker.sock")));
}

fn write_meta(dir: &Path, hash: &str, json: &str) {
    let d = dir.join("contexts/meta").join(hash);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("meta.json"), json).unwrap();
}

fn write_tls(dir: &Path, hash: &str, files: &[&str]) -> PathBuf {
    let d = dir.join("contexts/tls").join(hash).join("docker");
    std::fs::create_dir_all(&d).unwrap();
    for f in files {
        std::fs::write(d.join(f), "x").unwrap();
    }
    d
}

#[test]
fn docker_tls_verify_takes_the_cert_path() {
    let t = tempfile::tempdir().unwrap();
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::write(t.path().join(f), "x").unwrap();
    }
    let mut env = env_with(Path::new("/nonexistent"));
    env.docker_host = Some("tcp://remote.example:2376".into());
    env.tls_verify = true;
    env.cert_path = Some(t.path().to_path_buf());
    let ep = &resolve(&env).unwrap()[0];
    let tls = ep.tls.as_ref().expect("TLS");
    assert!(tls.verify);
    assert_eq!(tls.ca.as_deref(), Some(t.path().join("ca.pem").as_path()));
    assert_eq!(
        tls.client,
        Some((t.path().join("cert.pem"), t.path().join("key.pem")))
    );
    assert_eq!(tls.check(), Ok(()));
    assert_eq!(ep.tcp_addr().as_deref(), Some("remote.example:2376"));
    assert_eq!(ep.probe_host(), "remote.example");
    assert!(ep.is_remote());
}

#[test]
fn cert_path_defaults_to_the_config_folder_and_names_what_is_missing() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("key.pem"), "x").unwrap();
    let mut env = env_with(t.path());
    env.docker_host = Some("tcp://10.0.0.5".into());
    env.tls_verify = true;
    let ep = &resolve(&env).unwrap()[0];
    let tls = ep.tls.as_ref().expect("TLS");
    assert_eq!(tls.dir, t.path());
    // No port: the CLI's TLS port.
    assert_eq!(ep.tcp_addr().as_deref(), Some("10.0.0.5:2376"));
    let err = tls.check().unwrap_err();
    assert!(err.contains("CA certificate"), "{err}");
    assert!(
        err.contains(&t.path().join("ca.pem").display().to_string()),
        "{err}"
    );
    std::fs::write(t.path().join("ca.pem"), "x").unwrap();
    let ep = &resolve(&env).unwrap()[0];
    let err = ep.tls.as_ref().unwrap().check().unwrap_err();
    assert!(err.contains("client certificate"), "{err}");
    assert!(
        err.contains(&t.path().join("cert.pem").display().to_string()),
        "{err}"
    );
}

#[test]
fn docker_tls_alone_skips_verification_and_plain_tcp_has_no_tls() {
    let t = tempfile::tempdir().unwrap();
    let mut env = env_with(t.path());
    env.docker_host = Some("tcp://10.0.0.5".into());
    let ep = &resolve(&env).unwrap()[0];
    assert_eq!(ep.tls, None);
    assert_eq!(ep.tcp_addr().as_deref(), Some("10.0.0.5:2375"));
    env.tls = true;
    let ep = &resolve(&env).unwrap()[0];
    let tls = ep.tls.as_ref().unwrap();
    assert!(!tls.verify);
    assert_eq!(tls.ca, None, "no CA needed without verification");
    assert_eq!(tls.check(), Ok(()));
    // TLS settings are for tcp:// only.
    env.docker_host = Some("unix:///run/x.sock".into());
    env.tls_verify = true;
    assert_eq!(resolve(&env).unwrap()[0].tls, None);
}

#[test]
fn a_contexts_tls_files_are_in_its_tls_folder() {
    let t = tempfile::tempdir().unwrap();
    let hash = "f24fd3749c1368328e2b149bec149cb6795619f244c5b584e844961215dadd16";
    write_meta(
        t.path(),
        hash,
        r#"{"Name":"far","Endpoints":{"docker":{"Host":"tcp://10.226.27.2:2376","SkipTLSVerify":false}}}"#,
    );
    let dir = write_tls(t.path(), hash, &["ca.pem", "cert.pem", "key.pem"]);
    let mut env = env_with(t.path());
    env.docker_context = Some("far".into());
    // The environment's TLS settings are for DOCKER_HOST, not for a context.
    env.tls = true;
    let ep = &resolve(&env).unwrap()[0];
    let tls = ep.tls.as_ref().expect("TLS");
    assert!(tls.verify);
    assert_eq!(tls.dir, dir);
    assert_eq!(tls.ca.as_deref(), Some(dir.join("ca.pem").as_path()));
    assert_eq!(
        tls.client,
        Some((dir.join("cert.pem"), dir.join("key.pem")))
    );
    assert_eq!(ep.probe_host(), "10.226.27.2");
}

#[test]
fn skip_tls_verify_without_files_and_a_context_without_either() {
    let t = tempfile::tempdir().unwrap();
    write_meta(
        t.path(),
        "aaa",
        r#"{"Name":"skip","Endpoints":{"docker":{"Host":"tcp://h:2376","SkipTLSVerify":true}}}"#,
    );
    write_meta(
        t.path(),
        "bbb",
        r#"{"Name":"plain","Endpoints":{"docker":{"Host":"tcp://h:2375"}}}"#,
    );
    // A context's client certificate without a CA: the system's roots, verified.
    write_meta(
        t.path(),
        "ccc",
        r#"{"Name":"client-only","Endpoints":{"docker":{"Host":"tcp://h:2376"}}}"#,
    );
    write_tls(t.path(), "ccc", &["cert.pem", "key.pem"]);
    let mut env = env_with(t.path());
    env.docker_context = Some("skip".into());
    let tls = resolve(&env).unwrap()[0].tls.clone().expect("TLS");
    assert!(!tls.verify);
    assert_eq!((tls.ca, tls.client), (None, None));
    env.docker_context = Some("plain".into());
    assert_eq!(resolve(&env).unwrap()[0].tls, None);
    env.docker_context = Some("client-only".into());
    let tls = resolve(&env).unwrap()[0].tls.clone().expect("TLS");
    assert!(tls.verify);
    assert_eq!(tls.ca, None);
    assert!(tls.client.is_some());
    assert_eq!(tls.check(), Ok(()));
}

#[test]
fn ssh_urls_with_user_and_port() {
    let ep = Endpoint::new("ssh://learner@build.example:2222", "DOCKER_HOST");
    assert_eq!(
        ep.ssh_target(),
        Some(Ok(SshTarget {
            user: Some("learner".into()),
            host: "build.example".into(),
            port: Some(2222),
        }))
    );
    assert_eq!(ep.probe_host(), "build.example");
    assert!(ep.is_remote());
    let ep = Endpoint::new("ssh://build.example", "DOCKER_HOST");
    assert_eq!(
        ep.ssh_target(),
        Some(Ok(SshTarget {
            user: None,
            host: "build.example".into(),
            port: None,
        }))
    );
    let ep = Endpoint::new("ssh://me@localhost", "DOCKER_HOST");
    assert_eq!(ep.probe_host(), "127.0.0.1");
    assert!(!ep.is_remote());
    let err = Endpoint::new("ssh://h/var/run/docker.sock", "x")
        .ssh_target()
        .unwrap()
        .unwrap_err();
    assert!(err.contains("no path"), "{err}");
    // An ssh context: no TLS, the same parts.
    let t = tempfile::tempdir().unwrap();
    write_context(t.path(), "ssh-box", "ssh://root@10.1.2.3:22");
    let mut env = env_with(t.path());
    env.docker_context = Some("ssh-box".into());
    env.tls_verify = true;
    let ep = &resolve(&env).unwrap()[0];
    assert_eq!(ep.tls, None);
    assert_eq!(ep.ssh_target().unwrap().unwrap().port, Some(22));
}

#[test]
fn probes_stay_on_the_loopback_for_a_local_daemon() {
    for h in [
        "unix:///var/run/docker.sock",
        "tcp://127.0.0.1:2375",
        "tcp://localhost:2375",
        "tcp://[::1]:2375",
        "npipe:////./pipe/docker_engine",
    ] {
        let ep = Endpoint::new(h, "x");
        assert_eq!(ep.probe_host(), "127.0.0.1", "{h}");
        assert!(!ep.is_remote(), "{h}");
    }
    assert_eq!(
        Endpoint::new("tcp://[fd00::5]:2376", "x").probe_host(),
        "fd00::5"
    );
}

#[cfg(not(windows))]
#[tokio::test]
async fn named_pipes_are_refused_off_windows_with_the_reason() {
    let env = LookupEnv {
        docker_host: Some("npipe:////./pipe/docker_engine".into()),
        ..Default::default()
    };
    let err = connect(&env).await.unwrap_err().to_string();
    assert!(err.contains("npipe:////./pipe/docker_engine"), "{err}");
    assert!(err.contains("named pipes exist only on Windows"), "{err}");
    let ep = Endpoint::new("npipe:////./pipe/docker_engine", "x");
    let err = crate::docker::dial::dial(&ep)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("only on Windows"), "{err}");
}

#[test]
fn the_pings_headers_name_docker_engine_and_nothing_else() {
    let mut h = hyper::HeaderMap::new();
    h.insert("Api-Version", "1.41".parse().unwrap());
    h.insert("Server", "Docker/20.10.24+dfsg1 (linux)".parse().unwrap());
    h.insert("Ostype", "linux".parse().unwrap());
    h.insert("Builder-Version", "2".parse().unwrap());
    let p = Ping::from_headers(&h);
    assert_eq!(p.docker_version(), Some("20.10.24+dfsg1"));
    assert_eq!(p.api_version.as_deref(), Some("1.41"));
    assert_eq!(p.os.as_deref(), Some("linux"));
    assert_eq!(p.builder_version.as_deref(), Some("2"));
    h.insert("Server", "Libpod/4.3.1 (linux)".parse().unwrap());
    assert_eq!(Ping::from_headers(&h).docker_version(), None);
    h.insert("Server", "Docker/20.10.24 (linux)".parse().unwrap());
    h.insert("Libpod-Api-Version", "4.3.1".parse().unwrap());
    assert_eq!(Ping::from_headers(&h).docker_version(), None);
    assert_eq!(
        Ping::from_headers(&hyper::HeaderMap::new()).docker_version(),
        None
    );
}

#[test]
fn unknown_schemes_are_named() {
    let err = pool(&Endpoint::new("fd://3", "x")).err().unwrap();
    assert!(err.contains("fd://3"), "{err}");
    assert!(err.contains("ssh://"), "{err}");
}

#[test]
fn a_connection_closed_after_asking_for_a_client_certificate_says_so() {
    // A daemon that requires a client certificate ends the connection after the handshake; the
    // first request may see only "connection was not ready", without the daemon's alert.
    let addr = "192.0.2.7:2376";
    let ep = Endpoint {
        host: format!("tcp://{addr}"),
        source: "DOCKER_HOST".into(),
        tls: Some(Tls {
            dir: "/certs".into(),
            ca: Some("/certs/ca.pem".into()),
            client: None,
            verify: true,
        }),
    };
    let closed = "Error in the hyper legacy client: client error (Canceled): operation was canceled: connection was not ready";
    let before = explain(&ep, closed.to_string());
    assert_eq!(before, closed, "a daemon that did not ask is not blamed");
    super::super::dial::note_asked_for_a_client_certificate(addr);
    let after = explain(&ep, closed.to_string());
    assert!(
        after.contains(&format!(
            "the daemon at {addr} ended the TLS connection (it closed the connection)"
        )) && after.contains(
            "asks for a client certificate and there is none (no cert.pem and key.pem in /certs)"
        ),
        "{after}"
    );
    // A failed handshake keeps its own words.
    let handshake =
        format!("TLS handshake with {addr} failed: invalid peer certificate: UnknownIssuer");
    assert_eq!(explain(&ep, handshake.clone()), handshake);
}
