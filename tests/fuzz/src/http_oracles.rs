//! The oracles of the `http_request` fuzz target (see `http_request.rs` for the list): what
//! every answer must look like, and the invariants of the supervisor's snapshot. A broken one
//! panics with the request and the answer.

use std::collections::{HashMap, HashSet};

use axum::http::{header, HeaderMap, Method, StatusCode};
use serde_json::Value;

fn is_snake_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// What credentials a request carries (a token may come by header or by `?token=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Display,
    Kiosk,
    /// A rating tablet of that counter.
    Rating(u32),
    /// The clerk on duty at that counter.
    Clerk(u32),
    Supervisor,
}

/// A request as sent, for the oracles.
pub struct Sent<'a> {
    /// For messages: method, target, headers in short.
    pub what: &'a str,
    pub method: &'a Method,
    pub path: &'a str,
    /// Every role whose token appears anywhere in the request (header or query).
    pub roles: &'a [Role],
    /// `Accept-Language` asks for English.
    pub english: bool,
    /// The request holds non-ASCII text (which an error message may quote).
    pub non_ascii: bool,
}

/// The oracles on one answer (see the module doc).
pub fn check_answer(sent: &Sent, status: StatusCode, headers: &HeaderMap, body: &[u8]) {
    let what = sent.what;
    let text = || String::from_utf8_lossy(&body[..body.len().min(600)]).to_string();
    assert!(
        status != StatusCode::REQUEST_TIMEOUT,
        "{what}: 408, the handler hung for the whole request timeout"
    );
    let head = *sent.method == Method::HEAD;
    let api = sent.path.starts_with("/api/") || sent.path == "/ws";
    let error = status.is_client_error() || status.is_server_error();
    let mut code = None;
    if error && (api || status.is_server_error()) && !head {
        let v: Value = serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{what}: {status} answer is not JSON ({e}): {}", text()));
        let c = v["error"]["code"].as_str();
        let message = v["error"]["message"].as_str().unwrap_or("");
        assert!(
            c.is_some_and(is_snake_case) && !message.trim().is_empty(),
            "{what}: {status} answer is not {{\"error\":{{code,message}}}}: {}",
            text()
        );
        assert!(
            !(sent.english && !sent.non_ascii && message.chars().any(is_vietnamese)),
            "{what}: Accept-Language: en, but the message is Vietnamese: {message}"
        );
        code = c.map(str::to_string);
    }
    if status.is_server_error() {
        assert!(
            status == StatusCode::SERVICE_UNAVAILABLE
                && (head || code.as_deref() == Some("unavailable")),
            "{what}: {status} {}",
            text()
        );
        let t = text();
        assert!(
            !t.contains("panicked") && !t.contains("has stopped"),
            "{what}: 503 reporting a crash: {t}"
        );
    }
    if let Some(code) = &code {
        let expected = HashMap::from([
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            (StatusCode::FORBIDDEN, "forbidden"),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        ]);
        if let Some(e) = expected.get(&status) {
            assert_eq!(code, e, "{what}: status {status} with code {code}");
        }
    }
    if !status.is_success() {
        return;
    }
    assert!(
        permitted(sent),
        "{what}: {status} for a request without the role this route needs (roles {:?}): {}",
        sent.roles,
        text()
    );
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json && !head {
        let v: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
            panic!(
                "{what}: {status} JSON answer does not parse ({e}): {}",
                text()
            )
        });
        let staff = sent
            .roles
            .iter()
            .any(|r| matches!(r, Role::Clerk(_) | Role::Supervisor));
        if sent.path == "/api/v1/state" && !staff {
            assert!(
                v.get("waiting").is_none() && v.get("alerts").is_none() && !has_ticket_id(&v),
                "{what}: the public snapshot shows the queue or ticket ids: {}",
                text()
            );
        }
    }
}

/// Letters of Vietnamese that English text does not use (đ, ư, ơ, ă and the Latin Extended
/// Additional block of tone marks).
fn is_vietnamese(c: char) -> bool {
    matches!(c, 'đ' | 'Đ' | 'ư' | 'Ư' | 'ơ' | 'Ơ' | 'ă' | 'Ă')
        || ('\u{1EA0}'..='\u{1EF9}').contains(&c)
}

/// Whether a ticket (an object with a `number`) shows its id somewhere in `v`.
fn has_ticket_id(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            (m.contains_key("number") && m.contains_key("id")) || m.values().any(has_ticket_id)
        }
        Value::Array(a) => a.iter().any(has_ticket_id),
        _ => false,
    }
}

/// Whether the roles of `sent` may get a success from its route (docs/API.md, roles):
/// kiosk routes, clerk routes (own counter only), supervisor routes. Routes open to the
/// public are not checked here.
fn permitted(sent: &Sent) -> bool {
    let has = |f: &dyn Fn(Role) -> bool| sent.roles.iter().any(|r| f(*r));
    if has(&|r| r == Role::Supervisor) {
        return true;
    }
    let method = if *sent.method == Method::HEAD {
        "GET"
    } else {
        sent.method.as_str()
    };
    let segs: Vec<&str> = sent.path.split('/').skip(1).collect();
    let counter = |s: &str| s.parse::<u32>().ok();
    match (method, segs.as_slice()) {
        ("GET", ["metrics"]) => false,
        (m, ["api", "v1", rest @ ..]) => match (m, rest) {
            ("POST", ["tickets"] | ["checkins"]) => has(&|r| r == Role::Kiosk),
            ("POST", ["tickets", _, "requeue"]) => has(&|r| matches!(r, Role::Clerk(_))),
            (
                "POST",
                ["counters", n, "next" | "recall" | "no-show" | "finish" | "transfer" | "status"],
            ) => has(&|r| Some(r) == counter(n).map(Role::Clerk)),
            ("GET", ["counters", n, "rating-target"]) => has(&|r| {
                Some(r) == counter(n).map(Role::Clerk) || Some(r) == counter(n).map(Role::Rating)
            }),
            ("GET", ["stats"] | ["reports", ..] | ["bookings"]) | ("PUT", ["dossier-stats"]) => {
                false
            }
            ("POST", ["logout"]) => has(&|r| matches!(r, Role::Clerk(_))),
            ("GET", ["me"]) => !sent.roles.is_empty(),
            _ => true,
        },
        _ => true,
    }
}

/// The invariants of the supervisor's snapshot; returns how many tickets wait.
pub fn check_snapshot(snap: &Value) -> usize {
    let empty = Vec::new();
    let waiting = snap["waiting"].as_array().unwrap_or(&empty);
    let counters = snap["counters"].as_array().unwrap_or(&empty);
    let mut numbers = HashSet::new();
    let mut ids = HashSet::new();
    let mut per_service: HashMap<&str, u64> = HashMap::new();
    let current = counters
        .iter()
        .map(|c| &c["current"])
        .filter(|t| !t.is_null());
    for (t, expected) in waiting
        .iter()
        .map(|t| (t, "waiting"))
        .chain(current.map(|t| (t, "called")))
    {
        let number = t["number"].as_str().expect("a ticket has a number");
        let id = t["id"].as_str().expect("a supervisor sees ticket ids");
        assert!(
            numbers.insert(number),
            "two live tickets share number {number}: {t}"
        );
        assert!(ids.insert(id), "ticket {id} is live twice: {t}");
        assert_eq!(t["status"], expected, "ticket in the wrong list: {t}");
        if expected == "waiting" {
            *per_service
                .entry(t["service"].as_str().unwrap_or(""))
                .or_default() += 1;
        }
    }
    for s in snap["services"].as_array().unwrap_or(&empty) {
        let id = s["id"].as_str().unwrap_or("");
        let count = per_service.get(id).copied().unwrap_or(0);
        assert_eq!(
            s["waiting"].as_u64(),
            Some(count),
            "service {id}: `waiting` disagrees with its {count} waiting tickets"
        );
    }
    waiting.len()
}

/// The oracles fire: each check is shown failing on an answer that breaks it.
#[cfg(test)]
mod tests {
    use super::*;

    fn sent<'a>(method: &'a Method, path: &'a str, roles: &'a [Role]) -> Sent<'a> {
        Sent {
            what: "test",
            method,
            path,
            roles,
            english: true,
            non_ascii: false,
        }
    }

    fn fails(f: impl FnOnce() + std::panic::UnwindSafe) -> bool {
        std::panic::catch_unwind(f).is_err()
    }

    #[test]
    fn roles_are_enforced() {
        let post = Method::POST;
        let get = Method::GET;
        let next = "/api/v1/counters/1/next";
        assert!(!permitted(&sent(&post, next, &[])));
        assert!(!permitted(&sent(
            &post,
            next,
            &[Role::Clerk(2), Role::Kiosk]
        )));
        assert!(permitted(&sent(&post, next, &[Role::Clerk(1)])));
        assert!(permitted(&sent(&post, next, &[Role::Supervisor])));
        assert!(!permitted(&sent(&get, "/api/v1/stats", &[Role::Clerk(1)])));
        assert!(!permitted(&sent(&Method::HEAD, "/metrics", &[Role::Kiosk])));
        assert!(!permitted(&sent(
            &post,
            "/api/v1/tickets",
            &[Role::Display]
        )));
        assert!(permitted(&sent(&post, "/api/v1/remote-tickets", &[])));
    }

    #[test]
    fn answers_are_checked() {
        let fails_with = |status: StatusCode, body: &'static str| {
            fails(move || {
                let get = Method::GET;
                let s = sent(&get, "/api/v1/state", &[]);
                check_answer(&s, status, &HeaderMap::new(), body.as_bytes());
            })
        };
        let error = r#"{"error":{"code":"not_found","message":"Not found."}}"#;
        assert!(!fails_with(StatusCode::NOT_FOUND, error));
        assert!(fails_with(StatusCode::NOT_FOUND, "Not found"));
        assert!(fails_with(StatusCode::UNAUTHORIZED, error));
        let vi = r#"{"error":{"code":"not_found","message":"Không tìm thấy."}}"#;
        assert!(fails_with(StatusCode::NOT_FOUND, vi));
        assert!(fails_with(StatusCode::INTERNAL_SERVER_ERROR, error));
        assert!(fails_with(StatusCode::REQUEST_TIMEOUT, error));
    }

    #[test]
    fn snapshots_are_checked() {
        let t = |id: &str, number: &str| serde_json::json!({"id": id, "number": number, "status": "waiting", "service": "a"});
        let snap = |waiting: Vec<Value>, count: usize| {
            serde_json::json!({"waiting": waiting, "counters": [],
                "services": [{"id": "a", "waiting": count}]})
        };
        assert_eq!(check_snapshot(&snap(vec![t("x", "1"), t("y", "2")], 2)), 2);
        assert!(fails(|| {
            check_snapshot(&snap(vec![t("x", "1"), t("y", "1")], 2));
        }));
        assert!(fails(|| {
            check_snapshot(&snap(vec![t("x", "1")], 2));
        }));
    }
}
