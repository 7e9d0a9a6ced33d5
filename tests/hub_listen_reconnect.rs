//! Two hub processes on one database across a PostgreSQL restart: hub B learns of the events
//! hub A stores only through LISTEN/NOTIFY, so after the restart an event pushed through hub
//! A must reach hub B's model within a bound — hub B's LISTEN connection came back — and both
//! hubs serve the lobby's state. Its own test binary (the restart would disturb the other hub
//! tests). Needs the cluster of tests/pg.sh (`PG_DIR`, `PG_BIN`, `PG_PORT`).

mod common;
mod hub_support;

use std::time::{Duration, Instant};

use common::*;
use hub_support::*;

/// How long an event stored by hub A may take to show at hub B once both are up.
const NOTIFY_BOUND: Duration = Duration::from_secs(2);

fn pg_script(cmd: &str) -> bool {
    let script = manifest_dir().join("tests/pg.sh");
    std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(". {} && {cmd}", script.display()))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

async fn issue(api: &Api) {
    api.post(
        "/api/v1/tickets",
        Some(KIOSK),
        serde_json::json!({"service": "hotich"}),
    )
    .await
    .expect(201);
}

async fn seq_at(hub: &Hub, centre: &str) -> u64 {
    let r = hub
        .api()
        .try_request(
            reqwest::Method::GET,
            &format!("/api/v1/centres/{centre}/state"),
            None,
            Body::None,
            &[],
        )
        .await;
    match r {
        Ok(r) if r.status == 200 => r.body["seq"].as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// Polls until hub is at `seq`; the time it took, or None after `within`.
async fn reaches(hub: &Hub, centre: &str, seq: u64, within: Duration) -> Option<Duration> {
    let t = Instant::now();
    while t.elapsed() < within {
        if seq_at(hub, centre).await >= seq {
            return Some(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

async fn healthy(hub: &Hub, within: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < within {
        let h = hub
            .api()
            .try_request(reqwest::Method::GET, "/healthz", None, Body::None, &[])
            .await;
        if matches!(h, Ok(r) if r.status == 200) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn the_second_hub_hears_the_first_again_after_postgres_restarts() {
    let Some(base) = pg_url() else { return };
    if std::env::var("PG_DIR").is_err() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "PG_DIR is not set under CI: start PostgreSQL with tests/pg.sh"
        );
        eprintln!("SKIPPED: PG_DIR is not set (the cluster was not started by tests/pg.sh, so it cannot be restarted here)");
        return;
    }
    let db = fresh_db(&base).await;
    let hub_a = Hub::start(&db);
    let hub_b = Hub::start(&db);
    // The lobby pushes to hub A only; hub B hears of its events through PostgreSQL.
    let lobby = Daemon::start_with(&lobby_toml(&hub_a.url(), "tt-a", TOKEN_A));
    let api = lobby.api();
    issue(&api).await;
    let seq = api.seq().await;
    wait_seq(&hub_a.api(), "tt-a", seq, 30).await;
    // Before the restart hub B follows hub A through NOTIFY (it is not known before the
    // lobby's first push: hub B builds the centre when notified of its spec).
    issue(&api).await;
    let seq = api.seq().await;
    assert!(
        reaches(&hub_b, "tt-a", seq, Duration::from_secs(10))
            .await
            .is_some(),
        "hub B never followed hub A before the restart:\n{}",
        hub_b.log_tail()
    );

    assert!(
        pg_script("pg_as \"$PG_BIN/pg_ctl\" -D \"$PG_DIR/data\" -m fast -w stop"),
        "PostgreSQL did not stop"
    );
    // The lobby goes on while the database is away; its uplink keeps these for later.
    issue(&api).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(pg_script("pg_start"), "PostgreSQL did not start again");
    assert!(
        healthy(&hub_a, Duration::from_secs(30)).await
            && healthy(&hub_b, Duration::from_secs(30)).await,
        "a hub did not see the database again"
    );
    // What was pushed around the restart reaches hub A, then hub B (by NOTIFY or by the
    // catch-up that follows a LISTEN reconnection).
    let seq = api.seq().await;
    wait_seq(&hub_a.api(), "tt-a", seq, 60).await;
    assert!(
        reaches(&hub_b, "tt-a", seq, Duration::from_secs(30))
            .await
            .is_some(),
        "hub B stays behind hub A after the restart:\n{}",
        hub_b.log_tail()
    );

    // Now only a live LISTEN brings hub B a new event: several, each within the bound.
    for i in 0..3 {
        issue(&api).await;
        let seq = api.seq().await;
        wait_seq(&hub_a.api(), "tt-a", seq, 30).await;
        let took = reaches(&hub_b, "tt-a", seq, NOTIFY_BOUND).await;
        assert!(
            took.is_some(),
            "event {i} after the restart (seq {seq}) stored by hub A did not reach hub B within {NOTIFY_BOUND:?} (hub B at {}): its LISTEN did not come back\n{}",
            seq_at(&hub_b, "tt-a").await,
            hub_b.log_tail()
        );
    }

    // Both serve the same state, the lobby's.
    let lobby_state = sans_now(api.state(None).await);
    for (name, hub) in [("A", &hub_a), ("B", &hub_b)] {
        let r = hub.api().get("/api/v1/centres/tt-a/state", None).await;
        assert_eq!(
            sans_now(r.expect(200).clone()),
            lobby_state,
            "hub {name}'s state of tt-a"
        );
    }
    let (rows, max, distinct) = db_counts(&db, "tt-a").await;
    let (lines, jmax) = journal_counts(lobby.data_dir());
    assert_eq!(
        (rows, max, distinct),
        (lines, jmax, lines),
        "events vs journal"
    );
}
