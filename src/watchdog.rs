//! systemd's side of the daemon (`Type=notify`, `WatchdogSec=` in the unit, see `pkg/`):
//! `READY=1` once the daemon listens, `STOPPING=1` when it shuts down, and `WATCHDOG=1`
//! every half watchdog period **only while the writer's heartbeat is fresh**
//! (`heartbeat.rs`). A writer that panicked or hangs stops the feeding; systemd then kills
//! the daemon and `Restart=on-failure` starts it again, instead of keeping a daemon that
//! answers reads but can record nothing. Without `NOTIFY_SOCKET` (not under systemd) every
//! call here does nothing.
//!
//! The feeder is a thread of its own (one datagram per period), not a Tokio task: it must
//! not depend on the runtime whose health it reports.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use sd_notify::NotifyState;

use crate::heartbeat::{Heartbeat, WriterHealth};

fn send(state: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(state) {
        tracing::warn!(error = %e, "cannot notify systemd");
    }
}

/// Tells systemd the daemon is up (after the listener is bound).
pub fn ready() {
    send(&[NotifyState::Ready]);
}

/// Tells systemd the daemon is stopping on purpose.
pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

/// Stops the feeder when dropped (at shutdown, so that the writer's end is not reported as
/// a failure).
pub struct Feeder {
    stop: Arc<AtomicBool>,
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts feeding systemd's watchdog from `heartbeat` when the unit asks for it
/// (`WATCHDOG_USEC`); None otherwise.
pub fn start(heartbeat: Heartbeat) -> Option<Feeder> {
    let period = sd_notify::watchdog_enabled()?;
    let every = (period / 2).max(Duration::from_millis(50));
    tracing::info!(
        period_ms = period.as_millis() as u64,
        "feeding systemd's watchdog while the writer beats"
    );
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let spawned = thread::Builder::new()
        .name("xephang-watchdog".into())
        .spawn(move || {
            let mut reported = false;
            while !stopped.load(Ordering::Relaxed) {
                match heartbeat.health() {
                    WriterHealth::Alive { .. } => {
                        send(&[NotifyState::Watchdog]);
                        reported = false;
                    }
                    other if !reported => {
                        tracing::error!(writer = ?other, "the writer is not beating: systemd's watchdog is no longer fed (the service will be restarted)");
                        reported = true;
                    }
                    _ => {}
                }
                thread::sleep(every);
            }
        });
    match spawned {
        Ok(_) => Some(Feeder { stop }),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the watchdog thread");
            None
        }
    }
}
