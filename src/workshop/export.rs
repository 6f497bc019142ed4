//! `dockdojo workshop export`: per student and exercise, as CSV or JSON, labelled self-reported,
//! with the solve times `dockdojo calibrate --export` reads.
//!
//! The command asks the running server (`GET /api/export`, instructor token from the
//! instructor file), so it works during the workshop without touching the database; with the
//! server stopped it reads the database itself (the same rows). The CSV
//! is produced here ([`to_csv`]) and served by the server: proper quoting, and fields that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) get a
//! leading apostrophe; a field holding `;` is quoted, so a semicolon-locale spreadsheet cannot
//! split it into one that starts with a formula.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context};

use super::proto::{ApiError, ExportRow};
use super::InstructorFile;
use crate::exit::{CmdResult, Exit, Fail};

/// The output format of `workshop export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// The `format=` value of `/api/export`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// The CSV header; `source` says every result is self-reported (formative). The time columns
/// (seconds, empty when unknown) come last: `time_spent_s` as the student's course app measured
/// it, `solve_s` by the server's clock from the first report to the first pass.
pub const CSV_HEADER: &str =
    "student,student_id,exercise,attempts,passed,first_pass_at,hints_used,source,time_spent_s,solve_s";

/// Rows as CSV (RFC 4180, CRLF-free: `\n` line ends), times in RFC 3339 UTC.
pub fn to_csv(rows: &[ExportRow]) -> String {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(CSV_HEADER);
    out.push('\n');
    for r in rows {
        let fields = [
            csv_text(&r.student),
            r.student_id.to_string(),
            csv_text(&r.exercise),
            r.attempts.to_string(),
            r.passed.to_string(),
            r.first_pass_at.map(rfc3339).unwrap_or_default(),
            r.hints_used.to_string(),
            csv_text(&r.source),
            r.time_spent_s.map(|t| t.to_string()).unwrap_or_default(),
            r.solve_s.map(|t| t.to_string()).unwrap_or_default(),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// One text field: formula-neutralised, then quoted if it needs to be.
pub fn csv_text(s: &str) -> String {
    let mut v = String::with_capacity(s.len() + 3);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.push('\'');
    }
    v.push_str(s);
    // `;` too: a spreadsheet in a semicolon locale splits there, and `;=cmd|…` would start a
    // field with a formula.
    if v.contains([',', ';', '"', '\n', '\r']) || v.starts_with(' ') || v.ends_with(' ') {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// Unix seconds as RFC 3339 UTC (`2025-03-01T09:30:00Z`).
pub fn rfc3339(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `dockdojo workshop export`.
pub async fn run(data: PathBuf, format: Format, out: Option<PathBuf>) -> CmdResult {
    let start_hint = |data: &Path| {
        format!(
            "start it with `dockdojo workshop serve --bind ADDR:PORT --data {}` (the results are kept in {})",
            data.display(),
            data.join(super::DB_FILE).display()
        )
    };
    let file = InstructorFile::load(&data).map_err(|e| {
        Fail::env(anyhow!(
            "{e:#}\nno workshop server has run with this data folder yet, or it is elsewhere: {}",
            start_hint(&data)
        ))
    })?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| Fail::env(anyhow!("cannot make an HTTP client: {e}")))?;
    let url = format!(
        "{}/api/export?format={}",
        file.url.trim_end_matches('/'),
        format.as_str()
    );
    let resp = match client
        .get(&url)
        .bearer_auth(&file.instructor_token)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) if e.is_connect() || e.is_timeout() => {
            // Stopped: the database has everything.
            let rows = from_database(&data).await.map_err(|why| {
                Fail::env(anyhow!(
                    "the workshop server at {} is not running (or not reachable), and its database cannot be read: {why:#}\n{}",
                    file.url,
                    start_hint(&data)
                ))
            })?;
            eprintln!(
                "the workshop server at {} is not running: exporting from its database",
                file.url
            );
            return write_out(rows_text(&rows, format)?, rows.len(), out.as_deref());
        }
        Err(e) => {
            return Err(Fail::env(anyhow!(
                "cannot ask {} for the export: {e}",
                file.url
            )))
        }
    };
    let status = resp.status();
    let body = resp
        .bytes()
        .await
        .map_err(|e| Fail::env(anyhow!("the export from {} was cut off: {e}", file.url)))?;
    if !status.is_success() {
        let why = serde_json::from_slice::<ApiError>(&body)
            .map(|e| e.error)
            .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
        let hint = if status == reqwest::StatusCode::UNAUTHORIZED {
            format!(
                "\nthe server at {} does not know the instructor token in {}: is another workshop server running on that address?",
                file.url,
                InstructorFile::path(&data).display()
            )
        } else {
            String::new()
        };
        return Err(Fail::env(anyhow!(
            "the workshop server answered {status}: {why}{hint}"
        )));
    }
    let (text, rows) = match format {
        Format::Csv => {
            let text = String::from_utf8(body.to_vec())
                .map_err(|_| Fail::env(anyhow!("the server's CSV is not UTF-8")))?;
            let rows = text.lines().count().saturating_sub(1);
            (text, rows)
        }
        Format::Json => {
            let rows: Vec<ExportRow> = serde_json::from_slice(&body)
                .map_err(|e| Fail::env(anyhow!("the server's export is not valid JSON: {e}")))?;
            let mut text = serde_json::to_string_pretty(&rows)
                .map_err(|e| Fail::env(anyhow!("cannot write JSON: {e}")))?;
            text.push('\n');
            (text, rows.len())
        }
    };
    write_out(text, rows, out.as_deref())
}

/// Every row, read from the data folder's database (the server must be stopped: it holds the
/// database exclusively).
async fn from_database(data: &Path) -> anyhow::Result<Vec<ExportRow>> {
    let path = data.join(super::DB_FILE);
    if !path.is_file() {
        anyhow::bail!("{} does not exist", path.display());
    }
    let heads: Vec<super::proto::ExerciseHead> = crate::catalog::load()?
        .iter()
        .map(|e| super::proto::ExerciseHead {
            id: e.spec.id.clone(),
            chapter: e.spec.chapter,
            title: e.spec.title.clone(),
        })
        .collect();
    tokio::task::spawn_blocking(move || {
        let db = super::db::Db::open(&path)?;
        let mut room = super::room::Room::new(heads, Default::default());
        db.load_room(&mut room)?;
        anyhow::Ok(room.export_rows())
    })
    .await?
}

/// The export's text in `format`.
fn rows_text(rows: &[ExportRow], format: Format) -> Result<String, Fail> {
    Ok(match format {
        Format::Csv => to_csv(rows),
        Format::Json => serde_json::to_string_pretty(rows)
            .map_err(|e| Fail::env(anyhow!("cannot write JSON: {e}")))?,
    })
}

fn write_out(text: String, rows: usize, out: Option<&Path>) -> CmdResult {
    let text = if text.ends_with('\n') {
        text
    } else {
        format!("{text}\n")
    };
    match out {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))
                .map_err(Fail::env)?;
            eprintln!(
                "wrote {rows} rows (student × exercise) to {}; results are self-reported by each student's dockdojo: formative, not proof",
                path.display()
            );
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        assert_eq!(csv_text("Ada"), "Ada");
        assert_eq!(csv_text("Lovelace, Ada"), "\"Lovelace, Ada\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_text("=1+1"), "'=1+1");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("-2"), "'-2");
        assert_eq!(csv_text("+cmd,x"), "\"'+cmd,x\"");
        // Semicolon locales split at `;`: the field is quoted, and stays one field.
        assert_eq!(csv_text(";=cmd|' /C calc'!A0"), "\";=cmd|' /C calc'!A0\"");
        assert_eq!(csv_text("a;b"), "\"a;b\"");
        let rows = vec![ExportRow {
            student: "=HYPERLINK(\"x\")".into(),
            student_id: 3,
            exercise: "00-first-container".into(),
            attempts: 2,
            passed: true,
            first_pass_at: Some(0),
            hints_used: 1,
            source: "self-reported".into(),
            time_spent_s: Some(300),
            solve_s: None,
        }];
        assert_eq!(
            to_csv(&rows),
            format!(
                "{CSV_HEADER}\n\"'=HYPERLINK(\"\"x\"\")\",3,00-first-container,2,true,1970-01-01T00:00:00Z,1,self-reported,300,\n"
            )
        );
    }

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_740_821_445), "2025-03-01T09:30:45Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
