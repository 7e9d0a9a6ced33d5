//! N WebSocket board clients (tokio-tungstenite), the same code against the daemon and
//! against the floor server: each reads its first message (the snapshot), then notes the
//! arrival time of every `ticket_called` frame, keyed by the called number.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use super::daemon::now_ns;

/// Handshakes in flight at once (the listen backlog is 1024).
const CONNECT_AT_ONCE: usize = 128;

/// A called number as a map key: its bytes packed into a u64 (numbers are ≤ 8 bytes:
/// "1005", "A005"); longer ones are hashed.
pub fn key_of(number: &str) -> u64 {
    let b = number.as_bytes();
    if b.len() <= 7 {
        let mut k = [0u8; 8];
        k[..b.len()].copy_from_slice(b);
        k[7] = b.len() as u8;
        u64::from_le_bytes(k)
    } else {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        number.hash(&mut h);
        h.finish() | (1 << 63)
    }
}

/// The called number in a `ticket_called` frame, without parsing the whole JSON.
pub fn called_number(text: &str) -> Option<&str> {
    if !text.contains("\"ticket_called\"") {
        return None;
    }
    let at = text.find("\"number\":\"")? + 10;
    let len = text[at..].find('"')?;
    Some(&text[at..at + len])
}

/// What one socket saw.
#[derive(Debug, Default)]
pub struct BoardLog {
    /// (key of the called number, arrival in ns of [`now_ns`]).
    pub called: Vec<(u64, u64)>,
    /// Frames and bytes after the first message.
    pub frames: u64,
    pub bytes: u64,
    /// How the socket ended, if the server ended it.
    pub ended: Option<String>,
    /// Socket 0 only: one `ticket_called` frame as received (the floor copies its size).
    pub sample_called: Option<String>,
}

/// A set of connected board sockets.
pub struct Boards {
    tasks: Vec<JoinHandle<BoardLog>>,
    stop: watch::Sender<bool>,
    /// `ticket_called` frames received by all sockets together.
    pub called_seen: Arc<AtomicU64>,
    /// Sockets the server closed.
    pub closed: Arc<AtomicUsize>,
}

async fn open(
    url: &str,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    String,
> {
    // tungstenite zero-fills the whole read buffer before each read: keep it near the
    // size of what arrives (a frame is ~1 KiB), or the clients burn the shared cores.
    let cfg = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let mut last = String::new();
    for attempt in 0..5u64 {
        match tokio::time::timeout(
            Duration::from_secs(30),
            tokio_tungstenite::connect_async_with_config(url, Some(cfg), true),
        )
        .await
        {
            Ok(Ok((ws, _))) => return Ok(ws),
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = "handshake timed out".into(),
        }
        tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
    }
    Err(format!("connect {url}: {last}"))
}

impl Boards {
    /// Connects `n` sockets and returns once every one has its first message.
    pub async fn connect(url: &str, n: usize) -> Result<Boards, String> {
        let (stop, stop_rx) = watch::channel(false);
        let called_seen = Arc::new(AtomicU64::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<Result<(), String>>();
        let mut tasks = Vec::with_capacity(n);
        for i in 0..n {
            let url = url.to_string();
            let gate = gate.clone();
            let ready = ready_tx.clone();
            let mut stop = stop_rx.clone();
            let seen = called_seen.clone();
            let closed = closed.clone();
            tasks.push(tokio::spawn(async move {
                let mut log = BoardLog::default();
                let permit = gate.acquire_owned().await;
                let mut ws = match open(&url).await {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = ready.send(Err(e.clone()));
                        log.ended = Some(e);
                        return log;
                    }
                };
                // The first message: snapshot (daemon) or hello (floor).
                match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
                    Ok(Some(Ok(_))) => {}
                    other => {
                        let e = format!("no first message: {other:?}");
                        let _ = ready.send(Err(e.clone()));
                        log.ended = Some(e);
                        return log;
                    }
                }
                drop(permit);
                let _ = ready.send(Ok(()));
                drop(ready);
                loop {
                    tokio::select! {
                        msg = ws.next() => {
                            let at = now_ns();
                            match msg {
                                Some(Ok(Message::Text(t))) => {
                                    log.frames += 1;
                                    log.bytes += t.len() as u64;
                                    if let Some(number) = called_number(t.as_str()) {
                                        log.called.push((key_of(number), at));
                                        seen.fetch_add(1, Ordering::Relaxed);
                                        if i == 0 && log.sample_called.is_none() {
                                            log.sample_called = Some(t.as_str().to_string());
                                        }
                                    }
                                }
                                Some(Ok(Message::Close(f))) => {
                                    log.ended = Some(format!("closed by server: {f:?}"));
                                    closed.fetch_add(1, Ordering::Relaxed);
                                    break;
                                }
                                Some(Ok(_)) => {}
                                Some(Err(e)) => {
                                    log.ended = Some(format!("error: {e}"));
                                    closed.fetch_add(1, Ordering::Relaxed);
                                    break;
                                }
                                None => {
                                    log.ended = Some("stream ended".into());
                                    closed.fetch_add(1, Ordering::Relaxed);
                                    break;
                                }
                            }
                        }
                        _ = stop.changed() => break,
                    }
                }
                log
            }));
        }
        drop(ready_tx);
        let mut ok = 0usize;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60 + n as u64 / 100);
        while ok < n {
            match tokio::time::timeout_at(deadline, ready_rx.recv()).await {
                Ok(Some(Ok(()))) => ok += 1,
                Ok(Some(Err(e))) => {
                    let _ = stop.send(true);
                    return Err(format!("{ok} of {n} sockets connected; then: {e}"));
                }
                Ok(None) | Err(_) => {
                    let _ = stop.send(true);
                    return Err(format!("only {ok} of {n} sockets connected in time"));
                }
            }
        }
        Ok(Boards {
            tasks,
            stop,
            called_seen,
            closed,
        })
    }

    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Waits until `expected` called frames arrived in total (or `limit` passed, or every
    /// socket the server dropped can no longer contribute). Returns whether all arrived.
    pub async fn wait_for(&self, expected: u64, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.called_seen.load(Ordering::Relaxed) >= expected {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops every socket (closing it) and returns what each saw.
    pub async fn finish(self) -> Vec<BoardLog> {
        let _ = self.stop.send(true);
        let mut logs = Vec::with_capacity(self.tasks.len());
        for t in self.tasks {
            logs.push(t.await.unwrap_or_default());
        }
        logs
    }
}
