//! The hub under faults, against real lobbies and a real PostgreSQL (tests/pg.sh): the link
//! between a lobby and the hub cut (a TCP proxy) while the lobby works and restarts; a hub
//! killed with -9 while two hubs serve one database. After healing every event is in
//! `events` exactly once, both hubs serve the same state as the lobbies, and the lobbies
//! never refused or slowed a command meanwhile.

mod common;
mod hub_support;

use std::time::{Duration, Instant};

use common::*;
use hub_support::*;

/// Issues `n` tickets; panics on any refusal; returns the slowest answer.
async fn issue_many(api: &Api, n: usize) -> Duration {
    let mut slowest = Duration::ZERO;
    for i in 0..n {
        let s = ["hotich", "chungthuc", "datdai"][i % 3];
        let t = Instant::now();
        let r = api
            .post(
                "/api/v1/tickets",
                Some(KIOSK),
                serde_json::json!({"service": s}),
            )
            .await;
        slowest = slowest.max(t.elapsed());
        r.expect(201);
    }
    slowest
}

async fn assert_exactly_once(db: &str, lobby: &Daemon, centre: &str) {
    let (rows, max, distinct) = db_counts(db, centre).await;
    let (lines, jmax) = journal_counts(lobby.data_dir());
    assert_eq!(
        (rows, max, distinct),
        (lines, jmax, lines),
        "{centre}: events vs journal"
    );
}

async fn state_of(hub: &Hub, centre: &str) -> serde_json::Value {
    let r = hub
        .api()
        .get(&format!("/api/v1/centres/{centre}/state"), None)
        .await;
    sans_now(r.expect(200).clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_link_heals_through_the_journal_and_the_lobby_never_waits() {
    let Some(base) = pg_url() else { return };
    let db = fresh_db(&base).await;
    let hub = Hub::start(&db);
    let proxy = Proxy::start(hub.addr).await;
    let mut lobby = Daemon::start_with(&lobby_toml(&proxy.url(), "tt-a", TOKEN_A));
    let api = lobby.api();
    issue_many(&api, 10).await;
    wait_seq(&hub.api(), "tt-a", api.seq().await, 20).await;

    proxy.cut();
    let slowest = issue_many(&api, 60).await;
    // The lobby knows, and says how far behind the hub is.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let up = api.get("/api/v1/uplink", Some(SUPERVISOR)).await;
        if up.body["connected"] == false && up.body["behind"].as_u64().unwrap_or(0) >= 60 {
            break;
        }
        assert!(Instant::now() < deadline, "uplink state: {}", up.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A restart while cut off: the uplink must read the journal back.
    lobby.restart();
    let api = lobby.api();
    let slowest = slowest.max(issue_many(&api, 20).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.heal();
    wait_seq(&hub.api(), "tt-a", api.seq().await, 60).await;
    assert_exactly_once(&db, &lobby, "tt-a").await;
    assert_eq!(
        state_of(&hub, "tt-a").await,
        sans_now(api.state(None).await)
    );
    // Never slowed: a ticket takes milliseconds whether the hub is there or not.
    assert!(
        slowest < Duration::from_secs(1),
        "a ticket took {slowest:?} while the hub was cut off"
    );
    let up = api.get("/api/v1/uplink", Some(SUPERVISOR)).await;
    assert_eq!(
        (up.body["connected"].clone(), up.body["behind"].clone()),
        (serde_json::json!(true), serde_json::json!(0)),
        "{}",
        up.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hubs_on_one_database_and_one_killed_mid_batch() {
    let Some(base) = pg_url() else { return };
    let db = fresh_db(&base).await;
    let mut hub1 = Hub::start(&db);
    let hub2 = Hub::start(&db);
    let a = Daemon::start_with(&lobby_toml(&hub1.url(), "tt-a", TOKEN_A));
    let b = Daemon::start_with(&lobby_toml(&hub2.url(), "xa-b", TOKEN_B));
    let (api_a, api_b) = (a.api(), b.api());
    let pushing = tokio::spawn(async move {
        let sa = issue_many(&api_a, 150);
        let sb = issue_many(&api_b, 150);
        let (sa, sb) = tokio::join!(sa, sb);
        sa.max(sb)
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    hub1.kill9();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    hub1.restart();
    let slowest = pushing.await.expect("issuing");
    for (lobby, centre) in [(&a, "tt-a"), (&b, "xa-b")] {
        let seq = lobby.api().seq().await;
        wait_seq(&hub1.api(), centre, seq, 60).await;
        wait_seq(&hub2.api(), centre, seq, 60).await;
        assert_exactly_once(&db, lobby, centre).await;
        let own = sans_now(lobby.api().state(None).await);
        assert_eq!(state_of(&hub1, centre).await, own, "hub 1, {centre}");
        assert_eq!(state_of(&hub2, centre).await, own, "hub 2, {centre}");
    }
    assert!(
        slowest < Duration::from_secs(1),
        "a ticket took {slowest:?} while a hub was killed"
    );
}
