//! One module per check kind, each in its own file: its spec (re-exported from
//! [`crate::spec`]), what it gathers from Docker and how it judges that. Kinds never call each
//! other; what they share with Docker is in [`crate::docker`] (probe containers, exec, logs,
//! HTTP, builds), what they share with the run in [`crate::ctx`].

pub mod answer;
pub mod build;
pub mod compose;
pub mod container;
pub mod context;
pub(crate) mod defaults;
pub mod diff;
pub mod dockerfile;
pub mod exec;
pub mod file;
pub mod http;
pub mod image;
pub mod layers;
pub mod network;
pub mod rebuild;
pub mod reload;
pub mod restart;
pub mod run;
pub mod stop;
pub mod volume;

use crate::ctx::{Ctx, Verdict};
use crate::error::EnvError;
use crate::spec::{Check, CheckKind};

/// Dispatch a check to its kind.
pub async fn run(ctx: &mut Ctx<'_>, check: &Check) -> Result<Verdict, EnvError> {
    match &check.kind {
        CheckKind::Build(c) => build::check(ctx, c).await,
        CheckKind::Rebuild(c) => rebuild::check(ctx, c).await,
        CheckKind::Dockerfile(c) => Ok(dockerfile::check(ctx, c)),
        CheckKind::Image(c) => image::check(ctx, c).await,
        CheckKind::File(c) => file::check(ctx, c).await,
        CheckKind::Run(c) => run::check(ctx, c).await,
        CheckKind::Exec(c) => exec::check(ctx, c).await,
        CheckKind::Container(c) => container::check(ctx, c).await,
        CheckKind::Diff(c) => diff::check(ctx, c).await,
        CheckKind::Http(c) => http::check(ctx, c).await,
        CheckKind::Volume(c) => volume::check(ctx, c).await,
        CheckKind::Network(c) => network::check(ctx, c).await,
        CheckKind::Stop(c) => stop::check(ctx, c).await,
        CheckKind::Restart(c) => restart::check(ctx, c).await,
        CheckKind::Layers(c) => layers::check(ctx, c).await,
        CheckKind::Context(c) => Ok(context::check(ctx, c)),
        CheckKind::Reload(c) => reload::check(ctx, c).await,
        CheckKind::Compose(c) => compose::check(ctx, c).await,
        CheckKind::Answer(c) => answer::check(ctx, c),
    }
}

/// The first `KEY=value` in `want` that `env` (Docker's `KEY=value` list) does not have:
/// (key, wanted value, what is there instead).
/// Two settings mean the same: equal text, or two HTTP(S) URLs naming the same scheme, host, port
/// and path (`http://api:8080` is `http://api:8080/`; `HTTP://API:80/` is `http://api/`).
pub fn same_value(got: &str, want: &str) -> bool {
    if got == want {
        return true;
    }
    let web = |s: &str| {
        url::Url::parse(s)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    };
    match (web(got), web(want)) {
        (Some(g), Some(w)) => {
            g.scheme() == w.scheme()
                && g.host_str() == w.host_str()
                && g.port_or_known_default() == w.port_or_known_default()
                && g.path() == w.path()
                && g.query() == w.query()
                && g.username() == w.username()
                && g.password() == w.password()
        }
        _ => false,
    }
}

pub fn env_mismatch<'a>(
    env: &[String],
    want: &'a std::collections::BTreeMap<String, String>,
) -> Option<(&'a str, &'a str, String)> {
    want.iter().find_map(|(k, v)| {
        let found = env.iter().find_map(|e| {
            e.split_once('=')
                .filter(|(ek, _)| ek == k)
                .map(|(_, ev)| ev)
        });
        match found {
            Some(f) if same_value(f, v) => None,
            Some(f) => Some((k.as_str(), v.as_str(), format!("{k}={f}"))),
            None => Some((k.as_str(), v.as_str(), format!("{k} is not set"))),
        }
    })
}

#[cfg(test)]
mod value_tests {
    use super::same_value;

    #[test]
    fn urls_compare_as_urls() {
        let want = "http://dojo-peer-api:8080/";
        assert!(same_value("http://dojo-peer-api:8080", want));
        assert!(same_value("HTTP://DOJO-PEER-API:8080/", want));
        assert!(!same_value("http://dojo-peer-api:18080/", want));
        assert!(!same_value("http://localhost:8080/", want));
        assert!(!same_value("http://dojo-peer-api:8080/v2", want));
        assert!(!same_value("https://dojo-peer-api:8080/", want));
        assert!(same_value("http://api/", "http://api:80/"));
        assert!(!same_value("dojo-peer-api:8080", want));
        assert!(same_value("plain", "plain"));
        assert!(!same_value("plain ", "plain"));
    }
}
