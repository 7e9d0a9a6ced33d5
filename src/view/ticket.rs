//! A ticket as each audience sees it: allow-list types borrowing from the domain's
//! [`Ticket`]. A field added to `Ticket` is shown to nobody until it is added here.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use super::Audience;
use crate::domain::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
use crate::domain::ticket::{Status, Ticket};

/// A ticket as boards, displays and other people's phones see it: no id (it is its
/// holder's capability), no booking code.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicTicket<'a> {
    /// The printed number, prefix included ("1005", "A005").
    #[schema(example = "1005")]
    pub number: &'a str,
    #[schema(value_type = String, example = "hotich")]
    pub service: &'a ServiceId,
    /// Priority class, if any (`elderly`, `appointment`, …).
    pub priority: Option<&'a str>,
    pub status: Status,
    pub issued_at: DateTime<FixedOffset>,
    pub called_at: Option<DateTime<FixedOffset>>,
    pub finished_at: Option<DateTime<FixedOffset>>,
    #[schema(value_type = Option<u32>)]
    pub counter: Option<CounterId>,
    /// Staff id of the clerk who called it.
    #[schema(value_type = Option<String>)]
    pub clerk: Option<&'a StaffId>,
    pub recalls: u32,
    /// Tickets ahead of it (waiting tickets only, else null).
    pub waiting_ahead: Option<u32>,
    /// Estimated wait in seconds (waiting tickets only, else null).
    pub eta_s: Option<u32>,
    /// Present (true) on tickets taken from home.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(value_type = Option<bool>)]
    pub remote: bool,
    /// An appointment ticket's slot (the kiosk shows and prints its time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot_start: Option<DateTime<FixedOffset>>,
}

/// A ticket as clerks, supervisors and its own holder see it: the public view, its id and
/// the booking it came from. (Tickets hold no personal data, so supervisors see the same.)
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StaffTicket<'a> {
    #[schema(value_type = String, example = "01JD0000000000000000000000")]
    pub id: TicketId,
    #[serde(flatten)]
    pub public: PublicTicket<'a>,
    /// Booking code, when the ticket came from a check-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub booking: Option<&'a BookingCode>,
}

/// A ticket as a given audience sees it. Its schema is `anyOf` (not the `oneOf` a derive
/// would give an untagged enum): a staff view also satisfies [`PublicTicket`]'s schema, so
/// "exactly one of" would reject every staff answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TicketView<'a> {
    Staff(StaffTicket<'a>),
    Public(PublicTicket<'a>),
}

impl utoipa::PartialSchema for TicketView<'_> {
    fn schema() -> RefOr<Schema> {
        super::by_audience::any_of::<StaffTicket, PublicTicket>(
            "A ticket as the caller's audience sees it: staff (clerks, supervisors) get \
             `StaffTicket`, everyone else `PublicTicket`.",
        )
    }
}

impl ToSchema for TicketView<'_> {
    fn name() -> std::borrow::Cow<'static, str> {
        "TicketView".into()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        super::by_audience::register::<StaffTicket, PublicTicket>(schemas);
    }
}

impl<'a> PublicTicket<'a> {
    pub fn new(t: &'a Ticket) -> Self {
        PublicTicket {
            number: &t.number,
            service: &t.service,
            priority: t.priority.as_deref(),
            status: t.status,
            issued_at: t.issued_at,
            called_at: t.called_at,
            finished_at: t.finished_at,
            counter: t.counter,
            clerk: t.clerk.as_ref(),
            recalls: t.recalls,
            waiting_ahead: t.waiting_ahead,
            eta_s: t.eta_s,
            remote: t.remote,
            slot_start: t.slot_start,
        }
    }
}

impl<'a> StaffTicket<'a> {
    pub fn new(t: &'a Ticket) -> Self {
        StaffTicket {
            id: t.id,
            public: PublicTicket::new(t),
            booking: t.booking.as_ref(),
        }
    }
}

impl<'a> TicketView<'a> {
    pub fn of(t: &'a Ticket, audience: Audience) -> Self {
        if audience.is_staff() {
            TicketView::Staff(StaffTicket::new(t))
        } else {
            TicketView::Public(PublicTicket::new(t))
        }
    }
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use super::*;

    #[test]
    fn the_schemas_name_what_each_audience_gets() {
        let public = serde_json::to_string(&PublicTicket::schema()).expect("schema");
        for key in [
            "number",
            "service",
            "status",
            "waiting_ahead",
            "eta_s",
            "slot_start",
        ] {
            assert!(public.contains(&format!("\"{key}\"")), "{key}: {public}");
        }
        assert!(!public.contains("\"id\""), "{public}");
        assert!(!public.contains("\"booking\""), "{public}");
        let staff = serde_json::to_string(&StaffTicket::schema()).expect("schema");
        for key in ["\"id\"", "\"booking\"", "#/components/schemas/PublicTicket"] {
            assert!(staff.contains(key), "{key}: {staff}");
        }
    }
}
