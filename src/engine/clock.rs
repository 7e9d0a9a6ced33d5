//! The engine's clock: the wall clock, shifted for tests by environment variables (an offset
//! at start, or a file followed while the daemon runs), and read in the centre's timezone.
//! Its own file because only tests ever move it, and the writer should not read as if it did.

use std::sync::Arc;
use std::thread;

use chrono::{DateTime, FixedOffset, Utc};

use crate::domain::spec::CentreSpec;

/// The wall clock (replaceable in tests).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Environment variable that shifts the daemon's clock by whole seconds. **Tests only**: the
/// end-to-end tests start the daemon "at 09:00 on some day" and restart it "an hour later"
/// to reach appointment slots and grace periods without waiting for them.
pub const TEST_CLOCK_OFFSET_VAR: &str = "XEPHANG_TEST_CLOCK_OFFSET_S";

/// Environment variable naming a file whose content (whole seconds) shifts the clock further
/// while the daemon runs. **Tests only**: the soak test moves a running daemon to just before
/// midnight to cross into the next business day without a restart.
pub const TEST_CLOCK_FILE_VAR: &str = "XEPHANG_TEST_CLOCK_FILE";

/// How often the file of [`TEST_CLOCK_FILE_VAR`] is read.
const CLOCK_FILE_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// The system clock shifted by `offset_s` seconds (0: the system clock itself), and, when
/// [`TEST_CLOCK_FILE_VAR`] names a file, by the seconds it holds (read every 50 ms on a
/// thread of its own; a missing or unreadable file counts as 0).
pub fn offset_clock(offset_s: i64) -> Clock {
    let base = chrono::Duration::seconds(offset_s);
    let Some(file) = std::env::var_os(TEST_CLOCK_FILE_VAR).filter(|f| !f.is_empty()) else {
        if offset_s == 0 {
            return Arc::new(Utc::now);
        }
        return Arc::new(move || Utc::now() + base);
    };
    tracing::warn!(file = ?file, "{TEST_CLOCK_FILE_VAR} is set: the clock follows that file (for tests only)");
    let extra = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let read = move || {
        std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| t.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    extra.store(read(), std::sync::atomic::Ordering::SeqCst);
    let writer = extra.clone();
    let polled = thread::Builder::new()
        .name("xephang-test-clock".into())
        .spawn(move || loop {
            writer.store(read(), std::sync::atomic::Ordering::SeqCst);
            thread::sleep(CLOCK_FILE_POLL);
        });
    if let Err(e) = polled {
        tracing::error!(error = %e, "cannot follow the test clock file");
    }
    Arc::new(move || {
        Utc::now()
            + base
            + chrono::Duration::seconds(extra.load(std::sync::atomic::Ordering::SeqCst))
    })
}

/// The clock read in the centre's timezone.
pub fn local_now(spec: &CentreSpec, clock: &Clock) -> DateTime<FixedOffset> {
    use chrono::SubsecRound;
    clock()
        .with_timezone(&spec.timezone)
        .fixed_offset()
        .trunc_subsecs(3)
}
