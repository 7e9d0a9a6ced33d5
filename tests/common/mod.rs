//! Shared harness of the integration tests: starts the real `xephang` binary on 127.0.0.1,
//! talks to it over HTTP (reqwest) and WebSocket (tokio-tungstenite), and writes test
//! configurations. Everything here follows docs/API.md, never the daemon's source.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

// ---------------------------------------------------------------------------------------
// Demo credentials (config/default.toml; the custom configs below reuse them)
// ---------------------------------------------------------------------------------------

pub const DISPLAY: &str = "demo-display-token-0001";
pub const KIOSK: &str = "demo-kiosk-token-00001";
pub const SUPERVISOR: &str = "demo-supervisor-token-01";
pub const PIN: &str = "1234";
pub const SUPERVISOR_STAFF: &str = "gs01";
pub const SUPERVISOR_PIN: &str = "9999";

/// The rating-device token of counter `n` (1..8).
pub fn rating_token(counter: u32) -> String {
    format!("demo-rating-token-000{counter}")
}

/// The demo staff member usually sitting at counter `n` (nv01..nv08).
pub fn staff_for(counter: u32) -> String {
    format!("nv{counter:02}")
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_xephang")
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn default_config() -> PathBuf {
    manifest_dir().join("config/default.toml")
}

// ---------------------------------------------------------------------------------------
// The daemon process
// ---------------------------------------------------------------------------------------

const LOG_LINES: usize = 400;
const START_TIMEOUT: Duration = Duration::from_secs(20);

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

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
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

fn push_log(log: &Mutex<VecDeque<String>>, line: String) {
    let mut l = log.lock().unwrap();
    if l.len() >= LOG_LINES {
        l.pop_front();
    }
    l.push_back(line);
}

/// Spawns `xephang run` and waits for `xephang listening on http://ADDR` on its stdout.
/// Both pipes are drained by background threads for the life of the process.
fn spawn_daemon(
    config: &Path,
    data_dir: &Path,
    bind: &str,
    log: &Arc<Mutex<VecDeque<String>>>,
    envs: &[(String, String)],
) -> Result<(Child, SocketAddr), String> {
    let mut child = Command::new(bin())
        .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .arg("run")
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--bind")
        .arg(bind)
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
            if let Some(rest) = line.trim().strip_prefix("xephang listening on http://") {
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

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

/// A response: status, raw text and the parsed JSON body (Null when not JSON).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub text: String,
    pub body: Value,
}

impl Resp {
    /// `error.code` of an error body, "" when absent.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    /// Panics unless the status is `status`; returns the body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        &self.body
    }

    /// Panics unless this is the error `code` with HTTP `status` and a non-empty message.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "expected {status} {code}; body: {}",
            self.text
        );
        assert!(
            !self.message().trim().is_empty(),
            "error {code} without a message: {}",
            self.text
        );
    }
}

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

pub enum Body<'a> {
    None,
    Json(Value),
    /// Sent as-is with `Content-Type: application/json`.
    Raw(&'a str),
}

impl Api {
    pub fn new(base: &str) -> Api {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("reqwest client");
        Api {
            base: base.to_string(),
            http,
        }
    }

    /// A request that may fail at the transport level (used while the daemon gets killed).
    pub async fn try_request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Body<'_>,
        headers: &[(&str, &str)],
    ) -> Result<Resp, reqwest::Error> {
        let mut rb = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        rb = match body {
            Body::None => rb,
            Body::Json(v) => rb.json(&v),
            Body::Raw(s) => rb
                .header("content-type", "application/json")
                .body(s.to_string()),
        };
        let r = rb.send().await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Resp { status, text, body })
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Body<'_>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let m = method.clone();
        self.try_request(method, path, token, body, headers)
            .await
            .unwrap_or_else(|e| panic!("{m} {path}: transport error {e}"))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(reqwest::Method::GET, path, token, Body::None, &[])
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(reqwest::Method::POST, path, token, Body::Json(body), &[])
            .await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(reqwest::Method::POST, path, token, Body::None, &[])
            .await
    }

    pub async fn post_raw(&self, path: &str, token: Option<&str>, raw: &str) -> Resp {
        self.request(reqwest::Method::POST, path, token, Body::Raw(raw), &[])
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(reqwest::Method::PUT, path, token, Body::Json(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(reqwest::Method::DELETE, path, token, Body::None, &[])
            .await
    }

    // ---- domain helpers ---------------------------------------------------------------

    /// Issues a normal ticket from the kiosk; panics unless 201.
    pub async fn issue(&self, service: &str) -> Value {
        self.issue_with(service, None).await
    }

    pub async fn issue_with(&self, service: &str, priority: Option<&str>) -> Value {
        let mut body = json!({ "service": service });
        if let Some(p) = priority {
            body["priority"] = json!(p);
        }
        let r = self.post("/api/v1/tickets", Some(KIOSK), body).await;
        assert_eq!(r.status, 201, "issue {service}: {}", r.text);
        assert_ticket_shape(&r.body);
        r.body
    }

    pub async fn login(&self, staff: &str, pin: &str, counter: u32) -> String {
        let r = self
            .post(
                "/api/v1/login",
                None,
                json!({ "staff": staff, "pin": pin, "counter": counter }),
            )
            .await;
        assert_eq!(r.status, 200, "login {staff}@{counter}: {}", r.text);
        assert_eq!(r.body["counter"], json!(counter), "login body: {}", r.text);
        r.body["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login without token: {}", r.text))
            .to_string()
    }

    /// Logs the usual demo clerk (nvNN, PIN 1234) into counter `n`.
    pub async fn clerk(&self, counter: u32) -> String {
        self.login(&staff_for(counter), PIN, counter).await
    }

    pub async fn counter_op(&self, counter: u32, op: &str, token: &str) -> Resp {
        self.post_empty(&format!("/api/v1/counters/{counter}/{op}"), Some(token))
            .await
    }

    pub async fn next(&self, counter: u32, token: &str) -> Resp {
        self.counter_op(counter, "next", token).await
    }

    pub async fn set_status(&self, counter: u32, token: &str, status: &str) -> Resp {
        self.post(
            &format!("/api/v1/counters/{counter}/status"),
            Some(token),
            json!({ "status": status }),
        )
        .await
    }

    pub async fn transfer(&self, counter: u32, token: &str, service: &str) -> Resp {
        self.post(
            &format!("/api/v1/counters/{counter}/transfer"),
            Some(token),
            json!({ "service": service }),
        )
        .await
    }

    pub async fn ticket(&self, id: &str) -> Resp {
        self.get(&format!("/api/v1/tickets/{id}"), None).await
    }

    /// `GET /api/v1/state` with the given token; panics unless 200.
    pub async fn state(&self, token: Option<&str>) -> Value {
        let r = self.get("/api/v1/state", token).await;
        assert_eq!(r.status, 200, "state: {}", r.text);
        r.body
    }

    /// The supervisor's snapshot without the volatile `now`.
    pub async fn state_sans_now(&self) -> Value {
        let mut s = self.state(Some(SUPERVISOR)).await;
        if let Some(o) = s.as_object_mut() {
            o.remove("now");
        }
        s
    }

    pub async fn seq(&self) -> u64 {
        let r = self.get("/healthz", None).await;
        assert_eq!(r.status, 200, "healthz: {}", r.text);
        assert_eq!(r.body["status"], "ok", "healthz: {}", r.text);
        r.body["seq"].as_u64().expect("healthz seq")
    }

    /// A free appointment slot of `service` starting in the future, searching from today on.
    pub async fn free_slot(&self, service: &str, days: u32) -> Option<Value> {
        let today = self.state(None).await["day"]
            .as_str()
            .expect("snapshot day")
            .to_string();
        for d in 0..days {
            let day = add_days(&today, d);
            let r = self
                .get(&format!("/api/v1/slots?service={service}&day={day}"), None)
                .await;
            if r.status != 200 {
                continue;
            }
            for slot in r.body.as_array().cloned().unwrap_or_default() {
                if slot["free"].as_u64().unwrap_or(0) > 0 && slot_in_future(&slot) {
                    return Some(slot);
                }
            }
        }
        None
    }
}

/// Checks the contract's ticket fields are there.
#[track_caller]
pub fn assert_ticket_shape(t: &Value) {
    for k in [
        "id",
        "number",
        "service",
        "priority",
        "status",
        "issued_at",
        "called_at",
        "finished_at",
        "counter",
        "recalls",
    ] {
        assert!(t.get(k).is_some(), "ticket lacks `{k}`: {t}");
    }
    assert!(t["id"].as_str().is_some_and(|s| !s.is_empty()), "{t}");
    assert!(t["number"].as_str().is_some_and(|s| !s.is_empty()), "{t}");
}

pub fn id_of(t: &Value) -> String {
    t["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {t}"))
        .to_string()
}

pub fn number_of(t: &Value) -> String {
    t["number"]
        .as_str()
        .unwrap_or_else(|| panic!("no number in {t}"))
        .to_string()
}

/// The integer part of a ticket number ("A005" → 5, "1005" → 1005).
pub fn numeric(number: &str) -> u64 {
    let digits: String = number.chars().filter(|c| c.is_ascii_digit()).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("number without digits: {number}"))
}

/// The snapshot's entry for `service`.
pub fn service_entry<'a>(state: &'a Value, service: &str) -> &'a Value {
    state["services"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["id"] == service))
        .unwrap_or_else(|| panic!("service {service} not in snapshot"))
}

/// The snapshot's entry for counter `n`.
pub fn counter_entry(state: &Value, counter: u32) -> &Value {
    state["counters"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == counter))
        .unwrap_or_else(|| panic!("counter {counter} not in snapshot"))
}

pub fn waiting_count(state: &Value, service: &str) -> u64 {
    service_entry(state, service)["waiting"]
        .as_u64()
        .unwrap_or_else(|| panic!("waiting of {service} in {state}"))
}

// ---- calendar helpers (no chrono in dev-dependencies; the daemon's day is given) ------

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// "YYYY-MM-DD" plus `n` days.
pub fn add_days(day: &str, n: u32) -> String {
    let p: Vec<i64> = day.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = civil_from_days(days_from_civil(p[0], p[1], p[2]) + n as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Seconds since the Unix epoch of an RFC 3339 time with offset ("2026-11-22T08:00:00+07:00").
pub fn rfc3339_epoch(s: &str) -> i64 {
    let (date, rest) = s.split_at(10);
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let rest = &rest[1..];
    let hh: i64 = rest[0..2].parse().unwrap();
    let mm: i64 = rest[3..5].parse().unwrap();
    let ss: i64 = rest[6..8].parse().unwrap();
    let tz = &rest[8..];
    // skip fractional seconds
    let tz = tz.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let off = if tz == "Z" || tz.is_empty() {
        0
    } else {
        let sign = if tz.starts_with('-') { -1 } else { 1 };
        let oh: i64 = tz[1..3].parse().unwrap();
        let om: i64 = tz[4..6].parse().unwrap();
        sign * (oh * 3600 + om * 60)
    };
    days_from_civil(p[0], p[1], p[2]) * 86400 + hh * 3600 + mm * 60 + ss - off
}

pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn slot_in_future(slot: &Value) -> bool {
    slot["start"]
        .as_str()
        .is_some_and(|s| rfc3339_epoch(s) > now_epoch() + 5)
}

/// A small xorshift PRNG seeded from the clock (no `rand` in dev-dependencies).
pub struct Rng(u64);

impl Rng {
    pub fn from_clock() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Rng(nanos | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

// ---------------------------------------------------------------------------------------
// WebSocket
// ---------------------------------------------------------------------------------------

pub type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One text frame: the raw text as received and its JSON.
#[derive(Debug, Clone)]
pub struct Frame {
    pub raw: String,
    pub json: Value,
}

impl Frame {
    pub fn kind(&self) -> &str {
        self.json["type"].as_str().unwrap_or("")
    }
    pub fn seq(&self) -> Option<u64> {
        self.json["seq"].as_u64()
    }
    pub fn event_type(&self) -> &str {
        self.json["event"]["type"].as_str().unwrap_or("")
    }
}

/// `ws://ADDR/ws?…` with the given query pairs.
pub fn ws_url_with(base: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return base.to_string();
    }
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{base}?{}", q.join("&"))
}

pub async fn ws_connect(url: &str) -> WsStream {
    let connected = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await;
    match connected {
        Ok(Ok((ws, _resp))) => ws,
        Ok(Err(e)) => panic!("websocket connect {url}: {e}"),
        Err(_) => panic!("websocket connect {url}: timeout"),
    }
}

/// The next text frame within `timeout`; None on close, error or timeout. Pings are answered
/// by tungstenite itself.
pub async fn ws_next(ws: &mut WsStream, timeout: Duration) -> Option<Frame> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()??;
        match msg {
            Ok(Message::Text(t)) => {
                let raw = t.to_string();
                let json = serde_json::from_str(&raw)
                    .unwrap_or_else(|e| panic!("websocket frame is not JSON ({e}): {raw}"));
                return Some(Frame { raw, json });
            }
            Ok(Message::Binary(b)) => {
                let raw = String::from_utf8_lossy(&b).to_string();
                let json = serde_json::from_str(&raw).unwrap_or(Value::Null);
                return Some(Frame { raw, json });
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// A socket read continuously by a background task, so the daemon never sees a slow client.
pub struct Collector {
    frames: Arc<Mutex<Vec<Frame>>>,
    closed: Arc<Mutex<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl Collector {
    pub async fn open(url: &str) -> Collector {
        let mut ws = ws_connect(url).await;
        let frames = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(Mutex::new(false));
        let (f, c) = (frames.clone(), closed.clone());
        let task = tokio::spawn(async move {
            while let Some(frame) = ws_next(&mut ws, Duration::from_secs(3600)).await {
                f.lock().unwrap().push(frame);
            }
            *c.lock().unwrap() = true;
        });
        Collector {
            frames,
            closed,
            task,
        }
    }

    pub fn frames(&self) -> Vec<Frame> {
        self.frames.lock().unwrap().clone()
    }

    pub fn is_closed(&self) -> bool {
        *self.closed.lock().unwrap()
    }

    /// Highest seq received so far.
    pub fn last_seq(&self) -> u64 {
        self.frames
            .lock()
            .unwrap()
            .iter()
            .filter_map(|f| f.seq())
            .max()
            .unwrap_or(0)
    }

    /// Waits until a frame with seq >= `seq` has arrived; panics after `timeout`.
    pub async fn wait_seq(&self, seq: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.last_seq() < seq {
            assert!(
                Instant::now() < deadline,
                "websocket: seq {seq} not received within {timeout:?} (last {}, closed {})",
                self.last_seq(),
                self.is_closed()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops reading (drops the socket abruptly) and returns what arrived.
    pub fn cut(self) -> Vec<Frame> {
        self.task.abort();
        let frames = self.frames.lock().unwrap().clone();
        frames
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Asserts `frames` is a snapshot followed by events seq+1, seq+2, … with no gap; returns the
/// events.
#[track_caller]
pub fn assert_snapshot_then_gapless(frames: &[Frame]) -> Vec<Frame> {
    assert!(!frames.is_empty(), "no websocket frame at all");
    let first = &frames[0];
    assert_eq!(first.kind(), "snapshot", "first frame: {}", first.raw);
    let snap_seq = first.seq().expect("snapshot seq");
    assert_eq!(
        first.json["state"]["seq"].as_u64(),
        Some(snap_seq),
        "snapshot frame seq vs state.seq"
    );
    let events: Vec<Frame> = frames[1..]
        .iter()
        .filter(|f| f.kind() == "event")
        .cloned()
        .collect();
    for w in frames[1..].iter() {
        assert_ne!(w.kind(), "snapshot", "a second snapshot arrived: {}", w.raw);
    }
    assert_gapless(snap_seq, &events);
    events
}

/// Asserts `events` have seqs `after+1, after+2, …`.
#[track_caller]
pub fn assert_gapless(after: u64, events: &[Frame]) {
    for (expect, e) in (after + 1..).zip(events.iter()) {
        assert_eq!(
            e.seq(),
            Some(expect),
            "gap or disorder in event seqs: {}",
            e.raw
        );
    }
}

// ---------------------------------------------------------------------------------------
// Test configurations, written as text
// ---------------------------------------------------------------------------------------

/// The `[[staff]]` tables of config/default.toml, verbatim (with their pin_hash lines), so the
/// demo PINs work in the tests' own centres.
pub fn default_staff_toml() -> String {
    let text = std::fs::read_to_string(default_config()).expect("read config/default.toml");
    let mut out = String::new();
    let mut in_staff = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            in_staff = t.starts_with("[[staff]]");
        }
        if in_staff {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(
        out.contains("pin_hash"),
        "no [[staff]] with pin_hash in config/default.toml"
    );
    out
}

/// One `[[services]]` table; `extra` is appended verbatim (hours, slots, prefix…).
pub fn service_toml(id: &str, name: &str, first: u32, last: u32, extra: &str) -> String {
    format!(
        "[[services]]\nid = \"{id}\"\nname = \"{name}\"\nname_en = \"{id} (en)\"\nfirst = {first}\nlast = {last}\ntarget_wait_min = 15\n{extra}\n"
    )
}

pub fn counter_toml(id: u32, services: &[&str]) -> String {
    let list: Vec<String> = services.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        "[[counters]]\nid = {id}\nname = \"Quầy {id}\"\nservices = [{}]\nmode = \"fifo\"\n\n",
        list.join(", ")
    )
}

/// A whole centre: the given services and counters, the demo priorities, the demo staff, and
/// the demo device tokens (a rating device for each counter).
pub fn centre_toml(services: &str, counters: &[(u32, &[&str])]) -> String {
    let mut s = String::from(
        "[centre]\nname = \"Trung tâm kiểm thử\"\nname_en = \"Test centre\"\ntimezone = \"Asia/Ho_Chi_Minh\"\n\n",
    );
    s.push_str(services);
    s.push('\n');
    for (id, svcs) in counters {
        s.push_str(&counter_toml(*id, svcs));
    }
    for (id, name) in [
        ("elderly", "Người cao tuổi"),
        ("disabled", "Người khuyết tật"),
        ("pregnant", "Phụ nữ mang thai"),
        ("merit", "Người có công với cách mạng"),
    ] {
        s.push_str(&format!(
            "[[priorities]]\nid = \"{id}\"\nname = \"{name}\"\n\n"
        ));
    }
    s.push_str(&default_staff_toml());
    s.push('\n');
    s.push_str(&format!(
        "[[devices]]\nname = \"TV sảnh\"\nrole = \"display\"\ntoken = \"{DISPLAY}\"\n\n"
    ));
    s.push_str(&format!(
        "[[devices]]\nname = \"Kiosk\"\nrole = \"kiosk\"\ntoken = \"{KIOSK}\"\n\n"
    ));
    s.push_str(&format!(
        "[[devices]]\nname = \"Giám sát\"\nrole = \"supervisor\"\ntoken = \"{SUPERVISOR}\"\n\n"
    ));
    for (id, _) in counters {
        s.push_str(&format!(
            "[[devices]]\nname = \"Đánh giá {id}\"\nrole = \"rating\"\ntoken = \"{}\"\ncounter = {id}\n\n",
            rating_token(*id)
        ));
    }
    s
}
