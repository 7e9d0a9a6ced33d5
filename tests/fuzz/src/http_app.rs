//! The daemon that the `http_request` fuzz target talks to: the embedded demo centre built
//! by [`xephang::server::build_app`] (the assembly `server::run` uses), with its journal in
//! a fresh directory under /dev/shm (fsync is cheap there) and a clock of the harness's own.
//!
//! One deviation from the demo centre: the staff's PIN hashes are argon2id hashes of the same
//! PINs with minimal cost parameters (m=8 KiB, t=1), so that a login costs microseconds
//! instead of ~30 ms (release) or seconds (debug); `verify_pin` runs as in production.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use chrono::DateTime;
use xephang::server::Built;

/// When the clock starts: a Monday (every service and appointment day is open), 09:00.
const START: &str = "2026-11-23T09:00:00+07:00";
/// argon2id (m=8 KiB, t=1) of "1234" and of "9999" (gs01, the supervisor).
const PIN_1234: &str =
    "$argon2id$v=19$m=8,t=1,p=1$eGVwaGFuZ2Z1enoxMjM0$ss29MhsqtYQYRH4/rwh7lmx8CdqMFUyYZoqk1ZC8AQU";
const PIN_9999: &str =
    "$argon2id$v=19$m=8,t=1,p=1$eGVwaGFuZ2Z1enk5OTk5$wDPgN9nWctnxLUlgZRqGhV/G7RRotmfjwbUPQq/RbyY";

static DATA_DIR: OnceLock<PathBuf> = OnceLock::new();

/// [`START`] in milliseconds since the epoch.
pub fn start_ms() -> i64 {
    DateTime::parse_from_rfc3339(START)
        .expect("START is RFC 3339")
        .timestamp_millis()
}

/// The demo centre's daemon, its clock reading `now_ms`.
pub fn demo_app(now_ms: Arc<AtomicI64>) -> Built {
    let mut config =
        xephang::config::parse(xephang::config::DEFAULT_TOML, xephang::config::DEFAULT_NAME)
            .expect("the embedded demo centre parses");
    for s in &mut config.staff {
        s.pin_hash = if s.supervisor { PIN_9999 } else { PIN_1234 }.to_string();
    }
    let clock: xephang::engine::Clock = Arc::new(move || {
        DateTime::from_timestamp_millis(now_ms.load(Ordering::SeqCst))
            .expect("the harness clock stays in chrono's range")
    });
    xephang::server::build_app(config, data_dir(), None, clock)
        .expect("the daemon starts on the demo centre")
}

/// A fresh directory for the journal, removed at exit (left-overs of crashed runs, whose
/// process is gone, are removed at the next start).
fn data_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    if let Ok(entries) = std::fs::read_dir(&base) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let pid = name
                .strip_prefix("xephang-fuzz-")
                .and_then(|r| r.split('-').next());
            if let Some(pid) = pid {
                if Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = base.join(format!("xephang-fuzz-{}-{nanos}", std::process::id()));
    let _ = DATA_DIR.set(dir.clone());
    extern "C" fn remove_data_dir() {
        if let Some(dir) = DATA_DIR.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    // SAFETY: registers a plain `extern "C" fn` that only removes a directory.
    unsafe {
        libc::atexit(remove_data_dir);
    }
    dir
}
