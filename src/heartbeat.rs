//! Is the single writer alive? Every change to the lobby goes through one thread
//! (`engine.rs`); if it panics or hangs, every write fails while the HTTP side, the sockets
//! and the read model still look fine. So the writer beats: it stores the time of each turn
//! of its loop in an atomic, and a small thread of its own wakes it at least every
//! [`BEAT_EVERY`] while it is idle. `/healthz` answers 503 and systemd's watchdog is no longer
//! fed (`watchdog.rs`) once the last beat is older than [`STALE_AFTER`] or the thread has
//! ended, so systemd restarts a daemon whose writer is dead instead of keeping it "up".
//!
//! It also holds the **test-only** writer fault hook: `XEPHANG_FAULT_WRITER_FILE=<path>`
//! makes the writer panic (file says `panic`, or is empty) or hang (`hang`) at its next turn
//! once that file exists. The regression test of "a dead writer looks healthy" uses it; a
//! real centre never sets it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// The writer is woken at least this often while idle.
pub const BEAT_EVERY: Duration = Duration::from_millis(500);
/// A writer silent for longer is considered stuck. Generous: a slow disk's fsync of a big
/// batch takes well under a second; the watchdog (WatchdogSec=30 in the unit) sits above it.
pub const STALE_AFTER: Duration = Duration::from_secs(10);

/// The environment variable of the writer fault hook (**tests only**).
pub const WRITER_FAULT_VAR: &str = "XEPHANG_FAULT_WRITER_FILE";

struct Inner {
    epoch: Instant,
    /// Milliseconds after `epoch` of the last beat.
    last_ms: AtomicU64,
    /// The writer thread has returned or unwound.
    ended: AtomicBool,
}

/// The writer's pulse, shared between the writer (which beats) and the readers (healthz, the
/// systemd watchdog). Cloning shares it.
#[derive(Clone)]
pub struct Heartbeat {
    inner: Arc<Inner>,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat {
            inner: Arc::new(Inner {
                epoch: Instant::now(),
                last_ms: AtomicU64::new(0),
                ended: AtomicBool::new(false),
            }),
        }
    }
}

/// What the heartbeat says about the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterHealth {
    /// Beat within [`STALE_AFTER`].
    Alive { age: Duration },
    /// Still running, but silent for `age` (hung: a stuck disk, a deadlock).
    Stalled { age: Duration },
    /// The thread has ended (it panicked, or shutdown began).
    Stopped,
}

impl WriterHealth {
    pub fn is_alive(self) -> bool {
        matches!(self, WriterHealth::Alive { .. })
    }
}

impl Heartbeat {
    /// Records a turn of the writer's loop.
    pub fn beat(&self) {
        let ms = self.inner.epoch.elapsed().as_millis() as u64;
        self.inner.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Time since the last beat.
    pub fn age(&self) -> Duration {
        let now = self.inner.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.inner.last_ms.load(Ordering::Relaxed)))
    }

    pub fn health(&self) -> WriterHealth {
        if self.inner.ended.load(Ordering::Relaxed) {
            return WriterHealth::Stopped;
        }
        let age = self.age();
        if age > STALE_AFTER {
            WriterHealth::Stalled { age }
        } else {
            WriterHealth::Alive { age }
        }
    }

    /// Prometheus gauges: `xephang_writer_up` (1 while it beats) and the age of its beat.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let up = u8::from(self.health().is_alive());
        let _ = writeln!(
            out,
            "# HELP xephang_writer_up 1 while the single writer thread beats (see /healthz).\n# TYPE xephang_writer_up gauge\nxephang_writer_up {up}\n# HELP xephang_writer_heartbeat_age_seconds Time since the writer's last beat.\n# TYPE xephang_writer_heartbeat_age_seconds gauge\nxephang_writer_heartbeat_age_seconds {:.3}",
            self.age().as_secs_f64()
        );
    }

    /// A guard for the writer thread: when it is dropped (the thread returns or unwinds
    /// from a panic) the heartbeat says [`WriterHealth::Stopped`].
    pub fn guard(&self) -> EndGuard {
        self.beat();
        EndGuard(self.clone())
    }
}

/// Marks the heartbeat's writer as ended when dropped.
pub struct EndGuard(Heartbeat);

impl EndGuard {
    pub fn heartbeat(&self) -> &Heartbeat {
        &self.0
    }
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.inner.ended.store(true, Ordering::Relaxed);
    }
}

/// Starts the thread that wakes an idle writer every [`BEAT_EVERY`]: `wake` sends it a
/// message and returns false once the writer is gone (then the thread ends).
pub fn spawn_waker(wake: impl Fn() -> bool + Send + 'static) -> std::io::Result<()> {
    thread::Builder::new()
        .name("xephang-beat".into())
        .spawn(move || loop {
            thread::sleep(BEAT_EVERY);
            if !wake() {
                break;
            }
        })?;
    Ok(())
}

/// The writer fault file named by [`WRITER_FAULT_VAR`] (**tests only**).
pub fn fault_file() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os(WRITER_FAULT_VAR).filter(|p| !p.is_empty())?);
    tracing::warn!(file = %path.display(), "TEST HOOK: the writer dies once this file exists");
    Some(path)
}

/// Called by the writer at each turn: panics or hangs when the fault file exists.
pub fn check_fault(file: &Option<PathBuf>) {
    let Some(path) = file else { return };
    let Ok(word) = std::fs::read_to_string(path) else {
        return;
    };
    if word.trim() == "hang" {
        tracing::error!("TEST HOOK: the writer hangs");
        loop {
            thread::park();
        }
    }
    panic!("TEST HOOK: the writer panics ({})", path.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_beat_is_alive_and_an_ended_guard_is_stopped() {
        let hb = Heartbeat::default();
        let guard = hb.guard();
        assert!(hb.health().is_alive());
        let shared = hb.clone();
        let handle = thread::spawn(move || {
            let _g = guard;
            panic!("the writer dies");
        });
        assert!(handle.join().is_err());
        assert_eq!(shared.health(), WriterHealth::Stopped);
    }

    #[test]
    fn an_old_beat_is_stalled() {
        // A heartbeat whose only beat was at its epoch, 11 s ago.
        let epoch = Instant::now()
            .checked_sub(STALE_AFTER + Duration::from_secs(1))
            .expect("the machine has been up for 11 s");
        let later = Heartbeat {
            inner: Arc::new(Inner {
                epoch,
                last_ms: AtomicU64::new(0),
                ended: AtomicBool::new(false),
            }),
        };
        assert!(matches!(later.health(), WriterHealth::Stalled { .. }));
        later.beat();
        assert!(later.health().is_alive());
    }
}
