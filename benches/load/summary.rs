//! Each N's latency over repeated runs (`--repeat K`): the median of every figure, and the
//! median of each run's ratio to its own floor (a run and its floor share the machine's load
//! of that moment, so the per-run ratio is steadier than a ratio of medians). The issue-13
//! targets are judged on these medians.

use super::latency::{ratio, Level};
use super::Report;

/// One N over its successful runs.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub sockets: usize,
    /// Runs that completed (failed ones are listed in the runs table).
    pub runs: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    pub floor_p50_us: Option<u64>,
    pub floor_p99_us: Option<u64>,
    /// Medians of the per-run ratios daemon ÷ floor.
    pub p50_ratio: Option<f64>,
    pub p99_ratio: Option<f64>,
    pub fsync_us: Option<u64>,
    /// The daemon's CPU per call (see `Level::cpu_per_call_us`).
    pub cpu_per_call_us: Option<u64>,
    /// Each run's p99 ÷ floor, in run order (shows the spread).
    pub p99_ratios: Vec<f64>,
}

fn median_u64(mut v: Vec<u64>) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2
    })
}

fn median_f64(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The N's in the order first run, each with its medians.
pub fn summaries(r: &Report) -> Vec<Summary> {
    let mut order: Vec<usize> = Vec::new();
    for (n, _) in &r.levels {
        if !order.contains(n) {
            order.push(*n);
        }
    }
    order
        .into_iter()
        .filter_map(|n| {
            let runs: Vec<&Level> = r
                .levels
                .iter()
                .filter(|(k, _)| *k == n)
                .filter_map(|(_, l)| l.as_ref().ok())
                .collect();
            summary(n, &runs)
        })
        .collect()
}

fn summary(n: usize, runs: &[&Level]) -> Option<Summary> {
    if runs.is_empty() {
        return None;
    }
    let floors: Vec<(&Level, u64, u64)> = runs
        .iter()
        .filter_map(|l| l.floor.as_ref().map(|f| (*l, f.p50_us, f.p99_us)))
        .collect();
    let p99_ratios: Vec<f64> = floors
        .iter()
        .map(|(l, _, f99)| ratio(l.daemon.p99_us, *f99))
        .collect();
    Some(Summary {
        sockets: n,
        runs: runs.len(),
        p50_us: median_u64(runs.iter().map(|l| l.daemon.p50_us).collect())?,
        p99_us: median_u64(runs.iter().map(|l| l.daemon.p99_us).collect())?,
        floor_p50_us: median_u64(floors.iter().map(|x| x.1).collect()),
        floor_p99_us: median_u64(floors.iter().map(|x| x.2).collect()),
        p50_ratio: median_f64(
            floors
                .iter()
                .map(|(l, f50, _)| ratio(l.daemon.p50_us, *f50))
                .collect(),
        ),
        p99_ratio: median_f64(p99_ratios.clone()),
        fsync_us: median_u64(runs.iter().filter_map(|l| l.fsync_mean_us).collect()),
        cpu_per_call_us: median_u64(runs.iter().filter_map(|l| l.cpu_per_call_us).collect()),
        p99_ratios,
    })
}
