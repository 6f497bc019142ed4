//! The workshop's durable state in SQLite (bundled, WAL): roster, reports, pacing, messages.
//!
//! The database is the source of truth: the in-memory [`Room`] aggregate is rebuilt from it at
//! start ([`Db::load_room`]) and updated after each successful insert. Writes use WAL with
//! `synchronous=FULL`, so a report the server acknowledged is on disk, even after `kill -9` or a
//! power cut. The connection takes an exclusive lock on the file: a second server started on
//! the same data folder is refused instead of mixing two rooms.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension};

use super::proto::{Message, MessageKind, NewMessage, Report, ReportKind, StartedBy};
use super::room::Room;

/// Version of the tables below; stored in `meta` as `schema_version`.
pub const SCHEMA_VERSION: i64 = 4;

/// From version 1: students hidden from the board, retracted messages.
const TO_V2: &str = "
ALTER TABLE students ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;
";

/// From version 2: the seconds a check report says the course app measured on the exercise.
const TO_V3: &str = "
ALTER TABLE reports ADD COLUMN time_spent_s INTEGER;
";

/// From version 3: checks dockdojo started on its own (no attempt), messages to one student.
const TO_V4: &str = "
ALTER TABLE reports ADD COLUMN auto INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN student_id INTEGER;
";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS students (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    joined_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reports (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    student_id  INTEGER NOT NULL REFERENCES students(id),
    report_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    exercise    TEXT,
    passed      INTEGER NOT NULL,
    failed      TEXT NOT NULL,
    summary     TEXT NOT NULL,
    hints_used  INTEGER NOT NULL,
    client_time INTEGER,
    received_at INTEGER NOT NULL,
    UNIQUE(student_id, report_id)
);
CREATE TABLE IF NOT EXISTS messages (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,
    text     TEXT NOT NULL,
    exercise TEXT,
    at       INTEGER NOT NULL
);
";

/// The room's secrets, kept in `meta` so a restart keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secrets {
    pub join_code: String,
    pub instructor_token: String,
    pub board_key: String,
}

/// What [`Db::add_report`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    Stored,
    /// This student already sent a report with this id: nothing changed.
    Duplicate,
}

/// The open database (one connection, used from blocking threads only).
pub struct Db {
    conn: Connection,
}

impl Db {
    /// Open (or create) the database: WAL, `synchronous=FULL`, a busy timeout, the schema.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the workshop database {}", path.display()))?;
        // It holds the room's secrets: private to the instructor (the WAL inherits the mode).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        conn.busy_timeout(Duration::from_secs(5))?;
        // Exclusive: a second server on the same folder gets "database is locked" instead of
        // sharing the room. Must be set before the first access in WAL mode.
        let _: String = conn.query_row("PRAGMA locking_mode=EXCLUSIVE", [], |r| r.get(0))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| locked_hint(e, path))?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!(
                "{}: SQLite refused WAL mode (got {mode}); put the data folder on a local disk",
                path.display()
            );
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        let mut db = Self { conn };
        db.migrate()
            .map_err(|e| match e.downcast::<rusqlite::Error>() {
                Ok(e) => locked_hint(e, path),
                Err(e) => e,
            })?;
        Ok(db)
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(SCHEMA)?;
        let version: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        // A new file has the version 1 tables (SCHEMA) and takes every step from there.
        let from = match version.map(|v| v.parse::<i64>()) {
            None => 1,
            Some(Ok(v)) if (1..SCHEMA_VERSION).contains(&v) => v,
            Some(Ok(v)) if v == SCHEMA_VERSION => SCHEMA_VERSION,
            Some(Ok(v)) if v > SCHEMA_VERSION => bail!(
                "this workshop database was made by a newer dockdojo (schema {v}); upgrade dockdojo or use another --data folder"
            ),
            Some(v) => bail!("unsupported workshop database schema {v:?}; use another --data folder"),
        };
        if from < SCHEMA_VERSION {
            if from < 2 {
                tx.execute_batch(TO_V2)?;
            }
            if from < 3 {
                tx.execute_batch(TO_V3)?;
            }
            if from < 4 {
                tx.execute_batch(TO_V4)?;
            }
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![SCHEMA_VERSION.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// The room's secrets; made (and stored) on first start. `true` when they were just made.
    pub fn secrets(&mut self) -> Result<(Secrets, bool)> {
        if let (Some(join_code), Some(instructor_token), Some(board_key)) = (
            self.meta("join_code")?,
            self.meta("instructor_token")?,
            self.meta("board_key")?,
        ) {
            return Ok((
                Secrets {
                    join_code,
                    instructor_token,
                    board_key,
                },
                false,
            ));
        }
        let s = Secrets {
            join_code: super::new_join_code(),
            instructor_token: super::random_hex(32),
            board_key: super::random_hex(16),
        };
        let tx = self.conn.transaction()?;
        for (k, v) in [
            ("join_code", &s.join_code),
            ("instructor_token", &s.instructor_token),
            ("board_key", &s.board_key),
        ] {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![k, v],
            )?;
        }
        tx.commit()?;
        Ok((s, true))
    }

    /// Students and reports stored so far.
    pub fn counts(&self) -> Result<(u64, u64)> {
        let students: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM students", [], |r| r.get(0))?;
        let reports: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))?;
        Ok((students as u64, reports as u64))
    }

    /// Replay everything stored into `room` (roster, reports in arrival order, pacing,
    /// messages).
    pub fn load_room(&self, room: &mut Room) -> Result<()> {
        let mut st = self
            .conn
            .prepare("SELECT id, name, token_hash, joined_at, hidden FROM students ORDER BY id")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?;
        for row in rows {
            let (id, name, hash, joined_at, hidden) = row?;
            room.add_student(id, name, hash, joined_at);
            room.set_hidden(id, hidden);
        }
        let mut st = self.conn.prepare(
            "SELECT student_id, report_id, kind, exercise, passed, failed, summary, hints_used,
                    client_time, received_at, time_spent_s, auto
             FROM reports ORDER BY seq",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, Option<i64>>(8)?,
                r.get::<_, i64>(9)?,
                r.get::<_, Option<i64>>(10)?,
                r.get::<_, bool>(11)?,
            ))
        })?;
        for row in rows {
            let (
                student,
                id,
                kind,
                exercise,
                passed,
                failed,
                summary,
                hints,
                client_time,
                at,
                time_spent_s,
                auto,
            ) = row?;
            let kind = match kind.as_str() {
                "check" => ReportKind::Check,
                "doctor" => ReportKind::Doctor,
                "prepare" => ReportKind::Prepare,
                other => bail!("the workshop database holds a report of unknown kind `{other}`"),
            };
            let failed: Vec<String> = serde_json::from_str(&failed).unwrap_or_default();
            let report = Report {
                id,
                kind,
                exercise,
                passed,
                failed,
                summary,
                hints_used: u32::try_from(hints).unwrap_or(u32::MAX),
                client_time,
                time_spent_s: time_spent_s.and_then(|t| u64::try_from(t).ok()),
                started_by: if auto {
                    StartedBy::Auto
                } else {
                    StartedBy::Learner
                },
            };
            room.apply(student, &report, at);
        }
        if let Some(v) = self.meta("unlocked_through")? {
            room.unlocked_through = v.parse().ok();
        }
        room.on_break = self.meta("on_break")?.as_deref() == Some("1");
        room.break_until = self.meta("break_until")?.and_then(|v| v.parse().ok());
        room.locked = self.meta("locked")?.as_deref() == Some("1");
        room.banner_cleared_through = self
            .meta("banner_cleared_through")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut st = self.conn.prepare(
            "SELECT id, kind, text, exercise, at, student_id FROM messages WHERE retracted = 0
             ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?;
        for row in rows {
            let (id, kind, text, exercise, at, student) = row?;
            room.push_message(Message {
                id,
                kind: if kind == "hint" {
                    MessageKind::Hint
                } else {
                    MessageKind::Message
                },
                text,
                exercise,
                at,
                student,
            });
        }
        Ok(())
    }

    /// Add a student; returns their id.
    pub fn add_student(&mut self, name: &str, token_hash: &str, joined_at: i64) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO students(name, token_hash, joined_at) VALUES (?1, ?2, ?3)",
            params![name, token_hash, joined_at],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Store a report once per (student, report id).
    pub fn add_report(
        &mut self,
        student_id: i64,
        r: &Report,
        received_at: i64,
    ) -> Result<Inserted> {
        let kind = match r.kind {
            ReportKind::Check => "check",
            ReportKind::Doctor => "doctor",
            ReportKind::Prepare => "prepare",
        };
        let failed = serde_json::to_string(&r.failed)?;
        let res = self.conn.execute(
            "INSERT INTO reports(student_id, report_id, kind, exercise, passed, failed, summary,
                                 hints_used, client_time, received_at, time_spent_s, auto)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                student_id,
                r.id,
                kind,
                r.exercise,
                r.passed,
                failed,
                r.summary,
                i64::from(r.hints_used),
                r.client_time,
                received_at,
                r.time_spent_s.and_then(|t| i64::try_from(t).ok()),
                r.started_by == StartedBy::Auto
            ],
        );
        match res {
            Ok(_) => Ok(Inserted::Stored),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Ok(Inserted::Duplicate)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Store the pacing fields that are set.
    pub fn set_pace(
        &mut self,
        unlocked: Option<Option<u32>>,
        on_break: Option<bool>,
        break_until: Option<i64>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        if let Some(u) = unlocked {
            let v = u.map(|n| n.to_string()).unwrap_or_default();
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('unlocked_through', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [v],
            )?;
        }
        if let Some(b) = on_break {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('on_break', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [if b { "1" } else { "0" }],
            )?;
            // A new break or its end: the end time goes with it (none: empty).
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('break_until', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [break_until.map(|t| t.to_string()).unwrap_or_default()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Store a message; returns it with its id and time.
    pub fn add_message(&mut self, m: &NewMessage, at: i64) -> Result<Message> {
        let kind = match m.kind {
            MessageKind::Message => "message",
            MessageKind::Hint => "hint",
        };
        self.conn.execute(
            "INSERT INTO messages(kind, text, exercise, at, student_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![kind, m.text, m.exercise, at, m.student],
        )?;
        Ok(Message {
            id: self.conn.last_insert_rowid(),
            kind: m.kind,
            text: m.text.clone(),
            exercise: m.exercise.clone(),
            at,
            student: m.student,
        })
    }

    /// Remove a student and their reports.
    pub fn remove_student(&mut self, id: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM reports WHERE student_id = ?1", [id])?;
        tx.execute("DELETE FROM messages WHERE student_id = ?1", [id])?;
        tx.execute("DELETE FROM students WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// Move every report of `from` to `into` (in arrival order with theirs), then remove `from`.
    pub fn merge_students(&mut self, from: i64, into: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        // A report id both sent (a copied workspace) is kept once, as `into`'s.
        tx.execute(
            "UPDATE OR IGNORE reports SET student_id = ?2 WHERE student_id = ?1",
            [from, into],
        )?;
        tx.execute("DELETE FROM reports WHERE student_id = ?1", [from])?;
        tx.execute(
            "UPDATE messages SET student_id = ?2 WHERE student_id = ?1",
            [from, into],
        )?;
        tx.execute("DELETE FROM students WHERE id = ?1", [from])?;
        tx.commit()?;
        Ok(())
    }

    pub fn rename_student(&mut self, id: i64, name: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE students SET name = ?2 WHERE id = ?1",
            params![id, name],
        )?;
        Ok(())
    }

    pub fn set_hidden(&mut self, id: i64, hidden: bool) -> Result<()> {
        self.conn.execute(
            "UPDATE students SET hidden = ?2 WHERE id = ?1",
            params![id, hidden],
        )?;
        Ok(())
    }

    /// Mark a message retracted; false when there is no such message.
    pub fn retract_message(&mut self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .execute("UPDATE messages SET retracted = 1 WHERE id = ?1", [id])?
            > 0)
    }

    /// Store a new join code.
    pub fn set_join_code(&mut self, code: &str) -> Result<()> {
        self.set_meta("join_code", code)
    }

    /// Record something in `meta` (e.g. when the server last started).
    pub fn note(&self, key: &str, value: &str) -> Result<()> {
        self.set_meta(key, value)
    }
}

fn locked_hint(e: rusqlite::Error, path: &Path) -> anyhow::Error {
    let busy = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        anyhow::anyhow!(
            "{} is in use by another `dockdojo workshop serve`: stop it first, or use another --data folder",
            path.display()
        )
    } else {
        anyhow::Error::new(e).context(format!(
            "cannot use the workshop database {}",
            path.display()
        ))
    }
}

#[cfg(test)]
mod tests;
