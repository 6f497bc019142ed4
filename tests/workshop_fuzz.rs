//! Fuzzing the workshop API (docs/RELIABILITY.md rule 11): random JSON of every shape, random
//! bytes, and near-valid bodies with one field broken are sent to the real
//! `dockdojo workshop serve` on every endpoint that reads a body, as a stranger, a student and
//! the instructor. The properties: the server never answers 5xx and never dies, every refusal is
//! a JSON error with a reason, and what it accepts is exactly what it stores (a joined name comes
//! back as sent, normalised: see `shown_name`). Cases per property: proptest's default (256), or `PROPTEST_CASES`.

mod common;
mod workshop_support;

use std::sync::LazyLock;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{json, Map, Value};
use workshop_support::Server;

/// The server under fuzzing and a student of it.
struct Room {
    server: Server,
    student: String,
}

fn client() -> &'static reqwest::blocking::Client {
    static C: LazyLock<reqwest::blocking::Client> = LazyLock::new(|| {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("an HTTP client")
    });
    &C
}

/// POST raw bytes as JSON; returns the status and the body.
fn post(room: &Room, path: &str, token: Option<&str>, body: Vec<u8>) -> (u16, String) {
    let mut req = client()
        .post(format!("{}{path}", room.server.url))
        .header("content-type", "application/json")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req
        .send()
        .unwrap_or_else(|e| panic!("POST {path}: no answer ({e:?})\n{}", room.server.log()));
    let status = resp.status().as_u16();
    (status, resp.text().unwrap_or_default())
}

/// The answer is a success or a clean refusal with a JSON reason; never a server error (a full
/// room, 503, is the one refusal in the 5xx range: with many cases the fuzzing fills it).
fn assert_clean(room: &Room, path: &str, status: u16, body: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        status < 500 || (status == 503 && body.contains("room is full")),
        "{path} answered {status}: {body}\n{}",
        room.server.log()
    );
    if status >= 400 {
        let v: Value = serde_json::from_str(body)
            .map_err(|e| TestCaseError::fail(format!("{path} {status}: not JSON ({e}): {body}")))?;
        prop_assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path} {status}: no reason: {body}"
        );
    }
    Ok(())
}

/// JSON of any shape, with the protocol's field names mixed in so objects get past the first
/// unknown-field check now and then.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,60}".prop_map(Value::from),
        Just(Value::from("x".repeat(20_000))),
        Just(Value::from("<img src=x onerror=alert(1)>")),
        Just(Value::from("\u{202e}\u{0000}\u{001b}[2J")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "code",
            "name",
            "id",
            "kind",
            "exercise",
            "passed",
            "failed",
            "summary",
            "hints_used",
            "client_time",
            "time_spent_s",
            "unlocked_through",
            "on_break",
            "text",
        ])
        .prop_map(str::to_string),
        "[a-z_]{1,12}",
    ]
}

/// A valid report with one field replaced by anything.
fn near_valid_report() -> impl Strategy<Value = Value> {
    (field_name(), any_json(), any::<bool>()).prop_map(|(k, v, drop)| {
        let mut r = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "kind": "check",
            "exercise": "00-first-container",
            "passed": false,
            "failed": ["created"],
            "summary": "step 1",
            "hints_used": 1,
        });
        let obj = r.as_object_mut().expect("an object");
        if drop {
            obj.remove(&k);
        } else {
            obj.insert(k, v);
        }
        r
    })
}

/// A name as the room shows it: invisible characters removed, spaces collapsed and trimmed
/// (the oracle for src/workshop/server/names.rs).
fn shown_name(name: &str) -> String {
    let invisible = |c: char| {
        matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
    };
    let mut out = String::new();
    for c in name.chars() {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !invisible(c) {
            out.push(c);
        }
    }
    out.trim_end().to_string()
}

fn run<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{name}: {e}");
    }
}

/// One server for all the properties (starting one per case would test start-up, not input);
/// owned here, so it is stopped however the test ends.
#[test]
fn the_workshop_api_answers_any_input_cleanly() {
    let server = Server::start();
    let student = server.join("fuzz student");
    let room = Room { server, student };
    let room = &room;

    run(
        "any body on any endpoint gets a clean answer",
        (
            prop_oneof![
                any_json().prop_map(|v| serde_json::to_vec(&v).expect("JSON")),
                prop::collection::vec(any::<u8>(), 0..300),
            ],
            0usize..3,
            prop::sample::select(vec![
                "/api/join",
                "/api/report",
                "/api/pace",
                "/api/message",
            ]),
        ),
        |(body, who, path)| {
            let token = match who {
                0 => None,
                1 => Some(room.student.clone()),
                _ => Some(room.server.token()),
            };
            let (status, text) = post(room, path, token.as_deref(), body);
            assert_clean(room, path, status, &text)
        },
    );

    run(
        "near-valid reports are stored or refused cleanly",
        near_valid_report(),
        |report| {
            let (status, text) = post(
                room,
                "/api/report",
                Some(&room.student),
                serde_json::to_vec(&report).expect("JSON"),
            );
            assert_clean(room, "/api/report", status, &text)?;
            // 429: past the student's report rate (the outbox sends it again later).
            prop_assert!(
                matches!(status, 200 | 400 | 409 | 413 | 429),
                "{status}: {text}"
            );
            Ok(())
        },
    );

    run(
        "a joined name comes back exactly as sent",
        "\\PC{1,40}",
        |name| {
            let body = serde_json::to_vec(&json!({"code": room.server.code(), "name": name}))
                .expect("JSON");
            let (status, text) = post(room, "/api/join", None, body);
            assert_clean(room, "/api/join", status, &text)?;
            if status == 503 || status == 429 {
                return Ok(()); // the room is full, or joins from this address come too fast
            }
            let expected = shown_name(&name);
            if status == 200 {
                // As sent, spaces collapsed and invisible characters removed; ` (n)` when the
                // room has that name already.
                let v: Value = serde_json::from_str(&text).expect("JSON");
                let got = v["name"].as_str().unwrap_or_default().to_string();
                let base = got
                    .rsplit_once(" (")
                    .filter(|(_, n)| n.ends_with(')'))
                    .map(|(b, _)| b.to_string());
                prop_assert!(
                    got == expected || base.is_some_and(|b| expected.starts_with(b.trim_end())),
                    "sent {name:?}, stored {got:?}"
                );
            } else {
                // Refused names show nothing, or carry control or direction characters.
                prop_assert_eq!(status, 400, "{}", text);
                prop_assert!(
                    expected.chars().all(|c| c == ' '
                        || ('\u{300}'..='\u{36f}').contains(&c)
                        || ('\u{20d0}'..='\u{20ff}').contains(&c))
                        || name.chars().any(|c| c.is_control()
                            || ('\u{202a}'..='\u{202e}').contains(&c)
                            || ('\u{2066}'..='\u{2069}').contains(&c)),
                    "refused {name:?}: {text}"
                );
            }
            Ok(())
        },
    );

    // After all that, the server is alive and its room still reads as the protocol says.
    let (status, view) = room
        .server
        .call("GET", "/api/room", Some(&room.server.token()), None);
    assert_eq!(status, 200, "{view}");
    assert!(
        view["students"].as_array().is_some_and(|s| !s.is_empty()),
        "{view}"
    );
    assert_eq!(view["self_reported"], true);
}
