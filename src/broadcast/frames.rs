//! Frame encoding: each committed event serialised once per audience (public, staff,
//! supervisor) and shared by every socket of that audience.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use serde_json::{json, Value};

use crate::domain::ids::TicketId;
use crate::domain::{Envelope, Event};
use crate::view::{self, Audience};

/// One event, serialised once per audience.
#[derive(Debug)]
pub struct Frame {
    pub seq: u64,
    pub public: Utf8Bytes,
    pub staff: Utf8Bytes,
    /// The staff frame plus personal data (the same bytes as `staff` when there is none).
    pub supervisor: Utf8Bytes,
    /// The ticket the event is about (phones watching it re-check their ticket).
    pub ticket: Option<TicketId>,
    /// The announcement of a call or recall, for the device player.
    pub audio: Option<Vec<String>>,
    /// The committed event itself, for in-process subscribers that need more than a
    /// screen's view of it (the uplink to the province hub).
    pub envelope: Arc<Envelope>,
}

impl Frame {
    /// The frame of `env`. Events that move a queue or whether it is served (ticket events,
    /// a counter opening, pausing or closing, a clerk's login) carry `queue`, every
    /// service's queue in brief.
    pub fn encode(env: &Arc<Envelope>, queue: &Value) -> Frame {
        let ticket_event = env.event.ticket().is_some()
            || matches!(
                env.event,
                Event::CounterStatus { .. } | Event::ClerkLogin { .. }
            );
        // The queue in brief is written once and spliced into each audience's frame
        // (cloning its JSON tree per audience cost more than the event itself).
        let services = ticket_event.then(|| queue.to_string());
        let make = |a: Audience| {
            let v = json!({
                "type": "event",
                "seq": env.seq,
                "at": env.at,
                "event": view::event(&env.event, a),
            });
            let mut text = v.to_string();
            if let Some(services) = &services {
                // `text` is a JSON object: it ends with `}`.
                text.pop();
                text.push_str(",\"services\":");
                text.push_str(services);
                text.push('}');
            }
            Utf8Bytes::from(text)
        };
        let staff = make(Audience::Staff);
        let supervisor = if view::has_personal_data(&env.event) {
            make(Audience::Supervisor)
        } else {
            staff.clone()
        };
        Frame {
            seq: env.seq,
            public: make(Audience::Public),
            staff,
            supervisor,
            ticket: env.event.ticket().map(|t| t.id),
            audio: match &env.event {
                Event::TicketCalled { audio, .. } | Event::TicketRecalled { audio, .. } => {
                    Some(audio.clone())
                }
                _ => None,
            },
            envelope: env.clone(),
        }
    }

    pub fn for_audience(&self, a: Audience) -> &Utf8Bytes {
        match a {
            Audience::Public => &self.public,
            Audience::Staff => &self.staff,
            Audience::Supervisor => &self.supervisor,
        }
    }
}
