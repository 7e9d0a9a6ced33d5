//! `kill -9` while 8 clients issue tickets as fast as they can; restart on the same data dir:
//! every ticket whose 201 reached a client exists with the same number, no number is
//! duplicated, numbering continues after the highest. Repeated at random instants.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const ROUNDS: usize = 12;
const CLIENTS: usize = 8;

fn crash_centre() -> String {
    // One wide range so a dozen rounds of fast issuing never exhaust it.
    let services = service_toml("hotich", "Hộ tịch", 10000, 99999, "");
    centre_toml(&services, &[(1, &["hotich"])])
}

/// One client: issues until the daemon stops answering; returns (id, number) of every 201.
async fn hammer(api: Api, stop: Arc<AtomicBool>) -> Vec<(String, String)> {
    let mut acked = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let r = api
            .try_request(
                reqwest::Method::POST,
                "/api/v1/tickets",
                Some(KIOSK),
                Body::Json(json!({ "service": "hotich" })),
                &[],
            )
            .await;
        match r {
            Ok(r) if r.status == 201 => acked.push((id_of(&r.body), number_of(&r.body))),
            Ok(r) => panic!("issue answered {} before the kill: {}", r.status, r.text),
            Err(_) => break, // the daemon is gone
        }
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill9_while_issuing_loses_no_acknowledged_ticket() {
    let test = async {
        let mut d = Daemon::start_with(&crash_centre());
        let mut rng = Rng::from_clock();
        // Every ticket ever acknowledged: id → number.
        let mut acked_all: HashMap<String, String> = HashMap::new();
        let started = Instant::now();

        for round in 0..ROUNDS {
            let api = Api::new(&d.base_url());
            let stop = Arc::new(AtomicBool::new(false));
            let clients: Vec<_> = (0..CLIENTS)
                .map(|_| tokio::spawn(hammer(api.clone(), stop.clone())))
                .collect();
            // A random instant: 10–400 ms into the storm.
            let wait = rng.range(10, 400);
            tokio::time::sleep(Duration::from_millis(wait)).await;
            d.kill9();
            stop.store(true, Ordering::Relaxed);
            let mut acked_round = Vec::new();
            for c in clients {
                acked_round.extend(c.await.expect("client task"));
            }
            eprintln!(
                "round {round}: killed after {wait} ms, {} acknowledged",
                acked_round.len()
            );
            for (id, number) in &acked_round {
                let prev = acked_all.insert(id.clone(), number.clone());
                assert!(prev.is_none(), "one id acknowledged twice: {id}");
            }

            d.restart();
            let api = Api::new(&d.base_url());

            // Every acknowledged ticket of this round, by id, with its number.
            let mut checks = Vec::new();
            for chunk in acked_round.chunks(acked_round.len().div_ceil(CLIENTS).max(1)) {
                let (api, chunk) = (api.clone(), chunk.to_vec());
                checks.push(tokio::spawn(async move {
                    for (id, number) in chunk {
                        let r = api.ticket(&id).await;
                        assert_eq!(
                            r.status, 200,
                            "acknowledged ticket {id} ({number}) lost: {}",
                            r.text
                        );
                        assert_eq!(r.body["number"], json!(number), "{}", r.text);
                        assert_eq!(r.body["status"], "waiting", "{}", r.text);
                    }
                }));
            }
            for c in checks {
                c.await.expect("lookup task");
            }

            // All acknowledged tickets so far, in the supervisor's view of the queue.
            let s = api.state(Some(SUPERVISOR)).await;
            let waiting = s["waiting"]
                .as_array()
                .expect("supervisor snapshot has `waiting`");
            let mut by_id: HashMap<String, String> = HashMap::new();
            let mut numbers: HashSet<String> = HashSet::new();
            for t in waiting {
                let (id, number) = (id_of(t), number_of(t));
                assert!(
                    numbers.insert(number.clone()),
                    "round {round}: number {number} names two live tickets"
                );
                by_id.insert(id, number);
            }
            for (id, number) in &acked_all {
                assert_eq!(
                    by_id.get(id),
                    Some(number),
                    "round {round}: acknowledged ticket {id} ({number}) missing or renumbered"
                );
            }
            assert_eq!(
                waiting_count(&s, "hotich") as usize,
                waiting.len(),
                "services[].waiting vs waiting list"
            );

            // Numbering continues after the highest number ever given out.
            let highest = numbers.iter().map(|n| numeric(n)).max().unwrap_or(9999);
            let t = api.issue("hotich").await;
            assert_eq!(
                numeric(&number_of(&t)),
                highest + 1,
                "round {round}: numbering after restart"
            );
            acked_all.insert(id_of(&t), number_of(&t));
        }
        assert!(
            acked_all.len() > ROUNDS * 10,
            "too few tickets issued to mean anything: {}",
            acked_all.len()
        );
        eprintln!(
            "{} rounds, {} tickets acknowledged, {:?}",
            ROUNDS,
            acked_all.len(),
            started.elapsed()
        );
    };
    tokio::time::timeout(Duration::from_secs(50), test)
        .await
        .expect("crash test took more than 50 s");
}

/// Operations of every kind, so the replayed state has counters, clerks, ratings and more.
async fn busy_lobby(api: &Api) -> Vec<String> {
    let clerk1 = api.clerk(1).await;
    let clerk2 = api.clerk(2).await;
    // Every service with waiting tickets has an open counter, so no timer-driven "unstaffed"
    // alert is raised (it would be a legitimate new event after the restart).
    let _clerk3 = api.clerk(3).await;
    let mut ids = Vec::new();
    for svc in [
        "hotich",
        "chungthuc",
        "hotich",
        "datdai",
        "hotich",
        "chungthuc",
    ] {
        ids.push(id_of(&api.issue(svc).await));
    }
    ids.push(id_of(&api.issue_with("hotich", Some("elderly")).await));
    api.next(1, &clerk1).await.expect(200);
    api.counter_op(1, "recall", &clerk1).await.expect(200);
    api.next(1, &clerk1).await.expect(200);
    api.next(2, &clerk2).await.expect(200);
    api.counter_op(2, "no-show", &clerk2).await.expect(200);
    api.next(2, &clerk2).await.expect(200);
    api.transfer(2, &clerk2, "datdai").await.expect(200);
    api.counter_op(1, "finish", &clerk1).await.expect(200);
    let r = api
        .post(
            "/api/v1/ratings",
            Some(&rating_token(1)),
            json!({ "score": 4, "comment": "tốt" }),
        )
        .await;
    r.expect(201);
    api.delete(&format!("/api/v1/tickets/{}", ids[4]), None)
        .await
        .expect(200);
    api.set_status(2, &clerk2, "paused").await.expect(200);
    api.put(
        "/api/v1/dossier-stats",
        Some(SUPERVISOR),
        json!({ "received": 10, "on_time": 9, "overdue": 1, "as_of": "2026-11-22T08:00:00+07:00" }),
    )
    .await
    .expect(200);
    ids
}

#[tokio::test]
async fn kill9_and_restart_gives_the_same_state() {
    let mut d = Daemon::start_default();
    let api = d.api();
    let ids = busy_lobby(&api).await;
    let seq = api.seq().await;
    let before = api.state_sans_now().await;
    let public_before = {
        let mut s = api.state(None).await;
        s.as_object_mut().unwrap().remove("now");
        s
    };
    let tickets_before: Vec<Value> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(api.ticket(id).await.expect(200).clone());
        }
        v
    };

    d.restart();
    let api = Api::new(&d.base_url());
    let seq_after = api.seq().await;
    if seq_after != seq {
        let day = before["day"].as_str().unwrap().to_string();
        let text = std::fs::read_to_string(journal_file(&d, &day)).unwrap();
        let tail: Vec<&str> = text.lines().rev().take(3).collect();
        panic!("seq {seq} before the kill, {seq_after} after the restart; journal tail: {tail:#?}");
    }
    assert_eq!(
        api.state_sans_now().await,
        before,
        "supervisor state after restart"
    );
    let mut public_after = api.state(None).await;
    public_after.as_object_mut().unwrap().remove("now");
    assert_eq!(public_after, public_before, "public state after restart");
    for (id, t) in ids.iter().zip(&tickets_before) {
        assert_eq!(
            api.ticket(id).await.expect(200),
            t,
            "ticket {id} after restart"
        );
    }
    // And it goes on from there: the next number follows the highest hotich number.
    let highest = tickets_before
        .iter()
        .map(|t| numeric(&number_of(t)))
        .filter(|n| (1001..=1999).contains(n))
        .max()
        .unwrap();
    let watcher = Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
    let t = api.issue("hotich").await;
    assert_eq!(numeric(&number_of(&t)), highest + 1, "{t}");
    let now_seq = api.seq().await;
    watcher.wait_seq(now_seq, Duration::from_secs(10)).await;
    let events: Vec<String> = watcher.frames()[1..]
        .iter()
        .map(|f| f.raw.clone())
        .collect();
    assert_eq!(now_seq, seq + 1, "one issue, one event; got {events:#?}");
}

/// The day's journal: the file under the data dir whose name holds the business day.
fn journal_file(d: &Daemon, day: &str) -> std::path::PathBuf {
    fn walk(dir: &std::path::Path, day: &str, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, day, out);
            } else if p.file_name().unwrap().to_string_lossy().contains(day) {
                out.push(p);
            }
        }
    }
    let mut found = Vec::new();
    walk(d.data_dir(), day, &mut found);
    assert_eq!(found.len(), 1, "one journal file for {day}: {found:?}");
    found.pop().unwrap()
}

#[tokio::test]
async fn torn_last_line_is_dropped_and_a_corrupt_line_stops_startup() {
    let mut d = Daemon::start_default();
    let api = d.api();
    let _clerk1 = api.clerk(1).await; // no "unstaffed" alert on the timer
    for _ in 0..5 {
        api.issue("hotich").await;
    }
    let before = api.state_sans_now().await;
    let day = before["day"].as_str().unwrap().to_string();
    d.kill9();
    let path = journal_file(&d, &day);
    let good = std::fs::read_to_string(&path).unwrap();
    assert!(good.ends_with('\n'), "journal lines end with a newline");
    let lines: Vec<&str> = good.lines().collect();
    assert!(lines.len() >= 5, "one line per event: {}", lines.len());

    // A torn last line (the power went off mid-write): dropped, nothing acknowledged is lost.
    let torn = &lines[lines.len() - 1][..lines[lines.len() - 1].len() / 2];
    std::fs::write(&path, format!("{good}{torn}")).unwrap();
    d.try_restart()
        .unwrap_or_else(|e| panic!("a torn last line must not stop start-up: {e}"));
    let api = Api::new(&d.base_url());
    assert_eq!(
        api.state_sans_now().await,
        before,
        "state after a torn tail"
    );
    let t = api.issue("hotich").await;
    assert_eq!(numeric(&number_of(&t)), 1006, "{t}");
    d.kill9();

    // A corrupt line in the middle: start-up stops and names file and line.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // 0-based index of the first issue event: a line in the middle of the file.
    let victim = lines
        .iter()
        .position(|l| l.contains("ticket_issued"))
        .expect("an issue event in the journal");
    assert!(victim + 1 < lines.len(), "not the last line");
    assert!(lines[victim].contains("hotich"), "{}", lines[victim]);
    lines[victim] = lines[victim].replacen("hotich", "hotixh", 1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = d
        .try_restart()
        .expect_err("a corrupt line in the middle must stop start-up");
    eprintln!("start-up refused as expected:\n{err}");
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let line_no = victim + 1;
    assert!(err.contains(&name), "the message names the file: {err}");
    assert!(
        [
            format!(":{line_no}:"),
            format!(":{line_no} "),
            format!("line {line_no}"),
            format!("dòng {line_no}"),
            format!("line={line_no}"),
        ]
        .iter()
        .any(|s| err.contains(s.as_str())),
        "the message names line {line_no}: {err}"
    );
}
