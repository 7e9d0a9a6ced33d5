//! The audience views of `src/view.rs` as HTTP answers carry them: [`TicketView`] holds the
//! JSON that `view` builds (a ticket as one audience may see it — the same JSON the WebSocket
//! sends) and [`Ticket`] is its schema in the OpenAPI document (a test checks they name the
//! same keys); [`Counter`] is the schema of a counter in the snapshot (`GET /state`, which the
//! read model encodes). The views stay `Value`-based here on purpose: typing them per audience
//! is `src/view.rs`'s own change (issue 13, knot 4); when it lands, [`TicketView`] becomes its
//! type and the schemas below go. [`OwnTicket`] and [`TicketPrint`] are typed answers.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A ticket as `view::ticket` / `view::own_ticket` shows it (schema: [`Ticket`]).
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
#[serde(transparent)]
#[schema(value_type = Ticket)]
pub struct TicketView(pub Value);

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Done,
    NoShow,
    Transferred,
    Cancelled,
    Expired,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CounterState {
    Open,
    Paused,
    Closed,
}

/// A ticket. `id` is absent for public and display viewers; `waiting_ahead` and `eta_s` are
/// null unless waiting.
#[derive(ToSchema)]
pub struct Ticket {
    pub id: Option<String>,
    pub number: String,
    pub service: String,
    pub priority: Option<String>,
    pub status: TicketStatus,
    pub issued_at: DateTime<FixedOffset>,
    pub called_at: Option<DateTime<FixedOffset>>,
    pub finished_at: Option<DateTime<FixedOffset>>,
    pub counter: Option<u32>,
    /// Staff id of the clerk who called it.
    pub clerk: Option<String>,
    pub recalls: u32,
    pub waiting_ahead: Option<u32>,
    pub eta_s: Option<u64>,
    /// Booking code (staff only), when the ticket came from a check-in.
    pub booking: Option<String>,
    /// Present (true) on tickets taken from home.
    pub remote: Option<bool>,
    /// An appointment ticket's slot.
    pub slot_start: Option<DateTime<FixedOffset>>,
}

#[derive(ToSchema)]
pub struct ClerkRef {
    pub id: String,
    pub name: String,
    pub photo: Option<String>,
}

#[derive(ToSchema)]
pub struct Counter {
    pub id: u32,
    pub name: String,
    pub status: CounterState,
    pub services: Vec<String>,
    pub mode: String,
    pub clerk: Option<ClerkRef>,
    pub current: Option<Ticket>,
    pub served: u32,
}

/// A ticket as its holder sees it (issue, check-in, remote ticket, look-up, cancel,
/// requeue): the full view and the address of its phone page.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct OwnTicket {
    #[serde(flatten)]
    pub ticket: TicketView,
    /// The address of its phone page, what its QR code encodes.
    pub url: String,
    /// `GET /api/v1/tickets/{id}` only: whether it was rated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rated: Option<bool>,
    /// Issue and check-in answers of a kiosk with a `printer` only: the daemon prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub print: Option<TicketPrint>,
}

/// How a kiosk's ticket is printed by the daemon (src/print).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct TicketPrint {
    /// `daemon`.
    pub by: &'static str,
    /// The kiosk (device name) whose printer prints it.
    pub printer: String,
    /// `queued` (the outcome follows as a `print` frame on the kiosk's WebSocket) or
    /// `failed` (known at once: the printer is down or its queue is full).
    pub state: &'static str,
    /// Why it failed: `paper_out`, `offline`, `queue_full`, …
    pub reason: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
    use crate::domain::ticket::{Status, Ticket as Stored};
    use crate::view::{self, Audience};

    /// The property names of a schema.
    fn properties<T: utoipa::PartialSchema>() -> Vec<String> {
        let schema = serde_json::to_value(T::schema()).expect("schema");
        let props = schema["properties"].as_object().expect("properties");
        props.keys().cloned().collect()
    }

    fn every_field_set() -> Stored {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-02T08:00:00+07:00").expect("time");
        Stored {
            id: TicketId(ulid::Ulid::nil()),
            number: "1001".into(),
            service: ServiceId("hotich".into()),
            origin: ServiceId("hotich".into()),
            priority: Some("elderly".into()),
            status: Status::Called,
            issued_at: at,
            called_at: Some(at),
            first_called_at: Some(at),
            finished_at: Some(at),
            counter: Some(CounterId(1)),
            clerk: Some(StaffId("nv01".into())),
            recalls: 1,
            order: 1,
            slot_start: Some(at),
            booking: Some(BookingCode("K7P2QX".into())),
            remote: true,
            waiting_ahead: Some(2),
            eta_s: Some(60),
        }
    }

    /// The Value-based view (src/view.rs) and its schema [`Ticket`] name the same keys: every
    /// key any audience gets is documented, and every documented key is sent to some audience.
    #[test]
    fn the_ticket_schema_names_exactly_the_views_keys() {
        let documented = properties::<Ticket>();
        let t = every_field_set();
        let full = view::own_ticket(&t);
        let keys: Vec<String> = full.as_object().expect("object").keys().cloned().collect();
        for k in &keys {
            assert!(
                documented.contains(k),
                "`{k}` is sent but not in the schema"
            );
        }
        for k in &documented {
            assert!(keys.contains(k), "`{k}` is in the schema but never sent");
        }
        let public = view::ticket(&t, Audience::Public);
        for k in public.as_object().expect("object").keys() {
            assert!(
                documented.contains(k),
                "`{k}` (public) is not in the schema"
            );
        }
    }

    /// An own ticket's answer: the view's keys, `url`, and `rated` / `print` only when set.
    #[test]
    fn an_own_ticket_adds_url_and_only_the_fields_it_has() {
        let t = every_field_set();
        let mut answer = OwnTicket {
            ticket: TicketView(view::own_ticket(&t)),
            url: "http://x/t/1".into(),
            rated: None,
            print: None,
        };
        let v = serde_json::to_value(&answer).expect("json");
        assert_eq!(v["url"], "http://x/t/1");
        assert_eq!(v["number"], "1001");
        assert!(v.get("rated").is_none() && v.get("print").is_none(), "{v}");
        answer.rated = Some(false);
        let v = serde_json::to_value(&answer).expect("json");
        assert_eq!(v["rated"], false);
    }
}
