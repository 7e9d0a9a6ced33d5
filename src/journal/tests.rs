//! Journal round trips and recovery from torn and corrupt files.

use std::io::Write;

use chrono::{FixedOffset, NaiveDate, TimeZone};

use super::*;
use crate::domain::event::{CounterStatus, Event};
use crate::domain::ids::CounterId;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
}

pub(crate) fn env(seq: u64) -> Envelope {
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
    encode_line(&env(3), &mut line).expect("encode");
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
    encode_line(&env(9), &mut line).expect("encode");
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

// ---------------------------------------------------------------------------------------
// Compaction: personal data leaves the closed day files (journal/compact.rs)
// ---------------------------------------------------------------------------------------

mod compaction {
    use std::os::unix::fs::MetadataExt;
    use std::sync::atomic::AtomicBool;

    use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

    use super::super::compact::{self, Background};
    use super::super::*;
    use crate::domain::event::{
        Booking, ClerkRef, CounterCarry, CounterStatus, Event, Rating, RatingSource,
    };
    use crate::domain::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
    use crate::domain::personal::blank_event;

    const NAME: &str = "Lê Thị Riêng Tư";
    const PHONE: &str = "0987654321";
    const NAME_2: &str = "Phạm Văn Hẹn";
    const PHONE_2: &str = "0912345678";
    const CALLBACK: &str = "0911222333";
    const NAME_LATER: &str = "Trần Văn Sau Này";
    const PHONE_LATER: &str = "0977888999";
    const CLERK: &str = "Nguyễn Văn An";
    /// What the closed day holds that a purge before [`today`] erases.
    const PURGED: [&str; 5] = [NAME, PHONE, NAME_2, PHONE_2, CALLBACK];

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    /// Closed days 20 and 21; today, the open day, is 22.
    fn old_day() -> NaiveDate {
        date(20)
    }
    fn quiet_day() -> NaiveDate {
        date(21)
    }
    fn today() -> NaiveDate {
        date(22)
    }

    fn at(d: u32, h: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(7 * 3600)
            .and_then(|tz| tz.with_ymd_and_hms(2026, 11, d, h, 0, 0).single())
            .expect("time")
    }

    fn booking(code: &str, d: u32, h: u32, name: &str, phone: Option<&str>) -> Booking {
        Booking {
            code: BookingCode(code.into()),
            service: ServiceId::new("hen"),
            start: at(d, h),
            name: Some(name.into()),
            phone: phone.map(str::to_string),
            checked_in: None,
        }
    }

    fn rating(n: u8, phone: Option<&str>) -> Event {
        Event::Rating(Rating {
            ticket: TicketId(ulid::Ulid::from_parts(1, u128::from(n))),
            number: format!("100{n}"),
            service: ServiceId::new("hen"),
            counter: Some(CounterId(1)),
            clerk: Some(StaffId("nv01".into())),
            score: n,
            comment: Some("Cán bộ nhiệt tình".into()),
            source: RatingSource::Phone,
            phone: phone.map(str::to_string),
        })
    }

    fn status(counter: u32) -> Event {
        Event::CounterStatus {
            counter: CounterId(counter),
            status: CounterStatus::Open,
        }
    }

    fn clerk() -> ClerkRef {
        ClerkRef {
            id: StaffId("nv01".into()),
            name: CLERK.into(),
            photo: None,
        }
    }

    /// The events of each day, seqs continuing across days.
    fn events_of(day: NaiveDate, first_seq: u64) -> Vec<Envelope> {
        let d = day.format("%d").to_string().parse::<u32>().expect("day");
        let events = if day == old_day() {
            vec![
                Event::DayStarted {
                    day,
                    counters: vec![CounterCarry {
                        counter: CounterId(1),
                        status: CounterStatus::Open,
                        clerk: Some(clerk()),
                    }],
                    bookings: vec![
                        booking("AAAAAA", d, 9, NAME, Some(PHONE)),
                        booking("LATER1", 30, 9, NAME_LATER, Some(PHONE_LATER)),
                    ],
                    dossier: None,
                    overlay: Default::default(),
                },
                Event::ClerkLogin {
                    counter: CounterId(1),
                    clerk: Some(clerk()),
                },
                Event::BookingCreated {
                    booking: booking("BBBBBB", d, 10, NAME_2, Some(PHONE_2)),
                },
                status(2),
                rating(4, Some(CALLBACK)),
                rating(3, None),
                Event::BookingCreated {
                    booking: booking("CCCCCC", d, 11, NAME_2, None),
                },
                status(3),
            ]
        } else if day == quiet_day() {
            vec![status(1), status(2)]
        } else {
            vec![
                Event::BookingCreated {
                    booking: booking("DDDDDD", d, 9, NAME, Some(PHONE)),
                },
                rating(2, Some(CALLBACK)),
                Event::PersonalDataPurged { before: today() },
            ]
        };
        events
            .into_iter()
            .enumerate()
            .map(|(i, event)| Envelope {
                seq: first_seq + i as u64,
                at: at(d, 8 + i as u32),
                event,
            })
            .collect()
    }

    /// A journal dir with the three days written through [`Journal`] itself.
    fn journal_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut seq = 1;
        for day in [old_day(), quiet_day(), today()] {
            let (mut j, _) = Journal::open(dir.path(), day).expect("open");
            let envs = events_of(day, seq);
            seq += envs.len() as u64;
            j.append(&envs).expect("append");
        }
        dir
    }

    fn bytes(dir: &Path, day: NaiveDate) -> Vec<u8> {
        fs::read(day_path(dir, day)).expect("read day file")
    }

    fn inode(dir: &Path, day: NaiveDate) -> u64 {
        fs::metadata(day_path(dir, day)).expect("meta").ino()
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    fn run(dir: &Path, before: Option<NaiveDate>, open_day: NaiveDate) -> compact::Report {
        compact::compact(dir, before, open_day, &AtomicBool::new(false))
    }

    /// The old day's events as a purge before `before` leaves them.
    fn blanked(events: &[Envelope], day: NaiveDate, before: NaiveDate) -> Vec<Envelope> {
        let mut events = events.to_vec();
        for env in &mut events {
            blank_event(&mut env.event, day, before);
        }
        events
    }

    #[test]
    fn compaction_blanks_personal_data_and_keeps_everything_else() {
        let dir = journal_dir();
        let dir = dir.path();
        let original = read_day(dir, old_day()).expect("read");
        let original_bytes = bytes(dir, old_day());
        for s in PURGED.iter().chain(&[NAME_LATER, CLERK]) {
            assert!(contains(&original_bytes, s), "the test data holds {s}");
        }
        let (quiet, open) = (bytes(dir, quiet_day()), bytes(dir, today()));
        let quiet_inode = inode(dir, quiet_day());

        let report = run(dir, Some(today()), today());
        assert_eq!(report.rewritten, vec![old_day()], "{report:?}");
        assert_eq!((report.checked, report.failed), (2, 0), "{report:?}");
        assert_eq!(
            report.events_blanked, 4,
            "day_started, 2 bookings, 1 rating"
        );

        let new_bytes = bytes(dir, old_day());
        for s in PURGED {
            assert!(!contains(&new_bytes, s), "{s} is still on disk");
        }
        // A visit still to come keeps its details; a clerk's name is not personal data.
        assert!(contains(&new_bytes, NAME_LATER) && contains(&new_bytes, PHONE_LATER));
        assert!(contains(&new_bytes, CLERK));
        // Every event, seq and time is kept; only the personal fields differ. read_day
        // checks every line's checksum, so they were recomputed.
        let now = read_day(dir, old_day()).expect("read compacted");
        assert_eq!(now, blanked(&original, old_day(), today()));
        assert_ne!(now, original);
        assert_eq!(
            now.iter().map(|e| e.seq).collect::<Vec<_>>(),
            original.iter().map(|e| e.seq).collect::<Vec<_>>()
        );
        // Lines without personal data are copied byte for byte.
        let old_lines: Vec<&[u8]> = original_bytes.split(|&b| b == b'\n').collect();
        let new_lines: Vec<&[u8]> = new_bytes.split(|&b| b == b'\n').collect();
        assert_eq!(old_lines.len(), new_lines.len());
        for (i, (a, b)) in old_lines.iter().zip(&new_lines).enumerate() {
            let changed = PURGED.iter().any(|s| contains(a, s));
            assert_eq!(a != b, changed, "line {}", i + 1);
        }
        // The quiet day (nothing to blank) and the open day are untouched.
        assert_eq!(bytes(dir, quiet_day()), quiet);
        assert_eq!(inode(dir, quiet_day()), quiet_inode, "not rewritten");
        assert_eq!(bytes(dir, today()), open);
        assert!(!compact::tmp_path(&day_path(dir, old_day())).exists());
        // The journal still opens and continues.
        let (_, events) = Journal::open(dir, today()).expect("reopen");
        assert_eq!(events, events_of(today(), 11));
    }

    #[test]
    fn compaction_is_idempotent() {
        let dir = journal_dir();
        let dir = dir.path();
        assert_eq!(run(dir, Some(today()), today()).rewritten, vec![old_day()]);
        let (once, ino) = (bytes(dir, old_day()), inode(dir, old_day()));
        let again = run(dir, Some(today()), today());
        assert_eq!(again.rewritten, Vec::<NaiveDate>::new(), "{again:?}");
        assert_eq!((again.checked, again.events_blanked), (2, 0));
        assert_eq!(bytes(dir, old_day()), once);
        assert_eq!(inode(dir, old_day()), ino, "a second run rewrites nothing");
    }

    #[test]
    fn the_open_day_is_never_touched() {
        let dir = journal_dir();
        let dir = dir.path();
        let open = bytes(dir, today());
        // Even a horizon past the open day leaves it alone: it is still being appended to.
        let later = date(25);
        let report = run(dir, Some(later), today());
        assert_eq!(report.rewritten, vec![old_day()]);
        assert_eq!(bytes(dir, today()), open);
        assert!(contains(&open, NAME) && contains(&open, CALLBACK));
        // With the old day open (a restart replaying it), nothing is rewritten at all.
        let dir2 = journal_dir();
        let before = bytes(dir2.path(), old_day());
        assert_eq!(run(dir2.path(), Some(later), old_day()).checked, 0);
        assert_eq!(bytes(dir2.path(), old_day()), before);
    }

    #[test]
    fn a_leftover_tmp_is_never_a_day_and_is_removed() {
        let dir = journal_dir();
        let dir = dir.path();
        let tmp = compact::tmp_path(&day_path(dir, old_day()));
        assert_eq!(
            tmp.file_name().and_then(|n| n.to_str()),
            Some("2026-11-20.jsonl.tmp")
        );
        fs::write(&tmp, b"half a compact").expect("tmp");
        let today_tmp = compact::tmp_path(&day_path(dir, today()));
        fs::write(&today_tmp, b"").expect("tmp");
        let other = dir.join("notes.tmp");
        fs::write(&other, b"not ours").expect("other");
        assert_eq!(days(dir), vec![old_day(), quiet_day(), today()]);
        let (_, events) = Journal::open(dir, today()).expect("open beside a tmp");
        assert_eq!(events.len(), 3);
        // At start-up, even with no purge recorded, the leftovers go and nothing else.
        let before = bytes(dir, old_day());
        let report = run(dir, None, today());
        assert_eq!((report.tmp_removed, report.checked), (2, 0), "{report:?}");
        assert!(!tmp.exists() && !today_tmp.exists());
        assert!(
            other.exists(),
            "only a compaction's own leftovers are removed"
        );
        assert_eq!(bytes(dir, old_day()), before);
    }

    #[test]
    fn a_crash_between_tmp_and_rename_leaves_the_original_intact() {
        let dir = journal_dir();
        let dir = dir.path();
        let path = day_path(dir, old_day());
        let (original, original_bytes) = (
            read_day(dir, old_day()).expect("read"),
            bytes(dir, old_day()),
        );
        let (content, blanked) = compact::compacted(&path, old_day(), today())
            .expect("compact")
            .expect("something to blank");
        assert_eq!(blanked, 4);
        let tmp = compact::tmp_path(&path);
        // Crash after the tmp is durable, before the rename; and one during its writing.
        for written in [&content[..], &content[..content.len() / 2]] {
            compact::write_tmp(&tmp, written).expect("write tmp");
            // … power cut here: the day file is the old one, whole.
            assert_eq!(bytes(dir, old_day()), original_bytes);
            assert_eq!(read_day(dir, old_day()).expect("read"), original);
            assert_eq!(days(dir), vec![old_day(), quiet_day(), today()]);
        }
        // The restart's run removes the leftover and compacts the file.
        let report = run(dir, Some(today()), today());
        assert_eq!(
            (report.tmp_removed, report.rewritten.clone()),
            (1, vec![old_day()])
        );
        assert!(!tmp.exists());
        assert_eq!(bytes(dir, old_day()), content);
        // A crash right after the rename: the new file is complete (it was fsync'd first).
        assert_eq!(
            read_day(dir, old_day()).expect("read"),
            blanked_events(&original)
        );
    }

    fn blanked_events(original: &[Envelope]) -> Vec<Envelope> {
        blanked(original, old_day(), today())
    }

    #[test]
    fn a_damaged_file_is_left_as_it_is() {
        let dir = journal_dir();
        let dir = dir.path();
        let path = day_path(dir, old_day());
        let text = fs::read_to_string(&path).expect("read");
        // A middle line whose checksum no longer matches (a non-personal one: found by the
        // check of the whole file before rewriting it).
        let damaged = text.replacen("\"counter\":2", "\"counter\":7", 1);
        assert_ne!(damaged, text);
        fs::write(&path, &damaged).expect("write");
        let report = run(dir, Some(today()), today());
        assert_eq!(
            (report.failed, report.rewritten.len()),
            (1, 0),
            "{report:?}"
        );
        assert_eq!(fs::read_to_string(&path).expect("read"), damaged);
        assert!(!compact::tmp_path(&path).exists());
        // A damaged personal line is refused as well.
        let damaged = text.replacen(CALLBACK, "0911222334", 1);
        fs::write(&path, &damaged).expect("write");
        assert!(matches!(
            compact::compact_day(dir, old_day(), today()),
            Err(JournalError::Corrupt { line: 5, .. })
        ));
        assert_eq!(fs::read_to_string(&path).expect("read"), damaged);
    }

    #[test]
    fn a_torn_tail_is_not_carried_into_the_new_file() {
        let dir = journal_dir();
        let dir = dir.path();
        let path = day_path(dir, old_day());
        let original = read_day(dir, old_day()).expect("read");
        let mut line = Vec::new();
        encode_line(&events_of(old_day(), 9)[4], &mut line).expect("encode");
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(&line[..line.len() - 20]).expect("torn write");
        drop(f);
        assert_eq!(run(dir, Some(today()), today()).rewritten, vec![old_day()]);
        assert_eq!(
            read_day(dir, old_day()).expect("read"),
            blanked_events(&original)
        );
        assert!(bytes(dir, old_day()).ends_with(b"\n"));
    }

    /// What the file says after compaction is what the state says after the purge.
    #[test]
    fn the_file_agrees_with_the_state_purge() {
        let config = crate::config::parse(crate::config::DEFAULT_TOML, crate::config::DEFAULT_NAME)
            .expect("demo centre");
        let dir = journal_dir();
        let dir = dir.path();
        let replay = |events: &[Envelope]| {
            let mut state = crate::domain::State::replay(&config.spec, old_day(), events);
            state.purge(today());
            let mut bookings: Vec<Booking> = state.bookings.into_iter().map(|(_, b)| b).collect();
            bookings.sort_by(|a, b| a.code.0.cmp(&b.code.0));
            let mut ratings: Vec<(TicketId, Rating)> = state.ratings.into_iter().collect();
            ratings.sort_by_key(|(t, _)| *t);
            (bookings, ratings)
        };
        let before = replay(&read_day(dir, old_day()).expect("read"));
        run(dir, Some(today()), today());
        let after = replay(&read_day(dir, old_day()).expect("read"));
        assert_eq!(after, before);
        assert_eq!(after.0.len(), 4);
    }

    #[test]
    fn the_background_runner_runs_one_at_a_time_and_only_with_work() {
        let dir = journal_dir();
        let dir = dir.path();
        let mut bg = Background::default();
        assert!(
            !bg.start(dir, None, today()),
            "no purge, no leftover: no thread"
        );
        assert!(
            !bg.start(dir, Some(old_day()), today()),
            "no day before the horizon"
        );
        assert!(bg.start(dir, Some(today()), today()));
        let report = bg.wait().expect("report");
        assert_eq!(report.rewritten, vec![old_day()]);
        assert!(bg.start(dir, Some(today()), today()));
        drop(bg); // waits for the run
        assert!(!contains(&bytes(dir, old_day()), NAME));
    }
}

#[test]
fn the_repair_hint_names_the_data_dir_and_day_as_typed() {
    let p = Path::new("data/journal/2026-11-23.jsonl");
    assert_eq!(day_args(p), "--data-dir data --day 2026-11-23");
    let p = Path::new("/srv/xe phang/journal/2026-11-23.jsonl");
    assert_eq!(day_args(p), "--data-dir '/srv/xe phang' --day 2026-11-23");
    let p = Path::new("journal/2026-11-23.jsonl");
    assert_eq!(day_args(p), "--data-dir . --day 2026-11-23");
    let err = JournalError::Corrupt {
        path: PathBuf::from("data/journal/2026-11-23.jsonl"),
        line: 7,
        what: "checksum mismatch".into(),
    }
    .to_string();
    assert!(
        err.starts_with("data/journal/2026-11-23.jsonl:7: checksum mismatch"),
        "{err}"
    );
    assert!(
        err.contains("xephang journal repair --data-dir data --day 2026-11-23"),
        "{err}"
    );
}

/// A value that cannot be serialised as JSON (a map with non-string keys) is an error, and
/// the buffer is left as it was. Before, `unwrap_or_default` wrote a line holding nothing but
/// the checksum of an empty JSON text, which start-up then refused as a damaged journal.
#[test]
fn a_line_that_cannot_be_serialised_is_an_error_not_an_empty_line() {
    let mut bad = std::collections::HashMap::new();
    bad.insert((1u8, 2u8), "x");
    let mut buf = b"previous\n".to_vec();
    assert!(encode_json(&bad, &mut buf).is_err());
    assert_eq!(buf, b"previous\n", "nothing appended");
    encode_json(&env(1), &mut buf).expect("an envelope encodes");
    assert!(buf.starts_with(b"previous\n") && buf.ends_with(b"\n"));
}
