//! N WebSocket clients (tokio-tungstenite), one task each, the loop shared by the load
//! tool's boards ([`super::boards`]) and the hub bench's phones (benches/hub_phones/): each
//! opens its socket (at most [`CONNECT_AT_ONCE`] handshakes in flight), reads its first
//! message (a snapshot, or the floor server's hello), then hands every text frame to its
//! [`Watch`] with its arrival time until the server ends the socket or the set is stopped.

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

/// What one socket keeps of the frames it reads after its first message.
pub trait Watch: Default + Send + 'static {
    /// A text frame read at `at` (ns of [`now_ns`]); true when it counts towards
    /// [`Sockets::wait_for`] (a `ticket_called` frame).
    fn text(&mut self, text: &str, at: u64) -> bool;
    /// How the socket ended, when it did not end by [`Sockets::finish`].
    fn ended(&mut self, why: String);
}

/// A set of connected sockets, each with its [`Watch`].
pub struct Sockets<W> {
    tasks: Vec<JoinHandle<W>>,
    stop: watch::Sender<bool>,
    /// Frames counted by the watches ([`Watch::text`] said true), all sockets together.
    called_seen: Arc<AtomicU64>,
    /// Sockets the server closed.
    closed: Arc<AtomicUsize>,
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

impl<W: Watch> Sockets<W> {
    /// Connects socket `i` to `url(i)` with the watch `watch(i)`, for `i` in `0..n`, and
    /// returns once every one has its first message — or an error naming the first that
    /// failed, or how many made it within 60 s plus one per `per_s` sockets. `noun` names
    /// the sockets in errors ("sockets", "phones").
    pub async fn open_all(
        n: usize,
        url: impl Fn(usize) -> String,
        watch: impl Fn(usize) -> W,
        per_s: u64,
        noun: &str,
    ) -> Result<Sockets<W>, String> {
        let (stop, stop_rx) = watch::channel(false);
        let called_seen = Arc::new(AtomicU64::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<Result<(), String>>();
        let mut tasks = Vec::with_capacity(n);
        for i in 0..n {
            let url = url(i);
            let mut log = watch(i);
            let gate = gate.clone();
            let ready = ready_tx.clone();
            let mut stop = stop_rx.clone();
            let seen = called_seen.clone();
            let closed = closed.clone();
            tasks.push(tokio::spawn(async move {
                let permit = gate.acquire_owned().await;
                let mut ws = match open(&url).await {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = ready.send(Err(e.clone()));
                        log.ended(e);
                        return log;
                    }
                };
                // The first message: snapshot (daemon, hub) or hello (floor).
                match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
                    Ok(Some(Ok(_))) => {}
                    other => {
                        let e = format!("no first message: {other:?}");
                        let _ = ready.send(Err(e.clone()));
                        log.ended(e);
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
                            let ended = match msg {
                                Some(Ok(Message::Text(t))) => {
                                    if log.text(t.as_str(), at) {
                                        seen.fetch_add(1, Ordering::Relaxed);
                                    }
                                    continue;
                                }
                                Some(Ok(Message::Close(f))) => format!("closed by server: {f:?}"),
                                Some(Ok(_)) => continue,
                                Some(Err(e)) => format!("error: {e}"),
                                None => "stream ended".to_string(),
                            };
                            log.ended(ended);
                            closed.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        _ = stop.changed() => break,
                    }
                }
                log
            }));
        }
        drop(ready_tx);
        let mut ok = 0usize;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60 + n as u64 / per_s);
        while ok < n {
            match tokio::time::timeout_at(deadline, ready_rx.recv()).await {
                Ok(Some(Ok(()))) => ok += 1,
                Ok(Some(Err(e))) => {
                    let _ = stop.send(true);
                    return Err(format!("{ok} of {n} {noun} connected; then: {e}"));
                }
                Ok(None) | Err(_) => {
                    let _ = stop.send(true);
                    return Err(format!("only {ok} of {n} {noun} connected in time"));
                }
            }
        }
        Ok(Sockets {
            tasks,
            stop,
            called_seen,
            closed,
        })
    }

    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Sockets the server closed so far.
    pub fn closed(&self) -> usize {
        self.closed.load(Ordering::Relaxed)
    }

    /// Waits until `expected` counted frames arrived in total (or `limit` passed). Returns
    /// whether all arrived.
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
    pub async fn finish(self) -> Vec<W> {
        let _ = self.stop.send(true);
        let mut logs = Vec::with_capacity(self.tasks.len());
        for t in self.tasks {
            logs.push(t.await.unwrap_or_default());
        }
        logs
    }
}
