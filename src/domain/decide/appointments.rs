//! Decisions about appointments and tickets taken from phones: booking a slot, cancelling a
//! booking, checking one in at the kiosk, and a phone's remote ticket under its daily cap.
//!
//! Kept apart from `decide.rs` (issue 7) so that file stays small enough to read; the shared
//! ticket helpers (`issue`, `new_ticket`, `with_position`) stay there.

use chrono::{DateTime, FixedOffset};

use super::{issue, new_ticket, with_position, Ctx, Decision};
use crate::domain::error::{DomainError, Reason};
use crate::domain::event::{Booking, ClientTag, Event};
use crate::domain::ids::{BookingCode, ServiceId};
use crate::domain::personal::{clean_name, clean_phone};
use crate::domain::slots::{booked, slot_starts};
use crate::domain::spec::{booking_on_time, CentreSpec};
use crate::domain::state::State;
use crate::domain::ticket::APPOINTMENT;

/// A ticket from the phone `client`: refused like any remote ticket (unknown service, not
/// `remote`, the service's `remote_cap`, closed hours), and then refused with
/// `ClientCapReached` when the phone already took `per_client` tickets today. Checked in the
/// one writer against the
/// day's state, so two requests of one phone cannot both pass, and rebuilt by replay after a
/// restart.
pub(super) fn issue_remote(
    spec: &CentreSpec,
    state: &State,
    service: &ServiceId,
    client: &ClientTag,
    per_client: u32,
    ctx: &Ctx,
) -> Decision {
    let mut events = issue(spec, state, service, None, true, ctx)?;
    if state.remote_by_client.get(client).copied().unwrap_or(0) >= per_client {
        return Err(DomainError::ClientCapReached(per_client));
    }
    for e in &mut events {
        if let Event::TicketIssued { client: tag, .. } = e {
            *tag = Some(client.clone());
        }
    }
    Ok(events)
}

pub(super) fn check_in(
    spec: &CentreSpec,
    state: &State,
    code: &BookingCode,
    ctx: &Ctx,
) -> Decision {
    let b = open_booking(state, code)?;
    if b.start.date_naive() != ctx.now.date_naive() {
        return Err(DomainError::InvalidState(Reason::BookingNotToday));
    }
    let on_time = booking_on_time(spec.service(&b.service), b.start, ctx.now);
    let (priority, slot) = if on_time {
        (Some(APPOINTMENT.to_string()), Some(b.start))
    } else {
        (None, None)
    };
    let mut t = new_ticket(spec, state, &b.service, priority, slot, ctx)?;
    t.booking = Some(code.clone());
    let t = with_position(spec, state, t, ctx.now);
    Ok(vec![Event::TicketIssued {
        ticket: t,
        booking: Some(code.clone()),
        client: None,
    }])
}

/// The booking of `code`, when it exists and has not been checked in yet.
fn open_booking<'a>(state: &'a State, code: &BookingCode) -> Result<&'a Booking, DomainError> {
    let b = state
        .bookings
        .get(code)
        .ok_or(DomainError::UnknownBooking)?;
    if b.checked_in.is_some() {
        return Err(DomainError::AlreadyCheckedIn);
    }
    Ok(b)
}

pub(super) fn cancel_booking(state: &State, code: &BookingCode) -> Decision {
    let b = open_booking(state, code)?;
    Ok(vec![Event::BookingCancelled {
        code: code.clone(),
        service: b.service.clone(),
        start: b.start,
    }])
}

pub(super) fn book(
    spec: &CentreSpec,
    state: &State,
    service: &ServiceId,
    start: DateTime<FixedOffset>,
    name: &Option<String>,
    phone: &Option<String>,
    ctx: &Ctx,
) -> Decision {
    let s = spec
        .service(service)
        .ok_or_else(|| DomainError::UnknownService(service.0.clone()))?;
    let name = clean_name(name.as_deref())?;
    let phone = clean_phone(phone.as_deref())?;
    let slots = s.appointments.as_ref().ok_or(DomainError::NoSuchSlot)?;
    let local_day = start.with_timezone(&spec.timezone).date_naive();
    let today = ctx.now.with_timezone(&spec.timezone).date_naive();
    let ahead = (local_day - today).num_days();
    if start <= ctx.now || ahead < 0 || ahead > i64::from(slots.days_ahead) {
        return Err(DomainError::NoSuchSlot);
    }
    if !slot_starts(spec, slots, local_day).contains(&start) {
        return Err(DomainError::NoSuchSlot);
    }
    if booked(state, service, start) >= slots.capacity {
        return Err(DomainError::SlotFull);
    }
    if state.bookings.contains_key(&ctx.new_code) {
        return Err(DomainError::CodeTaken);
    }
    Ok(vec![Event::BookingCreated {
        booking: Booking {
            code: ctx.new_code.clone(),
            service: service.clone(),
            start,
            name,
            phone,
            checked_in: None,
        },
    }])
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::super::{start_of_day, Command};
    use super::*;
    use crate::domain::error::Names;
    use crate::domain::ids::CounterId;
    use crate::domain::spec::{CounterSpec, Mode, OpeningHours, ServiceSpec};
    use crate::domain::tests::Sim;

    /// One service, `tuxa`, giving phones 5 tickets a day; one counter.
    fn spec() -> CentreSpec {
        CentreSpec {
            name: "Test".into(),
            name_en: "Test".into(),
            timezone: chrono_tz::Asia::Ho_Chi_Minh,
            services: vec![ServiceSpec {
                id: ServiceId::new("tuxa"),
                name: "Trả kết quả".into(),
                name_en: "Results".into(),
                prefix: None,
                first: 2001,
                last: 2999,
                target_wait_s: 900,
                default_service_s: 300,
                hours: OpeningHours::always(),
                remote: true,
                remote_cap: 5,
                appointments: None,
            }],
            counters: vec![CounterSpec {
                id: CounterId(1),
                name: "Quầy 1".into(),
                services: vec![ServiceId::new("tuxa")],
                mode: Mode::Fifo,
            }],
            priorities: Vec::new(),
            priority_streak: 3,
            pause_alert_s: 600,
            personal_data_days: 30,
        }
    }

    fn day() -> Sim {
        Sim::new(spec())
    }

    /// A remote ticket for a phone, the one thing these tests do.
    trait Phone {
        fn phone(&mut self, phone: &str) -> Result<bool, DomainError>;
    }

    impl Phone for Sim {
        /// A remote ticket for `phone` (cap 2): Ok(true) issued, Ok(false) the phone's cap.
        fn phone(&mut self, phone: &str) -> Result<bool, DomainError> {
            let events = match self.exec(Command::IssueRemote {
                service: ServiceId::new("tuxa"),
                client: ClientTag(phone.into()),
                per_client: 2,
            }) {
                Err(DomainError::ClientCapReached(2)) => return Ok(false),
                other => other?,
            };
            match events.as_slice() {
                [Event::TicketIssued {
                    ticket,
                    booking: None,
                    client: Some(tag),
                }] => {
                    assert!(ticket.remote);
                    assert_eq!(tag.0, phone);
                    Ok(true)
                }
                other => panic!("unexpected events {other:?}"),
            }
        }
    }

    #[test]
    fn a_phone_gets_its_cap_and_no_more() {
        let mut day = day();
        assert_eq!(day.phone("a"), Ok(true));
        assert_eq!(day.phone("a"), Ok(true));
        let before = day.log.len();
        assert_eq!(day.phone("a"), Ok(false), "third ticket of one phone");
        assert_eq!(day.log.len(), before, "a refusal writes nothing");
        assert_eq!(day.state.remote_by_client[&ClientTag("a".into())], 2);
        // Another phone is not affected; the service's cap (5) still holds for everyone.
        assert_eq!(day.phone("b"), Ok(true));
        assert_eq!(day.phone("b"), Ok(true));
        assert_eq!(day.phone("c"), Ok(true));
        let capped = Names {
            vi: "Trả kết quả".into(),
            en: "Results".into(),
        };
        assert_eq!(day.phone("d"), Err(DomainError::RemoteCapReached(capped)));
        assert_eq!(day.state.remote_issued[&ServiceId::new("tuxa")], 5);
    }

    #[test]
    fn replay_rebuilds_the_counts_per_phone() {
        let mut day = day();
        day.phone("a").expect("first");
        day.phone("a").expect("second");
        day.phone("b").expect("b");
        // A restart: a fresh state from the journal alone.
        let replayed = State::replay(&day.spec, day.now.date_naive(), &day.log);
        assert_eq!(replayed.remote_by_client, day.state.remote_by_client);
        day.state = replayed;
        assert_eq!(day.phone("a"), Ok(false), "the cap survives the restart");
        assert_eq!(day.phone("b"), Ok(true));
    }

    #[test]
    fn untagged_remote_tickets_count_for_no_phone() {
        // `Command::Issue { remote: true }` and old journal lines carry no tag.
        let mut day = day();
        for _ in 0..3 {
            day.exec(Command::Issue {
                service: ServiceId::new("tuxa"),
                priority: None,
                remote: true,
            })
            .expect("issued");
        }
        assert!(day.state.remote_by_client.is_empty());
        assert_eq!(day.phone("a"), Ok(true));
    }

    #[test]
    fn a_new_day_gives_every_phone_its_cap_again() {
        let mut day = day();
        day.phone("a").expect("first");
        day.phone("a").expect("second");
        assert_eq!(day.phone("a"), Ok(false));
        day.now += Duration::days(1);
        let next = day.now.date_naive();
        let first = start_of_day(&day.state, next);
        day.commit(vec![first]);
        assert!(day.state.remote_by_client.is_empty());
        assert_eq!(
            day.phone("a"),
            Ok(true),
            "a new business day resets the cap"
        );
        assert_eq!(day.state.remote_by_client[&ClientTag("a".into())], 1);
    }
}
