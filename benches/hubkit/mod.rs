//! Shared by the province hub's benches (`hub`, `hub_phones`, `hub_lobby`): a provincial day
//! made by the real domain and pushed in the uplink's wire format, a database of its own in
//! the throwaway cluster of tests/pg.sh, the release `xephang hub` as a child process that is
//! killed when dropped (also when the bench panics), and the process figures they print.
#![allow(dead_code)]

pub mod day;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[allow(unused_imports)]
pub use day::{day_of, push_all, push_bodies, Generated};

pub fn env_num(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `XEPHANG_DATABASE_URL`, or a message saying how to get one.
pub fn database_url(bench: &str) -> Option<String> {
    match std::env::var("XEPHANG_DATABASE_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            eprintln!(
                "{bench}: set XEPHANG_DATABASE_URL (`. tests/pg.sh && pg_up` starts a throwaway PostgreSQL)"
            );
            None
        }
    }
}

/// The machine's load average now (the 1, 5 and 15 minutes figures of `uptime`).
pub fn loadavg() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Raises this process's soft open-file limit to its hard limit (children inherit it);
/// returns the soft limit in force.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain getrlimit/setrlimit on a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                lim = want;
            }
        }
    }
    lim.rlim_cur
}

/// The soft "Max open files" of a running process.
pub fn fd_limit_of(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// (VmRSS, VmHWM) of a process in MiB.
pub fn mem_mib(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    f.iter().sum::<f64>() / hz
}

/// CLOCK_MONOTONIC in nanoseconds (comparable across the processes of the machine).
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// p-th percentile of a sorted list (0 when empty).
pub fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// A database of its own in the cluster of `base`, dropped by [`TempDb::drop_db`].
pub struct TempDb {
    admin: tokio_postgres::Client,
    name: String,
    pub url: String,
}

pub async fn client_for(url: &str) -> Result<tokio_postgres::Client, String> {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("connect to PostgreSQL: {e}"))?;
    tokio::spawn(conn);
    Ok(c)
}

impl TempDb {
    pub async fn create(base: &str, prefix: &str) -> Result<TempDb, String> {
        let admin = client_for(base).await?;
        let name = format!("{prefix}_{}", std::process::id());
        let _ = admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| format!("create database: {e}"))?;
        let prefix = base.rsplit_once('/').ok_or("URL without a database")?.0;
        let url = format!("{prefix}/{name}");
        Ok(TempDb { admin, name, url })
    }

    /// Drops the database (the hubs using it must be stopped first).
    pub async fn drop_db(self) {
        let _ = self
            .admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

/// A hub config with `centres` generated centres (`c000`… with token
/// `bench-token-centre-00000`…) and whatever `extra` adds (a real lobby's centre).
pub fn hub_toml(centres: usize, extra: &str) -> String {
    let mut toml = String::from("[hub]\nname = \"Bench\"\n");
    for c in 0..centres {
        toml.push_str(&format!(
            "[[centres]]\nid = \"c{c:03}\"\nname = \"Trung tâm {c}\"\ntoken = \"{}\"\n",
            centre_token(c)
        ));
    }
    toml.push_str(extra);
    toml
}

pub fn centre_token(c: usize) -> String {
    format!("bench-token-centre-{c:05}")
}

/// A running release `xephang hub`, killed (SIGKILL) and reaped when dropped.
pub struct HubProc {
    child: Child,
    pub addr: SocketAddr,
    pub pid: u32,
}

impl HubProc {
    /// Starts the hub on `bind` and waits (at most `wait`) for its listening line, which it
    /// prints once every centre's read model is rebuilt.
    pub fn start(cfg: &Path, db: &str, bind: &str, wait: Duration) -> Result<HubProc, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xephang"))
            .env("XEPHANG_DATABASE_URL", db)
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .args(["hub", "--config"])
            .arg(cfg)
            .args(["--bind", bind])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn the hub: {e}"))?;
        let pid = child.id();
        let out = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(a) = line.trim().strip_prefix("xephang hub listening on http://") {
                    if let Some(t) = tx.take() {
                        let _ = t.send(a.trim().parse::<SocketAddr>());
                    }
                }
                // Keep draining so the hub never blocks on a full pipe.
            }
        });
        match rx.recv_timeout(wait) {
            Ok(Ok(addr)) => Ok(HubProc { child, addr, pid }),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("the hub did not start: {other:?}"))
            }
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn mem_mib(&self) -> (u64, u64) {
        mem_mib(self.pid)
    }
}

impl Drop for HubProc {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 nobody listens on right now (connections to it are refused).
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The `seq` of a centre at the hub (0 when unknown or unreachable).
pub async fn hub_seq(http: &reqwest::Client, hub: &str, centre: &str) -> u64 {
    let r = http
        .get(format!("{hub}/api/v1/centres/{centre}/state"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    match r {
        Ok(r) if r.status().is_success() => r
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["seq"].as_u64())
            .unwrap_or(0),
        _ => 0,
    }
}
