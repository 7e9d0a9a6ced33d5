//! The WebSocket protocol: snapshot first, then every event in seq order with no gap; a client
//! whose socket is cut resumes with `since` and misses nothing (compared with an uninterrupted
//! supervisor socket).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(15);

/// A bit of everything a lobby does, producing most event types.
async fn busy_morning(api: &Api) {
    let clerk1 = api.clerk(1).await;
    let clerk2 = api.clerk(2).await;
    let a = api.issue("hotich").await;
    let b = api.issue_with("hotich", Some("elderly")).await;
    let c = api.issue("chungthuc").await;
    let x = api.issue("datdai").await;
    api.next(1, &clerk1).await.expect(200); // b (priority)
    api.counter_op(1, "recall", &clerk1).await.expect(200);
    let r = api.next(2, &clerk2).await; // a (oldest of chungthuc + hotich)
    let absent = id_of(&r.expect(200)["ticket"]);
    api.counter_op(2, "no-show", &clerk2).await.expect(200);
    api.post_empty(&format!("/api/v1/tickets/{absent}/requeue"), Some(&clerk2))
        .await
        .expect(200);
    api.next(1, &clerk1).await.expect(200); // finishes b
    api.transfer(1, &clerk1, "datdai").await.expect(200);
    api.delete(&format!("/api/v1/tickets/{}", id_of(&x)), None)
        .await
        .expect(200);
    api.set_status(2, &clerk2, "paused").await.expect(200);
    api.set_status(2, &clerk2, "open").await.expect(200);
    let _ = (a, c);
    api.put(
        "/api/v1/dossier-stats",
        Some(SUPERVISOR),
        json!({ "received": 120, "on_time": 118, "overdue": 2, "as_of": "2026-11-22T08:00:00+07:00" }),
    )
    .await
    .expect(200);
    // Rate b at counter 1 (it was finished by the second next).
    let r = api
        .post(
            "/api/v1/ratings",
            Some(&rating_token(1)),
            json!({ "ticket": id_of(&b), "score": 3 }),
        )
        .await;
    r.expect(201);
}

#[tokio::test]
async fn every_event_in_seq_order_without_gap() {
    let d = Daemon::start_default();
    let api = d.api();
    let sup = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    let public = Collector::open(&d.ws_url()).await;
    let display = Collector::open(&ws_url_with(&d.ws_url(), &[("token", DISPLAY)])).await;

    busy_morning(&api).await;
    let last = api.seq().await;
    for (name, c) in [
        ("supervisor", &sup),
        ("public", &public),
        ("display", &display),
    ] {
        c.wait_seq(last, WAIT).await;
        let frames = c.frames();
        let events = assert_snapshot_then_gapless(&frames);
        assert_eq!(
            events.last().and_then(|e| e.seq()),
            Some(last),
            "{name}: the last event is /healthz's seq"
        );
        for e in &events {
            assert!(
                e.json["at"].is_string(),
                "{name}: event without `at`: {}",
                e.raw
            );
            assert!(!e.event_type().is_empty(), "{name}: {}", e.raw);
        }
        let types: Vec<&str> = events.iter().map(|e| e.event_type()).collect();
        for t in [
            "ticket_issued",
            "ticket_called",
            "ticket_recalled",
            "ticket_finished",
            "ticket_no_show",
            "ticket_requeued",
            "ticket_transferred",
            "ticket_cancelled",
            "counter_status",
            "clerk_login",
            "rating",
            "dossier_stats",
        ] {
            assert!(types.contains(&t), "{name}: no {t} event in {types:?}");
        }
        // A call carries number, service, counter and the audio playlist.
        let call = events
            .iter()
            .find(|e| e.event_type() == "ticket_called")
            .unwrap();
        let ev = &call.json["event"];
        assert!(ev["ticket"]["number"].is_string(), "{}", call.raw);
        assert!(ev["ticket"]["service"].is_string(), "{}", call.raw);
        assert!(ev["counter"].is_u64(), "{}", call.raw);
        assert!(
            ev["audio"].as_array().is_some_and(|a| !a.is_empty()),
            "{}",
            call.raw
        );
        // Ticket events carry the queue summary.
        let issued = events
            .iter()
            .find(|e| e.event_type() == "ticket_issued")
            .unwrap();
        assert!(
            issued.json["services"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{name}: ticket event without `services`: {}",
            issued.raw
        );
    }
    // All three saw the same sequence of event types.
    let kinds = |c: &Collector| -> Vec<(u64, String)> {
        c.frames()
            .iter()
            .skip(1)
            .map(|f| (f.seq().unwrap(), f.event_type().to_string()))
            .collect()
    };
    assert_eq!(kinds(&sup), kinds(&public));
    assert_eq!(kinds(&sup), kinds(&display));

    // A socket opened now starts with a snapshot at the current seq, equal to GET /state.
    let mut late = ws_connect(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    let first = ws_next(&mut late, WAIT).await.expect("snapshot");
    assert_eq!(first.kind(), "snapshot", "{}", first.raw);
    assert_eq!(first.seq(), Some(last));
    let mut snap = first.json["state"].clone();
    let mut http = api.state(Some(SUPERVISOR)).await;
    snap.as_object_mut().unwrap().remove("now");
    http.as_object_mut().unwrap().remove("now");
    assert_eq!(snap, http, "the socket's snapshot is GET /api/v1/state");
}

/// Collects a resuming client's events: connect (with `since` after the first time), read for
/// a while, cut the socket abruptly, repeat; returns every event frame received.
async fn cut_and_resume(d: &Daemon, cuts: usize) -> (u64, Vec<Frame>) {
    let mut events: Vec<Frame> = Vec::new();
    let first = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let frames = first.cut();
    assert_eq!(frames[0].kind(), "snapshot", "{}", frames[0].raw);
    let start = frames[0].seq().unwrap();
    events.extend(frames[1..].iter().cloned());

    let mut resumed_with_events = 0;
    for i in 0..cuts {
        let since = events.last().and_then(|e| e.seq()).unwrap_or(start);
        // The socket is down for a while; events keep coming meanwhile.
        tokio::time::sleep(Duration::from_millis(60)).await;
        let url = ws_url_with(
            &d.ws_url(),
            &[("token", SUPERVISOR), ("since", &since.to_string())],
        );
        let c = Collector::open(&url).await;
        tokio::time::sleep(Duration::from_millis(40 + 30 * i as u64)).await;
        let frames = c.cut();
        for f in &frames {
            assert_eq!(
                f.kind(),
                "event",
                "resume #{i} since {since}: the ring holds these events, so no snapshot: {}",
                f.raw
            );
        }
        if !frames.is_empty() {
            resumed_with_events += 1;
        }
        events.extend(frames);
    }
    assert!(
        resumed_with_events * 2 >= cuts,
        "only {resumed_with_events} of {cuts} resumed sockets got events: too quiet to test"
    );
    (start, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resume_with_since_misses_nothing() {
    let d = Daemon::start_default();
    let api = d.api();
    let reference = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;

    // The lobby keeps working the whole time: issue, call, finish.
    let stop = Arc::new(AtomicBool::new(false));
    // (Login first: an argon2 check takes seconds in a debug build.)
    let clerk = api.clerk(1).await;
    let seq0 = api.seq().await;
    let worker = {
        let (api, stop) = (api.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                api.issue(if n.is_multiple_of(2) {
                    "hotich"
                } else {
                    "chungthuc"
                })
                .await;
                if n.is_multiple_of(3) {
                    api.next(1, &clerk).await.expect(200);
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            n
        })
    };

    // The lobby is busy before the client connects.
    while api.seq().await < seq0 + 5 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (start, resumed) = cut_and_resume(&d, 8).await;
    stop.store(true, Ordering::SeqCst);
    let issued = worker.await.unwrap();
    assert!(issued > 20, "the lobby was too quiet: {issued} tickets");

    // One more resume after everything settled: it must bring the client up to date.
    let last = api.seq().await;
    let since = resumed.last().and_then(|e| e.seq()).unwrap_or(start);
    let mut tail = ws_connect(&ws_url_with(
        &d.ws_url(),
        &[("token", SUPERVISOR), ("since", &since.to_string())],
    ))
    .await;
    let mut resumed = resumed;
    while resumed.last().and_then(|e| e.seq()).unwrap_or(start) < last {
        let f = ws_next(&mut tail, WAIT)
            .await
            .expect("resumed socket stalled before the last seq");
        assert_eq!(f.kind(), "event", "{}", f.raw);
        resumed.push(f);
    }

    assert_gapless(start, &resumed);
    assert_eq!(resumed.last().unwrap().seq(), Some(last));

    reference.wait_seq(last, WAIT).await;
    let ref_frames = reference.frames();
    let ref_events = assert_snapshot_then_gapless(&ref_frames);
    let ref_slice: Vec<&Value> = ref_events
        .iter()
        .filter(|e| e.seq().unwrap() > start && e.seq().unwrap() <= last)
        .map(|e| &e.json)
        .collect();
    let got: Vec<&Value> = resumed.iter().map(|e| &e.json).collect();
    assert_eq!(got.len(), ref_slice.len());
    for (g, r) in got.iter().zip(ref_slice.iter()) {
        assert_eq!(
            g, r,
            "a resumed event differs from the uninterrupted socket's"
        );
    }
}

#[tokio::test]
async fn since_far_behind_or_ahead_gets_a_fresh_snapshot_or_events() {
    let d = Daemon::start_default();
    let api = d.api();
    for _ in 0..3 {
        api.issue("hotich").await;
    }
    let last = api.seq().await;
    // since = 0 on a fresh day: either the whole (small) history or a snapshot, never a gap.
    let mut ws = ws_connect(&ws_url_with(
        &d.ws_url(),
        &[("token", SUPERVISOR), ("since", "0")],
    ))
    .await;
    let first = ws_next(&mut ws, WAIT).await.expect("first frame");
    match first.kind() {
        "snapshot" => assert_eq!(first.seq(), Some(last), "{}", first.raw),
        "event" => {
            let mut evs = vec![first];
            while evs.last().unwrap().seq().unwrap() < last {
                evs.push(ws_next(&mut ws, WAIT).await.expect("replay"));
            }
            assert_gapless(0, &evs);
        }
        other => panic!("unexpected first frame {other}"),
    }
    // The socket then carries new events.
    api.issue("hotich").await;
    let f = loop {
        let f = ws_next(&mut ws, WAIT).await.expect("live event");
        if f.seq() == Some(last + 1) {
            break f;
        }
    };
    assert_eq!(f.event_type(), "ticket_issued", "{}", f.raw);
}

#[tokio::test]
async fn oversized_client_message_closes_with_1009() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::Message;

    let d = Daemon::start_default();
    let mut ws = ws_connect(&d.ws_url()).await;
    let first = ws_next(&mut ws, WAIT).await.expect("snapshot");
    assert_eq!(first.kind(), "snapshot");
    ws.send(Message::text("x".repeat(5 * 1024))).await.unwrap();
    let code = tokio::time::timeout(WAIT, async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Close(frame)) => return frame.map(|f| f.code),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("socket not closed after an oversized message");
    assert_eq!(code, Some(CloseCode::Size), "close code 1009");
    // The daemon is fine.
    assert_eq!(d.api().get("/healthz", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_client_slows_nobody() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::Message;

    let d = Daemon::start_default();
    let api = d.api();
    let url = ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)]);
    // A client that never reads, with a tiny receive buffer so the daemon feels it at once.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(2048).unwrap();
    let stream = sock.connect(d.addr()).await.unwrap();
    let (mut stalled, _) = tokio_tungstenite::client_async(url.as_str(), stream)
        .await
        .expect("websocket handshake");
    let healthy = Collector::open(&url).await;

    const PER_KIOSK: usize = 300;
    let started = std::time::Instant::now();
    let kiosks: Vec<_> = ["hotich", "chungthuc", "datdai", "dkkd"]
        .into_iter()
        .map(|svc| {
            let api = api.clone();
            tokio::spawn(async move {
                for _ in 0..PER_KIOSK {
                    api.issue(svc).await;
                }
            })
        })
        .collect();
    for k in kiosks {
        tokio::time::timeout(Duration::from_secs(60), k)
            .await
            .expect("issuing stalled behind a client that does not read")
            .unwrap();
    }
    let issuing = started.elapsed();
    let last = api.seq().await;
    healthy.wait_seq(last, Duration::from_secs(10)).await;
    let frames = healthy.frames();
    assert_snapshot_then_gapless(&frames);
    eprintln!(
        "{} tickets in {issuing:?} with a stalled client",
        4 * PER_KIOSK
    );

    // What the stalled client got: a gapless prefix, then either everything or a close 1013.
    let mut seqs = Vec::new();
    let mut close = None;
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(msg) = stalled.next().await {
            match msg {
                Ok(Message::Text(t)) => {
                    let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
                    if let Some(s) = v["seq"].as_u64() {
                        seqs.push(s);
                        if s >= last {
                            return;
                        }
                    }
                }
                Ok(Message::Close(f)) => {
                    close = Some(f.map(|f| f.code));
                    return;
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    })
    .await;
    for w in seqs.windows(2) {
        assert_eq!(
            w[1],
            w[0] + 1,
            "the stalled client saw a gap before being dropped"
        );
    }
    match close {
        Some(Some(code)) => assert_eq!(code, CloseCode::Again, "a slow client is closed with 1013"),
        Some(None) => panic!("closed without a code; expected 1013"),
        None => eprintln!(
            "stalled client was not dropped (got {} frames, last {:?} of {last})",
            seqs.len(),
            seqs.last()
        ),
    }
}
