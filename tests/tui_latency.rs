//! Measures, does not assert: how long from a daemon event, and from a file save, until the
//! app has drawn the new verdict for a solved exercise; and the app's CPU use while idle. Run it
//! by hand (it takes about a minute and uses the live exercise's fixed names):
//!
//! ```sh
//! cargo test --release --test tui_latency -- --ignored --nocapture
//! ```
//!
//! Times come from the app's trace (`DOCKDOJO_TRACE`): the daemon's own event timestamp, or the
//! moment the test's write returned, to the line written right after the verdict was drawn.

mod common;
mod tui_support;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{apply_solution, docker_ok, workspace};
use tui_support::{app_command, LiveNames, Tmux, CONTAINER, VOLUME};

const RUNS: usize = 7;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Trace lines `<ms> <text>` after `since`.
fn trace(path: &Path, since: i64) -> Vec<(i64, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (t, rest) = l.split_once(' ')?;
            Some((t.parse().ok()?, rest.to_string()))
        })
        .filter(|(t, _)| *t >= since)
        .collect()
}

/// Wait for a trace line after `since` containing `what`; its time.
fn wait_trace(path: &Path, since: i64, what: &str) -> i64 {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some((t, _)) = trace(path, since)
            .into_iter()
            .find(|(_, l)| l.contains(what))
        {
            return t;
        }
        assert!(Instant::now() < until, "no `{what}` in the trace");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait until the app has been quiet (no check started) for a moment.
fn settle(path: &Path) {
    loop {
        std::thread::sleep(Duration::from_millis(1500));
        let recent = trace(path, now_ms() - 1500);
        if recent.iter().all(|(_, l)| !l.starts_with("check ")) {
            return;
        }
    }
}

fn median(mut v: Vec<i64>) -> i64 {
    v.sort();
    v[v.len() / 2]
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name: utime and stime are the 14th and 15th overall.
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

#[test]
#[ignore = "a measurement, run by hand"]
fn latencies_and_idle_cpu() {
    let (_t, root) = workspace();
    let _names = LiveNames::claim();

    // Daemon event → verdict: the solved live exercise flips to failing when the container is
    // run again, and back to passing when it is removed.
    let tr = root.join("trace-live.log");
    let live = Tmux::start(
        "lat-live",
        &root.join("05-named-volume"),
        &app_command(&[("DOCKDOJO_TRACE", tr.to_str().unwrap())]),
        100,
        30,
    );
    // The app checks nothing until asked: ask once, so the loop starts from a verdict.
    live.wait_for("Not checked yet", Duration::from_secs(60))
        .unwrap_or_else(|s| panic!("the app did not open:\n{s}"));
    live.keys(&["c"]);
    wait_trace(&tr, 0, "drawn 05-named-volume");
    let mut event_ms = Vec::new();
    let mut check_ms = Vec::new();
    for _ in 0..RUNS {
        let volume = format!("{VOLUME}:/notes");
        docker_ok(&[
            "run",
            "--name",
            CONTAINER,
            "-v",
            &volume,
            "busybox:1.36.1",
            "sh",
            "-c",
            "echo 'water the plants' > /notes/todo.txt",
        ]);
        settle(&tr);
        let since = now_ms();
        docker_ok(&["rm", CONTAINER]);
        let drawn = wait_trace(&tr, since, "drawn 05-named-volume passed");
        let lines = trace(&tr, since);
        let emitted = lines
            .iter()
            .find_map(|(_, l)| {
                l.split_once("(emitted at ")?
                    .1
                    .trim_end_matches(')')
                    .parse::<i64>()
                    .ok()
            })
            .expect("the daemon event's time");
        event_ms.push(drawn - emitted);
        if let Some(ms) = lines.iter().find_map(|(_, l)| {
            l.strip_prefix("verdict 05-named-volume passed in ")?
                .strip_suffix(" ms")?
                .parse()
                .ok()
        }) {
            check_ms.push(ms);
        }
        settle(&tr);
    }
    let live_pid = live.pid();
    live.keys(&["q"]);
    live.wait_exit(Duration::from_secs(30));
    drop(live);

    // File save → verdict: the solved build exercise, its Dockerfile saved again with an edit.
    let id = "03-first-dockerfile";
    apply_solution(&root, id);
    let tr = root.join("trace-build.log");
    let build = Tmux::start(
        "lat-build",
        &root.join(id),
        &app_command(&[("DOCKDOJO_TRACE", tr.to_str().unwrap())]),
        100,
        30,
    );
    build
        .wait_for("Not checked yet", Duration::from_secs(60))
        .unwrap_or_else(|s| panic!("the app did not open:\n{s}"));
    build.keys(&["c"]);
    wait_trace(&tr, 0, "drawn 03-first-dockerfile passed");
    settle(&tr);
    let dockerfile = root.join(id).join("Dockerfile");
    let original = std::fs::read_to_string(&dockerfile).unwrap();
    let mut save_ms = Vec::new();
    let mut build_check_ms = Vec::new();
    for i in 0..RUNS {
        std::fs::write(&dockerfile, format!("{original}\n# edit {i}\n")).unwrap();
        let since = now_ms();
        let drawn = wait_trace(&tr, since - 5, &format!("drawn {id} passed"));
        save_ms.push(drawn - since);
        if let Some(ms) = trace(&tr, since - 5).iter().find_map(|(_, l)| {
            l.strip_prefix(&format!("verdict {id} passed in "))?
                .strip_suffix(" ms")?
                .parse()
                .ok()
        }) {
            build_check_ms.push(ms);
        }
        settle(&tr);
    }

    // Idle CPU: nothing happening for 30 s.
    let pid = build.pid();
    std::thread::sleep(Duration::from_secs(3));
    let hz = 100.0; // USER_HZ on Linux
    let (t0, c0) = (Instant::now(), cpu_ticks(pid));
    std::thread::sleep(Duration::from_secs(30));
    let (secs, ticks) = (t0.elapsed().as_secs_f64(), cpu_ticks(pid) - c0);
    build.keys(&["q"]);
    build.wait_exit(Duration::from_secs(30));

    println!("daemon event → verdict drawn (05-named-volume, {RUNS} runs): median {} ms, all {event_ms:?}", median(event_ms.clone()));
    println!(
        "  of which the checks ran: median {} ms, all {check_ms:?}",
        median(check_ms.clone())
    );
    println!("file save → verdict drawn (03-first-dockerfile, {RUNS} runs): median {} ms, all {save_ms:?}", median(save_ms.clone()));
    println!(
        "  of which the checks ran: median {} ms, all {build_check_ms:?}",
        median(build_check_ms.clone())
    );
    println!("idle CPU over {secs:.0} s: {ticks} ticks = {:.2} % of one core (pid {pid}; the live run was pid {live_pid})", ticks as f64 / hz / secs * 100.0);
}
