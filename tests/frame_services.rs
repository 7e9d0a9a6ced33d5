//! Each ticket event's frame carries `services`, every service's queue in brief, the same in
//! every audience's frame and equal to the lobby after that event (the broadcaster writes the
//! brief once per event and splices it into each audience's frame).

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(15);

fn waiting(frame: &Value, service: &str) -> Option<i64> {
    frame["services"]
        .as_array()?
        .iter()
        .find(|s| s["id"] == service)?["waiting"]
        .as_i64()
}

#[tokio::test]
async fn ticket_frames_carry_the_queue_in_brief_for_every_audience() {
    let d = Daemon::start_default();
    let api = d.api();
    let public = Collector::open(&d.ws_url()).await;
    let display = Collector::open(&ws_url_with(&d.ws_url(), &[("token", DISPLAY)])).await;
    let sup = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    for _ in 0..3 {
        api.issue("hotich").await;
    }
    let last = api.seq().await;
    let mut seen = Vec::new();
    for (name, c) in [
        ("public", &public),
        ("display", &display),
        ("supervisor", &sup),
    ] {
        c.wait_seq(last, WAIT).await;
        let frames = c.frames();
        let events = assert_snapshot_then_gapless(&frames);
        let issued: Vec<&Value> = events
            .iter()
            .filter(|e| e.event_type() == "ticket_issued")
            .map(|e| &e.json)
            .collect();
        assert_eq!(issued.len(), 3, "{name}: three ticket_issued frames");
        let counts: Vec<Option<i64>> = issued.iter().map(|f| waiting(f, "hotich")).collect();
        assert_eq!(
            counts,
            vec![Some(1), Some(2), Some(3)],
            "{name}: hotich's line after each issue"
        );
        for f in &issued {
            assert_eq!(f["type"], "event", "{name}: {f}");
            assert!(f["seq"].is_u64() && f["at"].is_string() && f["event"].is_object());
        }
        seen.push(issued.last().map(|f| f["services"].clone()));
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "the same brief for every audience: {seen:?}"
    );
}
