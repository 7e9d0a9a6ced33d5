//! Shared by the province hub's benches (`hub`, `hub_phones`, `hub_lobby`): a provincial day
//! made by the real domain and pushed in the uplink's wire format, a database of its own in
//! the throwaway cluster of tests/pg.sh, the release `xephang hub` as a child process that is
//! killed when dropped (also when the bench panics), and the process figures they print.
#![allow(dead_code)]

pub mod cli;
pub mod day;
pub mod nice;
pub mod sink;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[allow(unused_imports)]
pub use day::{day_of, push_all, push_bodies, Generated};
// The process figures are the load tool's (every bench using this kit includes
// benches/load as `mod load` at its root).
#[allow(unused_imports)]
pub use crate::load::procs::*;

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

/// (VmRSS, VmHWM) of a process in MiB.
pub fn mem_mib(pid: u32) -> (u64, u64) {
    let m = mem_of(pid);
    (m.rss >> 20, m.hwm >> 20)
}

/// CPU seconds (user + system) a process has used so far (0 when it cannot be read).
pub fn cpu_secs(pid: u32) -> f64 {
    cpu_of(pid).unwrap_or(0.0)
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
        HubProc::start_at(cfg, db, bind, wait, None)
    }

    /// [`HubProc::start`] at [`nice::REMOTE`] (the lowest CPU priority): the hub standing in
    /// for another machine next to a lobby under measure.
    pub fn start_remote(
        cfg: &Path,
        db: &str,
        bind: &str,
        wait: Duration,
    ) -> Result<HubProc, String> {
        HubProc::start_at(cfg, db, bind, wait, Some(nice::REMOTE))
    }

    fn start_at(
        cfg: &Path,
        db: &str,
        bind: &str,
        wait: Duration,
        priority: Option<Priority>,
    ) -> Result<HubProc, String> {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xephang"));
        if let Some(p) = priority {
            // SAFETY: between fork and exec only plain system calls run (no allocation, no
            // lock); the threads the hub starts after exec inherit the policy and nice value.
            unsafe {
                cmd.pre_exec(move || p.apply_to_thread(0));
            }
        }
        let mut child = cmd
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
        let rx = watch_listening(out, "xephang hub listening on http://");
        match rx.recv_timeout(wait) {
            Ok((Ok(addr), _)) => Ok(HubProc { child, addr, pid }),
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

/// The token of the one real lobby daemon a bench runs (centre `lobby` at the hub).
pub const LOBBY_TOKEN: &str = "bench-token-real-lobby-0001";

/// The hub config's entry for that lobby (the `extra` of [`hub_toml`]).
pub fn lobby_centre_toml() -> String {
    format!("[[centres]]\nid = \"lobby\"\nname = \"Trung tâm thật\"\ntoken = \"{LOBBY_TOKEN}\"\n")
}

/// Writes `dir/lobby.toml`: the demo centre (config/default.toml, whose PINs and tokens the
/// load tool uses) with an `[uplink]` to `hub_url` as centre `lobby`.
pub fn lobby_config(dir: &Path, hub_url: &str) -> Result<std::path::PathBuf, String> {
    let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml"))
        .map_err(|e| format!("config/default.toml: {e}"))?;
    let path = dir.join("lobby.toml");
    std::fs::write(
        &path,
        format!("{base}\n[uplink]\nurl = \"{hub_url}\"\ncentre = \"lobby\"\ntoken = \"{LOBBY_TOKEN}\"\n"),
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// The lobby daemon's committed seq (its `/healthz`).
pub async fn lobby_seq(http: &reqwest::Client, lobby: &str) -> Result<u64, String> {
    let v: serde_json::Value = http
        .get(format!("{lobby}/healthz"))
        .send()
        .await
        .map_err(|e| format!("lobby state: {e}"))?
        .json()
        .await
        .map_err(|e| format!("lobby state: {e}"))?;
    v["seq"]
        .as_u64()
        .ok_or_else(|| format!("lobby healthz without seq: {v}"))
}
