//! The `image` check: an image's metadata (size, layers, user, command and its form, env,
//! ports, labels, healthcheck).

use crate::checks::{Kind, Needs};

use crate::checks::{Ctx, Verdict};
use crate::docker::{call, deadline};
use crate::dockerfile::is_root_user;
use crate::error::EnvError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandForm {
    Exec,
    Shell,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImageCheck {
    #[serde(default = "crate::checks::defaults::default_image")]
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

impl Kind for ImageCheck {
    fn reads_only(&self) -> bool {
        true
    }
    fn needs(&self) -> Needs<'_> {
        Needs {
            image: Some(&self.image),
            ..Needs::default()
        }
    }
}

fn mb(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// How an image's command runs: as its program (exec form), or through a shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runs {
    /// A list that names the program (`CMD ["/app/hello.sh"]`).
    Program,
    /// Shell form: the builder wrapped the line in the image's shell (`/bin/sh -c` or what a
    /// `SHELL` instruction set, which the image records).
    ShellForm,
    /// A list that starts a shell on a command string itself (`CMD ["sh", "-c", "…"]`): written
    /// as a list, but the shell is PID 1 all the same.
    ListedShell,
}

impl Runs {
    fn form(self) -> CommandForm {
        match self {
            Runs::Program => CommandForm::Exec,
            Runs::ShellForm | Runs::ListedShell => CommandForm::Shell,
        }
    }
}

/// How `v` runs, for an image whose `SHELL` is `shell` (`None`: the default `/bin/sh -c`).
/// A builder that does not record `SHELL` (an OCI-format image from Podman) still shows a shell
/// with a `-c` option before one command string: that counts as a shell too.
fn form_of(v: &[String], shell: Option<&[String]>) -> Runs {
    let default = ["/bin/sh".to_string(), "-c".to_string()];
    let prefix = shell.filter(|s| !s.is_empty()).unwrap_or(&default);
    if v.len() == prefix.len() + 1 && v.starts_with(prefix) {
        return Runs::ShellForm;
    }
    let is_shell = |p: &str| {
        matches!(
            p.rsplit('/').next().unwrap_or(p),
            "sh" | "ash" | "bash" | "dash" | "zsh" | "ksh"
        )
    };
    let is_c = |o: &str| o.starts_with('-') && !o.starts_with("--") && o.contains('c');
    if v.len() >= 3 && is_shell(&v[0]) && is_c(&v[v.len() - 2]) {
        return Runs::ListedShell;
    }
    Runs::Program
}

/// The image's size unpacked: the sum of its layers' sizes as `docker history` shows them, the
/// same measure on every engine. The graph-driver store (and Podman) report that total in
/// `inspect` too; Engine 26's containerd image store reports there the size of the image's
/// content (its compressed layers: a 30 MB layer of zeros counts for a few KB), and in the image
/// list (`docker images`) the content and the unpacked layers added together, which counts a
/// busybox base twice (a 2.8 MB image showed 5.6 MB and failed a 5 MB limit it met). The history
/// gives each layer's unpacked size in all three. `inspected` is kept when the history has no
/// sizes at all (an image whose layers are not unpacked).
async fn unpacked_size(ctx: &Ctx<'_>, id: &str, inspected: i64) -> Result<i64, EnvError> {
    let history = call(
        "read the image's history",
        deadline::QUICK,
        ctx.engine.docker.image_history(id),
    )
    .await?;
    Ok(layers_total(&history).unwrap_or(inspected))
}

/// The sum of the history's layer sizes; `None` when no layer has a size.
fn layers_total(history: &[bollard::models::ImageHistoryResponseItem]) -> Option<i64> {
    let total: i64 = history.iter().map(|h| h.size.max(0)).sum();
    (total > 0).then_some(total)
}

/// What the `image` check reads of an image: its size (unpacked, the sum of its layers),
/// its layer count and its config.
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    pub size: i64,
    pub layers: usize,
    pub config: bollard::models::ImageConfig,
}

impl ImageFacts {
    /// The facts `docker image inspect` gives by itself (its size is the unpacked one on the
    /// graph-driver store and Podman, the content's on the containerd store: see
    /// [`unpacked_size`]).
    pub fn from_inspect(info: &bollard::models::ImageInspect) -> Self {
        Self {
            size: info.size.unwrap_or(0),
            layers: info
                .root_fs
                .as_ref()
                .and_then(|r| r.layers.as_ref())
                .map(|l| l.len())
                .unwrap_or(0),
            config: info.config.clone().unwrap_or_default(),
        }
    }
}

/// The `image` check: gather the image's facts from the daemon, then [`judge`] them.
pub async fn check(ctx: &mut Ctx<'_>, spec: &ImageCheck) -> Result<Verdict, EnvError> {
    let image = ctx.image_ref(&spec.image);
    let info = call(
        "inspect image",
        deadline::QUICK,
        ctx.engine.docker.inspect_image(&image),
    )
    .await?;
    let mut facts = ImageFacts::from_inspect(&info);
    if spec.max_size_mb.is_some() || spec.min_size_mb.is_some() {
        facts.size = unpacked_size(ctx, info.id.as_deref().unwrap_or(&image), facts.size).await?;
    }
    if spec.healthcheck.is_some()
        && facts.config.healthcheck.is_none()
        && ctx.engine.runtime == crate::docker::Runtime::Podman
    {
        // Podman 4.3's image inspect leaves out the HEALTHCHECK (`Config.Healthcheck` is
        // null); a container created from the image carries it.
        facts.config.healthcheck = podman_healthcheck(ctx, &image).await?;
    }
    Ok(judge(&facts, spec))
}

/// Each field the spec gives is compared with the facts; the first mismatch is reported.
pub fn judge(facts: &ImageFacts, spec: &ImageCheck) -> Verdict {
    let cfg = &facts.config;
    let size = facts.size;
    let layers = facts.layers;
    let user = cfg.user.clone().unwrap_or_default();
    let layer_word = if layers == 1 { "layer" } else { "layers" };
    let mut seen = vec![
        format!("size {}", mb(size)),
        format!("{layers} {layer_word}"),
    ];
    if let Some(max) = spec.max_size_mb {
        if size as f64 > max * 1_000_000.0 {
            return Verdict::fail(
                format!(
                    "an image of at most {max} MB unpacked (the sum of its layers' sizes in \
                     `docker history`)"
                ),
                format!("{} ({layers} {layer_word})", mb(size)),
            );
        }
    }
    if let Some(min) = spec.min_size_mb {
        if (size as f64) < min * 1_000_000.0 {
            return Verdict::fail(
                format!(
                    "an image of at least {min} MB unpacked (the sum of its layers' sizes in \
                     `docker history`)"
                ),
                mb(size),
            );
        }
    }
    if let Some(max) = spec.max_layers {
        if layers > max {
            return Verdict::fail(
                format!("at most {max} layers"),
                format!("{layers} {layer_word}"),
            );
        }
    }
    if let Some(u) = &spec.user {
        if &user != u {
            return Verdict::fail(
                format!("USER {u}"),
                if user.is_empty() {
                    "no USER (root)".into()
                } else {
                    format!("USER {user}")
                },
            );
        }
    }
    if spec.non_root == Some(true) && is_root_user(&user) {
        return Verdict::fail(
            "the image runs as a non-root user",
            if user.is_empty() {
                "no USER set: processes run as root".into()
            } else {
                format!("USER {user} is root")
            },
        );
    }
    if !user.is_empty() {
        seen.push(format!("user {user}"));
    }
    let ep = cfg.entrypoint.clone().unwrap_or_default();
    let cmd = cfg.cmd.clone().unwrap_or_default();
    let shell = cfg.shell.as_deref();
    if let Some(v) = spec
        .cmd_form
        .and_then(|want| command_form(&ep, &cmd, shell, want))
    {
        return v;
    }
    if let Some(want) = &spec.cmd {
        if &cmd != want {
            return Verdict::fail(format!("CMD {want:?}"), format!("CMD {cmd:?}"));
        }
    }
    if let Some(want) = &spec.entrypoint {
        if &ep != want {
            return Verdict::fail(format!("ENTRYPOINT {want:?}"), format!("ENTRYPOINT {ep:?}"));
        }
    }
    let env = cfg.env.clone().unwrap_or_default();
    if let Some((k, v, actual)) = super::env_mismatch(&env, &spec.env) {
        return Verdict::fail(format!("ENV {k}={v}"), actual);
    }
    let exposed = cfg.exposed_ports.clone().unwrap_or_default();
    for p in &spec.exposed_ports {
        let want = if p.contains('/') {
            p.clone()
        } else {
            format!("{p}/tcp")
        };
        if !exposed.iter().any(|e| e == &want) {
            return Verdict::fail(
                format!("EXPOSE {want}"),
                format!(
                    "exposed: {}",
                    if exposed.is_empty() {
                        "none".into()
                    } else {
                        exposed.join(", ")
                    }
                ),
            );
        }
    }
    let labels = cfg.labels.clone().unwrap_or_default();
    for (k, v) in &spec.labels {
        if labels.get(k) != Some(v) {
            let got = labels.get(k).map(String::as_str);
            // Blank space or quotes around a value do not show: quote the value to show them.
            let hidden = |g: &str| g.trim() != g || g.contains(['"', '\'']);
            let fail = Verdict::fail(
                format!("LABEL {k}={v}"),
                format!(
                    "{k}={}",
                    match got {
                        None => "(unset)".to_string(),
                        // An ARG the stage never declared expands to nothing.
                        Some("") => "(empty)".to_string(),
                        Some(g) if hidden(g) => format!("{g:?} (quoted here to show all of it)"),
                        Some(g) => g.to_string(),
                    }
                ),
            );
            let stray = got.is_some_and(|g| g.trim().trim_matches(['"', '\'']).trim() == v);
            return if stray {
                fail.advise("The value is right but for blank space or quote marks around it, which the image keeps as part of it: quote a value as a whole (`LABEL key=\"value\"`), with nothing after the closing quote.")
            } else {
                fail
            };
        }
    }
    if let Some(want) = spec.healthcheck {
        let has = cfg
            .healthcheck
            .as_ref()
            .and_then(|h| h.test.as_ref())
            .is_some_and(|t| !t.is_empty() && t[0] != "NONE");
        if has != want {
            return Verdict::fail(
                if want {
                    "a HEALTHCHECK"
                } else {
                    "no HEALTHCHECK"
                },
                if has {
                    "a HEALTHCHECK is set"
                } else {
                    "no HEALTHCHECK"
                },
            );
        }
    }
    Verdict::pass("the image's metadata as the task asks", seen.join(", "))
}

/// The form of the command the image runs (its ENTRYPOINT when set, else its CMD), when it is
/// not the one the task asks for.
fn command_form(
    ep: &[String],
    cmd: &[String],
    shell: Option<&[String]>,
    want: CommandForm,
) -> Option<Verdict> {
    // What the container runs: the ENTRYPOINT with the CMD as its arguments. A shell-form
    // ENTRYPOINT ignores the CMD; `ENTRYPOINT ["/bin/sh", "-c"]` takes its command string from it.
    let both: Vec<String> = ep.iter().chain(cmd).cloned().collect();
    let (what, v, got) = if ep.is_empty() {
        ("CMD", cmd, form_of(cmd, shell))
    } else {
        match form_of(ep, shell) {
            // Both written as lists: a shell they start together is a listed one.
            Runs::Program if !cmd.is_empty() && form_of(&both, shell) != Runs::Program => (
                "ENTRYPOINT with its CMD",
                both.as_slice(),
                Runs::ListedShell,
            ),
            got => ("ENTRYPOINT", ep, got),
        }
    };
    let show = |f: CommandForm| match f {
        CommandForm::Exec => "exec form",
        CommandForm::Shell => "shell form",
    };
    let listed = serde_json::to_string(v).unwrap_or_default();
    (got.form() != want).then(|| {
        let actual = match got {
            Runs::ListedShell => format!(
                "{what} is a list, but it starts a shell on a command string, so PID 1 starts as \
                 that shell, not as your program: {listed}"
            ),
            _ => format!("{what} in {}: {listed}", show(got.form())),
        };
        Verdict::fail(format!("{what} in {}", show(want)), actual)
    })
}

/// The HEALTHCHECK an image gives its containers, read from a container created (never started)
/// from it and removed at once.
async fn podman_healthcheck(
    ctx: &Ctx<'_>,
    image: &str,
) -> Result<Option<bollard::models::HealthConfig>, EnvError> {
    let created =
        crate::docker::files::create_unstarted(ctx.engine, ctx.exercise, image, "health", None)
            .await?;
    let info = call(
        "inspect container",
        deadline::QUICK,
        crate::docker::inspect_container(&ctx.engine.docker, &created.id),
    )
    .await;
    let _ = ctx.engine.remove_container(&created.id).await;
    Ok(info?.config.and_then(|c| c.healthcheck))
}

#[cfg(test)]
mod tests {
    use super::layers_total;

    fn layer(size: i64) -> bollard::models::ImageHistoryResponseItem {
        bollard::models::ImageHistoryResponseItem {
            size,
            ..Default::default()
        }
    }

    #[test]
    fn the_unpacked_size_is_the_sum_of_the_history_layers() {
        // Engine 26's containerd store, an image FROM busybox with a 0.7 MB file: the history
        // lists the unpacked layers (2.77 MB); inspect said 2.84 MB (the content) and the
        // image list 5.61 MB (content and layers together).
        let history = [layer(8_192), layer(704_512), layer(2_060_288), layer(0)];
        assert_eq!(layers_total(&history), Some(2_772_992));
        // No sizes at all: inspect's size is kept.
        assert_eq!(layers_total(&[layer(0), layer(-1)]), None);
        assert_eq!(layers_total(&[]), None);
    }
}
