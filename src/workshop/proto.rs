//! The workshop wire protocol: every request and response body, shared by the server, the
//! student client and the instructor dashboard. JSON; unknown fields are refused
//! (`deny_unknown_fields`) so a typo or a probe is a 400, not silently ignored.
//!
//! Endpoints (all under the server's base URL):
//!
//! | method | path                    | who                       | body → answer                      |
//! |--------|-------------------------|---------------------------|------------------------------------|
//! | POST   | `/api/join`             | anyone with the join code | [`JoinRequest`] → [`JoinResponse`] |
//! | POST   | `/api/report`           | student token             | [`Report`] → [`ReportAck`]         |
//! | GET    | `/api/student`          | student token             | → [`StudentView`]                  |
//! | GET    | `/api/room`             | instructor token          | → [`RoomView`]                     |
//! | POST   | `/api/pace`             | instructor token          | [`Pace`] → [`RoomView`]            |
//! | POST   | `/api/message`          | instructor token          | [`NewMessage`] → [`Message`] (room or one student) |
//! | POST   | `/api/moderate`         | instructor token          | [`Moderation`] → [`Moderated`]     |
//! | GET    | `/api/export?format=csv\|json` | instructor token   | → CSV or [`ExportRow`] list        |
//! | GET    | `/board?key=K`          | the projector (board key) | → HTML page (read-only)            |
//! | GET    | `/board/events?key=K`   | the projector (board key) | → SSE stream of [`BoardView`]      |
//! | GET    | `/images/manifest`      | anyone                    | → [`ImageManifest`] (404 if none)  |
//! | GET    | `/images/archive`       | anyone                    | → the archive bytes (Range works)  |
//!
//! Tokens travel as `Authorization: Bearer <token>`. Errors are [`ApiError`] with a status code.
//! Every timestamp is the server's (Unix seconds); what a student sends is self-reported.
//!
//! Versions: the server and its students' clients are expected to be the same dockdojo version
//! (the instructor hands out one). A field added later is `#[serde(default)]`, so an older
//! client's request still reads; a newer client's extra field is refused by an older server
//! (`deny_unknown_fields`) with a 400, and the client sets that report aside
//! (`outbox/rejected/`) and says so instead of retrying it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest display name a student may choose (characters).
pub const MAX_NAME_CHARS: usize = 40;
/// Longest free text in a report (summary) or an instructor message (characters).
pub const MAX_TEXT_CHARS: usize = 500;
/// Largest request body the server reads (bytes); more is a 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The steps `dockdojo doctor` reports; a doctor report's other names arrive as "other".
pub const DOCTOR_STEPS: &[&str] = &[
    "daemon",
    "version",
    "builder",
    "runtime notes",
    "storage",
    "course image",
    "container runs",
    "stdin/stdout",
    "published port",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JoinResponse {
    pub student_id: i64,
    /// The per-student secret; the server keeps only its hash.
    pub token: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// The result of grading one exercise.
    Check,
    /// `dockdojo doctor`: does the student's Docker work?
    Doctor,
    /// `dockdojo prepare`: are the course images there?
    Prepare,
}

/// One outcome, reported by a student's dockdojo in the background.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Unique per report (a UUID made when it was queued). The server keeps each id once per
    /// student: a resend after a lost answer or a replay is refused with 409 and changes nothing.
    pub id: String,
    pub kind: ReportKind,
    /// The exercise id for `check`; absent for doctor/prepare.
    #[serde(default)]
    pub exercise: Option<String>,
    pub passed: bool,
    /// Names of the checks that failed (for `check`), or of failed doctor steps.
    #[serde(default)]
    pub failed: Vec<String>,
    /// One line for the instructor ("step 3: port 8080 does not answer").
    #[serde(default)]
    pub summary: String,
    /// Hints the student has opened for this exercise so far.
    #[serde(default)]
    pub hints_used: u32,
    /// When the student's machine made it (Unix seconds; informative only).
    #[serde(default)]
    pub client_time: Option<i64>,
    /// For `check`: seconds the student's course app measured on this exercise so far (idle
    /// stretches not counted; `progress.json`'s `time_spent_s`). Absent from older clients and
    /// from doctor/prepare reports.
    #[serde(default)]
    pub time_spent_s: Option<u64>,
    /// Who started the check: the learner (`dockdojo check`, a key or a saved file in the
    /// app), or dockdojo on its own (the first run of `watch`, a re-check after a Docker
    /// event). Only the learner's count as attempts and towards "stuck". Absent: the learner
    /// (older clients); never sent for the learner, so an older server reads those reports.
    #[serde(default, skip_serializing_if = "StartedBy::is_learner")]
    pub started_by: StartedBy,
}

/// Who started a check ([`Report::started_by`]).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, Hash)]
#[serde(rename_all = "snake_case")]
pub enum StartedBy {
    /// The learner asked for it: an attempt.
    #[default]
    Learner,
    /// dockdojo checked on its own: the result is kept, but it is no attempt.
    Auto,
}

impl StartedBy {
    pub fn is_learner(&self) -> bool {
        *self == StartedBy::Learner
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReportAck {
    /// Server time the report was stored.
    pub received_at: i64,
}

/// What a student's app shows from the room: pacing and messages (the room's and their own).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct StudentView {
    /// Chapters up to and including this one are open; `None`: all open.
    pub unlocked_through: Option<u32>,
    pub on_break: bool,
    /// The most recent messages, oldest first.
    pub messages: Vec<Message>,
    /// On a break the instructor gave a length: seconds left of it, by the server's clock when
    /// it answered (0 once it is over and the instructor has not ended it yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_left_s: Option<u64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Message,
    Hint,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub text: String,
    /// For a hint: the exercise it is about.
    #[serde(default)]
    pub exercise: Option<String>,
    /// For one student only (their id); absent: the whole room.
    #[serde(default)]
    pub student: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub id: i64,
    pub kind: MessageKind,
    pub text: String,
    #[serde(default)]
    pub exercise: Option<String>,
    pub at: i64,
    /// Sent to this student only (never on the board); absent: to the whole room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student: Option<i64>,
}

/// Pacing, set by the instructor. Fields left out are unchanged.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Pace {
    /// `Some(Some(n))`: open chapters 0..=n; `Some(None)`: open everything.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub unlocked_through: Option<Option<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_break: Option<bool>,
    /// With `on_break: true`: the break lasts this many minutes (1 to [`MAX_BREAK_MINUTES`]);
    /// absent: no end time. Ending the break forgets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_minutes: Option<u32>,
}

/// Longest break with an end time (minutes).
pub const MAX_BREAK_MINUTES: u32 = 240;

/// The whole room, for the instructor dashboard and the projector board.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RoomView {
    /// Server time this view was computed.
    pub now: i64,
    /// The course's exercises in order.
    pub exercises: Vec<ExerciseHead>,
    pub students: Vec<StudentRow>,
    /// The checks most students are failing right now (latest result per student), most first.
    pub failing: Vec<FailingCheck>,
    pub unlocked_through: Option<u32>,
    pub on_break: bool,
    pub messages: Vec<Message>,
    /// Always true: every result was computed on a student's machine (formative, not proof).
    pub self_reported: bool,
    /// New students are refused (the instructor locked the room).
    #[serde(default)]
    pub locked: bool,
    /// On a break with an end time: when it ends (server time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_until: Option<i64>,
}

/// One event of the board's stream (`/board/events`): the room as the projector shows it,
/// and what its join screen shows. Only holders of the board key get it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BoardView {
    #[serde(flatten)]
    pub room: RoomView,
    pub join: JoinScreen,
}

/// The board's join screen: how students reach this room.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JoinScreen {
    /// The address students use (`http://host:port`); `None` when the server listens on every
    /// network and found no main address (the instructor names it instead).
    pub url: Option<String>,
    /// The join code as the instructor was given it (dashes included); follows a rotation.
    pub code: String,
    /// The command students run: `dockdojo workshop join URL CODE --name "Your Name"`.
    pub command: String,
    /// A QR code of `url` as a standalone SVG document (no text, no script), drawn on the
    /// server so the board needs nothing from the network.
    pub qr_svg: Option<String>,
    /// The course image archive this server hands out (`serve --archive`), if any.
    pub archive: Option<JoinArchive>,
}

/// The archive line of the join screen.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JoinArchive {
    /// Hex SHA-256 of the archive.
    pub sha256: String,
    pub size: u64,
    /// The command students run: `dockdojo prepare --from URL --sha256 HEX`.
    pub command: String,
}

/// What the instructor can do to the room (`POST /api/moderate`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Moderation {
    /// Remove a student and their reports (their token stops working).
    Remove { student: i64 },
    /// Give a student another name (normalised and unique like a joined name).
    Rename { student: i64, name: String },
    /// Move every report of `from` to `into` and remove `from` (a ghost row after a re-join).
    Merge { from: i64, into: i64 },
    /// Hide a student from the projector board, or show them again.
    Hide { student: i64, hidden: bool },
    /// Refuse new students, or let them join again.
    Lock { locked: bool },
    /// A new join code; the old one stops working (joined students are not affected).
    RotateCode,
    /// A new board key: boards open with the old one close, and the old address stops working
    /// (someone read it off the projector).
    RotateBoardKey,
    /// Withdraw a message from students' apps and the board.
    Retract { message: i64 },
    /// The board stops showing the latest message (students keep it).
    ClearBanner,
}

/// What a moderation did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Moderated {
    /// In words, for the dashboard ("Ada (2) merged into Ada").
    pub done: String,
    /// After `rotate_code`: the new join code.
    #[serde(default)]
    pub join_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExerciseHead {
    pub id: String,
    pub chapter: u32,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StudentRow {
    pub id: i64,
    pub name: String,
    pub joined_at: i64,
    /// Last report of any kind (server time); `None` if none yet.
    pub last_seen: Option<i64>,
    /// Latest doctor / prepare outcome: `None` not reported yet.
    pub doctor_ok: Option<bool>,
    pub prepare_ok: Option<bool>,
    /// Keyed by exercise id; exercises never attempted are absent.
    pub cells: BTreeMap<String, Cell>,
    /// Why this student looks stuck, if they do ("05-named-volume: `volume data` failed 4 times
    /// in a row", "no report for 12 min").
    pub stuck: Option<String>,
    /// Hidden from the projector board by the instructor (still on the dashboard and in exports).
    #[serde(default)]
    pub hidden: bool,
    /// The steps the latest `doctor` failed (doctor step names).
    #[serde(default)]
    pub doctor_failed: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    pub attempts: u32,
    pub passed: bool,
    /// Server time of the first passing report.
    pub first_pass_at: Option<i64>,
    /// The first failing check of the latest attempt, if it failed.
    pub failing_check: Option<String>,
    /// How many latest attempts in a row failed on that same check.
    pub fail_streak: u32,
    pub hints_used: u32,
    /// The latest failed attempt's one-line summary, as the student's dockdojo wrote it (the
    /// instructor's views only: never sent to the board).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FailingCheck {
    pub exercise: String,
    pub check: String,
    /// Students whose latest attempt of this exercise fails on this check.
    pub students: u32,
}

/// One line of `workshop export`: a student × exercise.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExportRow {
    pub student: String,
    pub student_id: i64,
    pub exercise: String,
    pub attempts: u32,
    pub passed: bool,
    /// Server time of the first pass (Unix seconds).
    pub first_pass_at: Option<i64>,
    pub hints_used: u32,
    /// Always "self-reported": graded on the student's machine.
    pub source: String,
    /// Seconds the student's course app measured on the exercise, as of their latest report
    /// that carried it (self-reported; `None` when no report did).
    #[serde(default)]
    pub time_spent_s: Option<u64>,
    /// Server clock: seconds from the first report on the exercise to the first pass; `None`
    /// until it passed.
    #[serde(default)]
    pub solve_s: Option<u64>,
}

/// The course image archive the instructor's server hands out (`prepare --from URL`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ImageManifest {
    /// Hex SHA-256 of the archive.
    pub sha256: String,
    pub size: u64,
    /// The images inside (name:tag).
    pub images: Vec<String>,
}

/// Every error answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    pub error: String,
}

/// `Option<Option<T>>` that tells "absent" from `null`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(inner) => inner.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_refused() {
        let e = serde_json::from_str::<JoinRequest>(r#"{"code":"a","name":"b","admin":true}"#);
        assert!(e.unwrap_err().to_string().contains("unknown field `admin`"));
    }

    #[test]
    fn pace_tells_absent_from_null() {
        let p: Pace = serde_json::from_str(r#"{"unlocked_through":null}"#).unwrap();
        assert_eq!(p.unlocked_through, Some(None));
        let p: Pace = serde_json::from_str(r#"{"on_break":true}"#).unwrap();
        assert_eq!(p.unlocked_through, None);
        let p: Pace = serde_json::from_str(r#"{"unlocked_through":3}"#).unwrap();
        assert_eq!(p.unlocked_through, Some(Some(3)));
        for p in [
            Pace::default(),
            Pace {
                unlocked_through: Some(None),
                on_break: Some(false),
                break_minutes: None,
            },
            Pace {
                unlocked_through: Some(Some(2)),
                on_break: Some(true),
                break_minutes: Some(15),
            },
        ] {
            let back: Pace = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
            assert_eq!(back, p);
        }
    }
}
