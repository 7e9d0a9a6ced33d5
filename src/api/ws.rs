//! `GET /ws`: a snapshot (or the missed events after `since`), then every event in seq order.
//!
//! Each socket has its own task and a bounded backlog (the broadcast receiver): a client too
//! slow to keep up falls behind, is closed with 1013 and reconnects with `since`, while the
//! engine and every other socket go on undisturbed. Pings every 20 s; a peer silent for 60 s
//! is dropped. Client messages over 4 KiB close the socket with 1009.
//!
//! [`serve`] is the socket loop over any [`Feed`] (a broadcaster, a clock, a shutdown
//! signal): the lobby serves its own, the province hub one per centre (src/province).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::SinkExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::{interval, Instant, MissedTickBehavior};

use super::error::ApiResult;
use super::reads::audience;
use super::AppState;
use crate::broadcast::{Broadcaster, Start};
use crate::domain::ids::TicketId;
use crate::view::{self, Audience};

pub const PING_EVERY: Duration = Duration::from_secs(20);
pub const SILENCE_LIMIT: Duration = Duration::from_secs(60);
pub const MAX_CLIENT_MESSAGE: usize = 4 * 1024;
/// A send that cannot complete in this time means the peer stopped reading: drop it.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Read buffer of a socket. tungstenite zero-fills the whole buffer before every read, so
/// its default (128 KiB) made each idle socket cost ~135 KiB of RSS. Clients only send
/// pongs and small messages (the buffer grows for a larger one when it comes).
pub const READ_BUFFER: usize = 1024;
/// Client messages up to this size are read to their end before one over
/// [`MAX_CLIENT_MESSAGE`] is refused with 1009: a socket closed with unread data sends a
/// reset, which can destroy the close frame before the peer reads it.
pub const READ_LIMIT: usize = 64 * 1024;

/// Most frames written to a socket at once.
const WRITE_BATCH: usize = 64;

/// Sends messages with one flush (one write when they fit the buffer), giving up on a
/// peer that does not read.
async fn send_all(socket: &mut WebSocket, msgs: Vec<Message>) -> bool {
    let all = async {
        for m in msgs {
            socket.feed(m).await?;
        }
        SinkExt::flush(socket).await
    };
    matches!(tokio::time::timeout(SEND_TIMEOUT, all).await, Ok(Ok(())))
}

/// Sends one message, giving up on a peer that does not read.
async fn send(socket: &mut WebSocket, msg: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(msg)).await,
        Ok(Ok(()))
    )
}

#[derive(Deserialize)]
pub struct WsQuery {
    #[serde(default)]
    since: Option<u64>,
    #[serde(default)]
    ticket: Option<String>,
}

pub async fn upgrade(
    State(app): State<AppState>,
    super::directory::Authed { who, token }: super::directory::Authed,
    Query(q): Query<WsQuery>,
    slot: Option<axum::Extension<std::sync::Arc<super::limits::WsSlot>>>,
    kiosk: super::print::KioskDevice,
    device: super::devices::DeviceSocket,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let revoked = token.map(|t| super::directory::watch_token(&app, t));
    let ticket = q.ticket.as_deref().and_then(|t| t.parse::<TicketId>().ok());
    // A kiosk whose printer the daemon drives hears how each of its tickets printed.
    let prints = kiosk.0.and_then(|k| app.printers.subscribe(&k));
    let aud = audience(&who);
    let label = who.label();
    Ok(ws
        .max_message_size(READ_LIMIT)
        .max_frame_size(READ_LIMIT)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| async move {
            // Holds this socket's place under the connection caps until it closes.
            let _slot = slot;
            // A configured device's presence (src/devices.rs), for as long as the socket lives.
            let link = device.link(&app);
            app.metrics.ws_clients.fetch_add(1, Ordering::Relaxed);
            tracing::info!(who = %label, since = ?q.since, watching = ticket.is_some(), "websocket opened");
            let now = || app.now();
            let feed = Feed {
                read: &app.read,
                now: &now,
                dropped_slow: &app.metrics.ws_dropped_slow,
                shutdown: app.shutdown.clone(),
                revoked,
            };
            let why = serve(feed, socket, aud, q.since, ticket, prints, link.as_ref()).await;
            app.metrics.ws_clients.fetch_sub(1, Ordering::Relaxed);
            tracing::info!(who = %label, why, "websocket closed");
        }))
}

/// A ticket's state as its phone last saw it.
type Seen = Option<serde_json::Value>;

fn ticket_frame(read: &Broadcaster, id: &TicketId, seen: &mut Seen) -> Option<Utf8Bytes> {
    let model = read.current();
    let v = view::own_ticket(model.ticket(id)?);
    if seen.as_ref() == Some(&v) {
        return None;
    }
    *seen = Some(v.clone());
    Some(Utf8Bytes::from(
        json!({"type": "ticket", "ticket": v}).to_string(),
    ))
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(2),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}

/// What a socket follows: one centre's event stream.
pub struct Feed<'a> {
    pub read: &'a Broadcaster,
    /// Now, in the centre's timezone (the snapshot's `now`).
    pub now: &'a (dyn Fn() -> chrono::DateTime<chrono::FixedOffset> + Sync),
    /// Counts sockets closed for being too slow.
    pub dropped_slow: &'a AtomicU64,
    /// Turns true when the server shuts down.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Turns true when the socket's token stops working (a revoked device, a disabled
    /// clerk): the socket gets `{"type":"revoked"}` and closes with 4001 `revoked`.
    pub revoked: Option<tokio::sync::watch::Receiver<bool>>,
}

/// The close code of a socket whose token was revoked.
pub const CLOSE_REVOKED: u16 = 4001;

/// Resolves when `revoked` turns true (never without one).
async fn wait_revoked(revoked: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    match revoked {
        Some(rx) => {
            if rx.wait_for(|v| *v).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// Serves one upgraded socket until it closes; returns why it closed (for the log).
pub async fn serve(
    feed: Feed<'_>,
    mut socket: WebSocket,
    aud: Audience,
    since: Option<u64>,
    ticket: Option<TicketId>,
    // The lobby's own: how this kiosk's tickets printed, and this device's presence (None
    // at the province hub).
    mut prints: Option<tokio::sync::broadcast::Receiver<crate::print::health::Notice>>,
    device: Option<&crate::devices::Link>,
) -> &'static str {
    let (start, mut rx) = feed.read.subscribe(since);
    let mut last_seq = match start {
        Start::Snapshot(snap) => {
            let state = snap.snapshot_json(aud, (feed.now)());
            let msg = format!(
                "{{\"type\":\"snapshot\",\"seq\":{},\"state\":{state}}}",
                snap.seq()
            );
            if !send(&mut socket, Message::Text(msg.into())).await {
                return "send failed";
            }
            snap.seq()
        }
        Start::Replay(frames) => {
            let mut last = since.unwrap_or(0);
            for f in frames {
                if !send(&mut socket, Message::Text(f.for_audience(aud).clone())).await {
                    return "send failed";
                }
                last = f.seq;
            }
            last
        }
    };
    let mut seen: Seen = None;
    if let Some(id) = &ticket {
        if let Some(msg) = ticket_frame(feed.read, id, &mut seen) {
            if !send(&mut socket, Message::Text(msg)).await {
                return "send failed";
            }
        }
    }
    let mut revoked = feed.revoked;
    let mut shutdown = feed.shutdown;
    // One waiter on the shutdown signal for the socket's life (a fresh `changed()` in every
    // round of the loop registered and removed a waiter under the channel's lock per frame).
    let stopping = shutdown.changed();
    tokio::pin!(stopping);
    let mut ping = interval(PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Ok(f) => {
                    // Every frame already published goes out in one write: a call's
                    // `ticket_finished` and `ticket_called` arrive together.
                    let mut out = Vec::new();
                    let mut next = Some(f);
                    while let Some(f) = next.take() {
                        if f.seq > last_seq {
                            last_seq = f.seq;
                            out.push(Message::Text(f.for_audience(aud).clone()));
                            if let Some(id) = &ticket {
                                if let Some(msg) = ticket_frame(feed.read, id, &mut seen) {
                                    out.push(Message::Text(msg));
                                }
                            }
                        }
                        if out.len() >= WRITE_BATCH {
                            break;
                        }
                        match rx.try_recv() {
                            Ok(f) => next = Some(f),
                            Err(TryRecvError::Lagged(_)) => {
                                feed.dropped_slow.fetch_add(1, Ordering::Relaxed);
                                close(&mut socket, close_code::AGAIN, "too slow; reconnect with since").await;
                                return "too slow";
                            }
                            // Empty, or closed (seen by the next `recv`).
                            Err(_) => {}
                        }
                    }
                    if !out.is_empty() && !send_all(&mut socket, out).await {
                        return "send failed";
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    feed.dropped_slow.fetch_add(1, Ordering::Relaxed);
                    close(&mut socket, close_code::AGAIN, "too slow; reconnect with since").await;
                    return "too slow";
                }
                Err(RecvError::Closed) => {
                    close(&mut socket, close_code::AWAY, "server stopping").await;
                    return "hub closed";
                }
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None => return "peer closed",
                Some(Ok(m)) => {
                    let len = match &m {
                        Message::Text(t) => t.len(),
                        Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len(),
                        Message::Close(_) => 0,
                    };
                    if len > MAX_CLIENT_MESSAGE {
                        close(&mut socket, close_code::SIZE, "message too big").await;
                        return "message too big";
                    }
                    heard = Instant::now();
                    if let Some(device) = device {
                        device.heard();
                        if let Message::Text(t) = &m {
                            device.message(t);
                        }
                    }
                }
                Some(Err(e)) => {
                    let too_big = e.to_string().to_ascii_lowercase().contains("too long")
                        || e.to_string().to_ascii_lowercase().contains("size");
                    if too_big {
                        close(&mut socket, close_code::SIZE, "message too big").await;
                        return "message too big";
                    }
                    return "receive error";
                }
            },
            frame = crate::print::next_frame(&mut prints) => {
                if !send(&mut socket, Message::Text(frame.into())).await {
                    return "send failed";
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    close(&mut socket, close_code::AWAY, "silent for 60 s").await;
                    return "silent";
                }
                if !send(&mut socket, Message::Ping(Default::default())).await {
                    return "send failed";
                }
            }
            _ = wait_revoked(&mut revoked) => {
                let _ = send(&mut socket, Message::Text(Utf8Bytes::from_static("{\"type\":\"revoked\"}"))).await;
                close(&mut socket, CLOSE_REVOKED, "revoked").await;
                return "revoked";
            }
            _ = &mut stopping => {
                close(&mut socket, close_code::AWAY, "server stopping").await;
                return "shutdown";
            }
        }
    }
}
