//! Journal round trips and recovery from torn and corrupt files.

use std::io::Write;

use chrono::{FixedOffset, NaiveDate, TimeZone};

use super::*;
use crate::domain::event::{CounterStatus, Event};
use crate::domain::ids::CounterId;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
}

fn env(seq: u64) -> Envelope {
    let at = FixedOffset::east_opt(7 * 3600)
        .and_then(|tz| tz.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).single())
        .expect("time");
    Envelope {
        seq,
        at,
        event: Event::CounterStatus {
            counter: CounterId(seq as u32),
            status: CounterStatus::Open,
        },
    }
}

#[test]
fn append_then_reopen_returns_the_same_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut j, events) = Journal::open(dir.path(), day()).expect("open");
    assert!(events.is_empty());
    j.append(&[env(1), env(2)]).expect("append");
    j.append(&[env(3)]).expect("append");
    drop(j);
    let (_, events) = Journal::open(dir.path(), day()).expect("reopen");
    assert_eq!(events, vec![env(1), env(2), env(3)]);
    assert_eq!(days(dir.path()), vec![day()]);
}

#[test]
fn a_torn_last_line_is_dropped_and_cut_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut j, _) = Journal::open(dir.path(), day()).expect("open");
    j.append(&[env(1), env(2)]).expect("append");
    drop(j);
    let path = day_path(dir.path(), day());
    let good_len = std::fs::metadata(&path).expect("meta").len();
    let mut line = Vec::new();
    encode_line(&env(3), &mut line);
    let mut f = OpenOptions::new().append(true).open(&path).expect("open");
    f.write_all(&line[..line.len() / 2]).expect("write");
    drop(f);
    let (mut j, events) = Journal::open(dir.path(), day()).expect("reopen");
    assert_eq!(events.len(), 2);
    assert_eq!(std::fs::metadata(&path).expect("meta").len(), good_len);
    // Appending after recovery continues cleanly.
    j.append(&[env(3)]).expect("append");
    drop(j);
    let (_, events) = Journal::open(dir.path(), day()).expect("reopen");
    assert_eq!(events.len(), 3);
}

#[test]
fn a_corrupt_line_before_the_end_stops_recovery_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut j, _) = Journal::open(dir.path(), day()).expect("open");
    j.append(&[env(1), env(2), env(3)]).expect("append");
    drop(j);
    let path = day_path(dir.path(), day());
    let text = std::fs::read_to_string(&path).expect("read");
    let damaged = text.replacen("\"seq\":2", "\"seq\":7", 1);
    std::fs::write(&path, damaged).expect("write");
    match Journal::open(dir.path(), day()) {
        Err(JournalError::Corrupt { line, what, .. }) => {
            assert_eq!(line, 2);
            assert!(what.contains("checksum"), "{what}");
        }
        other => panic!(
            "expected a corrupt-line error, got {:?}",
            other.map(|(_, e)| e)
        ),
    }
}

#[test]
fn decode_rejects_garbage() {
    assert!(decode_line(b"").is_err());
    assert!(decode_line(b"zzzzzzzz {}").is_err());
    assert!(decode_line(b"00000000 {\"seq\":1}").is_err());
    let mut line = Vec::new();
    encode_line(&env(9), &mut line);
    line.pop();
    assert_eq!(decode_line(&line), Ok(env(9)));
}

/// A failed write whose cut-back also failed (fault `torn`): the durable events are the
/// committed prefix only, and the next append cuts the leftover bytes before writing.
#[test]
fn a_torn_failure_is_not_read_back_and_is_cut_by_the_next_append() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fault = dir.path().join("fault");
    let (mut j, _) = Journal::open(dir.path(), day()).expect("open");
    j.fault = Some(fault.clone());
    j.append(&[env(1), env(2)]).expect("append");
    std::fs::write(&fault, "torn").expect("fault");
    assert!(j.append(&[env(3), env(4), env(5)]).is_err());
    assert!(std::fs::metadata(j.path()).expect("meta").len() > j.committed);
    assert_eq!(j.read_committed().expect("read"), vec![env(1), env(2)]);
    std::fs::write(&fault, "fsync").expect("fault");
    assert!(j.append(&[env(3)]).is_err());
    assert_eq!(
        std::fs::metadata(j.path()).expect("meta").len(),
        j.committed
    );
    std::fs::remove_file(&fault).expect("heal");
    j.append(&[env(3)]).expect("append after healing");
    drop(j);
    let (_, events) = Journal::open(dir.path(), day()).expect("reopen");
    assert_eq!(events, vec![env(1), env(2), env(3)]);
}
