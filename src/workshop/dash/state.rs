//! The dashboard's state, all in one place: the last room view the server sent, whether the
//! server answers, what is on screen (help, a text prompt), the scroll position and the latest
//! note for the instructor. It changes only through [`Dash::update`] (in `update.rs`), which
//! says what should happen outside as [`Effect`]s; it does no I/O, so it is tested directly.

use std::time::{Duration, Instant};

use crate::term::theme::Theme;
use crate::workshop::proto::{ExerciseHead, Moderation, NewMessage, Pace, RoomView, StudentRow};

/// A student counts as connected when the server heard from them this recently (seconds).
pub const CONNECTED_SECS: i64 = 120;

/// Whether the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// No answer yet.
    Connecting,
    Up,
    /// The last request failed with this error.
    Down(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    Prompt(Prompt),
    /// One student's details (by id).
    Student(i64),
}

/// A one-line text input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub purpose: Purpose,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// A message to the whole room.
    Broadcast,
    /// A break of this many minutes.
    BreakMinutes,
    /// Which exercise a hint is about.
    HintExercise,
    /// The hint's text.
    HintText { exercise: String },
    /// A message to one student only; with an exercise, a hint about it.
    Tell {
        student: i64,
        name: String,
        exercise: Option<String>,
    },
    /// A new name for a student.
    Rename { student: i64, name: String },
    /// The student (id or exact name) that `from` is merged into.
    MergeInto { from: i64, name: String },
    /// Enter does it, Esc does not.
    Confirm {
        action: Moderation,
        question: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Good,
    Warn,
}

/// What should happen outside the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// POST /api/pace; the string says what it does ("chapter 4 unlocked").
    Pace(Pace, String),
    /// POST /api/message.
    Send(NewMessage),
    /// POST /api/moderate.
    Moderate(Moderation),
}

#[derive(Debug, Clone)]
pub struct Dash {
    /// The server, for the header.
    pub url: String,
    /// Shown while nobody has joined.
    pub join_code: Option<String>,
    pub room: Option<RoomView>,
    pub link: Link,
    /// When the last room view arrived.
    pub last_ok: Option<Instant>,
    /// The time of the latest update, so rendering needs no clock.
    pub now: Instant,
    pub overlay: Overlay,
    /// First student row on screen.
    pub row: usize,
    /// The selected exercise column (an index into [`Dash::columns`]).
    pub col: usize,
    pub note: Option<(Level, String)>,
    pub theme: Theme,
    pub quit: bool,
}

impl Dash {
    pub fn new(url: String, now: Instant) -> Self {
        Self {
            url,
            join_code: None,
            room: None,
            link: Link::Connecting,
            last_ok: None,
            now,
            overlay: Overlay::None,
            row: 0,
            col: 0,
            note: None,
            theme: Theme::from_env(),
            quit: false,
        }
    }

    /// Time since the last room view arrived.
    pub fn age(&self) -> Option<Duration> {
        self.last_ok.map(|t| self.now.saturating_duration_since(t))
    }

    /// The exercises of the open chapters, in course order: the grid's columns.
    pub fn columns(&self) -> Vec<&ExerciseHead> {
        let Some(room) = &self.room else {
            return Vec::new();
        };
        room.exercises
            .iter()
            .filter(|e| room.unlocked_through.is_none_or(|n| e.chapter <= n))
            .collect()
    }

    /// The highest chapter of the course.
    pub fn last_chapter(&self) -> u32 {
        self.room
            .as_ref()
            .and_then(|r| r.exercises.iter().map(|e| e.chapter).max())
            .unwrap_or(0)
    }

    /// Students the server heard from in the last [`CONNECTED_SECS`].
    pub fn connected(&self) -> usize {
        self.room.as_ref().map_or(0, |r| {
            r.students
                .iter()
                .filter(|s| s.last_seen.is_some_and(|t| r.now - t <= CONNECTED_SECS))
                .count()
        })
    }

    /// Stuck students, most stuck first: the longest failing streak, then the longest silence.
    pub fn stuck(&self) -> Vec<&StudentRow> {
        let Some(room) = &self.room else {
            return Vec::new();
        };
        let mut v: Vec<&StudentRow> = room.students.iter().filter(|s| s.stuck.is_some()).collect();
        v.sort_by_key(|s| {
            let streak = s.cells.values().map(|c| c.fail_streak).max().unwrap_or(0);
            (
                std::cmp::Reverse(streak),
                s.last_seen.unwrap_or(i64::MIN),
                s.id,
            )
        });
        v
    }

    /// The exercise with the most students failing it right now (the default for a hint).
    pub fn most_failed_exercise(&self) -> Option<String> {
        let room = self.room.as_ref()?;
        let mut totals: Vec<(&str, u32)> = Vec::new();
        for f in &room.failing {
            match totals.iter_mut().find(|(e, _)| *e == f.exercise) {
                Some((_, n)) => *n += f.students,
                None => totals.push((&f.exercise, f.students)),
            }
        }
        // The first of the most-failed keeps the server's order on ties.
        let best = totals.iter().map(|(_, n)| *n).max()?;
        totals
            .iter()
            .find(|(_, n)| *n == best)
            .map(|(e, _)| e.to_string())
    }

    /// The selected student: the first row of the grid (moved with the arrows).
    pub fn selected(&self) -> Option<&StudentRow> {
        self.room.as_ref()?.students.get(self.row)
    }

    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.note = Some((level, text.into()));
    }
}

/// Setup health over the room: how many reported ok, failed, or nothing yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub ok: usize,
    pub broken: usize,
    pub unknown: usize,
}

impl Tally {
    pub fn of(values: impl Iterator<Item = Option<bool>>) -> Self {
        let mut t = Tally::default();
        for v in values {
            match v {
                Some(true) => t.ok += 1,
                Some(false) => t.broken += 1,
                None => t.unknown += 1,
            }
        }
        t
    }
}
