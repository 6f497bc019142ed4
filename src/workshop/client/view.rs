//! What the room tells a student: the view from the server (pacing, a break, messages), the
//! notes `check` prints under its verdict once, and the app's poll.

use super::*;

/// GET /api/student.
pub async fn student_view(
    joined: &Joined,
    timeout: Duration,
) -> Result<proto::StudentView, String> {
    let client = http(timeout).map_err(|e| e.to_string())?;
    let resp = client
        .get(format!("{}/api/student", joined.url))
        .bearer_auth(&joined.token)
        .send()
        .await
        .map_err(|e| cause(&e))?;
    match resp.status() {
        StatusCode::OK => resp.json().await.map_err(|e| cause(&e)),
        StatusCode::UNAUTHORIZED => Err(unauthorized_line().to_string()),
        s => Err(format!(
            "the server answered {}: {}",
            s.as_u16(),
            api_error(resp).await
        )),
    }
}

pub(super) fn print_view(v: &proto::StudentView) {
    match v.unlocked_through {
        None => println!("Chapters open: all."),
        Some(n) => println!(
            "Chapters open: 0 to {n}; later chapters open when your instructor unlocks them."
        ),
    }
    match (v.on_break, v.break_left_s) {
        (false, _) => {}
        (true, Some(s)) if s > 0 => {
            println!("The room is on a break: {} min left.", s.div_ceil(60))
        }
        (true, _) => println!("The room is on a break."),
    }
    let recent: Vec<&proto::Message> = v.messages.iter().rev().take(5).collect();
    if !recent.is_empty() {
        println!("Latest from your instructor:");
        for m in recent.into_iter().rev() {
            println!("  {}", message_line(m));
        }
    }
}

/// One instructor message as a line ("Hint for 05-named-volume: …"; "(to you)" first when it
/// was sent to this student only).
pub fn message_line(m: &proto::Message) -> String {
    let line = match (m.kind, &m.exercise) {
        (proto::MessageKind::Hint, Some(ex)) => format!("Hint for {ex}: {}", m.text),
        (proto::MessageKind::Hint, None) => format!("Hint: {}", m.text),
        (proto::MessageKind::Message, _) => m.text.clone(),
    };
    if m.student.is_some() {
        format!("(to you) {line}")
    } else {
        line
    }
}

/// For `dockdojo check`: the fetch of the room's state after the verdict (never longer).
pub const NOTES_TIMEOUT: Duration = Duration::from_millis(1500);
/// The id of the latest instructor message `check` has shown, in the state folder.
pub(super) const SEEN_FILE: &str = "workshop-seen";

/// What `check` prints under its verdict from the room's state: the break while there is
/// one, and the instructor's latest message if `check` has not shown it yet (it is then
/// marked shown). Control characters a server might send are dropped.
pub fn room_notes(state_dir: &Path, v: &proto::StudentView) -> Vec<String> {
    let mut out = Vec::new();
    match (v.on_break, v.break_left_s) {
        (false, _) => {}
        (true, None) => {
            out.push("Break: the room is on a break; your instructor says when it is over.".into())
        }
        (true, Some(0)) => {
            out.push("Break: its time is up; your instructor ends it in a moment.".into())
        }
        (true, Some(s)) => out.push(format!(
            "Break: {} min left, then back to the exercises.",
            s.div_ceil(60)
        )),
    }
    let seen: i64 = std::fs::read_to_string(state_dir.join(SEEN_FILE))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if let Some(m) = v.messages.iter().max_by_key(|m| m.id) {
        if m.id > seen {
            let line: String = message_line(m)
                .chars()
                .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
                .filter(|c| !c.is_control())
                .collect();
            out.push(format!("From your instructor: {line}"));
            let _ = std::fs::write(state_dir.join(SEEN_FILE), m.id.to_string());
        }
    }
    out
}

/// After `check`'s verdict: the room's state in a few lines, if this workspace joined a
/// workshop and the server answers within [`NOTES_TIMEOUT`]; silent otherwise.
pub async fn print_room_notes(state_dir: &Path) {
    let Ok(Some(joined)) = Joined::load(state_dir) else {
        return;
    };
    if let Ok(v) = student_view(&joined, NOTES_TIMEOUT).await {
        for line in room_notes(state_dir, &v) {
            println!("{line}");
        }
    }
}

/// How the course app sees the room after one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomStatus {
    pub link: Link,
    /// Reports still queued.
    pub queued: usize,
    /// The room's pacing and messages (the last one seen, when unreachable now).
    pub view: Option<proto::StudentView>,
}

/// The app's connection to the room, as of the last poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Connected,
    Unreachable(String),
    /// The server does not know this workspace's token.
    Unknown,
}

/// For the course app: deliver the outbox, then fetch the room's view. `None`: not joined.
pub async fn poll(state_dir: &Path, deadline: Duration) -> Option<RoomStatus> {
    let joined = Joined::load(state_dir).ok()??;
    let d = outbox::deliver(state_dir, &joined, Instant::now() + deadline).await;
    let mut status = RoomStatus {
        link: Link::Connected,
        queued: d.queued,
        view: None,
    };
    match d.stop {
        Some(Stop::Unauthorized) => status.link = Link::Unknown,
        Some(Stop::Unreachable(why)) => status.link = Link::Unreachable(why),
        None => match student_view(&joined, deadline).await {
            Ok(v) => status.view = Some(v),
            Err(why) if why == unauthorized_line() => status.link = Link::Unknown,
            Err(why) => status.link = Link::Unreachable(why),
        },
    }
    Some(status)
}
