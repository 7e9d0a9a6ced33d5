//! Personal data citizens volunteer: a name and a phone number with a booking, a phone
//! number for a call-back after the visit. Checked and normalised here, once, before it
//! enters an event; shown to supervisors only (see `view.rs`); erased after
//! `personal_data_days` by the `personal_data_purged` event — from the state by
//! `State::purge`, from the day files on disk by the journal's compaction, which blanks each
//! old event with [`blank_event`].

use chrono::{Duration, NaiveDate};

use super::error::DomainError;
use super::event::{Booking, Event, EventKind};

/// Longest name accepted, in characters.
pub const MAX_NAME: usize = 80;
/// Digits a phone number must have (Vietnamese numbers have 10; landlines with area code
/// 10–11; international up to 15).
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

/// A name as given, trimmed with inner runs of white space made one; empty → None.
pub fn clean_name(name: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(raw) = name else { return Ok(None) };
    let words: Vec<&str> = raw.split_whitespace().collect();
    if words.is_empty() {
        return Ok(None);
    }
    let name = words.join(" ");
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(DomainError::BadName);
    }
    Ok(Some(name))
}

/// A phone number without its separators (spaces, dots, dashes, parentheses); `+84…` becomes
/// the national `0…`. Empty → None; anything else but digits and one leading `+` is refused.
pub fn clean_phone(phone: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(raw) = phone else { return Ok(None) };
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let mut out = String::new();
    for (i, c) in raw.chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return Err(DomainError::BadPhone),
        }
    }
    if let Some(national) = out.strip_prefix("+84") {
        out = format!("0{national}");
    }
    let digits = out.chars().filter(char::is_ascii_digit).count();
    if !PHONE_DIGITS.contains(&digits) {
        return Err(DomainError::BadPhone);
    }
    Ok(Some(out))
}

/// The first day whose personal data is still kept on `today`: data of earlier days is
/// purged. `days` = 0 keeps only today's.
pub fn horizon(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_sub_signed(Duration::days(i64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

/// Whether events of `kind` may carry personal data (a booking's name and phone, a
/// rating's call-back number): the only ones [`blank_event`] changes, and the only lines the
/// journal's compaction decodes. An exhaustive `match`: a new kind of event does not compile
/// until it is classified here (and, if personal, in [`blank_event`], the audience views and
/// `scrub::scrub_in_place`, which match exhaustively too).
pub fn may_carry_personal_data(kind: EventKind) -> bool {
    use EventKind as K;
    match kind {
        K::DayStarted | K::BookingCreated | K::Rating => true,
        K::TicketIssued
        | K::TicketCalled
        | K::TicketRecalled
        | K::TicketFinished
        | K::TicketNoShow
        | K::TicketRequeued
        | K::TicketTransferred
        | K::TicketCancelled
        | K::TicketExpired
        | K::CounterStatus
        | K::ClerkLogin
        | K::DossierStats
        | K::BookingCancelled
        | K::Alert
        | K::AlertCleared
        | K::PersonalDataPurged
        // Staff names and hashes, never a citizen's name or phone.
        | K::ConfigChanged => false,
    }
}

/// Blanks the name and phone of a booking whose visit is before `before`; whether it held
/// either.
pub fn blank_booking(booking: &mut Booking, before: NaiveDate) -> bool {
    if booking.start.date_naive() >= before {
        return false;
    }
    let held = booking.name.is_some() || booking.phone.is_some();
    booking.name = None;
    booking.phone = None;
    held
}

/// Erases from one event of the journal of business day `day` what a purge of visits before
/// `before` erases from the state (`State::purge`, the same rule): the name and phone of
/// every booking whose slot is on an earlier day (`booking_created`, the bookings carried by
/// `day_started`), and the call-back number of a rating when `day` itself is earlier.
/// Everything else is left as it is. Returns whether anything was erased.
pub fn blank_event(event: &mut Event, day: NaiveDate, before: NaiveDate) -> bool {
    match event {
        Event::DayStarted { bookings, .. } => bookings
            .iter_mut()
            .fold(false, |any, b| blank_booking(b, before) | any),
        Event::BookingCreated { booking } => blank_booking(booking, before),
        Event::Rating(rating) => day < before && rating.phone.take().is_some(),
        Event::TicketIssued { .. }
        | Event::TicketCalled { .. }
        | Event::TicketRecalled { .. }
        | Event::TicketFinished { .. }
        | Event::TicketNoShow { .. }
        | Event::TicketRequeued { .. }
        | Event::TicketTransferred { .. }
        | Event::TicketCancelled { .. }
        | Event::TicketExpired { .. }
        | Event::CounterStatus { .. }
        | Event::ClerkLogin { .. }
        | Event::DossierStats(_)
        | Event::BookingCancelled { .. }
        | Event::Alert(_)
        | Event::AlertCleared { .. }
        | Event::PersonalDataPurged { .. }
        | Event::ConfigChanged { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised() {
        let ok = |s: &str| clean_phone(Some(s)).expect(s).expect(s);
        assert_eq!(ok("0912 345 678"), "0912345678");
        assert_eq!(ok("+84 912.345.678"), "0912345678");
        assert_eq!(ok("(028) 3829-1234"), "02838291234");
        assert_eq!(ok("+33 1 23 45 67 89"), "+33123456789");
        assert_eq!(clean_phone(Some("  ")), Ok(None));
        assert_eq!(clean_phone(None), Ok(None));
        for bad in [
            "=1+2",
            "09123",
            "0912a45678",
            "1+912345678",
            "0912345678901234567",
        ] {
            assert_eq!(clean_phone(Some(bad)), Err(DomainError::BadPhone), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            clean_name(Some("  Lê   Thị\tRiêng ")),
            Ok(Some("Lê Thị Riêng".into()))
        );
        assert_eq!(clean_name(Some(" ")), Ok(None));
        assert_eq!(
            clean_name(Some(&"a".repeat(MAX_NAME + 1))),
            Err(DomainError::BadName)
        );
        assert_eq!(clean_name(Some("a\u{7}b")), Err(DomainError::BadName));
    }

    #[test]
    fn horizon_counts_back_whole_days() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        assert_eq!(horizon(d, 0), d);
        assert_eq!(
            horizon(d, 30),
            NaiveDate::from_ymd_opt(2026, 1, 31).expect("date")
        );
    }

    #[test]
    fn blanking_follows_the_horizon_and_touches_nothing_else() {
        use crate::domain::event::{Rating, RatingSource};
        use crate::domain::ids::{BookingCode, ServiceId, TicketId};
        use chrono::{FixedOffset, TimeZone};

        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let at = |d: u32| {
            FixedOffset::east_opt(7 * 3600)
                .and_then(|tz| tz.with_ymd_and_hms(2026, 3, d, 9, 0, 0).single())
                .expect("time")
        };
        let booking = |d: u32| Booking {
            code: BookingCode(format!("CODE{d:02}")),
            service: ServiceId::new("hen"),
            start: at(d),
            name: Some("Lê Thị Riêng".into()),
            phone: Some("0987654321".into()),
            checked_in: None,
        };
        let before = NaiveDate::from_ymd_opt(2026, 3, 4).expect("date");
        // A slot before the horizon is blanked, one on or after it is kept.
        let mut started = Event::DayStarted {
            day,
            counters: Vec::new(),
            bookings: vec![booking(2), booking(4)],
            dossier: None,
            overlay: Default::default(),
        };
        assert!(blank_event(&mut started, day, before));
        let Event::DayStarted { bookings, .. } = &started else {
            unreachable!()
        };
        assert_eq!(
            (bookings[0].name.as_deref(), bookings[0].phone.as_deref()),
            (None, None)
        );
        assert_eq!(bookings[0].code, booking(2).code, "only name and phone go");
        assert_eq!(bookings[1], booking(4));
        assert!(!blank_event(&mut started, day, before), "idempotent");
        let mut created = Event::BookingCreated {
            booking: booking(3),
        };
        assert!(blank_event(&mut created, day, before));
        let rating = Rating {
            ticket: TicketId(ulid::Ulid::nil()),
            number: "1001".into(),
            service: ServiceId::new("hen"),
            counter: None,
            clerk: None,
            score: 4,
            comment: Some("Cảm ơn".into()),
            source: RatingSource::Phone,
            phone: Some("0911222333".into()),
        };
        let mut rated = Event::Rating(rating.clone());
        assert!(
            !blank_event(&mut rated, before, before),
            "the horizon's day keeps it"
        );
        assert!(blank_event(&mut rated, day, before));
        assert_eq!(
            rated,
            Event::Rating(Rating {
                phone: None,
                ..rating
            })
        );
        for e in [&started, &created, &rated] {
            assert!(may_carry_personal_data(e.kind_of()), "{}", e.kind());
        }
    }

    /// One event of every kind.
    fn one_of_each() -> Vec<Event> {
        use crate::domain::event::*;
        use crate::domain::ids::{BookingCode, CounterId, ServiceId, TicketId};
        use crate::domain::tests::fixtures::{bare_day_start, nine_am};
        use crate::domain::ticket::Ticket;
        let at = nine_am();
        let day = at.date_naive();
        let t = Ticket::issued(
            TicketId(ulid::Ulid::nil()),
            "1001".into(),
            ServiceId::new("hen"),
            at,
            1,
        );
        let c = CounterId(1);
        let booking = Booking {
            code: BookingCode("ABC234".into()),
            service: ServiceId::new("hen"),
            start: at,
            name: None,
            phone: None,
            checked_in: None,
        };
        let dossier = DossierStats {
            received: 1,
            on_time: 1,
            overdue: 0,
            as_of: at,
        };
        vec![
            bare_day_start(day),
            Event::TicketIssued {
                ticket: t.clone(),
                booking: None,
                client: None,
            },
            Event::TicketCalled {
                ticket: t.clone(),
                counter: c,
                audio: Vec::new(),
            },
            Event::TicketRecalled {
                ticket: t.clone(),
                counter: c,
                audio: Vec::new(),
            },
            Event::TicketFinished {
                ticket: t.clone(),
                counter: c,
            },
            Event::TicketNoShow {
                ticket: t.clone(),
                counter: c,
            },
            Event::TicketRequeued { ticket: t.clone() },
            Event::TicketTransferred {
                ticket: t.clone(),
                from_service: ServiceId::new("hen"),
                counter: None,
            },
            Event::TicketCancelled { ticket: t.clone() },
            Event::TicketExpired { ticket: t },
            Event::CounterStatus {
                counter: c,
                status: CounterStatus::Open,
            },
            Event::ClerkLogin {
                counter: c,
                clerk: None,
            },
            Event::Rating(Rating {
                ticket: TicketId(ulid::Ulid::nil()),
                number: "1001".into(),
                service: ServiceId::new("hen"),
                counter: None,
                clerk: None,
                score: 4,
                comment: None,
                source: RatingSource::Counter,
                phone: None,
            }),
            Event::DossierStats(dossier),
            Event::BookingCreated {
                booking: booking.clone(),
            },
            Event::BookingCancelled {
                code: booking.code,
                service: booking.service,
                start: at,
            },
            Event::Alert(Alert {
                key: "k".into(),
                kind: AlertKind::CounterPaused,
                service: None,
                counter: Some(c),
                number: None,
                since: at,
                printer: None,
                device: None,
            }),
            Event::AlertCleared { key: "k".into() },
            Event::PersonalDataPurged { before: day },
            Event::ConfigChanged {
                change: crate::domain::admin::AdminChange::NoticeChanged {
                    vi: Some("Thông báo".into()),
                    en: None,
                },
                by: crate::domain::admin::Actor {
                    id: "gs01".into(),
                    name: "Giám sát".into(),
                },
            },
        ]
    }

    #[test]
    fn kinds_read_back_from_their_tags_and_only_personal_ones_are_blanked() {
        let all = one_of_each();
        let kinds: std::collections::BTreeSet<EventKind> = all.iter().map(Event::kind_of).collect();
        assert_eq!(
            kinds,
            EventKind::ALL.into_iter().collect(),
            "one event of every kind"
        );
        for e in &all {
            let tag = serde_json::to_value(e).expect("json")["type"].clone();
            assert_eq!(tag, e.kind(), "the tag on the wire");
            assert_eq!(EventKind::from_tag(e.kind()), Some(e.kind_of()));
            // An event that may not carry personal data is never changed by a purge.
            if !may_carry_personal_data(e.kind_of()) {
                let mut copy = e.clone();
                assert!(!blank_event(&mut copy, NaiveDate::MIN, NaiveDate::MAX));
                assert_eq!(&copy, e);
            }
        }
        assert_eq!(EventKind::from_tag("no_such_kind"), None);
    }
}
