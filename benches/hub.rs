//! The province hub's ingest and restart, measured: `cargo bench --bench hub [-- --quick]`
//! with a PostgreSQL in `XEPHANG_DATABASE_URL` (`. tests/pg.sh && pg_up` starts a throwaway
//! one).
//!
//! - a provincial day for `HUB_BENCH_CENTRES` centres (default 100) of
//!   `HUB_BENCH_TICKETS` tickets each (default 3,000: 300,000 tickets, ~900,000 events) made by
//!   the real domain (issue → call → finish at the demo centre's counters), pushed to a
//!   release `xephang hub` over HTTP in the uplink's wire format (2,000 events per push, one
//!   lobby = one sequential pusher, all centres at once): time, events/s;
//! - hub restart: kill, start again, the time until it listens with every centre's read
//!   model rebuilt from PostgreSQL, and its RSS.
//!
//! `--quick`: 20 centres × 1,000 tickets (well under two minutes). Figures go to
//! BENCHMARKS.md with the command.

#[path = "hubkit/mod.rs"]
mod hubkit;
#[path = "load/mod.rs"]
mod load;

use std::time::{Duration, Instant};

use hubkit::*;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let Some(base) = database_url("hub bench") else {
        return;
    };
    let centres = env_num("HUB_BENCH_CENTRES", if quick { 20 } else { 100 });
    let tickets = env_num("HUB_BENCH_TICKETS", if quick { 1000 } else { 3000 });
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    if let Err(e) = rt.block_on(run(base, centres, tickets)) {
        eprintln!("hub bench failed: {e}");
        std::process::exit(1);
    }
}

async fn run(base: String, centres: usize, tickets: usize) -> Result<(), String> {
    println!(
        "== hub bench: ingest and restart (load average {})",
        loadavg()
    );
    let t = Instant::now();
    let generated = push_bodies(centres, tickets);
    let events = generated.events;
    eprintln!(
        "generated {centres} centres × {tickets} tickets = {events} events in {:?}",
        t.elapsed()
    );
    let db = TempDb::create(&base, "xbench").await?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cfg = dir.path().join("hub.toml");
    std::fs::write(&cfg, hub_toml(centres, "")).map_err(|e| e.to_string())?;
    let result = async {
        let hub = HubProc::start(&cfg, &db.url, "127.0.0.1:0", Duration::from_secs(60))?;
        let (took, retries) = push_all(&hub.url(), generated.bodies).await?;
        let stored: i64 = client_for(&db.url)
            .await?
            .query_one("SELECT count(*) FROM events", &[])
            .await
            .map_err(|e| e.to_string())?
            .get(0);
        if stored as usize != events {
            return Err(format!("{stored} events stored, {events} pushed"));
        }
        println!(
            "ingest: {centres} centres, {} tickets, {events} events in {:.1} s = {:.0} events/s, \
             {retries} pushes retried (targets: ≥ 20,000 events/s; 300,000 tickets in ≤ 60 s)",
            centres * tickets,
            took.as_secs_f64(),
            events as f64 / took.as_secs_f64()
        );
        let (rss, hwm) = hub.mem_mib();
        println!("hub memory after ingest: VmRSS {rss} MiB, VmHWM {hwm} MiB");
        drop(hub);

        // Restart: every centre rebuilt from PostgreSQL before the listening line.
        let t = Instant::now();
        let hub = HubProc::start(&cfg, &db.url, "127.0.0.1:0", Duration::from_secs(120))?;
        let (rss, hwm) = hub.mem_mib();
        println!(
            "hub restart: listening with {centres} centres rebuilt after {:.2} s (target ≤ 5 s for 100 centres × one day); VmRSS {rss} MiB, VmHWM {hwm} MiB",
            t.elapsed().as_secs_f64(),
        );
        Ok(())
    }
    .await;
    db.drop_db().await;
    println!("load average after: {}", loadavg());
    result
}
