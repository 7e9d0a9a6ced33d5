//! The uplink task: one more subscriber of the lobby's event stream, on its own task. It
//! sends committed events in seq order, in batches, personal data removed, and resumes after
//! the hub's last seq; when it has fallen behind it reads the journal back. It never blocks
//! the engine: the broadcaster drops a subscriber that lags ([`crate::broadcast`]), and a
//! lag only switches this task to the journal.
//!
//! Batching: while a request is in flight new events queue up; the next request takes all
//! of them (up to [`wire::MAX_EVENTS`]), so a busy lobby sends one request per round trip
//! and an idle one sends each event at once. A heartbeat (an empty push) every
//! [`HEARTBEAT`] keeps the hub's "last heard" fresh. Failures back off exponentially
//! (250 ms → 30 s) with jitter; a refused identity waits a minute between tries. A
//! catch-up from the journal paces itself (a pause as long as each push).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{watch, Mutex};

use super::source::JournalSource;
use super::wire::{self, Ack, ErrorBody, Push};
use crate::broadcast::Broadcaster;
use crate::config::Uplink;
use crate::domain::scrub::scrub;
use crate::domain::spec::CentreSpec;
use crate::domain::Envelope;
use crate::metrics::Metrics;
use crate::read::CentreInfo;

/// An idle uplink pushes an empty batch this often.
pub const HEARTBEAT: Duration = Duration::from_secs(20);
/// Events kept from the live stream while the hub is away; past it, the journal serves.
const LIVE_MAX: usize = 20_000;
const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
const REFUSED_WAIT: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Batches up to this many events are encoded in place (a live call is a few events); larger
/// ones — a read-back from the journal — on a blocking thread.
const ENCODE_INLINE_MAX: usize = 64;
/// Catching up (a read-back batch), the uplink pauses after each push as long as the push
/// took, at most this: half the time for the catch-up, so a backlog of hours never holds the
/// cores of a small lobby PC against the clerks and the boards (measured by
/// `cargo bench --bench hub_lobby`, "hub catching up").
const READ_BACK_PAUSE_MAX: Duration = Duration::from_secs(1);

pub struct Task {
    pub cfg: Uplink,
    pub identity: String,
    pub spec: Arc<CentreSpec>,
    pub info: CentreInfo,
    pub read: Arc<Broadcaster>,
    pub journal: std::path::PathBuf,
    pub metrics: Arc<Metrics>,
    pub shutdown: watch::Receiver<bool>,
}

enum PushError {
    /// The hub answered with an error code.
    Hub { code: String, message: String },
    /// No answer (connection refused, timeout, a proxy's 5xx without our JSON…).
    Transport(String),
}

struct Backoff(u32);

impl Backoff {
    fn next(&mut self) -> Duration {
        let base = BACKOFF_MIN
            .saturating_mul(1 << self.0.min(8))
            .min(BACKOFF_MAX);
        self.0 += 1;
        // Full jitter on the upper half: many lobbies coming back never hit the hub at once.
        base.mul_f64(rand::thread_rng().gen_range(0.5..1.0))
    }
}

impl Task {
    pub async fn run(mut self) {
        let status = &self.metrics.uplink;
        let client = match reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                status.failed("client", &e.to_string(), false);
                tracing::error!(error = %e, "uplink: cannot build the HTTP client; the uplink is off");
                return;
            }
        };
        let source = Arc::new(Mutex::new(JournalSource::new(self.journal.clone())));
        let (_, mut rx) = self.read.subscribe(None);
        let mut live: VecDeque<Arc<Envelope>> = VecDeque::new();
        let mut backlog: VecDeque<Envelope> = VecDeque::new();
        let mut next: Option<u64> = None;
        let mut send_spec = true;
        let mut backoff = Backoff(0);
        let mut last_push = tokio::time::Instant::now();
        tracing::info!(hub = %self.cfg.url, centre = %self.cfg.centre, "uplink started");
        loop {
            if *self.shutdown.borrow() {
                return;
            }
            // Everything the broadcaster has published since the last round.
            loop {
                match rx.try_recv() {
                    Ok(f) => live.push_back(f.envelope.clone()),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Lagged(_)) => live.clear(),
                    Err(TryRecvError::Closed) => return,
                }
            }
            if live.len() > LIVE_MAX {
                live.clear();
            }
            let lobby_seq = self.read.current().seq();
            status.lobby_seq(lobby_seq);

            let wait = match next {
                None => {
                    // Handshake: where does the hub stand?
                    match self.push(&client, Vec::new(), send_spec, lobby_seq).await {
                        Ok(ack) => {
                            send_spec = false;
                            backoff = Backoff(0);
                            last_push = tokio::time::Instant::now();
                            next = Some(if ack.last_seq > 0 {
                                ack.last_seq + 1
                            } else {
                                self.first_seq(&source, lobby_seq).await
                            });
                            status.ok(ack.last_seq, 0);
                            None
                        }
                        Err(e) => Some(self.on_error(e, &mut send_spec, &mut next, &mut backoff)),
                    }
                }
                Some(n) => {
                    while live.front().is_some_and(|e| e.seq < n) {
                        live.pop_front();
                    }
                    while backlog.front().is_some_and(|e| e.seq < n) {
                        backlog.pop_front();
                    }
                    let batch: Vec<Envelope> = if live.front().is_some_and(|e| e.seq == n) {
                        contiguous(live.iter().map(|e| e.as_ref()), n)
                    } else if lobby_seq >= n {
                        if backlog.front().map(|e| e.seq) != Some(n) {
                            backlog = self.read_back(&source, n).await.into();
                        }
                        contiguous(backlog.iter(), n)
                    } else {
                        Vec::new()
                    };
                    let heartbeat_due = last_push.elapsed() >= HEARTBEAT;
                    if batch.is_empty() && !heartbeat_due {
                        // Idle: wait for the next event, the heartbeat or shutdown.
                        let until = last_push + HEARTBEAT;
                        tokio::select! {
                            f = rx.recv() => match f {
                                Ok(f) => live.push_back(f.envelope.clone()),
                                Err(RecvError::Lagged(_)) => live.clear(),
                                Err(RecvError::Closed) => return,
                            },
                            _ = tokio::time::sleep_until(until) => {}
                            _ = self.shutdown.changed() => return,
                        }
                        continue;
                    }
                    let count = batch.len();
                    let started = tokio::time::Instant::now();
                    match self.push(&client, batch, send_spec, lobby_seq).await {
                        Ok(ack) => {
                            send_spec = false;
                            backoff = Backoff(0);
                            last_push = tokio::time::Instant::now();
                            next = Some(ack.last_seq + 1);
                            status.ok(ack.last_seq, count);
                            // A read-back takes turns with the lobby (see READ_BACK_PAUSE_MAX).
                            (count > ENCODE_INLINE_MAX)
                                .then(|| started.elapsed().min(READ_BACK_PAUSE_MAX))
                        }
                        Err(e) => Some(self.on_error(e, &mut send_spec, &mut next, &mut backoff)),
                    }
                }
            };
            if let Some(wait) = wait {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = self.shutdown.changed() => return,
                }
            }
        }
    }

    /// Records a failure and says how long to wait before the next try.
    fn on_error(
        &self,
        e: PushError,
        send_spec: &mut bool,
        next: &mut Option<u64>,
        backoff: &mut Backoff,
    ) -> Duration {
        let status = &self.metrics.uplink;
        match e {
            PushError::Hub { code, message } => {
                let refused = code == "identity_mismatch";
                status.failed(&code, &message, refused);
                match code.as_str() {
                    "spec_needed" => {
                        *send_spec = true;
                        Duration::ZERO
                    }
                    "uplink_gap" => {
                        *next = None;
                        Duration::ZERO
                    }
                    _ if refused => {
                        tracing::error!(%message, "uplink: the hub refuses this lobby");
                        REFUSED_WAIT
                    }
                    _ => {
                        let wait = backoff.next();
                        tracing::warn!(%code, %message, retry_ms = wait.as_millis() as u64, "uplink: the hub refused a batch");
                        wait
                    }
                }
            }
            PushError::Transport(message) => {
                status.failed("unreachable", &message, false);
                let wait = backoff.next();
                tracing::warn!(%message, retry_ms = wait.as_millis() as u64, "uplink: hub unreachable");
                wait
            }
        }
    }

    /// Where a lobby new to the hub starts: its current business day.
    async fn first_seq(&self, source: &Arc<Mutex<JournalSource>>, lobby_seq: u64) -> u64 {
        let source = source.clone();
        let first =
            tokio::task::spawn_blocking(move || source.blocking_lock().start_of_current_day())
                .await;
        match first {
            Ok(Ok(Some(seq))) => seq,
            _ => lobby_seq + 1,
        }
    }

    async fn read_back(&self, source: &Arc<Mutex<JournalSource>>, next: u64) -> Vec<Envelope> {
        let source = source.clone();
        match tokio::task::spawn_blocking(move || source.blocking_lock().from_seq(next)).await {
            Ok(Ok(events)) => events,
            Ok(Err(e)) => {
                self.metrics.uplink.failed("journal", &e.to_string(), false);
                tracing::error!(error = %e, "uplink: cannot read the journal back");
                Vec::new()
            }
            Err(_) => Vec::new(),
        }
    }

    async fn push(
        &self,
        client: &reqwest::Client,
        events: Vec<Envelope>,
        with_spec: bool,
        lobby_seq: u64,
    ) -> Result<Ack, PushError> {
        let body = Push {
            centre: self.cfg.centre.clone(),
            identity: self.identity.clone(),
            lobby_seq,
            spec: with_spec.then(|| (*self.spec).clone()),
            info: with_spec.then(|| self.info.clone()),
            events,
        };
        // A catch-up push is 2,000 events (~1 MB of JSON): encoded on a blocking thread, not
        // on the async workers that serve the clerks and the boards.
        let encoded = if body.events.len() > ENCODE_INLINE_MAX {
            tokio::task::spawn_blocking(move || serde_json::to_vec(&body))
                .await
                .map_err(|e| PushError::Transport(format!("encoding the batch: {e}")))?
        } else {
            serde_json::to_vec(&body)
        }
        .map_err(|e| PushError::Transport(format!("encoding the batch: {e}")))?;
        let resp = client
            .post(format!("{}/api/v1/uplink", self.cfg.url))
            .bearer_auth(&self.cfg.token)
            .header("Accept-Language", "en")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(encoded)
            .send()
            .await
            .map_err(|e| PushError::Transport(e.to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| PushError::Transport(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice::<Ack>(&bytes)
                .map_err(|e| PushError::Transport(format!("bad answer from the hub: {e}")));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(b) => Err(PushError::Hub {
                code: b.error.code,
                message: b.error.message,
            }),
            Err(_) => Err(PushError::Transport(format!("HTTP {status}"))),
        }
    }
}

/// The run of events from seq `n` on, without a gap, at most [`wire::MAX_EVENTS`], with
/// personal data removed.
fn contiguous<'a>(events: impl Iterator<Item = &'a Envelope>, n: u64) -> Vec<Envelope> {
    let mut out = Vec::new();
    for (want, e) in (n..).zip(events) {
        if e.seq != want || out.len() >= wire::MAX_EVENTS {
            break;
        }
        out.push(Envelope {
            seq: e.seq,
            at: e.at,
            event: scrub(&e.event),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Rating, RatingSource};
    use crate::domain::ids::{ServiceId, TicketId};
    use crate::domain::Event;
    use chrono::{FixedOffset, TimeZone};

    fn env(seq: u64) -> Envelope {
        let at = FixedOffset::east_opt(7 * 3600)
            .and_then(|tz| tz.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single())
            .expect("time");
        Envelope {
            seq,
            at,
            event: Event::Rating(Rating {
                ticket: TicketId(ulid::Ulid::nil()),
                number: "1001".into(),
                service: ServiceId::new("hotich"),
                counter: None,
                clerk: None,
                score: 4,
                comment: Some("call me".into()),
                source: RatingSource::Phone,
                phone: Some("0912345678".into()),
            }),
        }
    }

    #[test]
    fn a_batch_is_the_run_from_n_scrubbed_and_bounded() {
        let evs: Vec<Envelope> = [5, 6, 7, 9, 10].into_iter().map(env).collect();
        let batch = contiguous(evs.iter(), 5);
        assert_eq!(
            batch.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![5, 6, 7]
        );
        assert!(batch.iter().all(
            |e| matches!(&e.event, Event::Rating(r) if r.phone.is_none() && r.comment.is_none())
        ));
        assert!(contiguous(evs.iter(), 6).is_empty(), "must start at n");
        let many: Vec<Envelope> = (1..=(wire::MAX_EVENTS as u64 + 10)).map(env).collect();
        assert_eq!(contiguous(many.iter(), 1).len(), wire::MAX_EVENTS);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let mut b = Backoff(0);
        let first = b.next();
        assert!(
            first >= BACKOFF_MIN / 2 && first <= BACKOFF_MIN,
            "{first:?}"
        );
        for _ in 0..20 {
            assert!(b.next() <= BACKOFF_MAX);
        }
        assert!(b.next() >= BACKOFF_MAX / 2);
    }
}
