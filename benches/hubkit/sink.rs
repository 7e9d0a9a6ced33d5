//! A hub that keeps nothing: it answers the lobby's `POST /api/v1/uplink` as `xephang hub`
//! does (an [`Ack`] of the last seq it holds, 409 `uplink_gap` for a batch that skips
//! ahead) and `GET /api/v1/centres/{centre}/state` with that seq, but stores no event,
//! builds no read model and has no PostgreSQL.
//!
//! Why: with a real hub and PostgreSQL on the lobby's two cores, a catch-up measures the
//! lobby's uplink *and* the stand-in for the province server. Catching up to this sink, on
//! one idle-priority thread of the bench process, leaves only the lobby's own share (its
//! read-back, encoding, pacing and HTTP pushes): what a lobby PC feels when its hub is on
//! another machine.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use xephang::api::error::ApiError;
use xephang::uplink::wire::Ack;

use crate::load::procs::LOWEST;

/// The name of the sink's thread (its CPU is read from /proc by that name).
pub const THREAD: &str = "hub-sink";

/// The sink, serving until dropped.
pub struct Sink {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Only what the sink reads of a push: each event's seq.
#[derive(Deserialize)]
struct Seqs {
    #[serde(default)]
    events: Vec<SeqOnly>,
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
}

impl Sink {
    /// Serves on 127.0.0.1:`port` from a thread of its own at the lowest CPU priority.
    pub fn start(port: u16) -> Result<Sink, String> {
        let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .map_err(|e| format!("sink: bind 127.0.0.1:{port}: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("sink: {e}"))?;
        let held = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/api/v1/uplink", post(push))
            .route("/api/v1/centres/{centre}/state", get(state))
            .with_state(held);
        let thread = std::thread::Builder::new()
            .name(THREAD.into())
            .spawn(move || {
                // The calling thread only (tid 0): the bench's boards stay at nice 0.
                if let Err(e) = LOWEST.apply_to_thread(0) {
                    eprintln!("sink: could not lower its priority: {e}");
                }
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => return eprintln!("sink: runtime: {e}"),
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => return eprintln!("sink: listener: {e}"),
                    };
                    let served = axum::serve(listener, app).with_graceful_shutdown(async {
                        let _ = stopped.await;
                    });
                    if let Err(e) = served.await {
                        eprintln!("sink: {e}");
                    }
                });
            })
            .map_err(|e| format!("sink: thread: {e}"))?;
        Ok(Sink {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn push(State(held): State<Arc<AtomicU64>>, body: Bytes) -> Response {
    let seqs: Seqs = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return ApiError::bad_request(e.to_string()).into_response(),
    };
    let last = held.load(Ordering::Relaxed);
    match (seqs.events.first(), seqs.events.last()) {
        (Some(first), _) if first.seq > last + 1 => {
            let message = format!("the batch starts at {}, after {last} + 1", first.seq);
            ApiError::new(StatusCode::CONFLICT, "uplink_gap", message.clone(), message)
                .into_response()
        }
        (_, Some(end)) => {
            let now = held.fetch_max(end.seq, Ordering::Relaxed).max(end.seq);
            Json(Ack { last_seq: now }).into_response()
        }
        _ => Json(Ack { last_seq: last }).into_response(),
    }
}

async fn state(State(held): State<Arc<AtomicU64>>) -> Json<serde_json::Value> {
    Json(json!({ "seq": held.load(Ordering::Relaxed) }))
}
