//! [`Dash::update`]: how each action changes the state, and what it asks of the outside world.

use std::time::Instant;

use super::action::Action;
use super::state::{Dash, Effect, Level, Link, Overlay, Prompt, Purpose};
use crate::workshop::proto::{
    MessageKind, Moderation, NewMessage, Pace, MAX_BREAK_MINUTES, MAX_TEXT_CHARS,
};

impl Dash {
    pub fn update(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        self.now = now;
        let mut fx = Vec::new();
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.overlay = Overlay::Help,
            Action::Detail => match self.selected() {
                Some(s) => self.overlay = Overlay::Student(s.id),
                None => self.say(Level::Warn, NO_STUDENT),
            },
            Action::Close => self.overlay = Overlay::None,
            Action::Redraw | Action::Tick => {}
            Action::Scroll(n) => {
                let rows = self.room.as_ref().map_or(0, |r| r.students.len());
                self.row = self
                    .row
                    .saturating_add_signed(n)
                    .min(rows.saturating_sub(1));
            }
            Action::Column(n) => {
                let cols = self.columns().len();
                self.col = self
                    .col
                    .saturating_add_signed(n)
                    .min(cols.saturating_sub(1));
            }
            Action::Unlock => self.unlock(&mut fx),
            Action::OpenAll => self.pace(
                Pace {
                    unlocked_through: Some(None),
                    on_break: None,
                    break_minutes: None,
                },
                "every chapter is open".into(),
                &mut fx,
            ),
            Action::LockBack => self.lock_back(&mut fx),
            Action::ToggleBreak => self.toggle_break(&mut fx),
            Action::TimedBreak => self.ask(Purpose::BreakMinutes, "15".into()),
            Action::Broadcast => self.ask(Purpose::Broadcast, String::new()),
            Action::Hint => {
                let default = self.most_failed_exercise().unwrap_or_default();
                self.ask(Purpose::HintExercise, default);
            }
            Action::Tell => self.ask_tell(),
            Action::TellHint => self.ask_tell_hint(),
            Action::Remove => self.ask_remove(),
            Action::Rename => self.ask_rename(),
            Action::Merge => self.ask_merge(),
            Action::ToggleHidden => match self.selected() {
                Some(s) => {
                    let m = Moderation::Hide {
                        student: s.id,
                        hidden: !s.hidden,
                    };
                    self.moderate(m, &mut fx);
                }
                None => self.say(Level::Warn, NO_STUDENT),
            },
            Action::ToggleLock => match &self.room {
                Some(r) => {
                    let m = Moderation::Lock { locked: !r.locked };
                    self.moderate(m, &mut fx);
                }
                None => self.say(Level::Warn, NO_ROOM),
            },
            Action::RotateCode => self.confirm(
                Moderation::RotateCode,
                "A new join code? The old one stops joining; joined students stay.".into(),
            ),
            Action::RotateBoardKey => self.confirm(
                Moderation::RotateBoardKey,
                "A new board key? Open boards close; reopen the board at the address shown next."
                    .into(),
            ),
            Action::RetractLatest => self.ask_retract(),
            Action::ClearBanner => self.moderate(Moderation::ClearBanner, &mut fx),
            Action::Type(c) => {
                if let Overlay::Prompt(p) = &mut self.overlay {
                    if !c.is_control() && p.text.chars().count() < MAX_TEXT_CHARS {
                        p.text.push(c);
                    }
                }
            }
            Action::Backspace => {
                if let Overlay::Prompt(p) = &mut self.overlay {
                    p.text.pop();
                }
            }
            Action::Submit => self.submit(&mut fx),
            Action::Room(Ok(room)) => {
                self.room = Some(*room);
                self.link = Link::Up;
                self.last_ok = Some(now);
                let rows = self.room.as_ref().map_or(0, |r| r.students.len());
                self.row = self.row.min(rows.saturating_sub(1));
                self.col = self.col.min(self.columns().len().saturating_sub(1));
            }
            Action::Room(Err(e)) => self.link = Link::Down(e),
            Action::Done(Ok(what)) => self.say(Level::Good, what),
            Action::Done(Err(why)) => self.say(Level::Warn, why),
        }
        fx
    }

    fn toggle_break(&mut self, fx: &mut Vec<Effect>) {
        match &self.room {
            Some(r) => {
                let on = !r.on_break;
                let what = if on { "break started" } else { "break over" };
                self.pace(
                    Pace {
                        unlocked_through: None,
                        on_break: Some(on),
                        break_minutes: None,
                    },
                    what.into(),
                    fx,
                );
            }
            None => self.say(Level::Warn, NO_ROOM),
        }
    }

    /// A message to the selected student.
    fn ask_tell(&mut self) {
        match self.selected() {
            Some(s) => {
                let (student, name) = (s.id, s.name.clone());
                self.ask(
                    Purpose::Tell {
                        student,
                        name,
                        exercise: None,
                    },
                    String::new(),
                );
            }
            None => self.say(Level::Warn, NO_STUDENT),
        }
    }

    /// The hint for the selected column's exercise, to the selected student.
    fn ask_tell_hint(&mut self) {
        let exercise = self.columns().get(self.col).map(|e| e.id.clone());
        match (self.selected(), exercise) {
            (Some(s), Some(exercise)) => {
                let (student, name) = (s.id, s.name.clone());
                self.ask(
                    Purpose::Tell {
                        student,
                        name,
                        exercise: Some(exercise),
                    },
                    String::new(),
                );
            }
            (None, _) => self.say(Level::Warn, NO_STUDENT),
            (Some(_), None) => self.say(Level::Warn, NO_ROOM),
        }
    }

    fn ask_remove(&mut self) {
        if let Some(s) = self.selected() {
            let (id, name) = (s.id, s.name.clone());
            self.confirm(
                Moderation::Remove { student: id },
                format!("Remove {name} and their results? Their app must join again."),
            );
        } else {
            self.say(Level::Warn, NO_STUDENT);
        }
    }

    fn ask_rename(&mut self) {
        match self.selected() {
            Some(s) => {
                let (student, name) = (s.id, s.name.clone());
                self.ask(
                    Purpose::Rename {
                        student,
                        name: name.clone(),
                    },
                    name,
                );
            }
            None => self.say(Level::Warn, NO_STUDENT),
        }
    }

    fn ask_merge(&mut self) {
        match self.selected() {
            Some(s) => {
                let (from, name) = (s.id, s.name.clone());
                self.ask(Purpose::MergeInto { from, name }, String::new());
            }
            None => self.say(Level::Warn, NO_STUDENT),
        }
    }

    /// Retracting the latest message, confirmed first: the question names where it goes away.
    fn ask_retract(&mut self) {
        let latest = self.room.as_ref().and_then(|r| r.messages.last());
        match latest {
            Some(m) => {
                let (id, text) = (m.id, super::text::fit(&m.text, 40));
                let from = match m.student {
                    Some(s) => {
                        let who = self
                            .room
                            .as_ref()
                            .and_then(|r| r.students.iter().find(|x| x.id == s))
                            .map_or_else(|| "that student".to_string(), |x| x.name.clone());
                        format!("from {}'s app", super::text::fit(&who, 30))
                    }
                    None => "from every app and the board".to_string(),
                };
                self.confirm(
                    Moderation::Retract { message: id },
                    format!("Retract \"{text}\" {from}?"),
                );
            }
            None => self.say(Level::Info, "no message to retract"),
        }
    }

    fn ask(&mut self, purpose: Purpose, text: String) {
        self.note = None;
        self.overlay = Overlay::Prompt(Prompt { purpose, text });
    }

    fn confirm(&mut self, action: Moderation, question: String) {
        self.ask(Purpose::Confirm { action, question }, String::new());
    }

    fn moderate(&mut self, m: Moderation, fx: &mut Vec<Effect>) {
        self.overlay = Overlay::None;
        self.say(Level::Info, "sending…");
        fx.push(Effect::Moderate(m));
    }

    fn pace(&mut self, pace: Pace, what: String, fx: &mut Vec<Effect>) {
        self.say(Level::Info, format!("sending: {what}…"));
        fx.push(Effect::Pace(pace, what));
    }

    fn unlock(&mut self, fx: &mut Vec<Effect>) {
        let Some(room) = &self.room else {
            return self.say(Level::Warn, NO_ROOM);
        };
        let last = self.last_chapter();
        match room.unlocked_through {
            None => self.say(Level::Info, "every chapter is already open"),
            Some(n) if n >= last => self.say(
                Level::Info,
                format!("chapter {n} is the last one: everything is open"),
            ),
            Some(n) => self.pace(
                Pace {
                    unlocked_through: Some(Some(n + 1)),
                    on_break: None,
                    break_minutes: None,
                },
                format!("chapter {} unlocked", n + 1),
                fx,
            ),
        }
    }

    fn lock_back(&mut self, fx: &mut Vec<Effect>) {
        let Some(room) = &self.room else {
            return self.say(Level::Warn, NO_ROOM);
        };
        let target = match room.unlocked_through {
            Some(0) => {
                return self.say(Level::Info, "only chapter 0 is open: nothing to lock");
            }
            Some(n) => n - 1,
            None => self.last_chapter().saturating_sub(1),
        };
        self.pace(
            Pace {
                unlocked_through: Some(Some(target)),
                on_break: None,
                break_minutes: None,
            },
            format!("chapters after {target} locked"),
            fx,
        );
    }

    fn submit(&mut self, fx: &mut Vec<Effect>) {
        let Overlay::Prompt(p) = &self.overlay else {
            return;
        };
        let text = p.text.trim().to_string();
        match p.purpose.clone() {
            Purpose::Broadcast | Purpose::HintText { .. } | Purpose::Tell { .. }
                if text.is_empty() =>
            {
                self.say(Level::Warn, "type the text first (Esc cancels)");
            }
            Purpose::Broadcast => {
                self.overlay = Overlay::None;
                self.say(Level::Info, "sending the message…");
                fx.push(Effect::Send(NewMessage {
                    kind: MessageKind::Message,
                    text,
                    exercise: None,
                    student: None,
                }));
            }
            Purpose::Tell {
                student,
                name,
                exercise,
            } => {
                self.overlay = Overlay::None;
                let kind = match &exercise {
                    Some(ex) => {
                        self.say(Level::Info, format!("sending the hint for {ex} to {name}…"));
                        MessageKind::Hint
                    }
                    None => {
                        self.say(Level::Info, format!("sending the message to {name}…"));
                        MessageKind::Message
                    }
                };
                fx.push(Effect::Send(NewMessage {
                    kind,
                    text,
                    exercise,
                    student: Some(student),
                }));
            }
            Purpose::HintExercise => {
                let known = self
                    .room
                    .as_ref()
                    .is_some_and(|r| r.exercises.iter().any(|e| e.id == text));
                if known {
                    self.ask(Purpose::HintText { exercise: text }, String::new());
                } else {
                    self.say(
                        Level::Warn,
                        format!("no exercise {text:?}: type an id like 05-named-volume"),
                    );
                }
            }
            Purpose::Confirm { action, .. } => self.moderate(action, fx),
            Purpose::BreakMinutes => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_BREAK_MINUTES).contains(&n) => {
                    self.overlay = Overlay::None;
                    self.pace(
                        Pace {
                            unlocked_through: None,
                            on_break: Some(true),
                            break_minutes: Some(n),
                        },
                        format!("break started: {n} min"),
                        fx,
                    );
                }
                _ => self.say(
                    Level::Warn,
                    format!("type the break's length in minutes, 1 to {MAX_BREAK_MINUTES}"),
                ),
            },
            Purpose::Rename { .. } if text.is_empty() => {
                self.say(Level::Warn, "type the new name first (Esc cancels)");
            }
            Purpose::Rename { student, .. } => {
                self.moderate(
                    Moderation::Rename {
                        student,
                        name: text,
                    },
                    fx,
                );
            }
            Purpose::MergeInto { from, .. } => {
                let into = self.room.as_ref().and_then(|r| {
                    r.students
                        .iter()
                        .find(|s| s.name == text || s.id.to_string() == text)
                        .map(|s| s.id)
                });
                match into {
                    Some(into) if into != from => {
                        self.moderate(Moderation::Merge { from, into }, fx)
                    }
                    Some(_) => self.say(Level::Warn, "pick another student to merge into"),
                    None => self.say(
                        Level::Warn,
                        format!("no student {text:?}: type their exact name or their number"),
                    ),
                }
            }
            Purpose::HintText { exercise } => {
                self.overlay = Overlay::None;
                self.say(Level::Info, format!("sending the hint for {exercise}…"));
                fx.push(Effect::Send(NewMessage {
                    kind: MessageKind::Hint,
                    text,
                    exercise: Some(exercise),
                    student: None,
                }));
            }
        }
    }
}

const NO_ROOM: &str = "no answer from the server yet: wait for the room to load";
const NO_STUDENT: &str = "no student selected: move to one with ↑↓";
