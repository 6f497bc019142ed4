//! A Compose project as Compose left it: its containers, found by the labels Compose v1 and v2
//! both set (`com.docker.compose.project`, `.service`, `.oneoff`), how it was started (the
//! program's version, its working folder and files: `com.docker.compose.version`,
//! `.project.working_dir`, `.project.config_files`), removing its containers (never its volumes
//! or networks), and running that Compose program again on the same files (`up -d`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};

use crate::docker::{call, deadline, is_not_found, through_transient_states, Engine};
use crate::error::EnvError;

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
const ONEOFF: &str = "com.docker.compose.oneoff";
const VERSION: &str = "com.docker.compose.version";
const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
const CONFIG_FILES: &str = "com.docker.compose.project.config_files";

/// One container of a project's services (not a one-off `run`).
#[derive(Debug, Clone, Default)]
pub struct Member {
    pub id: String,
    pub service: String,
    pub running: bool,
    pub labels: HashMap<String, String>,
}

/// The containers of the project's services, running or not, by its label (re-checked on the
/// client). One-off containers (`compose run`) are left out.
pub async fn members(engine: &Engine, project: &str) -> Result<Vec<Member>, EnvError> {
    let filters = HashMap::from([("label".to_string(), vec![format!("{PROJECT}={project}")])]);
    let opts = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let list = call(
        "list containers",
        deadline::QUICK,
        through_transient_states(|| engine.docker.list_containers(Some(opts.clone()))),
    )
    .await?;
    Ok(list
        .into_iter()
        .filter_map(|c| {
            let labels = c.labels.unwrap_or_default();
            let ours = labels.get(PROJECT).map(String::as_str) == Some(project);
            let oneoff = labels
                .get(ONEOFF)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            (ours && !oneoff).then(|| Member {
                id: c.id.unwrap_or_default(),
                service: labels.get(SERVICE).cloned().unwrap_or_default(),
                running: c.state.map(|s| s.to_string()).as_deref() == Some("running"),
                labels,
            })
        })
        .collect())
}

/// Remove one of the project's containers, as `down` does: stopped at once, its volumes kept
/// (named ones always; anonymous ones stay too, unattached, as `down` without `-v` leaves them).
/// The label is read again first: only a container of `project` is removed.
pub async fn remove(engine: &Engine, project: &str, member: &Member) -> Result<(), EnvError> {
    let info = crate::docker::inspect::container(engine, &member.id).await?;
    let still_ours = info
        .and_then(|i| i.config)
        .and_then(|c| c.labels)
        .and_then(|l| l.get(PROJECT).cloned())
        .is_some_and(|p| p == project);
    if !still_ours {
        return Ok(());
    }
    let opts = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(false)
        .build();
    match tokio::time::timeout(
        deadline::QUICK + deadline::STOP_GRACE,
        engine.docker.remove_container(&member.id, Some(opts)),
    )
    .await
    {
        Err(_) => Err(EnvError::Deadline {
            what: "remove container".into(),
            deadline: deadline::QUICK + deadline::STOP_GRACE,
        }),
        Ok(Err(e)) if is_not_found(&e) => Ok(()),
        Ok(r) => r.map_err(|e| crate::docker::classify("remove container", &e)),
    }
}

/// How a project was started, read from one of its containers' labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Compose v1 (`docker-compose`, version label `1.…`) made it.
    pub v1: bool,
    /// The folder Compose ran in (`working_dir`); `None` when the label is missing.
    pub working_dir: Option<PathBuf>,
    /// The compose files, as the label lists them (v2: absolute; v1: as given on the command
    /// line, relative to where it ran).
    pub files: Vec<String>,
}

impl Origin {
    pub fn of(labels: &HashMap<String, String>) -> Self {
        Self {
            v1: labels.get(VERSION).is_some_and(|v| v.starts_with("1.")),
            working_dir: labels
                .get(WORKING_DIR)
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            files: labels
                .get(CONFIG_FILES)
                .map(|f| {
                    f.split(',')
                        .map(str::trim)
                        .filter(|f| !f.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The folder to run Compose in and the files to give it with `-f`, as they are on this
    /// machine: the project's own, else `fallback` (the exercise folder) with Compose's default
    /// file. A file the labels name that is nowhere to be found is an error naming it.
    pub fn resolve(&self, fallback: &Path) -> Result<(PathBuf, Vec<PathBuf>), String> {
        let dir = self
            .working_dir
            .clone()
            .filter(|d| d.is_dir())
            .unwrap_or_else(|| fallback.to_path_buf());
        let mut files = Vec::new();
        for f in &self.files {
            let p = Path::new(f);
            let found = if p.is_absolute() {
                Some(p.to_path_buf()).filter(|p| p.is_file())
            } else {
                // v1 records the path as typed, relative to where it ran, which is the working
                // folder unless `-f` named a file in another one.
                [
                    dir.join(p),
                    p.file_name().map(|n| dir.join(n)).unwrap_or_default(),
                ]
                .into_iter()
                .find(|c| c.is_file())
            };
            match found {
                Some(path) => files.push(path),
                None => {
                    return Err(format!(
                        "the project was started from {f} (in {}), which is not there any more",
                        dir.display()
                    ))
                }
            }
        }
        Ok((dir, files))
    }
}

/// A Compose program: `docker compose` (v2) or `docker-compose` (v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cli(pub Vec<&'static str>);

impl Cli {
    pub fn v2() -> Self {
        Self(vec!["docker", "compose"])
    }
    pub fn v1() -> Self {
        Self(vec!["docker-compose"])
    }
    /// The programs to try, the one that made the project first.
    pub fn candidates(v1_made_it: bool) -> [Self; 2] {
        if v1_made_it {
            [Self::v1(), Self::v2()]
        } else {
            [Self::v2(), Self::v1()]
        }
    }
    pub fn name(&self) -> String {
        self.0.join(" ")
    }
}

/// The environment the Compose program gets so that it talks to the daemon dockdojo talks to:
/// for an endpoint without TLS, `DOCKER_HOST` names it (the CLI would not find a socket dockdojo
/// found among the platform's defaults); one with TLS came from the environment or a context,
/// which the program reads the same way.
fn cli_env(engine: &Engine, cmd: &mut tokio::process::Command) {
    if engine.endpoint.tls.is_none() {
        cmd.env("DOCKER_HOST", &engine.endpoint.host)
            .env_remove("DOCKER_CONTEXT");
    }
}

/// The first Compose program of `candidates` that answers `version`; `None` when none does.
/// A program found once is remembered for the rest of the process (`docker-compose version`
/// alone costs half a second of CPU, once per `recreate` check before); a missing one is looked
/// for again each time, so one installed while the app runs is found.
pub async fn find_cli(engine: &Engine, candidates: [Cli; 2]) -> Option<Cli> {
    static FOUND: std::sync::Mutex<Vec<Cli>> = std::sync::Mutex::new(Vec::new());
    let known = |cli: &Cli| FOUND.lock().is_ok_and(|f| f.contains(cli));
    for cli in candidates {
        if known(&cli) {
            return Some(cli);
        }
        let mut cmd = tokio::process::Command::new(cli.0[0]);
        cmd.args(&cli.0[1..])
            .arg("version")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        cli_env(engine, &mut cmd);
        let ok = matches!(
            tokio::time::timeout(Duration::from_secs(30), cmd.status()).await,
            Ok(Ok(s)) if s.success()
        );
        if ok {
            if let Ok(mut f) = FOUND.lock() {
                f.push(cli.clone());
            }
            return Some(cli);
        }
    }
    None
}

/// What running the program did.
#[derive(Debug, Clone)]
pub struct Ran {
    pub ok: bool,
    /// The command as a learner would type it in `dir` (files relative to it where they are in it).
    pub shown: String,
    /// Its output (stdout and stderr), the last lines.
    pub output: String,
}

/// The arguments after the program: `-p PROJECT [-f FILE]… ACTION…`.
pub fn args(project: &str, dir: &Path, files: &[PathBuf], action: &[String]) -> Vec<String> {
    let mut a = vec!["-p".to_string(), project.to_string()];
    for f in files {
        a.push("-f".into());
        a.push(
            f.strip_prefix(dir)
                .unwrap_or(f)
                .to_string_lossy()
                .into_owned(),
        );
    }
    a.extend(action.iter().cloned());
    a
}

/// Run `cli -p PROJECT [-f FILE]… ACTION…` in `dir`, within `limit` (it may build).
pub async fn run(
    engine: &Engine,
    cli: &Cli,
    project: &str,
    dir: &Path,
    files: &[PathBuf],
    action: &[String],
    limit: Duration,
) -> Result<Ran, EnvError> {
    let a = args(project, dir, files, action);
    let shown = format!("{} {}", cli.name(), a.join(" "));
    let mut cmd = tokio::process::Command::new(cli.0[0]);
    cmd.args(&cli.0[1..])
        .args(&a)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    cli_env(engine, &mut cmd);
    let out = match tokio::time::timeout(limit, cmd.output()).await {
        Err(_) => {
            return Ok(Ran {
                ok: false,
                shown,
                output: format!("it did not finish within {} s", limit.as_secs()),
            })
        }
        Ok(Err(e)) => return Err(EnvError::Other(format!("could not run `{shown}`: {e}"))),
        Ok(Ok(o)) => o,
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(Ran {
        ok: out.status.success(),
        shown,
        output: crate::docker::logs::tail(&text, 6),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn origin_tells_v1_from_v2_and_reads_the_files() {
        let v1 = Origin::of(&labels(&[
            (VERSION, "1.29.2"),
            (WORKING_DIR, "/w/notes"),
            (CONFIG_FILES, "compose.yaml"),
        ]));
        assert!(v1.v1);
        assert_eq!(v1.working_dir, Some(PathBuf::from("/w/notes")));
        assert_eq!(v1.files, vec!["compose.yaml"]);
        let v2 = Origin::of(&labels(&[
            (VERSION, "2.26.1"),
            (CONFIG_FILES, "/w/notes/compose.yaml,/w/notes/override.yaml"),
        ]));
        assert!(!v2.v1);
        assert_eq!(v2.working_dir, None);
        assert_eq!(v2.files.len(), 2);
        let bare = Origin::of(&HashMap::new());
        assert!(!bare.v1 && bare.files.is_empty());
        assert_eq!(Cli::candidates(true)[0], Cli::v1());
        assert_eq!(Cli::candidates(false)[0], Cli::v2());
    }

    #[test]
    fn files_resolve_where_compose_found_them() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("notes");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("compose.yaml"), "services: {}\n").unwrap();
        std::fs::write(dir.join("sub/extra.yaml"), "services: {}\n").unwrap();
        let at = |files: &[&str]| Origin {
            v1: true,
            working_dir: Some(dir.clone()),
            files: files.iter().map(|s| s.to_string()).collect(),
        };
        let (d, f) = at(&["compose.yaml", "sub/extra.yaml"])
            .resolve(t.path())
            .unwrap();
        assert_eq!(d, dir);
        assert_eq!(
            f,
            vec![dir.join("compose.yaml"), dir.join("sub/extra.yaml")]
        );
        // v1 ran elsewhere with `-f notes/compose.yaml`: the file is in the working folder.
        let (_, f) = at(&["notes/compose.yaml"]).resolve(t.path()).unwrap();
        assert_eq!(f, vec![dir.join("compose.yaml")]);
        let abs = dir.join("compose.yaml").display().to_string();
        let (_, f) = at(&[&abs]).resolve(t.path()).unwrap();
        assert_eq!(f, vec![dir.join("compose.yaml")]);
        let e = at(&["gone.yaml"]).resolve(t.path()).unwrap_err();
        assert!(
            e.contains("gone.yaml") && e.contains("not there any more"),
            "{e}"
        );
        // No labels: the fallback folder and Compose's own default file.
        let none = Origin {
            v1: false,
            working_dir: None,
            files: vec![],
        };
        assert_eq!(none.resolve(&dir).unwrap(), (dir.clone(), vec![]));
        assert_eq!(
            args(
                "p",
                &dir,
                &[dir.join("compose.yaml")],
                &["up".into(), "-d".into()]
            ),
            ["-p", "p", "-f", "compose.yaml", "up", "-d"]
        );
    }
}
