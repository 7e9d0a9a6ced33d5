//! What each audience may see, as allow-list types: a field of a ticket or an event reaches
//! an audience only once its view type lists it ([`ticket`](self::ticket) and
//! [`event`](mod@self::event) modules). Supervisors see every field of every event.
//! Clerks see tickets with their ids and every field except personal data (names and phone
//! numbers citizens left with a booking or a rating). The public (boards, phones, displays)
//! never sees a ticket id (it is its holder's capability), a rating comment, a booking code
//! or personal data.

pub mod by_audience;
pub mod event;
#[cfg(test)]
pub mod schema_keys;
pub mod ticket;

use serde_json::Value;

use crate::domain::event::Event;
use crate::domain::ticket::Ticket as DomainTicket;

pub use event::{EventView, PublicEvent, StaffEvent, SupervisorEvent};
pub use ticket::{PublicTicket, StaffTicket, TicketView};

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    /// Clerks: ids and comments, no personal data.
    Staff,
    /// Supervisors: everything, personal data included.
    Supervisor,
}

impl Audience {
    /// Clerks and supervisors.
    pub fn is_staff(self) -> bool {
        self != Audience::Public
    }
}

/// A ticket as `audience` sees it.
pub fn ticket(t: &DomainTicket, audience: Audience) -> TicketView<'_> {
    TicketView::of(t, audience)
}

/// A ticket for its own holder (who has the id): the full view.
pub fn own_ticket(t: &DomainTicket) -> StaffTicket<'_> {
    StaffTicket::new(t)
}

/// [`own_ticket`] as a JSON value, for a caller that extends it with keys of its own or keeps
/// it to compare with the next one.
pub fn own_ticket_value(t: &DomainTicket) -> Value {
    to_value(&own_ticket(t))
}

/// An event as the audience may see it.
pub fn event(e: &Event, audience: Audience) -> EventView<'_> {
    EventView::of(e, audience)
}

/// Whether an event carries personal data (so supervisors need their own copy of it).
/// Exhaustive, so that a new kind of event is classified before it compiles.
pub fn has_personal_data(e: &Event) -> bool {
    let personal =
        |name: &Option<String>, phone: &Option<String>| name.is_some() || phone.is_some();
    match e {
        Event::BookingCreated { booking } => personal(&booking.name, &booking.phone),
        Event::DayStarted { bookings, .. } => bookings.iter().any(|b| personal(&b.name, &b.phone)),
        Event::Rating(r) => r.phone.is_some(),
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
        | Event::PersonalDataPurged { .. } => false,
        // Supervisors see who changed what; the others a redacted change (view/event.rs).
        Event::ConfigChanged { .. } => true,
    }
}

/// A view as a JSON value. The views are structs and enums with string keys, chrono and
/// serde-derived fields only, which `serde_json` always serialises.
fn to_value(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
