//! What leaves the lobby: an event with its personal data removed, for the province hub's
//! uplink (HUB.md, "Personal data stays in the lobby").
//!
//! Removed: the name and phone of every booking (`booking_created`, the bookings carried by
//! `day_started`), a rating's call-back number and its free-text comment (a citizen may
//! type anything there, a name or a phone number included), and the per-phone client tag of
//! a remote ticket. Booking codes are capabilities (whoever holds one may cancel or check
//! in the booking), so each is replaced by a tag derived from it (`h` + 11 hex digits of its
//! SHA-256): the same code gives the same tag in every event, so the hub's read model still
//! links a booking to its ticket, and the tag lets nobody act on the booking. Clerks' names
//! go up, as every lobby screen shows them. The admin page's changes about who may sign in
//! (staff, PIN hashes, device token hashes: `config_changed` of a roster kind) go up as their
//! kind only, and `day_started` carries only the queue part of the admin overlay.
//!
//! Pure: the caller decides when (the uplink, just before a batch is encoded).

use sha2::{Digest, Sha256};

use super::event::{Booking, Event};
use super::ids::BookingCode;
use super::ticket::Ticket;

/// The event as it may leave the lobby (see the module documentation).
pub fn scrub(event: &Event) -> Event {
    let mut e = event.clone();
    scrub_in_place(&mut e);
    e
}

/// [`scrub`] on an event the caller owns. An exhaustive `match`: a new kind of event does
/// not compile until it is decided here what of it may leave the lobby.
pub fn scrub_in_place(event: &mut Event) {
    match event {
        Event::DayStarted {
            bookings, overlay, ..
        } => {
            bookings.iter_mut().for_each(scrub_booking);
            // The queue rules' part only: staff, devices, hashes and the audit stay here.
            *overlay = overlay.public_part();
        }
        // Who may sign in stays in the lobby: the hub learns only that something changed.
        Event::ConfigChanged { change, by } if change.is_roster() => {
            *change = change.redacted();
            by.name.clear();
            by.id.clear();
        }
        Event::TicketIssued {
            ticket,
            booking,
            client,
        } => {
            scrub_ticket(ticket);
            *client = None;
            if let Some(code) = booking {
                *code = tag(code);
            }
        }
        Event::TicketCalled { ticket, .. }
        | Event::TicketRecalled { ticket, .. }
        | Event::TicketFinished { ticket, .. }
        | Event::TicketNoShow { ticket, .. }
        | Event::TicketRequeued { ticket }
        | Event::TicketTransferred { ticket, .. }
        | Event::TicketCancelled { ticket }
        | Event::TicketExpired { ticket } => scrub_ticket(ticket),
        Event::BookingCreated { booking } => scrub_booking(booking),
        Event::BookingCancelled { code, .. } => *code = tag(code),
        Event::Rating(r) => {
            r.phone = None;
            r.comment = None;
        }
        // Nothing personal: counters and their clerks (whose names every screen shows),
        // the dossier figures, alerts, the purge itself.
        Event::CounterStatus { .. }
        | Event::ClerkLogin { .. }
        | Event::DossierStats(_)
        | Event::Alert(_)
        | Event::AlertCleared { .. }
        | Event::PersonalDataPurged { .. }
        // Counters, services and the notice line: the hub's read model applies them.
        | Event::ConfigChanged { .. } => {}
    }
}

/// A ticket's booking code (a capability) becomes its tag.
fn scrub_ticket(t: &mut Ticket) {
    if let Some(code) = &mut t.booking {
        *code = tag(code);
    }
}

fn scrub_booking(b: &mut Booking) {
    b.name = None;
    b.phone = None;
    b.code = tag(&b.code);
}

/// A booking code's stand-in: stable, not reversible, never a valid code (codes have 6
/// characters, tags 12).
fn tag(code: &BookingCode) -> BookingCode {
    if code.0.len() == 12 && code.0.starts_with('h') {
        return code.clone(); // already a tag: scrubbing twice changes nothing
    }
    let digest = Sha256::digest(code.0.as_bytes());
    BookingCode(format!("h{}", &hex::encode(digest)[..11]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{ClientTag, Rating, RatingSource};
    use crate::domain::ids::{ServiceId, TicketId};
    use crate::domain::ticket::Ticket;
    use chrono::{FixedOffset, NaiveDate, TimeZone};

    const NAME: &str = "Lê Thị Riêng";
    const PHONE: &str = "0987654321";

    fn at() -> chrono::DateTime<FixedOffset> {
        FixedOffset::east_opt(7 * 3600)
            .and_then(|tz| tz.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single())
            .expect("time")
    }

    fn booking() -> Booking {
        Booking {
            code: BookingCode("ABC234".into()),
            service: ServiceId::new("hen"),
            start: at(),
            name: Some(NAME.into()),
            phone: Some(PHONE.into()),
            checked_in: None,
        }
    }

    fn ticket() -> Ticket {
        let id = TicketId(ulid::Ulid::nil());
        Ticket {
            booking: Some(BookingCode("ABC234".into())),
            remote: true,
            ..Ticket::issued(id, "1001".into(), ServiceId::new("hen"), at(), 1)
        }
    }

    fn every_personal_event() -> Vec<Event> {
        vec![
            Event::DayStarted {
                day: NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
                counters: Vec::new(),
                bookings: vec![booking()],
                dossier: None,
                overlay: Default::default(),
            },
            Event::BookingCreated { booking: booking() },
            Event::BookingCancelled {
                code: BookingCode("ABC234".into()),
                service: ServiceId::new("hen"),
                start: at(),
            },
            Event::TicketIssued {
                ticket: ticket(),
                booking: Some(BookingCode("ABC234".into())),
                client: Some(ClientTag("0123456789abcdef".into())),
            },
            Event::Rating(Rating {
                ticket: TicketId(ulid::Ulid::nil()),
                number: "1001".into(),
                service: ServiceId::new("hen"),
                counter: None,
                clerk: None,
                score: 4,
                comment: Some(format!("Tôi là {NAME}, gọi {PHONE}")),
                source: RatingSource::Phone,
                phone: Some(PHONE.into()),
            }),
        ]
    }

    #[test]
    fn nothing_personal_is_left_in_the_json() {
        for e in every_personal_event() {
            let before = serde_json::to_string(&e).expect("json");
            assert!(
                [NAME, PHONE, "0123456789abcdef", "ABC234"]
                    .iter()
                    .any(|s| before.contains(s)),
                "the test event holds personal data: {before}"
            );
            let out = serde_json::to_string(&scrub(&e)).expect("json");
            for secret in [NAME, PHONE, "0123456789abcdef", "ABC234"] {
                assert!(!out.contains(secret), "{secret} left in {out}");
            }
        }
    }

    #[test]
    fn booking_tags_are_stable_and_link_ticket_and_booking() {
        let evs: Vec<Event> = every_personal_event().iter().map(scrub).collect();
        let Event::BookingCreated { booking } = &evs[1] else {
            unreachable!()
        };
        let Event::TicketIssued {
            ticket,
            booking: b,
            client,
        } = &evs[3]
        else {
            unreachable!()
        };
        assert_eq!(ticket.booking.as_ref(), Some(&booking.code));
        assert_eq!(b.as_ref(), Some(&booking.code));
        assert_eq!(client, &None);
        assert_eq!(booking.code.0.len(), 12);
        // Twice is once.
        assert_eq!(scrub(&evs[1]), evs[1]);
    }

    #[test]
    fn events_without_personal_data_are_unchanged() {
        let e = Event::TicketCalled {
            ticket: Ticket {
                booking: None,
                ..ticket()
            },
            counter: crate::domain::ids::CounterId(3),
            audio: vec!["vi/chime.wav".into()],
        };
        assert_eq!(scrub(&e), e);
        let e = Event::AlertCleared { key: "k".into() };
        assert_eq!(scrub(&e), e);
    }
}
