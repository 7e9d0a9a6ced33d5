//! Issue 14 against the real daemon: a login at a counter another clerk holds is refused with
//! 409 `counter_taken` naming the holder until the clerk confirms (`force`), the displaced
//! clerk's token stops working, and the new read routes answer only the roles they serve.

#[macro_use]
mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn taking_over_a_held_counter_needs_force_and_ends_the_holders_session() {
    let d = Daemon::start_default();
    let api = d.api();
    let first = api.login("nv01", PIN, 1).await;
    let seq = api.seq().await;
    let r = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "nv02", "pin": PIN, "counter": 1}),
        )
        .await;
    r.expect_error(409, "counter_taken");
    assert!(r.message().contains("(nv01)"), "{}", r.message());
    assert_eq!(api.seq().await, seq, "nothing changed");
    // The holder signing in again at their own counter is no take-over.
    let again = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "nv01", "pin": PIN, "counter": 1}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    let first = again.body["token"].as_str().unwrap_or(&first).to_string();
    let r = api
        .post(
            "/api/v1/login",
            None,
            json!({"staff": "nv02", "pin": PIN, "counter": 1, "force": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let state = api.state(None).await;
    assert_eq!(counter_entry(&state, 1)["clerk"]["id"], json!("nv02"));
    api.next(1, &first).await.expect_error(401, "unauthorized");
}

#[tokio::test]
async fn new_read_routes_answer_their_roles_only() {
    let d = Daemon::start_default();
    let api = d.api();
    let clerk = api.login("nv03", PIN, 3).await;
    for path in [
        "/api/v1/no-shows",
        "/api/v1/counters/3/queue",
        "/api/v1/ratings/today",
    ] {
        api.get(path, None).await.expect_error(401, "unauthorized");
        api.get(path, Some(DISPLAY))
            .await
            .expect_error(403, "forbidden");
        assert_eq!(api.get(path, Some(SUPERVISOR)).await.status, 200, "{path}");
    }
    assert_eq!(api.get("/api/v1/no-shows", Some(&clerk)).await.status, 200);
    assert_eq!(
        api.get("/api/v1/counters/3/queue", Some(&clerk))
            .await
            .status,
        200
    );
    api.get("/api/v1/counters/4/queue", Some(&clerk))
        .await
        .expect_error(403, "forbidden");
    api.get("/api/v1/ratings/today", Some(&clerk))
        .await
        .expect_error(403, "forbidden");
    api.get("/api/v1/booking-lookup/ZZZZZZ", None)
        .await
        .expect_error(404, "unknown_booking");
    api.put(
        "/api/v1/dossier-stats",
        Some(SUPERVISOR),
        json!({"received": 3, "on_time": 2, "overdue": 2}),
    )
    .await
    .expect_error(400, "impossible_figures");
    api.get(
        "/api/v1/reports/range.xlsx?from=2026-11-30&to=2026-11-01",
        Some(SUPERVISOR),
    )
    .await
    .expect_error(400, "bad_request");
}
