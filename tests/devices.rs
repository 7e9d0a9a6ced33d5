//! `GET /api/v1/devices` (issue 18) over the wire: supervisors only; every configured device
//! listed; a socket opened with a device's token makes it connected (address, since, last
//! seen), a page's status message sets its sound, closing the socket makes it offline since
//! then; sockets of other tokens (a clerk, the public) are not devices. The browser flow
//! (boards, autoplay, the offline alert on the test clock) is tests/e2e/devices.test.mjs.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::SinkExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

async fn device(api: &Api, name: &str) -> Value {
    let r = api.get("/api/v1/devices", Some(SUPERVISOR)).await;
    let list = r.expect(200).as_array().expect("an array").clone();
    list.into_iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no device {name}: {}", r.text))
}

/// Polls the device until `ok` holds (3 s at most).
async fn wait_device(api: &Api, name: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + Duration::from_secs(3);
    loop {
        let d = device(api, name).await;
        if ok(&d) {
            return d;
        }
        assert!(Instant::now() < end, "device {name} never got there: {d}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

#[tokio::test]
async fn devices_are_listed_for_supervisors_with_their_sockets_and_sound() {
    let d = Daemon::start_default();
    let api = d.api();
    api.get("/api/v1/devices", None)
        .await
        .expect_error(401, "unauthorized");
    api.get("/api/v1/devices", Some(DISPLAY))
        .await
        .expect_error(403, "forbidden");
    let clerk = api.clerk(1).await;
    api.get("/api/v1/devices", Some(&clerk))
        .await
        .expect_error(403, "forbidden");

    let r = api.get("/api/v1/devices", Some(SUPERVISOR)).await;
    let list = r.expect(200).as_array().expect("array").clone();
    assert_eq!(list.len(), 11, "every device of the demo: {}", r.text);
    let tv = &list[0];
    assert_eq!(
        (&tv["name"], &tv["role"], &tv["connected"], &tv["last_seen"]),
        (
            &Value::from("TV sảnh chính"),
            &Value::from("display"),
            &Value::from(false),
            &Value::Null
        )
    );
    assert_eq!(device(&api, "Máy đánh giá Quầy 3").await["counter"], 3);

    // A board on the TV's token: connected, from 127.0.0.1; its status message sets the sound.
    let mut board = ws_connect(&ws_url_with(&d.ws_url(), &[("token", DISPLAY)])).await;
    let tv = wait_device(&api, "TV sảnh chính", |t| t["connected"] == true).await;
    assert_eq!(tv["address"], "127.0.0.1");
    assert_eq!(tv["sockets"], 1);
    assert!(tv["last_seen"].is_string());
    assert_eq!(tv["audio"], Value::Null);
    board
        .send(Message::Text(
            r#"{"type":"status","page":"board","audio":"blocked"}"#.into(),
        ))
        .await
        .expect("send");
    let tv = wait_device(&api, "TV sảnh chính", |t| t["audio"] == "blocked").await;
    assert_eq!(tv["pages"], serde_json::json!(["board"]));
    // Anything else on the socket changes nothing (and the socket stays).
    board
        .send(Message::Text(
            r#"{"type":"hello","audio":"playing"}"#.into(),
        ))
        .await
        .expect("send");
    board
        .send(Message::Text("not json".into()))
        .await
        .expect("send");
    board
        .send(Message::Text(
            r#"{"type":"status","audio":"playing"}"#.into(),
        ))
        .await
        .expect("send");
    wait_device(&api, "TV sảnh chính", |t| t["audio"] == "playing").await;

    // A clerk's or the public's socket is not a device.
    let _public = ws_connect(&d.ws_url()).await;
    let _clerk = ws_connect(&ws_url_with(&d.ws_url(), &[("token", &clerk)])).await;
    let r = api.get("/api/v1/devices", Some(SUPERVISOR)).await;
    let connected: Vec<&Value> = r
        .body
        .as_array()
        .expect("array")
        .iter()
        .filter(|d| d["connected"] == true)
        .collect();
    assert_eq!(connected.len(), 1, "{}", r.text);

    // Closed: offline since then, sound unknown.
    board.close(None).await.expect("close");
    drop(board);
    let tv = wait_device(&api, "TV sảnh chính", |t| t["connected"] == false).await;
    assert_eq!(tv["audio"], Value::Null);
    assert_eq!(
        tv["since"], tv["last_seen"],
        "offline since it was last seen: {tv}"
    );
}
