//! The ticket lifecycle of API.md against a real daemon with the demo centre:
//! issue → next → finish, recall, no-show → requeue, transfer, cancel, counter pause.

mod common;

use common::*;
use serde_json::{json, Value};

/// The first counter (by id) whose services include `service`.
fn counter_serving(state: &Value, service: &str) -> u32 {
    state["counters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["services"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x == service))
        })
        .and_then(|c| c["id"].as_u64())
        .unwrap_or_else(|| panic!("no counter serves {service}")) as u32
}

#[tokio::test]
async fn issue_next_finish() {
    let d = Daemon::start_default();
    let api = d.api();

    let t = api.issue("hotich").await;
    assert_eq!(t["status"], "waiting", "{t}");
    assert_eq!(t["service"], "hotich");
    assert_eq!(t["priority"], Value::Null);
    assert_eq!(t["counter"], Value::Null);
    assert_eq!(t["called_at"], Value::Null);
    assert_eq!(t["recalls"], 0);
    assert_eq!(t["waiting_ahead"], 0, "first ticket of the day: {t}");
    assert_eq!(
        numeric(&number_of(&t)),
        1001,
        "a fresh day starts at the first number of hotich's range: {t}"
    );
    let id = id_of(&t);

    // The second ticket gets the next number and has one ahead.
    let t2 = api.issue("hotich").await;
    assert_eq!(numeric(&number_of(&t2)), 1002, "{t2}");
    assert_eq!(t2["waiting_ahead"], 1, "{t2}");
    assert_ne!(id_of(&t2), id);

    // Own ticket by id (public).
    let r = api.ticket(&id).await;
    assert_eq!(r.expect(200)["number"], t["number"]);
    assert_eq!(r.body["status"], "waiting");

    let s = api.state(None).await;
    assert_eq!(waiting_count(&s, "hotich"), 2, "{s}");

    let clerk = api.clerk(1).await;
    let r = api.next(1, &clerk).await;
    let body = r.expect(200).clone();
    assert_eq!(body["finished"], Value::Null, "{body}");
    let called = &body["ticket"];
    assert_eq!(id_of(called), id, "the oldest ticket is called first");
    assert_eq!(called["status"], "called");
    assert_eq!(called["counter"], 1);
    assert!(called["called_at"].is_string(), "{called}");
    assert_eq!(called["clerk"], "nv01", "{called}");

    let r = api.ticket(&id).await;
    assert_eq!(r.expect(200)["status"], "called");
    assert_eq!(r.body["counter"], 1);

    let s = api.state(None).await;
    assert_eq!(waiting_count(&s, "hotich"), 1, "{s}");
    let c1 = counter_entry(&s, 1);
    assert_eq!(c1["current"]["number"], t["number"], "{c1}");
    assert_eq!(c1["clerk"]["id"], "nv01", "{c1}");
    assert_eq!(s["recent_calls"][0]["number"], t["number"], "{s}");
    assert_eq!(s["recent_calls"][0]["counter"], 1, "{s}");

    let r = api.counter_op(1, "finish", &clerk).await;
    let done = &r.expect(200)["ticket"];
    assert_eq!(id_of(done), id);
    assert_eq!(done["status"], "done");
    assert!(done["finished_at"].is_string(), "{done}");

    let r = api.ticket(&id).await;
    assert_eq!(r.expect(200)["status"], "done");
    let s = api.state(None).await;
    assert_eq!(counter_entry(&s, 1)["current"], Value::Null, "{s}");

    // Next calls the second ticket; next again finishes it and finds nobody.
    let r = api.next(1, &clerk).await;
    let b = r.expect(200).clone();
    assert_eq!(
        b["finished"],
        Value::Null,
        "counter had no current ticket: {b}"
    );
    assert_eq!(id_of(&b["ticket"]), id_of(&t2));
    let r = api.next(1, &clerk).await;
    let b = r.expect(200).clone();
    assert_eq!(id_of(&b["finished"]), id_of(&t2), "{b}");
    assert_eq!(b["finished"]["status"], "done", "{b}");
    assert_eq!(b["ticket"], Value::Null, "nobody waiting: {b}");
    assert_eq!(api.ticket(&id_of(&t2)).await.body["status"], "done");
}

#[tokio::test]
async fn next_serves_only_the_counters_services_in_issue_order() {
    let d = Daemon::start_default();
    let api = d.api();
    // Counter 1 serves hotich + chungthuc (fifo): an earlier chungthuc goes before a later
    // hotich, and a datdai ticket is never called there.
    let a = api.issue("datdai").await;
    let b = api.issue("chungthuc").await;
    let c = api.issue("hotich").await;
    let clerk = api.clerk(1).await;
    let first = api.next(1, &clerk).await.expect(200)["ticket"].clone();
    assert_eq!(id_of(&first), id_of(&b), "{first}");
    let second = api.next(1, &clerk).await.expect(200)["ticket"].clone();
    assert_eq!(id_of(&second), id_of(&c), "{second}");
    let third = api.next(1, &clerk).await.expect(200).clone();
    assert_eq!(
        third["ticket"],
        Value::Null,
        "datdai is not served at 1: {third}"
    );
    assert_eq!(api.ticket(&id_of(&a)).await.body["status"], "waiting");
}

#[tokio::test]
async fn recall_increments_and_needs_a_current_ticket() {
    let d = Daemon::start_default();
    let api = d.api();
    let clerk = api.clerk(1).await;

    let r = api.counter_op(1, "recall", &clerk).await;
    r.expect_error(409, "no_current_ticket");

    let t = api.issue("hotich").await;
    let r = api.next(1, &clerk).await;
    assert_eq!(id_of(&r.expect(200)["ticket"]), id_of(&t));

    for n in 1..=3 {
        let r = api.counter_op(1, "recall", &clerk).await;
        let rt = &r.expect(200)["ticket"];
        assert_eq!(id_of(rt), id_of(&t));
        assert_eq!(rt["recalls"], n, "{rt}");
        assert_eq!(rt["status"], "called", "{rt}");
        assert_eq!(rt["counter"], 1, "{rt}");
    }
    assert_eq!(api.ticket(&id_of(&t)).await.body["recalls"], 3);
    let s = api.state(None).await;
    assert_eq!(counter_entry(&s, 1)["current"]["recalls"], 3, "{s}");

    // After finishing, there is nothing to recall again.
    api.counter_op(1, "finish", &clerk).await.expect(200);
    let r = api.counter_op(1, "recall", &clerk).await;
    r.expect_error(409, "no_current_ticket");
}

#[tokio::test]
async fn no_show_then_requeue() {
    let d = Daemon::start_default();
    let api = d.api();
    let clerk = api.clerk(1).await;
    let t = api.issue("hotich").await;
    let id = id_of(&t);
    api.next(1, &clerk).await.expect(200);

    let r = api.counter_op(1, "no-show", &clerk).await;
    let ns = &r.expect(200)["ticket"];
    assert_eq!(id_of(ns), id);
    assert_eq!(ns["status"], "no_show", "{ns}");
    assert_eq!(api.ticket(&id).await.body["status"], "no_show");
    let s = api.state(None).await;
    assert_eq!(counter_entry(&s, 1)["current"], Value::Null, "{s}");
    assert_eq!(waiting_count(&s, "hotich"), 0, "{s}");

    // A no-show is not called again by next until it is requeued.
    let b = api.next(1, &clerk).await.expect(200).clone();
    assert_eq!(b["ticket"], Value::Null, "{b}");

    let r = api
        .post_empty(&format!("/api/v1/tickets/{id}/requeue"), Some(&clerk))
        .await;
    let rq = r.expect(200).clone();
    assert_eq!(id_of(&rq), id);
    assert_eq!(rq["status"], "waiting", "{rq}");
    assert_eq!(rq["number"], t["number"], "requeue keeps the number: {rq}");
    assert_eq!(api.ticket(&id).await.body["status"], "waiting");
    let s = api.state(None).await;
    assert_eq!(waiting_count(&s, "hotich"), 1, "{s}");

    let b = api.next(1, &clerk).await.expect(200).clone();
    assert_eq!(
        id_of(&b["ticket"]),
        id,
        "the requeued ticket is called again: {b}"
    );
    assert_eq!(b["ticket"]["status"], "called");

    // The supervisor may requeue too.
    api.counter_op(1, "no-show", &clerk).await.expect(200);
    let r = api
        .post_empty(&format!("/api/v1/tickets/{id}/requeue"), Some(SUPERVISOR))
        .await;
    assert_eq!(r.expect(200)["status"], "waiting");
}

#[tokio::test]
async fn transfer_keeps_number_and_place_by_issue_time() {
    let d = Daemon::start_default();
    let api = d.api();
    let s = api.state(None).await;
    let target = counter_serving(&s, "datdai");
    assert_ne!(target, 1);

    // hotich ticket A is issued before datdai tickets B1, B2.
    let a = api.issue("hotich").await;
    let b1 = api.issue("datdai").await;
    let b2 = api.issue("datdai").await;

    let clerk1 = api.clerk(1).await;
    assert_eq!(
        id_of(&api.next(1, &clerk1).await.expect(200)["ticket"]),
        id_of(&a)
    );
    let r = api.transfer(1, &clerk1, "datdai").await;
    let tr = r.expect(200)["ticket"].clone();
    assert_eq!(id_of(&tr), id_of(&a));
    assert_eq!(tr["service"], "datdai", "{tr}");
    assert_eq!(tr["status"], "waiting", "{tr}");
    assert_eq!(
        tr["number"], a["number"],
        "a transfer keeps the number: {tr}"
    );
    assert_eq!(tr["issued_at"], a["issued_at"], "{tr}");
    assert_eq!(
        tr["waiting_ahead"], 0,
        "A was issued before B1 and B2: {tr}"
    );

    let got = api.ticket(&id_of(&a)).await;
    assert_eq!(got.expect(200)["service"], "datdai");
    assert_eq!(got.body["status"], "waiting");
    assert_eq!(got.body["number"], a["number"]);
    let s = api.state(None).await;
    assert_eq!(counter_entry(&s, 1)["current"], Value::Null, "{s}");
    assert_eq!(waiting_count(&s, "datdai"), 3, "{s}");
    assert_eq!(waiting_count(&s, "hotich"), 0, "{s}");
    assert_eq!(
        api.ticket(&id_of(&b1)).await.body["waiting_ahead"],
        1,
        "B1 now has A ahead"
    );

    // The datdai counter calls A first (original issue time), then B1, B2.
    let clerk = api.clerk(target).await;
    let mut order = Vec::new();
    for _ in 0..3 {
        let b = api.next(target, &clerk).await.expect(200).clone();
        order.push(id_of(&b["ticket"]));
    }
    assert_eq!(order, vec![id_of(&a), id_of(&b1), id_of(&b2)]);
    let last = api.next(target, &clerk).await.expect(200).clone();
    assert_eq!(last["ticket"], Value::Null);
}

#[tokio::test]
async fn cancel_with_own_id() {
    let d = Daemon::start_default();
    let api = d.api();
    let a = api.issue("hotich").await;
    let b = api.issue("hotich").await;
    let c = api.issue("hotich").await;

    // The holder cancels with the id alone (no token).
    let r = api
        .delete(&format!("/api/v1/tickets/{}", id_of(&a)), None)
        .await;
    let ct = r.expect(200).clone();
    assert_eq!(id_of(&ct), id_of(&a));
    assert_eq!(ct["status"], "cancelled", "{ct}");
    assert_eq!(api.ticket(&id_of(&a)).await.body["status"], "cancelled");
    let s = api.state(None).await;
    assert_eq!(waiting_count(&s, "hotich"), 2, "{s}");
    assert_eq!(
        api.ticket(&id_of(&b)).await.body["waiting_ahead"],
        0,
        "nobody is ahead of B once A is cancelled"
    );

    // The supervisor cancels another.
    let r = api
        .delete(&format!("/api/v1/tickets/{}", id_of(&b)), Some(SUPERVISOR))
        .await;
    assert_eq!(r.expect(200)["status"], "cancelled");

    // Cancelled tickets are never called.
    let clerk = api.clerk(1).await;
    let n = api.next(1, &clerk).await.expect(200).clone();
    assert_eq!(id_of(&n["ticket"]), id_of(&c), "{n}");
    let n = api.next(1, &clerk).await.expect(200).clone();
    assert_eq!(n["ticket"], Value::Null, "{n}");
}

#[tokio::test]
async fn paused_counter_refuses_next() {
    let d = Daemon::start_default();
    let api = d.api();
    // Counter 2 (also hotich) is staffed, so no "unstaffed service" alert can fire on the
    // daemon's timer while the state is compared.
    let _clerk2 = api.clerk(2).await;
    let t = api.issue("hotich").await;
    let clerk = api.clerk(1).await;

    let r = api.set_status(1, &clerk, "paused").await;
    let c = r.expect(200).clone();
    assert_eq!(c["status"], "paused", "{c}");
    assert_eq!(c["id"], 1, "{c}");
    let s = api.state(None).await;
    assert_eq!(counter_entry(&s, 1)["status"], "paused");

    let before = api.state_sans_now().await;
    let r = api.next(1, &clerk).await;
    r.expect_error(409, "invalid_state");
    assert_eq!(
        api.state_sans_now().await,
        before,
        "a refused next changes nothing"
    );
    assert_eq!(api.ticket(&id_of(&t)).await.body["status"], "waiting");

    // Closed refuses too; open again works.
    api.set_status(1, &clerk, "closed").await.expect(200);
    api.next(1, &clerk).await.expect_error(409, "invalid_state");
    let r = api.set_status(1, &clerk, "open").await;
    assert_eq!(r.expect(200)["status"], "open");
    let b = api.next(1, &clerk).await.expect(200).clone();
    assert_eq!(id_of(&b["ticket"]), id_of(&t));

    // A bad status value is a bad request.
    let r = api
        .post(
            "/api/v1/counters/1/status",
            Some(&clerk),
            json!({ "status": "sleeping" }),
        )
        .await;
    r.expect_error(400, "bad_request");
}

#[tokio::test]
async fn priority_ticket_goes_first() {
    let d = Daemon::start_default();
    let api = d.api();
    let normal = api.issue("hotich").await;
    let elderly = api.issue_with("hotich", Some("elderly")).await;
    assert_eq!(elderly["priority"], "elderly");
    let clerk = api.clerk(1).await;
    let b = api.next(1, &clerk).await.expect(200).clone();
    assert_eq!(id_of(&b["ticket"]), id_of(&elderly), "{b}");
    let b = api.next(1, &clerk).await.expect(200).clone();
    assert_eq!(id_of(&b["ticket"]), id_of(&normal), "{b}");
}

#[tokio::test]
async fn priority_streak_lets_a_waiting_normal_ticket_through() {
    // config/default.toml: priority_streak = 3.
    let d = Daemon::start_default();
    let api = d.api();
    let normal = api.issue("hotich").await;
    let mut prio = Vec::new();
    for _ in 0..5 {
        prio.push(api.issue_with("hotich", Some("elderly")).await);
    }
    let clerk = api.clerk(1).await;
    let mut order = Vec::new();
    for _ in 0..6 {
        order.push(id_of(&api.next(1, &clerk).await.expect(200)["ticket"]));
    }
    let expect = vec![
        id_of(&prio[0]),
        id_of(&prio[1]),
        id_of(&prio[2]),
        id_of(&normal),
        id_of(&prio[3]),
        id_of(&prio[4]),
    ];
    assert_eq!(
        order, expect,
        "3 priority tickets, then the waiting normal one"
    );
}

#[tokio::test]
async fn ordered_counter_serves_its_services_in_order() {
    // Counter 4 serves ["datdai", "dkkd"] in "ordered" mode.
    let d = Daemon::start_default();
    let api = d.api();
    let s = api.state(None).await;
    assert_eq!(counter_entry(&s, 4)["mode"], "ordered", "{s}");
    let dk = api.issue("dkkd").await;
    let dd = api.issue("datdai").await;
    let clerk = api.clerk(4).await;
    let first = api.next(4, &clerk).await.expect(200)["ticket"].clone();
    assert_eq!(
        id_of(&first),
        id_of(&dd),
        "datdai first, though dkkd is older"
    );
    let second = api.next(4, &clerk).await.expect(200)["ticket"].clone();
    assert_eq!(id_of(&second), id_of(&dk));
}

fn pct(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn ratings_and_stats_agree_with_what_happened() {
    let d = Daemon::start_default();
    let api = d.api();
    let t1 = api.issue("hotich").await;
    let t2 = api.issue("hotich").await;
    let t3 = api.issue("hotich").await;
    let t4 = api.issue("chungthuc").await;
    let clerk = api.clerk(1).await;

    // t1 served and rated by the counter's tablet without naming the ticket.
    api.next(1, &clerk).await.expect(200);
    api.counter_op(1, "finish", &clerk).await.expect(200);
    let target = api
        .get("/api/v1/counters/1/rating-target", Some(&rating_token(1)))
        .await;
    let tg = target.expect(200).clone();
    assert_eq!(tg["counter"], 1, "{tg}");
    assert_eq!(tg["ticket"]["number"], t1["number"], "{tg}");
    assert_eq!(tg["ticket"]["rated"], false, "{tg}");
    assert_eq!(tg["clerk"]["id"], "nv01", "{tg}");
    let r = api
        .post(
            "/api/v1/ratings",
            Some(&rating_token(1)),
            json!({ "score": 4 }),
        )
        .await;
    r.expect(201);
    let tg = api
        .get("/api/v1/counters/1/rating-target", Some(&rating_token(1)))
        .await;
    assert_eq!(tg.expect(200)["ticket"]["rated"], true, "{}", tg.text);
    // The tablet of another counter cannot rate t1.
    let r = api
        .post(
            "/api/v1/ratings",
            Some(&rating_token(2)),
            json!({ "ticket": id_of(&t1), "score": 1 }),
        )
        .await;
    assert!(
        r.status == 403 || r.status == 409,
        "counter 2's tablet rated a ticket of counter 1: {}",
        r.text
    );

    // t2 served; its holder rates it from the phone.
    api.next(1, &clerk).await.expect(200);
    api.next(1, &clerk).await.expect(200); // finishes t2, calls t3
    let r = api
        .post(
            "/api/v1/ratings",
            None,
            json!({ "ticket": id_of(&t2), "score": 1, "comment": "chậm" }),
        )
        .await;
    r.expect(201);
    // t3 does not show up; t4 is cancelled.
    api.counter_op(1, "no-show", &clerk).await.expect(200);
    api.delete(&format!("/api/v1/tickets/{}", id_of(&t4)), None)
        .await
        .expect(200);
    let t5 = api.issue("datdai").await;
    let _ = (t3, t5);

    let r = api.get("/api/v1/stats", Some(SUPERVISOR)).await;
    let st = r.expect(200).clone();
    assert!(st["day"].is_string(), "{st}");
    let tot = &st["totals"];
    assert_eq!(tot["issued"], 5, "{tot}");
    assert_eq!(tot["served"], 2, "{tot}");
    assert_eq!(tot["no_show"], 1, "{tot}");
    assert_eq!(tot["cancelled"], 1, "{tot}");
    assert_eq!(tot["waiting"], 1, "{tot}");
    assert_eq!(tot["ratings"]["4"], 1, "{tot}");
    assert_eq!(tot["ratings"]["1"], 1, "{tot}");
    assert_eq!(tot["ratings"]["2"], 0, "{tot}");
    assert!((pct(&tot["satisfaction_pct"]) - 50.0).abs() < 0.01, "{tot}");
    assert!(tot["wait_s"]["max"].is_number(), "{tot}");
    let hotich = st["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "hotich")
        .unwrap();
    assert_eq!(hotich["issued"], 3, "{hotich}");
    assert_eq!(hotich["served"], 2, "{hotich}");
    let c1 = st["counters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == 1)
        .unwrap();
    assert_eq!(c1["served"], 2, "{c1}");
    let nv01 = st["clerks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "nv01")
        .unwrap();
    assert_eq!(nv01["served"], 2, "{nv01}");
    assert_eq!(nv01["ratings"]["4"], 1, "{nv01}");
}
