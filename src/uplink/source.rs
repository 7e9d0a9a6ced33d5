//! Read-back from the journal for an uplink that has fallen behind (the hub or the network
//! down for hours, a restart, a socket backlog overflow). The journal is the outbox: one
//! file per business day, seq global and never going back across days (src/journal.rs).
//! Blocking file reads: call these off the async workers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::domain::Envelope;
use crate::journal::{self, JournalError};

/// Reads day files in order, remembering the seq range of closed days so a long catch-up
/// reads each old file about once.
pub struct JournalSource {
    dir: PathBuf,
    ranges: BTreeMap<NaiveDate, (u64, u64)>,
}

impl JournalSource {
    pub fn new(dir: PathBuf) -> JournalSource {
        JournalSource {
            dir,
            ranges: BTreeMap::new(),
        }
    }

    /// The events from `next` on of the first day file that holds any (one day at most,
    /// so memory stays one day's worth); empty when the journal holds nothing from `next`.
    pub fn from_seq(&mut self, next: u64) -> Result<Vec<Envelope>, JournalError> {
        let days = journal::days(&self.dir);
        let newest = days.last().copied();
        for day in days {
            if let Some(&(_, last)) = self.ranges.get(&day) {
                if last < next {
                    continue;
                }
            }
            let events = journal::read_day(&self.dir, day)?;
            let (Some(first), Some(last)) = (events.first(), events.last()) else {
                continue;
            };
            if Some(day) != newest {
                self.ranges.insert(day, (first.seq, last.seq));
            }
            if last.seq >= next {
                return Ok(events.into_iter().filter(|e| e.seq >= next).collect());
            }
        }
        Ok(Vec::new())
    }

    /// The first seq of the newest day that has events: where a lobby new to the hub
    /// starts (its current business day, from `day_started`).
    pub fn start_of_current_day(&self) -> Result<Option<u64>, JournalError> {
        for day in journal::days(&self.dir).into_iter().rev() {
            if let Some(first) = journal::read_day(&self.dir, day)?.first() {
                return Ok(Some(first.seq));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Event;
    use chrono::{FixedOffset, TimeZone};

    fn write_day(dir: &std::path::Path, day: NaiveDate, seqs: std::ops::RangeInclusive<u64>) {
        let at = FixedOffset::east_opt(7 * 3600)
            .and_then(|tz| tz.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single())
            .expect("time");
        let mut buf = Vec::new();
        for seq in seqs {
            let event = if buf.is_empty() {
                Event::DayStarted {
                    day,
                    counters: Vec::new(),
                    bookings: Vec::new(),
                    dossier: None,
                    overlay: Default::default(),
                }
            } else {
                Event::AlertCleared {
                    key: format!("k{seq}"),
                }
            };
            journal::encode_line(&Envelope { seq, at, event }, &mut buf).expect("encodes");
        }
        std::fs::write(journal::day_path(dir, day), buf).expect("write day");
    }

    #[test]
    fn reads_back_across_days_one_day_at_a_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = |n| NaiveDate::from_ymd_opt(2026, 3, n).expect("date");
        write_day(dir.path(), d(2), 1..=10);
        write_day(dir.path(), d(3), 11..=15);
        write_day(dir.path(), d(4), 16..=20);
        let mut src = JournalSource::new(dir.path().to_path_buf());
        let seqs = |v: Vec<Envelope>| v.iter().map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(seqs(src.from_seq(8).expect("read")), vec![8, 9, 10]);
        assert_eq!(
            seqs(src.from_seq(11).expect("read")),
            (11..=15).collect::<Vec<_>>()
        );
        assert_eq!(seqs(src.from_seq(19).expect("read")), vec![19, 20]);
        assert!(src.from_seq(21).expect("read").is_empty());
        assert_eq!(src.start_of_current_day().expect("read"), Some(16));
    }
}
