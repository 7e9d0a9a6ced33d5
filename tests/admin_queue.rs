//! Counters, services and the notice on the admin page (issue 20): a moved service is
//! called at its new counter next, live tickets keep a counter, changes reach `/state`.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn a_service_moved_to_another_counter_is_called_there_next() {
    let d = start_admin_demo();
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
    let all = api.get("/api/v1/admin/counters", Some(SUPERVISOR)).await;
    assert_eq!(all.expect(200)[2], c);
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
    let d = start_admin_demo();
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
    let r = patch_service(&api, "gplx", json!({"closed": true})).await;
    assert_eq!(r.expect(200)["closed"], true);
    api.post("/api/v1/tickets", Some(KIOSK), json!({"service": "gplx"}))
        .await
        .expect_error(409, "service_closed");
    let clerk = api.clerk(6).await;
    api.set_status(6, &clerk, "open").await.expect(200);
    api.next(6, &clerk).await.expect(200);
    patch_service(&api, "gplx", json!({"closed": false}))
        .await
        .expect(200);
    api.issue("gplx").await;
}

#[tokio::test]
async fn service_and_notice_changes_reach_the_state() {
    let d = start_admin_demo();
    let api = d.api();
    let r = patch_service(&api, "datdai", json!({"name": "Đất đai – Nhà ở", "name_en": "Land and housing", "hours": ["07:00-11:30", "13:00-17:00"], "target_wait_s": 1200, "remote": true}))
    .await;
    let row = r.expect(200).clone();
    assert_eq!(row["hours"], json!(["07:00-11:30", "13:00-17:00"]));
    assert_eq!(row["target_wait_s"], 1200);
    let list = api.get("/api/v1/admin/services", Some(SUPERVISOR)).await;
    assert_eq!(by_id(list.expect(200), "datdai"), row);
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
    let n = api.get("/api/v1/admin/notice", Some(SUPERVISOR)).await;
    assert_eq!(
        n.expect(200),
        &json!({"vi": "Nghỉ trưa 11:30–13:00", "en": "Lunch break 11:30–13:00"})
    );
}

#[tokio::test]
async fn a_service_stops_taking_appointments_only_once_no_booking_is_left() {
    let mut d = start_admin_demo();
    let api = d.api();
    let slots = |api: &Api| {
        let api = api.clone();
        async move {
            let all = api.get("/api/v1/admin/services", Some(SUPERVISOR)).await;
            by_id(all.expect(200), "hotich")["appointments"].clone()
        }
    };
    let before = slots(&api).await;
    assert!(before.is_object(), "the demo books hotich: {before}");
    // A citizen books tomorrow.
    let r = api
        .post(
            "/api/v1/bookings",
            None,
            json!({"service": "hotich", "start": "2031-05-06T08:00:00+07:00",
                   "name": "Nguyễn Văn Hẹn", "phone": "0912345678"}),
        )
        .await;
    let code = r.expect(201)["code"].as_str().expect("code").to_string();
    // `true` is not a slot spec.
    let r = patch_service(&api, "hotich", json!({"appointments": true})).await;
    r.expect_error(400, "invalid_field");
    assert_eq!(r.body["error"]["field"], "appointments");
    // Stopping would drop the citizen: refused, with how many and from which day.
    let seq = api.seq().await;
    let r = patch_service(&api, "hotich", json!({"appointments": false})).await;
    r.expect_error(409, "service_has_bookings");
    assert_eq!(r.body["error"]["field"], "appointments");
    assert!(r.message().contains('1'), "{}", r.message());
    assert!(r.message().contains("06/05/2031"), "{}", r.message());
    assert_eq!(api.seq().await, seq, "a refused change journals nothing");
    assert_eq!(slots(&api).await, before);
    // Once the booking is cancelled, appointments stop; `null` still means no change.
    api.delete(&format!("/api/v1/bookings/{code}"), None)
        .await
        .expect(200);
    let r = patch_service(&api, "hotich", json!({"appointments": false})).await;
    assert!(r.expect(200)["appointments"].is_null(), "{}", r.text);
    patch_service(
        &api,
        "hotich",
        json!({"appointments": null, "remote": true}),
    )
    .await
    .expect(200);
    assert!(slots(&api).await.is_null());
    let state = api.state(None).await;
    let hotich = service_entry(&state, "hotich");
    assert_eq!(
        hotich["appointments"], false,
        "the public state still offers slots: {hotich}"
    );
    let booked = api
        .post(
            "/api/v1/bookings",
            None,
            json!({"service": "hotich", "start": "2031-05-06T08:30:00+07:00",
                   "name": "Trần Văn Muộn", "phone": "0912345679"}),
        )
        .await;
    assert_ne!(booked.status, 201, "booked after the stop: {}", booked.text);
    // A restart keeps the stop; slots set again work again.
    d.restart();
    let api = d.api();
    assert!(slots(&api).await.is_null());
    let r = patch_service(&api, "hotich", json!({"appointments": before})).await;
    assert_eq!(r.expect(200)["appointments"], before);
}

#[tokio::test]
async fn the_audit_names_services_by_their_name_now() {
    let mut d = start_admin_demo();
    let api = d.api();
    patch(
        &api,
        "/api/v1/admin/counters/3",
        Some(SUPERVISOR),
        json!({"services": ["chungthuc", "datdai"], "mode": "ordered"}),
    )
    .await
    .expect(200);
    patch_service(&api, "gplx", json!({"closed": true, "target_wait_s": 1200}))
        .await
        .expect(200);
    let audit = api.get("/api/v1/admin/audit", Some(SUPERVISOR)).await;
    let rows = audit.expect(200).clone();
    let line = |i: usize, key: &str| rows[i][key].as_str().unwrap_or("").to_string();
    assert_eq!(rows[1]["change"], "counter_changed");
    assert!(
        line(1, "summary").contains("Chứng thực (chungthuc)"),
        "{}",
        line(1, "summary")
    );
    assert!(
        line(1, "summary_en").contains("(chungthuc)") && !line(1, "summary_en").contains("Chứng"),
        "{}",
        line(1, "summary_en")
    );
    assert!(
        line(0, "summary").contains("(gplx): thời gian chờ mục tiêu"),
        "{}",
        line(0, "summary")
    );
    // A renamed service: every line names it as it is called now.
    patch_service(
        &api,
        "chungthuc",
        json!({"name": "Chứng thực bản sao", "name_en": "Certified copies"}),
    )
    .await
    .expect(200);
    let audit = api.get("/api/v1/admin/audit", Some(SUPERVISOR)).await;
    let rows = audit.expect(200).clone();
    assert!(
        rows[2]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("Chứng thực bản sao (chungthuc)")),
        "{}",
        rows[2]
    );
    assert!(
        rows[2]["summary_en"]
            .as_str()
            .is_some_and(|s| s.contains("Certified copies (chungthuc)")),
        "{}",
        rows[2]
    );
    // Replayed after a restart: the same lines.
    d.restart();
    let again = d.api().get("/api/v1/admin/audit", Some(SUPERVISOR)).await;
    assert_eq!(again.expect(200), &rows);
}
