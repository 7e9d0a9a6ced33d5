//! One task per printer: takes its jobs one at a time from a bounded queue, draws and sends
//! each within a deadline, retries only what can be retried without printing twice (a
//! connection refused or dropped before any byte of the ticket left), and while the printer
//! is out of paper or offline looks at it every few seconds so the supervisor's alert clears
//! as soon as it is fixed. Jobs never wait behind a dead printer: while it is known to be
//! down they fail at once, and the kiosk shows the ticket on screen instead.
//!
//! Nothing here is awaited by a request or by the engine: handlers only `try_send` a job.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep, sleep_until, Instant};

use super::content::TicketContent;
use super::health::{Condition, Notice};
use super::transport::{Failure, Limits, Sent, Transport};
use super::{escpos, render, Printer};
use crate::domain::alerts::PrinterFault;
use crate::domain::ids::TicketId;

/// Jobs waiting for one printer before kiosks are told at once that it cannot print.
pub const QUEUE_DEPTH: usize = 16;
/// A job still waiting this long after the ticket was issued is dropped, never printed: the
/// citizen has long left the kiosk with the number from the screen.
pub const JOB_DEADLINE: Duration = Duration::from_secs(20);
/// Attempts of one job (only refused or dropped connections are tried again).
const ATTEMPTS: u32 = 3;
/// While the printer is down: how often it is looked at, and how long after a failed
/// attempt jobs fail at once without trying.
pub const LOOK_EVERY: Duration = Duration::from_secs(3);

/// One ticket to print.
#[derive(Debug, Clone)]
pub struct Job {
    pub ticket: TicketId,
    pub content: TicketContent,
    pub enqueued: Instant,
    pub reprint: bool,
}

/// What the queue needs from the daemon.
pub struct Env {
    /// Now, in the centre's time zone (the engine's clock).
    pub now: Box<dyn Fn() -> DateTime<FixedOffset> + Send + Sync>,
    /// Called when the printer's condition changed (the engine checks the alerts).
    pub changed: Box<dyn Fn() + Send + Sync>,
}

/// Runs `printer`'s queue until `shutdown` turns true or every sender is gone.
pub async fn run(
    printer: Arc<Printer>,
    mut rx: mpsc::Receiver<Job>,
    env: Env,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let transport = Transport::new(printer.spec.target.clone(), limits);
    let mut q = Queue {
        printer,
        transport,
        env,
        last_try: None,
    };
    q.look().await;
    let mut next_look = Instant::now() + LOOK_EVERY;
    loop {
        let down = q.printer.health().condition.blocks();
        tokio::select! {
            job = rx.recv() => match job {
                Some(job) => q.handle(job).await,
                None => break,
            },
            () = sleep_until(next_look), if down => {
                q.look().await;
                next_look = Instant::now() + LOOK_EVERY;
            }
            _ = shutdown.changed() => {
                if *shutdown.borrow() {
                    break;
                }
            }
        }
        if !down {
            next_look = Instant::now() + LOOK_EVERY;
        }
    }
    tracing::info!(printer = %q.printer.name, "print queue stopped");
}

struct Queue {
    printer: Arc<Printer>,
    transport: Transport,
    env: Env,
    /// When a job or a look last reached for the printer.
    last_try: Option<Instant>,
}

impl Queue {
    /// Looks at the printer without printing (status, or whether the device opens).
    async fn look(&mut self) {
        self.last_try = Some(Instant::now());
        let out = self.transport.send(&[]).await;
        self.record(&out, None);
    }

    async fn handle(&mut self, job: Job) {
        let name = self.printer.name.clone();
        if job.enqueued.elapsed() > JOB_DEADLINE {
            tracing::warn!(printer = %name, ticket = %job.content.number, "print job too old: dropped");
            return self.failed(&job, "expired");
        }
        let condition = self.printer.health().condition;
        let recent = self.last_try.is_some_and(|t| t.elapsed() < LOOK_EVERY);
        if condition.blocks() && recent {
            return self.failed(&job, condition.word());
        }
        let paper = self.printer.spec.paper;
        let content = job.content.clone();
        let drawn = tokio::task::spawn_blocking(move || {
            render::render(&content, paper).map(|r| escpos::encode(&r))
        })
        .await;
        let bytes = match drawn {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                tracing::error!(printer = %name, error = %e, "cannot draw the ticket");
                return self.failed(&job, "render");
            }
            Err(e) => {
                tracing::error!(printer = %name, error = %e, "ticket drawing task failed");
                return self.failed(&job, "render");
            }
        };
        let mut attempt = 1;
        let out = loop {
            self.last_try = Some(Instant::now());
            let out = self.transport.send(&bytes).await;
            match &out {
                Err(f)
                    if f.retryable()
                        && attempt < ATTEMPTS
                        && job.enqueued.elapsed() < JOB_DEADLINE =>
                {
                    tracing::debug!(printer = %name, attempt, error = %f, "print attempt failed; trying again");
                    sleep(Duration::from_millis(250 * u64::from(attempt))).await;
                    attempt += 1;
                }
                _ => break out,
            }
        };
        self.record(&out, Some(&job));
    }

    /// Updates the printer's health after an attempt (and its counts for a job), tells the
    /// kiosk, and has the alerts checked when the condition changed.
    fn record(&mut self, out: &Result<Sent, Failure>, job: Option<&Job>) {
        let now = (self.env.now)();
        let fault = match out {
            Ok(sent) => sent.paper_low.then_some(PrinterFault::PaperLow),
            Err(f) if f.is_paper_out() => Some(PrinterFault::PaperOut),
            Err(_) => Some(PrinterFault::Offline),
        };
        let changed = {
            let mut h = self.printer.lock_health();
            let before = h.condition;
            h.condition = before.next(fault, now);
            match (out, job) {
                (Ok(_), Some(_)) => {
                    h.printed += 1;
                    h.last_printed_at = Some(now);
                }
                (Err(_), Some(_)) => h.failed += 1,
                _ => {}
            }
            if let Err(f) = out {
                h.last_error = Some(f.to_string());
                h.last_reason = Some(f.reason());
                h.last_error_at = Some(now);
            }
            before != h.condition || matches!(before, Condition::Unknown)
        };
        match (out, job) {
            (Ok(_), Some(job)) => {
                tracing::info!(printer = %self.printer.name, ticket = %job.content.number, reprint = job.reprint, "ticket printed");
                self.printer.notify(job, "printed", None);
            }
            (Err(f), Some(job)) => {
                tracing::warn!(printer = %self.printer.name, ticket = %job.content.number, error = %f, "ticket not printed");
                self.printer.notify(job, "failed", Some(f.reason()));
            }
            (Err(f), None) => {
                tracing::debug!(printer = %self.printer.name, error = %f, "printer still down")
            }
            (Ok(_), None) => {}
        }
        if changed {
            let h = self.printer.health();
            tracing::info!(printer = %self.printer.name, state = h.condition.word(), "printer condition changed");
            (self.env.changed)();
        }
    }

    /// A job that will not print (without trying, or after its attempts).
    fn failed(&mut self, job: &Job, reason: &'static str) {
        self.printer.lock_health().failed += 1;
        self.printer.notify(job, "failed", Some(reason));
    }
}

impl Notice {
    pub(super) fn of(
        printer: &str,
        job: &Job,
        status: &'static str,
        reason: Option<&'static str>,
    ) -> Notice {
        Notice {
            printer: printer.to_string(),
            ticket: job.ticket,
            number: job.content.number.clone(),
            status,
            reason,
            reprint: job.reprint,
        }
    }
}
