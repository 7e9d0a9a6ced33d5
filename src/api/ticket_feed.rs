//! What a phone following its own ticket (`/ws?ticket=ID`, the ticket page) is told besides
//! the public event frames: a `ticket` frame whenever its ticket looks different to it.
//! Its own file because the rule has one subtle part: a phone whose socket lags behind the
//! lobby must still see its call, so a frame about its ticket shows the ticket as of that
//! event, never the latest state (which may already be `done`).
//!
//! And because its cost is per phone and per event (10,000 phones on the province hub):
//! - an event about another ticket is skipped at once, without a look-up, when it cannot
//!   change the phone's ticket — one that is no longer waiting (only its own events change
//!   it), or one waiting in a line the event cannot move
//!   ([`crate::domain::line_moves::may_move`]);
//! - a frame is built once per ticket and seq and its bytes shared by every socket that
//!   follows that ticket ([`crate::broadcast::ticket_frames`]); a phone compares bytes with
//!   what it last sent, not views.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use serde::Serialize;

use crate::broadcast::ticket_frames::AsOf;
use crate::broadcast::{Broadcaster, Frame};
use crate::domain::ids::{ServiceId, TicketId};
use crate::domain::line_moves::may_move;
use crate::domain::spec::CentreSpec;
use crate::domain::ticket::{Status, Ticket};
use crate::view;

/// Which events about other tickets a phone must look at.
#[derive(Default)]
enum Follows {
    /// Its ticket is not known (yet, or any more): every event.
    #[default]
    Unknown,
    /// It waits in the line of `service`: events that may move that line (`spec`: the
    /// centre's effective spec when it was last looked at).
    Waiting {
        service: ServiceId,
        spec: Arc<CentreSpec>,
    },
    /// Called, done, gone elsewhere: none (only its own events change it).
    Settled,
}

/// A ticket's frame as its phone last got it, as of which event (seq), and which events
/// about other tickets may change it.
#[derive(Default)]
pub struct Seen {
    seq: u64,
    frame: Option<Utf8Bytes>,
    follows: Follows,
}

impl Seen {
    /// Whether an event about another ticket can be passed over without a look-up.
    fn passes_over(&self, frame: &Frame) -> bool {
        match &self.follows {
            Follows::Unknown => false,
            Follows::Settled => true,
            Follows::Waiting { service, spec } => !may_move(spec, &frame.envelope.event, service),
        }
    }

    /// Notes what the ticket looked like when last looked at.
    fn follow(&mut self, ticket: Option<&Ticket>, spec: &Arc<CentreSpec>) {
        match ticket {
            None => self.follows = Follows::Unknown,
            Some(t) if t.status != Status::Waiting => self.follows = Follows::Settled,
            Some(t) => {
                let same = matches!(&self.follows, Follows::Waiting { service, spec: s }
                    if *service == t.service && Arc::ptr_eq(s, spec));
                if !same {
                    self.follows = Follows::Waiting {
                        service: t.service.clone(),
                        spec: spec.clone(),
                    };
                }
            }
        }
    }
}

/// The `ticket` frame of API.md: the holder's own view of the ticket.
#[derive(Serialize)]
struct TicketFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    ticket: view::StaffTicket<'a>,
}

/// A ticket's frame as bytes for its holder.
fn encode(t: &Ticket) -> Utf8Bytes {
    let frame = TicketFrame {
        kind: "ticket",
        ticket: view::own_ticket(t),
    };
    // A struct of a static string and a view (string keys only): serde_json cannot fail.
    Utf8Bytes::from(serde_json::to_string(&frame).unwrap_or_default())
}

/// The `ticket` frame a phone watching `id` gets after `frame` (None: at connect), if its
/// ticket looks different. When the event is about this ticket, the ticket is taken as of
/// that event — a phone that lags behind the lobby still sees its call before it sees the
/// ticket done (the latest state would skip the call). Other tickets' events only move its
/// place in line, so they update a ticket that still waits, and only when they may move its
/// line. Never older than what was shown.
pub fn ticket_frame(
    read: &Broadcaster,
    id: &TicketId,
    frame: Option<&Frame>,
    seen: &mut Seen,
) -> Option<Utf8Bytes> {
    let about = frame.and_then(|f| {
        let t = f.envelope.event.ticket().filter(|t| &t.id == id)?;
        Some((f.seq, t))
    });
    if let (None, Some(f)) = (about, frame) {
        if seen.passes_over(f) {
            return None;
        }
    }
    let model = read.current();
    let spec = model.spec_arc();
    let latest = model.ticket(id);
    let now = AsOf::Model(model.seq());
    let waiting = |t: &Ticket| t.status == Status::Waiting;
    let (seq, as_of, ticket) = match (about, frame) {
        // Its own event: as of then, with today's place in line if it still waits.
        (Some((seq, t)), _) => match latest {
            Some(l) if waiting(t) && waiting(l) => (seq, now, l),
            _ => (seq, AsOf::Event(seq), t),
        },
        // At connect: as it is now.
        (None, None) => {
            seen.follow(latest, &spec);
            (model.seq(), now, latest?)
        }
        // Another ticket's event: a new place in line, while it waits.
        (None, Some(f)) => {
            seen.follow(latest, &spec);
            (f.seq, now, latest.filter(|t| waiting(t))?)
        }
    };
    if seq < seen.seq {
        return None;
    }
    seen.follow(Some(ticket), &spec);
    let bytes = read
        .ticket_frames()
        .get_or_build(*id, as_of, || encode(ticket));
    if seen.frame.as_ref() == Some(&bytes) {
        return None;
    }
    seen.seq = seq;
    seen.frame = Some(bytes.clone());
    Some(bytes)
}

#[cfg(test)]
mod equivalence;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, FixedOffset};
    use tokio::sync::broadcast::Receiver;

    use super::*;
    use crate::domain::event::Event;
    use crate::domain::ids::{CounterId, ServiceId};
    use crate::domain::Envelope;
    use crate::read::ReadModel;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("time")
    }

    /// When every event of these tests is committed.
    fn now() -> DateTime<FixedOffset> {
        at("2026-11-30T08:10:00+07:00")
    }

    fn env(seq: u64, event: Event) -> Arc<Envelope> {
        Arc::new(Envelope {
            seq,
            at: now(),
            event,
        })
    }

    /// The phone's ticket, 1001 of hotich, in `status`.
    fn ticket(status: Status) -> Ticket {
        let called = (status != Status::Waiting).then(|| at("2026-11-30T08:05:00+07:00"));
        Ticket {
            id: TicketId(ulid::Ulid::from_parts(1, 1)),
            number: "1001".into(),
            issued_at: at("2026-11-30T08:00:00+07:00"),
            called_at: called,
            first_called_at: called,
            finished_at: (status == Status::Done).then(|| at("2026-11-30T08:09:00+07:00")),
            counter: (status != Status::Waiting).then_some(CounterId(1)),
            ..crate::domain::line_moves::tests::ticket("hotich", status)
        }
    }

    /// Another waiting ticket of hotich, `number`, behind the phone's.
    fn another(id: u64, number: &str) -> Ticket {
        let mut t = ticket(Status::Waiting);
        t.id = TicketId(ulid::Ulid::from_parts(id, id.into()));
        t.number = number.into();
        t.order = 2;
        t
    }

    fn issued(ticket: Ticket) -> Event {
        Event::TicketIssued {
            ticket,
            booking: None,
            client: None,
        }
    }

    fn called(ticket: Ticket) -> Event {
        Event::TicketCalled {
            ticket,
            counter: CounterId(1),
            audio: Vec::new(),
        }
    }

    /// The demo centre's empty read side on the day of [`now`].
    fn demo_lobby() -> Broadcaster {
        let config = crate::config::parse(crate::config::DEFAULT_TOML, crate::config::DEFAULT_NAME)
            .expect("demo config");
        let spec = Arc::new(config.spec.clone());
        let centre = Arc::new(config.centre_info());
        Broadcaster::new(ReadModel::new(spec, centre, now().date_naive()))
    }

    /// What a phone reading its socket only now is sent for every frame waiting there.
    fn read_late(
        read: &Broadcaster,
        rx: &mut Receiver<Arc<Frame>>,
        id: &TicketId,
        seen: &mut Seen,
    ) -> Vec<Utf8Bytes> {
        let mut sent = Vec::new();
        while let Ok(frame) = rx.try_recv() {
            sent.extend(ticket_frame(read, id, Some(&frame), seen));
        }
        sent
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

    /// A phone connected to its waiting ticket (issued as seq 1): its first frame's statuses.
    fn connected(read: &Broadcaster, seen: &mut Seen) -> Vec<String> {
        read.publish(&[env(1, issued(ticket(Status::Waiting)))], now());
        let first: Vec<_> = ticket_frame(read, &ticket(Status::Waiting).id, None, seen)
            .into_iter()
            .collect();
        statuses(&first)
    }

    /// The phone's socket handles the call's frame only after the clerk has already
    /// finished the ticket: it must still be told "called" before "done".
    #[test]
    fn a_phone_that_lags_behind_still_sees_its_call() {
        let read = demo_lobby();
        let id = ticket(Status::Waiting).id;
        let mut seen = Seen::default();
        assert_eq!(connected(&read, &mut seen), ["waiting"]);

        let (_, mut rx) = read.subscribe(None);
        // Both committed before the phone's socket gets to the first of them.
        let finished = Event::TicketFinished {
            ticket: ticket(Status::Done),
            counter: CounterId(1),
        };
        read.publish(
            &[env(2, called(ticket(Status::Called))), env(3, finished)],
            now(),
        );
        let sent = read_late(&read, &mut rx, &id, &mut seen);
        assert_eq!(statuses(&sent), ["called", "done"]);
    }

    /// A lagging phone whose ticket was called, missed and put back in line sees that, in
    /// that order: another ticket's event in between does not show it "waiting" (where the
    /// latest model has it) before its "no show". The feed this one replaced did (found by
    /// the equivalence property test on CI).
    #[test]
    fn a_lagging_phone_sees_its_no_show_before_its_requeue() {
        let read = demo_lobby();
        let id = ticket(Status::Waiting).id;
        let mut seen = Seen::default();
        assert_eq!(connected(&read, &mut seen), ["waiting"]);

        let (_, mut rx) = read.subscribe(None);
        let no_show = Event::TicketNoShow {
            ticket: ticket(Status::NoShow),
            counter: CounterId(1),
        };
        let requeued = Event::TicketRequeued {
            ticket: ticket(Status::Waiting),
        };
        // All committed before the phone's socket gets to the first of them.
        read.publish(
            &[
                env(2, called(ticket(Status::Called))),
                env(3, issued(another(2, "1002"))),
                env(4, no_show),
                env(5, requeued),
            ],
            now(),
        );
        let sent = read_late(&read, &mut rx, &id, &mut seen);
        assert_eq!(statuses(&sent), ["called", "no_show", "waiting"]);
    }

    /// Other tickets' events never show a state ahead of the ticket's own frames, nor one
    /// older than what the phone saw.
    #[test]
    fn another_tickets_event_does_not_jump_ahead() {
        let read = demo_lobby();
        let id = ticket(Status::Waiting).id;
        let mut seen = Seen::default();
        let (_, mut rx) = read.subscribe(None);
        read.publish(
            &[
                env(1, issued(ticket(Status::Waiting))),
                env(2, issued(another(2, "1002"))),
                env(3, called(ticket(Status::Called))),
            ],
            now(),
        );
        let sent = read_late(&read, &mut rx, &id, &mut seen);
        assert_eq!(statuses(&sent), ["waiting", "called"]);
    }

    /// Every phone following a ticket gets the same bytes, built once; a phone whose ticket
    /// waits in a line an event cannot move passes over it without a look-up, and one whose
    /// ticket was called passes over every other ticket's event.
    #[test]
    fn followers_share_one_frame_and_unmoved_lines_are_passed_over() {
        let read = demo_lobby();
        let mine = ticket(Status::Waiting);
        read.publish(&[env(1, issued(mine.clone()))], now());
        let (_, mut rx) = read.subscribe(None);
        let mut phones: Vec<Seen> = (0..3).map(|_| Seen::default()).collect();
        let first: Vec<Utf8Bytes> = phones
            .iter_mut()
            .filter_map(|s| ticket_frame(&read, &mine.id, None, s))
            .collect();
        assert_eq!(statuses(&first), ["waiting", "waiting", "waiting"]);
        assert!(first
            .iter()
            .all(|f| f.as_str().as_ptr() == first[0].as_str().as_ptr()));
        assert_eq!(read.ticket_frames().len(), 1);

        // A gplx ticket (counters 5 and 6, which do not serve hotich): passed over.
        let mut gplx = ticket(Status::Waiting);
        gplx.id = TicketId(ulid::Ulid::from_parts(3, 3));
        gplx.service = ServiceId::new("gplx");
        gplx.origin = gplx.service.clone();
        gplx.number = "5001".into();
        read.publish(&[env(2, issued(gplx))], now());
        let frame = rx.try_recv().expect("frame 2");
        assert!(phones[0].passes_over(&frame));
        assert!(phones
            .iter_mut()
            .all(|s| ticket_frame(&read, &mine.id, Some(&frame), s).is_none()));
        assert_eq!(
            read.ticket_frames().len(),
            1,
            "nothing built for a passed-over event"
        );

        // A hotich ticket ahead of it (priority) moves it back: one new frame, shared.
        let mut ahead = another(4, "1002");
        ahead.priority = Some("elderly".into());
        read.publish(&[env(3, issued(ahead))], now());
        let frame = rx.try_recv().expect("frame 3");
        assert!(!phones[0].passes_over(&frame));
        let moved: Vec<Utf8Bytes> = phones
            .iter_mut()
            .filter_map(|s| ticket_frame(&read, &mine.id, Some(&frame), s))
            .collect();
        assert_eq!(moved.len(), 3);
        let v: serde_json::Value = serde_json::from_str(moved[0].as_str()).expect("json");
        assert_eq!(v["type"], "ticket");
        assert_eq!(v["ticket"]["waiting_ahead"], 1, "{v}");
        assert!(moved
            .iter()
            .all(|f| f.as_str().as_ptr() == moved[0].as_str().as_ptr()));

        // Called: from now on only its own events are looked at.
        let mut call = ticket(Status::Called);
        call.order = mine.order;
        read.publish(&[env(4, called(call))], now());
        let frame = rx.try_recv().expect("frame 4");
        let sent: Vec<Utf8Bytes> = phones
            .iter_mut()
            .filter_map(|s| ticket_frame(&read, &mine.id, Some(&frame), s))
            .collect();
        assert_eq!(statuses(&sent), ["called", "called", "called"]);
        let paused = Event::CounterStatus {
            counter: CounterId(1),
            status: crate::domain::event::CounterStatus::Paused,
        };
        read.publish(&[env(5, paused)], now());
        let frame = rx.try_recv().expect("frame 5");
        assert!(phones[0].passes_over(&frame));

        // A model replaced without events (the hub's rebuild) forgets the shared frames.
        read.reset(read.current().as_ref().clone());
        assert!(read.ticket_frames().is_empty());
    }
}
