//! PostgreSQL restarted while two lobbies push (its own test binary: the restart would
//! disturb the other hub tests running beside it). The hub answers 503 on /healthz while the
//! database is away, the lobbies go on without noticing, and afterwards every event is in
//! `events` exactly once and the hub equals each lobby. Needs the cluster of tests/pg.sh
//! (`PG_DIR`, `PG_BIN`, `PG_PORT`), which it restarts with `pg_restart`.

mod common;
mod hub_support;

use std::time::{Duration, Instant};

use common::*;
use hub_support::*;

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
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    slowest
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_restarted_while_centres_push() {
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
    let hub = Hub::start(&db);
    let a = Daemon::start_with(&lobby_toml(&hub.url(), "tt-a", TOKEN_A));
    let b = Daemon::start_with(&lobby_toml(&hub.url(), "xa-b", TOKEN_B));
    let (api_a, api_b) = (a.api(), b.api());
    let pushing = tokio::spawn(async move {
        let (sa, sb) = tokio::join!(issue_many(&api_a, 120), issue_many(&api_b, 120));
        sa.max(sb)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let script = manifest_dir().join("tests/pg.sh");
    let stop = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            ". {} && pg_as \"$PG_BIN/pg_ctl\" -D \"$PG_DIR/data\" -m fast -w stop",
            script.display()
        ))
        .status()
        .expect("pg_ctl stop");
    assert!(stop.success(), "PostgreSQL did not stop");
    // The hub says the database is away.
    let h = hub.api().get("/healthz", None).await;
    assert_eq!(
        (h.status, h.body["database"].as_str()),
        (503, Some("unreachable")),
        "{}",
        h.text
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(". {} && pg_start", script.display()))
        .status()
        .expect("pg_start");
    assert!(start.success(), "PostgreSQL did not start again");
    let slowest = pushing.await.expect("issuing");
    for (lobby, centre) in [(&a, "tt-a"), (&b, "xa-b")] {
        let seq = lobby.api().seq().await;
        wait_seq(&hub.api(), centre, seq, 90).await;
        let (rows, max, distinct) = db_counts(&db, centre).await;
        let (lines, jmax) = journal_counts(lobby.data_dir());
        assert_eq!(
            (rows, max, distinct),
            (lines, jmax, lines),
            "{centre}: events vs journal"
        );
        let r = hub
            .api()
            .get(&format!("/api/v1/centres/{centre}/state"), None)
            .await;
        assert_eq!(
            sans_now(r.expect(200).clone()),
            sans_now(lobby.api().state(None).await)
        );
    }
    let h = hub.api().get("/healthz", None).await;
    assert_eq!(h.status, 200, "{}", h.text);
    assert!(
        slowest < Duration::from_secs(1),
        "a ticket took {slowest:?} while PostgreSQL restarted"
    );
}
