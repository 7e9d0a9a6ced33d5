//! Compaction of old day files: makes personal data actually leave the disk.
//!
//! `personal_data_purged { before }` erases names and phone numbers from the state and from
//! every view, but the day files of earlier days would still hold them in clear text. Once
//! that event is durable, this module rewrites each *closed* day file older than `before` with
//! the same events, seqs and timestamps and the personal fields blanked by the domain's own
//! rule ([`crate::domain::personal::blank_event`], the rule of `State::purge`); each changed
//! line gets a fresh checksum, the other lines are copied byte for byte. A file with nothing
//! left to blank is not rewritten, so a run is idempotent and a second run writes nothing.
//!
//! Crash safety: the new content goes to `<file>.tmp`, is fsync'd, renamed over the day file
//! (atomic on POSIX), and the directory is fsync'd. A crash before the rename leaves the old
//! file and a `.tmp` that the next run (at start-up) removes; after it, the complete new
//! file. Readers never see a partial file, and `journal::days` never lists a `.tmp`. The open
//! day's file (the only one ever appended to) is never touched.
//!
//! Cost: scanning is cheap (only lines of the kinds [`may_carry_personal_data`] names are
//! decoded, their kind read from the tag without decoding), but a first run over months of
//! files rewrites, checks and fsyncs each of them (90 files of 2 MB: 4.4 s for the first run,
//! 0.3 s for the daily scan, release build; `cargo bench --bench purge`), so the engine runs
//! it on a thread of its own ([`Background`]), never on the writer's.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::JournalError;
use super::{day_path, days, decode_line, encode_line, io_err, parse_bytes, sync_dir};
use crate::domain::event::EventKind;
use crate::domain::personal::{blank_event, may_carry_personal_data};

/// Appended to a day file's name for the new content before it is renamed over the file.
pub const TMP_SUFFIX: &str = ".tmp";

/// `<dir>/YYYY-MM-DD.jsonl.tmp`: where the compacted content of a day file is written first.
pub fn tmp_path(day_file: &Path) -> PathBuf {
    let mut name = day_file.as_os_str().to_owned();
    name.push(TMP_SUFFIX);
    PathBuf::from(name)
}

/// What one run did (logged; returned for tests and the measurement).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Closed day files older than the horizon that were read.
    pub checked: usize,
    /// Bytes of those files.
    pub bytes_read: u64,
    /// Day files rewritten with personal data blanked.
    pub rewritten: Vec<NaiveDate>,
    /// Events whose personal data was blanked.
    pub events_blanked: usize,
    /// Leftover `.tmp` files of an interrupted run, removed.
    pub tmp_removed: usize,
    /// Day files that could not be compacted (logged with the reason; left as they were).
    pub failed: usize,
    /// The run was stopped early (shutdown); the remaining files wait for the next run.
    pub cancelled: bool,
    pub elapsed: Duration,
}

/// Removes the `.tmp` files an interrupted compaction left (`YYYY-MM-DD.jsonl.tmp` only).
/// Only the compaction writes them, and one run at a time, so any found here is a leftover.
pub fn remove_leftovers(dir: &Path) -> Result<usize, JournalError> {
    let mut removed = 0;
    for path in leftovers(dir)? {
        fs::remove_file(&path).map_err(io_err(&path))?;
        tracing::warn!(file = %path.display(), "removed the leftover of an interrupted journal compaction (the day file is intact)");
        removed += 1;
    }
    Ok(removed)
}

fn leftovers(dir: &Path) -> Result<Vec<PathBuf>, JournalError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_leftover = name
            .strip_suffix(TMP_SUFFIX)
            .and_then(|n| n.strip_suffix(".jsonl"))
            .is_some_and(|stem| NaiveDate::parse_from_str(stem, "%Y-%m-%d").is_ok());
        if is_leftover {
            found.push(entry.path());
        }
    }
    Ok(found)
}

/// The closed days a run with this horizon would read: before `before` and before the open
/// day (never the file being appended to).
fn candidates(dir: &Path, before: NaiveDate, open_day: NaiveDate) -> Vec<NaiveDate> {
    let limit = before.min(open_day);
    days(dir).into_iter().filter(|d| *d < limit).collect()
}

/// The `type` of a journal line's event, read from its start without decoding it (the
/// envelope is written `{"seq":…,"at":"…","event":{"type":"…"`); None when the line does not
/// look like that, and must then be decoded to be sure.
fn line_kind(line: &[u8]) -> Option<&str> {
    const TAG: &[u8] = b",\"event\":{\"type\":\"";
    let head = &line[..line.len().min(160)];
    let at = head.windows(TAG.len()).position(|w| w == TAG)?;
    let rest = &line[at + TAG.len()..];
    let end = rest.iter().take(40).position(|&b| b == b'"')?;
    std::str::from_utf8(&rest[..end]).ok()
}

/// The compacted content of the day file `path` (business day `day`) and how many events it
/// blanks, or None when it holds no personal data older than `before` (nothing to rewrite).
/// The new content is checked before it is returned: it must read back as exactly the old
/// file's events with their personal data blanked, or the file is left alone (an error).
pub(crate) fn compacted(
    path: &Path,
    day: NaiveDate,
    before: NaiveDate,
) -> Result<Option<(Vec<u8>, usize)>, JournalError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    let mut out = Vec::with_capacity(bytes.len());
    let mut blanked = 0;
    let mut offset = 0;
    let mut line_no = 0;
    while offset < bytes.len() {
        line_no += 1;
        let rest = &bytes[offset..];
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            break; // a torn tail, never acknowledged: readers drop it, so does the new file
        };
        let line = &rest[..nl];
        let is_last = offset + nl + 1 >= bytes.len();
        // A line of a kind that may carry personal data, or of no kind known, is decoded.
        let personal = line_kind(line)
            .and_then(EventKind::from_tag)
            .is_none_or(may_carry_personal_data);
        if personal || is_last {
            match decode_line(line) {
                Ok(mut env) => {
                    if blank_event(&mut env.event, day, before) {
                        encode_line(&env, &mut out).map_err(|source| JournalError::Encode {
                            seq: env.seq,
                            source,
                        })?;
                        blanked += 1;
                        offset += nl + 1;
                        continue;
                    }
                }
                Err(_) if is_last => break, // a torn last line: dropped, as readers do
                Err(what) => {
                    return Err(JournalError::Corrupt {
                        path: path.to_path_buf(),
                        line: line_no,
                        what,
                    })
                }
            }
        }
        out.extend_from_slice(&rest[..=nl]);
        offset += nl + 1;
    }
    if blanked == 0 {
        return Ok(None);
    }
    let (mut expected, _) = parse_bytes(path, &bytes)?;
    for env in &mut expected {
        blank_event(&mut env.event, day, before);
    }
    let (written, len) = parse_bytes(path, &out)?;
    if written != expected || len != out.len() as u64 {
        return Err(JournalError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the compacted file would not read back as the same events; it was not rewritten",
            ),
        });
    }
    Ok(Some((out, blanked)))
}

/// Writes `bytes` to `tmp` (replacing any leftover) and makes them durable.
pub(crate) fn write_tmp(tmp: &Path, bytes: &[u8]) -> Result<(), JournalError> {
    let mut file = File::create(tmp).map_err(io_err(tmp))?;
    file.write_all(bytes).map_err(io_err(tmp))?;
    file.sync_all().map_err(io_err(tmp))
}

/// Renames the durable `tmp` over `path` (atomic) and makes the rename durable.
pub(crate) fn install(tmp: &Path, path: &Path) -> Result<(), JournalError> {
    fs::rename(tmp, path).map_err(io_err(path))?;
    match path.parent() {
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

/// Rewrites the closed day file of `day` with the personal data of visits before `before`
/// blanked; returns how many events changed (0: the file was left untouched). The caller
/// guarantees that nothing appends to this file (it is not the open day's).
pub fn compact_day(dir: &Path, day: NaiveDate, before: NaiveDate) -> Result<usize, JournalError> {
    let path = day_path(dir, day);
    let Some((bytes, blanked)) = compacted(&path, day, before)? else {
        return Ok(0);
    };
    let tmp = tmp_path(&path);
    if let Err(e) = write_tmp(&tmp, &bytes).and_then(|()| install(&tmp, &path)) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(blanked)
}

/// One run: removes leftovers of an interrupted run, then compacts every closed day file
/// before `before` (when a purge is recorded) and before `open_day`. A file that fails is
/// logged and left as it was; the others go on. `cancel` stops the run between files.
pub fn compact(
    dir: &Path,
    before: Option<NaiveDate>,
    open_day: NaiveDate,
    cancel: &AtomicBool,
) -> Report {
    let start = Instant::now();
    let mut report = Report::default();
    match remove_leftovers(dir) {
        Ok(n) => report.tmp_removed = n,
        Err(e) => {
            tracing::error!(error = %e, "could not remove a leftover of a journal compaction")
        }
    }
    let Some(before) = before else {
        report.elapsed = start.elapsed();
        return report;
    };
    for day in candidates(dir, before, open_day) {
        if cancel.load(Ordering::Relaxed) {
            report.cancelled = true;
            break;
        }
        report.checked += 1;
        report.bytes_read += fs::metadata(day_path(dir, day)).map_or(0, |m| m.len());
        match compact_day(dir, day, before) {
            Ok(0) => {}
            Ok(n) => {
                report.rewritten.push(day);
                report.events_blanked += n;
            }
            Err(e) => {
                report.failed += 1;
                tracing::error!(error = %e, %day, "could not blank the personal data of a day file; it is left as it was and retried on the next run");
            }
        }
    }
    report.elapsed = start.elapsed();
    report
}

/// Whether a run would have anything to do: a leftover to remove or a day file to check.
fn has_work(dir: &Path, before: Option<NaiveDate>, open_day: NaiveDate) -> bool {
    before.is_some_and(|b| !candidates(dir, b, open_day).is_empty())
        || leftovers(dir).is_ok_and(|l| !l.is_empty())
}

/// Runs compactions off the writer's thread, one at a time. Dropping it (engine shutdown)
/// stops a run between two files and waits for it.
#[derive(Default)]
pub struct Background {
    running: Option<(Arc<AtomicBool>, JoinHandle<Report>)>,
}

impl Background {
    /// Starts a run on its own thread, unless the previous one is still going (the next
    /// day's run catches up) or there is nothing to do. Returns whether a run started.
    pub fn start(&mut self, dir: &Path, before: Option<NaiveDate>, open_day: NaiveDate) -> bool {
        if self.running.as_ref().is_some_and(|(_, j)| !j.is_finished()) {
            tracing::info!("journal compaction still running; this one is skipped");
            return false;
        }
        self.wait();
        if !has_work(dir, before, open_day) {
            return false;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let (dir, stop) = (dir.to_path_buf(), cancel.clone());
        let spawned = thread::Builder::new()
            .name("xephang-compact".into())
            .spawn(move || {
                let report = compact(&dir, before, open_day, &stop);
                tracing::info!(
                    before = ?before,
                    checked = report.checked,
                    rewritten = report.rewritten.len(),
                    events_blanked = report.events_blanked,
                    failed = report.failed,
                    ms = report.elapsed.as_millis() as u64,
                    "journal compaction: personal data blanked in old day files"
                );
                report
            });
        match spawned {
            Ok(join) => {
                self.running = Some((cancel, join));
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "could not start the journal compaction thread; retried on the next run");
                false
            }
        }
    }

    /// Waits for the current run, if any, and returns its report.
    pub fn wait(&mut self) -> Option<Report> {
        let (_, join) = self.running.take()?;
        join.join().ok()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some((cancel, _)) = &self.running {
            cancel.store(true, Ordering::Relaxed);
        }
        self.wait();
    }
}
