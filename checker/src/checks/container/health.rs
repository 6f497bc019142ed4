//! Waiting for a container's health verdict, and reading an OOM kill from the daemon's events.

use super::*;

/// Wait for a container's health status.
pub(super) async fn health(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
    want: &str,
    within: f64,
    probe_tested: bool,
) -> Result<Verdict, EnvError> {
    use futures_util::StreamExt;
    let expected = format!("{name} reports {want} within {within} s");
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs_f64(within);
    // The status changes only when a probe finishes, and Docker says so as an event: wait for
    // those rather than ask over and over while the probes run (the stream opens after the first
    // inspection: it replays from the container's start).
    let mut cues = None;
    let mut opened = false;
    // When a healthy status that one probe gave is given up on waiting for a second.
    let mut confirm_by = None;
    loop {
        let info = ctx.inspect(id).await?.unwrap_or_default();
        let st = info.state.clone().unwrap_or_default();
        if !opened {
            opened = true;
            cues = Some(health_cues(ctx, id, st.started_at.as_deref()));
        }
        let hc = info.config.as_ref().and_then(|c| c.healthcheck.as_ref());
        let has_check = hc
            .and_then(|h| h.test.as_ref())
            .is_some_and(|t| !t.is_empty() && t[0] != "NONE");
        let h = st.health.clone();
        let status = h
            .as_ref()
            .and_then(|h| h.status)
            .map(|s| s.to_string())
            .unwrap_or_default();
        if !has_check {
            return Ok(Verdict::fail(
                expected,
                format!("{name} has no HEALTHCHECK, so Docker reports no health for it at all"),
            )
            .advise("Add a HEALTHCHECK to the Dockerfile (or `--health-cmd` on docker run)."));
        }
        if h.is_none()
            && st.running == Some(true)
            && ctx.engine.runtime == crate::docker::Runtime::Podman
        {
            return Ok(Verdict::unsupported(
                expected,
                format!(
                    "Podman {}: this runtime reports no health for the container (Podman runs \
                     healthchecks from systemd timers, and none has run here)",
                    ctx.engine.server_version
                ),
            ));
        }
        if status == want && want != "healthy" {
            return Ok(Verdict::pass(expected, format!("{name} is {status}")));
        }
        // Unhealthy wanted, and the probe passed twice in a row on a container that should fail
        // it: it does not see what it should. Turning unhealthy from here would take `retries`
        // failures in a row that the two successes say will not come; waiting out `within` only
        // delays the same verdict.
        if want == "unhealthy" && status == "healthy" && st.running == Some(true) {
            let log = h.as_ref().and_then(|h| h.log.as_deref()).unwrap_or(&[]);
            if kept_healthy(log) == Kept::Yes {
                let last = log.last().cloned().unwrap_or_default();
                return Ok(Verdict::fail(
                    expected,
                    format!(
                        "{name} is healthy; its last two probes succeeded, the last exited {} with: {}",
                        last.exit_code.unwrap_or(-1),
                        last.output.unwrap_or_default().trim()
                    ),
                ));
            }
        }
        // Healthy must last: a probe that works once and then fails (busybox `wget` without
        // `-O`, saving the page and then refusing to overwrite it) turns healthy on its first
        // run and unhealthy a few seconds later. The next probe must succeed too.
        if status == want && st.running == Some(true) {
            let log = h.as_ref().and_then(|h| h.log.as_deref()).unwrap_or(&[]);
            let interval = hc
                .and_then(|c| c.interval)
                .filter(|ns| *ns > 0)
                .map_or(30.0, |ns| ns as f64 / 1e9);
            let confirm_by = *confirm_by.get_or_insert_with(|| {
                tokio::time::Instant::now()
                    + std::time::Duration::from_secs_f64((interval + 2.0).min(10.0))
            });
            // Passing probes whose command is not in the container: `curl … || exit 0` succeeds
            // without asking the app anything.
            if let Some(r) = log.last().filter(|r| {
                r.exit_code == Some(0)
                    && passed_without_its_command(r.output.as_deref().unwrap_or(""))
            }) {
                return Ok(Verdict::fail(
                    expected,
                    format!(
                        "{name} is healthy, but its probe tests nothing: it succeeds although its \
                         command is not in the container ({})",
                        r.output.as_deref().unwrap_or_default().trim()
                    ),
                )
                .advise("A probe that ends in `|| exit 0` or `|| true` succeeds whatever happened. Use a program the image has (busybox has `wget`), and let the probe fail when the app does not answer: `|| exit 1`."));
            }
            match kept_healthy(log) {
                Kept::Yes if probe_tested => {
                    let test = hc.and_then(|c| c.test.clone()).unwrap_or_default();
                    let env = info
                        .config
                        .as_ref()
                        .and_then(|c| c.env.clone())
                        .unwrap_or_default();
                    let image = info.image.clone().unwrap_or_default();
                    return probe_alone(ctx, name, &image, &test, env, expected).await;
                }
                Kept::Yes => {
                    return Ok(Verdict::pass(
                        expected,
                        format!("{name} is healthy, and its last two probes succeeded"),
                    ))
                }
                Kept::No(r) => {
                    return Ok(Verdict::fail(
                        expected,
                        format!(
                            "{name} turned healthy, but then a probe failed (exit {}: {})",
                            r.exit_code.unwrap_or(-1),
                            r.output.as_deref().unwrap_or_default().trim()
                        ),
                    )
                    .advise(
                        "A probe must keep succeeding while the app serves, not only the first time. \
                         One that leaves something behind fails from its second run: busybox `wget` \
                         without `-O /dev/null` (or `--spider`) saves the page as a file, then \
                         refuses to overwrite it. Watch a few probes: \
                         `docker inspect --format '{{json .State.Health}}' CONTAINER`.",
                    ))
                }
                Kept::Once if tokio::time::Instant::now() >= confirm_by => {
                    return Ok(Verdict::pass(
                        expected,
                        format!("{name} is healthy (no second probe ran within {interval} s to confirm it)"),
                    ))
                }
                Kept::Once => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    continue;
                }
            }
        }
        let probed = h
            .as_ref()
            .and_then(|h| h.log.as_ref())
            .is_some_and(|l| !l.is_empty());
        let podman_idle = st.running == Some(true)
            && !probed
            && ctx.engine.runtime == crate::docker::Runtime::Podman;
        if podman_idle && tokio::time::Instant::now() >= until {
            // Probes were due (an interval of at most half the wait) and none ran: this Podman
            // runs none. Later waits in this process need not find that out again.
            let interval = hc.and_then(|c| c.interval).filter(|ns| *ns > 0);
            if interval.is_some_and(|ns| ns as f64 / 1e9 <= within / 2.0) {
                podman_runs_no_probes(&ctx.engine.endpoint.host, true);
            }
            return Ok(Verdict::unsupported(
                expected,
                format!(
                    "Podman {}: no health probe ran within {within} s. Podman runs \
                     healthchecks from systemd timers, and this host has no systemd to run \
                     them (`podman healthcheck run {name}` runs one by hand)",
                    ctx.engine.server_version
                ),
            ));
        }
        if podman_idle && podman_runs_no_probes(&ctx.engine.endpoint.host, false) {
            return Ok(Verdict::unsupported(
                expected,
                format!(
                    "Podman {}: it ran no health probe for an earlier container whose probes \
                     were due, in this run. Podman runs healthchecks from systemd timers, and \
                     this host has no systemd to run them (`podman healthcheck run {name}` \
                     runs one by hand)",
                    ctx.engine.server_version
                ),
            ));
        }
        // A probe whose command the container does not have fails the same way every time:
        // waiting out the rest of `within` would change nothing.
        let missing = (want == "healthy")
            .then(|| {
                h.as_ref()
                    .and_then(|h| h.log.as_ref())
                    .and_then(|l| l.last())
            })
            .flatten()
            .filter(|r| probe_command_missing(r.exit_code, r.output.as_deref().unwrap_or("")));
        if let Some(r) = missing {
            let now = if status.is_empty() {
                "starting"
            } else {
                status.as_str()
            };
            return Ok(Verdict::fail(
                expected,
                format!(
                    "{name} is {now}, and its probe cannot run: the command it names is not in \
                     the container (exit {}: {})",
                    r.exit_code.unwrap_or(-1),
                    r.output.as_deref().unwrap_or_default().trim()
                ),
            )
            .advise("A HEALTHCHECK runs inside the container, with only the programs its image has: use one the image has, or add it to the image."));
        }
        if st.running != Some(true) || tokio::time::Instant::now() >= until {
            let last = h
                .clone()
                .and_then(|h| h.log)
                .and_then(|l| l.last().cloned())
                .map(|r| {
                    format!(
                        "; the last probe exited {} with: {}",
                        r.exit_code.unwrap_or(-1),
                        r.output.unwrap_or_default().trim()
                    )
                })
                .unwrap_or_default();
            let now = if status.is_empty() {
                "without a health status"
            } else {
                status.as_str()
            };
            let actual = if st.running != Some(true) {
                format!("{name} is not running")
            } else {
                format!("{name} is {now}{last}")
            };
            // Failed probes in the start period do not count: "starting" lasts at least that.
            let start_period = hc
                .and_then(|c| c.start_period)
                .filter(|ns| *ns > 0)
                .map(|ns| ns as f64 / 1e9);
            if let (Some(secs), "unhealthy", true) = (
                start_period,
                want,
                status.is_empty() || status == "starting",
            ) {
                return Ok(Verdict::fail(expected, actual).advise(format!(
                    "Its HEALTHCHECK has a start period of {secs} s: failed probes in it do not \
                     count, so it cannot turn unhealthy before the start period ends. Shorten \
                     --start-period (or leave it out) to be told within {within} s."
                )));
            }
            // Still starting with failed probes: the probe fails as it should, but too slowly
            // (retries failures in a row, one per interval) to be told within the time asked.
            let interval = hc
                .and_then(|c| c.interval)
                .filter(|ns| *ns > 0)
                .map_or(30.0, |ns| ns as f64 / 1e9);
            let retries = hc.and_then(|c| c.retries).filter(|r| *r > 0).unwrap_or(3);
            let failing = h.as_ref().and_then(|h| h.failing_streak).unwrap_or(0) > 0;
            if want == "unhealthy"
                && failing
                && status == "starting"
                && interval * retries as f64 > within
            {
                return Ok(Verdict::fail(expected, actual).advise(format!(
                    "Its probe fails, as it should here, but it turns unhealthy only after {retries} \
                     failures in a row, one every {interval} s: {} s, more than the {within} s \
                     asked. Probe more often (`--interval`) or give up sooner (`--retries`).",
                    interval * retries as f64
                )));
            }
            return Ok(Verdict::fail(expected, actual));
        }
        // Inspect again on the next cue, or after a quiet second at most (the deadline, or a
        // cue that never came, is still met). A runtime that does not stream events is asked
        // every 100 ms instead.
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        match cues.as_mut() {
            Some(stream) => {
                let quiet = left.min(std::time::Duration::from_secs(1));
                if let Ok(Some(Err(_)) | None) = tokio::time::timeout(quiet, stream.next()).await {
                    cues = None;
                }
            }
            None => tokio::time::sleep(left.min(std::time::Duration::from_millis(100))).await,
        }
    }
}

/// Whether the Podman at `host` was seen running no probes in this process (a wait of up to
/// `within_s` each, otherwise: 11-healthcheck's cases spent 20 s on it twice over). With `seen`,
/// remember that it was.
fn podman_runs_no_probes(host: &str, seen: bool) -> bool {
    static IDLE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let Ok(mut idle) = IDLE.lock() else {
        return false;
    };
    if seen && !idle.iter().any(|h| h == host) {
        idle.push(host.to_string());
    }
    idle.iter().any(|h| h == host)
}

/// What the probes of a container reported healthy say.
#[derive(Debug, PartialEq)]
enum Kept {
    /// The last two probes succeeded.
    Yes,
    /// Only the last one did (so far).
    Once,
    /// The last one failed: healthy only until the retries run out.
    No(bollard::models::HealthcheckResult),
}

fn kept_healthy(log: &[bollard::models::HealthcheckResult]) -> Kept {
    let ok = |r: &bollard::models::HealthcheckResult| r.exit_code == Some(0);
    match log {
        [.., last] if !ok(last) => Kept::No(last.clone()),
        [.., before, _] if ok(before) => Kept::Yes,
        _ => Kept::Once,
    }
}

/// Did a probe fail because its command does not exist in the container? In exec form the
/// runtime cannot start it (exit -1, "executable file not found"); in shell form the shell says
/// so (exit 127, "not found").
fn probe_command_missing(exit: Option<i64>, output: &str) -> bool {
    match exit {
        Some(-1) => {
            output.contains("executable file not found")
                || output.contains("no such file or directory")
        }
        Some(127) => output.contains("not found"),
        _ => false,
    }
}

/// The probe's command as a container runs it: `CMD` runs its words, `CMD-SHELL` its text through
/// `/bin/sh -c` (as Docker runs a probe). `None`: no probe.
fn probe_command(test: &[String]) -> Option<Vec<String>> {
    match test.split_first() {
        Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
        Some((kind, [text])) if kind == "CMD-SHELL" => {
            Some(vec!["/bin/sh".into(), "-c".into(), text.clone()])
        }
        _ => None,
    }
}

/// A healthy container's probe, run once more where the app is not running: in a fresh
/// container of the same image, its entrypoint replaced by the probe, without a network. It
/// must fail there; if it succeeds, it says healthy whatever the app does.
async fn probe_alone(
    ctx: &Ctx<'_>,
    name: &str,
    image: &str,
    test: &[String],
    env: Vec<String>,
    expected: String,
) -> Result<Verdict, EnvError> {
    let Some(cmd) = probe_command(test) else {
        return Ok(Verdict::fail(
            expected,
            format!("{name}'s probe has no command ({test:?})"),
        ));
    };
    let (entrypoint, args) = cmd.split_at(1);
    let spec = crate::docker::probe::ContainerSpec {
        image: image.to_string(),
        entrypoint: Some(entrypoint.to_vec()),
        cmd: Some(args.to_vec()),
        env,
        network: Some("none".into()),
        ..Default::default()
    };
    let limit = std::time::Duration::from_secs(10);
    let out = match crate::docker::exec::run_once(ctx.engine, ctx.exercise, spec, limit).await? {
        Ok(o) => o,
        // It could not even start: it would fail as a probe too.
        Err(_) => {
            return Ok(Verdict::pass(
                expected,
                format!("{name} is healthy, its last two probes succeeded, and its probe fails without the app"),
            ))
        }
    };
    if out.code == 0 {
        let said = crate::docker::logs::tail(&out.stdout, 2);
        return Ok(Verdict::fail(
            expected,
            format!(
                "{name} is healthy, but its probe tests nothing: it also succeeds in a container of \
                 the same image where the app is not running (`{}` exited 0{})",
                shown_probe(test),
                if said.trim().is_empty() {
                    String::new()
                } else {
                    format!(", saying: {}", said.trim())
                }
            ),
        )
        .advise("A probe must fail when the app does not answer. Ask the app itself, on the port it listens on inside the container (not the one published on the host), with a program the image has (busybox `wget -q -O /dev/null http://127.0.0.1:PORT/health`), and let its failure show: nothing like `|| exit 0`, `|| true` or `; echo …` after it."));
    }
    Ok(Verdict::pass(
        expected,
        format!(
            "{name} is healthy, its last two probes succeeded, and its probe fails without the app (exit {})",
            out.code
        ),
    ))
}

/// A probe's test as written in a Dockerfile or compose file.
fn shown_probe(test: &[String]) -> String {
    match test.split_first() {
        Some((kind, [text])) if kind == "CMD-SHELL" => text.clone(),
        Some((_, rest)) => rest.join(" "),
        None => String::new(),
    }
}

/// Does a probe that exited 0 say its command was not found ("/bin/sh: curl: not found",
/// "curl: command not found")? Then its failure was ignored (`|| exit 0`).
fn passed_without_its_command(output: &str) -> bool {
    output.lines().any(|l| {
        let l = l.trim();
        l.ends_with("command not found")
            || l.contains("executable file not found")
            || ((l.starts_with("sh:") || l.starts_with("/bin/sh:") || l.starts_with("bash:"))
                && l.ends_with(": not found"))
    })
}

/// Container `id`'s health-status changes and its death, as the daemon's events, replayed from
/// `started_at` (the daemon's own clock, as inspect reports it), so a change made while the
/// stream connects is not missed. Each is only a cue to inspect again: the inspection is the
/// verdict.
fn health_cues<'a>(
    ctx: &Ctx<'a>,
    id: &str,
    started_at: Option<&str>,
) -> impl futures_util::Stream<Item = Result<bollard::models::EventMessage, bollard::errors::Error>> + 'a
{
    // Docker matches `health_status` as a prefix of the action (`health_status: healthy`).
    let filters: std::collections::HashMap<&str, Vec<&str>> = [
        ("container", vec![id]),
        ("type", vec!["container"]),
        ("event", vec!["health_status", "die"]),
    ]
    .into();
    let mut opts = bollard::query_parameters::EventsOptionsBuilder::new().filters(&filters);
    if let Some(since) = started_at.and_then(unix_seconds).filter(|s| *s > 0) {
        opts = opts.since(&since.to_string());
    }
    ctx.engine.docker.events(Some(opts.build()))
}

/// Whether the daemon logged an `oom` event for container `id` since `started_at` (RFC 3339, as
/// inspect reports it). Past events come at once; the stream is read until it goes quiet.
pub(super) async fn oom_event_since_start(
    ctx: &Ctx<'_>,
    id: &str,
    started_at: Option<&str>,
) -> bool {
    use futures_util::StreamExt;
    let Some(since) = started_at.and_then(unix_seconds) else {
        return false;
    };
    let filters: std::collections::HashMap<&str, Vec<&str>> =
        [("container", vec![id]), ("event", vec!["oom"])].into();
    let opts = bollard::query_parameters::EventsOptionsBuilder::new()
        .since(&since.to_string())
        .filters(&filters)
        .build();
    let mut events = ctx.engine.docker.events(Some(opts));
    // Past events are replayed first; a busy daemon (several checks at once) can take a while
    // to send them. Only a 137 under a memory limit gets here, so the wait is rarely for nothing.
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(3), events.next()).await,
        Ok(Some(Ok(_)))
    )
}

/// Unix seconds of an RFC 3339 time as Docker writes it (`2026-11-27T00:10:01.123456789Z`); the
/// events API takes Unix seconds only.
fn unix_seconds(t: &str) -> Option<i64> {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|d| d.unix_timestamp())
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn docker_times_read_as_unix_seconds() {
        assert_eq!(super::unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            super::unix_seconds("2026-11-27T00:10:01.123456789Z"),
            Some(1_795_738_201)
        );
        assert_eq!(
            super::unix_seconds("2000-02-29T12:00:00Z"),
            Some(951_825_600)
        );
        assert_eq!(super::unix_seconds("garbage"), None);
    }
}

#[cfg(test)]
mod kept_tests {
    use super::{kept_healthy, passed_without_its_command, probe_command, shown_probe, Kept};

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_probe_runs_alone_as_docker_runs_it() {
        let exec = words(&[
            "CMD",
            "wget",
            "-q",
            "-O",
            "/dev/null",
            "http://127.0.0.1:8080/",
        ]);
        assert_eq!(
            probe_command(&exec).unwrap(),
            words(&["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"])
        );
        assert_eq!(
            shown_probe(&exec),
            "wget -q -O /dev/null http://127.0.0.1:8080/"
        );
        let shell = words(&[
            "CMD-SHELL",
            "wget -q -O /dev/null http://127.0.0.1:18140/ || exit 0",
        ]);
        assert_eq!(
            probe_command(&shell).unwrap(),
            words(&[
                "/bin/sh",
                "-c",
                "wget -q -O /dev/null http://127.0.0.1:18140/ || exit 0"
            ])
        );
        assert_eq!(
            shown_probe(&shell),
            "wget -q -O /dev/null http://127.0.0.1:18140/ || exit 0"
        );
        assert_eq!(probe_command(&words(&["NONE"])), None);
        assert_eq!(probe_command(&words(&["CMD"])), None);
        assert_eq!(probe_command(&[]), None);
    }

    #[test]
    fn a_passing_probe_whose_command_is_missing_is_told() {
        for said in [
            "/bin/sh: curl: not found\n",
            "sh: curl: not found",
            "bash: curl: command not found",
        ] {
            assert!(passed_without_its_command(said), "{said}");
        }
        for fine in [
            "",
            "Connecting to localhost:8080 (127.0.0.1:8080)\n",
            "wget: server returned error: HTTP/1.1 404 Not Found",
        ] {
            assert!(!passed_without_its_command(fine), "{fine}");
        }
    }
    use bollard::models::HealthcheckResult;

    fn probe(exit: i64, output: &str) -> HealthcheckResult {
        HealthcheckResult {
            exit_code: Some(exit),
            output: Some(output.into()),
            ..Default::default()
        }
    }

    /// busybox `wget -q URL` saves index.html: the first probe succeeds, the next ones fail.
    #[test]
    fn healthy_counts_once_the_next_probe_succeeds_too() {
        assert_eq!(kept_healthy(&[probe(0, "")]), Kept::Once);
        assert_eq!(kept_healthy(&[probe(1, "404"), probe(0, "")]), Kept::Once);
        assert_eq!(kept_healthy(&[probe(0, ""), probe(0, "")]), Kept::Yes);
        let exists = probe(1, "wget: can't open 'index.html': File exists");
        assert_eq!(
            kept_healthy(&[probe(0, ""), exists.clone()]),
            Kept::No(exists)
        );
    }
}
