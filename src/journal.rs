//! The journal: one append-only file per business day under `<data-dir>/journal/`, one
//! checksummed JSON event per line, fsync'd before anything is acknowledged.
//!
//! Line format: `<crc32 of the JSON, 8 hex digits> <JSON envelope>\n`. On opening, a torn
//! last line (a write cut by a power loss: no newline, or a checksum that does not match) is
//! dropped with a warning and cut off the file; a bad line anywhere else stops start-up with
//! the file and line, because silently skipping it would lose acknowledged data, and names
//! `xephang journal repair` ([`repair`], [`cli`]). Which prefix of a file is intact is decided
//! in one place, [`scan`], shared by start-up, readers, compaction and check/repair.
//!
//! Closed day files older than a recorded `personal_data_purged` are rewritten once with the
//! personal data blanked ([`compact`]); that is the only change ever made to a closed file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use thiserror::Error;

use crate::domain::Envelope;

pub mod cli;
pub mod compact;
pub mod fault;
pub mod repair;
pub mod scan;
use fault::Fault;

#[derive(Debug, Error)]
pub enum JournalError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{path}:{line}: {what}\n\
         Nhật ký bị hỏng trước dòng cuối; chưa có gì bị thay đổi. Xem lỗi: `xephang journal \
         check {args}`; sửa: `xephang journal repair {args}` (giữ phần còn nguyên vẹn, chuyển \
         phần còn lại sang một tệp bên cạnh, không xoá gì, và liệt kê các phiếu cần cấp lại \
         bằng tay).\n\
         The journal is damaged before its last line; nothing was changed. See what is wrong: \
         `xephang journal check {args}`; repair: `xephang journal repair {args}` (keeps the \
         intact start, moves the rest into a file beside it, deletes nothing, and lists the \
         tickets to re-issue by hand).",
        args = day_args(.path)
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        what: String,
    },
    #[error("event {seq} cannot be written as a journal line: {source} (nothing was written)")]
    Encode { seq: u64, source: serde_json::Error },
}

/// The `map_err` of an I/O failure on `path` (also the uplink's read-back).
pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The open journal of the current business day.
pub struct Journal {
    dir: PathBuf,
    day: NaiveDate,
    path: PathBuf,
    file: File,
    /// Bytes known to be on disk (fsync'd); the file is cut back to this after a failure.
    committed: u64,
    /// A failed append could not be cut back: the file may hold bytes past `committed`,
    /// which the next append cuts off before writing (the file is opened in append mode).
    tail_dirty: bool,
    /// Test hook: the fault file (see [`fault`]); None in real use.
    fault: Option<PathBuf>,
}

/// Timing of the last append, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct AppendReport {
    pub bytes: usize,
    pub fsync: Duration,
}

impl Journal {
    /// Opens (or creates) the file of `day` and returns it with the events already in it.
    pub fn open(dir: &Path, day: NaiveDate) -> Result<(Journal, Vec<Envelope>), JournalError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = day_path(dir, day);
        let existed = path.exists();
        let (events, good_len) = if existed {
            read_file(&path)?
        } else {
            (Vec::new(), 0)
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let len = file.metadata().map_err(io_err(&path))?.len();
        if len > good_len {
            tracing::warn!(
                file = %path.display(),
                dropped_bytes = len - good_len,
                "journal ended with a torn line (a write cut short); it was never acknowledged and is dropped"
            );
            file.set_len(good_len).map_err(io_err(&path))?;
            file.sync_all().map_err(io_err(&path))?;
        }
        if !existed {
            sync_dir(dir)?;
        }
        Ok((
            Journal {
                dir: dir.to_path_buf(),
                day,
                path,
                file,
                committed: good_len,
                tail_dirty: false,
                fault: fault::configured(),
            },
            events,
        ))
    }

    pub fn day(&self) -> NaiveDate {
        self.day
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the envelopes as one write and makes them durable with one fsync (group
    /// commit: the engine passes every command's events that arrived meanwhile). On failure
    /// the file is cut back so that no partial batch is left to be replayed.
    pub fn append(&mut self, envs: &[Envelope]) -> Result<AppendReport, JournalError> {
        let mut buf = Vec::with_capacity(envs.len() * 512);
        for env in envs {
            // Nothing is written unless every line of the batch encodes.
            encode_line(env, &mut buf).map_err(|source| JournalError::Encode {
                seq: env.seq,
                source,
            })?;
        }
        if self.tail_dirty {
            // A previous failure left bytes past the committed length; never build on them.
            self.file
                .set_len(self.committed)
                .map_err(io_err(&self.path))?;
            self.tail_dirty = false;
        }
        let injected = fault::active(&self.fault);
        let result = match injected {
            Some(f @ (Fault::Eio | Fault::NoSpace)) => Err(f.error()),
            Some(f @ Fault::Fsync) => self.file.write_all(&buf).and(Err(f.error())),
            Some(f @ Fault::Torn) => self
                .file
                .write_all(&buf[..buf.len() / 2])
                .and(Err(f.error())),
            None => self.file.write_all(&buf).and_then(|()| {
                let start = Instant::now();
                self.file.sync_data().map(|()| start.elapsed())
            }),
        };
        match result {
            Ok(fsync) => {
                self.committed += buf.len() as u64;
                Ok(AppendReport {
                    bytes: buf.len(),
                    fsync,
                })
            }
            Err(e) => {
                let cut = if injected == Some(Fault::Torn) {
                    Err(Fault::Torn.error())
                } else {
                    self.file.set_len(self.committed)
                };
                if let Err(cut) = cut {
                    self.tail_dirty = true;
                    tracing::error!(file = %self.path.display(), error = %cut, "could not cut back a failed journal write; the next append retries");
                }
                Err(JournalError::Io {
                    path: self.path.clone(),
                    source: e,
                })
            }
        }
    }

    /// The events that are durable: the file's first `committed` bytes, whatever a failed
    /// write may have left after them. The engine rebuilds its state from these after a
    /// failed append, so a refused batch never lingers in memory.
    pub fn read_committed(&self) -> Result<Vec<Envelope>, JournalError> {
        let mut bytes = fs::read(&self.path).map_err(io_err(&self.path))?;
        if (bytes.len() as u64) < self.committed {
            return Err(JournalError::Corrupt {
                path: self.path.clone(),
                line: 0,
                what: format!(
                    "the file is shorter ({} bytes) than what was committed ({})",
                    bytes.len(),
                    self.committed
                ),
            });
        }
        bytes.truncate(self.committed as usize);
        parse_bytes(&self.path, &bytes).map(|(events, _)| events)
    }

    /// Closes this day's file and opens the next day's.
    pub fn rotate(&mut self, day: NaiveDate) -> Result<Vec<Envelope>, JournalError> {
        let (next, events) = Journal::open(&self.dir, day)?;
        *self = next;
        Ok(events)
    }
}

/// `<dir>/YYYY-MM-DD.jsonl`
pub fn day_path(dir: &Path, day: NaiveDate) -> PathBuf {
    dir.join(format!("{}.jsonl", day.format("%Y-%m-%d")))
}

/// Days that have a journal file, oldest first. Only `YYYY-MM-DD.jsonl` counts: a
/// compaction's `YYYY-MM-DD.jsonl.tmp` (see [`compact`]) is never taken for a day.
pub fn days(dir: &Path) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".jsonl")?;
            NaiveDate::parse_from_str(stem, "%Y-%m-%d").ok()
        })
        .collect();
    days.sort();
    days
}

/// Reads a day's events (for past days' stats and reports), tolerating a torn last line.
pub fn read_day(dir: &Path, day: NaiveDate) -> Result<Vec<Envelope>, JournalError> {
    read_file(&day_path(dir, day)).map(|(events, _)| events)
}

/// The latest day before `before` whose file holds events, with its events: where the state
/// stands when the newest day file is still empty (a day change cut short before its first
/// line was durable).
pub fn last_day_with_events(
    dir: &Path,
    before: NaiveDate,
) -> Result<Option<(NaiveDate, Vec<Envelope>)>, JournalError> {
    for day in days(dir).into_iter().rev().filter(|d| *d < before) {
        let events = read_day(dir, day)?;
        if !events.is_empty() {
            return Ok(Some((day, events)));
        }
    }
    Ok(None)
}

/// Serialises one envelope as a journal line appended to `buf`. A serialisation failure is
/// an error and leaves `buf` as it was: an empty or partial line must never reach the disk.
pub fn encode_line(env: &Envelope, buf: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    encode_json(env, buf)
}

/// [`encode_line`] for any value (the journal writes envelopes only).
fn encode_json<T: serde::Serialize + ?Sized>(
    value: &T,
    buf: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    let json = serde_json::to_vec(value)?;
    let crc = crc32fast::hash(&json);
    buf.extend_from_slice(format!("{crc:08x} ").as_bytes());
    buf.extend_from_slice(&json);
    buf.push(b'\n');
    Ok(())
}

/// Parses one journal line (without its newline).
pub fn decode_line(line: &[u8]) -> Result<Envelope, String> {
    if line.len() < 10 || line[8] != b' ' {
        return Err("not a journal line (expected `<crc32> <json>`)".into());
    }
    let crc_hex = std::str::from_utf8(&line[..8]).map_err(|_| "checksum is not hex")?;
    let crc = u32::from_str_radix(crc_hex, 16).map_err(|_| "checksum is not hex")?;
    let json = &line[9..];
    if crc32fast::hash(json) != crc {
        return Err("checksum mismatch".into());
    }
    serde_json::from_slice(json).map_err(|e| format!("bad event: {e}"))
}

/// The seq of a journal line (without its newline) without decoding its event and without
/// checking its checksum: for a reader that only skips the line (the uplink's read-back).
/// An envelope is written with `seq` first (`{"seq":N,…`), read straight from the bytes;
/// any other layout is parsed.
pub fn seq_of_line(line: &[u8]) -> Option<u64> {
    let json = line.get(9..)?;
    if let Some(rest) = json.strip_prefix(b"{\"seq\":") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && rest.get(digits) == Some(&b',') {
            return std::str::from_utf8(&rest[..digits]).ok()?.parse().ok();
        }
    }
    #[derive(serde::Deserialize)]
    struct SeqOnly {
        seq: u64,
    }
    serde_json::from_slice::<SeqOnly>(json).ok().map(|s| s.seq)
}

/// Reads a whole file: the events and the length of its intact prefix.
fn read_file(path: &Path) -> Result<(Vec<Envelope>, u64), JournalError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    parse_bytes(path, &bytes)
}

/// Parses a file's bytes: the events and the length of the intact prefix; damage before the
/// last line is an error ([`scan`] decides).
fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<(Vec<Envelope>, u64), JournalError> {
    let scan = scan::scan(bytes);
    match scan.problem {
        Some(p) if p.kind == scan::ProblemKind::Damaged => Err(JournalError::Corrupt {
            path: path.to_path_buf(),
            line: p.line,
            what: p.what,
        }),
        _ => Ok((scan.events, scan.good_len)),
    }
}

/// The arguments of `xephang journal check|repair` for the day file at `path`
/// (`<data-dir>/journal/<day>.jsonl`), as a user would type them.
pub fn day_args(path: &Path) -> String {
    let day = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".jsonl"))
        .unwrap_or("<YYYY-MM-DD>");
    let data_dir = path
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == "journal"))
        .and_then(Path::parent)
        .map(|d| {
            if d.as_os_str().is_empty() {
                ".".to_string()
            } else {
                shell_word(&d.display().to_string())
            }
        })
        .unwrap_or_else(|| "<DATA-DIR>".to_string());
    format!("--data-dir {data_dir} --day {day}")
}

/// `s` quoted for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@%".contains(c));
    if plain && !s.is_empty() {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(test)]
mod tests;
