//! The floor: a bare tokio-tungstenite broadcast server on loopback, sending frames of the
//! daemon's sizes at the daemon's rate to the same N board clients. What the daemon adds
//! on top of this (HTTP, engine, fsync, serialisation, its own fan-out) is reported as the
//! ratio of its latency to the floor's.
//!
//! It runs in a child process (the bench re-runs itself with `--floor-server PLAN`, because
//! N client and N server sockets in one process would not fit under the hard open-file
//! limit at N = 10,000) or, for the smoke test, on a thread of this process.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use futures_util::SinkExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use super::boards::key_of;
use super::daemon::now_ns;

/// What the floor sends: the daemon run's calls at the same moments (offsets from the
/// start, as the clerks sent them), each as one filler frame right before the called frame
/// (the daemon's `ticket_finished`) with the rest of the fillers halfway to the next call
/// (the kiosk's `ticket_issued`). Same offered load, same sizes, same N.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FloorPlan {
    /// When each call was sent in the daemon run, in ns after its first.
    pub offsets_ns: Vec<u64>,
    /// A real `ticket_called` frame; its number is replaced by the call's index.
    pub called_frame: String,
    pub filler_size: usize,
    pub fillers_per_call: f64,
}

/// The called frame of call `i` (same length as the template) and its key.
pub fn called_frame(template: &str, i: usize) -> (String, u64) {
    let marker = "\"number\":\"";
    let Some(at) = template.find(marker).map(|a| a + marker.len()) else {
        let number = format!("{i:06}");
        let text = format!(
            "{{\"event\":{{\"ticket\":{{\"number\":\"{number}\"}},\"type\":\"ticket_called\"}}}}"
        );
        return (text, key_of(&number));
    };
    let len = template[at..].find('"').unwrap_or(0);
    let width = len.max(i.to_string().len());
    let number = format!("{i:0width$}");
    let text = format!("{}{}{}", &template[..at], number, &template[at + len..]);
    (text, key_of(&number))
}

fn filler(size: usize) -> String {
    let head = "{\"type\":\"event\",\"event\":{\"type\":\"ticket_issued\"},\"pad\":\"";
    let pad = size.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}

/// Serves until `quit`: every connection gets a hello, then every broadcast frame. After
/// `go`, runs the plan and returns (key, send time) of every called frame on `sent`.
async fn serve(
    listener: tokio::net::TcpListener,
    plan: FloorPlan,
    go: oneshot::Receiver<()>,
    sent: mpsc::Sender<Vec<(u64, u64)>>,
    quit: oneshot::Receiver<()>,
) {
    let (tx, _) = broadcast::channel::<Message>(1024);
    let hello = Message::text("{\"type\":\"snapshot\",\"seq\":0}");
    let accept_tx = tx.clone();
    tokio::spawn(async move {
        let cfg = WebSocketConfig::default()
            .read_buffer_size(4 * 1024)
            .write_buffer_size(0);
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let mut rx = accept_tx.subscribe();
            let hello = hello.clone();
            tokio::spawn(async move {
                let Ok(mut ws) =
                    tokio_tungstenite::accept_async_with_config(stream, Some(cfg)).await
                else {
                    return;
                };
                if ws.send(hello).await.is_err() {
                    return;
                }
                while let Ok(m) = rx.recv().await {
                    if ws.send(m).await.is_err() {
                        return;
                    }
                }
                let _ = ws.close(None).await;
            });
        }
    });
    if go.await.is_err() {
        return;
    }
    let fill = Message::text(filler(plan.filler_size));
    let start = tokio::time::Instant::now();
    let at = |ns: u64| start + Duration::from_nanos(ns);
    let offsets = &plan.offsets_ns;
    let mut log = Vec::with_capacity(offsets.len());
    let mut owed = 0.0f64;
    for (i, &off) in offsets.iter().enumerate() {
        let (text, key) = called_frame(&plan.called_frame, i);
        let msg = Message::text(text);
        tokio::time::sleep_until(at(off)).await;
        if plan.fillers_per_call >= 1.0 {
            let _ = tx.send(fill.clone());
        }
        let t0 = now_ns();
        let _ = tx.send(msg);
        log.push((key, t0));
        let next = offsets.get(i + 1).copied().unwrap_or(off + 50_000_000);
        tokio::time::sleep_until(at(off + (next.saturating_sub(off)) / 2)).await;
        owed += (plan.fillers_per_call - 1.0).max(0.0);
        while owed >= 1.0 {
            let _ = tx.send(fill.clone());
            owed -= 1.0;
        }
    }
    let _ = sent.send(log);
    let _ = quit.await;
}

/// A running floor server.
pub struct Floor {
    pub addr: SocketAddr,
    go: Option<Box<dyn FnOnce() + Send>>,
    sent: mpsc::Receiver<Vec<(u64, u64)>>,
    child: Option<Child>,
    quit: Option<oneshot::Sender<()>>,
}

impl Floor {
    /// On a thread of this process, with its own 2-worker runtime (like the daemon's).
    pub fn in_process(plan: FloorPlan) -> Result<Floor, String> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| e.to_string())?;
        let addr = std_listener.local_addr().map_err(|e| e.to_string())?;
        let (go_tx, go_rx) = oneshot::channel();
        let (quit_tx, quit_rx) = oneshot::channel();
        let (sent_tx, sent_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("floor runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                serve(listener, plan, go_rx, sent_tx, quit_rx).await;
            });
        });
        Ok(Floor {
            addr,
            go: Some(Box::new(move || {
                let _ = go_tx.send(());
            })),
            sent: sent_rx,
            child: None,
            quit: Some(quit_tx),
        })
    }

    /// In a child process: `exe --floor-server PLAN_FILE`.
    pub fn child(exe: &Path, plan: FloorPlan, dir: &Path) -> Result<Floor, String> {
        let plan_path: PathBuf = dir.join("floor-plan.json");
        std::fs::write(
            &plan_path,
            serde_json::to_vec(&plan).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .arg("--floor-server")
            .arg(&plan_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn floor server: {e}"))?;
        let stdout = child.stdout.take().ok_or("floor stdout")?;
        let mut stdin = child.stdin.take().ok_or("floor stdin")?;
        let (addr_tx, addr_rx) = mpsc::channel();
        let (sent_tx, sent_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut log = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(a) = line.strip_prefix("floor listening on ") {
                    let _ = addr_tx.send(a.trim().parse::<SocketAddr>());
                } else if let Some(rest) = line.strip_prefix("sent ") {
                    let mut it = rest.split(' ').filter_map(|x| x.parse::<u64>().ok());
                    if let (Some(k), Some(t)) = (it.next(), it.next()) {
                        log.push((k, t));
                    }
                } else if line == "done" {
                    let _ = sent_tx.send(std::mem::take(&mut log));
                }
            }
        });
        let addr = match addr_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Ok(a)) => a,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("floor server did not start: {other:?}"));
            }
        };
        Ok(Floor {
            addr,
            go: Some(Box::new(move || {
                let _ = stdin.write_all(b"go\n");
                let _ = stdin.flush();
                // Keep stdin open: the child leaves when it closes.
                std::mem::forget(stdin);
            })),
            sent: sent_rx,
            child: Some(child),
            quit: None,
        })
    }

    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Starts the plan.
    pub fn go(&mut self) {
        if let Some(go) = self.go.take() {
            go();
        }
    }

    /// The (key, send time) of every called frame, once the plan has run.
    pub async fn sent(&self, limit: Duration) -> Result<Vec<(u64, u64)>, String> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            match self.sent.try_recv() {
                Ok(v) => return Ok(v),
                Err(mpsc::TryRecvError::Disconnected) => {
                    return Err("floor server ended early".into())
                }
                Err(mpsc::TryRecvError::Empty) if std::time::Instant::now() > deadline => {
                    return Err("floor plan did not finish in time".into())
                }
                Err(mpsc::TryRecvError::Empty) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
            }
        }
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        if let Some(q) = self.quit.take() {
            let _ = q.send(());
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The child process's main: serve the plan in `plan_file`, report on stdout.
pub fn child_main(plan_file: &Path) -> std::process::ExitCode {
    super::daemon::raise_fd_limit();
    let plan: FloorPlan = match std::fs::read(plan_file)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("floor server: bad plan {}: {e}", plan_file.display());
            return std::process::ExitCode::FAILURE;
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!(
            "floor listening on {}",
            listener.local_addr().expect("addr")
        );
        let (go_tx, go_rx) = oneshot::channel();
        let (quit_tx, quit_rx) = oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::stdin().lock().lines();
            if matches!(lines.next(), Some(Ok(l)) if l.trim() == "go") {
                let _ = go_tx.send(());
            }
            for _ in lines.by_ref() {}
            let _ = quit_tx.send(());
        });
        let (sent_tx, sent_rx) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(log) = sent_rx.recv() {
                let mut out = std::io::stdout().lock();
                for (k, t) in log {
                    let _ = writeln!(out, "sent {k} {t}");
                }
                let _ = writeln!(out, "done");
                let _ = out.flush();
            }
        });
        serve(listener, plan, go_rx, sent_tx, quit_rx).await;
    });
    // Do not wait for connection tasks still sending: the bench has what it needs.
    rt.shutdown_background();
    std::process::ExitCode::SUCCESS
}
