//! An event as each audience sees it on the WebSocket: one allow-list enum per audience,
//! built from the domain [`Event`] by an exhaustive `match`, so a new kind of event does not
//! compile until each audience's view of it is written, and a new field of an event is
//! shown to nobody until it is added here.
//!
//! - Public (boards, displays, phones): tickets without id or booking code; a rating's
//!   score without its ticket id, comment or call-back number; a booking's service and time
//!   only; a new day's date only.
//! - Staff (clerks): everything but personal data (bookings' names and phones, a rating's
//!   call-back number) and the per-phone client tag of a remote ticket.
//! - Supervisor: everything but the client tag.
//!
//! An admin change (`config_changed`) never carries a PIN or token hash on any socket: the
//! public and clerks see counter, service and notice changes whole but staff and device
//! changes only as `{"change":"redacted","of":…}`, without who made them; supervisors see
//! every change (hashes removed) and who made it. The journal's overlay carried by
//! `day_started` is shown to nobody (screens get the effective spec in the snapshot).

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use super::ticket::{PublicTicket, StaffTicket};
use super::Audience;
use crate::domain::admin::{Actor, AdminChange};
use crate::domain::event::{
    Alert, Booking, ClerkRef, CounterCarry, CounterStatus, DossierStats, Event, Rating,
    RatingSource,
};
use crate::domain::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};

/// What the public sees of an event.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PublicEvent<'a> {
    DayStarted {
        day: NaiveDate,
    },
    TicketIssued {
        ticket: PublicTicket<'a>,
    },
    TicketCalled {
        ticket: PublicTicket<'a>,
        counter: CounterId,
        audio: &'a [String],
    },
    TicketRecalled {
        ticket: PublicTicket<'a>,
        counter: CounterId,
        audio: &'a [String],
    },
    TicketFinished {
        ticket: PublicTicket<'a>,
        counter: CounterId,
    },
    TicketNoShow {
        ticket: PublicTicket<'a>,
        counter: CounterId,
    },
    TicketRequeued {
        ticket: PublicTicket<'a>,
    },
    TicketTransferred {
        ticket: PublicTicket<'a>,
        from_service: &'a ServiceId,
        counter: Option<CounterId>,
    },
    TicketCancelled {
        ticket: PublicTicket<'a>,
    },
    TicketExpired {
        ticket: PublicTicket<'a>,
    },
    CounterStatus {
        counter: CounterId,
        status: CounterStatus,
    },
    ClerkLogin {
        counter: CounterId,
        clerk: Option<&'a ClerkRef>,
    },
    Rating(PublicRating<'a>),
    DossierStats(&'a DossierStats),
    BookingCreated {
        service: &'a ServiceId,
        start: DateTime<FixedOffset>,
    },
    BookingCancelled {
        service: &'a ServiceId,
        start: DateTime<FixedOffset>,
    },
    Alert(&'a Alert),
    AlertCleared {
        key: &'a str,
    },
    PersonalDataPurged {
        before: NaiveDate,
    },
    ConfigChanged {
        change: AdminChange,
    },
}

/// What the public sees of a rating: who served, and the score.
#[derive(Debug, Clone, Serialize)]
pub struct PublicRating<'a> {
    pub number: &'a str,
    pub service: &'a ServiceId,
    pub counter: Option<CounterId>,
    pub clerk: Option<&'a StaffId>,
    pub score: u8,
    pub source: RatingSource,
}

/// What staff and supervisors see of an event; `B` and `R` are the views of a booking and
/// of a rating, the only places the two audiences differ (personal data).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InsideEvent<'a, B, R> {
    DayStarted {
        day: NaiveDate,
        counters: &'a [CounterCarry],
        bookings: Vec<B>,
        dossier: Option<&'a DossierStats>,
    },
    TicketIssued {
        ticket: StaffTicket<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        booking: Option<&'a BookingCode>,
    },
    TicketCalled {
        ticket: StaffTicket<'a>,
        counter: CounterId,
        audio: &'a [String],
    },
    TicketRecalled {
        ticket: StaffTicket<'a>,
        counter: CounterId,
        audio: &'a [String],
    },
    TicketFinished {
        ticket: StaffTicket<'a>,
        counter: CounterId,
    },
    TicketNoShow {
        ticket: StaffTicket<'a>,
        counter: CounterId,
    },
    TicketRequeued {
        ticket: StaffTicket<'a>,
    },
    TicketTransferred {
        ticket: StaffTicket<'a>,
        from_service: &'a ServiceId,
        counter: Option<CounterId>,
    },
    TicketCancelled {
        ticket: StaffTicket<'a>,
    },
    TicketExpired {
        ticket: StaffTicket<'a>,
    },
    CounterStatus {
        counter: CounterId,
        status: CounterStatus,
    },
    ClerkLogin {
        counter: CounterId,
        clerk: Option<&'a ClerkRef>,
    },
    Rating(R),
    DossierStats(&'a DossierStats),
    BookingCreated {
        booking: B,
    },
    BookingCancelled {
        code: &'a BookingCode,
        service: &'a ServiceId,
        start: DateTime<FixedOffset>,
    },
    Alert(&'a Alert),
    AlertCleared {
        key: &'a str,
    },
    PersonalDataPurged {
        before: NaiveDate,
    },
    ConfigChanged {
        change: AdminChange,
        /// Who made it: supervisors only.
        #[serde(skip_serializing_if = "Option::is_none")]
        by: Option<&'a Actor>,
    },
}

/// A clerk's view of an event: no personal data.
pub type StaffEvent<'a> = InsideEvent<'a, StaffBooking<'a>, StaffRating<'a>>;
/// A supervisor's view of an event: bookings and ratings whole.
pub type SupervisorEvent<'a> = InsideEvent<'a, SupervisorBooking<'a>, SupervisorRating<'a>>;

/// A booking without its name and phone.
#[derive(Debug, Clone, Serialize)]
pub struct StaffBooking<'a> {
    pub code: &'a BookingCode,
    pub service: &'a ServiceId,
    pub start: DateTime<FixedOffset>,
    pub checked_in: Option<TicketId>,
}

/// A booking with the name and phone the citizen left.
#[derive(Debug, Clone, Serialize)]
pub struct SupervisorBooking<'a> {
    #[serde(flatten)]
    pub staff: StaffBooking<'a>,
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// A rating without its call-back number.
#[derive(Debug, Clone, Serialize)]
pub struct StaffRating<'a> {
    pub ticket: TicketId,
    #[serde(flatten)]
    pub public: PublicRating<'a>,
    pub comment: Option<&'a str>,
}

/// A rating with the call-back number, when the citizen left one.
#[derive(Debug, Clone, Serialize)]
pub struct SupervisorRating<'a> {
    #[serde(flatten)]
    pub staff: StaffRating<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<&'a str>,
}

impl<'a> From<&'a Booking> for StaffBooking<'a> {
    fn from(b: &'a Booking) -> Self {
        StaffBooking {
            code: &b.code,
            service: &b.service,
            start: b.start,
            checked_in: b.checked_in,
        }
    }
}

impl<'a> From<&'a Booking> for SupervisorBooking<'a> {
    fn from(b: &'a Booking) -> Self {
        SupervisorBooking {
            staff: b.into(),
            name: b.name.as_deref(),
            phone: b.phone.as_deref(),
        }
    }
}

impl<'a> From<&'a Rating> for PublicRating<'a> {
    fn from(r: &'a Rating) -> Self {
        PublicRating {
            number: &r.number,
            service: &r.service,
            counter: r.counter,
            clerk: r.clerk.as_ref(),
            score: r.score,
            source: r.source,
        }
    }
}

impl<'a> From<&'a Rating> for StaffRating<'a> {
    fn from(r: &'a Rating) -> Self {
        StaffRating {
            ticket: r.ticket,
            public: r.into(),
            comment: r.comment.as_deref(),
        }
    }
}

impl<'a> From<&'a Rating> for SupervisorRating<'a> {
    fn from(r: &'a Rating) -> Self {
        SupervisorRating {
            staff: r.into(),
            phone: r.phone.as_deref(),
        }
    }
}

impl<'a> PublicEvent<'a> {
    pub fn new(e: &'a Event) -> Self {
        use PublicEvent as P;
        let t = PublicTicket::new;
        match e {
            Event::DayStarted { day, .. } => P::DayStarted { day: *day },
            Event::TicketIssued { ticket, .. } => P::TicketIssued { ticket: t(ticket) },
            Event::TicketCalled {
                ticket,
                counter,
                audio,
            } => P::TicketCalled {
                ticket: t(ticket),
                counter: *counter,
                audio,
            },
            Event::TicketRecalled {
                ticket,
                counter,
                audio,
            } => P::TicketRecalled {
                ticket: t(ticket),
                counter: *counter,
                audio,
            },
            Event::TicketFinished { ticket, counter } => P::TicketFinished {
                ticket: t(ticket),
                counter: *counter,
            },
            Event::TicketNoShow { ticket, counter } => P::TicketNoShow {
                ticket: t(ticket),
                counter: *counter,
            },
            Event::TicketRequeued { ticket } => P::TicketRequeued { ticket: t(ticket) },
            Event::TicketTransferred {
                ticket,
                from_service,
                counter,
            } => P::TicketTransferred {
                ticket: t(ticket),
                from_service,
                counter: *counter,
            },
            Event::TicketCancelled { ticket } => P::TicketCancelled { ticket: t(ticket) },
            Event::TicketExpired { ticket } => P::TicketExpired { ticket: t(ticket) },
            Event::CounterStatus { counter, status } => P::CounterStatus {
                counter: *counter,
                status: *status,
            },
            Event::ClerkLogin { counter, clerk } => P::ClerkLogin {
                counter: *counter,
                clerk: clerk.as_ref(),
            },
            Event::Rating(r) => P::Rating(r.into()),
            Event::DossierStats(d) => P::DossierStats(d),
            Event::BookingCreated { booking } => P::BookingCreated {
                service: &booking.service,
                start: booking.start,
            },
            Event::BookingCancelled { service, start, .. } => P::BookingCancelled {
                service,
                start: *start,
            },
            Event::Alert(a) => P::Alert(a),
            Event::AlertCleared { key } => P::AlertCleared { key },
            Event::PersonalDataPurged { before } => P::PersonalDataPurged { before: *before },
            Event::ConfigChanged { change, .. } => P::ConfigChanged {
                change: outside_view(change),
            },
        }
    }
}

/// An admin change as anyone but a supervisor sees it: who may sign in is redacted.
fn outside_view(change: &AdminChange) -> AdminChange {
    if change.is_roster() {
        change.redacted()
    } else {
        change.without_secrets()
    }
}

impl<'a, B: From<&'a Booking>, R: From<&'a Rating>> InsideEvent<'a, B, R> {
    /// The view of `e` for clerks (`supervisor` false) or supervisors.
    pub fn new(e: &'a Event, supervisor: bool) -> Self {
        use InsideEvent as I;
        let t = StaffTicket::new;
        match e {
            Event::DayStarted {
                day,
                counters,
                bookings,
                dossier,
                overlay: _,
            } => I::DayStarted {
                day: *day,
                counters,
                bookings: bookings.iter().map(B::from).collect(),
                dossier: dossier.as_ref(),
            },
            // The phone's client tag exists for the journal's per-phone count only.
            Event::TicketIssued {
                ticket, booking, ..
            } => I::TicketIssued {
                ticket: t(ticket),
                booking: booking.as_ref(),
            },
            Event::TicketCalled {
                ticket,
                counter,
                audio,
            } => I::TicketCalled {
                ticket: t(ticket),
                counter: *counter,
                audio,
            },
            Event::TicketRecalled {
                ticket,
                counter,
                audio,
            } => I::TicketRecalled {
                ticket: t(ticket),
                counter: *counter,
                audio,
            },
            Event::TicketFinished { ticket, counter } => I::TicketFinished {
                ticket: t(ticket),
                counter: *counter,
            },
            Event::TicketNoShow { ticket, counter } => I::TicketNoShow {
                ticket: t(ticket),
                counter: *counter,
            },
            Event::TicketRequeued { ticket } => I::TicketRequeued { ticket: t(ticket) },
            Event::TicketTransferred {
                ticket,
                from_service,
                counter,
            } => I::TicketTransferred {
                ticket: t(ticket),
                from_service,
                counter: *counter,
            },
            Event::TicketCancelled { ticket } => I::TicketCancelled { ticket: t(ticket) },
            Event::TicketExpired { ticket } => I::TicketExpired { ticket: t(ticket) },
            Event::CounterStatus { counter, status } => I::CounterStatus {
                counter: *counter,
                status: *status,
            },
            Event::ClerkLogin { counter, clerk } => I::ClerkLogin {
                counter: *counter,
                clerk: clerk.as_ref(),
            },
            Event::Rating(r) => I::Rating(R::from(r)),
            Event::DossierStats(d) => I::DossierStats(d),
            Event::BookingCreated { booking } => I::BookingCreated {
                booking: B::from(booking),
            },
            Event::BookingCancelled {
                code,
                service,
                start,
            } => I::BookingCancelled {
                code,
                service,
                start: *start,
            },
            Event::Alert(a) => I::Alert(a),
            Event::AlertCleared { key } => I::AlertCleared { key },
            Event::PersonalDataPurged { before } => I::PersonalDataPurged { before: *before },
            Event::ConfigChanged { change, by } => I::ConfigChanged {
                change: if supervisor {
                    change.without_secrets()
                } else {
                    outside_view(change)
                },
                by: supervisor.then_some(by),
            },
        }
    }
}

/// An event as a given audience sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum EventView<'a> {
    Public(PublicEvent<'a>),
    Staff(StaffEvent<'a>),
    Supervisor(SupervisorEvent<'a>),
}

impl<'a> EventView<'a> {
    pub fn of(e: &'a Event, audience: Audience) -> Self {
        match audience {
            Audience::Public => EventView::Public(PublicEvent::new(e)),
            Audience::Staff => EventView::Staff(InsideEvent::new(e, false)),
            Audience::Supervisor => EventView::Supervisor(InsideEvent::new(e, true)),
        }
    }
}
