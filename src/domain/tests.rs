//! Unit and property tests of the pure domain: numbering, lifecycle, selection policy, and the
//! invariants of DESIGN.md checked over random command sequences.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use proptest::prelude::*;

use super::decide::{end_of_day, start_of_day};
use super::error::{DomainError, Names, Reason};
use super::event::{ClerkRef, CounterStatus, Event, RatingSource};
use super::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
use super::select::pick_next;
use super::spec::{CentreSpec, CounterSpec, Mode, OpeningHours, PriorityClass, ServiceSpec};
use super::ticket::Status;
use super::{decide, Command, Ctx, Envelope, State};

fn service(id: &str, prefix: Option<&str>, first: u32, last: u32) -> ServiceSpec {
    ServiceSpec {
        id: ServiceId::new(id),
        name: id.to_uppercase(),
        name_en: id.to_uppercase(),
        prefix: prefix.map(str::to_string),
        first,
        last,
        target_wait_s: 600,
        default_service_s: 300,
        hours: OpeningHours::always(),
        remote: false,
        remote_cap: 200,
        appointments: None,
    }
}

fn counter(id: u32, services: &[&str], mode: Mode) -> CounterSpec {
    CounterSpec {
        id: CounterId(id),
        name: format!("Quầy {id}"),
        services: services.iter().map(|s| ServiceId::new(*s)).collect(),
        mode,
    }
}

/// A: 1–9 (tiny, to exercise wrapping), B: B01–B99; counters 1 [A,B] fifo, 2 [B,A] ordered,
/// 3 [A] fifo.
pub(crate) fn spec() -> CentreSpec {
    CentreSpec {
        name: "Test".into(),
        name_en: "Test".into(),
        timezone: chrono_tz::Asia::Ho_Chi_Minh,
        services: vec![service("a", None, 1, 9), service("b", Some("B"), 1, 99)],
        counters: vec![
            counter(1, &["a", "b"], Mode::Fifo),
            counter(2, &["b", "a"], Mode::Ordered),
            counter(3, &["a"], Mode::Fifo),
        ],
        priorities: vec![PriorityClass {
            id: "elderly".into(),
            name: "Người cao tuổi".into(),
            name_en: "Elderly".into(),
        }],
        priority_streak: 3,
        pause_alert_s: 600,
        personal_data_days: 30,
    }
}

/// The domain with a simulated clock, applying what it decides like the engine does (also
/// used by the tests of `decide/`).
pub(crate) struct Sim {
    pub(crate) spec: CentreSpec,
    pub(crate) state: State,
    pub(crate) now: DateTime<FixedOffset>,
    pub(crate) log: Vec<Envelope>,
}

impl Sim {
    /// 08:00 on Monday 2026-11-23 in Hà Nội, the day started.
    pub(crate) fn new(spec: CentreSpec) -> Sim {
        let now = FixedOffset::east_opt(7 * 3600)
            .and_then(|tz| tz.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).single())
            .expect("valid time");
        let day = now.date_naive();
        let state = State::new(&spec, day);
        let mut sim = Sim {
            spec,
            state,
            now,
            log: Vec::new(),
        };
        let first = start_of_day(&sim.state, day);
        sim.commit(vec![first]);
        sim
    }

    pub(crate) fn commit(&mut self, events: Vec<Event>) {
        for event in events {
            let env = self.state.commit(&self.spec, event, self.now);
            self.log.push(env);
        }
    }

    /// Decides `cmd` 7 s after the previous one and applies its events.
    pub(crate) fn exec(&mut self, cmd: Command) -> Result<Vec<Event>, DomainError> {
        let events = self.decide_after(7, &cmd)?;
        self.commit(events.clone());
        Ok(events)
    }

    /// What `cmd` decides `secs` after the previous command; not applied.
    pub(crate) fn decide_after(
        &mut self,
        secs: i64,
        cmd: &Command,
    ) -> Result<Vec<Event>, DomainError> {
        self.now += Duration::seconds(secs);
        let announce = |n: &str, c: CounterId| vec![format!("{n}@{c}")];
        let ctx = Ctx {
            now: self.now,
            new_id: TicketId(ulid::Ulid::new()),
            new_code: BookingCode("ABCDEF".into()),
            announce: &announce,
        };
        decide(&self.spec, &self.state, cmd, &ctx)
    }

    /// The `n`th of today's tickets in id order (wrapping), None when there is none yet.
    pub(crate) fn nth_ticket(&self, n: u8) -> Option<TicketId> {
        let mut ids: Vec<TicketId> = self.state.tickets.keys().copied().collect();
        ids.sort();
        (!ids.is_empty()).then(|| ids[usize::from(n) % ids.len()])
    }

    pub(crate) fn open(&mut self, c: u32) {
        let clerk = ClerkRef {
            id: StaffId(format!("nv{c:02}")),
            name: format!("Clerk {c}"),
            photo: None,
        };
        self.exec(Command::Login {
            counter: CounterId(c),
            clerk,
        })
        .expect("login");
    }

    fn issue(&mut self, s: &str, priority: Option<&str>) -> (TicketId, String) {
        let events = self
            .exec(Command::Issue {
                service: ServiceId::new(s),
                priority: priority.map(str::to_string),
                remote: false,
            })
            .expect("issue");
        let t = events[0].ticket().expect("ticket").clone();
        (t.id, t.number)
    }

    fn next(&mut self, c: u32) -> Option<TicketId> {
        let events = self
            .exec(Command::Next {
                counter: CounterId(c),
            })
            .ok()?;
        events.iter().find_map(|e| match e {
            Event::TicketCalled { ticket, .. } => Some(ticket.id),
            _ => None,
        })
    }

    fn check_invariants(&self) {
        // One number never names two live tickets.
        let mut live = HashSet::new();
        for t in self.state.tickets.values().filter(|t| t.status.is_live()) {
            assert!(
                live.insert(t.number.clone()),
                "number {} names two live tickets",
                t.number
            );
        }
        assert_eq!(
            live,
            self.state
                .live_numbers
                .iter()
                .cloned()
                .collect::<HashSet<_>>()
        );
        // Two counters never hold the same ticket, and a held ticket is called there.
        let mut held = HashSet::new();
        for (id, c) in &self.state.counters {
            if let Some(t) = c.current {
                assert!(held.insert(t), "ticket held by two counters");
                let ticket = &self.state.tickets[&t];
                assert_eq!(ticket.status, Status::Called);
                assert_eq!(ticket.counter, Some(*id));
            }
        }
        // The queue index holds exactly the waiting tickets.
        let queued: usize = self.state.queues.values().map(|q| q.len()).sum();
        let waiting = self
            .state
            .tickets
            .values()
            .filter(|t| t.status == Status::Waiting)
            .count();
        assert_eq!(queued, waiting);
    }
}

#[test]
fn issue_next_finish() {
    let mut sim = Sim::new(spec());
    sim.open(1);
    let (a, num) = sim.issue("a", None);
    assert_eq!(num, "1");
    let (_, b) = sim.issue("b", None);
    assert_eq!(b, "B01");
    assert_eq!(sim.next(1), Some(a));
    let events = sim
        .exec(Command::Finish {
            counter: CounterId(1),
        })
        .expect("finish");
    assert!(
        matches!(&events[0], Event::TicketFinished { ticket, .. } if ticket.status == Status::Done)
    );
    assert_eq!(sim.state.counters[&CounterId(1)].last_served, Some(a));
    sim.check_invariants();
}

#[test]
fn next_finishes_the_current_ticket() {
    let mut sim = Sim::new(spec());
    sim.open(1);
    let (a, _) = sim.issue("a", None);
    let (b, _) = sim.issue("a", None);
    sim.next(1);
    let events = sim
        .exec(Command::Next {
            counter: CounterId(1),
        })
        .expect("next");
    assert!(matches!(&events[0], Event::TicketFinished { ticket, .. } if ticket.id == a));
    assert!(matches!(&events[1], Event::TicketCalled { ticket, .. } if ticket.id == b));
}

#[test]
fn paused_counter_refuses_next() {
    let mut sim = Sim::new(spec());
    sim.open(1);
    sim.exec(Command::SetStatus {
        counter: CounterId(1),
        status: CounterStatus::Paused,
    })
    .expect("pause");
    sim.issue("a", None);
    assert_eq!(
        sim.exec(Command::Next {
            counter: CounterId(1)
        }),
        Err(DomainError::InvalidState(Reason::CounterNotOpen))
    );
}

#[test]
fn numbers_wrap_and_skip_live_ones_then_exhaust() {
    let mut sim = Sim::new(spec());
    sim.open(3);
    let mut ids = Vec::new();
    for i in 1..=9 {
        let (id, n) = sim.issue("a", None);
        assert_eq!(n, i.to_string());
        ids.push(id);
    }
    // All nine numbers are live: the range is exhausted.
    let err = sim.exec(Command::Issue {
        service: ServiceId::new("a"),
        priority: None,
        remote: false,
    });
    assert_eq!(
        err,
        Err(DomainError::RangeExhausted(Names {
            vi: "A".into(),
            en: "A".into()
        }))
    );
    // Serve 1 and 2: the next number wraps to 1.
    sim.next(3);
    sim.next(3);
    sim.exec(Command::Finish {
        counter: CounterId(3),
    })
    .expect("finish");
    let (_, n) = sim.issue("a", None);
    assert_eq!(n, "1");
    let (_, n) = sim.issue("a", None);
    assert_eq!(n, "2");
    sim.check_invariants();
}

#[test]
fn recall_no_show_requeue_cancel() {
    let mut sim = Sim::new(spec());
    sim.open(1);
    assert_eq!(
        sim.exec(Command::Recall {
            counter: CounterId(1)
        }),
        Err(DomainError::NoCurrentTicket)
    );
    let (a, _) = sim.issue("a", None);
    sim.next(1);
    let ev = sim
        .exec(Command::Recall {
            counter: CounterId(1),
        })
        .expect("recall");
    assert!(
        matches!(&ev[0], Event::TicketRecalled { ticket, audio, .. } if ticket.recalls == 1 && audio == &vec!["1@1".to_string()])
    );
    sim.exec(Command::NoShow {
        counter: CounterId(1),
    })
    .expect("no-show");
    assert_eq!(sim.state.tickets[&a].status, Status::NoShow);
    assert!(sim.state.counters[&CounterId(1)].current.is_none());
    sim.exec(Command::Requeue { ticket: a }).expect("requeue");
    assert_eq!(sim.state.tickets[&a].status, Status::Waiting);
    assert_eq!(
        sim.exec(Command::Requeue { ticket: a }),
        Err(DomainError::InvalidState(Reason::NotNoShow))
    );
    sim.exec(Command::Cancel { ticket: a }).expect("cancel");
    assert_eq!(sim.state.tickets[&a].status, Status::Cancelled);
    assert!(!sim.state.live_numbers.contains("1"));
    sim.check_invariants();
}

#[test]
fn transfer_keeps_place_by_original_issue_time() {
    let mut sim = Sim::new(spec());
    sim.open(1);
    let (a1, _) = sim.issue("a", None);
    let (b1, _) = sim.issue("b", None);
    let (b2, _) = sim.issue("b", None);
    // Counter 1 calls a1 (oldest), transfers it to service b: it goes ahead of b1 and b2.
    assert_eq!(sim.next(1), Some(a1));
    sim.exec(Command::Transfer {
        counter: CounterId(1),
        service: ServiceId::new("b"),
    })
    .expect("transfer");
    let t = &sim.state.tickets[&a1];
    assert_eq!(
        (t.status, t.service.as_str(), t.number.as_str()),
        (Status::Waiting, "b", "1")
    );
    sim.open(2);
    assert_eq!(sim.next(2), Some(a1));
    assert_eq!(sim.next(2), Some(b1));
    assert_eq!(sim.next(2), Some(b2));
    sim.check_invariants();
}

#[test]
fn fifo_and_ordered_modes() {
    let mut sim = Sim::new(spec());
    sim.open(1);
    sim.open(2);
    let (a1, _) = sim.issue("a", None);
    let (b1, _) = sim.issue("b", None);
    // Counter 2 is ordered [b, a]: b1 first although a1 is older.
    assert_eq!(sim.next(2), Some(b1));
    let (b2, _) = sim.issue("b", None);
    // Counter 1 is fifo [a, b]: a1 is the oldest.
    assert_eq!(sim.next(1), Some(a1));
    assert_eq!(sim.next(1), Some(b2));
}

#[test]
fn priority_first_but_at_most_streak_in_a_row() {
    let mut sim = Sim::new(spec());
    sim.open(3);
    let (n1, _) = sim.issue("a", None);
    let p: Vec<TicketId> = (0..4).map(|_| sim.issue("a", Some("elderly")).0).collect();
    // Three priority tickets, then the waiting normal ticket, then the last priority one.
    assert_eq!(sim.next(3), Some(p[0]));
    assert_eq!(sim.next(3), Some(p[1]));
    assert_eq!(sim.next(3), Some(p[2]));
    assert_eq!(sim.next(3), Some(n1));
    assert_eq!(sim.next(3), Some(p[3]));
}

#[test]
fn unknown_things_are_refused() {
    let mut sim = Sim::new(spec());
    assert_eq!(
        sim.exec(Command::Issue {
            service: ServiceId::new("zz"),
            priority: None,
            remote: false
        }),
        Err(DomainError::UnknownService("zz".into()))
    );
    assert_eq!(
        sim.exec(Command::Next {
            counter: CounterId(42)
        }),
        Err(DomainError::UnknownCounter(42))
    );
    assert_eq!(
        sim.exec(Command::Issue {
            service: ServiceId::new("a"),
            priority: Some("vip".into()),
            remote: false
        }),
        Err(DomainError::UnknownPriority("vip".into()))
    );
}

#[test]
fn closed_hours_refuse_tickets() {
    let mut s = spec();
    s.services[0].hours = OpeningHours {
        days: super::spec::ALL_WEEKDAYS.to_vec(),
        windows: vec![super::spec::TimeWindow {
            start: chrono::NaiveTime::from_hms_opt(13, 0, 0).expect("time"),
            end: chrono::NaiveTime::from_hms_opt(17, 0, 0).expect("time"),
        }],
        closed: false,
    };
    let mut sim = Sim::new(s);
    let r = sim.exec(Command::Issue {
        service: ServiceId::new("a"),
        priority: None,
        remote: false,
    });
    assert_eq!(
        r,
        Err(DomainError::ServiceClosed(Names {
            vi: "A".into(),
            en: "A".into()
        }))
    );
}

#[test]
fn rating_once_and_only_when_done() {
    let mut sim = Sim::new(spec());
    sim.open(1);
    let (a, _) = sim.issue("a", None);
    let rate = |ticket| Command::Rate {
        ticket,
        counter: Some(CounterId(1)),
        score: 4,
        comment: Some("Tốt".into()),
        source: RatingSource::Counter,
        phone: None,
    };
    sim.next(1);
    assert_eq!(sim.exec(rate(Some(a))), Err(DomainError::NotThisCounter));
    sim.exec(Command::Finish {
        counter: CounterId(1),
    })
    .expect("finish");
    let ev = sim.exec(rate(None)).expect("rate");
    assert!(
        matches!(&ev[0], Event::Rating(r) if r.ticket == a && r.clerk == Some(StaffId("nv01".into())))
    );
    assert_eq!(sim.exec(rate(None)), Err(DomainError::AlreadyRated));
}

#[test]
fn day_end_expires_waiting_and_replay_rebuilds_state() {
    let mut sim = Sim::new(spec());
    sim.open(1);
    sim.issue("a", None);
    sim.issue("b", None);
    sim.next(1);
    let expired = end_of_day(&sim.state, sim.now);
    assert_eq!(expired.len(), 2);
    sim.commit(expired);
    assert!(sim
        .state
        .tickets
        .values()
        .all(|t| t.status == Status::Expired));
    // Replaying the log rebuilds the same state.
    let replay = State::replay(&sim.spec, sim.state.day, &sim.log);
    assert_eq!(replay.tickets, sim.state.tickets);
    assert_eq!(replay.live_numbers, sim.state.live_numbers);
    assert_eq!(replay.counters, sim.state.counters);
    // The next day starts empty but keeps the counter and its clerk.
    let next_day = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
    let start = start_of_day(&sim.state, next_day);
    sim.commit(vec![start]);
    assert!(sim.state.tickets.is_empty());
    assert_eq!(
        sim.state.counters[&CounterId(1)].status,
        CounterStatus::Open
    );
    assert_eq!(sim.issue("a", None).1, "1");
}

mod duty;
mod estimates;
pub(crate) mod fixtures;
mod next_up;
pub(crate) mod props;

#[test]
fn a_closed_service_says_when_it_reopens_the_same_day() {
    use super::spec::TimeWindow;
    use chrono::{NaiveTime, Weekday};
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("time");
    let hours = OpeningHours {
        days: vec![Weekday::Mon],
        windows: vec![
            TimeWindow {
                start: t(7, 30),
                end: t(11, 30),
            },
            TimeWindow {
                start: t(13, 30),
                end: t(17, 0),
            },
        ],
        closed: false,
    };
    assert_eq!(hours.reopens_at(Weekday::Mon, t(12, 0)), Some(t(13, 30)));
    assert_eq!(hours.reopens_at(Weekday::Mon, t(6, 0)), Some(t(7, 30)));
    assert_eq!(hours.reopens_at(Weekday::Mon, t(9, 0)), None, "open now");
    assert_eq!(
        hours.reopens_at(Weekday::Mon, t(17, 30)),
        None,
        "not again today"
    );
    assert_eq!(
        hours.reopens_at(Weekday::Sun, t(12, 0)),
        None,
        "not a working day"
    );
}
