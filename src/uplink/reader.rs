//! The uplink's catch-up work off the lobby's workers: one dedicated OS thread,
//! `xephang-uplink`, at idle CPU priority, reads the journal back, scrubs and encodes the
//! events ([`super::source`]), and hands the uplink task ready-made JSON.
//!
//! Why a thread of its own and why idle: a catch-up after hours offline is ~1 MB of JSON per
//! push of 2,000 events (read, CRC, decode, scrub, encode: most of the uplink's CPU). On
//! Tokio's workers or blocking pool it runs at the clerks' and boards' priority and takes
//! turns with them on a 2-core lobby PC. Under `SCHED_IDLE` (Linux; `nice 19` when that is
//! refused) the kernel runs this thread only on a core nothing else of normal priority
//! wants, so a call is never queued behind the uplink's encoding, and the catch-up uses
//! whatever the lobby leaves — much of the time on a lobby PC. The thread holds no lock the
//! lobby takes (its own file handles; each batch's buffer is the task's once sent).
//!
//! Jobs are one at a time, in order; the task keeps at most two outstanding (the batch it
//! sends and the next one, prepared while the first is in flight). The thread ends when the
//! task drops its [`Reader`] (shutdown or the uplink's end).

use std::path::PathBuf;
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::source::{Filled, JournalSource};
use crate::journal::JournalError;

/// The thread's name (`/proc/PID/task/*/comm`; the hub_lobby bench reads its CPU time).
pub const THREAD_NAME: &str = "xephang-uplink";

/// A prepared batch: `json` is the wire format's `events` array (`[…]`).
pub struct Batch {
    /// The seq the batch was asked from.
    pub from: u64,
    pub filled: Filled,
    pub json: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    #[error("reading the journal back: {0}")]
    Journal(#[from] JournalError),
    #[error("the uplink's reader thread is gone")]
    Gone,
}

enum Job {
    Batch {
        from: u64,
        upto: u64,
        max: usize,
        reply: oneshot::Sender<Result<Batch, ReaderError>>,
    },
    StartOfDay {
        reply: oneshot::Sender<Result<Option<u64>, ReaderError>>,
    },
}

/// The task's handle on the thread.
pub struct Reader {
    jobs: mpsc::Sender<Job>,
}

/// A batch being prepared.
pub type Pending = oneshot::Receiver<Result<Batch, ReaderError>>;

impl Reader {
    /// Starts the thread over the journal directory `dir`.
    pub fn spawn(dir: PathBuf) -> std::io::Result<Reader> {
        let (jobs, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || run(dir, rx))?;
        Ok(Reader { jobs })
    }

    /// Asks for the events from `from` to at most `upto`, at most `max` of them; the answer
    /// comes on the returned receiver.
    pub fn request(&self, from: u64, upto: u64, max: usize) -> Pending {
        let (reply, rx) = oneshot::channel();
        // A send fails only when the thread is gone: the receiver then reports `Gone`.
        let _ = self.jobs.send(Job::Batch {
            from,
            upto,
            max,
            reply,
        });
        rx
    }

    /// Waits for a requested batch.
    pub async fn wait(pending: Pending) -> Result<Batch, ReaderError> {
        pending.await.unwrap_or(Err(ReaderError::Gone))
    }

    /// The first seq of the journal's newest day (where a lobby new to the hub starts).
    pub async fn start_of_current_day(&self) -> Result<Option<u64>, ReaderError> {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Job::StartOfDay { reply })
            .map_err(|_| ReaderError::Gone)?;
        rx.await.unwrap_or(Err(ReaderError::Gone))
    }
}

/// Lowers the calling thread's CPU priority as far as it goes; says to what.
fn lower_priority() -> &'static str {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain system calls on the calling thread (pid 0) with a parameter we own.
    unsafe {
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0 {
            return "SCHED_IDLE";
        }
        if libc::setpriority(libc::PRIO_PROCESS, 0, 19) == 0 {
            return "nice 19";
        }
    }
    "normal (could not lower it)"
}

fn run(dir: PathBuf, jobs: mpsc::Receiver<Job>) {
    let priority = lower_priority();
    tracing::info!(priority, "uplink reader thread started");
    let mut source = JournalSource::new(dir);
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Batch {
                from,
                upto,
                max,
                reply,
            } => {
                let mut json = vec![b'['];
                let r = source.batch(from, upto, max, &mut json);
                json.push(b']');
                let _ = reply.send(
                    r.map(|filled| Batch { from, filled, json })
                        .map_err(ReaderError::from),
                );
            }
            Job::StartOfDay { reply } => {
                let _ = reply.send(source.start_of_current_day().map_err(ReaderError::from));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Envelope, Event};
    use crate::journal;
    use chrono::{FixedOffset, NaiveDate, TimeZone};

    #[tokio::test]
    async fn the_thread_serves_batches_in_order_never_past_upto() {
        let dir = tempfile::tempdir().expect("tempdir");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let at = FixedOffset::east_opt(7 * 3600)
            .and_then(|tz| tz.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single())
            .expect("time");
        let mut buf = Vec::new();
        for seq in 1..=10 {
            let event = Event::AlertCleared {
                key: format!("k{seq}"),
            };
            journal::encode_line(&Envelope { seq, at, event }, &mut buf).expect("encodes");
        }
        std::fs::write(journal::day_path(dir.path(), day), buf).expect("write");
        let reader = Reader::spawn(dir.path().to_path_buf()).expect("thread");
        assert_eq!(reader.start_of_current_day().await.expect("first"), Some(1));
        // Two outstanding, as the task keeps them: this batch and the next.
        let first = reader.request(1, 9, 4);
        let second = reader.request(5, 9, 4);
        let a = Reader::wait(first).await.expect("batch");
        let b = Reader::wait(second).await.expect("batch");
        let seqs = |b: &Batch| {
            serde_json::from_slice::<Vec<Envelope>>(&b.json)
                .expect("a JSON array of events")
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>()
        };
        assert_eq!(seqs(&a), vec![1, 2, 3, 4]);
        assert_eq!((b.from, b.filled.count, b.filled.last), (5, 4, 8));
        assert_eq!(seqs(&b), vec![5, 6, 7, 8]);
        // Never past `upto`, the lobby's committed seq.
        let c = Reader::wait(reader.request(9, 9, 4)).await.expect("batch");
        assert_eq!(seqs(&c), vec![9]);
        let empty = Reader::wait(reader.request(11, 20, 4))
            .await
            .expect("batch");
        assert_eq!((empty.filled.count, empty.json.as_slice()), (0, &b"[]"[..]));
    }
}
