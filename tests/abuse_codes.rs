//! Issue 7 against the real daemon: booking codes cannot be guessed (wrong codes lock an
//! address or a token out of cancelling and checking in), and a phone's daily cap of remote
//! tickets survives a restart, graceful or `kill -9`, without its address in the journal.
//!
//! Other client addresses are real: the whole of 127.0.0.0/8 is loopback on Linux, so a
//! client bound to 127.0.0.2 reaches the daemon on 127.0.0.1 as another address (the tests
//! turn `exempt_loopback` off to be limited at all).

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// The day the daemon's clock is set to (08:00 there), so slots and days are fixed.
const DAY: &str = "2031-05-05";
/// Codes no booking has (well-formed, and not).
const WRONG: [&str; 4] = ["ZZZZZZ", "YYYYYY", "nope", "XXXXXX"];

/// `hen` takes appointments, `tuxa` gives phones tickets (2 per phone, 50 in all).
fn centre(limits: &str) -> String {
    let services = [
        service_toml("hen", "Tiếp nhận theo lịch hẹn", 1001, 1999, ALL_DAY_SLOTS),
        service_toml(
            "tuxa",
            "Trả kết quả",
            2001,
            2999,
            "remote = true\nremote_cap = 50",
        ),
    ]
    .concat();
    let text = centre_toml(&services, &[(1, &["hen"]), (2, &["tuxa"])]);
    format!("{text}\n[limits]\n{limits}\n")
}

fn clock_offset() -> String {
    clock_at(&format!("{DAY}T08:00:00+07:00"))
}

fn start(limits: &str) -> Daemon {
    Daemon::start_with_env(&centre(limits), &[(CLOCK, &clock_offset())])
}

/// A client of `d` whose requests come from `ip` (127.0.0.x).
fn client(d: &Daemon, ip: &str) -> Api {
    let ip: IpAddr = ip.parse().expect("ip");
    let http = reqwest::Client::builder()
        .no_proxy()
        .local_address(ip)
        .timeout(Duration::from_secs(15))
        .build()
        .expect("reqwest client");
    Api {
        base: d.base_url(),
        http,
    }
}

async fn book(api: &Api, hm: &str) -> String {
    let start = format!("{DAY}T{hm}:00+07:00");
    let r = api
        .post(
            "/api/v1/bookings",
            None,
            json!({"service": "hen", "start": start}),
        )
        .await;
    r.expect(201)["code"].as_str().expect("code").to_string()
}

async fn cancel(api: &Api, code: &str, token: Option<&str>) -> Resp {
    api.delete(&format!("/api/v1/bookings/{code}"), token).await
}

async fn check_in(api: &Api, code: &str, token: &str) -> Resp {
    api.post("/api/v1/checkins", Some(token), json!({ "code": code }))
        .await
}

/// What a look-up could change: the day's bookings as a supervisor lists them (code and
/// whether checked in) and the line of `hen`. (Not seq: the daemon's timer may add alerts.)
async fn booked(api: &Api) -> Value {
    let r = api
        .get(&format!("/api/v1/bookings?day={DAY}"), Some(SUPERVISOR))
        .await;
    let list: Vec<Value> = r.expect(200)["bookings"]
        .as_array()
        .expect("bookings")
        .iter()
        .map(|b| json!([b["code"], b["ticket"].is_null()]))
        .collect();
    json!({"bookings": list, "waiting": waiting_count(&api.state(None).await, "hen")})
}

/// A lockout's answer, with its `Retry-After` (seconds, at most the lockout).
async fn assert_locked(api: &Api, method: reqwest::Method, path: &str, token: Option<&str>) {
    let mut rb = api.http.request(method, format!("{}{path}", api.base));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if path.ends_with("/checkins") {
        rb = rb.json(&json!({"code": "ZZZZZZ"}));
    }
    let r = rb.send().await.expect("request");
    assert_eq!(r.status(), 429, "{path} during the lockout");
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_booking_codes_lock_out_the_address_and_the_token() {
    let d = start("exempt_loopback = false\ncode_failures = 3\ncode_lockout_s = 60");
    let (a, b) = (client(&d, "127.0.0.1"), client(&d, "127.0.0.2"));
    let codes = [book(&a, "09:00").await, book(&a, "09:30").await];
    let (c1, c2) = (&codes[0], &codes[1]);
    let c3 = book(&a, "10:00").await;

    // Address A: three wrong codes (a malformed one too), then even right codes are refused.
    for wrong in &WRONG[..3] {
        cancel(&a, wrong, None)
            .await
            .expect_error(404, "unknown_booking");
    }
    let before = booked(&a).await;
    cancel(&a, c1, None).await.expect_error(429, "rate_limited");
    check_in(&a, c1, KIOSK)
        .await
        .expect_error(429, "rate_limited");
    let path = format!("/api/v1/bookings/{c1}");
    assert_locked(&a, reqwest::Method::DELETE, &path, None).await;
    assert_locked(&a, reqwest::Method::POST, "/api/v1/checkins", Some(KIOSK)).await;
    assert_eq!(
        booked(&a).await,
        before,
        "a refused look-up changed the state"
    );
    // The QR route draws any well-formed code and looks nothing up: same answer for a booked
    // code and a free one, and no lockout.
    for code in [c1.as_str(), "ZZZZZZ"] {
        let r = a
            .get(&format!("/api/v1/bookings/{code}/qr.svg"), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.text.contains("<svg"), "{}", r.text);
    }

    // Address B is not affected. Right codes neither count nor clear the count: two wrong,
    // one right (checked in), one more wrong locks B out.
    cancel(&b, WRONG[0], None)
        .await
        .expect_error(404, "unknown_booking");
    check_in(&b, WRONG[1], KIOSK)
        .await
        .expect_error(404, "unknown_booking");
    let t = check_in(&b, c1, KIOSK).await.expect(201).clone();
    assert_eq!(t["priority"], "appointment", "{t}");
    check_in(&b, c1, KIOSK)
        .await
        .expect_error(409, "already_checked_in");
    cancel(&b, WRONG[3], None)
        .await
        .expect_error(404, "unknown_booking");
    let before = booked(&b).await;
    cancel(&b, c2, None).await.expect_error(429, "rate_limited");
    assert_eq!(
        booked(&b).await,
        before,
        "a refused cancel changed the state"
    );

    // The kiosk token has one wrong code (from B); two more from other addresses (one each,
    // under their own limit) lock the token out wherever it is used.
    for ip in ["127.0.0.3", "127.0.0.4"] {
        check_in(&client(&d, ip), WRONG[2], KIOSK)
            .await
            .expect_error(404, "unknown_booking");
    }
    let e = client(&d, "127.0.0.5");
    let before = booked(&e).await;
    check_in(&e, &c3, KIOSK)
        .await
        .expect_error(429, "rate_limited");
    assert_eq!(
        booked(&e).await,
        before,
        "a refused check-in changed the state"
    );
    // …while address E and another token still look codes up.
    cancel(&e, WRONG[0], None)
        .await
        .expect_error(404, "unknown_booking");
    let r = check_in(&e, &c3, SUPERVISOR).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = cancel(&e, c2, None).await;
    assert_eq!(r.expect(200)["status"], "cancelled");
}

#[tokio::test(flavor = "multi_thread")]
async fn loopback_clients_are_exempt_from_the_code_limit_by_default() {
    let d = start("code_failures = 3");
    let api = d.api();
    let code = book(&api, "09:00").await;
    for i in 0..12 {
        cancel(&api, WRONG[i % WRONG.len()], None)
            .await
            .expect_error(404, "unknown_booking");
    }
    cancel(&api, &code, None).await.expect(200);
}

// ---------------------------------------------------------------------------------------
// Remote tickets per phone across restarts
// ---------------------------------------------------------------------------------------

/// A new phone: the signed `xephang_client` cookie the allowance route sets.
async fn new_phone(api: &Api) -> String {
    let r = api
        .http
        .get(format!("{}/api/v1/remote-tickets", api.base))
        .send()
        .await
        .expect("GET remote-tickets");
    let set = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("Set-Cookie");
    set.split(';').next().expect("cookie pair").to_string()
}

async fn take(api: &Api, cookie: &str) -> Resp {
    api.request(
        reqwest::Method::POST,
        "/api/v1/remote-tickets",
        None,
        Body::Json(json!({"service": "tuxa"})),
        &[("cookie", cookie)],
    )
    .await
}

async fn used(api: &Api, cookie: &str) -> (u64, u64) {
    let r = api
        .request(
            reqwest::Method::GET,
            "/api/v1/remote-tickets",
            None,
            Body::None,
            &[("cookie", cookie)],
        )
        .await;
    let v = r.expect(200);
    (
        v["used"].as_u64().expect("used"),
        v["left"].as_u64().expect("left"),
    )
}

#[track_caller]
fn assert_phone_cap(r: &Resp) {
    r.expect_error(429, "rate_limited");
    assert!(r.message().contains("ki-ốt"), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phones_daily_cap_survives_restarts_and_kill9() {
    let mut d = Daemon::start_with_env(&centre(""), &[(CLOCK, &clock_offset())]);
    let api = d.api();
    // Screens never see a phone's tag: a board and a supervisor watch throughout.
    let board = Collector::open(&d.ws_url()).await;
    let watcher = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    let (a, b, c) = (
        new_phone(&api).await,
        new_phone(&api).await,
        new_phone(&api).await,
    );
    take(&api, &a).await.expect(201);
    take(&api, &a).await.expect(201);
    assert_phone_cap(&take(&api, &a).await);
    assert_eq!(used(&api, &a).await, (2, 0));
    let seq = api.seq().await;
    for socket in [&board, &watcher] {
        socket.wait_seq(seq, Duration::from_secs(5)).await;
        let frames = socket.frames();
        assert!(
            frames.iter().any(|f| f.event_type() == "ticket_issued"),
            "the phone tickets were seen"
        );
        for f in frames {
            assert!(
                !f.raw.contains("\"client\""),
                "a phone tag on a socket: {}",
                f.raw
            );
        }
    }

    // Graceful restart: the journal still knows phone a's two tickets.
    d.restart_gracefully();
    let api = d.api();
    assert_eq!(used(&api, &a).await, (2, 0), "allowance after a restart");
    let waiting = waiting_count(&api.state(None).await, "tuxa");
    assert_phone_cap(&take(&api, &a).await);
    let after = waiting_count(&api.state(None).await, "tuxa");
    assert_eq!(after, waiting, "a refused ticket joined the line");
    take(&api, &b).await.expect(201);

    // kill -9: the same.
    d.restart();
    let api = d.api();
    assert_phone_cap(&take(&api, &a).await);
    take(&api, &b).await.expect(201);
    assert_phone_cap(&take(&api, &b).await);
    assert_eq!(used(&api, &b).await, (2, 0));

    // Phone c sends its two tickets' worth of requests and more at once: the engine decides
    // the cap, so exactly two pass.
    let tries: Vec<_> = (0..6)
        .map(|_| {
            let (api, c) = (api.clone(), c.clone());
            tokio::spawn(async move { take(&api, &c).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.expect("task"));
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 201, 429, 429, 429, 429]);

    // The journal counts phones by an opaque tag, never by address or cookie.
    let mut journal = String::new();
    for f in std::fs::read_dir(d.data_dir().join("journal")).expect("journal dir") {
        let path = f.expect("entry").path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            journal.push_str(&std::fs::read_to_string(&path).expect("read journal"));
        }
    }
    let tagged = journal.matches("\"client\":\"").count();
    assert_eq!(tagged, 6, "each phone ticket carries its tag");
    assert!(!journal.contains("127.0.0.1"), "an address in the journal");
    for cookie in [&a, &b, &c] {
        let id = cookie
            .split_once('=')
            .and_then(|(_, v)| v.split_once('.'))
            .map(|(id, _)| id)
            .expect("cookie id");
        assert!(!journal.contains(id), "a cookie id in the journal");
    }
}
