//! WebSocket helpers: connect, read frames, collect them in the background, check gaps.

use super::*;

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
