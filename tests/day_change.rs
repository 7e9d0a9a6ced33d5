//! The engine's day change across a restart (issue 7): a day is started and tickets issued on
//! a shifted clock (`XEPHANG_TEST_CLOCK_OFFSET_S`, test only), then the daemon is restarted
//! with the clock moved past midnight. Yesterday's open tickets must end `expired` in
//! yesterday's journal file, today's file must start with `day_started`, numbering must
//! restart at the service's first number, and the event seq must continue without reuse.

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

/// The envelopes of one day's journal file, in order.
fn day_file(d: &Daemon, day: &str) -> Vec<Value> {
    let path = d.data_dir().join("journal").join(format!("{day}.jsonl"));
    let text = std::fs::read_to_string(&path).expect("journal file");
    text.lines()
        .map(|line| serde_json::from_str(&line[9..]).expect("journal JSON"))
        .collect()
}

fn kind(e: &Value) -> &str {
    e["event"]["type"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_restart_past_midnight_expires_yesterday_and_starts_today() {
    let services = service_toml("hotich", "Hộ tịch", 1001, 1999, "");
    let toml = centre_toml(&services, &[(1, &["hotich"])]);
    let mut d = Daemon::start_with_env(&toml, &[(CLOCK, &clock_at("2031-05-05T16:00:00+07:00"))]);
    let api = d.api();
    let clerk = api.clerk(1).await;
    let mut yesterday = Vec::new();
    for _ in 0..3 {
        yesterday.push(api.issue("hotich").await);
    }
    let numbers: Vec<&str> = yesterday
        .iter()
        .map(|t| t["number"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(numbers, ["1001", "1002", "1003"]);
    // 1001 is at the counter, 1002 and 1003 wait.
    api.next(1, &clerk).await.expect(200);
    let state = api.get("/api/v1/state", None).await;
    assert_eq!(state.expect(200)["day"], "2031-05-05");
    let seq_before = api.get("/healthz", None).await.expect(200)["seq"]
        .as_u64()
        .expect("seq");

    d.set_env(CLOCK, &clock_at("2031-05-06T08:00:00+07:00"));
    d.restart();
    let api = d.api();

    // Yesterday's file: ends with the open tickets expired, after the events of that day.
    let old = day_file(&d, "2031-05-05");
    assert_eq!(kind(&old[0]), "day_started");
    let expired: Vec<&str> = old
        .iter()
        .filter(|e| kind(e) == "ticket_expired")
        .map(|e| e["event"]["ticket"]["number"].as_str().unwrap_or(""))
        .collect();
    for waiting in ["1002", "1003"] {
        assert!(
            expired.contains(&waiting),
            "{waiting} not expired: {expired:?}"
        );
    }
    for e in old.iter().filter(|e| kind(e) == "ticket_expired") {
        assert_eq!(e["event"]["ticket"]["status"], "expired", "{e}");
    }
    let last_old = old.last().expect("events")["seq"].as_u64().expect("seq");
    assert!(
        last_old >= seq_before,
        "expiry events follow the day's events"
    );

    // Today's file: starts with day_started, seq continuing from yesterday's last.
    let new = day_file(&d, "2031-05-06");
    assert_eq!(kind(&new[0]), "day_started", "{}", new[0]);
    assert_eq!(new[0]["event"]["day"], "2031-05-06");
    assert_eq!(new[0]["seq"].as_u64(), Some(last_old + 1), "seq continues");
    let all: Vec<u64> = old
        .iter()
        .chain(&new)
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    assert!(
        all.windows(2).all(|w| w[1] == w[0] + 1),
        "gapless seqs: {all:?}"
    );

    // Today's state: nobody waiting, numbering restarts, seq continues.
    let state = api.get("/api/v1/state", Some(SUPERVISOR)).await;
    let state = state.expect(200);
    assert_eq!(state["day"], "2031-05-06");
    assert_eq!(
        state["waiting"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
    let t = api.issue("hotich").await;
    assert_eq!(t["number"], "1001", "numbering restarts each day");
    let health = api.get("/healthz", None).await;
    let seq_now = health.expect(200)["seq"].as_u64().expect("seq");
    let today = day_file(&d, "2031-05-06");
    assert_eq!(today.last().expect("events")["seq"].as_u64(), Some(seq_now));
    assert!(seq_now > last_old + 1);

    // Yesterday's figures count the expired tickets.
    let stats = api
        .get("/api/v1/stats?day=2031-05-05", Some(SUPERVISOR))
        .await;
    let stats = stats.expect(200);
    assert_eq!(stats["totals"]["issued"], 3, "{stats}");
    assert!(
        stats["totals"]["expired"].as_u64().is_some_and(|n| n >= 2),
        "{stats}"
    );
}

/// The day change while the daemon runs (the engine's timer tick, no restart, no command):
/// at midnight every socket sees the open tickets expire and `day_started`, in seq order with
/// no gap; a phone watching a waiting ticket sees it `expired`; the clerk stays on duty and
/// numbering restarts.
#[tokio::test]
async fn a_running_daemon_starts_the_new_day_at_midnight() {
    let services = service_toml("hotich", "Hộ tịch", 1001, 1999, "");
    let toml = centre_toml(&services, &[(1, &["hotich"])]);
    // Six seconds before midnight; the engine checks the day every 10 s.
    let d = Daemon::start_with_env(&toml, &[(CLOCK, &clock_at("2031-05-05T23:59:54+07:00"))]);
    let api = d.api();
    let clerk = api.clerk(1).await;
    let first = api.issue("hotich").await;
    let waiting = api.issue("hotich").await;
    api.next(1, &clerk).await.expect(200);
    let supervisor = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    let phone = Collector::open(&ws_url_with(&d.ws_url(), &[("ticket", &id_of(&waiting))])).await;
    let board = Collector::open(&d.ws_url()).await;

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let started = loop {
        let frames = supervisor.frames();
        if let Some(f) = frames.iter().find(|f| f.event_type() == "day_started") {
            break f.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no day_started within 30 s of midnight: {:?}",
            frames.iter().map(|f| f.raw.as_str()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        started.json["event"]["day"], "2031-05-06",
        "{}",
        started.raw
    );
    let seq = started.seq().expect("seq");
    board.wait_seq(seq, Duration::from_secs(5)).await;

    for socket in [&supervisor, &board] {
        let events = assert_snapshot_then_gapless(&socket.frames());
        let expired: Vec<&str> = events
            .iter()
            .filter(|f| f.event_type() == "ticket_expired")
            .map(|f| f.json["event"]["ticket"]["number"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            expired,
            [number_of(&first), number_of(&waiting)],
            "the called and the waiting ticket expire, in issue order"
        );
        let last = events.last().expect("events");
        assert_eq!(last.event_type(), "day_started", "day_started comes last");
    }
    let phone_frames = phone.frames();
    assert!(
        phone_frames
            .iter()
            .any(|f| f.kind() == "ticket" && f.json["ticket"]["status"] == "expired"),
        "the phone sees its ticket expire: {:?}",
        phone_frames
            .iter()
            .map(|f| f.raw.as_str())
            .collect::<Vec<_>>()
    );

    // The new day: nobody waiting, the clerk still on duty, numbering from the first number.
    let state = api.state(Some(SUPERVISOR)).await;
    assert_eq!(state["day"], "2031-05-06");
    assert_eq!(waiting_count(&state, "hotich"), 0, "{state}");
    assert!(
        counter_entry(&state, 1)["clerk"]["id"].is_string(),
        "clerk carried into the day: {state}"
    );
    let t = api.issue("hotich").await;
    assert_eq!(t["number"], "1001", "numbering restarts at midnight");
    let called = api.next(1, &clerk).await;
    assert_eq!(
        called.expect(200)["ticket"]["number"],
        "1001",
        "the clerk's session still works"
    );

    // Both files: yesterday ends with the expiries, today starts with day_started.
    let old = day_file(&d, "2031-05-05");
    assert_eq!(kind(old.last().expect("events")), "ticket_expired");
    let new = day_file(&d, "2031-05-06");
    assert_eq!(kind(&new[0]), "day_started");
    assert_eq!(new[0]["seq"].as_u64(), Some(seq));
}

/// A power cut in the middle of a day change: the new day's file exists but its first line
/// (`day_started`) never reached the disk (or was torn and dropped). The restart must start
/// that day again from the last day that has events — the seq continuing, tomorrow's
/// bookings and the clerks on duty carried — not from an empty state.
#[tokio::test]
async fn a_power_cut_between_the_new_file_and_its_first_line_loses_nothing() {
    let services = service_toml("hen", "Tiếp nhận theo lịch hẹn", 1001, 1999, ALL_DAY_SLOTS);
    let toml = centre_toml(&services, &[(1, &["hen"])]);
    let mut d = Daemon::start_with_env(&toml, &[(CLOCK, &clock_at("2031-05-05T16:00:00+07:00"))]);
    let api = d.api();
    let clerk = api.clerk(1).await;
    api.issue("hen").await;
    let slots = api
        .get("/api/v1/slots?service=hen&day=2031-05-06", None)
        .await;
    let slot = slots.expect(200)[20].clone();
    let booked = api
        .post(
            "/api/v1/bookings",
            None,
            serde_json::json!({"service": "hen", "start": slot["start"]}),
        )
        .await;
    let code = booked.expect(201)["code"]
        .as_str()
        .expect("code")
        .to_string();
    let last_old = api.seq().await;

    // The power cut: yesterday's file complete, today's created and empty; or holding only a
    // torn first line.
    d.kill9();
    let journal = d.data_dir().join("journal");
    for torn in [&b""[..], &b"1234abcd {\"seq\":"[..]] {
        std::fs::write(journal.join("2031-05-06.jsonl"), torn).expect("new day file");
        d.set_env(CLOCK, &clock_at("2031-05-06T08:00:00+07:00"));
        d.restart();
        let api = d.api();

        let new = day_file(&d, "2031-05-06");
        assert_eq!(kind(&new[0]), "day_started", "{}", new[0]);
        let old = day_file(&d, "2031-05-05");
        let last = old.last().expect("events")["seq"].as_u64().expect("seq");
        assert!(last >= last_old, "yesterday's file is whole");
        assert_eq!(
            new[0]["seq"].as_u64(),
            Some(last + 1),
            "seq continues: {}",
            new[0]
        );
        let bookings = api
            .get("/api/v1/bookings?day=2031-05-06", Some(SUPERVISOR))
            .await;
        let bookings = bookings.expect(200)["bookings"].clone();
        assert!(
            bookings
                .as_array()
                .is_some_and(|b| b.iter().any(|b| b["code"] == code.as_str())),
            "today's booking survives the power cut: {bookings}"
        );
        let state = api.state(Some(SUPERVISOR)).await;
        assert_eq!(state["day"], "2031-05-06");
        assert!(
            counter_entry(&state, 1)["clerk"]["id"].is_string(),
            "the clerk on duty is carried: {state}"
        );
        assert_eq!(
            api.next(1, &clerk).await.status,
            200,
            "the clerk's session works"
        );
        // Back to the cut for the second shape of it.
        d.kill9();
        std::fs::remove_file(journal.join("2031-05-06.jsonl")).expect("remove");
        d.set_env(CLOCK, &clock_at("2031-05-05T16:00:00+07:00"));
    }
}
