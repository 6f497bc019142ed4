//! Everything that can happen to the dashboard arrives as an [`Event`] on one channel (keys,
//! the server's answers, a once-a-second tick); [`map`] turns each into an [`Action`] in one
//! `match`, depending on what is on screen.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::state::{Dash, Overlay};
use crate::term::input::TermInput;
use crate::workshop::proto::RoomView;

#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Resize,
    /// Once a second, so "last update Ns ago" counts up.
    Tick,
    Signal,
    /// A poll of GET /api/room: the view, or why it failed.
    Room(Result<Box<RoomView>, String>),
    /// An instructor action came back: what it did, or the server's refusal.
    Done(Result<String, String>),
}

impl From<TermInput> for Event {
    fn from(i: TermInput) -> Self {
        match i {
            TermInput::Key(k) => Event::Key(k),
            TermInput::Resize => Event::Resize,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    Help,
    /// The selected student's details.
    Detail,
    Close,
    Redraw,
    Tick,
    /// Move the first visible student row.
    Scroll(isize),
    /// Move the selected exercise column.
    Column(isize),
    Unlock,
    OpenAll,
    LockBack,
    ToggleBreak,
    /// A break with an end time (asks for its minutes).
    TimedBreak,
    Broadcast,
    Hint,
    /// A message to the selected student only.
    Tell,
    /// A hint to the selected student only, about the selected exercise column.
    TellHint,
    /// Moderation of the selected student, or of the room.
    Remove,
    Rename,
    Merge,
    ToggleHidden,
    ToggleLock,
    RotateCode,
    RotateBoardKey,
    RetractLatest,
    ClearBanner,
    Type(char),
    Backspace,
    Submit,
    Room(Result<Box<RoomView>, String>),
    Done(Result<String, String>),
}

/// Rows moved by PgUp / PgDn.
pub const PAGE: isize = 10;

/// The one place where events become actions (`None`: nothing to do, e.g. an unbound key).
pub fn map(event: Event, dash: &Dash) -> Option<Action> {
    use KeyCode as K;
    let key = match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => k,
        Event::Key(_) => return None,
        Event::Resize => return Some(Action::Redraw),
        Event::Tick => return Some(Action::Tick),
        Event::Signal => return Some(Action::Quit),
        Event::Room(r) => return Some(Action::Room(r)),
        Event::Done(r) => return Some(Action::Done(r)),
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == K::Char('c') {
        return Some(Action::Quit);
    }
    Some(match (&dash.overlay, key.code) {
        (Overlay::Prompt(_), K::Esc) => Action::Close,
        (Overlay::Prompt(_), K::Enter) => Action::Submit,
        (Overlay::Prompt(_), K::Backspace) => Action::Backspace,
        (Overlay::Prompt(_), K::Char(c)) if !ctrl => Action::Type(c),
        (Overlay::Prompt(_), _) => return None,
        (Overlay::Help | Overlay::Student(_), _) => Action::Close,
        (Overlay::None, K::Enter) => Action::Detail,
        (Overlay::None, K::Char('q') | K::Esc) => Action::Quit,
        (Overlay::None, K::Char('?')) => Action::Help,
        (Overlay::None, K::Down | K::Char('j')) => Action::Scroll(1),
        (Overlay::None, K::Up | K::Char('k')) => Action::Scroll(-1),
        (Overlay::None, K::PageDown | K::Char(' ')) => Action::Scroll(PAGE),
        (Overlay::None, K::PageUp) => Action::Scroll(-PAGE),
        (Overlay::None, K::Home) => Action::Scroll(isize::MIN / 2),
        (Overlay::None, K::End) => Action::Scroll(isize::MAX / 2),
        (Overlay::None, K::Right | K::Char('l')) => Action::Column(1),
        (Overlay::None, K::Left) => Action::Column(-1),
        (Overlay::None, K::Char('u')) => Action::Unlock,
        (Overlay::None, K::Char('U')) => Action::OpenAll,
        (Overlay::None, K::Char('d')) => Action::LockBack,
        (Overlay::None, K::Char('p')) => Action::ToggleBreak,
        (Overlay::None, K::Char('P')) => Action::TimedBreak,
        (Overlay::None, K::Char('b')) => Action::Broadcast,
        (Overlay::None, K::Char('h')) => Action::Hint,
        (Overlay::None, K::Char('t')) => Action::Tell,
        (Overlay::None, K::Char('T')) => Action::TellHint,
        (Overlay::None, K::Char('x')) => Action::Remove,
        (Overlay::None, K::Char('r')) => Action::Rename,
        (Overlay::None, K::Char('m')) => Action::Merge,
        (Overlay::None, K::Char('H')) => Action::ToggleHidden,
        (Overlay::None, K::Char('L')) => Action::ToggleLock,
        (Overlay::None, K::Char('C')) => Action::RotateCode,
        (Overlay::None, K::Char('K')) => Action::RotateBoardKey,
        (Overlay::None, K::Char('R')) => Action::RetractLatest,
        (Overlay::None, K::Char('c')) => Action::ClearBanner,
        (Overlay::None, _) => return None,
    })
}
