//! Harness of the province hub's tests: a database per test in the throwaway PostgreSQL
//! cluster that `tests/pg.sh` starts (`XEPHANG_DATABASE_URL`), the real `xephang hub` as a
//! child process, lobbies with an `[uplink]`, a TCP proxy that can cut the link, and the
//! database and journal counts the tests compare.
//!
//! Without `XEPHANG_DATABASE_URL` these tests skip with a message — except under CI
//! (`CI=true`), where they fail: a CI run that silently skipped them would prove nothing.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_postgres::NoTls;

use crate::common::*;

pub const TOKEN_A: &str = "test-uplink-centre-a-0001";
pub const TOKEN_B: &str = "test-uplink-centre-b-0002";
pub const PROVINCE: &str = "test-province-token-0003";

/// The cluster's URL, or None (skip) outside CI; panics under CI when it is missing.
pub fn pg_url() -> Option<String> {
    match std::env::var("XEPHANG_DATABASE_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "XEPHANG_DATABASE_URL is not set under CI: run the hub tests through ./test.sh, \
             which starts a throwaway PostgreSQL (tests/pg.sh)"
        ),
        _ => {
            eprintln!(
                "SKIPPED: XEPHANG_DATABASE_URL is not set. Run `. tests/pg.sh && pg_up` first \
                 (or ./test.sh), which starts a throwaway PostgreSQL cluster."
            );
            None
        }
    }
}

/// A new empty database in the cluster of `base`; its URL.
pub async fn fresh_db(base: &str) -> String {
    let (client, conn) = tokio_postgres::connect(base, NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(conn);
    let name = format!("xt_{}", ulid::Ulid::new().to_string().to_lowercase());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database");
    format!("{prefix}/{name}")
}

pub async fn sql(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.expect("connect");
    tokio::spawn(conn);
    client
}

/// (rows, max seq, distinct seqs) of a centre in `events`.
pub async fn db_counts(url: &str, centre: &str) -> (i64, i64, i64) {
    let c = sql(url).await;
    let r = c
        .query_one(
            "SELECT count(*), COALESCE(max(seq), 0), count(DISTINCT seq) FROM events WHERE centre = $1",
            &[&centre],
        )
        .await
        .expect("count");
    (r.get(0), r.get(1), r.get(2))
}

/// (events, max seq) of a lobby's journal files.
pub fn journal_counts(data_dir: &Path) -> (i64, i64) {
    let mut n = 0;
    let mut max = 0;
    for e in std::fs::read_dir(data_dir.join("journal"))
        .expect("journal dir")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.ends_with(".jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(e.path()).expect("read").lines() {
            let json: Value = serde_json::from_str(&line[9..]).expect("journal line");
            n += 1;
            max = max.max(json["seq"].as_i64().expect("seq"));
        }
    }
    (n, max)
}

pub fn hub_toml() -> String {
    format!(
        "[hub]\nname = \"Tỉnh Thử nghiệm\"\ntimezone = \"Asia/Ho_Chi_Minh\"\nsilent_alert_min = 1\n\n\
         [[centres]]\nid = \"tt-a\"\nname = \"Trung tâm A\"\ntoken = \"{TOKEN_A}\"\n\n\
         [[centres]]\nid = \"xa-b\"\nname = \"Một cửa xã B\"\ntoken = \"{TOKEN_B}\"\n\n\
         [[devices]]\nname = \"Tỉnh\"\nrole = \"province\"\ntoken = \"{PROVINCE}\"\n"
    )
}

/// The demo centre with an `[uplink]` to `url`.
pub fn lobby_toml(url: &str, centre: &str, token: &str) -> String {
    let base = std::fs::read_to_string(default_config()).expect("default config");
    format!("{base}\n[uplink]\nurl = \"{url}\"\ncentre = \"{centre}\"\ntoken = \"{token}\"\n")
}

/// A running `xephang hub` on 127.0.0.1 with its database.
pub struct Hub {
    child: Option<Child>,
    pub addr: SocketAddr,
    config: PathBuf,
    db: String,
    log: Arc<Mutex<VecDeque<String>>>,
    _tmp: tempfile::TempDir,
}

impl Hub {
    pub fn start(db: &str) -> Hub {
        let tmp = tempdir();
        let config = tmp.path().join("hub.toml");
        std::fs::write(&config, hub_toml()).expect("write hub.toml");
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (child, addr) =
            spawn_hub(&config, db, "127.0.0.1:0", &log).unwrap_or_else(|e| panic!("{e}"));
        Hub {
            child: Some(child),
            addr,
            config,
            db: db.to_string(),
            log,
            _tmp: tmp,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn api(&self) -> Api {
        Api::new(&self.url())
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kill -9 (if running) and start again on the same port and database.
    pub fn restart(&mut self) {
        self.kill9();
        let bind = format!("127.0.0.1:{}", self.addr.port());
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match spawn_hub(&self.config, &self.db, &bind, &self.log) {
                Ok((child, _)) => {
                    self.child = Some(child);
                    return;
                }
                Err(e) if Instant::now() < deadline => {
                    eprintln!("hub restart: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!("hub did not restart: {e}"),
            }
        }
    }

    pub fn log_tail(&self) -> String {
        self.log
            .lock()
            .unwrap()
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            eprintln!("---- hub output ----\n{}\n----", self.log_tail());
        }
    }
}

fn spawn_hub(
    config: &Path,
    db: &str,
    bind: &str,
    log: &Arc<Mutex<VecDeque<String>>>,
) -> Result<(Child, SocketAddr), String> {
    let mut child = Command::new(bin())
        .env("XEPHANG_DATABASE_URL", db)
        .args(["hub", "--config"])
        .arg(config)
        .args(["--bind", bind])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn hub: {e}"))?;
    let (tx, rx) = mpsc::channel::<SocketAddr>();
    let stdout = child.stdout.take().expect("stdout");
    let out = log.clone();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.trim().strip_prefix("xephang hub listening on http://") {
                if let (Some(t), Ok(a)) = (tx.take(), rest.trim().parse()) {
                    let _ = t.send(a);
                }
            }
            push_log(&out, format!("[hub out] {line}"));
        }
    });
    let stderr = child.stderr.take().expect("stderr");
    let err = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            push_log(&err, format!("[hub err] {line}"));
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(a) => Ok((child, a)),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(50));
            let tail = log
                .lock()
                .unwrap()
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n");
            Err(format!("hub did not start ({e}):\n{tail}"))
        }
    }
}

/// A TCP proxy in front of `target` that can cut every connection and refuse new ones.
pub struct Proxy {
    pub addr: SocketAddr,
    /// Every byte the clients sent through the proxy (the lobby's requests to the hub).
    pub sent: Arc<Mutex<Vec<u8>>>,
    cut: Arc<AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let cut = Arc::new(AtomicBool::new(false));
        let (gen_tx, gen_rx) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(gen_tx);
        let c = cut.clone();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let capture = sent.clone();
        tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                if c.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut stop = gen_rx.clone();
                // Only cuts after this connection began count.
                stop.borrow_and_update();
                let capture = capture.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut ri, mut wi) = inbound.into_split();
                    let (mut ro, mut wo) = outbound.into_split();
                    let upstream = async {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = match ri.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            capture.lock().unwrap().extend_from_slice(&buf[..n]);
                            if wo.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    };
                    tokio::select! {
                        _ = upstream => {}
                        _ = tokio::io::copy(&mut ro, &mut wi) => {}
                        _ = stop.changed() => {}
                    }
                });
            }
        });
        Proxy {
            addr,
            sent,
            cut,
            generation,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Drops every open connection and refuses new ones until [`Proxy::heal`].
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn heal(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Waits until the hub's model of `centre` is at `seq` (panics after `secs`).
pub async fn wait_seq(hub: &Api, centre: &str, seq: u64, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let r = hub
            .try_request(
                reqwest::Method::GET,
                &format!("/api/v1/centres/{centre}/state"),
                None,
                Body::None,
                &[],
            )
            .await;
        let at = match &r {
            Ok(r) if r.status == 200 => r.body["seq"].as_u64().unwrap_or(0),
            _ => 0,
        };
        if at == seq {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "hub holds {centre} at seq {at}, want {seq} ({:?})",
            r.map(|r| r.text)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The public snapshot without `now` (the only field that moves by itself).
/// A ticket as lobby and hub answer it, without `url`: each names the address it was asked
/// at (the lobby's points at the hub through its `[uplink] url`, maybe a proxy of the test);
/// both must end in the hub's `/c/{centre}/t/{id}`.
pub fn same_ticket(hub: &Value, lobby: &Value, centre: &str, id: &str) {
    let page = format!("/c/{centre}/t/{id}");
    for (who, v) in [("hub", hub), ("lobby", lobby)] {
        let url = v["url"].as_str().unwrap_or_default();
        assert!(url.ends_with(&page), "{who}'s url {url} is not {page}");
    }
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("url");
        }
        v
    };
    assert_eq!(strip(hub), strip(lobby), "{centre}: ticket {id}");
}

pub fn sans_now(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("now");
    }
    v
}
