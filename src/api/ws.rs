//! `GET /ws`: a snapshot (or the missed events after `since`), then every event in seq order.
//!
//! Each socket has its own task and a bounded backlog (the broadcast receiver): a client too
//! slow to keep up falls behind, is closed with 1013 and reconnects with `since`, while the
//! engine and every other socket go on undisturbed. Pings every 20 s; a peer silent for 60 s
//! is dropped. Client messages over 4 KiB close the socket with 1009.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{interval, Instant, MissedTickBehavior};

use super::auth::Principal;
use super::error::ApiResult;
use super::reads::audience;
use super::AppState;
use crate::domain::ids::TicketId;
use crate::hub::Start;
use crate::view::{self, Audience};

pub const PING_EVERY: Duration = Duration::from_secs(20);
pub const SILENCE_LIMIT: Duration = Duration::from_secs(60);
pub const MAX_CLIENT_MESSAGE: usize = 4 * 1024;
/// A send that cannot complete in this time means the peer stopped reading: drop it.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

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
    who: Principal,
    Query(q): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let ticket = q.ticket.as_deref().and_then(|t| t.parse::<TicketId>().ok());
    let aud = audience(&who);
    let label = who.label();
    Ok(ws
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            app.metrics.ws_clients.fetch_add(1, Ordering::Relaxed);
            tracing::info!(who = %label, since = ?q.since, watching = ticket.is_some(), "websocket opened");
            let why = serve(&app, socket, aud, q.since, ticket).await;
            app.metrics.ws_clients.fetch_sub(1, Ordering::Relaxed);
            tracing::info!(who = %label, why, "websocket closed");
        }))
}

/// A ticket's state as its phone last saw it.
type Seen = Option<serde_json::Value>;

fn ticket_frame(app: &AppState, id: &TicketId, seen: &mut Seen) -> Option<Utf8Bytes> {
    let t = app.hub.tickets.get(id)?;
    let v = view::own_ticket(&t);
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

async fn serve(
    app: &AppState,
    mut socket: WebSocket,
    aud: Audience,
    since: Option<u64>,
    ticket: Option<TicketId>,
) -> &'static str {
    let (start, mut rx) = app.hub.subscribe(since);
    let mut last_seq = match start {
        Start::Snapshot(snap) => {
            let now = chrono::Utc::now()
                .with_timezone(&app.spec.timezone)
                .fixed_offset();
            let state = app.hub.snapshot_json(&snap, aud, now);
            let msg = format!(
                "{{\"type\":\"snapshot\",\"seq\":{},\"state\":{state}}}",
                snap.seq
            );
            if !send(&mut socket, Message::Text(msg.into())).await {
                return "send failed";
            }
            snap.seq
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
        if let Some(msg) = ticket_frame(app, id, &mut seen) {
            if !send(&mut socket, Message::Text(msg)).await {
                return "send failed";
            }
        }
    }
    let mut shutdown = app.shutdown.clone();
    let mut ping = interval(PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Ok(f) => {
                    if f.seq <= last_seq {
                        continue;
                    }
                    last_seq = f.seq;
                    if !send(&mut socket, Message::Text(f.for_audience(aud).clone())).await {
                        return "send failed";
                    }
                    if let Some(id) = &ticket {
                        if let Some(msg) = ticket_frame(app, id, &mut seen) {
                            if !send(&mut socket, Message::Text(msg)).await {
                                return "send failed";
                            }
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    app.metrics.ws_dropped_slow.fetch_add(1, Ordering::Relaxed);
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
                Some(Ok(_)) => heard = Instant::now(),
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
            _ = ping.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    close(&mut socket, close_code::AWAY, "silent for 60 s").await;
                    return "silent";
                }
                if !send(&mut socket, Message::Ping(Default::default())).await {
                    return "send failed";
                }
            }
            _ = shutdown.changed() => {
                close(&mut socket, close_code::AWAY, "server stopping").await;
                return "shutdown";
            }
        }
    }
}
