//! A way forward from a damaged day file (issue 19): [`inspect`] says what is wrong and what a
//! repair would keep and set aside; [`repair`] keeps the longest intact prefix — exactly what
//! start-up would accept, decided by the same [`super::scan::scan`] — and moves every byte
//! after it into `<day>.jsonl.damaged-<time>` beside the file. Nothing is ever deleted.
//!
//! The set-aside lines are read as far as they can be (checksum or not) so that staff learn
//! which tickets those events touched and can re-issue them by hand; a line that is a byte-for-
//! byte copy of a kept line (a duplicated block) is named as such, since its event is kept.
//!
//! Crash safety of [`repair`]: the set-aside file is written and fsync'd first (new name,
//! never overwriting), then the prefix goes to `<day>.jsonl.tmp`, fsync, rename over the day
//! file, fsync of the folder. A power cut at any point leaves the original file whole or the
//! repaired one, and the set-aside bytes on disk before the original is replaced. The caller
//! holds the data folder's lock ([`crate::datalock`]), so no daemon appends meanwhile.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::Value;

use super::compact::{install, write_tmp};
use super::scan::{scan, Problem};
use super::{day_path, io_err, sync_dir, JournalError};

/// What is in a day file, and what a repair would do with it.
#[derive(Debug, Clone)]
pub struct DayCheck {
    pub day: NaiveDate,
    pub path: PathBuf,
    /// The file's size in bytes.
    pub size: u64,
    /// Whole intact lines at the start (what a repair keeps).
    pub kept_lines: usize,
    pub kept_bytes: u64,
    /// First and last seq of the kept events (None when none is kept).
    pub kept_seqs: Option<(u64, u64)>,
    /// The first line that is not intact (None: the file is whole).
    pub problem: Option<Problem>,
    /// Every line from the problem to the end: what a repair would set aside.
    pub aside: Vec<AsideLine>,
}

/// One line that a repair would set aside, read as far as it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsideLine {
    /// 1-based line number in the day file.
    pub line: usize,
    pub bytes: usize,
    /// Ends with a newline (a line without one was cut short and never acknowledged).
    pub complete: bool,
    /// The checksum matches the JSON.
    pub checksum_ok: bool,
    pub seq: Option<u64>,
    /// The event's `type`.
    pub kind: Option<String>,
    pub ticket: Option<TicketRef>,
    /// The line is a byte-for-byte copy of this kept line (its event is kept).
    pub copy_of: Option<usize>,
}

/// A ticket named by a set-aside event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TicketRef {
    pub number: String,
    pub id: String,
    pub service: Option<String>,
}

/// A ticket touched by set-aside events that are not copies of kept ones, with those events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub ticket: TicketRef,
    pub kinds: Vec<String>,
}

impl DayCheck {
    /// The file needs `repair` before the daemon can start on it.
    pub fn is_damaged(&self) -> bool {
        self.problem
            .as_ref()
            .is_some_and(|p| p.kind == super::scan::ProblemKind::Damaged)
    }

    /// Set-aside lines holding a readable event that is not a copy of a kept line.
    pub fn lost_events(&self) -> usize {
        self.aside
            .iter()
            .filter(|l| l.complete && l.seq.is_some() && l.copy_of.is_none())
            .count()
    }

    /// The tickets that set-aside events (not copies of kept ones) touched, in file order.
    pub fn touched(&self) -> Vec<Touched> {
        let mut out: Vec<Touched> = Vec::new();
        for l in self.aside.iter().filter(|l| l.copy_of.is_none()) {
            let (Some(t), Some(kind)) = (&l.ticket, &l.kind) else {
                continue;
            };
            match out.iter_mut().find(|x| x.ticket.id == t.id) {
                Some(x) => x.kinds.push(kind.clone()),
                None => out.push(Touched {
                    ticket: t.clone(),
                    kinds: vec![kind.clone()],
                }),
            }
        }
        out
    }
}

/// Reads the day file of `day` in `journal_dir` and says what is wrong with it (read-only).
pub fn inspect(journal_dir: &Path, day: NaiveDate) -> Result<DayCheck, JournalError> {
    let path = day_path(journal_dir, day);
    let bytes = fs::read(&path).map_err(io_err(&path))?;
    Ok(inspect_bytes(day, path, &bytes))
}

fn inspect_bytes(day: NaiveDate, path: PathBuf, bytes: &[u8]) -> DayCheck {
    let found = scan(bytes);
    let good = found.good_len as usize;
    let kept: Vec<&[u8]> = bytes[..good].split_inclusive(|&b| b == b'\n').collect();
    let by_bytes: HashMap<&[u8], usize> = kept
        .iter()
        .enumerate()
        .rev()
        .map(|(i, l)| (*l, i + 1))
        .collect();
    let aside = bytes[good..]
        .split_inclusive(|&b| b == b'\n')
        .enumerate()
        .map(|(i, raw)| read_aside(kept.len() + i + 1, raw, by_bytes.get(raw).copied()))
        .collect();
    DayCheck {
        day,
        path,
        size: bytes.len() as u64,
        kept_lines: kept.len(),
        kept_bytes: found.good_len,
        kept_seqs: found
            .events
            .first()
            .zip(found.events.last())
            .map(|(a, b)| (a.seq, b.seq)),
        problem: found.problem,
        aside,
    }
}

/// Reads what can be read of a set-aside line, trusting nothing.
fn read_aside(line: usize, raw: &[u8], copy_of: Option<usize>) -> AsideLine {
    let complete = raw.last() == Some(&b'\n');
    let body = raw.strip_suffix(b"\n").unwrap_or(raw);
    let (crc, json) = match body.get(8) {
        Some(b' ') => (Some(&body[..8]), &body[9..]),
        _ => (None, body),
    };
    let checksum_ok = crc
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| u32::from_str_radix(c, 16).ok())
        .is_some_and(|c| c == crc32fast::hash(json));
    let value: Option<Value> = serde_json::from_slice(json).ok();
    let event = value.as_ref().map(|v| &v["event"]);
    let ticket = event.and_then(|e| {
        let t = &e["ticket"];
        let (number, id, service) = if t.is_object() {
            (&t["number"], &t["id"], &t["service"])
        } else {
            // A rating names its ticket by id, with number and service beside it.
            (&e["number"], t, &e["service"])
        };
        Some(TicketRef {
            number: number.as_str()?.to_string(),
            id: id.as_str()?.to_string(),
            service: service.as_str().map(str::to_string),
        })
    });
    AsideLine {
        line,
        bytes: raw.len(),
        complete,
        checksum_ok,
        seq: value.as_ref().and_then(|v| v["seq"].as_u64()),
        kind: event.and_then(|e| e["type"].as_str()).map(str::to_string),
        ticket,
        copy_of,
    }
}

/// What [`repair`] did.
#[derive(Debug, Clone)]
pub struct Repaired {
    /// The file as it was before the repair.
    pub check: DayCheck,
    /// Where the set-aside bytes are now.
    pub aside_path: PathBuf,
}

/// Keeps the intact prefix of `day`'s file and moves the rest into a `.damaged-<stamp>` file
/// beside it (see the module doc). `stamp` names the set-aside file (e.g. `20261123T073000`).
/// None when the file is whole (nothing is written). The caller must hold the data lock.
pub fn repair(
    journal_dir: &Path,
    day: NaiveDate,
    stamp: &str,
) -> Result<Option<Repaired>, JournalError> {
    let path = day_path(journal_dir, day);
    let bytes = fs::read(&path).map_err(io_err(&path))?;
    let check = inspect_bytes(day, path.clone(), &bytes);
    if check.problem.is_none() {
        return Ok(None);
    }
    let good = check.kept_bytes as usize;
    let aside_path = write_aside(&path, stamp, &bytes[good..])?;
    let mut tmp = path.clone().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    write_tmp(&tmp, &bytes[..good])?;
    install(&tmp, &path)?;
    // Read back: the file must now be exactly the kept prefix, whole.
    let after = fs::read(&path).map_err(io_err(&path))?;
    let again = scan(&after);
    if after != bytes[..good] || again.problem.is_some() {
        return Err(JournalError::Io {
            path,
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the repaired file does not read back as the intact prefix",
            ),
        });
    }
    Ok(Some(Repaired { check, aside_path }))
}

/// Writes `rest` into a new `<day>.jsonl.damaged-<stamp>[-n]` beside `path`, durably.
fn write_aside(path: &Path, stamp: &str, rest: &[u8]) -> Result<PathBuf, JournalError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "journal".into(), |n| n.to_string_lossy().to_string());
    for n in 0..100 {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let candidate = dir.join(format!("{name}.damaged-{stamp}{suffix}"));
        let mut file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&candidate)(e)),
        };
        file.write_all(rest).map_err(io_err(&candidate))?;
        file.sync_all().map_err(io_err(&candidate))?;
        sync_dir(dir)?;
        return Ok(candidate);
    }
    Err(io_err(dir)(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "too many set-aside files with the same time stamp",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::encode_line;
    use crate::journal::tests::env;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn lines(seqs: &[u64]) -> Vec<Vec<u8>> {
        seqs.iter()
            .map(|&s| {
                let mut buf = Vec::new();
                encode_line(&env(s), &mut buf).expect("encode");
                buf
            })
            .collect()
    }

    #[test]
    fn a_whole_file_needs_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(day_path(dir.path(), day()), lines(&[1, 2, 3]).concat()).expect("write");
        let check = inspect(dir.path(), day()).expect("inspect");
        assert!(check.problem.is_none() && !check.is_damaged());
        assert_eq!((check.kept_lines, check.kept_seqs), (3, Some((1, 3))));
        assert!(repair(dir.path(), day(), "x").expect("repair").is_none());
        assert_eq!(fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[test]
    fn a_duplicated_block_is_set_aside_and_its_copies_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = lines(&[1, 2, 3, 4, 5, 6]);
        let damaged = [&l[..4], &l[1..3], &l[4..]].concat().concat();
        let path = day_path(dir.path(), day());
        fs::write(&path, &damaged).expect("write");
        let check = inspect(dir.path(), day()).expect("inspect");
        assert!(check.is_damaged());
        let p = check.problem.clone().expect("problem");
        assert_eq!(p.line, 5);
        assert!(p.what.contains("from 4 to 2"), "{}", p.what);
        let copies: Vec<_> = check.aside.iter().map(|a| a.copy_of).collect();
        assert_eq!(copies, vec![Some(2), Some(3), None, None]);
        assert_eq!(check.lost_events(), 2);

        let done = repair(dir.path(), day(), "20261123T080000")
            .expect("repair")
            .expect("something to repair");
        let kept = l[..4].concat();
        assert_eq!(fs::read(&path).expect("read"), kept);
        assert_eq!(
            fs::read(&done.aside_path).expect("read aside"),
            damaged[kept.len()..]
        );
        assert!(done
            .aside_path
            .to_string_lossy()
            .ends_with("2026-11-23.jsonl.damaged-20261123T080000"));
        // The set-aside file is not a day file, and the day now reads whole.
        assert_eq!(crate::journal::days(dir.path()), vec![day()]);
        assert!(inspect(dir.path(), day())
            .expect("inspect")
            .problem
            .is_none());
    }

    #[test]
    fn a_bad_checksum_mid_file_sets_aside_the_rest_with_its_tickets() {
        let l = lines(&[1, 2, 3, 4]);
        let mut bad = l[1].clone();
        let at = bad.len() - 3;
        bad[at] ^= 0x01;
        let damaged = [l[0].clone(), bad, l[2].clone(), l[3].clone()].concat();
        let check = inspect_bytes(day(), PathBuf::from("x.jsonl"), &damaged);
        assert!(check.is_damaged());
        assert_eq!(check.kept_lines, 1);
        assert_eq!(check.aside.len(), 3);
        assert!(!check.aside[0].checksum_ok);
        assert!(check.aside[1].checksum_ok);
        assert_eq!(check.aside[1].seq, Some(3));
    }

    #[test]
    fn a_torn_tail_is_not_damage_but_repair_keeps_its_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = lines(&[1, 2]);
        let torn = [&l[0][..], &l[1][..l[1].len() / 2]].concat();
        let path = day_path(dir.path(), day());
        fs::write(&path, &torn).expect("write");
        let check = inspect(dir.path(), day()).expect("inspect");
        assert!(check.problem.is_some() && !check.is_damaged());
        assert_eq!(check.lost_events(), 0);
        let done = repair(dir.path(), day(), "t")
            .expect("repair")
            .expect("done");
        assert_eq!(fs::read(&path).expect("read"), l[0]);
        assert_eq!(
            fs::read(done.aside_path).expect("read"),
            &l[1][..l[1].len() / 2]
        );
    }
}
