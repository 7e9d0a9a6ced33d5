//! What each audience may see. Staff (clerks, supervisors) see tickets with their ids and
//! every field of an event; the public (boards, phones, displays) never sees a ticket id (it
//! is its holder's capability), a rating comment, a booking code or personal data.

use serde_json::{json, Map, Value};

use crate::domain::event::Event;
use crate::domain::ticket::Ticket;

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Staff,
}

/// A ticket as the API shows it.
pub fn ticket(t: &Ticket, audience: Audience) -> Value {
    let mut v = json!({
        "number": t.number,
        "service": t.service,
        "priority": t.priority,
        "status": t.status,
        "issued_at": t.issued_at,
        "called_at": t.called_at,
        "finished_at": t.finished_at,
        "counter": t.counter,
        "clerk": t.clerk,
        "recalls": t.recalls,
        "waiting_ahead": t.waiting_ahead,
        "eta_s": t.eta_s,
    });
    if let Value::Object(m) = &mut v {
        if audience == Audience::Staff {
            m.insert("id".into(), json!(t.id));
            if let Some(b) = &t.booking {
                m.insert("booking".into(), json!(b));
            }
        }
        if t.remote {
            m.insert("remote".into(), json!(true));
        }
    }
    v
}

/// A ticket for its own holder (who has the id): the full view.
pub fn own_ticket(t: &Ticket) -> Value {
    ticket(t, Audience::Staff)
}

/// An event as the audience may see it.
pub fn event(e: &Event, audience: Audience) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    let Value::Object(m) = &mut v else {
        return v;
    };
    if let Some(t) = e.ticket() {
        m.insert("ticket".into(), ticket(t, audience));
    }
    if audience == Audience::Public {
        redact(e, m);
    }
    v
}

fn redact(e: &Event, m: &mut Map<String, Value>) {
    match e {
        Event::TicketIssued { .. } => {
            m.remove("booking");
        }
        Event::Rating(_) => {
            m.remove("ticket");
            m.remove("comment");
        }
        Event::BookingCreated { booking } => {
            m.clear();
            m.insert("type".into(), json!("booking_created"));
            m.insert("service".into(), json!(booking.service));
            m.insert("start".into(), json!(booking.start));
        }
        Event::BookingCancelled { .. } => {
            m.remove("code");
        }
        Event::DayStarted { .. } => {
            m.remove("bookings");
            m.remove("counters");
            m.remove("dossier");
        }
        _ => {}
    }
}
