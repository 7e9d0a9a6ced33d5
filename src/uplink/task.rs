//! The uplink task: one more subscriber of the lobby's event stream, on its own task. It
//! sends committed events in seq order, in batches, personal data removed, and resumes after
//! the hub's last seq; when it is more than a few events behind it reads the journal back.
//! It never blocks the engine: the broadcaster drops a subscriber that lags
//! ([`crate::broadcast`]), and a lag only switches this task to the journal.
//!
//! Batching: while a request is in flight new events queue up; the next request takes all
//! of them (up to [`wire::MAX_EVENTS`]), so a busy lobby sends one request per round trip
//! and an idle one sends each event at once. A heartbeat (an empty push) every
//! [`HEARTBEAT`] keeps the hub's "last heard" fresh. Failures back off exponentially
//! (250 ms → 30 s) with jitter; a refused identity waits a minute between tries.
//!
//! Where the CPU goes: a live batch (at most [`ENCODE_INLINE_MAX`] events, what a click
//! makes) is scrubbed and encoded here, a few microseconds. Anything larger — a catch-up
//! after the hub or the network was away, up to 2,000 events and ~1 MB of JSON per push — is
//! read back, scrubbed and encoded on the uplink's own thread at idle CPU priority
//! ([`super::reader`]), the next batch while the current one is in flight; what is left here
//! per push is the HTTP request itself (the body's head, one copy, the socket writes). A
//! catch-up is paced: pushes of [`CATCH_UP_BATCH`] events, at most [`CATCH_UP_PER_S`]
//! events a second, so that neither the lobby's share of it nor the hub's ingest competes
//! with the clerks (measured by `cargo bench --bench hub_lobby`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::watch;

use super::reader::{Batch, Pending, Reader, ReaderError};
use super::wire::{self, Ack, ErrorBody, PushHead};
use crate::broadcast::Broadcaster;
use crate::config::Uplink;
use crate::domain::scrub::scrub;
use crate::domain::spec::CentreSpec;
use crate::domain::Envelope;
use crate::metrics::Metrics;
use crate::read::CentreInfo;

/// An idle uplink pushes an empty batch this often.
pub const HEARTBEAT: Duration = Duration::from_secs(20);
/// Most events a push takes from the live stream, scrubbed and encoded on this task; when
/// the hub is further behind, the reader thread serves from the journal.
pub const ENCODE_INLINE_MAX: usize = 64;
/// Events kept from the live stream while the hub is away; past it, the journal serves.
const LIVE_MAX: usize = 1024;
/// Events per second a catch-up ships at the most: a day of a busy centre (~20,000 events)
/// in 4 s, a month in under 2 minutes, while the hub's ingest and the pushes stay small
/// next to the clerks' work (`cargo bench --bench hub_lobby`: unpaced, the catch-up doubled
/// the lobby's p99 even with the hub at idle priority).
const CATCH_UP_PER_S: f64 = 5_000.0;
/// Events per catch-up push: short pushes (~120 KB) rather than a few long ones (~1 MB), so
/// no single request holds a worker or the loopback for long.
const CATCH_UP_BATCH: usize = 250;
const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
const REFUSED_WAIT: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

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

/// The events of the next push, encoded as the wire format's `events` array.
enum Outgoing {
    /// A few events from the live stream.
    Live { json: Vec<u8>, count: usize },
    /// A batch from the reader thread.
    ReadBack(Batch),
}

impl Outgoing {
    fn json(&self) -> &[u8] {
        match self {
            Outgoing::Live { json, .. } => json,
            Outgoing::ReadBack(b) => &b.json,
        }
    }
    fn count(&self) -> usize {
        match self {
            Outgoing::Live { count, .. } => *count,
            Outgoing::ReadBack(b) => b.filled.count,
        }
    }
}

/// The reader thread's batches: the one being prepared and the last one, kept while its
/// push has not succeeded (a retry sends it again without reading it back twice).
struct ReadBacks {
    reader: Reader,
    pending: Option<(u64, Pending)>,
    held: Option<Batch>,
}

impl ReadBacks {
    /// The batch from seq `n` (to at most `upto`), and the request of the one after it.
    async fn take(&mut self, n: u64, upto: u64) -> Result<Batch, ReaderError> {
        let batch = match self.held.take() {
            Some(b) if b.from == n && b.filled.last <= upto => b,
            _ => {
                let p = match self.pending.take() {
                    Some((from, p)) if from == n => p,
                    _ => self.reader.request(n, upto, CATCH_UP_BATCH),
                };
                Reader::wait(p).await?
            }
        };
        let after = batch.filled.last + 1;
        let prepared = matches!(&self.pending, Some((from, _)) if *from == after);
        if batch.filled.count > 0 && after <= upto && !prepared {
            // Prepared on the reader thread while this one is in flight.
            self.pending = Some((after, self.reader.request(after, upto, CATCH_UP_BATCH)));
        }
        Ok(batch)
    }

    /// After the push of `out`: a batch that failed is kept for the retry.
    fn done(&mut self, out: Outgoing, sent: bool) {
        if let (Outgoing::ReadBack(b), false) = (out, sent) {
            self.held = Some(b);
        }
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
        let mut reads = match Reader::spawn(self.journal.clone()) {
            Ok(reader) => ReadBacks {
                reader,
                pending: None,
                held: None,
            },
            Err(e) => {
                status.failed("thread", &e.to_string(), false);
                tracing::error!(error = %e, "uplink: cannot start its reader thread; the uplink is off");
                return;
            }
        };
        let (_, mut rx) = self.read.subscribe(None);
        let mut live: VecDeque<Arc<Envelope>> = VecDeque::new();
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
                    match self.push(&client, b"[]", send_spec, lobby_seq).await {
                        Ok(ack) => {
                            send_spec = false;
                            backoff = Backoff(0);
                            last_push = tokio::time::Instant::now();
                            next = Some(if ack.last_seq > 0 {
                                ack.last_seq + 1
                            } else {
                                self.first_seq(&reads.reader, lobby_seq).await
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
                    let out = if lobby_seq < n {
                        None
                    } else if live.front().is_some_and(|e| e.seq == n)
                        && lobby_seq - n < ENCODE_INLINE_MAX as u64
                    {
                        let events = contiguous(live.iter().map(|e| e.as_ref()), n);
                        match wire::events_json(&events) {
                            Ok(json) => Some(Outgoing::Live {
                                json,
                                count: events.len(),
                            }),
                            Err(e) => {
                                tracing::error!(error = %e, "uplink: cannot encode live events; reading them back");
                                live.clear();
                                continue;
                            }
                        }
                    } else {
                        let taken = tokio::select! {
                            b = reads.take(n, lobby_seq) => b,
                            _ = self.shutdown.changed() => return,
                        };
                        match taken {
                            Ok(b) if b.filled.count == 0 => None,
                            Ok(b) => Some(Outgoing::ReadBack(b)),
                            Err(ReaderError::Gone) => {
                                status.failed("thread", "the reader thread is gone", false);
                                tracing::error!(
                                    "uplink: its reader thread is gone; the uplink is off"
                                );
                                return;
                            }
                            Err(e) => {
                                status.failed("journal", &e.to_string(), false);
                                tracing::error!(error = %e, "uplink: cannot read the journal back");
                                let wait = backoff.next();
                                tokio::select! {
                                    _ = tokio::time::sleep(wait) => {}
                                    _ = self.shutdown.changed() => return,
                                }
                                continue;
                            }
                        }
                    };
                    let heartbeat_due = last_push.elapsed() >= HEARTBEAT;
                    if out.is_none() && !heartbeat_due {
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
                    let (json, count): (&[u8], usize) = match &out {
                        Some(o) => (o.json(), o.count()),
                        None => (b"[]", 0),
                    };
                    let started = tokio::time::Instant::now();
                    let read_back = matches!(out, Some(Outgoing::ReadBack(_)));
                    let result = self.push(&client, json, send_spec, lobby_seq).await;
                    if let Some(o) = out {
                        reads.done(o, result.is_ok());
                    }
                    match result {
                        Ok(ack) => {
                            send_spec = false;
                            backoff = Backoff(0);
                            last_push = tokio::time::Instant::now();
                            next = Some(ack.last_seq + 1);
                            status.ok(ack.last_seq, count);
                            let due = Duration::from_secs_f64(count as f64 / CATCH_UP_PER_S);
                            read_back
                                .then(|| due.checked_sub(started.elapsed()))
                                .flatten()
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
    async fn first_seq(&self, reader: &Reader, lobby_seq: u64) -> u64 {
        match reader.start_of_current_day().await {
            Ok(Some(seq)) => seq,
            _ => lobby_seq + 1,
        }
    }

    /// One request: the head (centre, identity, the lobby's seq, the spec when asked) and
    /// `events`, a JSON array already encoded.
    async fn push(
        &self,
        client: &reqwest::Client,
        events: &[u8],
        with_spec: bool,
        lobby_seq: u64,
    ) -> Result<Ack, PushError> {
        let head = PushHead {
            centre: &self.cfg.centre,
            identity: &self.identity,
            lobby_seq,
            spec: with_spec.then_some(self.spec.as_ref()),
            info: with_spec.then_some(&self.info),
        };
        let encoded = wire::encode(&head, events)
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
    use crate::domain::tests::fixtures::{nine_am, phone_rating};
    use crate::domain::Event;

    fn env(seq: u64) -> Envelope {
        Envelope {
            seq,
            at: nine_am(),
            event: phone_rating("call me"),
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
