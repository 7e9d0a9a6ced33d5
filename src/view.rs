//! What each audience may see. Supervisors see every field of every event. Clerks see
//! tickets with their ids and every field except personal data (names and phone numbers
//! citizens left with a booking or a rating). The public (boards, phones, displays) never
//! sees a ticket id (it is its holder's capability), a rating comment, a booking code or
//! personal data.

use serde_json::{json, Map, Value};

use crate::domain::event::Event;
use crate::domain::ticket::Ticket;

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
        if audience.is_staff() {
            m.insert("id".into(), json!(t.id));
            if let Some(b) = &t.booking {
                m.insert("booking".into(), json!(b));
            }
        }
        if t.remote {
            m.insert("remote".into(), json!(true));
        }
        // An appointment ticket's slot: the kiosk shows and prints its time.
        if let Some(start) = t.slot_start {
            m.insert("slot_start".into(), json!(start));
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
    // A remote ticket's phone tag exists for the journal's per-phone count only.
    m.remove("client");
    // The admin overlay (with PIN and token hashes) stays in the journal: screens get the
    // effective spec in the snapshot.
    m.remove("overlay");
    if let Event::ConfigChanged { change, by } = e {
        // Hashes never leave; who may sign in is the supervisors' business only.
        let change = if audience == Audience::Supervisor || !change.is_roster() {
            change.without_secrets()
        } else {
            change.redacted()
        };
        m.insert(
            "change".into(),
            serde_json::to_value(change).unwrap_or(Value::Null),
        );
        if audience != Audience::Supervisor {
            m.remove("by");
        } else {
            m.insert("by".into(), json!(by));
        }
    }
    match audience {
        Audience::Public => redact(e, m),
        Audience::Staff => redact_personal(e, m),
        Audience::Supervisor => {}
    }
    v
}

/// Whether an event carries personal data (so supervisors need their own copy of it).
pub fn has_personal_data(e: &Event) -> bool {
    match e {
        Event::BookingCreated { booking } => booking.name.is_some() || booking.phone.is_some(),
        Event::DayStarted { bookings, .. } => bookings
            .iter()
            .any(|b| b.name.is_some() || b.phone.is_some()),
        Event::Rating(r) => r.phone.is_some(),
        Event::ConfigChanged { .. } => true,
        _ => false,
    }
}

/// What a clerk may not see: names and phone numbers.
fn redact_personal(e: &Event, m: &mut Map<String, Value>) {
    let strip = |b: &mut Value| {
        if let Value::Object(b) = b {
            b.remove("name");
            b.remove("phone");
        }
    };
    match e {
        Event::BookingCreated { .. } => {
            if let Some(b) = m.get_mut("booking") {
                strip(b);
            }
        }
        Event::DayStarted { .. } => {
            if let Some(Value::Array(list)) = m.get_mut("bookings") {
                list.iter_mut().for_each(strip);
            }
        }
        Event::Rating(_) => {
            m.remove("phone");
        }
        _ => {}
    }
}

fn redact(e: &Event, m: &mut Map<String, Value>) {
    match e {
        Event::TicketIssued { .. } => {
            m.remove("booking");
        }
        Event::Rating(_) => {
            m.remove("ticket");
            m.remove("comment");
            m.remove("phone");
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
