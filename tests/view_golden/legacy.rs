//! The audience views as `src/view.rs` and `src/broadcast/frames.rs` built them before the
//! allow-list types (issue 13, knot 4): a `serde_json::Value` of the whole event with keys
//! deleted per audience. Kept here verbatim as the oracle the typed views are checked against.

use serde_json::{json, Map, Value};

use xephang::domain::event::Event;
use xephang::domain::ticket::Ticket;
use xephang::domain::Envelope;
use xephang::view::Audience;

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
        if let Some(start) = t.slot_start {
            m.insert("slot_start".into(), json!(start));
        }
    }
    v
}

pub fn own_ticket(t: &Ticket) -> Value {
    ticket(t, Audience::Staff)
}

pub fn event(e: &Event, audience: Audience) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    let Value::Object(m) = &mut v else {
        return v;
    };
    if let Some(t) = e.ticket() {
        m.insert("ticket".into(), ticket(t, audience));
    }
    m.remove("client");
    match audience {
        Audience::Public => redact(e, m),
        Audience::Staff => redact_personal(e, m),
        Audience::Supervisor => {}
    }
    v
}

pub fn has_personal_data(e: &Event) -> bool {
    match e {
        Event::BookingCreated { booking } => booking.name.is_some() || booking.phone.is_some(),
        Event::DayStarted { bookings, .. } => bookings
            .iter()
            .any(|b| b.name.is_some() || b.phone.is_some()),
        Event::Rating(r) => r.phone.is_some(),
        _ => false,
    }
}

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

/// The WebSocket frame of `env` for `audience` (`Frame::encode` as it was).
pub fn frame(env: &Envelope, queue: &Value, audience: Audience) -> Value {
    let ticket_event = env.event.ticket().is_some()
        || matches!(
            env.event,
            Event::CounterStatus { .. } | Event::ClerkLogin { .. }
        );
    let a = match audience {
        Audience::Supervisor if !has_personal_data(&env.event) => Audience::Staff,
        a => a,
    };
    let mut v = json!({
        "type": "event",
        "seq": env.seq,
        "at": env.at,
        "event": event(&env.event, a),
    });
    if ticket_event {
        if let Value::Object(m) = &mut v {
            m.insert("services".into(), queue.clone());
        }
    }
    v
}
