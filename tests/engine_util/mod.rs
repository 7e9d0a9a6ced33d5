//! The real engine in-process, for tests that need to drive its clock by hand (the model
//! test, the day change under storage faults): a clock the test moves, and recovery of an
//! engine from a journal directory with a silent announcer.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use xephang::broadcast::Broadcaster;
use xephang::domain::ids::CounterId;
use xephang::domain::spec::CentreSpec;
use xephang::engine::{Clock, Engine};
use xephang::metrics::Metrics;
use xephang::read::{CentreInfo, ReadModel};

/// A clock at `base` plus the seconds the test stores in the returned counter.
pub fn hand_clock(base: DateTime<Utc>) -> (Clock, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let clock: Clock = Arc::new(move || base + chrono::Duration::seconds(o.load(Ordering::SeqCst)));
    (clock, offset)
}

/// The engine recovered from the journal in `dir` (created when missing).
pub fn recover(spec: &Arc<CentreSpec>, dir: &Path, clock: &Clock) -> Engine {
    let centre = Arc::new(CentreInfo::named(&spec.name, &spec.name_en));
    let read = Arc::new(Broadcaster::new(ReadModel::new(
        spec.clone(),
        centre,
        chrono::NaiveDate::default(),
    )));
    Engine::recover(
        spec.clone(),
        dir.to_path_buf(),
        read,
        Arc::new(Metrics::default()),
        Box::new(|_: &str, _: CounterId| Vec::new()),
        clock.clone(),
    )
    .expect("recover")
}
