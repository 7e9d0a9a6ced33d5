//! Frame encoding: each committed event serialised once per audience (public, staff,
//! supervisor) and shared by every socket of that audience.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::domain::ids::TicketId;
use crate::domain::{Envelope, Event};
use crate::view::{self, Audience, EventView};

/// The `event` frame of API.md: an event as one audience sees it, and every service's queue
/// in brief when the event moves a queue.
#[derive(Serialize)]
struct EventFrame<'a, Q: ?Sized> {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: u64,
    at: DateTime<FixedOffset>,
    event: EventView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    services: Option<&'a Q>,
}

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
    /// service's queue in brief (`[QueueBrief]`, serialised once per batch by the
    /// broadcaster).
    pub fn encode<Q: Serialize + ?Sized>(env: &Arc<Envelope>, queue: &Q) -> Frame {
        let ticket_event = env.event.ticket().is_some()
            || matches!(
                env.event,
                Event::CounterStatus { .. } | Event::ClerkLogin { .. }
            );
        let services = ticket_event.then_some(queue);
        let make = |a: Audience| {
            let frame = EventFrame {
                kind: "event",
                seq: env.seq,
                at: env.at,
                event: view::event(&env.event, a),
                services,
            };
            // Structs and enums with string keys only: serde_json cannot fail on them.
            Utf8Bytes::from(serde_json::to_string(&frame).unwrap_or_default())
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
