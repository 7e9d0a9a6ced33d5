//! `kill -9` under a mixed workload, at least 50 times: a kiosk issues, four clerks call
//! next, recall, no-show, transfer and finish, and citizens rate, all at once; each client
//! logs every acknowledged (2xx) response. After each restart on the same data dir:
//!
//! - every acknowledged operation is in the journal (`data/journal/*.jsonl`, the documented
//!   data folder), matched by its event type and the ticket as the response showed it
//!   (id, number, service, status, called/finished times, counter, recalls);
//! - the API agrees with the journal: every acknowledged ticket is served by
//!   `GET /api/v1/tickets/{id}` as the journal's last word on it says, ratings included;
//! - no number names two live tickets, and the next ticket gets the next number;
//! - every event a staff WebSocket received before the kill is in the journal with the same
//!   seq (seqs are never reused), and the seq after restart continues the journal's.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const KILLS: usize = 50;
const CLERKS: u32 = 4;
const SERVICES: [&str; 2] = ["hotich", "chungthuc"];

fn centre() -> String {
    let services = format!(
        "{}{}",
        service_toml("hotich", "Hộ tịch", 10000, 49999, ""),
        service_toml("chungthuc", "Chứng thực", 50000, 89999, "")
    );
    let counters: Vec<(u32, &[&str])> = (1..=CLERKS)
        .map(|c| (c, &["hotich", "chungthuc"][..]))
        .collect();
    centre_toml(&services, &counters)
}

/// One acknowledged operation: the event type it must have journalled and the ticket.
#[derive(Debug, Clone)]
struct Ack {
    event: &'static str,
    ticket: Value,
}

type Log = Arc<Mutex<Vec<Ack>>>;

/// The fields of a ticket that an event fixes. Issue and transfer responses show the ticket
/// as it is when the answer is built (a counter may have called it already), so for those
/// only what the event itself decided counts.
fn key(event: &str, t: &Value) -> String {
    match event {
        "ticket_issued" => format!("{event}|{}|{}|{}", t["id"], t["number"], t["issued_at"]),
        "ticket_transferred" => format!("{event}|{}|{}|{}", t["id"], t["number"], t["service"]),
        _ => format!(
            "{event}|{}|{}|{}|{}|{}|{}|{}|{}",
            t["id"],
            t["number"],
            t["service"],
            t["status"],
            t["called_at"],
            t["finished_at"],
            t["counter"],
            t["recalls"]
        ),
    }
}

fn is_down(r: &Result<Resp, reqwest::Error>) -> bool {
    r.is_err()
}

/// Issues tickets until the daemon goes away.
async fn kiosk(api: Api, log: Log, mut rng: Rng) {
    loop {
        let svc = SERVICES[rng.range(0, 2) as usize];
        let r = api
            .try_request(
                reqwest::Method::POST,
                "/api/v1/tickets",
                Some(KIOSK),
                Body::Json(json!({ "service": svc })),
                &[],
            )
            .await;
        if is_down(&r) {
            return;
        }
        let r = r.expect("checked");
        assert_eq!(r.status, 201, "issue: {}", r.text);
        log.lock().unwrap().push(Ack {
            event: "ticket_issued",
            ticket: r.body.clone(),
        });
        tokio::time::sleep(Duration::from_millis(rng.range(0, 8))).await;
    }
}

/// One clerk at counter `n`, doing random operations until the daemon goes away.
async fn clerk(api: Api, n: u32, token: String, log: Log, mut rng: Rng) {
    let mut last_finished: Option<String> = None;
    loop {
        let roll = rng.range(0, 100);
        let (path, body, token_used): (String, Option<Value>, Option<&str>) = match roll {
            0..=44 => (
                format!("/api/v1/counters/{n}/next"),
                None,
                Some(token.as_str()),
            ),
            45..=54 => (
                format!("/api/v1/counters/{n}/recall"),
                None,
                Some(token.as_str()),
            ),
            55..=64 => (
                format!("/api/v1/counters/{n}/no-show"),
                None,
                Some(token.as_str()),
            ),
            65..=74 => {
                let to = SERVICES[rng.range(0, 2) as usize];
                let body = json!({ "service": to });
                (
                    format!("/api/v1/counters/{n}/transfer"),
                    Some(body),
                    Some(&token),
                )
            }
            75..=84 => (
                format!("/api/v1/counters/{n}/finish"),
                None,
                Some(token.as_str()),
            ),
            _ => match &last_finished {
                Some(id) => {
                    let body = json!({ "ticket": id, "score": rng.range(1, 5) });
                    ("/api/v1/ratings".to_string(), Some(body), None)
                }
                None => continue,
            },
        };
        let r = api
            .try_request(
                reqwest::Method::POST,
                &path,
                token_used,
                body.map_or(Body::None, Body::Json),
                &[],
            )
            .await;
        if is_down(&r) {
            return;
        }
        let r = r.expect("checked");
        assert!(r.status < 500, "{path}: {} {}", r.status, r.text);
        if r.status >= 400 {
            // Refusals the workload runs into (nobody at the counter, already rated…).
            assert!(
                matches!(
                    r.code(),
                    "no_current_ticket" | "invalid_state" | "already_rated" | "not_found"
                ),
                "{path}: {}",
                r.text
            );
            continue;
        }
        let mut acks = Vec::new();
        let op = path.rsplit('/').next().unwrap_or("");
        match op {
            "next" => {
                if r.body["finished"].is_object() {
                    acks.push(("ticket_finished", r.body["finished"].clone()));
                    last_finished = Some(id_of(&r.body["finished"]));
                }
                if r.body["ticket"].is_object() {
                    acks.push(("ticket_called", r.body["ticket"].clone()));
                }
            }
            "recall" => acks.push(("ticket_recalled", r.body["ticket"].clone())),
            "no-show" => acks.push(("ticket_no_show", r.body["ticket"].clone())),
            "transfer" => acks.push(("ticket_transferred", r.body["ticket"].clone())),
            "finish" => {
                last_finished = Some(id_of(&r.body["ticket"]));
                acks.push(("ticket_finished", r.body["ticket"].clone()));
            }
            "ratings" => {
                let id = last_finished.take().unwrap_or_default();
                acks.push(("rating", json!({ "id": id, "score": r.body["score"] })));
            }
            _ => unreachable!("{op}"),
        }
        let mut l = log.lock().unwrap();
        for (event, ticket) in acks {
            l.push(Ack { event, ticket });
        }
    }
}

/// Every journal envelope of the run, in file and line order (a torn last line skipped).
fn journal(data_dir: &Path) -> Vec<Value> {
    let dir = data_dir.join("journal");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("journal dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read journal");
        for line in text.split_inclusive('\n') {
            let Some(line) = line.strip_suffix('\n') else {
                continue; // a torn tail (never acknowledged)
            };
            let (_, json_text) = line.split_at(9);
            out.push(serde_json::from_str(json_text).expect("journal JSON"));
        }
    }
    out
}

/// What the journal says, indexed for the checks.
struct Durable {
    keys: HashSet<String>,
    /// Last event about each ticket: its ticket object.
    last: HashMap<String, Value>,
    rated: HashMap<String, u64>,
    by_seq: HashMap<u64, Value>,
    last_seq: u64,
    highest: HashMap<String, u64>,
}

fn durable(envs: &[Value]) -> Durable {
    let mut d = Durable {
        keys: HashSet::new(),
        last: HashMap::new(),
        rated: HashMap::new(),
        by_seq: HashMap::new(),
        last_seq: 0,
        highest: HashMap::new(),
    };
    for env in envs {
        let seq = env["seq"].as_u64().expect("seq");
        let ev = &env["event"];
        let kind = ev["type"].as_str().unwrap_or("");
        if let Some(t) = ev.get("ticket").filter(|t| t.is_object()) {
            d.keys.insert(key(kind, t));
            d.last.insert(id_of(t), t.clone());
            if kind == "ticket_issued" {
                let svc = t["service"].as_str().unwrap_or("").to_string();
                let n = numeric(&number_of(t));
                let h = d.highest.entry(svc).or_insert(0);
                *h = (*h).max(n);
            }
        }
        if kind == "rating" {
            let id = ev["ticket"].as_str().unwrap_or("").to_string();
            d.rated.insert(id, ev["score"].as_u64().unwrap_or(0));
        }
        // Seqs restart with each day file; the run stays inside one day (see the test).
        d.by_seq.insert(seq, ev.clone());
        d.last_seq = seq;
    }
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill9_under_mixed_load_loses_nothing_acknowledged() {
    let test = async {
        let mut d = Daemon::start_with(&centre());
        let api = d.api();
        let mut tokens = Vec::new();
        for c in 1..=CLERKS {
            tokens.push(api.clerk(c).await);
        }
        let day0 = api.state(None).await["day"].clone();
        let mut rng = Rng::from_clock();
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let (mut ws_events, mut tickets_checked) = (0usize, 0usize);

        for round in 0..KILLS {
            let api = Api::new(&d.base_url());
            let watcher =
                Collector::open(&ws_url_with(&d.ws_url(), &[("token", SUPERVISOR)])).await;
            let mut clients = vec![tokio::spawn(kiosk(
                api.clone(),
                log.clone(),
                Rng::from_clock(),
            ))];
            for (i, t) in tokens.iter().enumerate() {
                clients.push(tokio::spawn(clerk(
                    api.clone(),
                    i as u32 + 1,
                    t.clone(),
                    log.clone(),
                    Rng::from_clock(),
                )));
            }
            tokio::time::sleep(Duration::from_millis(rng.range(20, 300))).await;
            d.kill9();
            for c in clients {
                c.await.expect("client task");
            }
            let seen = watcher.cut();

            d.restart();
            let api = Api::new(&d.base_url());
            let envs = journal(d.data_dir());
            let truth = durable(&envs);

            // 1. Every acknowledged operation is durable.
            let acks = log.lock().unwrap().clone();
            for a in &acks {
                if a.event == "rating" {
                    let id = a.ticket["id"].as_str().unwrap_or("");
                    assert_eq!(
                        truth.rated.get(id).copied(),
                        a.ticket["score"].as_u64(),
                        "round {round}: acknowledged rating of {id} lost"
                    );
                } else {
                    assert!(
                        truth.keys.contains(&key(a.event, &a.ticket)),
                        "round {round}: acknowledged {} not in the journal: {}",
                        a.event,
                        a.ticket
                    );
                }
            }

            // 2. The WebSocket's events before the kill: same seq, same event (no reuse).
            let first = seen.first().expect("snapshot before the kill");
            assert_eq!(first.kind(), "snapshot");
            let events: Vec<&Frame> = seen.iter().filter(|f| f.kind() == "event").collect();
            for f in &events {
                let seq = f.seq().expect("event seq");
                let j = truth.by_seq.get(&seq).unwrap_or_else(|| {
                    panic!("round {round}: seq {seq} seen live, not in the journal")
                });
                assert_eq!(
                    j["type"], f.json["event"]["type"],
                    "round {round}: seq {seq}"
                );
                assert_eq!(
                    j["ticket"]["number"], f.json["event"]["ticket"]["number"],
                    "round {round}: seq {seq} names another ticket after the restart"
                );
            }
            ws_events += events.len();
            assert_eq!(
                api.seq().await,
                truth.last_seq,
                "round {round}: healthz seq"
            );

            // 3. The API serves what the journal says, for the tickets acknowledged so far
            //    (every 10th round all of them, otherwise those of this round).
            let ids: Vec<String> = acks
                .iter()
                .filter(|a| a.event != "rating")
                .map(|a| id_of(&a.ticket))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let check: Vec<String> = if round % 10 == 9 || round == KILLS - 1 {
                ids
            } else {
                ids.into_iter().filter(|_| rng.range(0, 5) == 0).collect()
            };
            for id in &check {
                let r = api.ticket(id).await;
                assert_eq!(r.status, 200, "round {round}: ticket {id}: {}", r.text);
                let t = &truth.last[id];
                for f in [
                    "number",
                    "service",
                    "status",
                    "called_at",
                    "finished_at",
                    "counter",
                    "recalls",
                ] {
                    assert_eq!(r.body[f], t[f], "round {round}: {id}.{f}: {}", r.text);
                }
                assert_eq!(
                    r.body["rated"],
                    json!(truth.rated.contains_key(id)),
                    "round {round}: {id} rated"
                );
            }
            tickets_checked += check.len();

            // 4. No number names two live tickets; the next ticket gets the next number.
            let s = api.state(Some(SUPERVISOR)).await;
            assert_eq!(s["day"], day0, "the run crossed a business day; rerun");
            let mut live = HashSet::new();
            let waiting = s["waiting"].as_array().expect("waiting");
            let current = s["counters"]
                .as_array()
                .expect("counters")
                .iter()
                .filter(|c| c["current"].is_object())
                .map(|c| &c["current"]);
            for t in waiting.iter().chain(current) {
                assert!(
                    live.insert(number_of(t)),
                    "round {round}: number {} names two live tickets",
                    number_of(t)
                );
            }
            let svc = SERVICES[round % 2];
            let t = api.issue(svc).await;
            assert_eq!(
                numeric(&number_of(&t)),
                truth
                    .highest
                    .get(svc)
                    .copied()
                    .unwrap_or(if svc == "hotich" { 9999 } else { 49999 })
                    + 1,
                "round {round}: numbering after restart"
            );
            log.lock().unwrap().push(Ack {
                event: "ticket_issued",
                ticket: t,
            });
            eprintln!(
                "round {round}: {} acks so far, journal seq {}, {:?}",
                acks.len(),
                truth.last_seq,
                started.elapsed()
            );
        }
        let mut kinds: HashMap<&str, usize> = HashMap::new();
        for a in log.lock().unwrap().iter() {
            *kinds.entry(a.event).or_default() += 1;
        }
        for k in [
            "ticket_issued",
            "ticket_called",
            "ticket_recalled",
            "ticket_no_show",
            "ticket_transferred",
            "ticket_finished",
            "rating",
        ] {
            assert!(
                kinds.get(k).is_some_and(|n| *n > 0),
                "no acknowledged {k}: {kinds:?}"
            );
        }
        eprintln!("acknowledged by kind: {kinds:?}");
        let acks = log.lock().unwrap().len();
        assert!(
            acks > KILLS * 10,
            "too little work to mean anything: {acks}"
        );
        eprintln!(
            "{KILLS} kills survived; {acks} acknowledged operations checked against the journal; \
             {ws_events} live WebSocket events matched; {tickets_checked} ticket look-ups; {:?}",
            started.elapsed()
        );
    };
    tokio::time::timeout(Duration::from_secs(170), test)
        .await
        .expect("mixed crash test took too long");
}
