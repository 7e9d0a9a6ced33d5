//! Every error code of API.md, reached by a bad request, with its HTTP status, and the state
//! (`GET /api/v1/state` minus `now`, as the supervisor sees it) unchanged afterwards.
//!
//! `unavailable` (503) is for storage faults (a journal that cannot be written); it cannot be
//! provoked by a bad request and is covered by another issue's fault-injection tests.

#[macro_use]
mod common;

use common::*;
use serde_json::json;

/// A well-formed ULID that names no ticket.
const UNKNOWN_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

/// Tomorrow 08:00 in the centre's timezone, from the snapshot's day.
async fn tomorrow_8am(api: &Api) -> String {
    let day = api.state(None).await["day"].as_str().unwrap().to_string();
    format!("{}T08:00:00+07:00", add_days(&day, 1))
}

#[tokio::test]
async fn every_error_code_from_a_bad_request_leaves_state_unchanged() {
    let d = Daemon::start_default();
    let api = d.api();

    // ---- a lobby with something in it ---------------------------------------------------
    // D: served at counter 2 and rated there.
    let clerk2 = api.clerk(2).await;
    let t_d = api.issue("chungthuc").await;
    assert_eq!(
        id_of(&api.next(2, &clerk2).await.expect(200)["ticket"]),
        id_of(&t_d)
    );
    api.counter_op(2, "finish", &clerk2).await.expect(200);
    let r = api
        .post(
            "/api/v1/ratings",
            Some(&rating_token(2)),
            json!({ "ticket": id_of(&t_d), "score": 4 }),
        )
        .await;
    r.expect(201);
    // A: called at counter 1. B: waiting.
    let clerk1 = api.clerk(1).await;
    let t_a = api.issue("hotich").await;
    api.next(1, &clerk1).await.expect(200);
    let t_b = api.issue("hotich").await;
    // Counter 3: a clerk, no current ticket. Counter 4: paused.
    let clerk3 = api.clerk(3).await;
    let clerk4 = api.clerk(4).await;
    api.set_status(4, &clerk4, "paused").await.expect(200);

    let before = api.state_sans_now().await;
    assert_eq!(
        counter_entry(&before, 1)["current"]["number"],
        t_a["number"]
    );
    let (a, b, dd) = (id_of(&t_a), id_of(&t_b), id_of(&t_d));
    let bad_token = "not-a-real-token-at-all";

    // ---- 400 bad_request: malformed JSON, wrong types -----------------------------------
    for raw in [
        r#"{"service": "hotich""#,
        "not json at all",
        r#"{"service": 42}"#,
        r#"{"service": "hotich", "priority": 7}"#,
        r#"{"service": ["hotich"]}"#,
    ] {
        bad!(
            api,
            &before,
            400,
            "bad_request",
            api.post_raw("/api/v1/tickets", Some(KIOSK), raw)
        );
    }
    bad!(
        api,
        &before,
        400,
        "bad_request",
        api.post_raw(
            "/api/v1/login",
            None,
            r#"{"staff": "nv05", "pin": "1234", "counter": "five"}"#
        )
    );
    bad!(
        api,
        &before,
        400,
        "bad_request",
        api.post_raw(
            "/api/v1/counters/1/transfer",
            Some(&clerk1),
            r#"{"service": true}"#
        )
    );
    bad!(
        api,
        &before,
        400,
        "bad_request",
        api.post_raw(
            "/api/v1/counters/1/status",
            Some(&clerk1),
            r#"{"status": 3}"#
        )
    );
    bad!(
        api,
        &before,
        400,
        "bad_request",
        api.post_raw(
            "/api/v1/ratings",
            Some(&rating_token(2)),
            &format!(r#"{{"ticket": "{dd}", "score": "four"}}"#)
        )
    );
    for score in [0, 5] {
        bad!(
            api,
            &before,
            400,
            "bad_request",
            api.post(
                "/api/v1/ratings",
                None,
                json!({ "ticket": dd, "score": score })
            )
        );
    }
    bad!(
        api,
        &before,
        400,
        "bad_request",
        api.put(
            "/api/v1/dossier-stats",
            Some(SUPERVISOR),
            json!({ "received": "many", "on_time": 1, "overdue": 0, "as_of": "x" })
        )
    );
    bad!(
        api,
        &before,
        400,
        "bad_request",
        api.post(
            "/api/v1/bookings",
            None,
            json!({ "service": "hotich", "start": 12 })
        )
    );

    // ---- 401 unauthorized: no token, bad token, wrong PIN -------------------------------
    bad!(
        api,
        &before,
        401,
        "unauthorized",
        api.post("/api/v1/tickets", None, json!({ "service": "hotich" }))
    );
    bad!(
        api,
        &before,
        401,
        "unauthorized",
        api.post(
            "/api/v1/tickets",
            Some(bad_token),
            json!({ "service": "hotich" })
        )
    );
    bad!(
        api,
        &before,
        401,
        "unauthorized",
        api.post_empty("/api/v1/counters/1/next", None)
    );
    bad!(
        api,
        &before,
        401,
        "unauthorized",
        api.post_empty("/api/v1/counters/1/next", Some(bad_token))
    );
    bad!(
        api,
        &before,
        401,
        "unauthorized",
        api.get("/api/v1/stats", None)
    );
    bad!(
        api,
        &before,
        401,
        "unauthorized",
        api.post(
            "/api/v1/login",
            None,
            json!({ "staff": "nv06", "pin": "0000", "counter": 6 })
        )
    );
    bad!(
        api,
        &before,
        401,
        "unauthorized",
        api.post(
            "/api/v1/login",
            None,
            json!({ "staff": "khongai", "pin": "1234", "counter": 6 })
        )
    );

    // ---- 403 forbidden: a role that may not ---------------------------------------------
    bad!(
        api,
        &before,
        403,
        "forbidden",
        api.post(
            "/api/v1/tickets",
            Some(DISPLAY),
            json!({ "service": "hotich" })
        )
    );
    for token in [DISPLAY, KIOSK, rating_token(1).as_str(), clerk3.as_str()] {
        bad!(
            api,
            &before,
            403,
            "forbidden",
            api.post_empty("/api/v1/counters/1/next", Some(token))
        );
    }
    bad!(
        api,
        &before,
        403,
        "forbidden",
        api.post_empty("/api/v1/counters/1/finish", Some(&clerk3))
    );
    for token in [DISPLAY, KIOSK, clerk1.as_str()] {
        bad!(
            api,
            &before,
            403,
            "forbidden",
            api.get("/api/v1/stats", Some(token))
        );
    }
    bad!(
        api,
        &before,
        403,
        "forbidden",
        api.post_empty(&format!("/api/v1/tickets/{b}/requeue"), Some(KIOSK))
    );
    bad!(
        api,
        &before,
        403,
        "forbidden",
        api.put(
            "/api/v1/dossier-stats",
            Some(&clerk1),
            json!({ "received": 1, "on_time": 1, "overdue": 0, "as_of": "2026-01-01T00:00:00+07:00" })
        )
    );

    // ---- 404 not_found -------------------------------------------------------------------
    bad!(
        api,
        &before,
        404,
        "not_found",
        api.get(&format!("/api/v1/tickets/{UNKNOWN_ID}"), None)
    );
    bad!(
        api,
        &before,
        404,
        "not_found",
        api.delete(&format!("/api/v1/tickets/{UNKNOWN_ID}"), None)
    );
    bad!(
        api,
        &before,
        404,
        "not_found",
        api.post_empty(
            &format!("/api/v1/tickets/{UNKNOWN_ID}/requeue"),
            Some(SUPERVISOR)
        )
    );
    bad!(
        api,
        &before,
        404,
        "not_found",
        api.post(
            "/api/v1/ratings",
            None,
            json!({ "ticket": UNKNOWN_ID, "score": 3 })
        )
    );
    bad!(
        api,
        &before,
        404,
        "not_found",
        api.get("/api/v1/no-such-thing", Some(SUPERVISOR))
    );

    // ---- 404 unknown_service ---------------------------------------------------------------
    bad!(
        api,
        &before,
        404,
        "unknown_service",
        api.post(
            "/api/v1/tickets",
            Some(KIOSK),
            json!({ "service": "khongco" })
        )
    );
    bad!(
        api,
        &before,
        404,
        "unknown_service",
        api.transfer(1, &clerk1, "khongco")
    );
    let day = before["day"].as_str().unwrap().to_string();
    bad!(
        api,
        &before,
        404,
        "unknown_service",
        api.get(&format!("/api/v1/slots?service=khongco&day={day}"), None)
    );
    let start = tomorrow_8am(&api).await;
    bad!(
        api,
        &before,
        404,
        "unknown_service",
        api.post(
            "/api/v1/bookings",
            None,
            json!({ "service": "khongco", "start": start })
        )
    );

    // ---- 404 unknown_counter ---------------------------------------------------------------
    bad!(
        api,
        &before,
        404,
        "unknown_counter",
        api.post_empty("/api/v1/counters/99/next", Some(SUPERVISOR))
    );
    bad!(
        api,
        &before,
        404,
        "unknown_counter",
        api.post(
            "/api/v1/login",
            None,
            json!({ "staff": "nv05", "pin": PIN, "counter": 99 })
        )
    );

    // ---- 409 no_current_ticket ---------------------------------------------------------------
    for op in ["recall", "finish", "no-show"] {
        bad!(
            api,
            &before,
            409,
            "no_current_ticket",
            api.counter_op(3, op, &clerk3)
        );
    }
    bad!(
        api,
        &before,
        409,
        "no_current_ticket",
        api.transfer(3, &clerk3, "datdai")
    );

    // ---- 409 already_rated -------------------------------------------------------------------
    bad!(
        api,
        &before,
        409,
        "already_rated",
        api.post(
            "/api/v1/ratings",
            Some(&rating_token(2)),
            json!({ "ticket": dd, "score": 3 })
        )
    );
    bad!(
        api,
        &before,
        409,
        "already_rated",
        api.post("/api/v1/ratings", None, json!({ "ticket": dd, "score": 1 }))
    );

    // ---- 409 invalid_state -------------------------------------------------------------------
    bad!(api, &before, 409, "invalid_state", api.next(4, &clerk4));
    bad!(
        api,
        &before,
        409,
        "invalid_state",
        api.post_empty(&format!("/api/v1/tickets/{b}/requeue"), Some(SUPERVISOR))
    );
    bad!(
        api,
        &before,
        409,
        "invalid_state",
        api.post_empty(&format!("/api/v1/tickets/{a}/requeue"), Some(&clerk1))
    );
    bad!(
        api,
        &before,
        409,
        "invalid_state",
        api.delete(&format!("/api/v1/tickets/{dd}"), None)
    );
    bad!(
        api,
        &before,
        409,
        "invalid_state",
        api.post("/api/v1/ratings", None, json!({ "ticket": b, "score": 3 }))
    );

    // ---- 413 payload_too_large ------------------------------------------------------------
    let pad = "x".repeat(17 * 1024);
    let big = json!({ "service": "hotich", "note": pad }).to_string();
    bad!(
        api,
        &before,
        413,
        "payload_too_large",
        api.post_raw("/api/v1/tickets", Some(KIOSK), &big)
    );
    let big_login = json!({ "staff": "nv05", "pin": pad, "counter": 5 }).to_string();
    bad!(
        api,
        &before,
        413,
        "payload_too_large",
        api.post_raw("/api/v1/login", None, &big_login)
    );

    // ---- the ones that did work left their traces, to be sure `before` was meaningful -----
    assert_eq!(api.ticket(&b).await.body["status"], "waiting");
    assert_eq!(api.ticket(&a).await.body["status"], "called");
    assert_eq!(api.ticket(&dd).await.body["status"], "done");
}
