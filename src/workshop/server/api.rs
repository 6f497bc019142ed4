//! The API handlers: join, report, the student's and the instructor's views, pacing, messages,
//! moderation, export, and the image archive's manifest.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::http::{blocking, short, ApiErr, ApiJson, Instructor, StudentAuth};
use super::limits::{addr_key, retry_after_secs};
use super::validate::{valid_name, valid_text, validate_report};
use super::{limits, lock, unix_now, write_instructor_file, App, Shared, MAX_STUDENTS};
use crate::workshop::db::{Db, Inserted};
use crate::workshop::proto::{
    ImageManifest, JoinRequest, JoinResponse, Message, Moderated, Moderation, NewMessage, Pace,
    Report, ReportAck, RoomView, StudentView, MAX_BREAK_MINUTES,
};
use crate::workshop::{
    export, hash_token, names, normalize_code, random_hex, same_secret, InstructorFile,
};

pub(super) async fn join(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<JoinRequest>,
) -> Result<Json<JoinResponse>, ApiErr> {
    let now = Instant::now();
    let right = {
        let code = lock(&app.join_code);
        same_secret(&normalize_code(&req.code), &code)
    };
    if !right {
        // Past the allowance a wrong code is answered slowly; the right one is never refused.
        let slow = {
            let mut limiter = lock(&app.limiter);
            let slow = limiter.is_limited(peer.ip(), now);
            limiter.record_failure(peer.ip(), now);
            slow
        };
        if slow {
            tokio::time::sleep(limits::WRONG_CODE_DELAY).await;
        }
        return Err(ApiErr::wrong_code());
    }
    let name = valid_name(&req.name)?;
    if lock(&app.room).locked {
        return Err(ApiErr::new(
            StatusCode::LOCKED,
            "the room is closed to new students right now: ask the instructor",
        ));
    }
    if let Err(wait) = lock(&app.joins).take(&addr_key(peer.ip()), now) {
        let secs = retry_after_secs(wait);
        return Err(ApiErr::retry(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many joins from your network address just now: try again in {secs} s"),
            secs,
        ));
    }
    let token = random_hex(32);
    let hash = hash_token(&token);
    let at = unix_now();
    let student = blocking(&app, move |app| {
        let mut db = lock(&app.db);
        if lock(&app.room).student_count() >= MAX_STUDENTS {
            return Err(ApiErr::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("room is full ({MAX_STUDENTS} students)"),
            ));
        }
        let name = lock(&app.room).unique_name(&name);
        let id = db.add_student(&name, &hash, at).map_err(ApiErr::internal)?;
        lock(&app.room).add_student(id, name.clone(), hash, at);
        Ok((id, name))
    })
    .await?;
    app.notify();
    Ok(Json(JoinResponse {
        student_id: student.0,
        token,
        name: student.1,
    }))
}

pub(super) async fn report(
    State(app): State<Shared>,
    StudentAuth(student): StudentAuth,
    ApiJson(mut r): ApiJson<Report>,
) -> Result<Json<ReportAck>, ApiErr> {
    validate_report(&app, &mut r)?;
    // Only what would be stored counts: a refused report costs no disk.
    if let Err(wait) = lock(&app.report_rate).take(&student, Instant::now()) {
        // The outbox keeps it and sends it again later.
        let secs = retry_after_secs(wait);
        return Err(ApiErr::retry(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many reports just now: this one is kept and sent again in {secs} s"),
            secs,
        ));
    }
    let at = unix_now();
    let stored = blocking(&app, move |app| {
        let mut db = lock(&app.db);
        if lock(&app.room).reports_of(student) >= limits::REPORTS_PER_STUDENT {
            return Err(ApiErr::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "this room stores at most {} reports per student, and yours are all stored",
                    limits::REPORTS_PER_STUDENT
                ),
            ));
        }
        match db.add_report(student, &r, at).map_err(ApiErr::internal)? {
            Inserted::Stored => {
                lock(&app.room).apply(student, &r, at);
                Ok(true)
            }
            Inserted::Duplicate => Ok(false),
        }
    })
    .await?;
    if !stored {
        return Err(ApiErr::new(StatusCode::CONFLICT, "duplicate report"));
    }
    app.notify();
    Ok(Json(ReportAck { received_at: at }))
}

pub(super) async fn student_view(
    State(app): State<Shared>,
    StudentAuth(student): StudentAuth,
) -> Json<StudentView> {
    Json(lock(&app.room).student_view(student, unix_now()))
}

pub(super) async fn room_view(State(app): State<Shared>, _: Instructor) -> Json<RoomView> {
    Json(app.view())
}

pub(super) async fn pace(
    State(app): State<Shared>,
    _: Instructor,
    ApiJson(p): ApiJson<Pace>,
) -> Result<Json<RoomView>, ApiErr> {
    if let Some(Some(n)) = p.unlocked_through {
        let last = lock(&app.room).last_chapter();
        if n > last {
            return Err(ApiErr::bad(format!(
                "there is no chapter {n}: the course has chapters 0 to {last} (send null to open everything)"
            )));
        }
    }
    let break_until = match (p.on_break, p.break_minutes) {
        (_, None) => None,
        (Some(true), Some(m)) if (1..=MAX_BREAK_MINUTES).contains(&m) => {
            Some(unix_now() + i64::from(m) * 60)
        }
        (Some(true), Some(_)) => {
            return Err(ApiErr::bad(format!(
                "a break lasts 1 to {MAX_BREAK_MINUTES} minutes (leave break_minutes out for no end time)"
            )))
        }
        (_, Some(_)) => return Err(ApiErr::bad("break_minutes goes with \"on_break\": true")),
    };
    blocking(&app, move |app| {
        let mut db = lock(&app.db);
        db.set_pace(p.unlocked_through, p.on_break, break_until)
            .map_err(ApiErr::internal)?;
        let mut room = lock(&app.room);
        if let Some(u) = p.unlocked_through {
            room.unlocked_through = u;
        }
        if let Some(b) = p.on_break {
            room.on_break = b;
            room.break_until = break_until;
        }
        Ok(())
    })
    .await?;
    app.notify();
    Ok(Json(app.view()))
}

pub(super) async fn message(
    State(app): State<Shared>,
    _: Instructor,
    ApiJson(mut m): ApiJson<NewMessage>,
) -> Result<Json<Message>, ApiErr> {
    m.text = valid_text("message", &m.text)?;
    if let Some(ex) = &m.exercise {
        if !lock(&app.room).has_exercise(ex) {
            return Err(ApiErr::bad(format!("unknown exercise `{}`", short(ex, 60))));
        }
    }
    if let Some(id) = m.student {
        if lock(&app.room).name_of(id).is_none() {
            return Err(ApiErr::new(
                StatusCode::NOT_FOUND,
                format!("no student {id}"),
            ));
        }
    }
    let at = unix_now();
    let msg = blocking(&app, move |app| {
        let mut db = lock(&app.db);
        let msg = db.add_message(&m, at).map_err(ApiErr::internal)?;
        lock(&app.room).push_message(msg.clone());
        Ok(msg)
    })
    .await?;
    app.notify();
    Ok(Json(msg))
}

/// Remove, rename, merge or hide a student; lock the room; a new join code; retract a message;
/// clear the board's banner.
pub(super) async fn moderate(
    State(app): State<Shared>,
    _: Instructor,
    ApiJson(m): ApiJson<Moderation>,
) -> Result<Json<Moderated>, ApiErr> {
    let name = match &m {
        Moderation::Rename { name, .. } => Some(valid_name(name)?),
        _ => None,
    };
    let done = blocking(&app, move |app| {
        let mut db = lock(&app.db);
        let known = |id: i64| -> Result<String, ApiErr> {
            lock(&app.room)
                .name_of(id)
                .map(str::to_string)
                .ok_or_else(|| ApiErr::new(StatusCode::NOT_FOUND, format!("no student {id}")))
        };
        let mut code = None;
        let done = match m {
            Moderation::Remove { student } => {
                let who = known(student)?;
                db.remove_student(student).map_err(ApiErr::internal)?;
                rebuild(&db, app)?;
                format!("{who} removed")
            }
            Moderation::Merge { from, into } => {
                if from == into {
                    return Err(ApiErr::bad("merge two different students"));
                }
                let (a, b) = (known(from)?, known(into)?);
                db.merge_students(from, into).map_err(ApiErr::internal)?;
                rebuild(&db, app)?;
                format!("{a} merged into {b}")
            }
            Moderation::Rename { student, .. } => {
                let who = known(student)?;
                let mut room = lock(&app.room);
                // Unique among the others (renaming to one's own name is no change).
                let name = name.unwrap_or_default();
                let fresh = if names::fold(&name) == names::fold(&who) {
                    name
                } else {
                    room.unique_name(&name)
                };
                db.rename_student(student, &fresh)
                    .map_err(ApiErr::internal)?;
                room.rename(student, fresh.clone());
                format!("{who} is now {fresh}")
            }
            Moderation::Hide { student, hidden } => {
                let who = known(student)?;
                db.set_hidden(student, hidden).map_err(ApiErr::internal)?;
                lock(&app.room).set_hidden(student, hidden);
                if hidden {
                    format!("{who} is hidden from the board")
                } else {
                    format!("{who} is shown on the board again")
                }
            }
            Moderation::Lock { locked } => {
                db.note("locked", if locked { "1" } else { "0" })
                    .map_err(ApiErr::internal)?;
                lock(&app.room).locked = locked;
                if locked {
                    "the room is locked: no new students".to_string()
                } else {
                    "the room is open to new students".to_string()
                }
            }
            Moderation::RotateCode => {
                let new = crate::workshop::new_join_code();
                db.set_join_code(&new).map_err(ApiErr::internal)?;
                *lock(&app.join_code) = normalize_code(&new);
                *lock(&app.join_code_shown) = new.clone();
                if let Some(data) = &app.data {
                    let mut file = InstructorFile::load(data).map_err(ApiErr::internal)?;
                    file.join_code = new.clone();
                    write_instructor_file(data, &file).map_err(ApiErr::internal)?;
                }
                code = Some(new.clone());
                format!("new join code {new}: the old one no longer joins")
            }
            Moderation::RotateBoardKey => {
                let new = random_hex(16);
                db.note("board_key", &new).map_err(ApiErr::internal)?;
                *lock(&app.board_key) = new.clone();
                let mut base = String::new();
                if let Some(data) = &app.data {
                    let mut file = InstructorFile::load(data).map_err(ApiErr::internal)?;
                    file.board_key = new.clone();
                    write_instructor_file(data, &file).map_err(ApiErr::internal)?;
                    base = file.url.trim_end_matches('/').to_string();
                }
                format!(
                    "new board key: open boards have closed; the board is now at {base}/board?key={new}"
                )
            }
            Moderation::Retract { message } => {
                if !db.retract_message(message).map_err(ApiErr::internal)? {
                    return Err(ApiErr::new(
                        StatusCode::NOT_FOUND,
                        format!("no message {message}"),
                    ));
                }
                lock(&app.room).retract(message);
                "message retracted".to_string()
            }
            Moderation::ClearBanner => {
                let mut room = lock(&app.room);
                let last = room.latest_message().unwrap_or(0);
                db.note("banner_cleared_through", &last.to_string())
                    .map_err(ApiErr::internal)?;
                room.banner_cleared_through = last;
                "the board shows no message".to_string()
            }
        };
        Ok(Moderated {
            done,
            join_code: code,
        })
    })
    .await?;
    app.notify();
    Ok(Json(done))
}

/// Rebuild the in-memory room from the database (after a removal or a merge).
fn rebuild(db: &Db, app: &App) -> Result<(), ApiErr> {
    let mut room = lock(&app.room);
    let mut fresh = room.fresh();
    db.load_room(&mut fresh).map_err(ApiErr::internal)?;
    *room = fresh;
    Ok(())
}

#[derive(Deserialize)]
pub(super) struct ExportQuery {
    format: String,
}

pub(super) async fn export_rows(
    State(app): State<Shared>,
    _: Instructor,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiErr> {
    let format = q.map(|Query(q)| q.format).unwrap_or_default();
    let rows = lock(&app.room).export_rows();
    match format.as_str() {
        "json" => Ok(Json(rows).into_response()),
        "csv" => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            export::to_csv(&rows),
        )
            .into_response()),
        _ => Err(ApiErr::bad("add ?format=csv or ?format=json")),
    }
}

pub(super) async fn images_manifest(
    State(app): State<Shared>,
) -> Result<Json<ImageManifest>, ApiErr> {
    app.manifest.clone().map(Json).ok_or_else(no_archive)
}

pub(super) fn no_archive() -> ApiErr {
    ApiErr::new(
        StatusCode::NOT_FOUND,
        "this workshop server hands out no image archive: ask the instructor (they restart it with --archive FILE, made by `dockdojo prepare --save FILE`), or run `dockdojo prepare`",
    )
}
