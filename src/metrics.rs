//! Process counters for `GET /metrics` (Prometheus text format): journal fsyncs and their
//! latency, commands, WebSocket clients. Plain atomics: recording never blocks anyone.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the fsync latency histogram.
const FSYNC_BUCKETS: [f64; 8] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];

#[derive(Default)]
pub struct Metrics {
    pub fsyncs: AtomicU64,
    pub fsync_micros: AtomicU64,
    fsync_buckets: [AtomicU64; FSYNC_BUCKETS.len()],
    pub events: AtomicU64,
    pub journal_bytes: AtomicU64,
    pub ws_clients: AtomicU64,
    pub ws_dropped_slow: AtomicU64,
    pub http_refused_unavailable: AtomicU64,
    /// The uplink to the province hub (src/uplink), when `[uplink]` is configured.
    pub uplink: crate::uplink::UplinkStatus,
}

impl Metrics {
    pub fn record_fsync(&self, took: Duration, events: usize, bytes: usize) {
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.fsync_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        for (i, bound) in FSYNC_BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.fsync_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.events.fetch_add(events as u64, Ordering::Relaxed);
        self.journal_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Appends this process's counters in Prometheus text format.
    pub fn render(&self, out: &mut String) {
        self.uplink.render(out);
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let fsyncs = get(&self.fsyncs);
        let _ = writeln!(
            out,
            "# HELP xephang_journal_fsync_seconds Journal fsync latency."
        );
        let _ = writeln!(out, "# TYPE xephang_journal_fsync_seconds histogram");
        for (i, bound) in FSYNC_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "xephang_journal_fsync_seconds_bucket{{le=\"{bound}\"}} {}",
                get(&self.fsync_buckets[i])
            );
        }
        let _ = writeln!(
            out,
            "xephang_journal_fsync_seconds_bucket{{le=\"+Inf\"}} {fsyncs}"
        );
        let _ = writeln!(
            out,
            "xephang_journal_fsync_seconds_sum {}",
            get(&self.fsync_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "xephang_journal_fsync_seconds_count {fsyncs}");
        let counters = [
            (
                "xephang_events_total",
                "Events journaled.",
                get(&self.events),
            ),
            (
                "xephang_journal_bytes_total",
                "Bytes appended to the journal.",
                get(&self.journal_bytes),
            ),
            (
                "xephang_ws_dropped_slow_total",
                "WebSocket clients dropped for being too slow.",
                get(&self.ws_dropped_slow),
            ),
            (
                "xephang_unavailable_total",
                "Commands refused because storage failed.",
                get(&self.http_refused_unavailable),
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP xephang_ws_clients Open WebSocket connections.\n# TYPE xephang_ws_clients gauge\nxephang_ws_clients {}",
            get(&self.ws_clients)
        );
        // Every connection, socket and timer runs as a task: a leak of any shows here.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let _ = writeln!(
                out,
                "# HELP xephang_tasks Tasks alive in the daemon's runtime.\n# TYPE xephang_tasks gauge\nxephang_tasks {}",
                rt.metrics().num_alive_tasks()
            );
        }
    }
}

/// Upper bounds (seconds) of the wait-time histogram.
const WAIT_BUCKETS: [u32; 7] = [60, 300, 600, 900, 1800, 3600, 7200];

/// Today's calls, per service, and the wait-time histogram, from the day's figures.
pub fn render_day(stats: &crate::stats::DayStats, out: &mut String) {
    let _ = writeln!(
        out,
        "# HELP xephang_calls_total Tickets called today (first calls), per service.\n# TYPE xephang_calls_total counter"
    );
    for (service, acc) in &stats.services {
        let _ = writeln!(
            out,
            "xephang_calls_total{{service=\"{service}\"}} {}",
            acc.called
        );
    }
    let waits = &stats.totals.waits;
    let _ = writeln!(
        out,
        "# HELP xephang_wait_seconds Wait from issue to first call, today.\n# TYPE xephang_wait_seconds histogram"
    );
    for bound in WAIT_BUCKETS {
        let n = waits.iter().filter(|w| **w <= bound).count();
        let _ = writeln!(out, "xephang_wait_seconds_bucket{{le=\"{bound}\"}} {n}");
    }
    let sum: u64 = waits.iter().map(|w| u64::from(*w)).sum();
    let _ = writeln!(
        out,
        "xephang_wait_seconds_bucket{{le=\"+Inf\"}} {}",
        waits.len()
    );
    let _ = writeln!(out, "xephang_wait_seconds_sum {sum}");
    let _ = writeln!(out, "xephang_wait_seconds_count {}", waits.len());
}
