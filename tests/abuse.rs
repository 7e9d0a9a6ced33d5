//! Abuse: rate limits on issuing and login, WebSocket caps and Origin check, path traversal
//! on static files, security headers on pages, and malformed input — each with its expected
//! status and error code, and the state unchanged afterwards.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

fn centre(limits: &str) -> String {
    let services = service_toml("hotich", "Hộ tịch", 1001, 1999, "");
    format!(
        "{}\n[limits]\n{limits}\n",
        centre_toml(&services, &[(1, &["hotich"])])
    )
}

/// Status of a WebSocket handshake: 101, or the HTTP status it was refused with.
async fn ws_status(url: &str, origin: Option<&str>) -> u16 {
    let mut req = url.into_client_request().expect("ws request");
    if let Some(o) = origin {
        req.headers_mut()
            .insert("origin", HeaderValue::from_str(o).expect("origin"));
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("ws {url}: {e}"),
    }
}

#[tokio::test]
async fn issuing_is_limited_per_token_and_per_address() {
    let d = Daemon::start_with(&centre(
        "issue_per_min_token = 5\nissue_per_min_ip = 8\nexempt_loopback = false",
    ));
    let api = d.api();
    for _ in 0..5 {
        api.issue("hotich").await;
    }
    let seq = api.seq().await;
    let r = api
        .post("/api/v1/tickets", Some(KIOSK), json!({"service": "hotich"}))
        .await;
    r.expect_error(429, "rate_limited");
    assert_eq!(api.seq().await, seq, "a refused issue changed the state");
    // Another token has its own bucket, but the address's bucket (8) runs out too.
    for _ in 0..3 {
        api.post(
            "/api/v1/tickets",
            Some(SUPERVISOR),
            json!({"service": "hotich"}),
        )
        .await
        .expect(201);
    }
    let r = api
        .post(
            "/api/v1/tickets",
            Some(SUPERVISOR),
            json!({"service": "hotich"}),
        )
        .await;
    r.expect_error(429, "rate_limited");
    assert_eq!(api.seq().await, seq + 3);
}

#[tokio::test]
async fn loopback_is_exempt_by_default() {
    let d = Daemon::start_with(&centre(""));
    let api = d.api();
    // Above the default 60 per minute per token: the daemon's own PC is not limited.
    for _ in 0..70 {
        api.issue("hotich").await;
    }
}

#[tokio::test]
async fn login_locks_out_after_five_wrong_pins() {
    let d = Daemon::start_with(&centre(""));
    let api = d.api();
    for _ in 0..5 {
        let r = api
            .post(
                "/api/v1/login",
                None,
                json!({"staff": "nv01", "pin": "0000", "counter": 1}),
            )
            .await;
        r.expect_error(401, "unauthorized");
    }
    let seq = api.seq().await;
    // Even the right PIN is refused now.
    let r = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "nv01", "pin": PIN, "counter": 1}),
        )
        .await;
    r.expect_error(429, "rate_limited");
    assert_eq!(api.seq().await, seq);
    // A colleague at the same PC is not locked out by nv01's mistakes (issue 14).
    let r = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "nv02", "pin": PIN, "counter": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn websockets_are_capped_per_address_and_in_total() {
    let d = Daemon::start_with(&centre("ws_per_ip = 3\nexempt_loopback = false"));
    let url = d.ws_url();
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(ws_connect(&url).await);
    }
    assert_eq!(ws_status(&url, None).await, 429);
    drop(open.pop());
    // The closed socket's place comes back once the server has noticed.
    let mut ok = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if ws_status(&url, None).await == 101 {
            ok = true;
            break;
        }
    }
    assert!(ok, "a closed socket's place was never given back");

    let d = Daemon::start_with(&centre("ws_total = 2"));
    let url = d.ws_url();
    let _a = ws_connect(&url).await;
    let _b = ws_connect(&url).await;
    assert_eq!(ws_status(&url, None).await, 503);
}

#[tokio::test]
async fn websocket_from_another_site_without_token_is_refused() {
    let d = Daemon::start_with(&centre(""));
    let url = d.ws_url();
    let own = format!("http://{}", d.addr());
    assert_eq!(ws_status(&url, Some("http://evil.example")).await, 403);
    assert_eq!(ws_status(&url, Some("null")).await, 403);
    assert_eq!(ws_status(&url, Some(&own)).await, 101);
    assert_eq!(ws_status(&url, None).await, 101);
    let with_token = ws_url_with(&url, &[("token", DISPLAY)]);
    assert_eq!(
        ws_status(&with_token, Some("http://evil.example")).await,
        101
    );
}

/// A raw HTTP/1.1 GET (no client-side path normalisation): status and body.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn static_files_do_not_leave_their_folders() {
    let d = Daemon::start_with(&centre(""));
    let tries = [
        "/assets/../../Cargo.toml",
        "/assets/../config/default.toml",
        "/assets/%2e%2e/%2e%2e/Cargo.toml",
        "/assets/..%2f..%2fCargo.toml",
        "/assets/%2fetc%2fpasswd",
        "/assets//etc/passwd",
        "/assets/..\\..\\Cargo.toml",
        "/sounds/../../Cargo.toml",
        "/sounds/vi/..%2f..%2f..%2fetc%2fpasswd",
        "/sounds/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/photos/..%2f..%2fetc%2fpasswd",
    ];
    for path in tries {
        let (status, text) = raw_get(d.addr(), path);
        assert!(matches!(status, 400 | 404), "{path}: {status}\n{text}");
        for secret in ["[package]", "root:", "pin_hash"] {
            assert!(!text.contains(secret), "{path} leaked {secret}");
        }
    }
    eprintln!("{} traversal paths refused", tries.len());
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let d = Daemon::start_with(&centre(""));
    for page in [
        "/",
        "/board",
        "/display/1",
        "/clerk",
        "/kiosk",
        "/rating/1",
        "/supervisor",
        "/t/x",
    ] {
        let r = reqwest::get(format!("{}{page}", d.base_url()))
            .await
            .expect("get page");
        assert_eq!(r.status(), 200, "{page}");
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{page}: no CSP"));
        for part in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{page}: CSP lacks {part}: {csp}");
        }
        assert!(!csp.contains("unsafe-eval"), "{page}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{page}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{page}");
    }
}

/// Sends one malformed request; expects `status` with `code`.
async fn expect_refused(
    api: &Api,
    what: &str,
    req: reqwest::RequestBuilder,
    status: u16,
    code: &str,
) {
    let r = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    let got = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(
        (got, body["error"]["code"].as_str().unwrap_or("(not JSON)")),
        (status, code),
        "{what}: {text}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: no message: {text}"
    );
    let _ = api;
}

#[tokio::test]
async fn malformed_input_is_refused_and_changes_nothing() {
    let d = Daemon::start_with(&centre(""));
    let api = d.api();
    let clerk = api.clerk(1).await;
    let t = api.issue("hotich").await;
    let id = id_of(&t);
    let before = api.state_sans_now().await;
    let b = d.base_url();
    let h = &api.http;
    let json_post = |path: &str, token: &str, body: Vec<u8>| {
        h.post(format!("{b}{path}"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
    };
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        ("invalid UTF-8", json_post("/api/v1/tickets", KIOSK, b"{\"service\":\"hot\xffich\"}".to_vec()), 400, "bad_request"),
        ("lone surrogate", json_post("/api/v1/tickets", KIOSK, br#"{"service":"\ud800"}"#.to_vec()), 400, "bad_request"),
        ("not JSON", json_post("/api/v1/tickets", KIOSK, b"service=hotich".to_vec()), 400, "bad_request"),
        ("wrong type", json_post("/api/v1/tickets", KIOSK, br#"{"service":12}"#.to_vec()), 400, "bad_request"),
        ("unknown field", json_post("/api/v1/tickets", KIOSK, br#"{"service":"hotich","x":1}"#.to_vec()), 400, "bad_request"),
        ("deep nesting", json_post("/api/v1/tickets", KIOSK, format!("{{\"service\":{}1", "[".repeat(5000)).into_bytes()), 400, "bad_request"),
        ("NUL in a name", json_post("/api/v1/tickets", KIOSK, br#"{"service":"hotich\u0000"}"#.to_vec()), 404, "unknown_service"),
        ("unknown priority", json_post("/api/v1/tickets", KIOSK, br#"{"service":"hotich","priority":"vip"}"#.to_vec()), 400, "bad_request"),
        ("unknown status", json_post("/api/v1/counters/1/status", &clerk, br#"{"status":"sleeping"}"#.to_vec()), 400, "bad_request"),
        ("huge counter in path", h.post(format!("{b}/api/v1/counters/99999999999999999999/next")).bearer_auth(&clerk), 400, "bad_request"),
        ("negative counter in path", h.post(format!("{b}/api/v1/counters/-1/next")).bearer_auth(&clerk), 400, "bad_request"),
        ("counter 0", h.post(format!("{b}/api/v1/counters/0/next")).bearer_auth(SUPERVISOR), 404, "unknown_counter"),
        ("negative counter at login", json_post("/api/v1/login", "x", br#"{"staff":"nv02","pin":"1234","counter":-1}"#.to_vec()), 400, "bad_request"),
        ("huge score", json_post("/api/v1/ratings", &rating_token(1), br#"{"score":99999999999999999999}"#.to_vec()), 400, "bad_request"),
        ("score 5", json_post("/api/v1/ratings", &rating_token(1), br#"{"score":5}"#.to_vec()), 400, "bad_request"),
        ("score -1", json_post("/api/v1/ratings", &rating_token(1), br#"{"score":-1}"#.to_vec()), 400, "bad_request"),
        ("negative dossier", h.put(format!("{b}/api/v1/dossier-stats")).bearer_auth(SUPERVISOR).header("content-type", "application/json").body(r#"{"received":-5,"on_time":1,"overdue":1,"as_of":"2026-11-22T08:00:00+07:00"}"#), 400, "bad_request"),
        ("huge dossier", h.put(format!("{b}/api/v1/dossier-stats")).bearer_auth(SUPERVISOR).header("content-type", "application/json").body(r#"{"received":1e400,"on_time":1,"overdue":1,"as_of":"2026-11-22T08:00:00+07:00"}"#), 400, "bad_request"),
        ("bad query number", h.get(format!("{b}/ws?since=-1")), 400, "bad_request"),
        ("bad day", h.get(format!("{b}/api/v1/stats?day=99999-99-99")).bearer_auth(SUPERVISOR), 400, "bad_request"),
        ("garbage ticket id", h.get(format!("{b}/api/v1/tickets/..%2f..%2fetc")), 404, "not_found"),
        ("garbage ticket to cancel", h.delete(format!("{b}/api/v1/tickets/{}x", id)), 404, "not_found"),
        ("body over 16 KiB", json_post("/api/v1/tickets", KIOSK, format!("{{\"service\":\"{}\"}}", "a".repeat(17 * 1024)).into_bytes()), 413, "payload_too_large"),
        ("wrong method", h.put(format!("{b}/api/v1/tickets")).bearer_auth(KIOSK), 405, "method_not_allowed"),
    ];
    let n = cases.len();
    for (what, req, status, code) in cases {
        expect_refused(&api, what, req, status, code).await;
    }
    assert_eq!(
        api.state_sans_now().await,
        before,
        "malformed input changed the state"
    );
    eprintln!("{n} malformed inputs refused, state unchanged");
}
