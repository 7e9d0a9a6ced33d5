//! The order in which one counter will call the tickets waiting for it, so that the clerk
//! terminal lists them the way "Tiếp theo" takes them (an appointment before its slot is
//! not first, priority tickets interleave with normal ones by the streak rule).
//!
//! It replays [`super::select::pick_next`]'s rule over the waiting tickets without changing
//! the state: due appointments, then priority and normal tickets (at most
//! `spec.priority_streak` priority calls in a row while a normal ticket waits), each class
//! ordered by the counter's mode; appointments that arrived before their slot come last, in
//! slot order, since they cannot be called yet.

use chrono::{DateTime, FixedOffset};

use super::ids::{CounterId, TicketId};
use super::select::{class_of, Class};
use super::spec::{CentreSpec, Mode};
use super::state::State;
use super::ticket::Ticket;

/// The waiting tickets of `counter`'s services, in the order "next" would call them at `now`
/// if nothing else changed.
pub fn counter_order<'a>(
    spec: &CentreSpec,
    state: &'a State,
    counter: CounterId,
    now: DateTime<FixedOffset>,
) -> Vec<&'a Ticket> {
    let Some(cspec) = spec.counter(counter) else {
        return Vec::new();
    };
    let class_list = |class: Class| -> Vec<&'a Ticket> {
        let mut out: Vec<(usize, &'a Ticket)> = cspec
            .services
            .iter()
            .enumerate()
            .flat_map(|(rank, s)| {
                state
                    .waiting_in(s)
                    .filter(move |t| class_of(t, now) == class)
                    .map(move |t| (rank, t))
            })
            .collect();
        match cspec.mode {
            Mode::Fifo => out.sort_by_key(|(_, t)| t.queue_key()),
            Mode::Ordered => out.sort_by_key(|(rank, t)| (*rank, t.queue_key())),
        }
        out.into_iter().map(|(_, t)| t).collect()
    };
    let mut order = class_list(Class::Appointment);
    let mut priority = class_list(Class::Priority).into_iter().peekable();
    let mut normal = class_list(Class::Normal).into_iter().peekable();
    let mut streak = state
        .counters
        .get(&counter)
        .map_or(0, |c| c.priority_streak);
    loop {
        let take_normal = match (priority.peek(), normal.peek()) {
            (None, None) => break,
            (Some(_), Some(_)) => streak >= spec.priority_streak,
            (None, Some(_)) => true,
            (Some(_), None) => false,
        };
        let next = if take_normal {
            streak = 0;
            normal.next()
        } else {
            streak += 1;
            priority.next()
        };
        order.extend(next);
    }
    let mut early = class_list(Class::Early);
    early.sort_by_key(|t| (t.slot_start, t.queue_key()));
    order.extend(early);
    order
}

/// Ids only, for tests and callers that need no ticket.
pub fn counter_order_ids(
    spec: &CentreSpec,
    state: &State,
    counter: CounterId,
    now: DateTime<FixedOffset>,
) -> Vec<TicketId> {
    counter_order(spec, state, counter, now)
        .into_iter()
        .map(|t| t.id)
        .collect()
}
