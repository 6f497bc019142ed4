//! What counts as a pinned base image, and as root.

/// Why an image reference does not name an exact release, if it does not. A digest pins. A tag
/// pins when its version has three or more numbers (`1.36.1`, `v2.4.0`), whatever follows a
/// `-`, `_` or `+` (`12.2.0-bookworm`, `20.11.1-alpine3.19`), or when it carries a date stamp
/// (`bookworm-20240311`). `1.36` and `3.12-slim` move to every patch release.
pub fn pin_problem(image: &str) -> Option<&'static str> {
    if image.contains("@sha256:") {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    // A sha256 digest's 64 hex digits (a commit id tag has 40 or fewer).
    let hex = |t: &str| t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit());
    if last.contains('@') {
        return Some(
            "has a digest without `sha256:`: a digest is written `@sha256:` and its 64 hex digits",
        );
    }
    match last.split_once(':') {
        Some((_, tag)) if hex(tag) || tag.starts_with("sha256") => Some(
            "puts a digest where a tag goes: after `:` it is read as a tag, which no release has. \
             A digest follows `@sha256:` (`name@sha256:…`, or `name:tag@sha256:…`)",
        ),
        None => Some("has no tag, so it means `latest`, which moves"),
        Some((_, "latest")) => Some("uses `latest`, which moves"),
        Some((_, "")) => Some("has an empty tag: does it use an ARG with no value here?"),
        Some((_, tag)) if exact_release(tag) => None,
        Some((name, tag)) if two_number_release(name, tag) => None,
        Some((_, tag)) if !tag.chars().any(|c| c.is_ascii_digit()) => {
            Some("uses a floating tag with no version number, which moves")
        }
        Some(_) => Some(
            "names only part of a version: a tag like `1.36` or `3.12-slim` moves to each patch \
             release. An exact release has the full version (three numbers), a date stamp, or a \
             digest",
        ),
    }
}

/// Does a tag name one release: a version of three or more numbers, or a date stamp?
pub(super) fn exact_release(tag: &str) -> bool {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let version = t.split(['-', '_', '+']).next().unwrap_or("");
    let numbers: Vec<&str> = version.split('.').collect();
    let full = numbers.len() >= 3
        && numbers
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    full || tag.split(['-', '_', '.']).any(is_date)
}

/// Images whose releases have two numbers (PostgreSQL since 10: `16.2` is one release, the
/// next is `16.3`; Gradle: `8.6`), where a third number is the exception, not the rule.
pub(super) const TWO_NUMBER_RELEASES: &[(&str, u32)] = &[("postgres", 10), ("gradle", 1)];

/// `postgres:16.2`, `postgres:16.2-alpine3.19`: an exact release of an image versioned with two
/// numbers; `postgres:16` (the major only) still moves.
pub(super) fn two_number_release(name: &str, tag: &str) -> bool {
    let Some((_, min_major)) = TWO_NUMBER_RELEASES.iter().find(|(n, _)| *n == name) else {
        return false;
    };
    let version = tag.split(['-', '_', '+']).next().unwrap_or("");
    let numbers: Vec<&str> = version.split('.').collect();
    numbers.len() == 2
        && numbers
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && numbers[0].parse::<u32>().is_ok_and(|m| m >= *min_major)
}

/// `YYYYMMDD`, as in `debian:bookworm-20240311`.
pub(super) fn is_date(s: &str) -> bool {
    if s.len() != 8 || !s.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let (y, m, d) = (&s[..4], &s[4..6], &s[6..]);
    (y.starts_with("19") || y.starts_with("20"))
        && ("01"..="12").contains(&m)
        && ("01"..="31").contains(&d)
}

/// Root as a Dockerfile `USER` or an image config's User: the user part (before `:`) is empty,
/// `root`, or a uid that is 0 (`0`, `0000`). The group does not matter.
pub fn is_root_user(u: &str) -> bool {
    let user = u.trim().split(':').next().unwrap_or("").trim();
    user.is_empty()
        || user == "root"
        || (user.chars().all(|c| c.is_ascii_digit()) && user.trim_start_matches('0').is_empty())
}
