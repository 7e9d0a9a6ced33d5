//! The typed answers (issue 13: `/state`'s per-audience snapshot types and the owned ticket
//! views of `api/views.rs`) send what the `Value`-based encoders sent: the same keys, null
//! where it was null, absent where it was absent, the same values. (Key order is the types'
//! declaration order now; the old `json!` maps sorted keys. JSON readers do not see it.)
//!
//! The oracles are the old encoders, kept in the test: `snapshot_golden/legacy.rs` (the
//! `json!` snapshot) and `view_golden/legacy.rs` (the Value-based tickets). A day recorded by
//! the real daemon is replayed event by event; at every seq each audience's snapshot is
//! compared with the oracle, and with the typed view serialised whole (which proves the
//! cached body + `now` splice writes exactly the typed document). The ticket answers the
//! daemon gave during the day (issue, check-in, remote ticket, next, recall, finish, no-show,
//! requeue, transfer, cancel) are compared with the oracle at the seq they were given, and the
//! read answers at the end of the day (`/state` live, ticket look-up, counter queue,
//! no-shows, `/me`, counter status, bookings).

mod common;
#[allow(dead_code)]
#[path = "view_golden/legacy.rs"]
mod legacy;
#[path = "snapshot_golden/legacy.rs"]
mod legacy_snapshot;

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use common::*;
use serde_json::{json, Value};
use xephang::domain::event::*;
use xephang::domain::ids::{CounterId, ServiceId, StaffId, TicketId};
use xephang::domain::Envelope;
use xephang::read::{CentreInfo, ReadModel};
use xephang::view::Audience;

const AUDIENCES: [Audience; 3] = [Audience::Public, Audience::Staff, Audience::Supervisor];

/// A ticket answer the daemon gave, with the seq it was given at.
struct Given {
    seq: u64,
    what: String,
    ticket: Value,
}

/// The ticket of an answer without the keys an own-ticket answer adds to the view.
fn bare(mut t: Value) -> Value {
    if let Some(m) = t.as_object_mut() {
        for k in ["url", "rated", "print"] {
            m.remove(k);
        }
    }
    t
}

fn ticket_id(t: &Value) -> TicketId {
    id_of(t).parse().expect("ticket id")
}

/// Notes the ticket(s) of an answer just given, at the seq it left the read model at.
async fn given(api: &Api, log: &mut Vec<Given>, what: &str, tickets: &[&Value]) {
    let seq = api.seq().await;
    for t in tickets {
        if t.is_object() {
            log.push(Given {
                seq,
                what: what.to_string(),
                ticket: (*t).clone(),
            });
        }
    }
}

fn demo_centre() -> (Arc<xephang::domain::spec::CentreSpec>, Arc<CentreInfo>) {
    let config = xephang::config::load(&default_config()).expect("demo config");
    let spec = Arc::new(config.spec.clone());
    let centre = Arc::new(config.centre_info());
    (spec, centre)
}

/// Each audience's snapshot of `model` against the oracle and against the typed view.
fn check_snapshot(model: &ReadModel, centre: &CentreInfo, now: DateTime<FixedOffset>) -> usize {
    let snap = model.snapshot();
    let priorities = &model.spec().priorities;
    for a in AUDIENCES {
        let sent = model.snapshot_json(a, now);
        let typed =
            serde_json::to_string(&snap.view(centre, priorities, a).at(now)).expect("serialises");
        assert_eq!(sent, typed, "{a:?} at seq {}: splice = typed", model.seq());
        let new: Value = serde_json::from_str(&sent).expect("JSON");
        let old: Value =
            serde_json::from_str(&legacy_snapshot::to_json(snap, centre, priorities, a, now))
                .expect("oracle JSON");
        assert_eq!(new, old, "{a:?} snapshot at seq {}", model.seq());
        assert_eq!(
            new.get("waiting").is_some() && new.get("alerts").is_some(),
            a.is_staff(),
            "{a:?}"
        );
    }
    AUDIENCES.len()
}

/// Events a short demo day does not raise by itself: alerts with every optional field set
/// and unset, dossier figures, a clerk with a photo, an alert cleared.
fn extra_events(day: NaiveDate) -> Vec<Event> {
    let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("time");
    let since = at(&format!("{day}T08:00:00+07:00"));
    let alert = |key: &str, full: bool| Alert {
        key: key.into(),
        kind: if full {
            AlertKind::PrinterPaperOut
        } else {
            AlertKind::ServiceUnstaffed
        },
        service: full.then(|| ServiceId::new("hotich")),
        counter: full.then_some(CounterId(3)),
        number: full.then(|| "1001".to_string()),
        since,
        printer: full.then(|| "kiosk-1".to_string()),
        device: full.then(|| "tv-1".to_string()),
    };
    vec![
        Event::Alert(alert("full", true)),
        Event::Alert(alert("bare", false)),
        Event::DossierStats(DossierStats {
            received: 12,
            on_time: 10,
            overdue: 2,
            as_of: since,
        }),
        Event::ClerkLogin {
            counter: CounterId(3),
            clerk: Some(ClerkRef {
                id: StaffId("nv03".into()),
                name: "Trần Thị Bình".into(),
                photo: Some("nv03.jpg".into()),
            }),
        },
        Event::AlertCleared { key: "full".into() },
    ]
}

/// A day of the real daemon: tickets of several services, a priority, a remote ticket, calls,
/// a recall, a no-show put back, a transfer, ratings, a cancel, a booking checked in and one
/// cancelled, a paused counter.
#[tokio::test]
async fn a_recorded_day_answers_as_before() {
    let d = Daemon::start_default();
    let api = d.api();
    let mut log = Vec::new();
    let c1 = api.clerk(1).await;
    let c2 = api.clerk(2).await;
    let a = api.issue("hotich").await;
    given(&api, &mut log, "issue", &[&a]).await;
    let b = api.issue_with("hotich", Some("elderly")).await;
    given(&api, &mut log, "issue (priority)", &[&b]).await;
    let c = api.issue("chungthuc").await;
    let e = api.issue("datdai").await;
    given(&api, &mut log, "issue", &[&c, &e]).await;
    let remote = api
        .post("/api/v1/remote-tickets", None, json!({ "service": "gplx" }))
        .await;
    given(&api, &mut log, "remote ticket", &[remote.expect(201)]).await;
    let n = api.next(1, &c1).await;
    given(&api, &mut log, "next", &[&n.expect(200)["ticket"]]).await;
    let r = api.counter_op(1, "recall", &c1).await;
    given(&api, &mut log, "recall", &[&r.expect(200)["ticket"]]).await;
    api.next(2, &c2).await.expect(200);
    let f = api.counter_op(1, "finish", &c1).await;
    given(&api, &mut log, "finish", &[&f.expect(200)["ticket"]]).await;
    api.post(
        "/api/v1/ratings",
        Some(&rating_token(1)),
        json!({ "ticket": id_of(&b), "score": 2, "comment": "Chu đáo" }),
    )
    .await
    .expect(201);
    let n = api.next(1, &c1).await;
    let body = n.expect(200);
    given(
        &api,
        &mut log,
        "next",
        &[&body["ticket"], &body["finished"]],
    )
    .await;
    let n = api.next(2, &c2).await;
    let body = n.expect(200);
    given(
        &api,
        &mut log,
        "next (finishing)",
        &[&body["ticket"], &body["finished"]],
    )
    .await;
    let x = api.counter_op(1, "no-show", &c1).await;
    given(&api, &mut log, "no-show", &[&x.expect(200)["ticket"]]).await;
    let no_show = id_of(&x.body["ticket"]);
    let q = api
        .post_empty(&format!("/api/v1/tickets/{no_show}/requeue"), Some(&c1))
        .await;
    given(&api, &mut log, "requeue", &[q.expect(200)]).await;
    api.next(1, &c1).await.expect(200);
    let t = api.transfer(1, &c1, "datdai").await;
    given(&api, &mut log, "transfer", &[&t.expect(200)["ticket"]]).await;
    let z = api
        .delete(&format!("/api/v1/tickets/{}", id_of(&e)), None)
        .await;
    given(&api, &mut log, "cancel", &[z.expect(200)]).await;
    let (booked, check_in) = api.book_check_in_and_cancel("hotich", 8).await;
    if let Some(ci) = check_in.filter(|ci| ci.status == 201 || ci.status == 200) {
        given(&api, &mut log, "check-in", &[&ci.body]).await;
    }
    api.issue("hotich").await;
    api.next(2, &c2).await.expect(200);
    let paused = api.set_status(2, &c2, "paused").await.expect(200).clone();

    // The day as recorded, and the daemon's clock to replay it at.
    let live = api.state(Some(SUPERVISOR)).await;
    let now = DateTime::parse_from_rfc3339(live["now"].as_str().expect("now")).expect("now");
    let day: NaiveDate = live["day"].as_str().expect("day").parse().expect("day");
    let events = xephang::journal::read_day(&d.data_dir().join("journal"), day).expect("journal");

    // Event by event: every snapshot, and each answer at the seq it was given.
    let (spec, centre) = demo_centre();
    let mut model = ReadModel::new(spec.clone(), centre.clone(), day);
    let mut snapshots = check_snapshot(&model, &centre, now);
    let mut answers = 0;
    for env in &events {
        model.apply(&[Arc::new(env.clone())], now);
        snapshots += check_snapshot(&model, &centre, now);
        for g in log.iter().filter(|g| g.seq == model.seq()) {
            let t = model
                .ticket(&ticket_id(&g.ticket))
                .expect("answered ticket");
            assert_eq!(bare(g.ticket.clone()), legacy::own_ticket(t), "{}", g.what);
            answers += 1;
        }
    }
    assert_eq!(answers, log.len(), "every answer met its seq");
    assert!(log.len() >= 14, "{} answers", log.len());

    // The live `/state` of every audience, as the oracle encodes the same day.
    let full = ReadModel::replay(spec.clone(), centre.clone(), day, &events, now);
    for (token, a) in [
        (None, Audience::Public),
        (Some(c1.as_str()), Audience::Staff),
        (Some(SUPERVISOR), Audience::Supervisor),
    ] {
        let mut got = api.state(token).await;
        let when = got["now"].as_str().expect("now").to_string();
        let when = DateTime::parse_from_rfc3339(&when).expect("now");
        let old = legacy_snapshot::to_json(full.snapshot(), &centre, &spec.priorities, a, when);
        let mut old: Value = serde_json::from_str(&old).expect("oracle JSON");
        // Waits are estimated at each answer's own clock: compare them apart.
        for v in [&mut got, &mut old] {
            v.as_object_mut().expect("object").remove("now");
        }
        assert_eq!(got, old, "live {a:?} /state");
    }

    // The read answers at the end of the day.
    let mut reads = 0;
    let own = |t: &Value| legacy::own_ticket(full.ticket(&ticket_id(t)).expect("ticket"));
    for env in &events {
        let Some(t) = env.event.ticket() else {
            continue;
        };
        let r = api.ticket(&t.id.to_string()).await;
        let body = r.expect(200);
        assert_eq!(bare(body.clone()), own(body), "GET /tickets/{}", t.id);
        assert_eq!(body["rated"], json!(full.rating(&t.id).is_some()));
        assert!(body["url"]
            .as_str()
            .is_some_and(|u| u.contains(&t.id.to_string())));
        reads += 1;
    }
    let queue = api.get("/api/v1/counters/1/queue", Some(&c1)).await;
    for t in queue.expect(200)["tickets"].as_array().expect("tickets") {
        assert_eq!(t, &own(t), "queue");
        reads += 1;
    }
    let no_shows = api.get("/api/v1/no-shows", Some(SUPERVISOR)).await;
    for t in no_shows.expect(200)["tickets"].as_array().expect("tickets") {
        assert_eq!(t, &own(t), "no-shows");
        reads += 1;
    }
    for (token, counter, a) in [
        (c1.as_str(), 1, Audience::Staff),
        (c2.as_str(), 2, Audience::Staff),
    ] {
        let me = api.get("/api/v1/me", Some(token)).await;
        let current = &me.expect(200)["current"];
        let k = full
            .snapshot()
            .counter(CounterId(counter))
            .expect("counter");
        let expected = k.current.as_ref().map(|t| legacy::ticket(t, a));
        assert_eq!(current, &json!(expected), "/me at counter {counter}");
        reads += 1;
    }
    let k = full.snapshot().counter(CounterId(2)).expect("counter 2");
    let expected = k
        .current
        .as_ref()
        .map(|t| legacy::ticket(t, Audience::Staff));
    assert_eq!(paused["current"], json!(expected), "status answer");
    assert!(paused["current"].is_object(), "counter 2 serves someone");
    let bookings = api
        .get(&format!("/api/v1/bookings?day={day}"), Some(SUPERVISOR))
        .await;
    for row in bookings.expect(200)["bookings"].as_array().expect("rows") {
        if row["ticket"].is_object() {
            // The day's tickets as stored (a day's data carries no place in line).
            let stored = full.lobby().ticket(&ticket_id(&row["ticket"]));
            let expected = legacy::own_ticket(stored.expect("ticket"));
            assert_eq!(row["ticket"], expected, "booking row");
            reads += 1;
        }
    }

    // Events the short day did not raise, on top of it.
    let first = model.seq() + 1;
    for (seq, event) in (first..).zip(extra_events(day)) {
        let env = Envelope {
            seq,
            at: now,
            event,
        };
        model.apply(&[Arc::new(env)], now);
        snapshots += check_snapshot(&model, &centre, now);
    }
    let alerts = serde_json::to_value(model.snapshot().alerts()).expect("alerts");
    assert_eq!(alerts.as_array().map(Vec::len), Some(1), "{alerts}");
    assert!(model.snapshot().dossier().is_some());

    assert!(snapshots > 100, "{snapshots} snapshots");
    assert!(reads > 15, "{reads} read answers (booked {booked})");
}
