//! The lobby's own call → board latency with its province hub up, down and catching up —
//! the uplink must not move it: `cargo bench --bench hub_lobby [-- --quick] [--sockets 100]
//! [--seconds 10] [--rate CALLS_PER_S] [--backlog 200000]` with a PostgreSQL in
//! `XEPHANG_DATABASE_URL` (`. tests/pg.sh && pg_up`).
//!
//! Each way runs the load tool's board-latency case (benches/load/latency.rs: two clerks
//! click next at `rate`, a kiosk issues at the same rate, the clock runs from the click to the
//! `ticket_called` frame at each of `sockets` board sockets) against a release lobby daemon
//! started with `--config` = the demo centre plus an `[uplink]`, on a copy of the same
//! journal of `backlog` events (today's, made by the real domain), so the four differ only
//! in the hub:
//! - **up**: a release `xephang hub` on a fresh database; the calls start once it holds the
//!   whole backlog;
//! - **down**: the uplink's target port refuses connections (nobody listens);
//! - **catching up**: the hub is started on that port just before the first call, so it
//!   ingests the backlog while the calls are measured (how far it got is printed);
//! - **catching up to a sink**: the same, but what starts on that port is a hub that keeps
//!   nothing (benches/hubkit/sink.rs: one idle-priority thread of this bench, no
//!   PostgreSQL): the lobby's own share of a catch-up, without the stand-in for the
//!   province server on the same two cores.
//!
//! The hub and PostgreSQL stand in for another machine: they run at the lowest CPU priority
//! (`SCHED_IDLE`, nice 19: benches/hubkit/nice.rs; PostgreSQL's processes are lowered for the
//! run and restored after), the lobby and the boards at the normal one. The bench says
//! whether PostgreSQL's data shares the lobby journal's file system (its writes then share
//! the lobby's fsyncs; `PG_PARENT=/dev/shm . tests/pg.sh && pg_up` avoids it). Printed per
//! way: the latency, the lobby's CPU during the calls and, apart, its uplink thread's (the
//! catch-up's read-back and encoding, at idle priority), the hub's, the load average, and
//! how many events the hub took in per second.
//!
//! Only 127.0.0.1; every daemon and hub is a child killed when its run ends (and on
//! panic); every wait is bounded. `--quick`: 100 sockets, 5 s, a backlog of 30,000 events.

#[path = "hubkit/mod.rs"]
mod hubkit;
#[path = "load/mod.rs"]
mod load;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use hubkit::*;
use load::latency::{level_with, Level, Setup};
// The lobby's uplink thread, whose CPU is printed apart.
use xephang::uplink::reader::THREAD_NAME as UPLINK_THREAD;

struct Opts {
    sockets: usize,
    seconds: f64,
    rate: Option<f64>,
    backlog: usize,
}

fn parse() -> Result<Opts, String> {
    let a = cli::Args::parse(&["--sockets", "--seconds", "--rate", "--backlog"])?;
    Ok(Opts {
        sockets: a.count("--sockets", 100),
        seconds: a
            .get("--seconds")
            .map_or(if a.quick { 5.0 } else { 10.0 }, |s| s.clamp(1.0, 600.0)),
        rate: a.get("--rate").map(|r| r.max(0.1)),
        backlog: a.count("--backlog", if a.quick { 30_000 } else { 200_000 }),
    })
}

fn main() {
    cli::bench_main(
        "hub_lobby",
        "[--quick] [--sockets N] [--seconds N] [--rate CALLS_PER_S] [--backlog EVENTS]",
        parse,
        run,
    );
}

/// CPU seconds of the sink's thread in this process (0 when there is none).
fn sink_cpu() -> f64 {
    thread_cpu_of(std::process::id(), sink::THREAD)
}

/// The device of the file system holding `path`.
fn dev_of(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.dev())
}

fn note(s: &str) {
    eprintln!("[hub_lobby] {s}");
}

#[derive(Clone, Copy, PartialEq)]
enum Way {
    Up,
    Down,
    CatchingUp,
    SinkCatchingUp,
}

impl Way {
    fn label(self) -> &'static str {
        match self {
            Way::Up => "hub up",
            Way::Down => "hub down",
            Way::CatchingUp => "hub catching up",
            Way::SinkCatchingUp => "sink catching up",
        }
    }
}

/// What one way measured.
struct Run {
    level: Result<Level, String>,
    /// What the hub held of the lobby's events: (when the calls began, when they ended, the
    /// lobby's seq at the end).
    hub: Option<(u64, u64, u64)>,
    /// The load average when the calls ended.
    load: String,
    /// Catching up: seconds from the hub's start until it held the backlog (None: not
    /// within the run).
    caught_up_s: Option<f64>,
    seconds: f64,
    /// CPU seconds the lobby, the lobby's uplink thread (part of the lobby's) and the hub
    /// used during the calls.
    cpu: (f64, f64, f64),
}

async fn run(base: String, o: Opts) -> Result<(), String> {
    let fd = raise_fd_limit();
    let rate = o.rate.unwrap_or_else(|| load::default_rate(o.sockets));
    println!(
        "== hub_lobby: the lobby's call → board latency, {} board sockets, {rate} calls/s for {} s, a journal of {} events, with its hub up / down / catching up (load average {})",
        o.sockets, o.seconds, o.backlog, loadavg()
    );
    if o.sockets as u64 + 256 > fd {
        return Err(format!(
            "{} sockets need more than {fd} open files",
            o.sockets
        ));
    }
    // In a province the hub and its database are on another machine: here they run at the
    // lowest CPU priority, the lobby and the boards at the normal one.
    let pg = match hubkit::nice::PgLowered::lower(&base).await {
        Ok(pg) => {
            println!(
                "the hub (each way's `xephang hub`) and PostgreSQL ({} processes, restored at the end) run at {} as stand-ins for another machine; the lobby daemon and the {} boards at nice 0",
                pg.processes,
                hubkit::nice::REMOTE.label(),
                o.sockets
            );
            // Its writes on the lobby's file system would share the lobby's fsyncs (ext4
            // commits other files' new blocks with them): not what another machine does.
            let lobby_dev = load::daemon::tempdir().ok().and_then(|t| dev_of(t.path()));
            match pg.data_directory.as_deref() {
                Some(d) if dev_of(d).is_some() && dev_of(d) == lobby_dev => println!(
                    "warning: PostgreSQL's data ({}) is on the lobby journal's file system ({}): its writes share the lobby's fsyncs; `PG_PARENT=/dev/shm . tests/pg.sh && pg_up` puts it elsewhere",
                    d.display(),
                    load::daemon::fs_type(d)
                ),
                Some(d) => println!(
                    "PostgreSQL's data ({}, {}) is on another file system than the lobby's journal",
                    d.display(),
                    load::daemon::fs_type(d)
                ),
                None => {}
            }
            Some(pg)
        }
        Err(e) => {
            println!("warning: PostgreSQL's priority could not be lowered ({e}); it competes with the lobby at its own priority");
            None
        }
    };
    let t = Instant::now();
    let (day, journal, events) = load::startup::generate(o.backlog)?;
    note(&format!(
        "journal of {events} events ({} MiB) made in {:.1} s",
        journal.len() >> 20,
        t.elapsed().as_secs_f64()
    ));
    let mut runs = Vec::new();
    for way in [Way::Up, Way::Down, Way::CatchingUp, Way::SinkCatchingUp] {
        note(&format!("{}: starting", way.label()));
        let r = one_way(&base, &o, rate, way, day, &journal).await?;
        match &r.level {
            Ok(l) => note(&format!(
                "{}: p50 {} µs, p99 {} µs, max {} µs, missed {}",
                way.label(),
                l.daemon.p50_us,
                l.daemon.p99_us,
                l.daemon.max_us,
                l.daemon.missed
            )),
            Err(e) => note(&format!("{}: failed: {e}", way.label())),
        }
        runs.push((way, r));
    }
    println!(
        "{:<16} | {:>7} | {:>7} | {:>7} | {:>6} | {:>7} | {:>15} | {:>24} | {:>14} | hub during the calls",
        "way",
        "p50 ms",
        "p99 ms",
        "max ms",
        "missed",
        "calls/s",
        "next p50/p99 ms",
        "CPU s lobby (uplink)/hub",
        "load avg"
    );
    for (way, r) in &runs {
        let hub = match (way, r.hub) {
            (Way::Down, _) => "unreachable (connection refused)".to_string(),
            (_, Some((from, to, lobby))) => format!(
                "held seq {from} → {to} of the lobby's {lobby}: {} events ingested during the calls = {:.0} events/s{}",
                to.saturating_sub(from),
                to.saturating_sub(from) as f64 / r.seconds,
                match (way, r.caught_up_s) {
                    (Way::CatchingUp | Way::SinkCatchingUp, Some(s)) => format!(
                        "; the backlog was in {s:.1} s after the hub started: the catch-up ran at ≈ {:.0} events/s (the calls lasted {:.0} s)",
                        to as f64 / s.max(0.001),
                        r.seconds
                    ),
                    (Way::CatchingUp | Way::SinkCatchingUp, None) => "; still catching up when the calls ended".to_string(),
                    _ => String::new(),
                }
            ),
            _ => "?".into(),
        };
        match &r.level {
            Ok(l) => println!(
                "{:<16} | {:>7.2} | {:>7.2} | {:>7.2} | {:>6} | {:>7.1} | {:>7.1}/{:<7.1} | {:>5.2} ({:>4.2}) / {:<11.2} | {:>14} | {hub}",
                way.label(),
                l.daemon.p50_us as f64 / 1000.0,
                l.daemon.p99_us as f64 / 1000.0,
                l.daemon.max_us as f64 / 1000.0,
                l.daemon.missed,
                l.achieved_rate,
                l.next_rtt_p50_us as f64 / 1000.0,
                l.next_rtt_p99_us as f64 / 1000.0,
                r.cpu.0,
                r.cpu.1,
                r.cpu.2,
                r.load,
            ),
            Err(e) => println!("{:<16} | failed: {e}", way.label()),
        }
    }
    println!(
        "CPU s: used during the {} s of calls by the lobby daemon (all its threads; in brackets its \
         uplink thread `{UPLINK_THREAD}`, which runs at idle priority) and by the hub (the sink's \
         thread for the sink); load avg: /proc/loadavg when the calls ended",
        o.seconds
    );
    println!(
        "the lobby's own extra CPU while its hub catches up (catching up − hub down) is the uplink's cost on the lobby PC"
    );
    println!(
        "the sink row is the lobby's own share of a catch-up (no hub or PostgreSQL on these cores)"
    );
    println!("target: the rows alike (the uplink must not move the lobby's latency)");
    println!("load average after: {}", loadavg());
    drop(pg);
    Ok(())
}

async fn one_way(
    base: &str,
    o: &Opts,
    rate: f64,
    way: Way,
    day: chrono::NaiveDate,
    journal: &[u8],
) -> Result<Run, String> {
    let tmp = load::daemon::tempdir()?;
    let dir = tmp.path().join("data").join("journal");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(xephang::journal::day_path(&dir, day), journal).map_err(|e| e.to_string())?;
    let conf = load::daemon::tempdir()?;
    let hub_cfg = conf.path().join("hub.toml");
    std::fs::write(&hub_cfg, hub_toml(0, &lobby_centre_toml())).map_err(|e| e.to_string())?;
    let port = free_port()?;
    let db = match way {
        Way::Down | Way::SinkCatchingUp => None,
        _ => Some(TempDb::create(base, "xlobby").await?),
    };
    let db_url = db.as_ref().map(|d| d.url.clone()).unwrap_or_default();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    // The hub of this way, kept until its calls end.
    let hub: Arc<Mutex<Option<HubProc>>> = Arc::new(Mutex::new(None));
    let sink: Arc<Mutex<Option<sink::Sink>>> = Arc::new(Mutex::new(None));
    if way == Way::Up {
        let h = HubProc::start_remote(
            &hub_cfg,
            &db_url,
            &format!("127.0.0.1:{port}"),
            Duration::from_secs(60),
        )?;
        *hub.lock().map_err(|e| e.to_string())? = Some(h);
    }
    let marks: Arc<Mutex<(u64, u64, u64)>> = Arc::new(Mutex::new((0, 0, 0)));
    let caught_up: Arc<Mutex<Option<f64>>> = Arc::new(Mutex::new(None));
    // CPU seconds of (the lobby, the hub, the lobby's uplink thread) at the first call,
    // then used during the calls.
    let cpu: Arc<Mutex<[f64; 6]>> = Arc::new(Mutex::new([0.0; 6]));
    let (stop_poll, stop_rx) = tokio::sync::watch::channel(false);
    let hub_url = format!("http://127.0.0.1:{port}");
    let before = {
        let (hub, http, hub_url, marks) =
            (hub.clone(), http.clone(), hub_url.clone(), marks.clone());
        let cfg = hub_cfg.clone();
        let db_url = db_url.clone();
        let caught_up = caught_up.clone();
        let cpu = cpu.clone();
        let sink = sink.clone();
        move |d: &load::daemon::Daemon| {
            let lobby = d.http();
            let lobby_pid = d.pid;
            async move {
                match way {
                    Way::Down => {}
                    Way::Up => {
                        // The whole backlog at the hub before the calls.
                        let want = lobby_seq(&http, &lobby).await.unwrap_or(0);
                        let t = Instant::now();
                        while hub_seq(&http, &hub_url, "lobby").await < want {
                            if t.elapsed() > Duration::from_secs(300) {
                                return Err("the hub did not catch up within 300 s".to_string());
                            }
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        note(&format!(
                            "hub up: it holds the backlog ({want} events) after {:.1} s",
                            t.elapsed().as_secs_f64()
                        ));
                    }
                    Way::CatchingUp | Way::SinkCatchingUp => {
                        if way == Way::SinkCatchingUp {
                            *sink.lock().map_err(|e| e.to_string())? =
                                Some(sink::Sink::start(port)?);
                        } else {
                            let h = tokio::task::spawn_blocking(move || {
                                HubProc::start_remote(
                                    &cfg,
                                    &db_url,
                                    &format!("127.0.0.1:{port}"),
                                    Duration::from_secs(60),
                                )
                            })
                            .await
                            .map_err(|e| e.to_string())??;
                            *hub.lock().map_err(|e| e.to_string())? = Some(h);
                        }
                        // When the hub holds the backlog (polled every 250 ms).
                        let backlog = lobby_seq(&http, &lobby).await.unwrap_or(0);
                        let (http, hub_url) = (http.clone(), hub_url.clone());
                        let mut stop = stop_rx;
                        tokio::spawn(async move {
                            let t = Instant::now();
                            loop {
                                if hub_seq(&http, &hub_url, "lobby").await >= backlog {
                                    if let Ok(mut c) = caught_up.lock() {
                                        *c = Some(t.elapsed().as_secs_f64());
                                    }
                                    return;
                                }
                                tokio::select! {
                                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                                    _ = stop.changed() => return,
                                }
                            }
                        });
                    }
                }
                let at = hub_seq(&http, &hub_url, "lobby").await;
                if let Ok(mut m) = marks.lock() {
                    m.0 = at;
                }
                let hub_pid = hub.lock().ok().and_then(|h| h.as_ref().map(|h| h.pid));
                if let Ok(mut c) = cpu.lock() {
                    c[0] = cpu_secs(lobby_pid);
                    c[1] = hub_pid.map_or_else(sink_cpu, cpu_secs);
                    c[4] = thread_cpu_of(lobby_pid, UPLINK_THREAD);
                }
                Ok(())
            }
            .boxed()
        }
    };
    let after = {
        let (http, hub_url, marks) = (http.clone(), hub_url.clone(), marks.clone());
        let (cpu, hub) = (cpu.clone(), hub.clone());
        move |d: &load::daemon::Daemon| {
            let lobby = d.http();
            let lobby_cpu = cpu_secs(d.pid);
            let uplink_cpu = thread_cpu_of(d.pid, UPLINK_THREAD);
            let hub_cpu = hub
                .lock()
                .ok()
                .and_then(|h| h.as_ref().map(|h| cpu_secs(h.pid)))
                .unwrap_or_else(sink_cpu);
            if let Ok(mut c) = cpu.lock() {
                c[2] = lobby_cpu - c[0];
                c[3] = hub_cpu - c[1];
                c[5] = uplink_cpu - c[4];
            }
            async move {
                let at = hub_seq(&http, &hub_url, "lobby").await;
                let seq = lobby_seq(&http, &lobby).await.unwrap_or(0);
                if let Ok(mut m) = marks.lock() {
                    m.1 = at;
                    m.2 = seq;
                }
                Ok(())
            }
            .boxed()
        }
    };
    let setup = Setup {
        config: Some(lobby_config(
            conf.path(),
            &format!("http://127.0.0.1:{port}"),
        )?),
        tmp: Some(tmp),
        before_calls: Some(Box::new(before)),
        after_calls: Some(Box::new(after)),
    };
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_xephang"));
    let level = level_with(
        &bin,
        "warn",
        setup,
        o.sockets,
        rate,
        o.seconds,
        &load::FloorMode::Off,
    )
    .await;
    let _ = stop_poll.send(true);
    if let Ok(mut h) = hub.lock() {
        h.take();
    }
    if let Ok(mut s) = sink.lock() {
        s.take();
    }
    if let Some(db) = db {
        db.drop_db().await;
    }
    let hub = match way {
        Way::Down => None,
        _ => marks.lock().ok().map(|m| *m),
    };
    let load = loadavg();
    let caught_up_s = caught_up.lock().ok().and_then(|c| *c);
    let cpu = cpu.lock().map(|c| (c[2], c[5], c[3])).unwrap_or_default();
    Ok(Run {
        level,
        load,
        cpu,
        hub,
        caught_up_s,
        seconds: o.seconds,
    })
}
