//! Read-back from the journal for an uplink that has fallen behind (the hub or the network
//! down for hours, a restart, more than a few events behind). The journal is the outbox: one
//! file per business day, seq global and never going back across days (src/journal.rs).
//!
//! A [`JournalSource`] is a cursor: it keeps its day file open at the line after the last
//! event it handed out, so a catch-up reads and decodes each line once, streaming, however
//! long the backlog (the former read-back parsed a whole day into memory). Each event of a
//! batch is checked (its line's CRC), scrubbed of personal data in place (no clone) and
//! JSON-encoded straight into the caller's buffer, in the wire format's `events` array.
//! Lines before the wanted seq are skipped with a seq-only parse. Only events up to the
//! lobby's published seq are read (a line written but not yet committed never leaves), and
//! a line without its newline (being written, or torn) is left for the next call.
//! Blocking file reads and CPU work: called on the uplink's own thread ([`super::reader`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::domain::scrub::scrub_in_place;
use crate::journal::{self, JournalError};

/// What one call of [`JournalSource::batch`] put into the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Filled {
    /// Events encoded (0: the journal holds nothing from the wanted seq up to `upto`).
    pub count: usize,
    /// Seq of the last one.
    pub last: u64,
}

/// An open day file and where in it the next line starts.
struct Cursor {
    day: NaiveDate,
    path: PathBuf,
    file: BufReader<File>,
    /// Byte offset of the next unread line.
    offset: u64,
    /// Seq of the next event the cursor hands out (lines before it are skipped).
    next: u64,
}

pub struct JournalSource {
    dir: PathBuf,
    /// First seq of each day file that has one (a file's first line never changes).
    firsts: BTreeMap<NaiveDate, u64>,
    cursor: Option<Cursor>,
    line: Vec<u8>,
}

impl JournalSource {
    pub fn new(dir: PathBuf) -> JournalSource {
        JournalSource {
            dir,
            firsts: BTreeMap::new(),
            cursor: None,
            line: Vec::with_capacity(1024),
        }
    }

    /// The first seq in a day file (its first complete line), cached once known.
    fn first_of(&mut self, day: NaiveDate) -> Result<Option<u64>, JournalError> {
        if let Some(&s) = self.firsts.get(&day) {
            return Ok(Some(s));
        }
        let path = journal::day_path(&self.dir, day);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(journal::io_err(&path)(e)),
        };
        self.line.clear();
        BufReader::new(file)
            .read_until(b'\n', &mut self.line)
            .map_err(journal::io_err(&path))?;
        let first = match self.line.last() {
            Some(b'\n') => journal::seq_of_line(&self.line),
            _ => None,
        };
        if let Some(s) = first {
            self.firsts.insert(day, s);
        }
        Ok(first)
    }

    /// The first seq of the newest day that has events: where a lobby new to the hub
    /// starts (its current business day, from `day_started`). Reads one line per file.
    pub fn start_of_current_day(&mut self) -> Result<Option<u64>, JournalError> {
        for day in journal::days(&self.dir).into_iter().rev() {
            if let Some(first) = self.first_of(day)? {
                return Ok(Some(first));
            }
        }
        Ok(None)
    }

    /// Opens the day file that holds `from` (the newest whose first seq is ≤ `from`, or
    /// the oldest when `from` is older than the whole journal), unless the cursor is already
    /// there.
    fn seek(&mut self, from: u64) -> Result<(), JournalError> {
        if self.cursor.as_ref().is_some_and(|c| c.next == from) {
            return Ok(());
        }
        self.cursor = None;
        let days = journal::days(&self.dir);
        let mut pick = None;
        for &day in days.iter().rev() {
            match self.first_of(day)? {
                Some(first) if first <= from => {
                    pick = Some(day);
                    break;
                }
                Some(_) => pick = Some(day),
                None => {}
            }
        }
        if let Some(day) = pick {
            self.open(day, from)?;
        }
        Ok(())
    }

    fn open(&mut self, day: NaiveDate, next: u64) -> Result<(), JournalError> {
        let path = journal::day_path(&self.dir, day);
        let file = File::open(&path).map_err(journal::io_err(&path))?;
        self.cursor = Some(Cursor {
            day,
            path,
            file: BufReader::with_capacity(256 * 1024, file),
            offset: 0,
            next,
        });
        Ok(())
    }

    /// Moves the cursor to the next day file after its own; false when there is none.
    fn next_day(&mut self) -> Result<bool, JournalError> {
        let Some((day, next)) = self.cursor.as_ref().map(|c| (c.day, c.next)) else {
            return Ok(false);
        };
        match journal::days(&self.dir).into_iter().find(|d| *d > day) {
            Some(d) => {
                self.open(d, next)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Appends to `out` the events from seq `from` on — without a gap, at most `max`, none
    /// after `upto` — scrubbed and JSON-encoded, separated by commas (the inside of the
    /// wire format's `events` array). Empty when the journal does not hold `from`.
    pub fn batch(
        &mut self,
        from: u64,
        upto: u64,
        max: usize,
        out: &mut Vec<u8>,
    ) -> Result<Filled, JournalError> {
        let mut filled = Filled::default();
        if from > upto || max == 0 {
            return Ok(filled);
        }
        self.seek(from)?;
        while filled.count < max {
            let Some(c) = self.cursor.as_mut() else { break };
            if c.next > upto {
                break;
            }
            self.line.clear();
            let n = c
                .file
                .read_until(b'\n', &mut self.line)
                .map_err(journal::io_err(&c.path))?;
            if n == 0 || self.line.last() != Some(&b'\n') {
                // The end of this file, or a line still being written: leave it for the next
                // call (a torn last line of a past day is passed over with the day).
                c.file
                    .seek(SeekFrom::Start(c.offset))
                    .map_err(journal::io_err(&c.path))?;
                if self.next_day()? {
                    continue;
                }
                break;
            }
            let line = &self.line[..n - 1];
            match journal::seq_of_line(line) {
                Some(s) if s < c.next => {
                    c.offset += n as u64;
                    continue;
                }
                Some(s) if s > upto || s != c.next => {
                    // Not committed yet (or a gap): read again next time.
                    c.file
                        .seek(SeekFrom::Start(c.offset))
                        .map_err(journal::io_err(&c.path))?;
                    break;
                }
                _ => {}
            }
            let mut env = journal::decode_line(line).map_err(|what| JournalError::Corrupt {
                path: c.path.clone(),
                line: 0,
                what: format!("at byte {}: {what}", c.offset),
            })?;
            if env.seq != c.next {
                break;
            }
            scrub_in_place(&mut env.event);
            if filled.count > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, &env).map_err(|source| JournalError::Encode {
                seq: env.seq,
                source,
            })?;
            c.offset += n as u64;
            c.next += 1;
            filled.count += 1;
            filled.last = env.seq;
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::fixtures::{bare_day_start, nine_am, phone_rating};
    use crate::domain::{Envelope, Event};

    fn env(day: NaiveDate, seq: u64, first: bool) -> Envelope {
        let event = if first {
            bare_day_start(day)
        } else {
            phone_rating("gọi lại cho tôi")
        };
        Envelope {
            seq,
            at: nine_am(),
            event,
        }
    }

    fn day_bytes(day: NaiveDate, seqs: std::ops::RangeInclusive<u64>) -> Vec<u8> {
        let start = *seqs.start();
        let mut buf = Vec::new();
        for seq in seqs {
            journal::encode_line(&env(day, seq, seq == start), &mut buf).expect("encodes");
        }
        buf
    }

    fn write_day(dir: &std::path::Path, day: NaiveDate, seqs: std::ops::RangeInclusive<u64>) {
        std::fs::write(journal::day_path(dir, day), day_bytes(day, seqs)).expect("write day");
    }

    /// The events of one batch, decoded as the hub decodes them.
    fn take(src: &mut JournalSource, from: u64, upto: u64, max: usize) -> Vec<Envelope> {
        let mut out = b"[".to_vec();
        let filled = src.batch(from, upto, max, &mut out).expect("batch");
        out.push(b']');
        let evs: Vec<Envelope> = serde_json::from_slice(&out).expect("a JSON array of events");
        assert_eq!(evs.len(), filled.count);
        assert_eq!(evs.last().map_or(0, |e| e.seq), filled.last);
        evs
    }

    fn seqs(v: &[Envelope]) -> Vec<u64> {
        v.iter().map(|e| e.seq).collect()
    }

    fn d(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, n).expect("date")
    }

    /// The seq read straight from a written line, and from a line of another layout.
    #[test]
    fn a_lines_seq_is_read_without_decoding_it() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("day");
        let mut buf = Vec::new();
        journal::encode_line(&env(day, 4242, false), &mut buf).expect("encodes");
        assert_eq!(journal::seq_of_line(&buf[..buf.len() - 1]), Some(4242));
        assert_eq!(journal::seq_of_line(&buf), Some(4242), "with its newline");
        let other = br#"00000000 {"at":"2026-03-02T09:00:00+07:00","seq":7,"event":{}}"#;
        assert_eq!(journal::seq_of_line(other), Some(7));
        assert_eq!(journal::seq_of_line(b"00000000 {\"seq\":x}"), None);
        assert_eq!(journal::seq_of_line(b"short"), None);
    }

    #[test]
    fn streams_across_days_scrubbed_bounded_and_resumable() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_day(dir.path(), d(2), 1..=10);
        write_day(dir.path(), d(3), 11..=15);
        write_day(dir.path(), d(4), 16..=20);
        let mut src = JournalSource::new(dir.path().to_path_buf());
        assert_eq!(seqs(&take(&mut src, 8, 100, 2)), vec![8, 9]);
        // Continues from the cursor, across a day boundary, in one batch.
        let b = take(&mut src, 10, 100, 4);
        assert_eq!(seqs(&b), vec![10, 11, 12, 13]);
        assert!(b.iter().all(|e| match &e.event {
            Event::Rating(r) => r.phone.is_none() && r.comment.is_none(),
            _ => true,
        }));
        // Never past `upto` (the lobby's committed seq).
        assert_eq!(seqs(&take(&mut src, 14, 17, 100)), vec![14, 15, 16, 17]);
        assert_eq!(seqs(&take(&mut src, 18, 100, 100)), vec![18, 19, 20]);
        assert!(take(&mut src, 21, 100, 100).is_empty());
        // A seek backwards (the hub answered with an older seq).
        assert_eq!(seqs(&take(&mut src, 3, 4, 100)), vec![3, 4]);
        assert_eq!(src.start_of_current_day().expect("read"), Some(16));
    }

    #[test]
    fn a_line_being_written_is_left_for_the_next_call() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut bytes = day_bytes(d(2), 1..=5);
        let whole = bytes.len();
        let mut more = Vec::new();
        journal::encode_line(&env(d(2), 6, false), &mut more).expect("encodes");
        bytes.extend_from_slice(&more[..more.len() / 2]);
        let path = journal::day_path(dir.path(), d(2));
        std::fs::write(&path, &bytes).expect("write");
        let mut src = JournalSource::new(dir.path().to_path_buf());
        assert_eq!(seqs(&take(&mut src, 1, 100, 100)), vec![1, 2, 3, 4, 5]);
        assert!(take(&mut src, 6, 100, 100).is_empty());
        bytes.truncate(whole);
        bytes.extend_from_slice(&more);
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(seqs(&take(&mut src, 6, 100, 100)), vec![6]);
    }

    #[test]
    fn a_journal_without_the_wanted_seq_gives_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_day(dir.path(), d(2), 5..=9);
        let mut src = JournalSource::new(dir.path().to_path_buf());
        assert!(
            take(&mut src, 2, 100, 100).is_empty(),
            "must start at `from`"
        );
        assert_eq!(seqs(&take(&mut src, 5, 100, 100)), vec![5, 6, 7, 8, 9]);
    }
}
