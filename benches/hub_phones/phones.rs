//! N phone pages on the hub as WebSocket clients (tokio-tungstenite): socket `i` follows
//! ticket `ids[i % ids.len()]` on `/ws?centre=…&ticket=ID`, as displays/ticket.js does at
//! the hub, reads its snapshot, then notes when each `ticket_called` event arrives and when
//! its own ticket's frame first says `called`. One task per socket; at most
//! [`CONNECT_AT_ONCE`] handshakes in flight.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::hubkit::{now_ns, pct};
use crate::load::boards::{called_number, key_of};

const CONNECT_AT_ONCE: usize = 128;

#[derive(Debug, Default)]
pub struct PhoneLog {
    /// (key of the called number, arrival ns) of every `ticket_called` event.
    pub called: Vec<(u64, u64)>,
    /// When the phone's own ticket frame first said `called`.
    pub own_called: Option<u64>,
    pub ended: Option<String>,
}

pub struct Phones {
    tasks: Vec<JoinHandle<PhoneLog>>,
    stop: watch::Sender<bool>,
    seen: Arc<AtomicU64>,
    closed: Arc<AtomicUsize>,
}

/// Latencies in µs over (phone, click) pairs.
#[derive(Debug, Default)]
pub struct Dist {
    pub pairs: usize,
    pub missed: usize,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

fn dist(mut lat: Vec<u64>, pairs: usize) -> Dist {
    lat.sort_unstable();
    Dist {
        pairs,
        missed: pairs.saturating_sub(lat.len()),
        p50: pct(&lat, 0.5),
        p99: pct(&lat, 0.99),
        max: lat.last().copied().unwrap_or(0),
    }
}

/// Per click, the first phone to read its `ticket_called` (the lobby → uplink → hub →
/// socket path before the fan-out to the others).
pub fn first_phone(sent: &[(u64, u64)], logs: &[PhoneLog]) -> Dist {
    let mut first: HashMap<u64, u64> = HashMap::new();
    for log in logs {
        for (key, t) in &log.called {
            let e = first.entry(*key).or_insert(*t);
            *e = (*e).min(*t);
        }
    }
    let lat = sent
        .iter()
        .filter_map(|(k, t0)| first.get(k).map(|t| t.saturating_sub(*t0) / 1000))
        .collect();
    dist(lat, sent.len())
}

/// (own ticket called, every `ticket_called`) from the clicks' (key, send time).
pub fn distributions(
    sent: &[(u64, u64)],
    logs: &[PhoneLog],
    ids: &[String],
    number_of: &HashMap<&str, &str>,
) -> (Dist, Dist) {
    let at: HashMap<u64, u64> = sent.iter().copied().collect();
    let mut own = Vec::new();
    let mut own_pairs = 0;
    let mut all = Vec::with_capacity(sent.len() * logs.len());
    for (i, log) in logs.iter().enumerate() {
        let id = &ids[i % ids.len()];
        let called_at = number_of.get(id.as_str()).and_then(|n| at.get(&key_of(n)));
        if let Some(t0) = called_at {
            own_pairs += 1;
            if let Some(t) = log.own_called {
                own.push(t.saturating_sub(*t0) / 1000);
            }
        }
        for (key, t) in &log.called {
            if let Some(t0) = at.get(key) {
                all.push(t.saturating_sub(*t0) / 1000);
            }
        }
    }
    (dist(own, own_pairs), dist(all, sent.len() * logs.len()))
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(url: &str) -> Result<Ws, String> {
    // A small read buffer: tungstenite zero-fills it before each read.
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

fn is_own_called(text: &str) -> bool {
    text.contains("\"type\":\"ticket\"") && text.contains("\"status\":\"called\"")
}

impl Phones {
    /// Connects `n` phones and returns once each has its snapshot.
    pub async fn connect(ws_base: &str, ids: &[String], n: usize) -> Result<Phones, String> {
        let (stop, stop_rx) = watch::channel(false);
        let seen = Arc::new(AtomicU64::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<Result<(), String>>();
        let mut tasks = Vec::with_capacity(n);
        for i in 0..n {
            let url = format!("{ws_base}&ticket={}", ids[i % ids.len()]);
            let gate = gate.clone();
            let ready = ready_tx.clone();
            let mut stop = stop_rx.clone();
            let seen = seen.clone();
            let closed = closed.clone();
            tasks.push(tokio::spawn(async move {
                let mut log = PhoneLog::default();
                let permit = gate.acquire_owned().await;
                let mut ws = match open(&url).await {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = ready.send(Err(e.clone()));
                        log.ended = Some(e);
                        return log;
                    }
                };
                match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
                    Ok(Some(Ok(_))) => {}
                    other => {
                        let e = format!("no snapshot: {other:?}");
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
                                    let t = t.as_str();
                                    if let Some(number) = called_number(t) {
                                        log.called.push((key_of(number), at));
                                        seen.fetch_add(1, Ordering::Relaxed);
                                    } else if log.own_called.is_none() && is_own_called(t) {
                                        log.own_called = Some(at);
                                    }
                                }
                                Some(Ok(Message::Close(f))) => {
                                    log.ended = Some(format!("closed by the hub: {f:?}"));
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
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60 + n as u64 / 50);
        while ok < n {
            match tokio::time::timeout_at(deadline, ready_rx.recv()).await {
                Ok(Some(Ok(()))) => ok += 1,
                Ok(Some(Err(e))) => {
                    let _ = stop.send(true);
                    return Err(format!("{ok} of {n} phones connected; then: {e}"));
                }
                Ok(None) | Err(_) => {
                    let _ = stop.send(true);
                    return Err(format!("only {ok} of {n} phones connected in time"));
                }
            }
        }
        Ok(Phones {
            tasks,
            stop,
            seen,
            closed,
        })
    }

    pub fn closed(&self) -> usize {
        self.closed.load(Ordering::Relaxed)
    }

    /// Waits until `expected` `ticket_called` frames arrived in all (false after `limit`).
    pub async fn wait_for(&self, expected: u64, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.seen.load(Ordering::Relaxed) < expected {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Closes every phone; what each saw.
    pub async fn finish(self) -> Vec<PhoneLog> {
        let _ = self.stop.send(true);
        let mut logs = Vec::with_capacity(self.tasks.len());
        for t in self.tasks {
            logs.push(t.await.unwrap_or_default());
        }
        logs
    }
}
