//! Start-up time with a journal of E events: the day is generated with the crate's own pure
//! domain (the same `decide` and `State::apply` the engine runs, the demo centre, real call
//! playlists), written with `journal::encode_line` as today's file, and the daemon is timed
//! from spawn to its `listening` line.

use std::time::Duration;

use chrono::{SubsecRound, Utc};

use xephang::audio::Announcer;
use xephang::config;
use xephang::domain::decide::start_of_day;
use xephang::domain::event::ClerkRef;
use xephang::domain::ids::{BookingCode, CounterId, ServiceId, TicketId};
use xephang::domain::{decide, Command, Ctx, State};

use super::daemon::{tempdir, Daemon};
use super::http::ISSUABLE;

#[derive(Debug, Clone, Default)]
pub struct Startup {
    pub events: usize,
    pub journal_bytes: usize,
    pub runs: Vec<Duration>,
    pub median: Duration,
    /// The daemon's own figure for recovery (replay + publish), from its log.
    pub recovered_ms: Option<u64>,
    /// Events the daemon says it replayed.
    pub replayed: Option<u64>,
    /// Start-up with an empty data dir, for comparison.
    pub empty: Duration,
}

/// Today's journal of at least `target` events, as file bytes, and the day.
pub fn generate(target: usize) -> Result<(chrono::NaiveDate, Vec<u8>, usize), String> {
    let cfg =
        config::parse(config::DEFAULT_TOML, config::DEFAULT_NAME).map_err(|e| e.to_string())?;
    let announcer = Announcer::new(&cfg.audio).map_err(|e| e.to_string())?;
    let announce = move |number: &str, counter: CounterId| announcer.playlist(number, counter.0);
    let spec = &cfg.spec;
    let now = Utc::now()
        .with_timezone(&spec.timezone)
        .fixed_offset()
        .trunc_subsecs(3);
    let day = now.date_naive();
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .and_then(|m| m.and_local_timezone(*now.offset()).single())
        .ok_or("no midnight")?;
    // Spread the day over the last hour (or since midnight), oldest first.
    let span = (now - midnight).min(chrono::Duration::hours(1));
    let step_us = (span.num_microseconds().unwrap_or(0) / target.max(1) as i64).max(0);
    let at_of = |k: usize| {
        (now - span + chrono::Duration::microseconds(step_us * k as i64)).trunc_subsecs(3)
    };

    let mut state = State::new(spec, day);
    let mut out = Vec::with_capacity(target * 600);
    let mut count = 0usize;
    let push = |state: &mut State, event, count: &mut usize, out: &mut Vec<u8>| {
        let env = state.commit(spec, event, at_of(*count));
        xephang::journal::encode_line(&env, out).expect("an event encodes");
        *count += 1;
    };
    let first = start_of_day(&state, day);
    push(&mut state, first, &mut count, &mut out);
    let mut commands: Vec<Command> = (1..=8u32)
        .filter_map(|c| {
            let id = format!("nv{c:02}");
            let staff = cfg.staff.iter().find(|s| s.id.0 == id)?;
            Some(Command::Login {
                counter: CounterId(c),
                clerk: ClerkRef {
                    id: staff.id.clone(),
                    name: staff.name.clone(),
                    photo: None,
                },
            })
        })
        .collect();
    let mut i = 0usize;
    while count < target {
        let cmd = match commands.pop() {
            Some(c) => c,
            None => {
                i += 1;
                let waiting: usize = state.queues.values().map(|q| q.len()).sum();
                if waiting < 150 || (i.is_multiple_of(2) && waiting < 400) {
                    Command::Issue {
                        service: ServiceId::new(ISSUABLE[i % ISSUABLE.len()]),
                        priority: i.is_multiple_of(11).then(|| "elderly".to_string()),
                        remote: false,
                    }
                } else {
                    Command::Next {
                        counter: CounterId(1 + ((i / 2) % 8) as u32),
                    }
                }
            }
        };
        let ctx = Ctx {
            now: at_of(count),
            new_id: TicketId(ulid::Ulid::new()),
            new_code: BookingCode("BENCH1".into()),
            announce: &announce,
        };
        if let Ok(events) = decide(spec, &state, &cmd, &ctx) {
            for e in events {
                push(&mut state, e, &mut count, &mut out);
            }
        }
    }
    Ok((day, out, count))
}

/// Times `runs` start-ups on a journal of `target` events (each on a fresh copy).
pub fn measure(
    bin: &std::path::Path,
    rust_log: &str,
    target: usize,
    runs: usize,
) -> Result<Startup, String> {
    let (day, bytes, events) = generate(target)?;
    let empty = Daemon::start(bin, rust_log)?.started_in;
    let mut times = Vec::new();
    let mut recovered_ms = None;
    let mut replayed = None;
    for _ in 0..runs.max(1) {
        let tmp = tempdir()?;
        let dir = tmp.path().join("data").join("journal");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(xephang::journal::day_path(&dir, day), &bytes).map_err(|e| e.to_string())?;
        let d = Daemon::start_in(bin, rust_log, tmp)?;
        times.push(d.started_in);
        // The log line is written before `listening`; give the file a moment anyway.
        std::thread::sleep(Duration::from_millis(50));
        recovered_ms = d.log_number("state recovered", "took_ms").or(recovered_ms);
        replayed = d.log_number("journal replayed", "events").or(replayed);
    }
    let mut sorted = times.clone();
    sorted.sort();
    Ok(Startup {
        events,
        journal_bytes: bytes.len(),
        median: sorted[sorted.len() / 2],
        runs: times,
        recovered_ms,
        replayed,
        empty,
    })
}
