//! The single writer. Every change to the lobby is a [`Command`] sent here; one OS thread
//! decides its events, appends them to the journal (one fsync shared by every command that
//! arrived meanwhile: group commit), applies them, answers the callers and publishes the
//! events. Ordering, unique numbers and "two clerks clicked next at once" are correct by
//! construction because nothing else ever writes.
//!
//! Backpressure: the command channel is bounded; when the disk is slow, HTTP handlers wait
//! in `send` rather than piling up unbounded work. Shutdown: when every [`EngineHandle`] is
//! dropped the channel closes, the thread finishes its batch and exits.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rand::Rng;
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

use crate::broadcast::Broadcaster;
use crate::domain::decide::{end_of_day, start_of_day};
use crate::domain::ids::{BookingCode, CounterId, TicketId, CODE_ALPHABET, CODE_LEN};
use crate::domain::spec::CentreSpec;
use crate::domain::{decide, Command, Ctx, DomainError, Envelope, Event, State};
use crate::heartbeat::{EndGuard, Heartbeat};
use crate::journal::{Journal, JournalError};
use crate::metrics::Metrics;

mod clock;
mod command_log;

pub use clock::{local_now, offset_clock, Clock, TEST_CLOCK_FILE_VAR, TEST_CLOCK_OFFSET_VAR};
use command_log::log_command;

/// Commands waiting for the writer before senders are made to wait (backpressure).
pub const QUEUE_DEPTH: usize = 4096;
/// Most commands decided and committed with one fsync.
pub const MAX_BATCH: usize = 512;

/// Who asked, for the log line of each command.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// Why the engine did not carry out a command.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The journal cannot be written: nothing was acknowledged.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// The events one command produced, as committed.
pub type Outcome = Result<Vec<Arc<Envelope>>, EngineError>;

struct Request {
    cmd: Command,
    actor: Actor,
    reply: oneshot::Sender<Outcome>,
}

enum Message {
    Command(Request),
    /// Checks the business day (sent by a timer).
    Tick,
    /// Wakes an idle writer so that it beats (`heartbeat.rs`).
    Beat,
}

/// Produces the playlist of a call.
pub type Announce = Box<dyn Fn(&str, CounterId) -> Vec<String> + Send>;
/// The kiosks' printers as their print queues last saw them (an input of the alerts).
pub type PrinterSource = Arc<dyn Fn() -> Vec<crate::domain::alerts::PrinterInput> + Send + Sync>;
/// The cheap, cloneable way to reach the writer.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<Message>,
    heartbeat: Heartbeat,
}

impl EngineHandle {
    /// Sends a command and waits until its events are durable (or it was refused).
    pub async fn execute(&self, cmd: Command, actor: Actor) -> Outcome {
        let (reply, rx) = oneshot::channel();
        let msg = Message::Command(Request { cmd, actor, reply });
        if self.tx.send(msg).await.is_err() {
            return Err(EngineError::Unavailable("the engine has stopped".into()));
        }
        rx.await
            .unwrap_or_else(|_| Err(EngineError::Unavailable("the engine has stopped".into())))
    }

    /// Asks the engine to check for a new business day.
    pub async fn tick(&self) {
        let _ = self.tx.send(Message::Tick).await;
    }

    /// Asks for a check without waiting: when the writer's queue is full the timer's next
    /// tick (every 10 s) does it.
    pub fn try_tick(&self) {
        let _ = self.tx.try_send(Message::Tick);
    }

    /// The writer's pulse (`/healthz`, the systemd watchdog).
    pub fn heartbeat(&self) -> &Heartbeat {
        &self.heartbeat
    }
}

/// Everything the writer thread owns.
pub struct Engine {
    /// The effective spec: the config file's ([`Engine::base`]) with the admin page's
    /// changes (`state.overlay`), recomputed when the overlay moves.
    spec: Arc<CentreSpec>,
    base: Arc<CentreSpec>,
    /// The overlay version [`Engine::spec`] was computed from.
    spec_version: Option<u64>,
    state: State,
    journal: Journal,
    journal_dir: PathBuf,
    read: Arc<Broadcaster>,
    metrics: Arc<Metrics>,
    announce: Announce,
    clock: Clock,
    /// A failed write left `state` ahead of the journal and re-reading it failed too: no
    /// command may be decided until [`Engine::reload`] succeeds.
    stale: bool,
    /// The business day for which [`Engine::check_purge`] last ran (it runs once a day).
    purge_checked: Option<NaiveDate>,
    /// Rewrites old day files without the purged personal data, off this thread.
    compaction: crate::journal::compact::Background,
    /// The printers' condition for the alerts (none until [`Engine::watch_printers`]).
    printers: Option<PrinterSource>,
    /// The devices' presence, for their alerts (`domain::device_alerts`); None: no such alerts.
    devices: Option<Arc<crate::devices::Presence>>,
}

impl Engine {
    /// Recovers the state from the journal (closing a previous day when the clock says a new
    /// one began) and publishes it. Errors name the file and line that stop recovery.
    pub fn recover(
        spec: Arc<CentreSpec>,
        journal_dir: PathBuf,
        read: Arc<Broadcaster>,
        metrics: Arc<Metrics>,
        announce: Announce,
        clock: Clock,
    ) -> Result<Engine, JournalError> {
        let now = local_now(&spec, &clock);
        let today = now.date_naive();
        let previous = crate::journal::days(&journal_dir)
            .into_iter()
            .rfind(|d| *d <= today);
        let mut day = previous.unwrap_or(today);
        let (mut journal, mut events) = Journal::open(&journal_dir, day)?;
        if events.is_empty() {
            // A day change cut short by a power cut: the new day's file exists, its first line
            // never became durable. The state is that of the last day with events;
            // `roll_day` below starts the new day again from it (seq, bookings, clerks).
            if let Some((last, _)) = crate::journal::last_day_with_events(&journal_dir, day)? {
                tracing::warn!(empty = %day, from = %last, "the last day change was cut short: starting it again");
                (journal, events) = Journal::open(&journal_dir, last)?;
                day = last;
            }
        }
        let state = State::replay(&spec, day, &events);
        tracing::info!(file = %journal.path().display(), events = events.len(), seq = state.seq, "journal replayed");
        read.reset(read.current().rebuilt(day, &events, now));
        let mut engine = Engine {
            spec: spec.clone(),
            base: spec,
            spec_version: None,
            state,
            journal,
            journal_dir,
            read,
            metrics,
            announce,
            clock,
            stale: false,
            purge_checked: None,
            compaction: Default::default(),
            printers: None,
            devices: None,
        };
        engine.sync_spec();
        if events.is_empty() {
            let first = start_of_day(&engine.state, day);
            engine.commit_now(vec![first], now)?;
        }
        engine.roll_day(now)?;
        engine.check_purge();
        engine.read.refresh(now);
        Ok(engine)
    }

    /// Recomputes the effective spec when the admin overlay has moved since.
    fn sync_spec(&mut self) {
        if self.spec_version != Some(self.state.overlay.version) {
            self.spec = Arc::new(self.state.overlay.effective(&self.base));
            self.spec_version = Some(self.state.overlay.version);
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Where the alert check reads the kiosks' printers from (src/print). A queue that sees
    /// its printer change sends [`EngineHandle::tick`] so the alert follows at once.
    pub fn watch_printers(&mut self, source: PrinterSource) {
        self.printers = Some(source);
    }

    /// Raises and clears device alerts from `presence` on the timer, with the state's alerts.
    pub fn watch_devices(&mut self, presence: Arc<crate::devices::Presence>) {
        self.devices = Some(presence);
    }

    /// Starts the writer thread, and the thread that wakes it while idle so that its
    /// heartbeat stays fresh (it holds no handle: it ends when the writer's channel closes).
    pub fn spawn(self) -> std::io::Result<(EngineHandle, thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let heartbeat = Heartbeat::default();
        let guard = heartbeat.guard();
        let join = thread::Builder::new()
            .name("xephang-engine".into())
            .spawn(move || self.run(rx, guard))?;
        let weak = tx.downgrade();
        crate::heartbeat::spawn_waker(move || match weak.upgrade() {
            // A full queue means the writer is busy (and beats per batch): skip this one.
            Some(tx) => !matches!(
                tx.try_send(Message::Beat),
                Err(mpsc::error::TrySendError::Closed(_))
            ),
            None => false,
        })?;
        Ok((EngineHandle { tx, heartbeat }, join))
    }

    fn run(mut self, mut rx: mpsc::Receiver<Message>, alive: EndGuard) {
        let heartbeat = alive.heartbeat();
        let fault = crate::heartbeat::fault_file();
        while let Some(first) = rx.blocking_recv() {
            crate::heartbeat::check_fault(&fault);
            heartbeat.beat();
            let mut batch = Vec::new();
            let mut ticked = false;
            match first {
                Message::Command(r) => batch.push(r),
                Message::Tick => ticked = true,
                Message::Beat => {}
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(Message::Command(r)) => batch.push(r),
                    Ok(Message::Tick) => ticked = true,
                    Ok(Message::Beat) => {}
                    Err(_) => break,
                }
            }
            if batch.is_empty() && !ticked {
                continue;
            }
            self.process(batch);
            if ticked {
                self.check_alerts();
                self.check_purge();
            }
        }
        tracing::info!(seq = self.state.seq, "engine stopped: every handle dropped");
    }

    /// Decides, commits and answers one batch of commands.
    fn process(&mut self, batch: Vec<Request>) {
        let now = local_now(&self.spec, &self.clock);
        if self.stale && !self.reload() {
            for req in batch {
                let _ = req.reply.send(Err(EngineError::Unavailable(
                    "the journal cannot be read back".into(),
                )));
            }
            return;
        }
        if let Err(e) = self.roll_day(now) {
            tracing::error!(error = %e, "could not start the new business day");
            for req in batch {
                let _ = req.reply.send(Err(EngineError::Unavailable(e.to_string())));
            }
            return;
        }
        let mut envs: Vec<Envelope> = Vec::new();
        // Per request: its events' range in `envs`, or why it was refused.
        let mut results: Vec<(Request, Result<std::ops::Range<usize>, DomainError>)> =
            Vec::with_capacity(batch.len());
        let mut rng = rand::thread_rng();
        for req in batch {
            let ctx = Ctx {
                now,
                new_id: TicketId(ulid::Ulid::new()),
                new_code: new_code(&mut rng),
                announce: &*self.announce,
            };
            let decision = decide(&self.spec, &self.state, &req.cmd, &ctx);
            let outcome = decision.map(|events| {
                let start = envs.len();
                for event in events {
                    envs.push(self.state.commit(&self.base, event, now));
                }
                start..envs.len()
            });
            self.sync_spec();
            results.push((req, outcome));
        }
        let committed = if envs.is_empty() {
            Ok(())
        } else {
            self.append(&envs)
        };
        match committed {
            Ok(()) => {
                let shared: Vec<Arc<Envelope>> = envs.into_iter().map(Arc::new).collect();
                let retired = self.read.publish(&shared, now);
                // Every caller is answered before any log line is formatted and written
                // (queued for the log thread) and before the model the batch replaced is
                // freed: neither is on the callers' path.
                let mut done = Vec::with_capacity(results.len());
                for (req, outcome) in results {
                    let reply = match &outcome {
                        Ok(r) => Ok(shared[r.clone()].to_vec()),
                        Err(e) => Err(EngineError::Domain(e.clone())),
                    };
                    let Request {
                        cmd,
                        actor,
                        reply: to,
                    } = req;
                    let _ = to.send(reply);
                    done.push((cmd, actor, outcome));
                }
                drop(retired);
                for (cmd, actor, outcome) in &done {
                    log_command(cmd, actor, outcome, &shared);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "journal write failed: refusing the batch");
                self.reload();
                for (req, outcome) in results {
                    let reply = match outcome {
                        Err(d) => Err(EngineError::Domain(d)),
                        Ok(_) => Err(EngineError::Unavailable(e.to_string())),
                    };
                    let _ = req.reply.send(reply);
                }
            }
        }
    }

    /// Raises and clears supervisor alerts (time-based, so checked on the timer).
    fn check_alerts(&mut self) {
        let now = local_now(&self.spec, &self.clock);
        if (self.stale && !self.reload()) || !self.day_is_current(now) {
            return;
        }
        let printers = self.printers.as_ref().map(|p| p()).unwrap_or_default();
        let mut events = crate::domain::alerts::check(&self.spec, &self.state, now, &printers);
        if let Some(devices) = &self.devices {
            events.extend(crate::domain::device_alerts::check(
                &self.spec,
                &self.state,
                &devices.seen(),
                devices.offline_after(),
                now,
            ));
        }
        if let Err(e) = self.commit_now(events, now) {
            tracing::error!(error = %e, "could not journal alerts");
            self.reload();
        }
    }

    /// Erases personal data older than `personal_data_days`: once per business day (at
    /// start-up, then on the first tick of each new day), when a journal day has passed the
    /// horizon. The event records the purge; `State::apply` and the readers of past days'
    /// files honour it; then older closed day files are compacted without the personal data,
    /// off this thread (`journal::compact`).
    fn check_purge(&mut self) {
        let now = local_now(&self.spec, &self.clock);
        let today = now.date_naive();
        if self.purge_checked == Some(today)
            || (self.stale && !self.reload())
            || !self.day_is_current(now)
        {
            return;
        }
        let before = crate::domain::personal::horizon(today, self.spec.personal_data_days);
        let due = self.state.purged_before.is_none_or(|b| b < before)
            && crate::journal::days(&self.journal_dir)
                .first()
                .is_some_and(|d| *d < before);
        if due {
            tracing::info!(%before, "purging personal data of earlier visits");
            if let Err(e) = self.commit_now(vec![Event::PersonalDataPurged { before }], now) {
                tracing::error!(error = %e, "could not journal the personal data purge");
                self.reload();
                return;
            }
        }
        self.purge_checked = Some(today);
        // Only a purge that is durable (today's, or one already recorded: a crash before the
        // rewrite is healed here at start-up) leaves the day files, on its own thread.
        let (dir, open_day) = (&self.journal_dir, self.journal.day());
        self.compaction
            .start(dir, self.state.purged_before, open_day);
    }

    fn append(&mut self, envs: &[Envelope]) -> Result<(), JournalError> {
        let report = self.journal.append(envs)?;
        self.metrics
            .record_fsync(report.fsync, envs.len(), report.bytes);
        Ok(())
    }

    /// After a failed write, rebuilds the state from what the journal holds durably (its
    /// committed bytes), dropping every event of the refused batch. When the journal cannot
    /// be read back the engine stays `stale` and refuses commands until it can: deciding on
    /// a state that holds unjournalled events would give out their numbers and seqs twice.
    fn reload(&mut self) -> bool {
        match self.durable_events() {
            Ok((day, events)) => {
                self.state = State::replay(&self.base, day, &events);
                self.sync_spec();
                if self.stale {
                    tracing::info!(
                        seq = self.state.seq,
                        "journal readable again: commands resume"
                    );
                }
                self.stale = false;
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "could not re-read the journal after a failed write");
                self.stale = true;
                false
            }
        }
    }

    /// The durable events of the current day with that day. When the day's file is still
    /// empty (a new day whose `day_started` could not be written), the last day that has
    /// events, so that [`Engine::roll_day`] starts the new day again from its end.
    fn durable_events(&self) -> Result<(NaiveDate, Vec<Envelope>), JournalError> {
        let day = self.journal.day();
        let events = self.journal.read_committed()?;
        if !events.is_empty() {
            return Ok((day, events));
        }
        Ok(crate::journal::last_day_with_events(&self.journal_dir, day)?.unwrap_or((day, events)))
    }

    /// Appends, applies and publishes events outside a command (day changes).
    fn commit_now(
        &mut self,
        events: Vec<Event>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), JournalError> {
        let envs: Vec<Envelope> = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| Envelope {
                seq: self.state.seq + 1 + i as u64,
                at: now,
                event,
            })
            .collect();
        if envs.is_empty() {
            return Ok(());
        }
        self.append(&envs)?;
        for env in &envs {
            self.state.apply(&self.base, env);
        }
        self.sync_spec();
        let shared: Vec<Arc<Envelope>> = envs.into_iter().map(Arc::new).collect();
        self.read.publish(&shared, now);
        Ok(())
    }

    /// Starts the new business day if it is due, before anything else is journalled outside a
    /// command (alerts, purges): once the journal has turned to a new day's file, an event of
    /// the old day's state must never land in it ahead of `day_started`. False when the day
    /// could not be started (storage fails); the caller then journals nothing.
    fn day_is_current(&mut self, now: DateTime<FixedOffset>) -> bool {
        match self.roll_day(now) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "could not start the new business day");
                false
            }
        }
    }

    /// Ends the journal's day and starts today's when the business day has changed: tickets
    /// left waiting expire (in the old day's file), the new file begins with `day_started`.
    fn roll_day(&mut self, now: DateTime<FixedOffset>) -> Result<(), JournalError> {
        let today: NaiveDate = now.date_naive();
        if today <= self.state.day {
            return Ok(());
        }
        let expired = end_of_day(&self.state, now);
        tracing::info!(from = %self.state.day, to = %today, expired = expired.len(), "new business day");
        self.commit_now(expired, now)?;
        self.journal.rotate(today)?;
        let first = start_of_day(&self.state, today);
        self.commit_now(vec![first], now)
    }
}

fn new_code(rng: &mut impl Rng) -> BookingCode {
    let code = (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    BookingCode(code)
}
