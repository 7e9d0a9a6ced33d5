//! Any business day's read model: today's is the published one, a past day's is replayed
//! from its journal file. The one loader behind every "today from memory, else the day
//! file" read (figures, bookings and tickets of a day); call it off the async workers, it
//! may read a file.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::ReadModel;
use crate::journal::{self, JournalError};

/// The model of `day`: `current` when it is that day's, else `day`'s journal replayed on the
/// same centre (None when no such file exists).
pub fn model_of_day(
    current: Arc<ReadModel>,
    journal_dir: &Path,
    day: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<Option<Arc<ReadModel>>, JournalError> {
    if day == current.day() {
        return Ok(Some(current));
    }
    if !journal::day_path(journal_dir, day).exists() {
        return Ok(None);
    }
    let events = journal::read_day(journal_dir, day)?;
    Ok(Some(Arc::new(current.rebuilt(day, &events, now))))
}
