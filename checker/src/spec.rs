//! The exercise spec: the serde types for `exercise.toml` and `mutants/<name>/expect.toml`.
//! Every field is documented here; this file is the authority on the format (`exercises/README.md`
//! explains it for authors). Unknown keys and bad values are errors naming the file, the key and
//! the line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The format version this build understands.
pub const SCHEMA_VERSION: u32 = 1;

/// One exercise, as written in `exercises/<id>/exercise.toml`.
#[derive(Debug, Clone, Serialize)]
pub struct Exercise {
    /// Must equal [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The folder name, e.g. `03-cache-order`: a two-digit order, a dash, a slug.
    pub id: String,
    /// A short title shown in lists.
    pub title: String,
    /// The book chapter number (0–13, as in `book/src/SUMMARY.md`).
    pub chapter: u32,
    /// Expected minutes for a learner (schedules are summed from it).
    pub minutes: u32,
    /// Position within its chapter (lower first; default 50, then by id).
    pub order: u32,
    pub difficulty: Difficulty,
    pub mode: Mode,
    /// The book page (and anchor) that teaches this exercise, e.g. `ch03-build-cache.md#cache-order`.
    pub book: String,
    /// The hint ladder: shown one at a time by `dockdojo hint`.
    pub hints: Vec<String>,
    /// For live and scenario exercises: the names and host ports the task asks for. Self-test
    /// refuses to run if any of these already exist, and removes exactly these afterwards.
    pub live: Live,
    /// The checks, run in order.
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

/// How the exercise is graded (see docs/DESIGN.md, "The exercise model").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The checker builds the learner's Dockerfile and inspects/runs the result.
    Build,
    /// The learner runs docker commands; the checker inspects live state by name.
    Live,
    /// The checker arranges a situation first (`setup.sh`), the learner fixes it.
    Scenario,
}

/// Resources a live exercise's task names.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Live {
    #[serde(default)]
    pub containers: Vec<String>,
    #[serde(default)]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub networks: Vec<String>,
    #[serde(default)]
    pub images: Vec<String>,
    /// Compose project names the task uses (everything labelled with one of them is the task's).
    #[serde(default)]
    pub projects: Vec<String>,
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Containers the task suggests for trying things by hand (`docker run --name dojo-stop-try
    /// …`): not graded, not reserved by self-test; `dockdojo clean ID` removes them too.
    #[serde(default)]
    pub try_containers: Vec<String>,
    /// Images the task suggests building by hand (`docker build -t cache-order .`), the same way.
    #[serde(default)]
    pub try_images: Vec<String>,
}

/// One check: fields every kind shares, plus the kind's own.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Unique within the exercise; mutants name it in `expect.toml`.
    pub id: String,
    /// What it verifies, as a learner reads it: "The app answers through the published port".
    pub title: String,
    /// Shown when the check fails.
    pub hint: String,
    /// The book section explaining it (defaults to the exercise's `book`).
    pub book: Option<String>,
    /// The line of its `[[checks]]` table in exercise.toml.
    #[serde(skip)]
    pub line: usize,
    #[serde(flatten)]
    pub kind: CheckKind,
}

fn default_image() -> String {
    "app".into()
}
fn default_context() -> String {
    ".".into()
}
fn default_dockerfile() -> String {
    "Dockerfile".into()
}
fn default_true() -> bool {
    true
}
fn default_path() -> String {
    "/".into()
}
fn default_status() -> u16 {
    200
}
fn default_within() -> f64 {
    10.0
}
fn default_stop_codes() -> Vec<i64> {
    vec![0, 143]
}

/// The kinds of check, tagged by `kind = "…"`. Names that refer to things the checker built or
/// started in this run (`image = "app"`, `container = "app"`) are *handles*; a container name that
/// is not a handle is looked up live (e.g. `dojo-web`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckKind {
    /// Build the learner's Dockerfile (after the untrusted-Dockerfile rules). The build log is kept.
    #[serde(rename = "build")]
    Build(BuildCheck),
    /// A static rule on the Dockerfile text (only for what is static by nature).
    Dockerfile(DockerfileCheck),
    /// Image metadata: size, layers, user, cmd/entrypoint and their form, env, ports, labels.
    Image(ImageCheck),
    /// A file present or absent in an image's filesystem (optionally its content).
    File(FileCheck),
    /// Start a container from a built image (labelled, limited, published on 127.0.0.1).
    Run(RunCheck),
    /// Run a command in a container (a handle, a live name, or a fresh one from an image).
    Exec(ExecCheck),
    /// A live container's state and config.
    Container(ContainerCheck),
    /// An HTTP request through a published host port gets a real answer.
    Http(HttpCheck),
    /// A named volume holds data that survives container removal.
    Volume(VolumeCheck),
    /// Network membership and DNS resolution by container name.
    Network(NetworkCheck),
    /// Rebuild after changing a file: which steps hit the cache.
    Rebuild(RebuildCheck),
    /// A real `docker stop`: how long the container took and its exit code.
    Stop(StopCheck),
    /// `docker diff`: files a container added or changed in its writable layer.
    Diff(DiffCheck),
    /// Make a running container's process fail and see its restart policy bring it back.
    Restart(RestartCheck),
    /// Scan every layer of an image (as `docker save` ships it) for paths or text.
    Layers(LayersCheck),
    /// The build context as Docker would send it (after `.dockerignore`).
    Context(ContextCheck),
    /// Change a file on the host and see the change served through a published port (bind mounts).
    Reload(ReloadCheck),
    /// A Compose project's state, by the `com.docker.compose.*` labels.
    Compose(ComposeCheck),
}

impl CheckKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Build(_) => "build",
            Self::Dockerfile(_) => "dockerfile",
            Self::Image(_) => "image",
            Self::File(_) => "file",
            Self::Run(_) => "run",
            Self::Exec(_) => "exec",
            Self::Container(_) => "container",
            Self::Http(_) => "http",
            Self::Volume(_) => "volume",
            Self::Network(_) => "network",
            Self::Rebuild(_) => "rebuild",
            Self::Stop(_) => "stop",
            Self::Diff(_) => "diff",
            Self::Restart(_) => "restart",
            Self::Layers(_) => "layers",
            Self::Context(_) => "context",
            Self::Reload(_) => "reload",
            Self::Compose(_) => "compose",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BuildCheck {
    /// The handle later checks use for the built image.
    #[serde(default = "default_image")]
    pub image: String,
    /// Build context, relative to the exercise folder.
    #[serde(default = "default_context")]
    pub context: String,
    /// Dockerfile path, relative to the context.
    #[serde(default = "default_dockerfile")]
    pub dockerfile: String,
    /// A stage to stop at (`--target`).
    pub target: Option<String>,
    /// Seconds before the build is cancelled (default 300).
    pub deadline_s: Option<u64>,
    /// Ask the daemon to pull a newer base image first (`docker build --pull`); for exercises on
    /// pinning against the course's local registry.
    #[serde(default)]
    pub pull: bool,
    /// `--build-arg` values (the `dockerfile` rules on the same file read them too).
    #[serde(default)]
    pub build_args: BTreeMap<String, String>,
    /// Build secrets by id, each read from a file in the exercise folder, as
    /// `docker build --secret id=ID,src=FILE` gives them to `RUN --mount=type=secret,id=ID`.
    /// Served only to BuildKit builds.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

impl BuildCheck {
    /// The build context's folder and the Dockerfile's path, under the exercise folder `dir`.
    pub fn paths(&self, dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
        let root = if self.context == "." || self.context.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&self.context)
        };
        let df = root.join(&self.dockerfile);
        (root, df)
    }
}

/// Static Dockerfile rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DockerfileRule {
    /// Every `FROM` names an exact release: a digest, a tag with a full version (three numbers,
    /// any suffix) or a date stamp (stages and `scratch` excepted).
    FromPinned,
    /// At least two stages, and the last one copies from an earlier stage of this Dockerfile or
    /// is built on one.
    MultiStage,
    /// The final image's `USER` (the last stage's, else the stage it is built on) is not root.
    NonRootUser,
    /// The final image's `CMD`/`ENTRYPOINT` use the exec (JSON) form.
    ExecForm,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DockerfileCheck {
    #[serde(default = "default_dockerfile")]
    pub dockerfile: String,
    pub rule: DockerfileRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandForm {
    Exec,
    Shell,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImageCheck {
    #[serde(default = "default_image")]
    pub image: String,
    /// Largest acceptable image size, in MB (10^6 bytes).
    pub max_size_mb: Option<f64>,
    /// Smallest acceptable size in MB (to catch an image that is empty by accident).
    pub min_size_mb: Option<f64>,
    /// Most filesystem layers allowed.
    pub max_layers: Option<usize>,
    /// Exactly this `USER`.
    pub user: Option<String>,
    /// The configured user must not be root (empty, `root`, `0`, `0:0`).
    pub non_root: Option<bool>,
    /// Form of the CMD (or ENTRYPOINT when set): `exec` or `shell`.
    pub cmd_form: Option<CommandForm>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// Env vars that must be set to these values.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Ports that must be exposed, like `8080/tcp`.
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The image must define a HEALTHCHECK (true) or not (false).
    pub healthcheck: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileCheck {
    #[serde(default = "default_image")]
    pub image: String,
    /// Absolute path in the image.
    pub path: String,
    /// Whether it must exist (default) or must not.
    #[serde(default = "default_true")]
    pub exists: bool,
    /// Text the file must contain.
    pub contains: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RunExpect {
    /// Still running after `settle_s` seconds.
    #[default]
    Running,
    /// Exits by itself within `within_s` (with `exit_code` if given).
    Exits,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunCheck {
    #[serde(default = "default_image")]
    pub image: String,
    /// The handle later checks use for this container.
    #[serde(default = "default_image")]
    pub name: String,
    /// Container ports to publish on 127.0.0.1 (random host ports).
    #[serde(default)]
    pub ports: Vec<u16>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Override the image's CMD.
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub expect: RunExpect,
    pub exit_code: Option<i64>,
    /// Seconds to wait for the container to exit (`expect = "exits"`).
    #[serde(default = "default_within")]
    pub within_s: f64,
    /// Seconds the container must stay up (`expect = "running"`, default 1).
    pub settle_s: Option<f64>,
    /// Memory limit in MB (default 256).
    pub memory_mb: Option<u64>,
    /// Text the container's output (stdout and stderr) must contain, read after it exits (or
    /// after `settle_s` when it keeps running).
    #[serde(default)]
    pub output_contains: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExecCheck {
    /// A run handle or a live container name. Exactly one of `container` / `image`.
    pub container: Option<String>,
    /// A built image handle or an image reference: the command runs in a fresh container.
    pub image: Option<String>,
    pub command: Vec<String>,
    #[serde(default)]
    pub exit_code: i64,
    #[serde(default)]
    pub stdout_contains: Vec<String>,
    #[serde(default)]
    pub stdout_excludes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerCheck {
    /// The container's name (or a run handle). Exactly one of `container` / `project`+`service`.
    pub container: Option<String>,
    /// A Compose project name: with `service`, finds the container by its
    /// `com.docker.compose.project` / `com.docker.compose.service` labels (Compose v1 and v2 alike).
    pub project: Option<String>,
    pub service: Option<String>,
    /// `false`: the container must be gone (e.g. removed to prove data outlives it).
    pub exists: Option<bool>,
    pub running: Option<bool>,
    /// The image it was created from (as given to `docker run`).
    pub image: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Published ports: container port (`8080/tcp` or `8080`) → host port.
    #[serde(default)]
    pub ports: BTreeMap<String, u16>,
    /// `no`, `always`, `unless-stopped`, `on-failure`.
    pub restart_policy: Option<String>,
    pub memory_mb: Option<u64>,
    /// A memory limit of at least / at most this many MB (a right-sized range instead of one value).
    pub memory_min_mb: Option<u64>,
    pub memory_max_mb: Option<u64>,
    pub cpus: Option<f64>,
    pub exit_code: Option<i64>,
    pub oom_killed: Option<bool>,
    /// Named volumes mounted: volume name → mount path.
    #[serde(default)]
    pub volumes: BTreeMap<String, String>,
    /// Bind mounts: host folder (relative to the exercise folder) → mount path.
    #[serde(default)]
    pub binds: BTreeMap<String, String>,
    /// Text its log (stdout and stderr) must contain.
    #[serde(default)]
    pub output_contains: Vec<String>,
    /// Lines its log must contain whole (nothing else on the line; trailing white space and a
    /// carriage return aside).
    #[serde(default)]
    pub output_lines: Vec<String>,
    /// The health status to reach (`healthy`, `unhealthy`), waiting up to `within_s`.
    pub health: Option<String>,
    /// Seconds to wait for `health` (default 30).
    pub within_s: Option<f64>,
    /// The user the container runs as must not be root (checked with `id -u` inside).
    pub non_root: Option<bool>,
    /// The container runs the very image a registry serves under this reference (compared by
    /// digest, so a look-alike built or tagged locally does not count, and a run by digest does).
    pub registry_image: Option<String>,
    /// `true`: the container runs its image's own command (the Dockerfile's ENTRYPOINT and CMD),
    /// not one given on `docker run` (for tasks that ask to fix the image, not the run).
    pub image_command: Option<bool>,
}

impl ContainerCheck {
    /// How the task names the container, for messages.
    pub fn display_name(&self) -> String {
        match (&self.container, &self.project, &self.service) {
            (Some(c), _, _) => c.clone(),
            (None, Some(p), Some(s)) => format!("service {s} of project {p}"),
            _ => "the container".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    /// A fixed host port (live exercises). Exactly one of `host_port` / `container`.
    pub host_port: Option<u16>,
    /// A run handle or live name whose published `port` is probed.
    pub container: Option<String>,
    /// The container port (with `container`).
    pub port: Option<u16>,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default = "default_status")]
    pub status: u16,
    pub body_contains: Option<String>,
    /// Keep retrying until this many seconds have passed.
    #[serde(default = "default_within")]
    pub within_s: f64,
    /// After a right answer, the body must change within this many seconds (a page that
    /// something keeps rewriting, not a fixed copy of it).
    pub changes_within_s: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeCheck {
    /// The named volume.
    pub volume: String,
    /// A file path inside the volume (relative to its root).
    pub file: String,
    pub contains: Option<String>,
    /// Text the file must not contain (e.g. stale data from an earlier run).
    pub excludes: Option<String>,
    /// `false`: the volume must not exist at all.
    pub exists: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkCheck {
    pub network: String,
    /// Containers that must be attached.
    #[serde(default)]
    pub members: Vec<String>,
    /// `[from, to]` pairs: `from` must resolve `to` by name and reach it.
    #[serde(default)]
    pub resolves: Vec<[String; 2]>,
    /// Probe `http://<to>:<port>/` from `from` (with `resolves`).
    pub http_port: Option<u16>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RebuildCheck {
    /// The handle of the build to repeat.
    #[serde(default = "default_image")]
    pub image: String,
    /// The file (relative to the exercise folder) to change before rebuilding, as a code change would.
    pub touch: String,
    /// Steps (substrings of the instruction) that must come from the cache.
    #[serde(default)]
    pub cached: Vec<String>,
    /// Steps that must be rebuilt.
    #[serde(default)]
    pub rebuilt: Vec<String>,
    /// A line added at the end of the touched file (a new dependency in a list), before the
    /// blank lines every edit appends.
    pub append: Option<String>,
    /// Text the rebuild's output (what its steps printed, as the build log shows it) must contain.
    #[serde(default)]
    pub output_contains: Vec<String>,
    /// Text the rebuild's output must not contain (a package downloaded again).
    #[serde(default)]
    pub output_excludes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StopCheck {
    pub container: String,
    /// The stop must finish within this many seconds.
    pub max_seconds: f64,
    /// Acceptable exit codes after the stop.
    #[serde(default = "default_stop_codes")]
    pub exit_codes: Vec<i64>,
    /// The timeout passed to `docker stop` (default 10, Docker's default).
    pub timeout_s: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DiffCheck {
    pub container: String,
    /// Paths that must appear as added or changed.
    #[serde(default)]
    pub changed: Vec<String>,
    /// Paths that must not appear.
    #[serde(default)]
    pub unchanged: Vec<String>,
}

fn default_restart_within() -> f64 {
    20.0
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RestartCheck {
    pub container: String,
    /// A command run inside the container that makes its main process fail (e.g.
    /// `["touch", "/tmp/crash"]` for an app that exits when it sees that file).
    pub trigger: Vec<String>,
    /// Seconds to wait for it to be running again.
    #[serde(default = "default_restart_within")]
    pub within_s: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LayersCheck {
    #[serde(default = "default_image")]
    pub image: String,
    /// Paths (absolute, as in the image) that must not be in any layer, even one a later layer deletes.
    #[serde(default)]
    pub absent_paths: Vec<String>,
    /// Text that must not appear in any file of any layer.
    #[serde(default)]
    pub absent_text: Vec<String>,
    /// File names (`*` matches any run of characters: `gcc-*`) that no file or link of any
    /// layer may have, wherever it is (`/usr/local/bin/gcc` as much as `/usr/bin/gcc`).
    #[serde(default)]
    pub absent_names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContextCheck {
    #[serde(default = "default_context")]
    pub context: String,
    #[serde(default = "default_dockerfile")]
    pub dockerfile: String,
    /// Paths (relative to the context) that must not be sent to the daemon.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Paths that must be sent.
    #[serde(default)]
    pub present: Vec<String>,
    /// Largest acceptable context, in MB.
    pub max_mb: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadCheck {
    pub host_port: u16,
    /// The file to change, relative to the exercise folder. Its content is restored afterwards.
    pub file: String,
    /// The URL path that serves it.
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default = "default_within")]
    pub within_s: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeCheck {
    /// The project name (`-p`, `name:`, or the folder name).
    pub project: String,
    /// Services with a running container.
    #[serde(default)]
    pub running: Vec<String>,
    /// Volumes (as named in the compose file) that must exist.
    #[serde(default)]
    pub volumes: Vec<String>,
    /// `false`: the project must have no containers at all (it was brought down).
    pub up: Option<bool>,
}

/// `mutants/<name>/expect.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MutantExpect {
    /// What is wrong with this attempt, in a sentence.
    pub description: String,
    /// The check that must be the first to fail.
    pub check: String,
    /// Text the failing check's message (expected/actual/hint) must contain.
    pub message_contains: Option<String>,
    /// On Podman, this text instead of `message_contains`: for messages that quote what the
    /// runtime measures or records differently (an image's size, the exit code of a failed start).
    pub message_contains_podman: Option<String>,
    /// On Docker with the containerd image store, this text instead of `message_contains`: for
    /// the same kind of message (an image's size is its unpacked snapshots' disk usage there).
    pub message_contains_containerd: Option<String>,
}

mod parse;
pub use parse::{parse_exercise, parse_mutant_expect, SpecError};
