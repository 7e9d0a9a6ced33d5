//! The real daemon as a child process: start, kill -9, restart on the same port.

use super::*;

// ---------------------------------------------------------------------------------------
// The daemon process
// ---------------------------------------------------------------------------------------

pub const LOG_LINES: usize = 400;
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `xephang run` on 127.0.0.1 with its own temporary data directory.
pub struct Daemon {
    child: Option<Child>,
    addr: SocketAddr,
    config: PathBuf,
    data_dir: PathBuf,
    log: Arc<Mutex<VecDeque<String>>>,
    /// Extra environment variables of the daemon (kept for restarts).
    envs: Vec<(String, String)>,
    /// Holds the data dir (and the config file when it was written here); removed on drop.
    tmp: tempfile::TempDir,
}

impl Daemon {
    /// The embedded demo centre's file, config/default.toml.
    pub fn start_default() -> Daemon {
        let tmp = tempdir();
        Daemon::start_in(tmp, default_config())
    }

    /// A centre written by the test; the file goes into the daemon's temp dir.
    pub fn start_with(toml_text: &str) -> Daemon {
        let tmp = tempdir();
        let cfg = tmp.path().join("centre.toml");
        std::fs::write(&cfg, toml_text).expect("write config");
        Daemon::start_in(tmp, cfg)
    }

    /// A centre written by the test, with extra environment variables (e.g. test hooks).
    pub fn start_with_env(toml_text: &str, envs: &[(&str, &str)]) -> Daemon {
        let tmp = tempdir();
        let cfg = tmp.path().join("centre.toml");
        std::fs::write(&cfg, toml_text).expect("write config");
        let envs = envs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Daemon::start_in_env(tmp, cfg, envs)
    }

    /// The temporary directory holding the data dir (for test hooks' files).
    pub fn tmp_dir(&self) -> &Path {
        self.tmp.path()
    }

    /// Sets (or replaces) an environment variable for the next restart (e.g. the test clock
    /// `XEPHANG_TEST_CLOCK_OFFSET_S`).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.envs.retain(|(k, _)| k != key);
        self.envs.push((key.to_string(), value.to_string()));
    }

    fn start_in(tmp: tempfile::TempDir, config: PathBuf) -> Daemon {
        Daemon::start_in_env(tmp, config, Vec::new())
    }

    fn start_in_env(
        tmp: tempfile::TempDir,
        config: PathBuf,
        envs: Vec<(String, String)>,
    ) -> Daemon {
        let data_dir = tmp.path().join("data");
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (child, addr) = spawn_daemon(&config, &data_dir, "127.0.0.1:0", &log, &envs)
            .unwrap_or_else(|e| panic!("daemon did not start: {e}"));
        Daemon {
            child: Some(child),
            addr,
            config,
            data_dir,
            log,
            envs,
            tmp,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn config_path(&self) -> &Path {
        &self.config
    }

    pub fn api(&self) -> Api {
        Api::new(&self.base_url())
    }

    /// SIGKILL (`Child::kill` sends SIGKILL on Unix) and reap.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The daemon's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// SIGTERM, wait until the daemon has stopped by itself (graceful shutdown), then start
    /// again on the same data dir and port.
    pub fn restart_gracefully(&mut self) {
        if let Some(mut child) = self.child.take() {
            let sent = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill -TERM");
            assert!(sent.success(), "kill -TERM failed");
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().expect("wait").is_none() {
                assert!(Instant::now() < deadline, "no stop within 10 s of SIGTERM");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.restart();
    }

    /// Kill -9 (if still running) and start again on the same data dir and the same port.
    pub fn restart(&mut self) {
        self.kill9();
        let bind = format!("127.0.0.1:{}", self.addr.port());
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            match spawn_daemon(&self.config, &self.data_dir, &bind, &self.log, &self.envs) {
                Ok((child, addr)) => {
                    assert_eq!(addr.port(), self.addr.port(), "restart must keep the port");
                    self.child = Some(child);
                    return;
                }
                Err(e) if Instant::now() < deadline => {
                    eprintln!("restart: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("daemon did not restart: {e}"),
            }
        }
    }

    /// Kill -9 and try once to start again on the same data dir and port; on failure returns
    /// what the daemon printed (it is then not running).
    pub fn try_restart(&mut self) -> Result<(), String> {
        self.kill9();
        let bind = format!("127.0.0.1:{}", self.addr.port());
        let (child, _) = spawn_daemon(&self.config, &self.data_dir, &bind, &self.log, &self.envs)?;
        self.child = Some(child);
        Ok(())
    }

    /// The last lines the daemon printed (stdout and stderr), for failure messages.
    pub fn log_tail(&self) -> String {
        let log = self.log.lock().unwrap();
        log.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Waits (5 s at most) until the daemon has printed `needle`. Its log leaves through a
    /// background thread, so a line can trail the HTTP answer by a moment: wait for it before
    /// a `kill -9` that would drop what is still queued.
    pub fn wait_log(&self, needle: &str) {
        let end = Instant::now() + Duration::from_secs(5);
        while !self.log_tail().contains(needle) {
            assert!(
                Instant::now() < end,
                "no {needle:?} in: {}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            eprintln!(
                "---- xephang output (last {LOG_LINES} lines) ----\n{}\n----",
                self.log_tail()
            );
        }
    }
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("xephang-test-")
        .tempdir()
        .expect("tempdir")
}

pub fn push_log(log: &Mutex<VecDeque<String>>, line: String) {
    let mut l = log.lock().unwrap();
    if l.len() >= LOG_LINES {
        l.pop_front();
    }
    l.push_back(line);
}

/// Spawns `xephang run` and waits for `xephang listening on http://ADDR` on its stdout.
/// Both pipes are drained by background threads for the life of the process.
pub fn spawn_daemon(
    config: &Path,
    data_dir: &Path,
    bind: &str,
    log: &Arc<Mutex<VecDeque<String>>>,
    envs: &[(String, String)],
) -> Result<(Child, SocketAddr), String> {
    spawn_daemon_with_args(config, data_dir, bind, log, envs, &[])
}

/// [`spawn_daemon`] with extra arguments of `xephang run` (e.g. `--displays DIR`).
pub fn spawn_daemon_with_args(
    config: &Path,
    data_dir: &Path,
    bind: &str,
    log: &Arc<Mutex<VecDeque<String>>>,
    envs: &[(String, String)],
    extra: &[&std::ffi::OsStr],
) -> Result<(Child, SocketAddr), String> {
    let mut child = Command::new(bin())
        .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .arg("run")
        // The test centres reuse the demo's public PINs and tokens (refused without it).
        .arg("--demo")
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--bind")
        .arg(bind)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", bin()))?;

    let (tx, rx) = mpsc::channel::<SocketAddr>();
    let stdout = child.stdout.take().unwrap();
    let out_log = log.clone();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // `https://` when the config has `[server] tls_cert` (tests/tls.rs).
            let line_t = line.trim();
            let rest = line_t
                .strip_prefix("xephang listening on http://")
                .or_else(|| line_t.strip_prefix("xephang listening on https://"));
            if let Some(rest) = rest {
                if let (Some(t), Ok(addr)) = (tx.as_ref(), rest.trim().parse::<SocketAddr>()) {
                    let _ = t.send(addr);
                    tx = None;
                }
            }
            push_log(&out_log, format!("[out] {line}"));
        }
    });
    let stderr = child.stderr.take().unwrap();
    let err_log = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            push_log(&err_log, format!("[err] {line}"));
        }
    });

    match rx.recv_timeout(START_TIMEOUT) {
        Ok(addr) => Ok((child, addr)),
        Err(e) => {
            let _ = child.kill();
            let status = child.wait();
            // Give the drain threads a moment to collect the last words.
            std::thread::sleep(Duration::from_millis(50));
            let tail = log.lock().unwrap().iter().cloned().collect::<Vec<_>>();
            let tail = tail[tail.len().saturating_sub(30)..].join("\n");
            Err(format!(
                "no `xephang listening on` line ({e}); exit {status:?}; output:\n{tail}"
            ))
        }
    }
}
