//! The typed audience views (issue 13, knot 4) put on the wire exactly what the old
//! "serialise everything, delete keys" views did: the same keys, null where it was null,
//! absent where it was absent. The oracle is the old code, kept in `view_golden/legacy.rs`.
//! Checked over a day recorded by the real daemon (its journal) and over hand-made events
//! of every kind with each optional field both set and unset.

mod common;
#[path = "view_golden/legacy.rs"]
mod legacy;

use chrono::{DateTime, FixedOffset, NaiveDate};
use common::*;
use serde_json::{json, Value};
use xephang::broadcast::Frame;
use xephang::domain::event::*;
use xephang::domain::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
use xephang::domain::ticket::{Status, Ticket};
use xephang::domain::Envelope;
use xephang::view::{self, Audience};

const AUDIENCES: [Audience; 3] = [Audience::Public, Audience::Staff, Audience::Supervisor];

/// Compares every view of `env` (event, frame, ticket) with the oracle's.
fn check(env: &Envelope) -> usize {
    let queue = json!([{"id": "hotich", "waiting": 3}]);
    let arc = std::sync::Arc::new(env.clone());
    let frame = Frame::encode(&arc, &queue);
    let mut n = 0;
    for a in AUDIENCES {
        let new = serde_json::to_value(view::event(&env.event, a)).expect("serialises");
        assert_eq!(new, legacy::event(&env.event, a), "{a:?} view of {env:?}");
        let bytes: Value =
            serde_json::from_str(frame.for_audience(a).as_str()).expect("frame is JSON");
        assert_eq!(
            bytes,
            legacy::frame(env, &queue, a),
            "{a:?} frame of {env:?}"
        );
        if let Some(t) = env.event.ticket() {
            let new = serde_json::to_value(view::ticket(t, a)).expect("serialises");
            assert_eq!(new, legacy::ticket(t, a), "{a:?} ticket of {env:?}");
            let own = serde_json::to_value(view::own_ticket(t)).expect("serialises");
            assert_eq!(own, legacy::own_ticket(t), "own ticket of {env:?}");
        }
        n += 1;
    }
    n
}

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("time")
}

fn ticket(n: u32, full: bool) -> Ticket {
    Ticket {
        id: TicketId(ulid::Ulid::from_parts(1_700_000_000_000 + u64::from(n), 7)),
        number: format!("{:04}", 1000 + n),
        service: ServiceId::new("hotich"),
        origin: ServiceId::new("datdai"),
        priority: full.then(|| "elderly".to_string()),
        status: if full {
            Status::Called
        } else {
            Status::Waiting
        },
        issued_at: at("2026-11-23T08:00:07+07:00"),
        called_at: full.then(|| at("2026-11-23T08:10:00+07:00")),
        first_called_at: full.then(|| at("2026-11-23T08:09:00+07:00")),
        finished_at: full.then(|| at("2026-11-23T08:20:00+07:00")),
        counter: full.then_some(CounterId(2)),
        clerk: full.then(|| StaffId("nv02".into())),
        recalls: u32::from(full),
        order: u64::from(n),
        slot_start: full.then(|| at("2026-11-23T08:30:00+07:00")),
        booking: full.then(|| BookingCode("K7Q2ZP".into())),
        remote: full,
        waiting_ahead: (!full).then_some(4),
        eta_s: (!full).then_some(600),
    }
}

fn booking(full: bool) -> Booking {
    Booking {
        code: BookingCode(if full { "K7Q2ZP" } else { "M3N4P5" }.into()),
        service: ServiceId::new("hotich"),
        start: at("2026-11-24T09:00:00+07:00"),
        name: full.then(|| "Lê Thị Riêng Tư".to_string()),
        phone: full.then(|| "0987654321".to_string()),
        checked_in: full.then(|| ticket(1, true).id),
    }
}

/// One or more events of every kind, each optional field both set and unset.
fn every_kind() -> Vec<Event> {
    let clerk = ClerkRef {
        id: StaffId("nv01".into()),
        name: "Nguyễn Văn An".into(),
        photo: Some("nv01.jpg".into()),
    };
    let dossier = DossierStats {
        received: 12,
        on_time: 10,
        overdue: 2,
        as_of: at("2026-11-23T07:00:00+07:00"),
    };
    let rating = |full: bool| Rating {
        ticket: ticket(1, full).id,
        number: "1001".into(),
        service: ServiceId::new("hotich"),
        counter: full.then_some(CounterId(1)),
        clerk: full.then(|| StaffId("nv01".into())),
        score: if full { 2 } else { 4 },
        comment: full.then(|| "Bí mật XQ7731".to_string()),
        source: if full {
            RatingSource::Phone
        } else {
            RatingSource::Counter
        },
        phone: full.then(|| "0911222333".to_string()),
    };
    let alert = |full: bool| Alert {
        key: "overdue:1001".into(),
        kind: AlertKind::TicketOverdue,
        service: full.then(|| ServiceId::new("hotich")),
        counter: full.then_some(CounterId(3)),
        number: full.then(|| "1001".to_string()),
        since: at("2026-11-23T08:00:00+07:00"),
        printer: full.then(|| "kiosk-1".to_string()),
        device: full.then(|| "tv-1".to_string()),
    };
    let day = NaiveDate::from_ymd_opt(2026, 11, 23).expect("day");
    let mut out = Vec::new();
    for full in [false, true] {
        let t = ticket(if full { 2 } else { 3 }, full);
        out.extend([
            Event::DayStarted {
                day,
                counters: if full {
                    vec![CounterCarry {
                        counter: CounterId(1),
                        status: CounterStatus::Open,
                        clerk: Some(clerk.clone()),
                    }]
                } else {
                    vec![]
                },
                bookings: if full {
                    vec![booking(true), booking(false)]
                } else {
                    vec![booking(false)]
                },
                dossier: full.then(|| dossier.clone()),
                overlay: Default::default(),
            },
            Event::TicketIssued {
                ticket: t.clone(),
                booking: full.then(|| BookingCode("K7Q2ZP".into())),
                client: full.then(|| ClientTag("0123456789abcdef".into())),
            },
            Event::TicketCalled {
                ticket: t.clone(),
                counter: CounterId(2),
                audio: vec!["moi-so".into(), "1".into()],
            },
            Event::TicketRecalled {
                ticket: t.clone(),
                counter: CounterId(2),
                audio: vec![],
            },
            Event::TicketFinished {
                ticket: t.clone(),
                counter: CounterId(2),
            },
            Event::TicketNoShow {
                ticket: t.clone(),
                counter: CounterId(2),
            },
            Event::TicketRequeued { ticket: t.clone() },
            Event::TicketTransferred {
                ticket: t.clone(),
                from_service: ServiceId::new("datdai"),
                counter: full.then_some(CounterId(2)),
            },
            Event::TicketCancelled { ticket: t.clone() },
            Event::TicketExpired { ticket: t },
            Event::CounterStatus {
                counter: CounterId(1),
                status: if full {
                    CounterStatus::Paused
                } else {
                    CounterStatus::Closed
                },
            },
            Event::ClerkLogin {
                counter: CounterId(1),
                clerk: full.then(|| clerk.clone()),
            },
            Event::Rating(rating(full)),
            Event::DossierStats(dossier.clone()),
            Event::BookingCreated {
                booking: booking(full),
            },
            Event::BookingCancelled {
                code: BookingCode("K7Q2ZP".into()),
                service: ServiceId::new("hotich"),
                start: at("2026-11-24T09:00:00+07:00"),
            },
            Event::Alert(alert(full)),
            Event::AlertCleared {
                key: "overdue:1001".into(),
            },
            Event::PersonalDataPurged { before: day },
        ]);
    }
    out
}

#[test]
fn every_kind_of_event_looks_as_before_to_every_audience() {
    let events = every_kind();
    let mut checked = 0;
    for (i, e) in events.into_iter().enumerate() {
        checked += check(&Envelope {
            seq: i as u64 + 1,
            at: at("2026-11-23T08:00:00+07:00"),
            event: e,
        });
    }
    assert_eq!(
        checked,
        2 * 19 * 3,
        "two of each of the 19 kinds, three audiences"
    );
}

/// A day of the real daemon: tickets of three services, priority, calls, a recall, a no-show
/// put back, a transfer, ratings from the tablet and from the phone (with a call-back
/// number), a cancel, a booking with a name and phone, its check-in and a cancelled booking.
#[tokio::test]
async fn a_recorded_day_looks_as_before_to_every_audience() {
    let d = Daemon::start_default();
    let api = d.api();
    let c1 = api.clerk(1).await;
    let c2 = api.clerk(2).await;
    let a = api.issue("hotich").await;
    let b = api.issue_with("hotich", Some("elderly")).await;
    let c = api.issue("chungthuc").await;
    let e = api.issue("datdai").await;
    api.next(1, &c1).await.expect(200);
    api.counter_op(1, "recall", &c1).await.expect(200);
    api.next(2, &c2).await.expect(200);
    api.counter_op(1, "finish", &c1).await.expect(200);
    api.counter_op(2, "finish", &c2).await.expect(200);
    api.post(
        "/api/v1/ratings",
        Some(&rating_token(1)),
        json!({ "ticket": id_of(&b), "score": 2, "comment": "Chu đáo" }),
    )
    .await
    .expect(201);
    api.post(
        "/api/v1/ratings",
        None,
        json!({ "ticket": id_of(&a), "score": 4, "comment": "Nhanh", "phone": "0911222333" }),
    )
    .await
    .expect(201);
    let n = api.next(1, &c1).await.expect(200).clone();
    assert_eq!(id_of(&n["ticket"]), id_of(&c));
    api.counter_op(1, "no-show", &c1).await.expect(200);
    api.post_empty(&format!("/api/v1/tickets/{}/requeue", id_of(&c)), Some(&c1))
        .await
        .expect(200);
    api.next(1, &c1).await.expect(200);
    api.transfer(1, &c1, "datdai").await.expect(200);
    api.delete(&format!("/api/v1/tickets/{}", id_of(&e)), None)
        .await
        .expect(200);
    let (booked, _) = api.book_check_in_and_cancel("hotich", 8).await;
    api.issue("hotich").await;
    api.set_status(2, &c2, "paused").await.expect(200);

    let day = api.state_sans_now().await["day"]
        .as_str()
        .expect("day")
        .parse()
        .expect("day");
    let events = xephang::journal::read_day(&d.data_dir().join("journal"), day).expect("journal");
    let mut kinds = std::collections::BTreeSet::new();
    let mut checked = 0;
    for env in &events {
        kinds.insert(env.event.kind());
        checked += check(env);
    }
    assert!(checked > 60, "a busy day: {checked} views");
    assert!(kinds.len() >= 10, "kinds seen: {kinds:?} (booked {booked})");
}
