//! The audience views of `src/view.rs` as HTTP answers carry them. The views borrow from the
//! read model, which an answer outlives, so the answers hold a copy of the domain ticket and
//! serialise it through the view: [`OwnedStaffTicket`] is a [`StaffTicket`] (its schema is
//! `StaffTicket`), [`OwnedTicketView`] a [`view::TicketView`] for the caller's audience (its
//! schema is `TicketView`). The OpenAPI document therefore describes the very types that
//! write the bytes; no schema here is written by hand. [`OwnTicket`] and [`TicketPrint`] are
//! the holder's answer.

use std::borrow::Cow;

use serde::{Serialize, Serializer};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::domain::ids::TicketId;
use crate::domain::ticket::Ticket;
use crate::view::{self, Audience, StaffTicket};

/// A ticket with its id, as its holder, clerks and supervisors see it: a [`StaffTicket`]
/// owning its ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedStaffTicket(Ticket);

impl OwnedStaffTicket {
    pub fn new(t: &Ticket) -> Self {
        OwnedStaffTicket(t.clone())
    }

    pub fn id(&self) -> TicketId {
        self.0.id
    }
}

impl Serialize for OwnedStaffTicket {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        view::own_ticket(&self.0).serialize(s)
    }
}

impl PartialSchema for OwnedStaffTicket {
    fn schema() -> RefOr<Schema> {
        StaffTicket::schema()
    }
}

/// Named `StaffTicket` in the document: the same component as the view it serialises as.
impl ToSchema for OwnedStaffTicket {
    fn name() -> Cow<'static, str> {
        StaffTicket::name()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        StaffTicket::schemas(schemas);
    }
}

/// A ticket as one audience sees it: a [`view::TicketView`] owning its ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedTicketView {
    ticket: Ticket,
    audience: Audience,
}

impl OwnedTicketView {
    pub fn new(t: &Ticket, audience: Audience) -> Self {
        OwnedTicketView {
            ticket: t.clone(),
            audience,
        }
    }
}

impl Serialize for OwnedTicketView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        view::ticket(&self.ticket, self.audience).serialize(s)
    }
}

impl PartialSchema for OwnedTicketView {
    fn schema() -> RefOr<Schema> {
        view::TicketView::schema()
    }
}

/// Named `TicketView` in the document, like the view it serialises as.
impl ToSchema for OwnedTicketView {
    fn name() -> Cow<'static, str> {
        view::TicketView::name()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        view::TicketView::schemas(schemas);
    }
}

/// A ticket as its holder sees it (issue, check-in, remote ticket, look-up, cancel,
/// requeue): the full view and the address of its phone page.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct OwnTicket {
    #[serde(flatten)]
    pub ticket: OwnedStaffTicket,
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
    use crate::view::schema_keys::{schema_keys, sent_keys};

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

    /// The answers' schemas name exactly the keys sent: every key the holder's view carries is
    /// documented and every documented key is sent (all fields set); the public view sends
    /// only documented keys, and `TicketView` offers both.
    #[test]
    fn the_ticket_schemas_name_exactly_the_views_keys() {
        let t = every_field_set();
        let documented = schema_keys::<OwnedStaffTicket>();
        let sent = sent_keys(&OwnedStaffTicket::new(&t));
        assert_eq!(documented, sent);
        let public = schema_keys::<view::PublicTicket>();
        assert_eq!(
            public,
            sent_keys(&OwnedTicketView::new(&t, Audience::Public))
        );
        assert!(!public.contains("id") && !public.contains("booking"));
        assert_eq!(sent, sent_keys(&OwnedTicketView::new(&t, Audience::Staff)));
        assert_eq!(
            schema_keys::<OwnedTicketView>(),
            documented,
            "anyOf: the union"
        );
        let mut answer = schema_keys::<OwnTicket>();
        for k in ["url", "rated", "print"] {
            assert!(answer.remove(k), "{k}");
        }
        assert_eq!(answer, documented);
    }

    /// An own ticket's answer: the view's keys, `url`, and `rated` / `print` only when set.
    #[test]
    fn an_own_ticket_adds_url_and_only_the_fields_it_has() {
        let t = every_field_set();
        let mut answer = OwnTicket {
            ticket: OwnedStaffTicket::new(&t),
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
