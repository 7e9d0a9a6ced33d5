//! The table the tool prints, the targets of issue 6 with met/missed and by how much, and
//! BENCHMARKS.md: the tool rewrites only what lies between its two markers, so findings
//! written by hand around them survive the next run.

use std::fmt::Write;

use super::latency::{ratio, Level};
use super::summary::{summaries, Summary};
use super::Report;

/// Issue 13: call → board p99 within this multiple of the floor (100, 1,000, 10,000 sockets).
pub const P99_OVER_FLOOR: f64 = 2.0;
/// Issue 13: call → board p50 with one socket, ms.
pub const ONE_SOCKET_P50_MS: f64 = 1.0;

pub const BEGIN: &str =
    "<!-- load:begin (written by `cargo bench --bench load -- --write BENCHMARKS.md`) -->";
pub const END: &str = "<!-- load:end -->";

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn kib(b: u64) -> String {
    format!("{:.1}", b as f64 / 1024.0)
}

fn mib(b: u64) -> String {
    format!("{:.1}", b as f64 / 1048576.0)
}

/// Bytes of daemon RSS per idle socket at a level.
pub fn per_socket(l: &Level) -> f64 {
    (l.mem_sockets.rss as f64 - l.mem_before.rss as f64) / l.sockets.max(1) as f64
}

/// One target of the issue.
pub struct Target {
    pub what: String,
    pub measured: String,
    /// None: not measured in this run.
    pub met: Option<bool>,
    pub by: String,
}

/// `value ≤ limit` (or `≥` when `at_least`), with how far from it.
fn judge(
    what: &str,
    value: Option<f64>,
    limit: f64,
    unit: &str,
    at_least: bool,
    shown: impl Fn(f64) -> String,
) -> Target {
    let Some(v) = value else {
        return Target {
            what: what.into(),
            measured: "not measured".into(),
            met: None,
            by: String::new(),
        };
    };
    let met = if at_least { v >= limit } else { v <= limit };
    let by = if at_least {
        if met {
            format!("{:.0}% above", (v / limit - 1.0) * 100.0)
        } else {
            format!(
                "short by {} {unit} ({:.2}× below)",
                shown(limit - v),
                limit / v.max(1e-9)
            )
        }
    } else if met {
        format!("{:.0}% headroom", (1.0 - v / limit) * 100.0)
    } else {
        format!(
            "over by {} {unit} ({:.2}× the target)",
            shown(v - limit),
            v / limit
        )
    };
    Target {
        what: what.into(),
        measured: format!("{} {unit}", shown(v)),
        met: Some(met),
        by,
    }
}

pub fn targets(r: &Report) -> Vec<Target> {
    let level = |n: usize| {
        r.levels
            .iter()
            .find(|(k, _)| *k == n)
            .and_then(|(_, l)| l.as_ref().ok())
    };
    let p99 = |n: usize| level(n).map(|l| l.daemon.p99_us as f64 / 1000.0);
    let fl = |n: usize| {
        level(n).and_then(|l| l.floor.as_ref().map(|f| ratio(l.daemon.p99_us, f.p99_us)))
    };
    let two = |v: f64| format!("{v:.2}");
    let zero = |v: f64| format!("{v:.0}");
    let one = |v: f64| format!("{v:.1}");
    let issues64 = r
        .issues
        .iter()
        .find(|(k, _)| *k == 64)
        .and_then(|(_, x)| x.as_ref().ok())
        .map(|x| x.per_s);
    let sock = |n: usize| level(n).map(|l| per_socket(l) / 1024.0);
    let replay = r
        .startup
        .as_ref()
        .and_then(|s| s.as_ref().ok())
        .map(|s| s.median.as_secs_f64());
    let all = summaries(r);
    let med = |n: usize| all.iter().find(|s| s.sockets == n);
    let runs = |n: usize| med(n).map_or(0, |s| s.runs);
    let mut out = Vec::new();
    for n in [100, 1000, 10000] {
        out.push(judge(
            &format!(
                "call → board p99 ≤ {P99_OVER_FLOOR}× the floor at {} sockets (median of {} runs)",
                thousands(n),
                runs(n)
            ),
            med(n).and_then(|s| s.p99_ratio),
            P99_OVER_FLOOR,
            "×",
            false,
            two,
        ));
    }
    out.push(judge(
        &format!(
            "call → board p50 with 1 socket ≤ {ONE_SOCKET_P50_MS} ms (median of {} runs)",
            runs(1)
        ),
        med(1).map(|s| s.p50_us as f64 / 1000.0),
        ONE_SOCKET_P50_MS,
        "ms",
        false,
        two,
    ));
    out.extend([
        judge(
            "call → board p99 at 1,000 sockets ≤ 5 ms",
            p99(1000),
            5.0,
            "ms",
            false,
            two,
        ),
        judge(
            "call → board p99 at 10,000 sockets ≤ 50 ms",
            p99(10000),
            50.0,
            "ms",
            false,
            two,
        ),
        judge(
            "p99 within 3× the floor at 1,000 sockets",
            fl(1000),
            3.0,
            "×",
            false,
            two,
        ),
        judge(
            "p99 within 3× the floor at 10,000 sockets",
            fl(10000),
            3.0,
            "×",
            false,
            two,
        ),
        judge(
            "≥ 5,000 durable issues/s at 64 kiosks",
            issues64,
            5000.0,
            "issues/s",
            true,
            zero,
        ),
        judge(
            "≤ 10 KiB RSS per idle socket (1,000 sockets)",
            sock(1000),
            10.0,
            "KiB",
            false,
            one,
        ),
        judge(
            "≤ 10 KiB RSS per idle socket (10,000 sockets)",
            sock(10000),
            10.0,
            "KiB",
            false,
            one,
        ),
        judge(
            "idle daemon ≤ 30 MiB",
            (r.idle.rss > 0).then(|| r.idle.rss as f64 / 1048576.0),
            30.0,
            "MiB",
            false,
            one,
        ),
        judge(
            &format!("idle daemon ≤ 30 MiB, after {} clerk logins", r.idle_logins),
            r.idle_logged_in
                .as_ref()
                .ok()
                .map(|m| m.rss as f64 / 1048576.0),
            30.0,
            "MiB",
            false,
            one,
        ),
        judge(
            "replay of 100,000 events ≤ 1 s (spawn → listening)",
            replay,
            1.0,
            "s",
            false,
            |v| format!("{v:.3}"),
        ),
    ]);
    out
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut o = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    o
}

/// Each N's medians over its runs, with the targets of issue 13 next to them.
fn medians(o: &mut String, r: &Report) {
    let all = summaries(r);
    if all.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n#### Medians per N (targets of issue 13: p99 ≤ {P99_OVER_FLOOR}× the floor at 100 sockets and more; 1-socket p50 ≤ {ONE_SOCKET_P50_MS} ms)\n"
    );
    let _ = writeln!(o, "| sockets | runs | p50 | p99 | floor p50 | floor p99 | p50 ÷ floor | p99 ÷ floor (each run) | target | mean fsync | p50 − floor p50 − fsync | daemon CPU per call |");
    let _ = writeln!(
        o,
        "|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|"
    );
    for s in &all {
        let x = |v: Option<f64>| v.map(|v| format!("{v:.1}×")).unwrap_or_else(|| "—".into());
        let each: Vec<String> = s.p99_ratios.iter().map(|v| format!("{v:.1}")).collect();
        let target = target_of(s);
        let rest = match (s.floor_p50_us, s.fsync_us) {
            (Some(f), Some(y)) => ms(s.p50_us.saturating_sub(f + y)),
            _ => "—".into(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} ({}) | {target} | {} | {rest} | {} |",
            s.sockets,
            s.runs,
            ms(s.p50_us),
            ms(s.p99_us),
            s.floor_p50_us.map(ms).unwrap_or_else(|| "—".into()),
            s.floor_p99_us.map(ms).unwrap_or_else(|| "—".into()),
            x(s.p50_ratio),
            x(s.p99_ratio),
            each.join(", "),
            s.fsync_us.map(ms).unwrap_or_else(|| "?".into()),
            s.cpu_per_call_us.map(ms).unwrap_or_else(|| "?".into()),
        );
    }
    let _ = writeln!(
        o,
        "\nThe ratios are each run's daemon figure ÷ the floor of the same run (same N, call times and frame sizes, a few seconds apart), then the median over runs. *mean fsync* is the daemon's own (`xephang_journal_fsync_seconds` sum ÷ count during the run): every call waits for one before its frames go out, and the floor has none. *p50 − floor p50 − fsync* is what is left of the p50 for HTTP, the engine, encoding and the socket writes. *daemon CPU per call* is the daemon's user + system time (all threads, `/proc/PID/stat`) during the calls ÷ calls, each call with its kiosk issue and both fanned out to every socket: the steadiest figure on a busy machine."
    );
}

/// The issue-13 target of one N, met or not.
fn target_of(s: &Summary) -> String {
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    if s.sockets == 1 {
        let p50 = s.p50_us as f64 / 1000.0;
        format!(
            "p50 ≤ {ONE_SOCKET_P50_MS} ms: {}",
            verdict(p50 <= ONE_SOCKET_P50_MS)
        )
    } else if s.sockets >= 100 {
        match s.p99_ratio {
            Some(x) => format!("p99 ≤ {P99_OVER_FLOOR}×: {}", verdict(x <= P99_OVER_FLOOR)),
            None => "no floor".into(),
        }
    } else {
        "—".into()
    }
}

/// The tables, in Markdown.
pub fn tables(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "### Call → board latency (ms; every socket × every call)\n"
    );
    let _ = writeln!(o, "| sockets | run | calls/s (achieved) | calls | pairs | missed | p50 | p99 | max | floor p50 | floor p99 | floor max | p50 ÷ floor | p99 ÷ floor | next RTT p50 | mean fsync | dropped |");
    let _ = writeln!(
        o,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut run_of: std::collections::HashMap<usize, usize> = Default::default();
    for (n, l) in &r.levels {
        let run = {
            let k = run_of.entry(*n).or_default();
            *k += 1;
            *k
        };
        match l {
            Ok(l) => {
                let (fp50, fp99, fmax, r50, r99) = match &l.floor {
                    Some(f) => (
                        ms(f.p50_us),
                        ms(f.p99_us),
                        ms(f.max_us),
                        format!("{:.1}×", ratio(l.daemon.p50_us, f.p50_us)),
                        format!("{:.1}×", ratio(l.daemon.p99_us, f.p99_us)),
                    ),
                    None => {
                        let why = l.floor_error.clone().unwrap_or_else(|| "off".into());
                        (why, "".into(), "".into(), "".into(), "".into())
                    }
                };
                let _ = writeln!(
                    o,
                    "| {n} | {run} | {} ({:.1}) | {} | {} | {} | {} | {} | {} | {fp50} | {fp99} | {fmax} | {r50} | {r99} | {} | {} | {} |",
                    l.rate, l.achieved_rate, l.daemon.calls, l.daemon.pairs, l.daemon.missed,
                    ms(l.daemon.p50_us), ms(l.daemon.p99_us), ms(l.daemon.max_us),
                    ms(l.next_rtt_p50_us),
                    l.fsync_mean_us.map(ms).unwrap_or_else(|| "?".into()),
                    l.dropped
                );
            }
            Err(e) => {
                let _ = writeln!(
                    o,
                    "| {n} | {run} | failed: {} |||||||||||||| ",
                    e.replace('|', "/").replace('\n', " ")
                );
            }
        }
    }
    if let Some(l) = r.levels.iter().find_map(|(_, l)| l.as_ref().ok()) {
        let _ = writeln!(
            o,
            "\nFrames per call on a board: {:.2} (`ticket_called` {} B, others {} B on average); the floor sends the same.",
            l.frames_per_call, l.called_size, l.other_size
        );
    }
    medians(&mut o, r);

    let _ = writeln!(o, "\n### Durable ticket issues over HTTP (fsync on)\n");
    let _ = writeln!(o, "| kiosks | issued | seconds | issues/s | fsyncs/s | issues per fsync | mean fsync ms | request p50 ms | request p99 ms | failed |");
    let _ = writeln!(o, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (k, x) in &r.issues {
        match x {
            Ok(x) => {
                let _ = writeln!(
                    o,
                    "| {k} | {} | {:.2} | {:.0} | {:.0} | {:.1} | {:.2} | {} | {} | {}{} |",
                    x.issued,
                    x.seconds,
                    x.per_s,
                    x.fsyncs_per_s,
                    x.issued as f64 / x.fsyncs.max(1) as f64,
                    x.fsync_mean_us / 1000.0,
                    ms(x.p50_us),
                    ms(x.p99_us),
                    x.failed,
                    x.first_error
                        .as_ref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                );
            }
            Err(e) => {
                let _ = writeln!(o, "| {k} | failed: {} ||||||||| ", e.replace('|', "/"));
            }
        }
    }

    let _ = writeln!(o, "\n### Daemon memory (/proc/PID/status)\n");
    let _ = writeln!(o, "| state | VmRSS MiB | VmHWM MiB | RSS per socket |");
    let _ = writeln!(o, "|---|---:|---:|---:|");
    let _ = writeln!(
        o,
        "| idle (fresh start, no sockets) | {} | {} | |",
        mib(r.idle.rss),
        mib(r.idle.hwm)
    );
    match &r.idle_logged_in {
        Ok(m) => {
            let _ = writeln!(
                o,
                "| idle after {} clerk logins (argon2 PIN checks) | {} | {} | |",
                r.idle_logins,
                mib(m.rss),
                mib(m.hwm)
            );
        }
        Err(e) => {
            let _ = writeln!(o, "| idle after clerk logins | failed: {e} | | |");
        }
    }
    let mut shown = Vec::new();
    for (n, l) in &r.levels {
        if let (Ok(l), false) = (l, shown.contains(n)) {
            shown.push(*n);
            let _ = writeln!(
                o,
                "| {n} idle sockets (before: {} MiB) | {} | {} | {} KiB |",
                mib(l.mem_before.rss),
                mib(l.mem_sockets.rss),
                mib(l.mem_sockets.hwm),
                kib(per_socket(l).max(0.0) as u64)
            );
            let _ = writeln!(
                o,
                "| after the {n}-socket run (peak) | {} | {} | |",
                mib(l.mem_after.rss),
                mib(l.mem_after.hwm)
            );
        }
    }

    if let Some(s) = &r.startup {
        let _ = writeln!(o, "\n### Start-up (replay)\n");
        match s {
            Ok(s) => {
                let _ = writeln!(o, "| journal | spawn → listening (median) | runs | daemon's own `took_ms` | events replayed | empty journal |");
                let _ = writeln!(o, "|---|---:|---|---:|---:|---:|");
                let runs: Vec<String> = s
                    .runs
                    .iter()
                    .map(|d| format!("{:.3}", d.as_secs_f64()))
                    .collect();
                let _ = writeln!(
                    o,
                    "| {} events, {} MiB | {:.3} s | {} s | {} | {} | {:.3} s |",
                    s.events,
                    mib(s.journal_bytes as u64),
                    s.median.as_secs_f64(),
                    runs.join(", "),
                    s.recovered_ms
                        .map(|m| format!("{m} ms"))
                        .unwrap_or_else(|| "?".into()),
                    s.replayed
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "?".into()),
                    s.empty.as_secs_f64()
                );
            }
            Err(e) => {
                let _ = writeln!(o, "failed: {e}");
            }
        }
    }

    let _ = writeln!(o, "\n### Targets (issues 6 and 13)\n");
    let _ = writeln!(o, "| target | measured | result |");
    let _ = writeln!(o, "|---|---:|---|");
    for t in targets(r) {
        let verdict = match t.met {
            Some(true) => format!("**met** ({})", t.by),
            Some(false) => format!("**missed** ({})", t.by),
            None => "—".into(),
        };
        let _ = writeln!(o, "| {} | {} | {verdict} |", t.what, t.measured);
    }
    o
}

/// The machine and the command, above the tables.
pub fn header(r: &Report, command: &str) -> String {
    let m = &r.machine;
    let mut o = String::new();
    let _ = writeln!(o, "Command: `{command}`\n");
    let _ = writeln!(
        o,
        "- date: {}; took {:.0} s; revision {}",
        m.date,
        r.took.as_secs_f64(),
        m.revision
    );
    let _ = writeln!(
        o,
        "- machine: {} cores ({}), {} memory, Linux {}",
        m.cores, m.cpu, m.mem_total, m.kernel
    );
    let _ = writeln!(
        o,
        "- load average (1, 5, 15 min) before: {}; after: {}",
        m.load_before, m.load_after
    );
    if !r.phases.is_empty() {
        let each: Vec<String> = r
            .phases
            .iter()
            .map(|p| {
                format!(
                    "{} {:.0}% ({:.0}%)",
                    p.name,
                    p.others * 100.0,
                    p.own * 100.0
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "- CPU taken by other processes during each phase, as a share of all cores (this tool and its daemons in brackets): {}",
            each.join("; ")
        );
    }
    let _ = writeln!(
        o,
        "- journal on {} (temp dir); open-file limit {} (daemon: {})",
        m.journal_fs,
        m.fd_limit,
        m.daemon_fd_limit
            .map(|l| l.to_string())
            .unwrap_or_else(|| "?".into())
    );
    o
}

/// Replaces the marked part of `path` (or writes a new file).
pub fn write(path: &std::path::Path, r: &Report, command: &str) -> std::io::Result<()> {
    let body = format!("{BEGIN}\n\n{}\n{}\n{END}", header(r, command), tables(r));
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) if b > a => format!("{}{body}{}", &old[..a], &old[b + END.len()..]),
        _ if old.trim().is_empty() => format!("# Benchmarks\n\n{body}\n"),
        _ => format!("{}\n\n{body}\n", old.trim_end()),
    };
    std::fs::write(path, text)
}
