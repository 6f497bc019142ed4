//! Workshop mode: an instructor serves a room (`workshop serve`), students join it
//! (`workshop join`) and their dockdojo reports every check, `doctor` and `prepare` outcome in the
//! background; the instructor watches and paces the room (`workshop dash`, the projector board)
//! and exports the results (`workshop export`). Images travel over the room's network
//! (`prepare --from URL`).
//!
//! - `proto`: the wire protocol (every body, every endpoint).
//! - `server`, `db`: the instructor's HTTP server and its SQLite store; `room`: the room's
//!   in-memory aggregate both of them fill; `names`: how display names are normalised.
//! - `client`: the student side (join, the on-disk outbox, background delivery, room view,
//!   `prepare --from`).
//! - `dash`: the instructor's terminal dashboard; `board.html`: the projector page.
//! - `export`: `workshop export`.

pub mod client;
pub mod dash;
pub mod db;
pub mod export;
pub mod names;
pub mod proto;
pub mod room;
pub mod server;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The instructor's data folder when `--data` is not given (relative to the current directory).
pub const DEFAULT_DATA_DIR: &str = "dockdojo-workshop";
/// In the data folder: the database and the instructor's connection file.
pub const DB_FILE: &str = "workshop.db";
pub const INSTRUCTOR_FILE: &str = "instructor.json";

/// What `workshop serve` writes for `dash` and `export` on the instructor's machine (mode 0600).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InstructorFile {
    /// Base URL the server listens on, as the instructor's own tools reach it.
    pub url: String,
    pub instructor_token: String,
    pub join_code: String,
    pub board_key: String,
}

impl InstructorFile {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(INSTRUCTOR_FILE)
    }

    pub fn load(data_dir: &Path) -> Result<Self> {
        let p = Self::path(data_dir);
        let text = std::fs::read_to_string(&p).with_context(|| {
            format!(
                "cannot read {}: is `dockdojo workshop serve` running with --data {}?",
                p.display(),
                data_dir.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is not valid", p.display()))
    }
}

/// `n` random bytes as lowercase hex (tokens, keys).
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    hex::encode(buf)
}

/// A join code people can read aloud and type: 5 groups of 4 from an alphabet without
/// look-alikes (0/O, 1/l/I), 100 bits of entropy. Compared ignoring case, spaces and dashes.
pub fn new_join_code() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz"; // 31 symbols, ~4.95 bits each
    let mut out = String::new();
    let mut buf = [0u8; 64];
    let mut picked = 0;
    while picked < 20 {
        getrandom::fill(&mut buf).expect("the operating system's random source failed");
        for b in buf {
            // Rejection sampling keeps the symbols uniform.
            if (b as usize) < ALPHABET.len() * 8 && picked < 20 {
                if picked > 0 && picked % 4 == 0 {
                    out.push('-');
                }
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
                picked += 1;
            }
        }
    }
    out
}

/// A join code as typed, reduced to what is compared.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Hex SHA-256 of a token: the server stores only this.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison of two strings of equal length (tokens, codes).
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_codes_are_long_and_readable() {
        let a = new_join_code();
        assert_eq!(a.len(), 24, "{a}");
        assert_eq!(normalize_code(&a).len(), 20);
        assert!(!a.contains(['0', 'o', '1', 'l', 'i']), "{a}");
        assert_ne!(a, new_join_code());
        assert_eq!(normalize_code(" AB-cd 23 "), "abcd23");
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert_eq!(hash_token("x").len(), 64);
    }
}
