//! The engine's day change when the disk fails at that very moment (issue 7). The new day's
//! file has just been created but its first line (`day_started`) cannot be written; the
//! alerts of the same tick (a counter paused for two hours) come next. Two ways this went
//! wrong, both checked here:
//!
//! - the alerts failed too and the engine re-read the journal: it found an *empty* file for
//!   the new day and rebuilt an empty state for it, so `day_started` (clerks on duty, counter
//!   status, seq) was never written (fix: rebuild from the last day that has events);
//! - the disk healed between the failed day start and the alerts: the alerts of the old
//!   day's state were journalled into the new day's file ahead of `day_started` (fix: nothing
//!   is journalled outside a command before the day is started).
//!
//! Either way, once the disk works the new day must begin with `day_started`, carrying the
//! clerk on duty and the counter's status, its seq continuing from yesterday's last.
//!
//! In-process (the real `Engine` and journal in a temp dir, a hand-moved clock) because the
//! instants are narrow: the storage fault hook (`XEPHANG_FAULT_FILE`, here also with a count
//! of appends) is set for this test binary alone, which holds this one test.

mod engine_util;

use engine_util::{hand_clock, recover};

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use xephang::domain::event::{ClerkRef, CounterStatus};
use xephang::domain::ids::{CounterId, ServiceId, StaffId};
use xephang::domain::{Command, Envelope, Event};
use xephang::engine::{Actor, EngineError, EngineHandle};
use xephang::journal;

const CENTRE: &str = r#"
[centre]
name = "Trung tâm thử đổi ngày"
timezone = "Asia/Ho_Chi_Minh"
pause_alert_min = 1

[[services]]
id = "hotich"
name = "Hộ tịch"
first = 1001
last = 1999
target_wait_min = 15

[[counters]]
id = 1
name = "Quầy 1"
services = ["hotich"]
"#;

fn actor() -> Actor {
    Actor("test".into())
}

fn issue() -> Command {
    Command::Issue {
        service: ServiceId("hotich".into()),
        priority: None,
        remote: false,
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("day")
}

fn seqs(events: &[Envelope]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

/// Runs one command; the engine handles its messages in order, so when this answers, every
/// tick sent before it has been handled too (alerts included: they run after the batch that
/// carried the tick, before the next batch).
async fn run(handle: &EngineHandle, cmd: Command) -> Result<Vec<Arc<Envelope>>, EngineError> {
    handle.execute(cmd, actor()).await
}

#[test]
fn a_failed_first_write_of_the_new_day_is_retried_from_yesterday() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let fault = tmp.path().join("fault");
    // Set before any journal opens; this binary holds this one test.
    std::env::set_var(journal::fault::FAULT_FILE_VAR, &fault);
    let dir = tmp.path().join("journal");
    let spec = Arc::new(
        xephang::config::parse(CENTRE, "reload.toml")
            .expect("config")
            .spec,
    );
    // 22:00 in Hà Nội on 2031-05-05.
    let base = Utc
        .with_ymd_and_hms(2031, 5, 5, 15, 0, 0)
        .single()
        .expect("valid instant");
    let (clock, offset) = hand_clock(base);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let (handle, writer) = recover(&spec, &dir, &clock).spawn().expect("spawn");
    rt.block_on(async {
        // A clerk on duty at counter 1, which is then paused; one ticket served, none waiting
        // (so the end of the day expires nothing and the first write of the day change is
        // the new day's `day_started`).
        let clerk = ClerkRef {
            id: StaffId("nv01".into()),
            name: "Nguyễn Văn An".into(),
            photo: None,
        };
        let counter = CounterId(1);
        run(&handle, Command::Login { counter, clerk })
            .await
            .expect("login");
        run(&handle, issue()).await.expect("issue");
        run(&handle, Command::Next { counter }).await.expect("next");
        run(&handle, Command::Finish { counter })
            .await
            .expect("finish");
        let status = CounterStatus::Paused;
        run(&handle, Command::SetStatus { counter, status })
            .await
            .expect("pause");

        // 00:00:05 the next day, with the disk failing. The tick starts the day change: the
        // new file is created, `day_started` fails; then the alerts of the same tick (the
        // counter has been paused for two hours) fail too, and the engine re-reads the
        // journal: today's file is empty.
        offset.store(2 * 3600 + 5, Ordering::SeqCst);
        std::fs::write(&fault, "eio").expect("fault on");
        handle.tick().await;
        let refused = run(&handle, issue()).await;
        assert!(
            matches!(refused, Err(EngineError::Unavailable(_))),
            "refused while the disk fails: {refused:?}"
        );
        handle.tick().await;
        let refused = run(&handle, issue()).await;
        assert!(matches!(refused, Err(EngineError::Unavailable(_))));
        // The alerts of that tick run after its batch was answered: one more command, in a
        // batch of its own, waits for them.
        let refused = run(&handle, issue()).await;
        assert!(matches!(refused, Err(EngineError::Unavailable(_))));
        assert!(
            journal::read_day(&dir, day("2031-05-06"))
                .expect("today's file")
                .is_empty(),
            "nothing of the refused writes is in today's file"
        );

        // The disk heals between the day start that fails and the alerts of the same tick:
        // the fault lasts one more append only. The alerts must not be journalled for the old
        // day's state into the new day's file; the day is started first.
        std::fs::write(&fault, "eio 1").expect("one more fault");
        handle.tick().await;
        let _ = run(&handle, issue()).await;
        assert!(!fault.exists(), "the one fault was used");
        let issued = run(&handle, issue()).await.expect("issue after healing");
        match &issued[0].event {
            Event::TicketIssued { ticket, .. } => {
                assert!(
                    ticket.number.starts_with("100"),
                    "numbering restarts on the new day"
                )
            }
            other => panic!("expected a ticket: {other:?}"),
        }
    });
    drop(handle);
    writer.join().expect("writer thread");

    let yesterday = journal::read_day(&dir, day("2031-05-05")).expect("yesterday");
    let today = journal::read_day(&dir, day("2031-05-06")).expect("today");
    let last_old = yesterday.last().expect("yesterday's events").seq;
    match &today[0].event {
        Event::DayStarted {
            day: started,
            counters,
            ..
        } => {
            assert_eq!(*started, day("2031-05-06"));
            let c1 = counters
                .iter()
                .find(|c| c.counter == CounterId(1))
                .expect("counter 1 carried into the new day");
            assert_eq!(
                c1.clerk.as_ref().map(|c| c.id.0.as_str()),
                Some("nv01"),
                "the clerk on duty is carried into the new day"
            );
            assert_eq!(c1.status, CounterStatus::Paused);
        }
        other => panic!("today's file must start with day_started, not {other:?}"),
    }
    assert_eq!(today[0].seq, last_old + 1, "seq continues from yesterday");
    let all: Vec<u64> = seqs(&yesterday).into_iter().chain(seqs(&today)).collect();
    assert!(
        all.windows(2).all(|w| w[1] == w[0] + 1),
        "gapless seqs across both files: {all:?}"
    );

    // A restart on the same journal reaches the same state.
    let again = recover(&spec, &dir, &clock);
    let state = again.state();
    assert_eq!(state.day, day("2031-05-06"));
    assert_eq!(state.seq, today.last().expect("today's events").seq);
    let c1 = &state.counters[&CounterId(1)];
    assert_eq!(c1.clerk.as_ref().map(|c| c.id.0.as_str()), Some("nv01"));
    assert!(matches!(state.issued, 1 | 2), "today's tickets only");
}
