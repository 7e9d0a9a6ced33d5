//! Events the tests of other modules (the uplink's scrub and read-back, personal data) build
//! again and again: at a fixed instant, one that carries personal data.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

use crate::domain::event::{Rating, RatingSource};
use crate::domain::ids::{ServiceId, TicketId};
use crate::domain::Event;

/// 2 March 2026, 09:00 in Vietnam: when the fixtures happen.
pub(crate) fn nine_am() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .and_then(|tz| tz.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single())
        .expect("a valid fixed time")
}

/// The start of `day` with nothing carried over (no counters, bookings or admin changes).
pub(crate) fn bare_day_start(day: NaiveDate) -> Event {
    Event::DayStarted {
        day,
        counters: Vec::new(),
        bookings: Vec::new(),
        dossier: None,
        overlay: Default::default(),
    }
}

/// A rating from the citizen's phone of ticket 1001 that leaves `comment` and a call-back
/// number: personal data the hub must never see.
pub(crate) fn phone_rating(comment: &str) -> Event {
    Event::Rating(Rating {
        ticket: TicketId(ulid::Ulid::nil()),
        number: "1001".into(),
        service: ServiceId::new("hotich"),
        counter: None,
        clerk: None,
        score: 4,
        comment: Some(comment.into()),
        source: RatingSource::Phone,
        phone: Some("0912345678".into()),
    })
}
