//! The gate in front of PIN checks (issue 13). A PIN check is argon2id with 19 MiB of memory
//! on a blocking thread; with no cap, 48 concurrent logins took the daemon from 14 MiB to a
//! 3 GiB peak. So at most [`PIN_CHECKS`] checks run at once and at most [`PIN_QUEUE`] more
//! wait for their turn; a login past that is answered at once with 503 `unavailable` and
//! nothing is checked. The permit and the queue place travel into the blocking task, so a
//! client that hangs up mid-check frees its place only when the check really ends.
//!
//! This bounds the whole daemon; the lockout ([`super::auth::LoginGuard`]) bounds each staff
//! id, counting checks still in flight, so a burst against one id cannot fill the queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use tokio::sync::Semaphore;

use super::error::ApiError;

/// PIN checks running at once (each holds ~19 MiB while it runs).
pub const PIN_CHECKS: usize = 2;
/// PIN checks waiting for a turn; past it, 503 `unavailable`.
pub const PIN_QUEUE: usize = 32;

/// See the module doc.
pub struct PinChecks {
    permits: Arc<Semaphore>,
    /// Checks running or waiting.
    admitted: Arc<AtomicUsize>,
    max_admitted: usize,
}

impl Default for PinChecks {
    fn default() -> Self {
        PinChecks::new(PIN_CHECKS, PIN_QUEUE)
    }
}

/// A place among the admitted checks, given back when dropped.
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Đang có quá nhiều lượt đăng nhập cùng lúc; hãy thử lại sau vài giây.",
        "Too many logins at once; try again in a few seconds.",
    )
}

impl PinChecks {
    /// `running` checks at once, `queue` more waiting.
    pub fn new(running: usize, queue: usize) -> PinChecks {
        PinChecks {
            permits: Arc::new(Semaphore::new(running.max(1))),
            admitted: Arc::new(AtomicUsize::new(0)),
            max_admitted: running.max(1) + queue,
        }
    }

    /// Checks running or waiting now.
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::SeqCst)
    }

    /// Runs `check` (a PIN verification) on a blocking thread when its turn comes; 503
    /// `unavailable` at once when the queue is full.
    pub async fn run(
        &self,
        check: impl FnOnce() -> bool + Send + 'static,
    ) -> Result<bool, ApiError> {
        let before = self.admitted.fetch_add(1, Ordering::SeqCst);
        let place = Place(self.admitted.clone());
        if before >= self.max_admitted {
            return Err(busy());
        }
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| busy())?;
        tokio::task::spawn_blocking(move || {
            let _held = (permit, place);
            check()
        })
        .await
        .map_err(|_| busy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn checks_run_a_few_at_a_time_and_the_queue_is_bounded() {
        let gate = Arc::new(PinChecks::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run(move || {
                    let _ = hold.recv();
                    true
                })
                .await
            })
        };
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(|| false).await })
        };
        while gate.admitted() < 2 {
            tokio::task::yield_now().await;
        }
        // Full: refused at once, without running the check.
        let ran = Arc::new(AtomicUsize::new(0));
        let ran2 = ran.clone();
        let refused = gate
            .run(move || {
                ran2.fetch_add(1, Ordering::SeqCst);
                true
            })
            .await
            .expect_err("the queue is full");
        assert_eq!(
            (refused.status, refused.code),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        );
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        assert_eq!(gate.admitted(), 2, "a refusal takes no place");
        release.send(()).expect("release");
        assert!(running.await.expect("join").expect("ran"));
        assert!(!waiting.await.expect("join").expect("ran"));
        assert_eq!(gate.admitted(), 0);
    }
}
