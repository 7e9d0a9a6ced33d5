//! Devices on the admin page (issue 20): an added device's token works, a revoked one is cut
//! off at once (HTTP 401, its socket gets `revoked` and a 4001 close within a second).

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn an_added_device_works_and_a_revoked_one_is_cut_off_at_once() {
    let d = start_admin_demo();
    let api = d.api();
    let added = add_device(&api, json!({"name": "TV tầng 2", "role": "display"})).await;
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
    // The added (and renamed) device is alive for the supervisor, under its new name.
    let row = api.get("/api/v1/admin/devices", Some(SUPERVISOR)).await;
    let row = row
        .expect(200)
        .as_array()
        .and_then(|l| l.iter().find(|x| x["name"] == "TV B").cloned())
        .expect("listed");
    assert_eq!(row["connected"], true, "{row}");
    let panel = api.get("/api/v1/devices", Some(SUPERVISOR)).await;
    let alive = panel
        .expect(200)
        .as_array()
        .and_then(|l| l.iter().find(|x| x["name"] == "TV B").cloned())
        .expect("in the devices panel");
    assert_eq!(alive["connected"], true, "{alive}");
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
    let panel = api.get("/api/v1/devices", Some(SUPERVISOR)).await;
    assert!(panel.text.contains("TV sảnh chính"), "{}", panel.text);
    api.delete(
        "/api/v1/admin/devices/TV%20s%E1%BA%A3nh%20ch%C3%ADnh",
        Some(SUPERVISOR),
    )
    .await
    .expect(204);
    api.get("/api/v1/state", Some(DISPLAY))
        .await
        .expect_error(401, "unauthorized");
    // It leaves the devices panel (and its offline alerts), after a restart too.
    let listed = |v: &Value| {
        v.as_array()
            .is_some_and(|l| l.iter().any(|x| x["name"] == "TV sảnh chính"))
    };
    let panel = api.get("/api/v1/devices", Some(SUPERVISOR)).await;
    assert!(!listed(panel.expect(200)), "{}", panel.text);
    let mut d = d;
    d.restart();
    let api = d.api();
    let panel = api.get("/api/v1/devices", Some(SUPERVISOR)).await;
    assert!(!listed(panel.expect(200)), "{}", panel.text);
    api.get("/api/v1/state", Some(DISPLAY))
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn a_counter_display_is_added_with_its_counter() {
    let d = start_admin_demo();
    let api = d.api();
    let devices = |api: &Api| {
        let api = api.clone();
        async move {
            api.get("/api/v1/admin/devices", Some(SUPERVISOR))
                .await
                .expect(200)
                .clone()
        }
    };
    let before = devices(&api).await;
    // An unknown counter is refused on its field, and nothing is added.
    let r = api
        .post(
            "/api/v1/admin/devices",
            Some(SUPERVISOR),
            json!({"name": "Màn hình Quầy 9", "role": "display", "counter": 9}),
        )
        .await;
    r.expect_error(422, "unknown_counter");
    assert_eq!(r.body["error"]["field"], "counter");
    assert_eq!(devices(&api).await, before);
    let added = add_device(
        &api,
        json!({"name": "Màn hình Quầy 4", "role": "display", "counter": 4}),
    )
    .await;
    let token = added["token"].as_str().expect("token").to_string();
    let url = added["url"].as_str().expect("url");
    assert!(url.ends_with(&format!("/display/4?token={token}")), "{url}");
    let row = devices(&api)
        .await
        .as_array()
        .and_then(|l| l.iter().find(|x| x["name"] == "Màn hình Quầy 4").cloned())
        .expect("listed");
    assert_eq!(
        (&row["role"], &row["counter"]),
        (&json!("display"), &json!(4))
    );
    // Its token opens the state and its page.
    api.get("/api/v1/state", Some(&token)).await.expect(200);
    let page = api.get(&format!("/display/4?token={token}"), None).await;
    assert_eq!(page.status, 200);
    let audit = api.get("/api/v1/admin/audit", Some(SUPERVISOR)).await;
    assert!(
        audit.text.contains("Màn hình Quầy 4 (display, quầy 4)"),
        "{}",
        audit.text
    );
}
