//! The skipping and shared phone feed against the feed it replaced (every phone looked its
//! ticket up, built its view and compared it after every event), over random days: a phone
//! that keeps up gets exactly the same frames; one that lags shows every status its ticket
//! went through, in order, and ends on the same frame.
//!
//! For a phone that lags, the old feed is not the reference for the order: after another
//! ticket's event it showed the ticket as the *latest* model held it, so a phone behind the
//! lobby could see "waiting" (a requeue still ahead of it) before the "no show" that came
//! first — the new feed passes over such events while its ticket is not waiting. The
//! ticket's own events in the journal are the reference.

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{json, Value};
use tokio::sync::broadcast::Receiver;

use super::{ticket_frame, Seen};
use crate::broadcast::{Broadcaster, Frame};
use crate::domain::ids::TicketId;
use crate::domain::line_moves::tests::{command, day, decide_later};
use crate::domain::tests::Sim;
use crate::domain::ticket::{Status, Ticket};
use crate::domain::Envelope;
use crate::read::{CentreInfo, ReadModel};
use crate::view;

/// The phone feed as it was before frames were skipped and shared (the reference).
#[derive(Default)]
struct OldSeen {
    seq: u64,
    view: Option<Value>,
}

fn old_ticket_frame(
    read: &Broadcaster,
    id: &TicketId,
    frame: Option<&Frame>,
    seen: &mut OldSeen,
) -> Option<Value> {
    let model = read.current();
    let latest = model.ticket(id);
    let about = frame.and_then(|f| {
        let t = f.envelope.event.ticket().filter(|t| &t.id == id)?;
        Some((f.seq, t))
    });
    let waiting = |t: &Ticket| t.status == Status::Waiting;
    let (seq, ticket) = match (about, frame) {
        (Some((seq, t)), _) => match latest {
            Some(now) if waiting(t) && waiting(now) => (seq, now),
            _ => (seq, t),
        },
        (None, None) => (model.seq(), latest?),
        (None, Some(f)) => (f.seq, latest.filter(|t| waiting(t))?),
    };
    if seq < seen.seq {
        return None;
    }
    let v = view::own_ticket_value(ticket);
    if seen.view.as_ref() == Some(&v) {
        return None;
    }
    *seen = OldSeen {
        seq,
        view: Some(v.clone()),
    };
    Some(json!({"type": "ticket", "ticket": v}))
}

/// One phone followed by both feeds.
struct Phone {
    id: TicketId,
    /// The seq of the model it connected to, and its ticket's status then.
    connected: (u64, Option<Status>),
    rx: Receiver<Arc<Frame>>,
    new: Seen,
    old: OldSeen,
    got_new: Vec<Value>,
    got_old: Vec<Value>,
}

impl Phone {
    fn connect(read: &Broadcaster, id: TicketId) -> Phone {
        let (_, rx) = read.subscribe(None);
        let model = read.current();
        let mut p = Phone {
            id,
            connected: (model.seq(), model.ticket(&id).map(|t| t.status)),
            rx,
            new: Seen::default(),
            old: OldSeen::default(),
            got_new: Vec::new(),
            got_old: Vec::new(),
        };
        p.note(read, None);
        p
    }

    fn note(&mut self, read: &Broadcaster, frame: Option<&Frame>) {
        if let Some(b) = ticket_frame(read, &self.id, frame, &mut self.new) {
            self.got_new
                .push(serde_json::from_str(b.as_str()).expect("ticket frame is JSON"));
        }
        self.got_old
            .extend(old_ticket_frame(read, &self.id, frame, &mut self.old));
    }

    /// Reads every frame published so far.
    fn read_all(&mut self, read: &Broadcaster) {
        while let Ok(f) = self.rx.try_recv() {
            self.note(read, Some(&f));
        }
    }
}

fn statuses(frames: &[Value]) -> Vec<String> {
    dedup(frames.iter().map(|f| f["ticket"]["status"].clone()))
}

/// The run of statuses, each repeat of the one before left out.
fn dedup(statuses: impl Iterator<Item = Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in statuses {
        let s = s.as_str().unwrap_or("?").to_string();
        if out.last() != Some(&s) {
            out.push(s);
        }
    }
    out
}

/// The statuses `p`'s ticket went through from when the phone connected: its status then,
/// and the one carried by each of its own events after.
fn history(log: &[Envelope], p: &Phone) -> Vec<String> {
    let (from, at_connect) = p.connected;
    let later = log
        .iter()
        .filter(|e| e.seq > from)
        .filter_map(|e| e.event.ticket().filter(|t| t.id == p.id))
        .map(|t| t.status);
    dedup(at_connect.into_iter().chain(later).map(|s| json!(s)))
}

/// A random day through a broadcaster, a phone connecting to each ticket as it is issued
/// (two for every third ticket: one that reads only every `lag` batches).
fn run(ops: &[(u8, u8, u8)], lag: usize) -> Result<(), TestCaseError> {
    let mut sim: Sim = day();
    let spec = Arc::new(sim.spec.clone());
    let centre = Arc::new(CentreInfo::named("Test", "Test"));
    let read = Broadcaster::new(ReadModel::new(spec, centre, sim.state.day));
    let envs: Vec<_> = sim.log.iter().cloned().map(Arc::new).collect();
    read.publish(&envs, sim.now);
    let mut prompt: Vec<Phone> = Vec::new();
    let mut lagging: Vec<Phone> = Vec::new();
    for (batch, op) in ops.iter().enumerate() {
        let Some(cmd) = command(&sim, *op) else {
            continue;
        };
        let Some(events) = decide_later(&mut sim, &cmd) else {
            continue;
        };
        let from = sim.log.len();
        sim.commit(events);
        let envs: Vec<_> = sim.log[from..].iter().cloned().map(Arc::new).collect();
        read.publish(&envs, sim.now);
        for p in &mut prompt {
            p.read_all(&read);
        }
        for p in &mut lagging {
            if batch.is_multiple_of(lag) {
                p.read_all(&read);
            }
        }
        for env in &envs {
            if let crate::domain::Event::TicketIssued { ticket, .. } = &env.event {
                prompt.push(Phone::connect(&read, ticket.id));
                if prompt.len().is_multiple_of(3) {
                    lagging.push(Phone::connect(&read, ticket.id));
                }
            }
        }
    }
    for p in &mut prompt {
        prop_assert_eq!(&p.got_new, &p.got_old, "ticket {}", p.id);
    }
    for p in &mut prompt {
        prop_assert_eq!(
            statuses(&p.got_new),
            history(&sim.log, p),
            "ticket {}",
            p.id
        );
    }
    for p in &mut lagging {
        p.read_all(&read);
        prop_assert_eq!(
            statuses(&p.got_new),
            history(&sim.log, p),
            "ticket {}",
            p.id
        );
        prop_assert_eq!(p.got_new.last(), p.got_old.last(), "ticket {}", p.id);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn phones_get_what_the_old_feed_sent(
        ops in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 1..120),
        lag in 2..6usize,
    ) {
        run(&ops, lag)?;
    }
}
