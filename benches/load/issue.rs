//! Durable ticket issues per second over HTTP with K concurrent kiosks, and the journal's
//! fsyncs per second meanwhile (group commit: many issues share one fsync).
//!
//! Each K gets a fresh daemon. Kiosks issue round-robin over the demo centre's six issuable
//! services, keep-alive, each waiting for its answer (a kiosk prints the number only once it
//! is durable). A run stops after `seconds` or at `cap` tickets, whichever comes first: the
//! demo ranges hold 999 live numbers per service, and nobody is called during this run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::daemon::Daemon;
use super::http::{Api, ISSUABLE};

#[derive(Debug, Clone, Default)]
pub struct IssueRun {
    pub kiosks: usize,
    pub issued: usize,
    pub failed: usize,
    pub seconds: f64,
    pub per_s: f64,
    pub fsyncs: u64,
    pub fsyncs_per_s: f64,
    /// Mean fsync time, from the daemon's histogram sum/count.
    pub fsync_mean_us: f64,
    /// Request latency seen by a kiosk, µs.
    pub p50_us: u64,
    pub p99_us: u64,
    pub first_error: Option<String>,
}

pub async fn run(
    bin: &std::path::Path,
    rust_log: &str,
    config: Option<&std::path::Path>,
    kiosks: usize,
    seconds: f64,
    cap: usize,
) -> Result<IssueRun, String> {
    let daemon = Daemon::start_cfg(bin, rust_log, config, super::daemon::tempdir()?)?;
    let api = Api::new(&daemon.http());
    // Warm the connection pool: one keep-alive connection per kiosk.
    let warm: Vec<_> = (0..kiosks)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { api.metric("xephang_ws_clients").await })
        })
        .collect();
    for w in warm {
        let _ = w.await;
    }
    let fsync0 = api.metric("xephang_journal_fsync_seconds_count").await?;
    let sum0 = api.metric("xephang_journal_fsync_seconds_sum").await?;
    let budget = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..kiosks)
        .map(|k| {
            let api = api.clone();
            let budget = budget.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut failed = 0usize;
                let mut first_error = None;
                let mut i = k;
                while Instant::now() < deadline && budget.fetch_add(1, Ordering::Relaxed) < cap {
                    let s = Instant::now();
                    match api.issue(ISSUABLE[i % ISSUABLE.len()]).await {
                        Ok(201) => lat.push(s.elapsed().as_micros() as u64),
                        Ok(status) => {
                            failed += 1;
                            first_error.get_or_insert(format!("status {status}"));
                        }
                        Err(e) => {
                            failed += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                    i += 1;
                }
                (lat, failed, first_error)
            })
        })
        .collect();
    let mut lat = Vec::new();
    let mut failed = 0;
    let mut first_error = None;
    for t in tasks {
        let (l, f, e) = t.await.map_err(|e| e.to_string())?;
        lat.extend(l);
        failed += f;
        if first_error.is_none() {
            first_error = e;
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let fsync1 = api.metric("xephang_journal_fsync_seconds_count").await?;
    let sum1 = api.metric("xephang_journal_fsync_seconds_sum").await?;
    drop(daemon);
    lat.sort_unstable();
    let pct = |p: f64| {
        if lat.is_empty() {
            0
        } else {
            lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1]
        }
    };
    let fsyncs = (fsync1 - fsync0).max(0.0) as u64;
    Ok(IssueRun {
        kiosks,
        issued: lat.len(),
        failed,
        seconds: elapsed,
        per_s: lat.len() as f64 / elapsed,
        fsyncs,
        fsyncs_per_s: fsyncs as f64 / elapsed,
        fsync_mean_us: if fsyncs > 0 {
            (sum1 - sum0) * 1e6 / fsyncs as f64
        } else {
            0.0
        },
        p50_us: pct(0.5),
        p99_us: pct(0.99),
        first_error,
    })
}
