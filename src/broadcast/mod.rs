//! The broadcaster: owns the read model's working copy, publishes one immutable
//! [`ReadModel`] per committed batch, keeps a ring of recent frames for `since` resumption
//! and sends each event's [`Frame`] to every subscriber (WebSocket tasks, the audio player,
//! the uplink). Subscribing takes the same lock as publishing, so a new subscriber gets a
//! model at seq N and then exactly the frames after N: no gap, no duplicate.
//!
//! Backpressure: the channel holds [`SOCKET_BACKLOG`] frames; a subscriber further behind
//! is told it lagged (a socket is then closed and its screen reconnects with a snapshot).

pub mod frames;
pub mod ticket_frames;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset, NaiveDate};
use tokio::sync::broadcast;

use crate::domain::Envelope;
use crate::read::ReadModel;

pub use frames::Frame;

/// Frames kept for `since` resumption (about two busy hours of a provincial centre; a client
/// further behind gets a fresh snapshot).
pub const RING: usize = 2048;
/// Frames a socket may fall behind before it is dropped (close 1013).
pub const SOCKET_BACKLOG: usize = 1024;

/// What a publish replaced: the previous model and the frames that left the ring. Dropping
/// them frees whatever no reader holds any more (a snapshot, a day's worth of clones), so
/// the writer drops them after answering its callers rather than in the middle of publishing.
#[derive(Default)]
pub struct Retired {
    model: Option<Arc<ReadModel>>,
    frames: Vec<Arc<Frame>>,
}

/// What a new subscriber gets first.
pub enum Start {
    /// The whole model (no `since`, or `since` too old or from the future).
    Snapshot(Arc<ReadModel>),
    /// The frames after `since`, in order.
    Replay(Vec<Arc<Frame>>),
}

struct Published {
    model: Arc<ReadModel>,
    ring: VecDeque<Arc<Frame>>,
}

pub struct Broadcaster {
    /// The copy batches are applied to (only the writer publishes; the lock makes it Sync).
    working: Mutex<ReadModel>,
    published: Mutex<Published>,
    tx: broadcast::Sender<Arc<Frame>>,
    /// Frames kept for `since` ([`RING`] in a lobby; the province hub keeps fewer per centre).
    ring: usize,
    /// Phones' `ticket` frames, built once per ticket and seq (src/api/ticket_feed.rs).
    ticket_frames: ticket_frames::TicketFrames,
}

/// A panic while holding one of these locks leaves plain data behind: keep serving it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Broadcaster {
    pub fn new(model: ReadModel) -> Broadcaster {
        Broadcaster::with_ring(model, RING)
    }

    /// A broadcaster that keeps `ring` frames for `since` resumption.
    pub fn with_ring(model: ReadModel, ring: usize) -> Broadcaster {
        let (tx, _) = broadcast::channel(SOCKET_BACKLOG);
        Broadcaster {
            published: Mutex::new(Published {
                model: Arc::new(model.clone()),
                ring: VecDeque::new(),
            }),
            working: Mutex::new(model),
            tx,
            ring,
            ticket_frames: Default::default(),
        }
    }

    /// Phones' `ticket` frames, shared by every phone that follows the same ticket.
    pub fn ticket_frames(&self) -> &ticket_frames::TicketFrames {
        &self.ticket_frames
    }

    /// The latest published model.
    pub fn current(&self) -> Arc<ReadModel> {
        lock(&self.published).model.clone()
    }

    /// The business day of the latest published model.
    pub fn day(&self) -> NaiveDate {
        self.current().day()
    }

    pub fn receivers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Replaces the model (start-up: the day replayed from the journal); no frame is sent.
    pub fn reset(&self, model: ReadModel) {
        let shared = Arc::new(model.clone());
        *lock(&self.working) = model;
        lock(&self.published).model = shared;
        self.ticket_frames.clear();
    }

    /// Recomputes lines and snapshot at `now` and publishes them; no frame is sent.
    pub fn refresh(&self, now: DateTime<FixedOffset>) {
        let mut working = lock(&self.working);
        working.refresh(now);
        lock(&self.published).model = Arc::new(working.clone());
        // Same seq, places recomputed at `now`: frames "as of" that seq may differ.
        self.ticket_frames.clear();
    }

    /// Publishes a committed batch: the model after it, then its frames. What it replaced
    /// comes back as [`Retired`], for the caller to drop once the clerks are answered.
    pub fn publish(&self, envs: &[Arc<Envelope>], now: DateTime<FixedOffset>) -> Retired {
        let mut retired = Retired::default();
        if envs.is_empty() {
            return retired;
        }
        let mut working = lock(&self.working);
        working.apply(envs, now);
        let model = Arc::new(working.clone());
        drop(working);
        // Serialised once for every frame of the batch and audience (spliced as it is).
        let brief = model.queue_brief();
        let raw = serde_json::value::to_raw_value(&brief);
        let frames: Vec<Arc<Frame>> = envs
            .iter()
            .map(|env| {
                Arc::new(match &raw {
                    Ok(raw) => Frame::encode(env, &**raw),
                    Err(_) => Frame::encode(env, &brief),
                })
            })
            .collect();
        let mut published = lock(&self.published);
        retired.model = Some(std::mem::replace(&mut published.model, model));
        for f in frames {
            published.ring.push_back(f.clone());
            if published.ring.len() > self.ring {
                retired.frames.extend(published.ring.pop_front());
            }
            // No receivers is fine: nobody is watching.
            let _ = self.tx.send(f);
        }
        retired
    }

    /// Subscribes to frames after `since` (or after the current model).
    pub fn subscribe(&self, since: Option<u64>) -> (Start, broadcast::Receiver<Arc<Frame>>) {
        let published = lock(&self.published);
        let rx = self.tx.subscribe();
        let now_seq = published.model.seq();
        let start = match since {
            Some(s) if s == now_seq => Start::Replay(Vec::new()),
            Some(s) if s < now_seq && published.ring.front().is_some_and(|f| f.seq <= s + 1) => {
                Start::Replay(
                    published
                        .ring
                        .iter()
                        .filter(|f| f.seq > s)
                        .cloned()
                        .collect(),
                )
            }
            _ => Start::Snapshot(published.model.clone()),
        };
        (start, rx)
    }
}
