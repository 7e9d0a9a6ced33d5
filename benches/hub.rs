//! The province hub's ingest and restart, measured: `cargo bench --bench hub` with a
//! PostgreSQL in `XEPHANG_DATABASE_URL` (`. tests/pg.sh && pg_up` starts a throwaway one).
//!
//! - a provincial day for `HUB_BENCH_CENTRES` centres (default 100) of
//!   `HUB_BENCH_TICKETS` tickets each (default 3,000: 300,000 tickets, ~900,000 events) made by
//!   the real domain (issue → call → finish at 8 counters of the demo centre), pushed to a
//!   release `xephang hub` over HTTP in the uplink's wire format (2,000 events per push, one
//!   lobby = one sequential pusher, all centres at once): time, events/s;
//! - hub restart: kill, start again, the time until it listens with every centre's read
//!   model rebuilt from PostgreSQL (its own `took_ms` log line), and its RSS.
//!
//! Figures go to BENCHMARKS.md with the command.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{FixedOffset, NaiveDate, TimeZone};
use xephang::domain::event::ClerkRef;
use xephang::domain::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
use xephang::domain::{decide, Command as Cmd, Ctx, Envelope, State};
use xephang::uplink::wire::Push;

fn env_num(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One lobby's day through the real domain.
fn day_of(spec: &xephang::domain::spec::CentreSpec, tickets: usize, seed: u64) -> Vec<Envelope> {
    let day = NaiveDate::from_ymd_opt(2031, 1, 6).expect("day");
    let tz = FixedOffset::east_opt(7 * 3600).expect("tz");
    let mut t = tz
        .with_ymd_and_hms(2031, 1, 6, 7, 30, 0)
        .single()
        .expect("time");
    let mut state = State::new(spec, day);
    let mut out = vec![state.commit(spec, xephang::domain::decide::start_of_day(&state, day), t)];
    let announce = |_: &str, _: CounterId| Vec::new();
    let run =
        |state: &mut State, cmd: Cmd, t: chrono::DateTime<FixedOffset>, out: &mut Vec<Envelope>| {
            let ctx = Ctx {
                now: t,
                new_id: TicketId(ulid::Ulid::from_parts(seed, out.len() as u128)),
                new_code: BookingCode("ABCDEF".into()),
                announce: &announce,
            };
            if let Ok(events) = decide(spec, state, &cmd, &ctx) {
                for e in events {
                    out.push(state.commit(spec, e, t));
                }
            }
        };
    for c in 1..=3u32 {
        let clerk = ClerkRef {
            id: StaffId(format!("nv{c:02}")),
            name: format!("Cán bộ {c}"),
            photo: None,
        };
        run(
            &mut state,
            Cmd::Login {
                counter: CounterId(c),
                clerk,
            },
            t,
            &mut out,
        );
    }
    let services = ["hotich", "chungthuc", "hotich"];
    for i in 0..tickets {
        t += chrono::Duration::seconds(3);
        let service = ServiceId::new(services[i % services.len()]);
        run(
            &mut state,
            Cmd::Issue {
                service,
                priority: None,
                remote: false,
            },
            t,
            &mut out,
        );
        run(
            &mut state,
            Cmd::Next {
                counter: CounterId(1 + (i % 2) as u32),
            },
            t,
            &mut out,
        );
    }
    out
}

fn main() {
    let Ok(base) = std::env::var("XEPHANG_DATABASE_URL") else {
        eprintln!("hub bench: set XEPHANG_DATABASE_URL (`. tests/pg.sh && pg_up` starts a throwaway PostgreSQL)");
        return;
    };
    let centres = env_num("HUB_BENCH_CENTRES", 100);
    let tickets = env_num("HUB_BENCH_TICKETS", 3000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run(base, centres, tickets));
}

async fn run(base: String, centres: usize, tickets: usize) {
    let config =
        xephang::config::parse(xephang::config::DEFAULT_TOML, xephang::config::DEFAULT_NAME)
            .expect("demo");
    let spec = config.spec.clone();
    let t = Instant::now();
    let days: Vec<Vec<Envelope>> = (0..centres)
        .map(|c| day_of(&spec, tickets, c as u64 + 1))
        .collect();
    let events: usize = days.iter().map(Vec::len).sum();
    eprintln!(
        "generated {centres} centres × {tickets} tickets = {events} events in {:?}",
        t.elapsed()
    );

    // A fresh database and a hub listing every centre.
    let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    let name = format!("xbench_{}", std::process::id());
    let _ = client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await;
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create db");
    let db = format!("{}/{name}", base.rsplit_once('/').expect("url").0);
    let dir = tempfile::tempdir().expect("tmp");
    let mut toml = String::from("[hub]\nname = \"Bench\"\n");
    for c in 0..centres {
        toml.push_str(&format!("[[centres]]\nid = \"c{c:03}\"\nname = \"Trung tâm {c}\"\ntoken = \"bench-token-centre-{c:05}\"\n"));
    }
    let cfg = dir.path().join("hub.toml");
    std::fs::write(&cfg, toml).expect("hub.toml");
    let (mut hub, addr) = start_hub(&cfg, &db);

    // Bodies encoded beforehand: the hub's cost is measured, not the client's.
    let info = xephang::read::CentreInfo {
        name: spec.name.clone(),
        name_en: spec.name_en.clone(),
        logo: None,
        notice: None,
        notice_en: None,
    };
    let identity = "0123456789abcdef0123456789abcdef".to_string();
    let bodies: Vec<Vec<Vec<u8>>> = days
        .iter()
        .enumerate()
        .map(|(c, day)| {
            let mut out = Vec::new();
            for (i, chunk) in day.chunks(2000).enumerate() {
                let push = Push {
                    centre: format!("c{c:03}"),
                    identity: identity.clone(),
                    lobby_seq: day.len() as u64,
                    spec: (i == 0).then(|| spec.clone()),
                    info: (i == 0).then(|| info.clone()),
                    events: chunk.to_vec(),
                };
                out.push(serde_json::to_vec(&push).expect("json"));
            }
            out
        })
        .collect();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let url = Arc::new(format!("http://{addr}/api/v1/uplink"));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (c, pushes) in bodies.into_iter().enumerate() {
        let http = http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            for body in pushes {
                loop {
                    let r = http
                        .post(url.as_str())
                        .bearer_auth(format!("bench-token-centre-{c:05}"))
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => break,
                        Ok(r) => panic!(
                            "push refused: {} {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        ),
                        Err(e) => {
                            eprintln!("push failed ({e}); retrying");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("pusher");
    }
    let took = t.elapsed();
    let stored: i64 = client_for(&db)
        .await
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(stored as usize, events, "every event stored once");
    println!(
        "ingest: {centres} centres, {} tickets, {events} events in {:.1} s = {:.0} events/s",
        centres * tickets,
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64()
    );
    println!("hub RSS after ingest: {} MiB", rss_mib(hub.id()));

    // Restart: every centre rebuilt from PostgreSQL.
    let _ = hub.kill();
    let _ = hub.wait();
    let t = Instant::now();
    let (mut hub2, _) = start_hub(&cfg, &db);
    println!(
        "hub restart: listening with {centres} centres rebuilt after {:.2} s; RSS {} MiB",
        t.elapsed().as_secs_f64(),
        rss_mib(hub2.id())
    );
    let _ = hub2.kill();
    let _ = hub2.wait();
    let _ = client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await;
}

async fn client_for(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    c
}

fn rss_mib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn start_hub(cfg: &std::path::Path, db: &str) -> (std::process::Child, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xephang"))
        .env("XEPHANG_DATABASE_URL", db)
        .env("RUST_LOG", "warn,xephang::province=info")
        .args(["hub", "--config"])
        .arg(cfg)
        .args(["--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn hub");
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    for line in out.lines() {
        let line = line.expect("line");
        if let Some(a) = line.strip_prefix("xephang hub listening on http://") {
            let addr = a.trim().parse().expect("addr");
            return (child, addr);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the hub did not start");
}
