//! What a phone following its own ticket (`/ws?ticket=ID`, the ticket page) is told besides
//! the public event frames: a `ticket` frame whenever its ticket looks different to it.
//! Its own file because the rule has one subtle part: a phone whose socket lags behind the
//! lobby must still see its call, so a frame about its ticket shows the ticket as of that
//! event, never the latest state (which may already be `done`).

use axum::extract::ws::Utf8Bytes;
use serde_json::json;

use crate::broadcast::{Broadcaster, Frame};
use crate::domain::ids::TicketId;
use crate::domain::ticket::{Status, Ticket};
use crate::view;

/// A ticket's state as its phone last saw it, and as of which event (seq).
#[derive(Default)]
pub struct Seen {
    seq: u64,
    view: Option<serde_json::Value>,
}

/// The `ticket` frame a phone watching `id` gets after `frame` (None: at connect), if its
/// ticket looks different. When the event is about this ticket, the ticket is taken as of
/// that event — a phone that lags behind the lobby still sees its call before it sees the
/// ticket done (the latest state would skip the call). Other tickets' events only move its
/// place in line, so they update a ticket that still waits. Never older than what was shown.
pub fn ticket_frame(
    read: &Broadcaster,
    id: &TicketId,
    frame: Option<&Frame>,
    seen: &mut Seen,
) -> Option<Utf8Bytes> {
    let model = read.current();
    let latest = model.ticket(id);
    let about = frame.and_then(|f| {
        let t = f.envelope.event.ticket().filter(|t| &t.id == id)?;
        Some((f.seq, t))
    });
    let waiting = |t: &Ticket| t.status == Status::Waiting;
    let (seq, ticket) = match (about, frame) {
        // Its own event: as of then, with today's place in line if it still waits.
        (Some((seq, t)), _) => match latest {
            Some(now) if waiting(t) && waiting(now) => (seq, now),
            _ => (seq, t),
        },
        // At connect: as it is now.
        (None, None) => (model.seq(), latest?),
        // Another ticket's event: a new place in line, while it waits.
        (None, Some(f)) => (f.seq, latest.filter(|t| waiting(t))?),
    };
    if seq < seen.seq {
        return None;
    }
    let v = view::own_ticket_value(ticket);
    if seen.view.as_ref() == Some(&v) {
        return None;
    }
    let text = json!({"type": "ticket", "ticket": &v}).to_string();
    *seen = Seen { seq, view: Some(v) };
    Some(Utf8Bytes::from(text))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, FixedOffset};

    use super::*;
    use crate::domain::event::Event;
    use crate::domain::ids::{CounterId, ServiceId};
    use crate::domain::Envelope;
    use crate::read::{CentreInfo, ReadModel};

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("time")
    }

    fn ticket(status: Status) -> Ticket {
        let called = (status != Status::Waiting).then(|| at("2026-11-30T08:05:00+07:00"));
        Ticket {
            id: TicketId(ulid::Ulid::from_parts(1, 1)),
            number: "1001".into(),
            service: ServiceId::new("hotich"),
            origin: ServiceId::new("hotich"),
            priority: None,
            status,
            issued_at: at("2026-11-30T08:00:00+07:00"),
            called_at: called,
            first_called_at: called,
            finished_at: (status == Status::Done).then(|| at("2026-11-30T08:09:00+07:00")),
            counter: (status != Status::Waiting).then_some(CounterId(1)),
            clerk: None,
            recalls: 0,
            order: 1,
            slot_start: None,
            booking: None,
            remote: false,
            waiting_ahead: None,
            eta_s: None,
        }
    }

    /// The demo centre's empty read side on the day of `now`.
    fn demo_lobby(now: DateTime<FixedOffset>) -> Broadcaster {
        let config = crate::config::parse(crate::config::DEFAULT_TOML, crate::config::DEFAULT_NAME)
            .expect("demo config");
        let spec = Arc::new(config.spec.clone());
        let centre = Arc::new(CentreInfo {
            name: spec.name.clone(),
            name_en: spec.name_en.clone(),
            logo: None,
            notice: None,
            notice_en: None,
        });
        Broadcaster::new(ReadModel::new(spec, centre, now.date_naive()))
    }

    fn statuses(frames: &[Utf8Bytes]) -> Vec<String> {
        frames
            .iter()
            .map(|f| {
                let v: serde_json::Value = serde_json::from_str(f.as_str()).expect("json");
                v["ticket"]["status"].as_str().expect("status").to_string()
            })
            .collect()
    }

    /// The phone's socket handles the call's frame only after the clerk has already
    /// finished the ticket: it must still be told "called" before "done".
    #[test]
    fn a_phone_that_lags_behind_still_sees_its_call() {
        let now = at("2026-11-30T08:10:00+07:00");
        let read = demo_lobby(now);
        let id = ticket(Status::Waiting).id;
        let env = |seq: u64, event: Event| {
            Arc::new(Envelope {
                seq,
                at: now,
                event,
            })
        };
        read.publish(
            &[env(
                1,
                Event::TicketIssued {
                    ticket: ticket(Status::Waiting),
                    booking: None,
                    client: None,
                },
            )],
            now,
        );
        let mut seen = Seen::default();
        let first: Vec<_> = ticket_frame(&read, &id, None, &mut seen)
            .into_iter()
            .collect();
        assert_eq!(statuses(&first), ["waiting"]);

        let (_, mut rx) = read.subscribe(None);
        // Both committed before the phone's socket gets to the first of them.
        read.publish(
            &[
                env(
                    2,
                    Event::TicketCalled {
                        ticket: ticket(Status::Called),
                        counter: CounterId(1),
                        audio: Vec::new(),
                    },
                ),
                env(
                    3,
                    Event::TicketFinished {
                        ticket: ticket(Status::Done),
                        counter: CounterId(1),
                    },
                ),
            ],
            now,
        );
        let mut sent = Vec::new();
        while let Ok(frame) = rx.try_recv() {
            sent.extend(ticket_frame(&read, &id, Some(&frame), &mut seen));
        }
        assert_eq!(statuses(&sent), ["called", "done"]);
    }

    /// Other tickets' events never show a state ahead of the ticket's own frames, nor one
    /// older than what the phone saw.
    #[test]
    fn another_tickets_event_does_not_jump_ahead() {
        let now = at("2026-11-30T08:10:00+07:00");
        let read = demo_lobby(now);
        let id = ticket(Status::Waiting).id;
        let env = |seq: u64, event: Event| {
            Arc::new(Envelope {
                seq,
                at: now,
                event,
            })
        };
        let mut other = ticket(Status::Waiting);
        other.id = TicketId(ulid::Ulid::from_parts(2, 2));
        other.number = "1002".into();
        other.order = 2;
        let mut seen = Seen::default();
        let (_, mut rx) = read.subscribe(None);
        read.publish(
            &[
                env(
                    1,
                    Event::TicketIssued {
                        ticket: ticket(Status::Waiting),
                        booking: None,
                        client: None,
                    },
                ),
                env(
                    2,
                    Event::TicketIssued {
                        ticket: other,
                        booking: None,
                        client: None,
                    },
                ),
                env(
                    3,
                    Event::TicketCalled {
                        ticket: ticket(Status::Called),
                        counter: CounterId(1),
                        audio: Vec::new(),
                    },
                ),
            ],
            now,
        );
        let mut sent = Vec::new();
        while let Ok(frame) = rx.try_recv() {
            sent.extend(ticket_frame(&read, &id, Some(&frame), &mut seen));
        }
        assert_eq!(statuses(&sent), ["waiting", "called"]);
    }
}
