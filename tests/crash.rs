//! `kill -9` while 8 clients issue tickets as fast as they can; restart on the same data dir:
//! every ticket whose 201 reached a client exists with the same number, no number is
//! duplicated, numbering continues after the highest. Repeated at random instants.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

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
