//! Parsing and validating `exercise.toml`: serde does the shape, this file adds line numbers to
//! every error and the rules serde cannot express (unique ids, handles defined before use, names
//! and ports within the course's ranges).

use std::collections::HashSet;

use serde::Deserialize;

use super::*;

/// A spec error: the file, the line when known, and what is wrong. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct SpecError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    schema_version: u32,
    id: String,
    title: String,
    chapter: u32,
    minutes: u32,
    #[serde(default = "default_order")]
    order: u32,
    difficulty: Difficulty,
    mode: Mode,
    book: String,
    #[serde(default)]
    hints: Vec<String>,
    #[serde(default)]
    live: Live,
    checks: Vec<toml::Spanned<toml::Table>>,
}

fn default_order() -> u32 {
    50
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn toml_error(file: &str, text: &str, e: toml::de::Error) -> SpecError {
    SpecError {
        file: file.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    }
}

/// Parse and validate an exercise. `file` names it in errors (e.g. `exercises/03-cache/exercise.toml`).
pub fn parse_exercise(file: &str, text: &str) -> Result<Exercise, SpecError> {
    let err = |line: Option<usize>, message: String| SpecError {
        file: file.to_string(),
        line,
        message,
    };
    // Check the version first so a future file gets a clear message, not a list of unknown keys.
    if let Ok(v) = toml::from_str::<toml::Table>(text) {
        if let Some(ver) = v.get("schema_version").and_then(|v| v.as_integer()) {
            if ver > SCHEMA_VERSION as i64 {
                return Err(err(
                    None,
                    format!(
                        "schema_version {ver} is newer than this dockdojo understands \
                         ({SCHEMA_VERSION}); update dockdojo"
                    ),
                ));
            }
        }
    }
    let raw: RawExercise = toml::from_str(text).map_err(|e| toml_error(file, text, e))?;
    if raw.schema_version != SCHEMA_VERSION {
        return Err(err(
            Some(1),
            format!(
                "schema_version must be {SCHEMA_VERSION}, found {}",
                raw.schema_version
            ),
        ));
    }
    let mut checks = Vec::new();
    for spanned in raw.checks {
        let line = line_of(text, spanned.span().start);
        let mut table = spanned.into_inner();
        let mut take = |key: &str, required: bool| -> Result<Option<String>, SpecError> {
            match table.remove(key) {
                None if required => Err(err(
                    Some(line),
                    format!("check is missing the required key `{key}`"),
                )),
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s)),
                Some(other) => Err(err(
                    Some(line),
                    format!("`{key}` must be a string, found {}", other.type_str()),
                )),
            }
        };
        let id = take("id", true)?.unwrap_or_default();
        let title = take("title", true)?.unwrap_or_default();
        let hint = take("hint", true)?.unwrap_or_default();
        let book = take("book", false)?;
        if !table.contains_key("kind") {
            return Err(err(
                Some(line),
                format!("check '{id}' is missing the required key `kind`"),
            ));
        }
        let kind: CheckKind =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    err(Some(line), format!("check '{id}': {}", e.message().trim()))
                })?;
        checks.push(Check {
            id,
            title,
            hint,
            book,
            line,
            kind,
        });
    }
    let ex = Exercise {
        schema_version: raw.schema_version,
        id: raw.id,
        title: raw.title,
        chapter: raw.chapter,
        minutes: raw.minutes,
        order: raw.order,
        difficulty: raw.difficulty,
        mode: raw.mode,
        book: raw.book,
        hints: raw.hints,
        live: raw.live,
        checks,
    };
    validate(&ex).map_err(|(line, m)| err(line, m))?;
    Ok(ex)
}

fn validate(ex: &Exercise) -> Result<(), (Option<usize>, String)> {
    validate_header(ex)?;
    let mut ids = HashSet::new();
    let mut images: HashSet<&str> = HashSet::new();
    for c in &ex.checks {
        let at = Some(c.line);
        if !ids.insert(c.id.as_str()) {
            return Err((at, format!("check id '{}' is used twice", c.id)));
        }
        let kind = c.kind.kind();
        if let Some(h) = kind.needs().image {
            if !images.contains(h) {
                return Err((
                    at,
                    format!(
                        "check '{}' uses image '{h}', but no earlier `build` check makes it",
                        c.id
                    ),
                ));
            }
        }
        if let Some(p) = kind.problem() {
            return Err((at, format!("check '{}': {p}", c.id)));
        }
        if let Some(h) = kind.makes().image {
            images.insert(h);
        }
    }
    Ok(())
}

/// The exercise's own fields: id, chapter, hints, live names and ports.
fn validate_header(ex: &Exercise) -> Result<(), (Option<usize>, String)> {
    let id_ok = ex.id.len() > 3
        && ex.id.as_bytes()[..2].iter().all(u8::is_ascii_digit)
        && ex.id.as_bytes()[2] == b'-'
        && ex.id[3..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err((
            None,
            format!(
                "id '{}' must look like `03-cache-order` (two digits, a dash, lowercase words)",
                ex.id
            ),
        ));
    }
    if ex.chapter > LAST_CHAPTER {
        return Err((
            None,
            format!("chapter {} does not exist (0–{LAST_CHAPTER})", ex.chapter),
        ));
    }
    if ex.checks.is_empty() {
        return Err((None, "an exercise needs at least one check".into()));
    }
    if ex.hints.is_empty() {
        return Err((None, "an exercise needs at least one hint".into()));
    }
    for name in ex
        .live
        .containers
        .iter()
        .chain(&ex.live.volumes)
        .chain(&ex.live.networks)
        .chain(&ex.live.projects)
        .chain(&ex.live.try_containers)
    {
        if !name.starts_with("dojo-") {
            return Err((None, format!("live name '{name}' must start with `dojo-`")));
        }
    }
    for p in &ex.live.ports {
        if !(18000..=18999).contains(p) {
            return Err((None, format!("live port {p} must be within 18000–18999")));
        }
    }
    Ok(())
}

/// Parse a mutant's `expect.toml` and make sure the check it names exists.
pub fn parse_mutant_expect(
    file: &str,
    text: &str,
    ex: &Exercise,
) -> Result<MutantExpect, SpecError> {
    let m: MutantExpect = toml::from_str(text).map_err(|e| toml_error(file, text, e))?;
    if !ex.checks.iter().any(|c| c.id == m.check) {
        return Err(SpecError {
            file: file.to_string(),
            line: None,
            message: format!(
                "names check '{}', which {} does not have (its checks: {})",
                m.check,
                ex.id,
                ex.checks
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    Ok(m)
}

#[cfg(test)]
mod tests;
