//! The admin page's API (issue 20), on the real daemon: who may use it, staff and PINs,
//! devices and revocation, counters and services, bad input changing nothing.
//! Persistence (restart, day change), secrets and `config export` are in admin_persist.rs.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

/// The demo centre on a Monday morning (every service issues).
fn start() -> Daemon {
    let toml = std::fs::read_to_string(default_config()).expect("demo config");
    Daemon::start_with_env(&toml, &[(CLOCK, &clock_at("2031-05-05T09:00:00+07:00"))])
}

async fn patch(api: &Api, path: &str, token: Option<&str>, body: Value) -> Resp {
    api.request(reqwest::Method::PATCH, path, token, Body::Json(body), &[])
        .await
}

/// Every admin route with a valid body.
fn routes() -> Vec<(reqwest::Method, &'static str, Value)> {
    use reqwest::Method as M;
    vec![
        (M::GET, "/api/v1/admin/staff", Value::Null),
        (
            M::POST,
            "/api/v1/admin/staff",
            json!({"id": "c01", "name": "Lê Văn C"}),
        ),
        (
            M::PATCH,
            "/api/v1/admin/staff/nv01",
            json!({"name": "Nguyễn Văn An"}),
        ),
        (M::POST, "/api/v1/admin/staff/nv01/reset-pin", Value::Null),
        (M::GET, "/api/v1/admin/devices", Value::Null),
        (
            M::POST,
            "/api/v1/admin/devices",
            json!({"name": "TV 2", "role": "display"}),
        ),
        (
            M::PATCH,
            "/api/v1/admin/devices/TV%20s%E1%BA%A3nh%20ch%C3%ADnh",
            json!({"name": "TV A"}),
        ),
        (
            M::DELETE,
            "/api/v1/admin/devices/Kiosk%20s%E1%BA%A3nh",
            Value::Null,
        ),
        (
            M::PATCH,
            "/api/v1/admin/counters/3",
            json!({"services": ["datdai"], "mode": "fifo"}),
        ),
        (
            M::PATCH,
            "/api/v1/admin/services/datdai",
            json!({"target_wait_s": 1200}),
        ),
        (
            M::PATCH,
            "/api/v1/admin/notice",
            json!({"vi": "Xin chào", "en": "Hello"}),
        ),
        (M::GET, "/api/v1/admin/audit", Value::Null),
    ]
}

async fn call(
    api: &Api,
    m: &reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> Resp {
    let b = if body.is_null() {
        Body::None
    } else {
        Body::Json(body.clone())
    };
    api.request(m.clone(), path, token, b, &[]).await
}

#[tokio::test]
async fn only_supervisors_may_use_the_admin_routes() {
    let d = start();
    let api = d.api();
    let clerk = api.clerk(1).await;
    let before = api.state_sans_now().await;
    for (m, path, body) in routes() {
        let r = call(&api, &m, path, None, &body).await;
        r.expect_error(401, "unauthorized");
        for token in [DISPLAY, KIOSK, &rating_token(1), &clerk] {
            let r = call(&api, &m, path, Some(token), &body).await;
            assert_eq!(
                r.status, 403,
                "{m} {path} with a non-supervisor token: {}",
                r.text
            );
        }
    }
    assert_eq!(
        api.state_sans_now().await,
        before,
        "refused calls changed the state"
    );
    let audit = api.get("/api/v1/admin/audit", Some(SUPERVISOR)).await;
    assert_eq!(audit.expect(200), &json!([]), "nothing was changed");
    // The supervisor (device and staff session) may.
    let sup = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": SUPERVISOR_STAFF, "pin": SUPERVISOR_PIN}),
        )
        .await;
    let sup_token = sup.expect(200)["token"]
        .as_str()
        .expect("token")
        .to_string();
    for (m, path, body) in routes() {
        let token = if path.contains("devices/Kiosk") {
            SUPERVISOR
        } else {
            &sup_token
        };
        let r = call(&api, &m, path, Some(token), &body).await;
        assert!((200..300).contains(&r.status), "{m} {path}: {}", r.text);
    }
    // The audit names the supervisor who made each change, newest first.
    let audit = api.get("/api/v1/admin/audit", Some(SUPERVISOR)).await;
    let list = audit.expect(200).as_array().expect("list").clone();
    assert_eq!(list.len(), 9, "{list:?}");
    assert_eq!(list[0]["change"], "notice_changed");
    assert_eq!(list[8]["change"], "staff_added");
    assert_eq!(list[8]["by"]["name"], "Ngô Thanh Sơn");
    assert!(
        list[8]["summary"]
            .as_str()
            .unwrap_or("")
            .contains("Lê Văn C"),
        "{}",
        list[8]
    );
    assert!(list
        .windows(2)
        .all(|w| w[0]["seq"].as_u64() > w[1]["seq"].as_u64()));
}

#[tokio::test]
async fn a_one_time_pin_must_be_changed_before_any_clerk_work() {
    let d = start();
    let api = d.api();
    let added = api
        .post(
            "/api/v1/admin/staff",
            Some(SUPERVISOR),
            json!({"id": "c01", "name": "Lê Văn C"}),
        )
        .await;
    let body = added.expect(201).clone();
    let pin = body["pin"].as_str().expect("pin").to_string();
    assert_eq!(pin.len(), 6);
    assert!(pin.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(body["id"], "c01");

    let list = api.get("/api/v1/admin/staff", Some(SUPERVISOR)).await;
    let row = list
        .expect(200)
        .as_array()
        .and_then(|l| l.iter().find(|s| s["id"] == "c01").cloned())
        .expect("listed");
    assert_eq!(row["source"], "admin");
    assert_eq!(row["must_change_pin"], true);
    assert!(
        !list.text.contains("argon2"),
        "a hash in the list: {}",
        list.text
    );

    let login = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "c01", "pin": pin, "counter": 3}),
        )
        .await;
    let lb = login.expect(200).clone();
    assert_eq!(lb["must_change_pin"], true);
    let token = lb["token"].as_str().expect("token").to_string();
    api.next(3, &token)
        .await
        .expect_error(403, "pin_change_required");
    api.set_status(3, &token, "paused")
        .await
        .expect_error(403, "pin_change_required");
    let me = api.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.expect(200)["must_change_pin"], true);

    // Bad new PINs.
    for (old, new) in [
        (pin.as_str(), "12"),
        (pin.as_str(), "12ab"),
        (pin.as_str(), pin.as_str()),
    ] {
        let r = api
            .post(
                "/api/v1/me/pin",
                Some(&token),
                json!({"pin": old, "new_pin": new}),
            )
            .await;
        r.expect_error(400, "invalid_field");
        assert_eq!(r.body["error"]["field"], "new_pin");
    }
    let r = api
        .post(
            "/api/v1/me/pin",
            Some(&token),
            json!({"pin": "000000x", "new_pin": "4321"}),
        )
        .await;
    r.expect_error(403, "wrong_pin");
    api.post(
        "/api/v1/me/pin",
        Some(&token),
        json!({"pin": pin, "new_pin": "4321"}),
    )
    .await
    .expect(204);
    // The same session now works.
    let r = api.next(3, &token).await;
    assert_ne!(r.code(), "pin_change_required", "{}", r.text);
    // The one-time PIN no longer works; the new one does, without the flag.
    let old = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "c01", "pin": pin, "counter": 3, "force": true}),
        )
        .await;
    old.expect_error(401, "unauthorized");
    let new = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "c01", "pin": "4321", "counter": 3, "force": true}),
        )
        .await;
    assert_eq!(new.expect(200)["must_change_pin"], false);

    // A reset of a config file's clerk: the same flow.
    let reset = api
        .post_empty("/api/v1/admin/staff/nv01/reset-pin", Some(SUPERVISOR))
        .await;
    let one_time = reset.expect(200)["pin"].as_str().expect("pin").to_string();
    api.post(
        "/api/v1/login",
        None,
        json!({"staff": "nv01", "pin": PIN, "counter": 1}),
    )
    .await
    .expect_error(401, "unauthorized");
    let t = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "nv01", "pin": one_time, "counter": 1}),
        )
        .await;
    assert_eq!(t.expect(200)["must_change_pin"], true);
}

#[tokio::test]
async fn a_disabled_clerk_cannot_sign_in_and_their_session_ends() {
    let d = start();
    let api = d.api();
    let clerk = api.clerk(3).await;
    api.get("/api/v1/me", Some(&clerk)).await.expect(200);
    let r = patch(
        &api,
        "/api/v1/admin/staff/nv03",
        Some(SUPERVISOR),
        json!({"disabled": true}),
    )
    .await;
    assert_eq!(r.expect(200)["disabled"], true);
    api.get("/api/v1/me", Some(&clerk))
        .await
        .expect_error(401, "unauthorized");
    api.post(
        "/api/v1/login",
        None,
        json!({"staff": "nv03", "pin": PIN, "counter": 3}),
    )
    .await
    .expect_error(401, "unauthorized");
    patch(
        &api,
        "/api/v1/admin/staff/nv03",
        Some(SUPERVISOR),
        json!({"disabled": false}),
    )
    .await
    .expect(200);
    api.clerk(3).await;
}

#[tokio::test]
async fn bad_input_is_refused_on_its_field_and_changes_nothing() {
    let d = start();
    let api = d.api();
    let before = api.state_sans_now().await;
    let staff_before = api.get("/api/v1/admin/staff", Some(SUPERVISOR)).await.body;
    let devices_before = api
        .get("/api/v1/admin/devices", Some(SUPERVISOR))
        .await
        .body;
    use reqwest::Method as M;
    let cases: Vec<(M, &str, Value, u16, &str, &str)> = vec![
        (
            M::POST,
            "/api/v1/admin/staff",
            json!({"id": "", "name": "X"}),
            400,
            "invalid_field",
            "id",
        ),
        (
            M::POST,
            "/api/v1/admin/staff",
            json!({"id": "a b", "name": "X"}),
            400,
            "invalid_field",
            "id",
        ),
        (
            M::POST,
            "/api/v1/admin/staff",
            json!({"id": "nv01", "name": "X"}),
            409,
            "duplicate",
            "id",
        ),
        (
            M::POST,
            "/api/v1/admin/staff",
            json!({"id": "c02", "name": "  "}),
            400,
            "invalid_field",
            "name",
        ),
        (
            M::PATCH,
            "/api/v1/admin/staff/nv01",
            json!({"name": ""}),
            400,
            "invalid_field",
            "name",
        ),
        (
            M::PATCH,
            "/api/v1/admin/staff/nobody",
            json!({"disabled": true}),
            404,
            "unknown_staff",
            "id",
        ),
        (
            M::POST,
            "/api/v1/admin/devices",
            json!({"name": "TV sảnh chính", "role": "display"}),
            409,
            "duplicate",
            "name",
        ),
        (
            M::POST,
            "/api/v1/admin/devices",
            json!({"name": "X", "role": "toaster"}),
            400,
            "invalid_field",
            "role",
        ),
        (
            M::POST,
            "/api/v1/admin/devices",
            json!({"name": "X", "role": "rating"}),
            400,
            "invalid_field",
            "counter",
        ),
        (
            M::POST,
            "/api/v1/admin/devices",
            json!({"name": "X", "role": "rating", "counter": 99}),
            400,
            "invalid_field",
            "counter",
        ),
        (
            M::POST,
            "/api/v1/admin/devices",
            json!({"name": "", "role": "display"}),
            400,
            "invalid_field",
            "name",
        ),
        (
            M::DELETE,
            "/api/v1/admin/devices/nothing",
            Value::Null,
            404,
            "unknown_device",
            "name",
        ),
        (
            M::PATCH,
            "/api/v1/admin/counters/3",
            json!({"services": [], "mode": "fifo"}),
            400,
            "invalid_field",
            "services",
        ),
        (
            M::PATCH,
            "/api/v1/admin/counters/3",
            json!({"services": ["nope"], "mode": "fifo"}),
            400,
            "invalid_field",
            "services",
        ),
        (
            M::PATCH,
            "/api/v1/admin/counters/3",
            json!({"services": ["datdai", "datdai"], "mode": "fifo"}),
            400,
            "invalid_field",
            "services",
        ),
        (
            M::PATCH,
            "/api/v1/admin/counters/3",
            json!({"services": ["datdai"], "mode": "random"}),
            400,
            "invalid_field",
            "mode",
        ),
        (
            M::PATCH,
            "/api/v1/admin/counters/99",
            json!({"services": ["datdai"], "mode": "fifo"}),
            404,
            "unknown_counter",
            "counter",
        ),
        (
            M::PATCH,
            "/api/v1/admin/services/datdai",
            json!({"hours": ["11:00-08:00"]}),
            400,
            "invalid_field",
            "hours",
        ),
        (
            M::PATCH,
            "/api/v1/admin/services/datdai",
            json!({"hours": ["8h-11h"]}),
            400,
            "invalid_field",
            "hours",
        ),
        (
            M::PATCH,
            "/api/v1/admin/services/datdai",
            json!({"hours": ["08:00-11:00", "10:00-12:00"]}),
            400,
            "invalid_field",
            "hours",
        ),
        (
            M::PATCH,
            "/api/v1/admin/services/datdai",
            json!({"name": ""}),
            400,
            "invalid_field",
            "name",
        ),
        (
            M::PATCH,
            "/api/v1/admin/services/datdai",
            json!({"target_wait_s": 0}),
            400,
            "invalid_field",
            "target_wait_s",
        ),
        (
            M::PATCH,
            "/api/v1/admin/services/nope",
            json!({"name": "X"}),
            404,
            "unknown_service",
            "service",
        ),
        (
            M::PATCH,
            "/api/v1/admin/notice",
            json!({"vi": "a\nb"}),
            400,
            "invalid_field",
            "vi",
        ),
    ];
    for (m, path, body, status, code, field) in cases {
        let r = call(&api, &m, path, Some(SUPERVISOR), &body).await;
        assert_eq!(
            (r.status, r.code()),
            (status, code),
            "{m} {path} {body}: {}",
            r.text
        );
        assert_eq!(
            r.body["error"]["field"], field,
            "{m} {path} {body}: {}",
            r.text
        );
        assert!(!r.message().is_empty());
    }
    // English messages with Accept-Language: en, field kept.
    let r = api
        .request(
            reqwest::Method::PATCH,
            "/api/v1/admin/counters/3",
            Some(SUPERVISOR),
            Body::Json(json!({"services": [], "mode": "fifo"})),
            &[("accept-language", "en")],
        )
        .await;
    assert!(r.message().contains("at least one service"), "{}", r.text);
    assert_eq!(r.body["error"]["field"], "services");
    assert_eq!(
        api.state_sans_now().await,
        before,
        "a refused change moved the state"
    );
    assert_eq!(
        api.get("/api/v1/admin/staff", Some(SUPERVISOR)).await.body,
        staff_before
    );
    assert_eq!(
        api.get("/api/v1/admin/devices", Some(SUPERVISOR))
            .await
            .body,
        devices_before
    );
    assert_eq!(
        api.get("/api/v1/admin/audit", Some(SUPERVISOR)).await.body,
        json!([])
    );
}

#[tokio::test]
async fn the_last_supervisor_cannot_be_disabled_or_revoked() {
    let d = start();
    let api = d.api();
    // gs01 and the supervisor device: disabling gs01 leaves the device.
    patch(
        &api,
        "/api/v1/admin/staff/gs01",
        Some(SUPERVISOR),
        json!({"disabled": true}),
    )
    .await
    .expect(200);
    let r = api
        .delete(
            "/api/v1/admin/devices/M%C3%A1y%20t%C3%ADnh%20gi%C3%A1m%20s%C3%A1t",
            Some(SUPERVISOR),
        )
        .await;
    r.expect_error(409, "last_supervisor");
    // The device still works.
    api.get("/api/v1/admin/staff", Some(SUPERVISOR))
        .await
        .expect(200);
    // With another supervisor added, it may go.
    api.post(
        "/api/v1/admin/staff",
        Some(SUPERVISOR),
        json!({"id": "gs02", "name": "Giám sát 2", "supervisor": true}),
    )
    .await
    .expect(201);
    api.delete(
        "/api/v1/admin/devices/M%C3%A1y%20t%C3%ADnh%20gi%C3%A1m%20s%C3%A1t",
        Some(SUPERVISOR),
    )
    .await
    .expect(204);
    api.get("/api/v1/admin/staff", Some(SUPERVISOR))
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn an_added_device_works_and_a_revoked_one_is_cut_off_at_once() {
    let d = start();
    let api = d.api();
    let r = api
        .post(
            "/api/v1/admin/devices",
            Some(SUPERVISOR),
            json!({"name": "TV tầng 2", "role": "display"}),
        )
        .await;
    let added = r.expect(201).clone();
    let token = added["token"].as_str().expect("token").to_string();
    assert!(token.len() >= 16);
    assert_eq!(added["role"], "display");
    let url = added["url"].as_str().expect("url");
    assert!(url.ends_with(&format!("/board?token={token}")), "{url}");
    // Its token opens the state and the socket.
    api.get("/api/v1/state", Some(&token)).await.expect(200);
    let list = api.get("/api/v1/admin/devices", Some(SUPERVISOR)).await;
    let row = list
        .expect(200)
        .as_array()
        .and_then(|l| l.iter().find(|x| x["name"] == "TV tầng 2").cloned());
    assert_eq!(row.expect("listed")["source"], "admin");
    assert!(!list.text.contains(&token));
    // A display may not do kiosk things.
    api.post(
        "/api/v1/tickets",
        Some(&token),
        json!({"service": "datdai"}),
    )
    .await
    .expect_error(403, "forbidden");
    // Rename.
    let r = patch(
        &api,
        "/api/v1/admin/devices/TV%20t%E1%BA%A7ng%202",
        Some(SUPERVISOR),
        json!({"name": "TV B"}),
    )
    .await;
    assert_eq!(r.expect(200)["name"], "TV B");
    api.get("/api/v1/state", Some(&token)).await.expect(200);

    let mut ws = ws_connect(&ws_url_with(&d.ws_url(), &[("token", &token)])).await;
    let first = ws_next(&mut ws, Duration::from_secs(5))
        .await
        .expect("snapshot");
    assert_eq!(first.kind(), "snapshot");
    let sent = Instant::now();
    api.delete("/api/v1/admin/devices/TV%20B", Some(SUPERVISOR))
        .await
        .expect(204);
    api.get("/api/v1/state", Some(&token))
        .await
        .expect_error(401, "unauthorized");
    // The socket: a `revoked` frame, then a close 4001 within a second.
    let mut saw_revoked = false;
    let mut close = None;
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(2), ws.next()).await {
        match msg {
            Ok(Message::Text(t)) => {
                let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                if v["type"] == "revoked" {
                    saw_revoked = true;
                }
            }
            Ok(Message::Close(c)) => {
                close = c.map(|c| (u16::from(c.code), c.reason.to_string()));
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert!(saw_revoked, "no revoked frame");
    assert_eq!(close, Some((4001, "revoked".to_string())));
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "closed after {:?}",
        sent.elapsed()
    );
    // Config file devices can be revoked too.
    api.get("/api/v1/state", Some(DISPLAY)).await.expect(200);
    api.delete(
        "/api/v1/admin/devices/TV%20s%E1%BA%A3nh%20ch%C3%ADnh",
        Some(SUPERVISOR),
    )
    .await
    .expect(204);
    api.get("/api/v1/state", Some(DISPLAY))
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn a_service_moved_to_another_counter_is_called_there_next() {
    let d = start();
    let api = d.api();
    let clerk = api.clerk(3).await;
    api.set_status(3, &clerk, "open").await.expect(200);
    let t = api.issue("chungthuc").await;
    // Counter 3 serves only datdai: nothing to call.
    let r = api.next(3, &clerk).await;
    assert!(r.body["ticket"].is_null(), "{}", r.text);
    let r = patch(
        &api,
        "/api/v1/admin/counters/3",
        Some(SUPERVISOR),
        json!({"services": ["chungthuc", "datdai"], "mode": "ordered"}),
    )
    .await;
    let c = r.expect(200).clone();
    assert_eq!(c["services"], json!(["chungthuc", "datdai"]));
    assert_eq!(c["mode"], "ordered");
    let state = api.state(Some(SUPERVISOR)).await;
    let counter = counter_entry(&state, 3);
    assert_eq!(
        counter["services"],
        json!(["chungthuc", "datdai"]),
        "{counter}"
    );
    let r = api.next(3, &clerk).await;
    assert_eq!(r.expect(200)["ticket"]["number"], t["number"], "{}", r.text);
}

#[tokio::test]
async fn a_service_with_live_tickets_cannot_lose_its_last_counter() {
    let d = start();
    let api = d.api();
    // gplx is served by counters 5 and 6.
    api.issue("gplx").await;
    patch(
        &api,
        "/api/v1/admin/counters/5",
        Some(SUPERVISOR),
        json!({"services": ["datdai"], "mode": "fifo"}),
    )
    .await
    .expect(200);
    let before = api.state_sans_now().await;
    let r = patch(
        &api,
        "/api/v1/admin/counters/6",
        Some(SUPERVISOR),
        json!({"services": ["dkkd"], "mode": "fifo"}),
    )
    .await;
    r.expect_error(409, "service_has_tickets");
    assert_eq!(r.body["error"]["field"], "services");
    assert_eq!(api.state_sans_now().await, before);
    // Closing it instead: it stops issuing, its ticket is still served.
    let r = patch(
        &api,
        "/api/v1/admin/services/gplx",
        Some(SUPERVISOR),
        json!({"closed": true}),
    )
    .await;
    assert_eq!(r.expect(200)["closed"], true);
    api.post("/api/v1/tickets", Some(KIOSK), json!({"service": "gplx"}))
        .await
        .expect_error(409, "service_closed");
    let clerk = api.clerk(6).await;
    api.set_status(6, &clerk, "open").await.expect(200);
    api.next(6, &clerk).await.expect(200);
    patch(
        &api,
        "/api/v1/admin/services/gplx",
        Some(SUPERVISOR),
        json!({"closed": false}),
    )
    .await
    .expect(200);
    api.issue("gplx").await;
}

#[tokio::test]
async fn service_and_notice_changes_reach_the_state() {
    let d = start();
    let api = d.api();
    let r = patch(
        &api,
        "/api/v1/admin/services/datdai",
        Some(SUPERVISOR),
        json!({"name": "Đất đai – Nhà ở", "name_en": "Land and housing", "hours": ["07:00-11:30", "13:00-17:00"], "target_wait_s": 1200, "remote": true}),
    )
    .await;
    let row = r.expect(200).clone();
    assert_eq!(row["hours"], json!(["07:00-11:30", "13:00-17:00"]));
    assert_eq!(row["target_wait_s"], 1200);
    let state = api.state(None).await;
    let s = service_entry(&state, "datdai");
    assert_eq!(s["name"], "Đất đai – Nhà ở");
    assert_eq!(s["name_en"], "Land and housing");
    assert_eq!(s["remote"], true);
    assert_eq!(s["target_wait_s"], 1200);
    patch(
        &api,
        "/api/v1/admin/notice",
        Some(SUPERVISOR),
        json!({"vi": "Nghỉ trưa 11:30–13:00", "en": "Lunch break 11:30–13:00"}),
    )
    .await
    .expect(200);
    let state = api.state(None).await;
    assert!(
        state.to_string().contains("Nghỉ trưa 11:30–13:00"),
        "{state}"
    );
}
