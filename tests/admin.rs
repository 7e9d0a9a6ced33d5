//! The admin page's API (issue 20), on the real daemon: who may use it, bad input refused
//! on its field and changing nothing, the last supervisor. Staff: admin_staff.rs; devices:
//! admin_devices.rs; counters and services: admin_queue.rs; persistence: admin_persist.rs.

mod common;

use common::*;
use serde_json::{json, Value};

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
        (M::GET, "/api/v1/admin/counters", Value::Null),
        (M::GET, "/api/v1/admin/services", Value::Null),
        (M::GET, "/api/v1/admin/notice", Value::Null),
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
    let d = start_admin_demo();
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
    // A change made with the supervisor device's token names the device.
    let revoked = list
        .iter()
        .find(|e| e["change"] == "device_revoked")
        .expect("revoked");
    assert_eq!(revoked["by"]["name"], "Máy tính giám sát", "{revoked}");
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
async fn bad_input_is_refused_on_its_field_and_changes_nothing() {
    let d = start_admin_demo();
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
            422,
            "unknown_counter",
            "counter",
        ),
        (
            M::POST,
            "/api/v1/admin/devices",
            json!({"name": "X", "role": "display", "counter": 99}),
            422,
            "unknown_counter",
            "counter",
        ),
        (
            M::POST,
            "/api/v1/admin/devices",
            json!({"name": "X", "role": "kiosk", "counter": 1}),
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
    let d = start_admin_demo();
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
