//! Staff on the admin page (issue 20): the one-time PIN flow, disabling, photos.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn a_one_time_pin_must_be_changed_before_any_clerk_work() {
    let d = start_admin_demo();
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
    let row = by_id(list.expect(200), "c01");
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
    let d = start_admin_demo();
    let api = d.api();
    let clerk = api.clerk(3).await;
    api.get("/api/v1/me", Some(&clerk)).await.expect(200);
    let socket = Collector::open(&ws_url_with(&d.ws_url(), &[("token", &clerk)])).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let r = patch(
        &api,
        "/api/v1/admin/staff/nv03",
        Some(SUPERVISOR),
        json!({"disabled": true}),
    )
    .await;
    assert_eq!(r.expect(200)["disabled"], true);
    // Their open socket is told and closed within a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    while !socket.is_closed() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        socket.is_closed(),
        "the disabled clerk's socket is still open"
    );
    assert!(socket.frames().iter().any(|f| f.kind() == "revoked"));
    api.get("/api/v1/me", Some(&clerk))
        .await
        .expect_error(401, "unauthorized");
    // They left counter 3: the board no longer shows them there, and it is closed.
    let state = api.state(None).await;
    let c3 = state["counters"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["id"] == 3).cloned())
        .expect("counter 3");
    assert!(c3["clerk"].is_null(), "{c3}");
    assert_eq!(c3["status"], "closed", "{c3}");
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
async fn an_uploaded_photo_is_served_where_photos_are() {
    let d = start_admin_demo();
    let api = d.api();
    let url = format!("{}/api/v1/admin/staff/nv01/photo", d.base_url());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(std::iter::repeat_n(7u8, 100 * 1024));
    let put = |token: Option<&'static str>, ctype: &'static str, body: Vec<u8>| {
        let mut rb = api.http.put(&url).header("content-type", ctype).body(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb.send()
    };
    let r = put(Some(DISPLAY), "image/png", png.clone())
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 403);
    let r = put(Some(SUPERVISOR), "image/gif", b"GIF89a".to_vec())
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["field"], "photo");
    let r = put(Some(SUPERVISOR), "image/png", vec![0x89; 600 * 1024])
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 413);
    let r = put(Some(SUPERVISOR), "image/png", png.clone())
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 204);
    let got = api
        .http
        .get(format!("{}/photos/nv01", d.base_url()))
        .send()
        .await
        .expect("get");
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().await.expect("bytes").len(), png.len());
    let list = api.get("/api/v1/admin/staff", Some(SUPERVISOR)).await;
    assert_eq!(by_id(list.expect(200), "nv01")["has_photo"], true);
}

#[tokio::test]
async fn wrong_current_pins_count_toward_the_login_lockout() {
    let d = start_admin_demo();
    let api = d.api();
    let staff = staff_for(2);
    let token = api.clerk(2).await;
    // A stolen session guesses the current PIN: each wrong guess is a login failure.
    for (i, guess) in ["0000", "1111", "2222", "3333", "4444"]
        .into_iter()
        .enumerate()
    {
        let r = api
            .post(
                "/api/v1/me/pin",
                Some(&token),
                json!({"pin": guess, "new_pin": "9876"}),
            )
            .await;
        r.expect_error(403, "wrong_pin");
        assert_eq!(r.body["error"]["field"], "pin");
        if i == 0 {
            assert!(r.message().contains('4'), "tries left: {}", r.message());
        }
    }
    // Locked out: even the right PIN is not checked, here and at the login.
    let r = api
        .post(
            "/api/v1/me/pin",
            Some(&token),
            json!({"pin": PIN, "new_pin": "9876"}),
        )
        .await;
    r.expect_error(429, "rate_limited");
    let login = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": staff, "pin": PIN, "counter": 2}),
        )
        .await;
    login.expect_error(429, "rate_limited");
    // The session still works (the refused change did not end it).
    let me = api.get("/api/v1/me", Some(&token)).await;
    me.expect(200);
}

#[tokio::test]
async fn login_failures_lock_the_pin_change_too() {
    let d = start_admin_demo();
    let api = d.api();
    let staff = staff_for(3);
    let token = api.clerk(3).await;
    for _ in 0..5 {
        api.post(
            "/api/v1/login",
            None,
            json!({"staff": staff, "pin": "0000", "counter": 3}),
        )
        .await
        .expect_error(401, "unauthorized");
    }
    api.post(
        "/api/v1/me/pin",
        Some(&token),
        json!({"pin": PIN, "new_pin": "9876"}),
    )
    .await
    .expect_error(429, "rate_limited");
}
