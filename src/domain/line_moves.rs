//! Which events can move a waiting ticket: its place in line or its estimated wait.
//!
//! A phone following its own ticket (the ticket page, src/api/ticket_feed.rs) re-checks its
//! ticket after every event that may have moved it; with thousands of phones on one socket
//! server (the province hub) a re-check per phone per event is most of the fan-out's cost,
//! while most events cannot move most tickets. The rule mirrors what a waiting ticket's
//! place and estimate are computed from ([`super::select::line_of`],
//! [`super::select::eta_s`]):
//! - the line of its service: the waiting tickets of that service (a ticket issued, called,
//!   transferred in or out, requeued, cancelled, expired);
//! - the counters that serve its service: whether each is open and busy, and which of its
//!   other services have a queue (so a ticket event of any service sharing a counter with
//!   it, and any event at such a counter);
//! - the service's expected service time (a ticket of that service finished);
//! - the spec itself (a new day, an admin change).
//!
//! It errs on the side of a re-check: a wrong "no" is a phone that misses an update, a
//! wrong "yes" only costs a look-up. Events whose counter is not in the event (a requeue, a
//! cancel, an expiry, a transfer without a counter free whichever counter held the ticket)
//! count as moving every line. Clock-driven moves (an appointment's slot beginning) come
//! with no event at all: a phone sees them at the next event of its line.

use super::event::Event;
use super::ids::{CounterId, ServiceId};
use super::spec::CentreSpec;

/// Whether `event` may change the place or the estimated wait of a waiting ticket of
/// `service` (a ticket other than the event's own: the event's own ticket is always
/// re-checked by its follower). `spec` is the centre's effective spec.
pub fn may_move(spec: &CentreSpec, event: &Event, service: &ServiceId) -> bool {
    // A service whose queue or counters' load is shared with `service`.
    let near = |other: &ServiceId| {
        other == service
            || spec
                .counters
                .iter()
                .any(|c| c.services.contains(other) && c.services.contains(service))
    };
    // A counter that serves `service` (an unknown one is assumed to).
    let serves = |counter: &CounterId| {
        spec.counter(*counter)
            .is_none_or(|c| c.services.contains(service))
    };
    match event {
        Event::DayStarted { .. } | Event::ConfigChanged { .. } => true,
        Event::TicketIssued { ticket, .. } => near(&ticket.service),
        Event::TicketCalled {
            ticket, counter, ..
        }
        | Event::TicketRecalled {
            ticket, counter, ..
        }
        | Event::TicketFinished { ticket, counter }
        | Event::TicketNoShow { ticket, counter } => near(&ticket.service) || serves(counter),
        Event::TicketTransferred {
            ticket,
            from_service,
            counter: Some(counter),
        } => near(&ticket.service) || near(from_service) || serves(counter),
        // Frees whichever counter held the ticket: not named in the event.
        Event::TicketTransferred { counter: None, .. }
        | Event::TicketRequeued { .. }
        | Event::TicketCancelled { .. }
        | Event::TicketExpired { .. } => true,
        Event::CounterStatus { counter, .. } | Event::ClerkLogin { counter, .. } => serves(counter),
        Event::Rating(_)
        | Event::DossierStats(_)
        | Event::BookingCreated { .. }
        | Event::BookingCancelled { .. }
        | Event::Alert(_)
        | Event::AlertCleared { .. }
        | Event::PersonalDataPurged { .. } => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{DateTime, FixedOffset};

    use super::*;
    use crate::domain::event::CounterStatus;
    use crate::domain::ids::TicketId;
    use crate::domain::tests::Sim;
    use crate::domain::ticket::{Status, Ticket};
    use crate::domain::Command;

    fn spec() -> CentreSpec {
        crate::config::parse(crate::config::DEFAULT_TOML, crate::config::DEFAULT_NAME)
            .expect("demo config")
            .spec
    }

    fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-30T08:00:00+07:00").expect("time")
    }

    /// A ticket of `service` in `status`, for tests.
    pub(crate) fn ticket(service: &str, status: Status) -> Ticket {
        let id = TicketId(ulid::Ulid::from_parts(9, 9));
        Ticket {
            status,
            ..Ticket::issued(id, "5001".into(), ServiceId::new(service), at(), 1)
        }
    }

    /// The domain tests' spec — counters 1 [a, b], 2 [b, a], 3 [a] — plus a service c on
    /// a counter 4 of its own: a line no event of a or b can move.
    pub(crate) fn three_services() -> CentreSpec {
        let mut s = crate::domain::tests::spec();
        let mut c = s.services[0].clone();
        c.id = ServiceId::new("c");
        c.prefix = Some("C".into());
        s.services.push(c);
        let mut four = s.counters[2].clone();
        four.id = CounterId(4);
        four.services = vec![ServiceId::new("c")];
        four.mode = crate::domain::spec::Mode::Fifo;
        s.counters.push(four);
        s
    }

    fn s(id: &str) -> ServiceId {
        ServiceId::new(id)
    }

    /// The demo centre's counters (config/default.toml): 1 and 2 serve hotich and
    /// chungthuc, 3 datdai, 4 datdai and dkkd, 5 gplx, 6 dkkd and gplx, 7 traketqua and
    /// chungthuc, 8 tiepdan and traketqua. The rule below is read against them.
    #[test]
    fn the_demo_counters_are_as_the_tests_assume() {
        let spec = spec();
        let of = |n: u32| {
            spec.counter(CounterId(n))
                .map(|c| c.services.iter().map(|s| s.0.as_str()).collect::<Vec<_>>())
        };
        assert_eq!(of(1), Some(vec!["hotich", "chungthuc"]));
        assert_eq!(of(3), Some(vec!["datdai"]));
        assert_eq!(of(5), Some(vec!["gplx"]));
        assert_eq!(of(8), Some(vec!["tiepdan", "traketqua"]));
    }

    #[test]
    fn a_ticket_event_moves_its_service_and_the_services_sharing_a_counter_with_it() {
        let spec = spec();
        let issued = Event::TicketIssued {
            ticket: ticket("datdai", Status::Waiting),
            booking: None,
            client: None,
        };
        assert!(may_move(&spec, &issued, &s("datdai")));
        // Counter 4 serves datdai and dkkd: a new datdai ticket may share it out.
        assert!(may_move(&spec, &issued, &s("dkkd")));
        assert!(!may_move(&spec, &issued, &s("hotich")));
        assert!(!may_move(&spec, &issued, &s("gplx")));
        assert!(!may_move(&spec, &issued, &s("tiepdan")));
    }

    #[test]
    fn a_call_or_a_finish_moves_the_lines_its_counter_serves() {
        let spec = spec();
        // A gplx ticket called at counter 6 (dkkd, gplx): dkkd's estimate depends on it.
        let called = Event::TicketCalled {
            ticket: ticket("gplx", Status::Called),
            counter: CounterId(6),
            audio: Vec::new(),
        };
        assert!(may_move(&spec, &called, &s("gplx")));
        assert!(may_move(&spec, &called, &s("dkkd")));
        assert!(!may_move(&spec, &called, &s("hotich")));
        // A ticket of a service the counter does not serve (called by number): the
        // counter's own services still move (it is busy now).
        let odd = Event::TicketFinished {
            ticket: ticket("tiepdan", Status::Done),
            counter: CounterId(3),
        };
        assert!(may_move(&spec, &odd, &s("datdai")));
        assert!(may_move(&spec, &odd, &s("traketqua")));
        assert!(!may_move(&spec, &odd, &s("gplx")));
        let no_show = Event::TicketNoShow {
            ticket: ticket("hotich", Status::NoShow),
            counter: CounterId(1),
        };
        assert!(may_move(&spec, &no_show, &s("chungthuc")));
        assert!(
            may_move(&spec, &no_show, &s("traketqua")) == may_share(&spec, "hotich", "traketqua")
        );
    }

    fn may_share(spec: &CentreSpec, a: &str, b: &str) -> bool {
        spec.counters
            .iter()
            .any(|c| c.services.contains(&s(a)) && c.services.contains(&s(b)))
    }

    #[test]
    fn a_transfer_moves_both_lines_and_its_counter() {
        let spec = spec();
        let moved = Event::TicketTransferred {
            ticket: ticket("gplx", Status::Waiting),
            from_service: s("datdai"),
            counter: Some(CounterId(3)),
        };
        assert!(may_move(&spec, &moved, &s("gplx")));
        assert!(may_move(&spec, &moved, &s("datdai")));
        assert!(may_move(&spec, &moved, &s("dkkd")));
        assert!(!may_move(&spec, &moved, &s("tiepdan")));
        let without_counter = Event::TicketTransferred {
            ticket: ticket("gplx", Status::Waiting),
            from_service: s("datdai"),
            counter: None,
        };
        assert!(may_move(&spec, &without_counter, &s("tiepdan")));
    }

    #[test]
    fn events_that_free_an_unnamed_counter_move_every_line() {
        let spec = spec();
        for e in [
            Event::TicketRequeued {
                ticket: ticket("gplx", Status::Waiting),
            },
            Event::TicketCancelled {
                ticket: ticket("gplx", Status::Cancelled),
            },
            Event::TicketExpired {
                ticket: ticket("gplx", Status::Expired),
            },
        ] {
            assert!(may_move(&spec, &e, &s("tiepdan")), "{}", e.kind());
        }
    }

    #[test]
    fn counter_events_move_the_lines_of_the_counter() {
        let spec = spec();
        let paused = Event::CounterStatus {
            counter: CounterId(5),
            status: CounterStatus::Paused,
        };
        assert!(may_move(&spec, &paused, &s("gplx")));
        assert!(!may_move(&spec, &paused, &s("dkkd")));
        let login = Event::ClerkLogin {
            counter: CounterId(8),
            clerk: None,
        };
        assert!(may_move(&spec, &login, &s("tiepdan")));
        assert!(!may_move(&spec, &login, &s("hotich")));
        // A counter the spec does not know (an admin change not seen yet): assume it serves.
        let unknown = Event::CounterStatus {
            counter: CounterId(99),
            status: CounterStatus::Open,
        };
        assert!(may_move(&spec, &unknown, &s("hotich")));
    }

    #[test]
    fn events_outside_the_lines_move_nothing_and_new_days_move_everything() {
        let spec = spec();
        let alert = Event::AlertCleared { key: "x".into() };
        assert!(!may_move(&spec, &alert, &s("hotich")));
        let purged = Event::PersonalDataPurged {
            before: at().date_naive(),
        };
        assert!(!may_move(&spec, &purged, &s("hotich")));
        let day = Event::DayStarted {
            day: at().date_naive(),
            counters: Vec::new(),
            bookings: Vec::new(),
            dossier: None,
            overlay: Default::default(),
        };
        assert!(may_move(&spec, &day, &s("hotich")));
    }

    /// The services of [`three_services`].
    pub(crate) const SERVICES: [&str; 3] = ["a", "b", "c"];

    /// A day of [`three_services`] with a clerk logged in at every counter.
    pub(crate) fn day() -> Sim {
        let mut sim = Sim::new(three_services());
        for c in 1..=4u32 {
            sim.open(c);
        }
        sim
    }

    /// A command drawn from three random bytes (issue, next, finish, no-show, transfer,
    /// pause or open, cancel, requeue), None when there is no ticket to name yet.
    pub(crate) fn command(sim: &Sim, op: (u8, u8, u8)) -> Option<Command> {
        let (kind, a, b) = op;
        let counter = CounterId(1 + u32::from(a % 4));
        let service = ServiceId::new(SERVICES[usize::from(b % 3)]);
        let nth = || sim.nth_ticket(b);
        Some(match kind % 10 {
            0..=2 => Command::Issue {
                service,
                priority: (a % 5 == 0).then(|| "elderly".to_string()),
                remote: false,
            },
            3 | 4 => Command::Next { counter },
            5 => Command::Finish { counter },
            6 => Command::NoShow { counter },
            7 => Command::Transfer { counter, service },
            8 => Command::SetStatus {
                counter,
                status: if b % 2 == 0 {
                    CounterStatus::Paused
                } else {
                    CounterStatus::Open
                },
            },
            _ if b % 2 == 0 => Command::Cancel { ticket: nth()? },
            _ => Command::Requeue { ticket: nth()? },
        })
    }

    /// What `cmd` decides 37 s after the previous command (None: refused); not applied.
    pub(crate) fn decide_later(sim: &mut Sim, cmd: &Command) -> Option<Vec<Event>> {
        sim.decide_after(37, cmd).ok()
    }

    /// The rule against the real computation: over random days (three services, one of
    /// them on a counter of its own), whenever an event changes the place or the estimate
    /// of a waiting ticket other than its own, the rule said it may.
    mod against_the_lines {
        use std::collections::HashMap;

        use proptest::prelude::*;

        use super::{command, day, decide_later, SERVICES};
        use crate::domain::ids::{ServiceId, TicketId};
        use crate::domain::line_moves::may_move;
        use crate::domain::select::positions;
        use crate::domain::tests::Sim;

        /// Every waiting ticket's (place, estimate), by service.
        fn places(sim: &Sim) -> HashMap<TicketId, (ServiceId, Option<u32>, Option<u32>)> {
            SERVICES
                .iter()
                .flat_map(|s| positions(&sim.spec, &sim.state, &ServiceId::new(*s), sim.now))
                .map(|t| (t.id, (t.service.clone(), t.waiting_ahead, t.eta_s)))
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            #[test]
            fn no_waiting_ticket_moves_unless_the_rule_says_it_may(
                ops in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 1..150)
            ) {
                let mut sim = day();
                for op in ops {
                    let Some(cmd) = command(&sim, op) else { continue };
                    let Some(events) = decide_later(&mut sim, &cmd) else { continue };
                    for event in events {
                        let before = places(&sim);
                        let own = event.ticket().map(|t| t.id);
                        let spec = sim.spec.clone();
                        sim.commit(vec![event.clone()]);
                        let after = places(&sim);
                        for (id, (service, ahead, eta)) in &before {
                            if Some(*id) == own {
                                continue;
                            }
                            let Some(now) = after.get(id) else { continue };
                            if now != &(service.clone(), *ahead, *eta) {
                                prop_assert!(
                                    may_move(&spec, &event, service),
                                    "{} moved ticket {} of {} from {:?} to {:?}",
                                    event.kind(), id, service, (ahead, eta), now
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
