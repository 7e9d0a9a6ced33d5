//! The load tool's core, shared by the bench (`cargo bench --bench load`) and the smoke
//! test (`tests/bench_smoke.rs`). Only 127.0.0.1, every phase bounded in count and time,
//! every daemon it starts is its own child and is killed when the phase ends.
#![allow(dead_code)]

pub mod boards;
pub mod daemon;
pub mod floor;
pub mod http;
pub mod issue;
pub mod latency;
pub mod procs;
pub mod report;
pub mod sockets;
pub mod startup;
pub mod summary;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use latency::FloorMode;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `xephang` binary (release for the bench, debug for the smoke test).
    pub bin: PathBuf,
    /// Board sockets per latency level.
    pub sockets: Vec<usize>,
    /// Times each latency level is run (interleaved: every N once, then again); the
    /// targets are judged on each N's median over these runs.
    pub repeat: usize,
    /// Length of each latency run (daemon, then floor) and of each issue run.
    pub seconds: f64,
    /// Calls per second during a latency run (the kiosk issues at the same rate); None:
    /// [`default_rate`] for each N.
    pub rate: Option<f64>,
    /// Concurrent kiosks per issue run.
    pub kiosks: Vec<usize>,
    /// Most tickets per issue run (the demo ranges hold 999 live numbers per service).
    pub issue_cap: usize,
    /// Events in the start-up journal (0: skip).
    pub events: usize,
    pub startup_runs: usize,
    pub floor: FloorMode,
    /// Clerks logged in on the idle daemon before its memory is read again.
    pub idle_logins: u32,
    /// RUST_LOG of the daemon (its default is `info`: one log line per command).
    pub rust_log: String,
    /// `--config FILE`: the daemon runs this centre (`--demo --config FILE`) instead of the
    /// embedded demo — the demo centre's PINs and tokens must stay (the load logs clerks in
    /// and issues with them); e.g. config/default.toml plus an `[uplink]` section.
    pub config: Option<PathBuf>,
}

impl Options {
    pub fn full(bin: PathBuf, floor: FloorMode) -> Options {
        Options {
            bin,
            sockets: vec![1, 100, 1000, 10000],
            repeat: 1,
            seconds: 10.0,
            rate: None,
            kiosks: vec![1, 8, 64],
            issue_cap: 5400,
            events: 100_000,
            startup_runs: 3,
            floor,
            idle_logins: 8,
            rust_log: "info".into(),
            config: None,
        }
    }
}

/// 20 calls/s, but at most 20,000 socket deliveries of calls per second (2 calls/s at
/// 10,000 sockets): two cores carry both the daemon and the N clients, and beyond that
/// the run measures a queue growing for as long as the run lasts, not a latency. (A real
/// provincial centre calls about one ticket every few seconds.)
pub fn default_rate(sockets: usize) -> f64 {
    20.0f64.min(20_000.0 / sockets.max(1) as f64)
}

/// The machine the numbers come from.
#[derive(Debug, Clone, Default)]
pub struct Machine {
    pub cores: usize,
    pub mem_total: String,
    pub cpu: String,
    pub kernel: String,
    pub load_before: String,
    pub load_after: String,
    pub date: String,
    pub revision: String,
    /// File system of the temp dir where the journals (and their fsyncs) go.
    pub journal_fs: String,
    pub fd_limit: u64,
    pub daemon_fd_limit: Option<u64>,
}

fn first_line_with(path: &str, prefix: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

pub fn loadavg() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn git(args: &[&str]) -> String {
    std::process::Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

impl Machine {
    pub fn probe(fd_limit: u64) -> Machine {
        let dirty = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            mem_total: first_line_with("/proc/meminfo", "MemTotal"),
            cpu: first_line_with("/proc/cpuinfo", "model name"),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_string(),
            load_before: loadavg(),
            load_after: String::new(),
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            revision: format!(
                "{}{}",
                git(&["rev-parse", "--short", "HEAD"]),
                if dirty { " + uncommitted changes" } else { "" }
            ),
            journal_fs: daemon::fs_type(&std::env::temp_dir()),
            fd_limit,
            daemon_fd_limit: None,
        }
    }
}

/// CPU seconds: the whole machine's busy time, and this process's plus its reaped
/// children's (the daemons and floor servers it started).
#[derive(Debug, Clone, Copy)]
struct CpuMark {
    busy: f64,
    own: f64,
    at: Instant,
}

fn rusage_secs(who: i32) -> f64 {
    // SAFETY: getrusage fills a struct we own.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut u) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

impl CpuMark {
    fn now() -> CpuMark {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let f: Vec<f64> = stat
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let idle = f.get(3).copied().unwrap_or(0.0) + f.get(4).copied().unwrap_or(0.0);
        let total: f64 = f.iter().take(8).sum();
        CpuMark {
            busy: (total - idle) / hz,
            own: rusage_secs(libc::RUSAGE_SELF) + rusage_secs(libc::RUSAGE_CHILDREN),
            at: Instant::now(),
        }
    }
}

/// A phase of the run and how much of the machine other work took meanwhile.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    /// Share of all cores busy with processes other than this tool and its children.
    pub others: f64,
    /// Share of all cores this tool and its children used.
    pub own: f64,
}

#[derive(Default)]
struct Phases {
    current: Option<(String, CpuMark)>,
    done: Vec<Phase>,
}

impl Phases {
    fn begin(&mut self, name: String) {
        self.end();
        self.current = Some((name, CpuMark::now()));
    }

    fn end(&mut self) {
        if let Some((name, a)) = self.current.take() {
            let b = CpuMark::now();
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
            let wall = b.at.duration_since(a.at).as_secs_f64().max(1e-3) * cores;
            let own = (b.own - a.own).max(0.0);
            let others = (b.busy - a.busy - own).max(0.0);
            self.done.push(Phase {
                name,
                others: (others / wall).min(1.0),
                own: (own / wall).min(1.0),
            });
        }
    }
}

/// Everything measured.
#[derive(Debug)]
pub struct Report {
    pub machine: Machine,
    pub idle: daemon::Mem,
    /// The same daemon after `idle_logins` clerk logins (still no sockets, no tickets).
    pub idle_logged_in: Result<daemon::Mem, String>,
    pub idle_logins: u32,
    /// How busy the machine was with other work during each phase.
    pub phases: Vec<Phase>,
    /// Every latency run, in the order run (`repeat` rounds over `sockets`).
    pub levels: Vec<(usize, Result<latency::Level, String>)>,
    pub issues: Vec<(usize, Result<issue::IssueRun, String>)>,
    pub startup: Option<Result<startup::Startup, String>>,
    pub took: Duration,
}

fn note(what: &str) {
    eprintln!("[load] {what}");
}

/// Runs every measurement in `opts`, printing progress on stderr.
pub fn run(opts: &Options) -> Report {
    let started = Instant::now();
    let fd_limit = daemon::raise_fd_limit();
    let mut report = Report {
        machine: Machine::probe(fd_limit),
        idle: daemon::Mem::default(),
        idle_logged_in: Err("not measured".into()),
        idle_logins: 0,
        phases: Vec::new(),
        levels: Vec::new(),
        issues: Vec::new(),
        startup: None,
        took: Duration::ZERO,
    };
    let mut phases = Phases::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    note(&format!(
        "binary {}; open-file limit {fd_limit}; load {}",
        opts.bin.display(),
        report.machine.load_before
    ));

    let idle = daemon::tempdir().and_then(|tmp| {
        daemon::Daemon::start_cfg(&opts.bin, &opts.rust_log, opts.config.as_deref(), tmp)
    });
    match idle {
        Ok(d) => {
            std::thread::sleep(Duration::from_millis(1000));
            report.idle = d.mem();
            report.machine.daemon_fd_limit = daemon::fd_limit_of(d.pid);
            note(&format!(
                "idle daemon: VmRSS {} KiB, VmHWM {} KiB; its open-file limit {:?}",
                report.idle.rss / 1024,
                report.idle.hwm / 1024,
                report.machine.daemon_fd_limit
            ));
            // A centre's idle daemon has its clerks logged in: each login checks an
            // argon2 PIN hash (19 MiB of work memory in the demo's parameters).
            let api = http::Api::new(&d.http());
            let logins = rt.block_on(async {
                for c in 1..=opts.idle_logins {
                    api.login(c).await?;
                }
                Ok::<(), String>(())
            });
            std::thread::sleep(Duration::from_millis(500));
            report.idle_logged_in = logins.map(|()| d.mem());
            report.idle_logins = opts.idle_logins;
            note(&format!(
                "after {} clerk logins: {:?}",
                opts.idle_logins, report.idle_logged_in
            ));
        }
        Err(e) => note(&format!("idle daemon: {e}")),
    }

    let rounds = opts.repeat.max(1);
    for (round, &n) in (1..=rounds).flat_map(|r| opts.sockets.iter().map(move |n| (r, n))) {
        let need = n as u64 + 256;
        let daemon_limit = report.machine.daemon_fd_limit.unwrap_or(fd_limit);
        let result = if need > fd_limit || need > daemon_limit {
            Err(format!(
                "{n} sockets need about {need} open files; the limit is {fd_limit} here and {daemon_limit} in the daemon"
            ))
        } else {
            let rate = opts.rate.unwrap_or_else(|| default_rate(n));
            phases.begin(if rounds > 1 {
                format!("{n} sockets (run {round})")
            } else {
                format!("{n} sockets")
            });
            note(&format!(
                "latency (run {round} of {rounds}): {n} sockets, {rate} calls/s for {} s, then the floor; load {}",
                opts.seconds,
                loadavg()
            ));
            let setup = latency::Setup {
                config: opts.config.clone(),
                ..Default::default()
            };
            rt.block_on(latency::level_with(
                &opts.bin,
                &opts.rust_log,
                setup,
                n,
                rate,
                opts.seconds,
                &opts.floor,
            ))
        };
        match &result {
            Ok(l) => note(&format!(
                "  daemon p50 {} µs p99 {} µs max {} µs (missed {}); floor (p50, p99, max, missed) {:?}; p99 ÷ floor {}; mean fsync {:?} µs; daemon CPU per call {:?} µs",
                l.daemon.p50_us,
                l.daemon.p99_us,
                l.daemon.max_us,
                l.daemon.missed,
                l.floor
                    .as_ref()
                    .map(|f| (f.p50_us, f.p99_us, f.max_us, f.missed)),
                l.floor
                    .as_ref()
                    .map(|f| format!("{:.2}×", latency::ratio(l.daemon.p99_us, f.p99_us)))
                    .unwrap_or_else(|| "—".into()),
                l.fsync_mean_us,
                l.cpu_per_call_us
            )),
            Err(e) => note(&format!("  failed: {e}")),
        }
        report.levels.push((n, result));
    }

    for &k in &opts.kiosks {
        phases.begin(format!("{k} kiosks"));
        note(&format!(
            "issues: {k} kiosks for {} s (at most {} tickets)",
            opts.seconds, opts.issue_cap
        ));
        let result = rt.block_on(issue::run(
            &opts.bin,
            &opts.rust_log,
            opts.config.as_deref(),
            k,
            opts.seconds,
            opts.issue_cap,
        ));
        match &result {
            Ok(r) => note(&format!(
                "  {:.0} issues/s, {:.0} fsyncs/s ({} issued, {} failed)",
                r.per_s, r.fsyncs_per_s, r.issued, r.failed
            )),
            Err(e) => note(&format!("  failed: {e}")),
        }
        report.issues.push((k, result));
    }

    if opts.events > 0 {
        phases.begin("start-up".into());
        note(&format!(
            "start-up with a journal of {} events",
            opts.events
        ));
        let result = startup::measure(&opts.bin, &opts.rust_log, opts.events, opts.startup_runs);
        if let Ok(s) = &result {
            note(&format!(
                "  {:?} (runs {:?}; empty journal {:?})",
                s.median, s.runs, s.empty
            ));
        }
        report.startup = Some(result);
    }
    phases.end();
    report.phases = phases.done;
    rt.shutdown_timeout(Duration::from_secs(2));
    report.machine.load_after = loadavg();
    report.took = started.elapsed();
    report
}
