//! The province hub against real lobbies and a real PostgreSQL (tests/pg.sh starts a
//! throwaway cluster; without `XEPHANG_DATABASE_URL` these skip, under CI they fail): two
//! lobbies push a day and the hub equals each of them — state, every ticket, the figures,
//! `events` equal to each journal —, no personal data reaches the database, and a lobby
//! whose data dir was wiped is refused with a clear error, shown on both sides.

mod common;
mod hub_support;

use serde_json::{json, Value};

use common::*;
use hub_support::*;

const NAME: &str = "Lê Thị Riêng";
const BOOK_PHONE: &str = "0912345678";
const RATE_PHONE: &str = "0987654321";

/// A busy morning at a lobby: tickets on several services (one from a phone, one with a
/// booking that carries a name and a phone), calls, finishes, a no-show, a transfer, a
/// rating with a comment and a call-back number. Returns every ticket id.
async fn busy_day(api: &Api) -> Vec<String> {
    let mut ids = Vec::new();
    for s in [
        "hotich",
        "hotich",
        "chungthuc",
        "datdai",
        "hotich",
        "chungthuc",
        "hotich",
        "datdai",
        "hotich",
        "chungthuc",
    ] {
        ids.push(id_of(&api.issue(s).await));
    }
    let remote = api
        .post("/api/v1/remote-tickets", None, json!({"service": "gplx"}))
        .await;
    ids.push(id_of(remote.expect(201)));
    if let Some(slot) = api.free_slot("hotich", 7).await {
        api.post(
            "/api/v1/bookings",
            None,
            json!({"service": "hotich", "start": slot["start"], "name": NAME, "phone": BOOK_PHONE}),
        )
        .await
        .expect(201);
    }
    let c1 = api.clerk(1).await;
    let c2 = api.clerk(2).await;
    for _ in 0..2 {
        api.next(1, &c1).await.expect(200);
        api.next(2, &c2).await.expect(200);
    }
    api.counter_op(1, "no-show", &c1).await.expect(200);
    api.next(1, &c1).await.expect(200);
    api.counter_op(1, "finish", &c1).await.expect(200);
    api.counter_op(2, "finish", &c2).await.expect(200);
    api.post(
        "/api/v1/ratings",
        None,
        json!({"ticket": ids[0], "score": 4, "comment": format!("Cảm ơn, {NAME} {RATE_PHONE}"), "phone": RATE_PHONE}),
    )
    .await;
    ids
}

/// Everything a lobby and the hub must agree on for one centre.
async fn assert_hub_equals_lobby(
    hub: &Hub,
    db: &str,
    lobby: &Daemon,
    centre: &str,
    ids: &[String],
) {
    let api = lobby.api();
    let seq = api.seq().await;
    wait_seq(&hub.api(), centre, seq, 30).await;
    let lobby_state = sans_now(api.state(None).await);
    let hub_state = hub
        .api()
        .get(&format!("/api/v1/centres/{centre}/state"), None)
        .await;
    assert_eq!(
        sans_now(hub_state.expect(200).clone()),
        lobby_state,
        "{centre}: state"
    );
    for id in ids {
        let l = api.ticket(id).await;
        let h = hub
            .api()
            .get(&format!("/api/v1/centres/{centre}/tickets/{id}"), None)
            .await;
        same_ticket(h.expect(200), l.expect(200), centre, id);
    }
    let (rows, max, distinct) = db_counts(db, centre).await;
    let (lines, jmax) = journal_counts(lobby.data_dir());
    assert_eq!(
        (rows, max, distinct),
        (lines, jmax, lines),
        "{centre}: events vs journal"
    );
    // The day's figures, field by field.
    let own = api.get("/api/v1/stats", Some(SUPERVISOR)).await;
    let province = hub
        .api()
        .get("/api/v1/province/stats", Some(PROVINCE))
        .await;
    let row = province.expect(200)["centres"]
        .as_array()
        .expect("centres")
        .iter()
        .find(|c| c["id"] == centre)
        .cloned()
        .expect("centre row");
    let mut row = row;
    if let Some(o) = row.as_object_mut() {
        o.remove("id");
        o.remove("name");
    }
    assert_eq!(row, own.expect(200)["totals"], "{centre}: figures");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_lobbies_push_a_day_and_the_hub_equals_each() {
    let Some(base) = pg_url() else { return };
    let db = fresh_db(&base).await;
    let hub = Hub::start(&db);
    // Lobby B's traffic goes through a proxy that keeps every byte it sends.
    let wire = Proxy::start(hub.addr).await;
    let a = Daemon::start_with(&lobby_toml(&hub.url(), "tt-a", TOKEN_A));
    let b = Daemon::start_with(&lobby_toml(&wire.url(), "xa-b", TOKEN_B));
    let ids_a = busy_day(&a.api()).await;
    let ids_b = busy_day(&b.api()).await;
    assert_hub_equals_lobby(&hub, &db, &a, "tt-a", &ids_a).await;
    assert_hub_equals_lobby(&hub, &db, &b, "xa-b", &ids_b).await;

    // The public list (rebuilt within a second of a change): both online, at their seq,
    // with the lobby's waiting counts.
    let (sa, sb) = (a.api().seq().await, b.api().seq().await);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let list = loop {
        let list = hub.api().get("/api/v1/centres", None).await;
        let list = list.expect(200).as_array().cloned().expect("list");
        let at = |id: &str| {
            list.iter()
                .find(|c| c["id"] == id)
                .and_then(|c| c["seq"].as_u64())
        };
        if at("tt-a") == Some(sa) && at("xa-b") == Some(sb) {
            break list;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "list not current: {list:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    for (d, id) in [(&a, "tt-a"), (&b, "xa-b")] {
        let entry = list.iter().find(|c| c["id"] == id).expect("listed");
        assert_eq!(entry["online"], true, "{entry}");
        assert_eq!(entry["seq"].as_u64(), Some(d.api().seq().await), "{entry}");
        let state = d.api().state(None).await;
        for s in entry["services"].as_array().expect("services") {
            let own = service_entry(&state, s["id"].as_str().expect("id"));
            assert_eq!(
                (&s["waiting"], &s["eta_s"], &s["open"]),
                (&own["waiting"], &own["eta_s"], &own["open"])
            );
        }
    }

    // No name, phone number, client tag or booking code reached the database.
    let mut secrets = vec![
        NAME.to_string(),
        BOOK_PHONE.to_string(),
        RATE_PHONE.to_string(),
        "Cảm ơn".to_string(),
    ];
    for d in [&a, &b] {
        for e in std::fs::read_dir(d.data_dir().join("journal"))
            .expect("journal")
            .flatten()
        {
            for line in std::fs::read_to_string(e.path()).expect("read").lines() {
                let v: Value = serde_json::from_str(&line[9..]).expect("line");
                if let Some(tag) = v["event"]["client"].as_str() {
                    secrets.push(tag.to_string());
                }
                if let Some(code) = v["event"]["booking"]["code"].as_str() {
                    secrets.push(code.to_string());
                }
            }
        }
    }
    assert!(
        secrets.len() >= 6,
        "the day made a client tag and a booking: {secrets:?}"
    );
    // Not on the wire…
    let traffic = wire.sent.lock().unwrap().clone();
    assert!(
        traffic.len() > 1000,
        "lobby B's pushes went through the proxy"
    );
    for s in &secrets {
        let found = traffic.windows(s.len()).any(|w| w == s.as_bytes());
        assert!(!found, "{s:?} was sent to the hub");
    }
    // …nor in the database.
    let c = sql(&db).await;
    for s in &secrets {
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM events WHERE strpos(body::text, $1) > 0",
                &[s],
            )
            .await
            .expect("search")
            .get(0);
        assert_eq!(n, 0, "{s:?} is in the hub's database");
        let n: i64 = c
            .query_one("SELECT count(*) FROM centres WHERE strpos(coalesce(spec::text,'') || coalesce(info::text,''), $1) > 0", &[s])
            .await
            .expect("search")
            .get(0);
        assert_eq!(n, 0, "{s:?} is in the hub's centres table");
    }
    // Nor any staff credential of the lobby's config.
    let n: i64 = c
        .query_one("SELECT count(*) FROM centres WHERE spec::text LIKE '%argon2%' OR spec::text LIKE '%demo-%token%'", &[])
        .await
        .expect("search")
        .get(0);
    assert_eq!(n, 0, "a credential is in the hub's spec");
    // The BI view agrees with the figures.
    let r = c
        .query_one(
            "SELECT issued, served FROM daily_figures WHERE centre = 'tt-a'",
            &[],
        )
        .await
        .expect("daily_figures");
    let own = a.api().get("/api/v1/stats", Some(SUPERVISOR)).await;
    let totals = &own.expect(200)["totals"];
    assert_eq!(
        (r.get::<_, i64>(0), r.get::<_, i64>(1)),
        (
            totals["issued"].as_i64().unwrap_or(-1),
            totals["served"].as_i64().unwrap_or(-1)
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wiped_lobby_is_refused_with_a_clear_error_shown_on_both_sides() {
    let Some(base) = pg_url() else { return };
    let db = fresh_db(&base).await;
    let hub = Hub::start(&db);
    let toml = lobby_toml(&hub.url(), "tt-a", TOKEN_A);
    let mut first = Daemon::start_with(&toml);
    first.api().issue("hotich").await;
    let seq = first.api().seq().await;
    wait_seq(&hub.api(), "tt-a", seq, 20).await;
    first.kill9();
    // The same centre from a new, empty data dir.
    let wiped = Daemon::start_with(&toml);
    let t = wiped.api().issue("hotich").await;
    assert_eq!(
        t["number"].as_str().map(|s| !s.is_empty()),
        Some(true),
        "the lobby works on"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let up = loop {
        let up = wiped.api().get("/api/v1/uplink", Some(SUPERVISOR)).await;
        if up.body["refused"] == true {
            break up.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never refused: {}",
            up.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(up["last_error"]["code"], "identity_mismatch", "{up}");
    assert!(
        up["last_error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("data directory"),
        "{up}"
    );
    // Nothing of the wiped lobby was stored; the hub shows the problem.
    assert_eq!(db_counts(&db, "tt-a").await.1 as u64, seq);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let list = hub
            .api()
            .get("/api/v1/province/centres", Some(PROVINCE))
            .await;
        let entry = list
            .body
            .as_array()
            .and_then(|l| l.iter().find(|c| c["id"] == "tt-a").cloned());
        if entry
            .as_ref()
            .is_some_and(|e| e["problem"]["code"] == "identity_mismatch")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not shown: {}",
            list.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let public = hub.api().get("/api/v1/centres", None).await;
    assert!(public.text.contains("identity_mismatch"), "{}", public.text);
    // The wiped lobby's own metrics say it too.
    let m = wiped.api().get("/metrics", Some(SUPERVISOR)).await;
    assert!(m.text.contains("xephang_uplink_refused 1"), "{}", m.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_day_change_reaches_the_hub_and_a_restart_rebuilds_the_new_day() {
    let Some(base) = pg_url() else { return };
    let db = fresh_db(&base).await;
    let mut hub = Hub::start(&db);
    let toml = lobby_toml(&hub.url(), "tt-a", TOKEN_A);
    let mut d = Daemon::start_with_env(&toml, &[(CLOCK, &clock_at("2031-05-05T16:00:00+07:00"))]);
    for _ in 0..3 {
        d.api().issue("hotich").await;
    }
    wait_seq(&hub.api(), "tt-a", d.api().seq().await, 20).await;
    d.set_env(CLOCK, &clock_at("2031-05-06T08:00:00+07:00"));
    d.restart();
    let api = d.api();
    let t = api.issue("chungthuc").await;
    let seq = api.seq().await;
    wait_seq(&hub.api(), "tt-a", seq, 30).await;
    let check = |hub_state: Value, own: Value| {
        assert_eq!(hub_state["day"], "2031-05-06", "{hub_state}");
        assert_eq!(hub_state["day"], own["day"]);
        for s in ["hotich", "chungthuc"] {
            assert_eq!(waiting_count(&hub_state, s), waiting_count(&own, s), "{s}");
        }
    };
    let state = |h: &Hub| {
        let api = h.api();
        async move { api.get("/api/v1/centres/tt-a/state", None).await.body }
    };
    check(state(&hub).await, api.state(None).await);
    let own_t = api.ticket(&id_of(&t)).await;
    let hub_t = hub
        .api()
        .get(&format!("/api/v1/centres/tt-a/tickets/{}", id_of(&t)), None)
        .await;
    same_ticket(hub_t.expect(200), own_t.expect(200), "tt-a", &id_of(&t));
    let (rows, max, distinct) = db_counts(&db, "tt-a").await;
    let (lines, jmax) = journal_counts(d.data_dir());
    assert_eq!((rows, max, distinct), (lines, jmax, lines));
    // Yesterday's figures, replayed from PostgreSQL, equal the lobby's from its journal.
    let own = api
        .get("/api/v1/stats?day=2031-05-05", Some(SUPERVISOR))
        .await;
    let prov = hub
        .api()
        .get("/api/v1/province/stats?day=2031-05-05", Some(PROVINCE))
        .await;
    let mut row = prov.expect(200)["centres"][0].clone();
    if let Some(o) = row.as_object_mut() {
        o.remove("id");
        o.remove("name");
    }
    assert_eq!(row, own.expect(200)["totals"]);
    assert_eq!(row["issued"], 3, "{row}");
    // A restart rebuilds the current day from PostgreSQL alone.
    hub.restart();
    wait_seq(&hub.api(), "tt-a", seq, 30).await;
    check(state(&hub).await, api.state(None).await);
    let days: Vec<String> = sql(&db)
        .await
        .query(
            "SELECT day::text FROM daily_figures WHERE centre = 'tt-a' ORDER BY day",
            &[],
        )
        .await
        .expect("daily_figures")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(days, ["2031-05-05", "2031-05-06"]);
}
