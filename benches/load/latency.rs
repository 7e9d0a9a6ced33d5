//! Call → board latency at N board sockets, against the daemon and then against the floor
//! with the same N, frame sizes and rate.
//!
//! Two clerks (counters 1 and 2, both serving hotich and chungthuc) click next in turn at
//! `rate` calls/s while a kiosk issues at the same rate, half a period out of phase, so there
//! is always someone to call and an issue never reaches the writer in the same instant as a
//! call.
//! The clock starts just before the clerk's `POST /counters/{n}/next` is sent and stops
//! when a socket reads the `ticket_called` frame with the number that call returned.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::watch;

use super::boards::{key_of, BoardLog, Boards};
use super::daemon::{now_ns, Daemon, Mem};
use super::floor::{Floor, FloorPlan};
use super::http::{Api, CALLED};

/// Latency over every (socket, call) pair, in microseconds.
#[derive(Debug, Clone, Default)]
pub struct Dist {
    pub calls: usize,
    pub pairs: usize,
    /// Pairs never seen (a socket that missed a call, or was dropped).
    pub missed: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

/// One N of the latency table.
#[derive(Debug, Clone, Default)]
pub struct Level {
    pub sockets: usize,
    /// Calls per second asked for, and achieved (the clerks wait for each answer, so a
    /// daemon slower than the rate lowers it; the floor replays the achieved schedule).
    pub rate: f64,
    pub achieved_rate: f64,
    pub daemon: Dist,
    pub floor: Option<Dist>,
    pub floor_error: Option<String>,
    /// Sockets the daemon closed during the run (e.g. 1013 too slow).
    pub dropped: usize,
    /// Daemon memory before the sockets, with them idle, and the peak after the run.
    pub mem_before: Mem,
    pub mem_sockets: Mem,
    pub mem_after: Mem,
    /// Frames per call on a board and their average size (what the floor mirrors).
    pub frames_per_call: f64,
    pub called_size: usize,
    pub other_size: usize,
    /// Client-side HTTP round trip of `next` (send → response), p50 and p99 in µs.
    pub next_rtt_p50_us: u64,
    pub next_rtt_p99_us: u64,
    /// The daemon's mean fsync during the run (its histogram's sum ÷ count), µs: the part of
    /// a call's latency the disk takes, which the floor does not have.
    pub fsync_mean_us: Option<u64>,
    /// The daemon's CPU time (all threads, user + system) during the calls, per call, µs.
    /// Each call comes with one kiosk issue, and both fan out to every socket. Unlike the
    /// latencies this hardly depends on how busy the rest of the machine is.
    pub cpu_per_call_us: Option<u64>,
    /// When the first call was sent and the last answered ([`now_ns`]).
    pub calls_from_ns: u64,
    pub calls_to_ns: u64,
}

/// A step of a latency run given the daemon (e.g. start a hub, wait for it, read it).
pub type Hook = Box<dyn FnOnce(&Daemon) -> BoxFuture<'static, Result<(), String>> + Send>;

/// How the daemon of a latency run starts and what happens around its calls (the default:
/// the embedded demo on a fresh data dir, nothing around).
#[derive(Default)]
pub struct Setup {
    /// `--config FILE` (with `--demo`: the load uses the demo's PINs and tokens).
    pub config: Option<std::path::PathBuf>,
    /// A temp dir whose `data/` already holds a journal (None: a fresh one).
    pub tmp: Option<tempfile::TempDir>,
    /// Run once the sockets are connected, just before the first call.
    pub before_calls: Option<Hook>,
    /// Run once the last call was answered, before the sockets are closed.
    pub after_calls: Option<Hook>,
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Matches every socket's arrivals with the calls' send times.
pub fn distribution(sent: &[(u64, u64)], logs: &[BoardLog]) -> Dist {
    let at: HashMap<u64, u64> = sent.iter().copied().collect();
    let mut lat: Vec<u64> = Vec::with_capacity(sent.len() * logs.len());
    for log in logs {
        for (key, t) in &log.called {
            if let Some(t0) = at.get(key) {
                lat.push(t.saturating_sub(*t0) / 1000);
            }
        }
    }
    lat.sort_unstable();
    let pairs = sent.len() * logs.len();
    Dist {
        calls: sent.len(),
        pairs,
        missed: pairs.saturating_sub(lat.len()),
        p50_us: pct(&lat, 0.50),
        p99_us: pct(&lat, 0.99),
        max_us: lat.last().copied().unwrap_or(0),
    }
}

/// How the floor is run.
#[derive(Debug, Clone)]
pub enum FloorMode {
    /// `exe --floor-server PLAN` (the bench binary itself).
    Child(std::path::PathBuf),
    InProcess,
    Off,
}

/// One N: a fresh daemon, N boards, `calls` calls at `rate`; then the floor.
pub async fn level(
    bin: &std::path::Path,
    rust_log: &str,
    n: usize,
    rate: f64,
    seconds: f64,
    floor: &FloorMode,
) -> Result<Level, String> {
    level_with(bin, rust_log, Setup::default(), n, rate, seconds, floor).await
}

/// [`level`] with the daemon and the steps around the calls of `setup`.
pub async fn level_with(
    bin: &std::path::Path,
    rust_log: &str,
    mut setup: Setup,
    n: usize,
    rate: f64,
    seconds: f64,
    floor: &FloorMode,
) -> Result<Level, String> {
    let tmp = match setup.tmp.take() {
        Some(t) => t,
        None => super::daemon::tempdir()?,
    };
    let daemon = Daemon::start_cfg(bin, rust_log, setup.config.as_deref(), tmp)?;
    let api = Api::new(&daemon.http());
    let tokens = [api.login(1).await?, api.login(2).await?];
    // A queue to call from, kept topped up below.
    for i in 0..30 {
        api.issue(CALLED[i % 2]).await?;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mem_before = daemon.mem();
    let boards = Boards::connect(&daemon.ws(), n).await?;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mem_sockets = daemon.mem();

    if let Some(hook) = setup.before_calls.take() {
        hook(&daemon).await?;
    }
    let fsyncs_before = fsync_totals(&api).await;
    let cpu_before = super::daemon::cpu_of(daemon.pid);
    let calls = ((seconds * rate).round() as usize).max(3);
    let (stop_tx, stop_rx) = watch::channel(false);
    let kiosk = {
        let api = api.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            // Half a period after the clerks' ticks: both timers at the same rate started
            // together sent each issue in the same millisecond as a call, so every call
            // queued behind the issue's fsync and the 1-socket p50 measured two commits.
            let period = Duration::from_secs_f64(1.0 / rate);
            let start = tokio::time::Instant::now() + period / 2;
            let mut tick = tokio::time::interval_at(start, period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut i = 0usize;
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let _ = api.issue(CALLED[i % 2]).await;
                        i += 1;
                    }
                    _ = stop.changed() => return,
                }
            }
        })
    };
    let started = now_ns();
    let mut sent: Vec<(u64, u64)> = Vec::with_capacity(calls);
    let mut rtt: Vec<u64> = Vec::with_capacity(calls);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failure = None;
    for i in 0..calls {
        tick.tick().await;
        let counter = 1 + (i % 2) as u32;
        let t0 = now_ns();
        match api.next(&tokens[i % 2], counter).await {
            Ok(Some(number)) => {
                rtt.push((now_ns() - t0) / 1000);
                sent.push((key_of(&number), t0));
            }
            Ok(None) => {}
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let calls_to_ns = now_ns();
    let _ = stop_tx.send(true);
    let _ = kiosk.await;
    let expected = (sent.len() * n) as u64;
    boards.wait_for(expected, Duration::from_secs(30)).await;
    if let Some(hook) = setup.after_calls.take() {
        if let Err(e) = hook(&daemon).await {
            failure = failure.or(Some(e));
        }
    }
    let dropped = boards.closed();
    let cpu_per_call_us = match (cpu_before, super::daemon::cpu_of(daemon.pid)) {
        (Some(a), Some(b)) if !sent.is_empty() => {
            Some(((b - a).max(0.0) * 1e6 / sent.len() as f64).round() as u64)
        }
        _ => None,
    };
    let fsync_mean_us = match (fsyncs_before, fsync_totals(&api).await) {
        (Some((c0, s0)), Some((c1, s1))) if c1 > c0 => {
            Some(((s1 - s0) / (c1 - c0) * 1e6).round() as u64)
        }
        _ => None,
    };
    let mem_after = daemon.mem();
    let logs = boards.finish().await;
    drop(daemon);
    if let Some(e) = failure {
        return Err(e);
    }
    let daemon_dist = distribution(&sent, &logs);

    // What the floor must mirror: frames per call and their sizes, from socket 0.
    let l0 = &logs[0];
    let called_n = l0.called.len().max(1) as u64;
    let sample = l0.sample_called.clone().unwrap_or_default();
    let called_size = sample.len();
    let other_frames = l0.frames.saturating_sub(l0.called.len() as u64);
    let other_size = l0
        .bytes
        .saturating_sub(called_size as u64 * called_n)
        .checked_div(other_frames)
        .unwrap_or(0) as usize;
    let frames_per_call = l0.frames as f64 / called_n as f64;
    rtt.sort_unstable();
    let mut level = Level {
        sockets: n,
        rate,
        achieved_rate: match (sent.first(), sent.last()) {
            (Some(a), Some(b)) if b.1 > a.1 => (sent.len() - 1) as f64 * 1e9 / (b.1 - a.1) as f64,
            _ => 0.0,
        },
        daemon: daemon_dist,
        floor: None,
        floor_error: None,
        dropped,
        mem_before,
        mem_sockets,
        mem_after,
        frames_per_call,
        called_size,
        other_size,
        next_rtt_p50_us: pct(&rtt, 0.5),
        next_rtt_p99_us: pct(&rtt, 0.99),
        calls_from_ns: started,
        calls_to_ns,
        fsync_mean_us,
        cpu_per_call_us,
    };
    drop(logs);
    let plan = FloorPlan {
        offsets_ns: sent.iter().map(|(_, t)| t - started).collect(),
        called_frame: sample,
        filler_size: other_size.max(16),
        fillers_per_call: (frames_per_call - 1.0).max(0.0),
    };
    match run_floor(n, plan, floor).await {
        Ok(Some(d)) => level.floor = Some(d),
        Ok(None) => {}
        Err(e) => level.floor_error = Some(e),
    }
    Ok(level)
}

/// The daemon's fsync count and total seconds so far.
async fn fsync_totals(api: &Api) -> Option<(f64, f64)> {
    let count = api
        .metric("xephang_journal_fsync_seconds_count")
        .await
        .ok()?;
    let sum = api.metric("xephang_journal_fsync_seconds_sum").await.ok()?;
    Some((count, sum))
}

async fn run_floor(n: usize, plan: FloorPlan, mode: &FloorMode) -> Result<Option<Dist>, String> {
    let tmp = super::daemon::tempdir()?;
    let mut floor = match mode {
        FloorMode::Off => return Ok(None),
        FloorMode::InProcess => Floor::in_process(plan.clone())?,
        FloorMode::Child(exe) => Floor::child(exe, plan.clone(), tmp.path())?,
    };
    let boards = Boards::connect(&floor.url(), n).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    floor.go();
    let span = plan.offsets_ns.last().copied().unwrap_or(0);
    let limit = Duration::from_nanos(span) + Duration::from_secs(60);
    let sent = floor.sent(limit).await?;
    boards
        .wait_for((sent.len() * n) as u64, Duration::from_secs(30))
        .await;
    let logs = boards.finish().await;
    drop(floor);
    Ok(Some(distribution(&sent, &logs)))
}

/// Shared by the smoke test: every socket saw every call.
pub fn complete(l: &Level) -> bool {
    l.daemon.missed == 0 && l.daemon.calls > 0
}

/// The ratio of two latencies, guarding against a zero floor.
pub fn ratio(daemon_us: u64, floor_us: u64) -> f64 {
    daemon_us as f64 / (floor_us.max(1)) as f64
}
