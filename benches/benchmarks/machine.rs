//! What the run was on and when: the machine, the Docker engine, the load average, the date.

use std::process::Command;

use crate::prep;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The run table's rows about the machine and its Docker.
pub fn machine() -> Vec<(String, String)> {
    let cpu = read("/proc/cpuinfo");
    let model = cpu
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = cpu.lines().filter(|l| l.starts_with("processor")).count();
    let mem = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|r| r.trim().to_string()))
        .unwrap_or_default();
    let mem_gb = mem
        .split_whitespace()
        .next()
        .and_then(|k| k.parse::<f64>().ok())
        .map(|k| format!("{:.1} GiB", k / 1024.0 / 1024.0))
        .unwrap_or(mem);
    let info = prep::docker(&[
        "info",
        "--format",
        "{{.ServerVersion}}|{{.Driver}}|{{.CgroupVersion}}|{{.CgroupDriver}}|{{.KernelVersion}}|{{.OperatingSystem}}",
    ])
    .1;
    let f: Vec<&str> = info.split('|').collect();
    let get = |i: usize| f.get(i).copied().unwrap_or("?").to_string();
    let client = prep::docker(&["version", "--format", "{{.Client.Version}}"]).1;
    let api = prep::docker(&["version", "--format", "{{.Server.APIVersion}}"]).1;
    let compose = Command::new("docker-compose")
        .arg("version")
        .arg("--short")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    vec![
        ("CPU".into(), format!("{model} ({cores} cores)")),
        ("RAM".into(), mem_gb),
        ("Kernel / OS".into(), format!("{} / {}", get(4), get(5))),
        (
            "Docker".into(),
            format!(
                "Engine {} (API {api}), CLI {client}, docker-compose {compose}",
                get(0)
            ),
        ),
        ("Storage driver".into(), get(1)),
        ("cgroup".into(), format!("v{} ({} driver)", get(2), get(3))),
    ]
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The date and time, to the minute, in UTC.
pub fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
