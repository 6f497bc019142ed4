//! The `situation` check: what a scenario's `setup.sh` arranged, and the learner cannot make again
//! by hand (a registry holding the release that shipped, an image built from a source they never
//! see), is still there. When something is gone, the exercise cannot be finished as it stands:
//! the check says what is missing and offers `dockdojo setup ID`, and the checks after it wait
//! (their messages would only be confusing consequences of the same absence).
//!
//! Only existence is judged: a stopped container is still there (`docker start` brings it back).

use crate::checks::Kind;
use crate::checks::{Ctx, Verdict};
use crate::docker::{classify, deadline, is_not_found};
use crate::error::EnvError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SituationCheck {
    /// Containers, by name.
    #[serde(default)]
    pub containers: Vec<String>,
    /// Images, by reference or id.
    #[serde(default)]
    pub images: Vec<String>,
    /// Networks, by name.
    #[serde(default)]
    pub networks: Vec<String>,
    /// Volumes, by name.
    #[serde(default)]
    pub volumes: Vec<String>,
}

impl SituationCheck {
    /// Every object the situation holds, as `(what, name)`.
    fn objects(&self) -> impl Iterator<Item = (&'static str, &String)> + '_ {
        self.containers
            .iter()
            .map(|n| ("container", n))
            .chain(self.images.iter().map(|n| ("image", n)))
            .chain(self.networks.iter().map(|n| ("network", n)))
            .chain(self.volumes.iter().map(|n| ("volume", n)))
    }
}

impl Kind for SituationCheck {
    /// A scenario's set-up (a registry, images pushed).
    fn weight(&self) -> u32 {
        20
    }
    fn problem(&self) -> Option<String> {
        if self.objects().next().is_none() {
            return Some(
                "name at least one of `containers`, `images`, `networks`, `volumes`".into(),
            );
        }
        self.objects()
            .find(|(_, n)| n.trim().is_empty())
            .map(|(what, _)| format!("an empty {what} name"))
    }

    /// Everything after it depends on the situation: a check that found it gone stops them.
    fn gates(&self) -> bool {
        true
    }
}

/// What the daemon said about each object of the situation: `(what, name, exists)`.
pub type Seen = Vec<(&'static str, String, bool)>;

pub async fn check(ctx: &mut Ctx<'_>, spec: &SituationCheck) -> Result<Verdict, EnvError> {
    let mut seen = Seen::new();
    for (what, name) in spec.objects() {
        seen.push((what, name.clone(), exists(ctx, what, name).await?));
    }
    Ok(judge(&seen, ctx.exercise))
}

/// Does the object exist? A 404 is "no"; any other failure is an error, never a verdict.
async fn exists(ctx: &Ctx<'_>, what: &str, name: &str) -> Result<bool, EnvError> {
    let d = &ctx.engine.docker;
    let asked = format!("inspect {what} {name}");
    let answer = match what {
        "container" => {
            tokio::time::timeout(deadline::QUICK, async {
                d.inspect_container(name, None).await.map(drop)
            })
            .await
        }
        "image" => {
            tokio::time::timeout(deadline::QUICK, async {
                d.inspect_image(name).await.map(drop)
            })
            .await
        }
        "network" => {
            tokio::time::timeout(deadline::QUICK, async {
                d.inspect_network(name, None).await.map(drop)
            })
            .await
        }
        _ => {
            tokio::time::timeout(deadline::QUICK, async {
                d.inspect_volume(name).await.map(drop)
            })
            .await
        }
    };
    match answer {
        Err(_) => Err(EnvError::Deadline {
            what: asked,
            deadline: deadline::QUICK,
        }),
        Ok(Ok(())) => Ok(true),
        Ok(Err(e)) if is_not_found(&e) => Ok(false),
        Ok(Err(e)) => Err(classify(&asked, &e)),
    }
}

/// The verdict on what was seen, for the exercise `id` (no I/O).
pub fn judge(seen: &Seen, id: &str) -> Verdict {
    let names = |pick: bool| {
        seen.iter()
            .filter(|(_, _, e)| *e == pick)
            .map(|(what, name, _)| format!("the {what} {name}"))
            .collect::<Vec<_>>()
    };
    let expected = format!(
        "what `dockdojo setup {id}` arranged is still there: {}",
        names(true)
            .into_iter()
            .chain(names(false))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let gone = names(false);
    if gone.is_empty() {
        return Verdict::pass(expected, "all of it is there");
    }
    let (list, verb) = match gone.as_slice() {
        [one] => (one.clone(), "is"),
        _ => (gone.join(", "), "are"),
    };
    Verdict::fail(expected, format!("{list} {verb} gone")).advise(format!(
        "This exercise starts from what its setup made, and that cannot be made again by \
             hand. `dockdojo setup {id}` arranges the situation again from the start (your files \
             in the exercise folder stay as they are); then redo your steps."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(items: &[(&'static str, &str, bool)]) -> Seen {
        items
            .iter()
            .map(|(w, n, e)| (*w, n.to_string(), *e))
            .collect()
    }

    #[test]
    fn all_there_passes() {
        let v = judge(
            &seen(&[("container", "dojo-reg", true), ("image", "app:1", true)]),
            "09-x",
        );
        assert!(v.passed, "{v:?}");
        assert!(v
            .expected
            .contains("the container dojo-reg, the image app:1"));
    }

    #[test]
    fn one_gone_fails_naming_it_and_offering_setup() {
        let v = judge(
            &seen(&[("container", "dojo-reg", false), ("image", "app:1", true)]),
            "09-x",
        );
        assert!(!v.passed);
        assert_eq!(v.actual, "the container dojo-reg is gone");
        assert!(v.advice.unwrap().contains("`dockdojo setup 09-x`"));
    }

    #[test]
    fn several_gone_are_all_named() {
        let v = judge(
            &seen(&[("network", "n", false), ("volume", "v", false)]),
            "x",
        );
        assert_eq!(v.actual, "the network n, the volume v are gone");
    }

    #[test]
    fn an_empty_situation_is_a_spec_problem() {
        assert!(SituationCheck::default().problem().is_some());
        let s = SituationCheck {
            containers: vec![" ".into()],
            ..SituationCheck::default()
        };
        assert_eq!(s.problem().as_deref(), Some("an empty container name"));
    }
}
