//! Click at a lobby → phone on the hub, with N phone sockets on the hub, and the hub's memory
//! with a provincial day and those sockets: `cargo bench --bench hub_phones [-- --quick]
//! [--sockets 10000] [--centres 100] [--tickets 3000] [--clicks 40] [--rate 2]` with a
//! PostgreSQL in `XEPHANG_DATABASE_URL` (`. tests/pg.sh && pg_up`).
//!
//! 1. A fresh database and a release `xephang hub` knowing `centres` generated centres and
//!    one real lobby (`lobby`); a day of `tickets` tickets for each generated centre is
//!    ingested (the `hub` bench's generator): the hub's memory is read.
//! 2. A real lobby daemon (`xephang run`, the demo centre with an `[uplink]` to the hub):
//!    two clerks log in and `clicks` tickets are issued; once the hub holds them, `sockets`
//!    WebSockets open on the hub's `/ws?centre=lobby&ticket=ID` — the phone page's
//!    subscription (displays/ticket.js) — each following one of those tickets: the hub's
//!    memory again.
//! 3. The clerks click next (`POST /api/v1/counters/{n}/next` at the lobby) `clicks` times
//!    at `rate` per second. The clock starts before the click is sent and stops when a phone
//!    reads (a) its own ticket's frame saying `called` — the phones following the called
//!    ticket — and (b) the `ticket_called` event — every phone. p50/p99/max of each.
//!
//! Only 127.0.0.1; the hub and the lobby are children killed on exit (and on panic); every
//! wait is bounded. `--quick`: 2,000 sockets, 20 centres × 300 tickets, 20 clicks at 4/s.

#[path = "hubkit/mod.rs"]
mod hubkit;
#[path = "load/mod.rs"]
mod load;
#[path = "hub_phones/phones.rs"]
mod phones;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hubkit::*;
use load::daemon::Daemon;
use load::http::{Api, CALLED, KIOSK};

struct Opts {
    sockets: usize,
    centres: usize,
    tickets: usize,
    clicks: usize,
    rate: f64,
}

fn parse() -> Result<Opts, String> {
    let a = cli::Args::parse(&["--sockets", "--centres", "--tickets", "--clicks", "--rate"])?;
    let (sockets, centres, tickets, clicks, rate) = if a.quick {
        (2000, 20, 300, 20, 4.0)
    } else {
        (10_000, 100, 3000, 40, 2.0)
    };
    Ok(Opts {
        sockets: a.count("--sockets", sockets),
        centres: a.count("--centres", centres),
        tickets: a.count("--tickets", tickets),
        clicks: a.count("--clicks", clicks).clamp(2, 900),
        rate: a.get("--rate").map_or(rate, |r| r.max(0.1)),
    })
}

fn main() {
    cli::bench_main(
        "hub_phones",
        "[--quick] [--sockets N] [--centres N] [--tickets N] [--clicks N] [--rate CLICKS_PER_S]",
        parse,
        run,
    );
}

fn note(s: &str) {
    eprintln!("[hub_phones] {s}");
}

async fn run(base: String, o: Opts) -> Result<(), String> {
    let fd = raise_fd_limit();
    println!(
        "== hub_phones: click at a lobby → phone on the hub, {} phone sockets; hub memory with {} centres (load average {})",
        o.sockets,
        o.centres + 1,
        loadavg()
    );
    if o.sockets as u64 + 512 > fd {
        return Err(format!(
            "{} sockets need about {} open files; the limit here is {fd}",
            o.sockets,
            o.sockets + 512
        ));
    }
    let t = Instant::now();
    let generated = push_bodies(o.centres, o.tickets);
    note(&format!(
        "generated {} centres × {} tickets = {} events in {:.1} s",
        o.centres,
        o.tickets,
        generated.events,
        t.elapsed().as_secs_f64()
    ));
    let db = TempDb::create(&base, "xphones").await?;
    let result = measure(&db, &o, generated).await;
    db.drop_db().await;
    println!("load average after: {}", loadavg());
    result
}

async fn measure(db: &TempDb, o: &Opts, generated: Generated) -> Result<(), String> {
    let dir = load::daemon::tempdir()?;
    let cfg = dir.path().join("hub.toml");
    std::fs::write(&cfg, hub_toml(o.centres, &lobby_centre_toml())).map_err(|e| e.to_string())?;
    let hub = HubProc::start(&cfg, &db.url, "127.0.0.1:0", Duration::from_secs(60))?;
    note(&format!(
        "hub on {} (its open-file limit {:?})",
        hub.addr,
        fd_limit_of(hub.pid)
    ));
    let events = generated.events;
    let (took, retries) = push_all(&hub.url(), generated.bodies).await?;
    note(&format!(
        "ingested {events} events in {:.1} s ({retries} pushes retried)",
        took.as_secs_f64()
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_day, hwm_day) = hub.mem_mib();

    // The real lobby, pushing to the hub.
    let lobby_cfg = lobby_config(dir.path(), &hub.url())?;
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_xephang"));
    let lobby = Daemon::start_cfg(&bin, "warn", Some(&lobby_cfg), load::daemon::tempdir()?)?;
    let api = Api::new(&lobby.http());
    let tokens = [api.login(1).await?, api.login(2).await?];
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    // The tickets the phones follow, in the order the clicks will call them.
    let mut tickets: Vec<(String, String)> = Vec::with_capacity(o.clicks);
    for i in 0..o.clicks {
        let r = http
            .post(format!("{}/api/v1/tickets", lobby.http()))
            .bearer_auth(KIOSK)
            .json(&serde_json::json!({"service": CALLED[i % 2]}))
            .send()
            .await
            .map_err(|e| format!("issue: {e}"))?;
        let v: serde_json::Value = r.json().await.map_err(|e| format!("issue: {e}"))?;
        let (Some(id), Some(number)) = (v["id"].as_str(), v["number"].as_str()) else {
            return Err(format!("issue answered {v}"));
        };
        tickets.push((id.to_string(), number.to_string()));
    }
    let lobby_seq = lobby_seq(&http, &lobby.http()).await?;
    let t = Instant::now();
    while hub_seq(&http, &hub.url(), "lobby").await < lobby_seq {
        if t.elapsed() > Duration::from_secs(60) {
            return Err("the hub did not get the lobby's tickets within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let ws = format!("ws://{}/ws?centre=lobby", hub.addr);
    let ids: Vec<String> = tickets.iter().map(|(id, _)| id.clone()).collect();
    let t = Instant::now();
    let phones = phones::Phones::connect(&ws, &ids, o.sockets).await?;
    note(&format!(
        "{} phone sockets connected in {:.1} s",
        o.sockets,
        t.elapsed().as_secs_f64()
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_phones, hwm_phones) = hub.mem_mib();

    // The clicks.
    let (hub_cpu, own_cpu) = (cpu_secs(hub.pid), cpu_secs(std::process::id()));
    let mut sent: Vec<(u64, u64)> = Vec::with_capacity(o.clicks);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / o.rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for i in 0..o.clicks {
        tick.tick().await;
        let t0 = now_ns();
        match api.next(&tokens[i % 2], 1 + (i % 2) as u32).await? {
            Some(number) => sent.push((load::boards::key_of(&number), t0)),
            None => return Err(format!("click {i}: nobody waiting")),
        }
    }
    let waited = phones
        .wait_for(
            sent.len() as u64 * o.sockets as u64,
            Duration::from_secs(60),
        )
        .await;
    let (rss_after, hwm_after) = hub.mem_mib();
    let hub_cpu = cpu_secs(hub.pid) - hub_cpu;
    let own_cpu = cpu_secs(std::process::id()) - own_cpu;
    let closed = phones.closed();
    let logs = phones.finish().await;
    drop(lobby);
    drop(hub);

    let number_of: HashMap<&str, &str> = tickets
        .iter()
        .map(|(id, n)| (id.as_str(), n.as_str()))
        .collect();
    let (own, all) = phones::distributions(&sent, &logs, &ids, &number_of);
    let first = phones::first_phone(&sent, &logs);
    let followers = o.sockets as f64 / ids.len() as f64;
    println!(
        "setup: hub with {} generated centres × {} tickets ({events} events ingested) + 1 real lobby; {} phone sockets on the hub's /ws?centre=lobby&ticket=…, ~{followers:.0} following each of the {} tickets called; {} clicks at {} /s at the lobby",
        o.centres, o.tickets, o.sockets, ids.len(), sent.len(), o.rate
    );
    println!(
        "click → phone of the called ticket (its ticket frame says called): p50 {} ms, p99 {} ms, max {} ms over {} phone×click pairs, {} missed (target p99 ≤ 250 ms)",
        ms(own.p50), ms(own.p99), ms(own.max), own.pairs, own.missed
    );
    println!(
        "click → every phone (the ticket_called event frame): p50 {} ms, p99 {} ms, max {} ms over {} phone×click pairs, {} missed",
        ms(all.p50), ms(all.p99), ms(all.max), all.pairs, all.missed
    );
    println!(
        "click → the first phone to read it (lobby → uplink → hub → one socket, before the fan-out): p50 {} ms, p99 {} ms, max {} ms",
        ms(first.p50), ms(first.p99), ms(first.max)
    );
    println!(
        "CPU during the clicks: hub {:.1} s ({:.0} ms per click), this bench's {} phone clients {:.1} s; 2 cores shared with other work (see the load average)",
        hub_cpu,
        hub_cpu * 1000.0 / sent.len().max(1) as f64,
        o.sockets,
        own_cpu
    );
    if own.missed > 0 {
        println!(
            "note: {} phones never read a ticket frame saying called: the hub computes a phone's ticket frame from its latest model when it sends, so a phone lagging past the next click at that counter sees its ticket already done",
            own.missed
        );
    }
    if !waited || closed > 0 {
        println!("note: {closed} phone sockets were closed by the hub; not every frame arrived within 60 s: {}", !waited);
    }
    println!(
        "hub memory, {} centres × one day ingested, no sockets: VmRSS {rss_day} MiB, VmHWM {hwm_day} MiB",
        o.centres
    );
    println!(
        "hub memory, + the real lobby and {} phone sockets connected (idle): VmRSS {rss_phones} MiB, VmHWM {hwm_phones} MiB",
        o.sockets
    );
    println!(
        "hub memory after the clicks: VmRSS {rss_after} MiB, VmHWM {hwm_after} MiB (no target: measured)"
    );
    Ok(())
}

fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}
