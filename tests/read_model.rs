//! The read model is a function of the event stream alone: a centre's model rebuilt from
//! its recorded journal, with nothing else of the daemon that produced it, gives the same
//! snapshot (every audience) and the same figures as the live daemon (issue 13; the province
//! hub builds each centre's model exactly this way).

mod common;

use std::sync::Arc;

use common::*;
use serde_json::{json, Value};
use xephang::read::ReadModel;
use xephang::view::Audience;

/// A mixed day: tickets of three services, priority, calls at two counters, a recall, a
/// no-show put back in line, a transfer, a finish with a rating, a cancel, a pause.
async fn busy_day(api: &Api) {
    let c1 = api.clerk(1).await;
    let c2 = api.clerk(2).await;
    let mut ids = Vec::new();
    for s in [
        "hotich",
        "hotich",
        "chungthuc",
        "hotich",
        "datdai",
        "chungthuc",
    ] {
        ids.push(id_of(&api.issue(s).await));
    }
    api.issue_with("hotich", Some("elderly")).await;
    api.next(1, &c1).await.expect(200);
    api.counter_op(1, "recall", &c1).await.expect(200);
    api.counter_op(1, "no-show", &c1).await.expect(200);
    api.next(2, &c2).await.expect(200);
    api.transfer(2, &c2, "datdai").await.expect(200);
    api.next(1, &c1).await.expect(200);
    api.counter_op(1, "finish", &c1).await.expect(200);
    let rating = api
        .post(
            "/api/v1/ratings",
            Some(&rating_token(1)),
            json!({"score": 4, "comment": "Nhanh, chu đáo"}),
        )
        .await;
    assert!(
        rating.status == 201 || rating.status == 200,
        "rating: {}",
        rating.text
    );
    api.delete(&format!("/api/v1/tickets/{}", ids[5]), None)
        .await;
    api.next(2, &c2).await.expect(200);
    api.set_status(2, &c2, "paused").await.expect(200);
    api.issue("hotich").await;
}

fn sans(mut v: Value, keys: &[&str]) -> Value {
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
    v
}

#[tokio::test]
async fn a_centre_rebuilt_from_its_events_alone_equals_the_live_daemon() {
    let d = Daemon::start_default();
    let api = d.api();
    busy_day(&api).await;
    let clerk3 = api.clerk(3).await;

    let live_public = sans(api.state(None).await, &["now"]);
    let live_staff = sans(api.state(Some(&clerk3)).await, &["now"]);
    let live_super = api.state_sans_now().await;
    let live_stats = api.get("/api/v1/stats", Some(SUPERVISOR)).await;
    assert_eq!(live_stats.status, 200, "{}", live_stats.text);

    // The recorded stream: the day's journal file, and nothing else of the daemon.
    let day: chrono::NaiveDate = live_super["day"]
        .as_str()
        .expect("day")
        .parse()
        .expect("day");
    let events = xephang::journal::read_day(&d.data_dir().join("journal"), day).expect("journal");
    assert!(events.len() > 20, "a busy day: {} events", events.len());

    let config = xephang::config::load(&default_config()).expect("demo config");
    let spec = Arc::new(config.spec.clone());
    let centre = Arc::new(config.centre_info());
    let now =
        chrono::DateTime::parse_from_rfc3339(api.state(None).await["now"].as_str().expect("now"))
            .expect("now");
    let model = ReadModel::replay(spec, centre, day, &events, now);

    let json_of = |a: Audience| -> Value {
        sans(
            serde_json::from_str(&model.snapshot_json(a, now)).expect("json"),
            &["now"],
        )
    };
    assert_eq!(json_of(Audience::Public), live_public, "public snapshot");
    assert_eq!(json_of(Audience::Staff), live_staff, "clerk snapshot");
    assert_eq!(
        json_of(Audience::Supervisor),
        live_super,
        "supervisor snapshot"
    );

    // Figures: the same document, but for the live-only longest wait (it depends on `now`).
    let strip_longest = |mut v: Value| {
        fn walk(v: &mut Value) {
            match v {
                Value::Object(o) => {
                    o.remove("longest_wait_s");
                    o.values_mut().for_each(walk);
                }
                Value::Array(a) => a.iter_mut().for_each(walk),
                _ => {}
            }
        }
        walk(&mut v);
        v
    };
    let mut rebuilt = model.stats().doc(model.spec(), &Default::default());
    // The API puts the display names beside the ids (issue 14); so does the rebuilt report.
    xephang::report::add_names(
        &mut rebuilt,
        model.spec(),
        config
            .staff
            .iter()
            .map(|s| (s.id.0.as_str(), s.name.as_str())),
    );
    assert_eq!(
        strip_longest(serde_json::to_value(rebuilt).expect("stats document")),
        strip_longest(live_stats.body.clone()),
        "figures"
    );

    // Each ticket of the day, with its place in line, as the phone page gets it.
    for t in live_super["waiting"].as_array().expect("waiting") {
        let id = t["id"].as_str().expect("id");
        let live = api.ticket(id).await.body;
        let tid = id.parse().expect("ticket id");
        let mine = xephang::view::own_ticket_value(model.ticket(&tid).expect("ticket in model"));
        assert_eq!(sans(live, &["rated", "url"]), mine, "ticket {id}");
    }
}
