//! Four clerks on four counters sharing one service click "next" at once until 400 tickets
//! are drained: no ticket is called twice, none is skipped, and every call takes the oldest
//! waiting ticket at that moment in the journal's order (checked against the supervisor
//! socket's event stream).

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::Value;

const TICKETS: usize = 400;
const PRE_ISSUED: usize = 100;
const CLERKS: u32 = 4;

fn shared_centre() -> String {
    let services = service_toml("chung", "Một cửa chung", 1001, 1999, "");
    let counters: Vec<(u32, &[&str])> = (1..=CLERKS).map(|c| (c, &["chung"][..])).collect();
    centre_toml(&services, &counters)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_clerks_drain_400_tickets_in_order() {
    let d = Daemon::start_with(&shared_centre());
    let api = d.api();
    let sup = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;

    let mut tokens = Vec::new();
    for c in 1..=CLERKS {
        tokens.push(api.clerk(c).await);
    }

    let run = async {
        // Part of the queue exists before anyone clicks; the rest is issued while the
        // clerks are draining, from two kiosks at once.
        let mut issued: Vec<Value> = Vec::new();
        for _ in 0..PRE_ISSUED {
            issued.push(api.issue("chung").await);
        }
        let issuing_done = Arc::new(AtomicBool::new(false));

        let mut kiosks = Vec::new();
        for _ in 0..2 {
            let api = api.clone();
            kiosks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                for _ in 0..(TICKETS - PRE_ISSUED) / 2 {
                    mine.push(api.issue("chung").await);
                }
                mine
            }));
        }

        let mut clerks = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            let counter = i as u32 + 1;
            let (api, token, done) = (api.clone(), token.clone(), issuing_done.clone());
            clerks.push(tokio::spawn(async move {
                let mut called: Vec<String> = Vec::new();
                let mut finished: Vec<String> = Vec::new();
                loop {
                    let was_done = done.load(Ordering::SeqCst);
                    let r = api.next(counter, &token).await;
                    let b = r.expect(200).clone();
                    if !b["finished"].is_null() {
                        assert_eq!(b["finished"]["status"], "done", "{b}");
                        finished.push(id_of(&b["finished"]));
                    }
                    if b["ticket"].is_null() {
                        if was_done {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    } else {
                        assert_eq!(b["ticket"]["status"], "called", "{b}");
                        assert_eq!(b["ticket"]["counter"], counter, "{b}");
                        called.push(id_of(&b["ticket"]));
                    }
                }
                (counter, called, finished)
            }));
        }

        for k in kiosks {
            issued.extend(k.await.unwrap());
        }
        issuing_done.store(true, Ordering::SeqCst);
        let mut per_clerk = Vec::new();
        for c in clerks {
            per_clerk.push(c.await.unwrap());
        }
        (issued, per_clerk)
    };
    let (issued, per_clerk) = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("draining 400 tickets took more than 120 s");

    // ---- what the clerks got ----------------------------------------------------------
    assert_eq!(issued.len(), TICKETS);
    let issued_ids: HashSet<String> = issued.iter().map(id_of).collect();
    assert_eq!(issued_ids.len(), TICKETS, "ticket ids are unique");
    let numbers: HashSet<String> = issued.iter().map(number_of).collect();
    assert_eq!(numbers.len(), TICKETS, "ticket numbers are unique");

    let mut all_called = Vec::new();
    let mut counter_of: HashMap<String, u32> = HashMap::new();
    for (counter, called, finished) in &per_clerk {
        assert!(
            !called.is_empty(),
            "counter {counter} never got a ticket (no real concurrency?)"
        );
        // Every ticket a counter called is finished by that counter's following next.
        assert_eq!(called, finished, "counter {counter}: called vs finished");
        for id in called {
            counter_of.insert(id.clone(), *counter);
        }
        all_called.extend(called.iter().cloned());
    }
    let called_set: HashSet<String> = all_called.iter().cloned().collect();
    assert_eq!(
        all_called.len(),
        called_set.len(),
        "a ticket was called twice"
    );
    assert_eq!(called_set, issued_ids, "called set differs from issued set");

    // ---- the journal's order, seen by the supervisor ------------------------------------
    let final_seq = api.seq().await;
    sup.wait_seq(final_seq, Duration::from_secs(20)).await;
    let frames = sup.frames();
    let events = assert_snapshot_then_gapless(&frames);
    let snapshot = &frames[0].json["state"];
    let mut waiting: VecDeque<String> = snapshot["waiting"]
        .as_array()
        .map(|a| a.iter().map(id_of).collect())
        .unwrap_or_default();
    assert!(waiting.is_empty(), "fresh centre: {snapshot}");

    let mut calls = 0;
    for e in &events {
        let ev = &e.json["event"];
        match e.event_type() {
            "ticket_issued" => waiting.push_back(id_of(&ev["ticket"])),
            "ticket_called" => {
                let id = id_of(&ev["ticket"]);
                assert_eq!(
                    waiting.front(),
                    Some(&id),
                    "call #{calls} (seq {:?}) did not take the oldest waiting ticket",
                    e.seq()
                );
                waiting.pop_front();
                assert_eq!(
                    ev["counter"].as_u64(),
                    counter_of.get(&id).map(|c| *c as u64),
                    "the event's counter is the one whose next got the ticket: {}",
                    e.raw
                );
                calls += 1;
            }
            // (Supervisor alerts are time-based; none is expected here, but one would not
            // change the queue.)
            "ticket_finished" | "clerk_login" | "counter_status" | "alert" | "alert_cleared" => {}
            other => panic!("unexpected event {other}: {}", e.raw),
        }
    }
    assert_eq!(calls, TICKETS, "ticket_called events");
    assert!(waiting.is_empty(), "never called: {waiting:?}");

    // ---- final state ------------------------------------------------------------------
    let s = api.state(Some(SUPERVISOR)).await;
    assert_eq!(waiting_count(&s, "chung"), 0, "{s}");
    for c in 1..=CLERKS {
        assert_eq!(counter_entry(&s, c)["current"], Value::Null);
    }
    let served: u64 = (1..=CLERKS)
        .map(|c| counter_entry(&s, c)["served"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(served, TICKETS as u64, "counters' served total");
    for t in issued.iter().step_by(7) {
        let r = api.ticket(&id_of(t)).await;
        assert_eq!(r.expect(200)["status"], "done", "{}", r.text);
    }
}
