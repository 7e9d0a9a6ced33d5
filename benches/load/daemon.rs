//! The daemon under test as a separate process: spawn `xephang run` on 127.0.0.1:0 with a
//! fresh data dir, wait for `xephang listening on http://ADDR`, read its memory from /proc,
//! kill it when done. The process-wide helpers (a clock comparable across processes, the
//! open-file limit, /proc figures) are in procs.rs, shared with the hub's benches.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::procs::watch_listening;
pub use super::procs::{cpu_of, fd_limit_of, mem_of, now_ns, raise_fd_limit, Mem};

/// A running `xephang run`.
pub struct Daemon {
    child: Child,
    pub addr: SocketAddr,
    pub pid: u32,
    /// From spawn to the `listening` line.
    pub started_in: Duration,
    /// The daemon's stderr (its log), kept in the temp dir.
    pub log_path: PathBuf,
    /// The data dir (journal) and log; removed on drop.
    tmp: tempfile::TempDir,
}

/// A fresh temporary directory for one daemon.
pub fn tempdir() -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("xephang-load-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))
}

impl Daemon {
    /// Starts the daemon on a fresh data dir (the embedded demo centre).
    pub fn start(bin: &Path, rust_log: &str) -> Result<Daemon, String> {
        Daemon::start_in(bin, rust_log, tempdir()?)
    }

    /// Starts the daemon on `tmp/data` (which may already hold a journal).
    pub fn start_in(bin: &Path, rust_log: &str, tmp: tempfile::TempDir) -> Result<Daemon, String> {
        Daemon::start_cfg(bin, rust_log, None, tmp)
    }

    /// Starts the daemon on `tmp/data` with `config` instead of the embedded demo centre
    /// (`--demo --config FILE`: the file keeps the demo's PINs and tokens, which the load
    /// uses; e.g. config/default.toml with an `[uplink]` section).
    pub fn start_cfg(
        bin: &Path,
        rust_log: &str,
        config: Option<&Path>,
        tmp: tempfile::TempDir,
    ) -> Result<Daemon, String> {
        let data = tmp.path().join("data");
        let log_path = tmp.path().join("daemon.log");
        let log = File::create(&log_path).map_err(|e| format!("log file: {e}"))?;
        let t0 = std::time::Instant::now();
        let mut cmd = Command::new(bin);
        cmd.arg("run");
        if let Some(config) = config {
            cmd.arg("--demo").arg("--config").arg(config);
        }
        let mut child = cmd
            .arg("--data-dir")
            .arg(&data)
            .arg("--bind")
            .arg("127.0.0.1:0")
            .env("RUST_LOG", rust_log)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", bin.display()))?;
        let pid = child.id();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let rx = watch_listening(stdout, "xephang listening on http://");
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok((Ok(addr), at)) => Ok(Daemon {
                child,
                addr,
                pid,
                started_in: at.duration_since(t0),
                log_path,
                tmp,
            }),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                Err(format!(
                    "daemon did not print its listening line ({other:?}); log tail:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ))
            }
        }
    }

    pub fn mem(&self) -> Mem {
        mem_of(self.pid)
    }

    pub fn http(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws(&self) -> String {
        format!("ws://{}/ws?token=demo-display-token-0001", self.addr)
    }

    /// A numeric field of the first log line containing `what` (e.g. "state recovered",
    /// "took_ms"), from the daemon's stderr.
    pub fn log_number(&self, what: &str, field: &str) -> Option<u64> {
        let log = std::fs::read_to_string(&self.log_path).ok()?;
        let line = strip_ansi(log.lines().find(|l| l.contains(what))?);
        let key = format!("{field}=");
        let rest = &line[line.find(&key)? + key.len()..];
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn data_dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Our own child, by its handle: SIGKILL and reap.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A log line without terminal colour codes.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The file system type of a directory (where the journal's fsyncs land).
pub fn fs_type(dir: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return "?".into();
    };
    // SAFETY: statfs fills a struct we own from a NUL-terminated path.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return "?".into();
    }
    match st.f_type as i64 {
        0xEF53 => "ext4".into(),
        0x0102_1994 => "tmpfs".into(),
        0x5846_5342 => "xfs".into(),
        0x9123_683E => "btrfs".into(),
        0x794c_7630 => "overlayfs".into(),
        other => format!("0x{other:x}"),
    }
}
