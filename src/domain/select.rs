//! The selection policy: which waiting ticket a counter calls on "next", and where each
//! waiting ticket stands in line.
//!
//! Order of classes: checked-in appointments whose slot has begun, then priority tickets
//! (at most `priority_streak` in a row while a normal ticket of the counter's services waits),
//! then normal tickets. Within a class, `fifo` takes the longest-waiting ticket across the
//! counter's services and `ordered` takes the first of the counter's services that has one.
//! Appointments that arrived before their slot wait for it.

use chrono::{DateTime, FixedOffset};

use super::event::CounterStatus;
use super::ids::{CounterId, ServiceId, TicketId};
use super::spec::{CentreSpec, Mode};
use super::state::{QueueKey, State};
use super::ticket::Ticket;

/// The class of a waiting ticket at an instant; lower is called first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Appointment,
    Priority,
    Normal,
    /// An appointment before its slot: not callable yet.
    Early,
}

pub fn class_of(ticket: &Ticket, now: DateTime<FixedOffset>) -> Class {
    if ticket.is_due_appointment(now) {
        Class::Appointment
    } else if ticket.is_early_appointment(now) {
        Class::Early
    } else if ticket.is_priority() {
        Class::Priority
    } else {
        Class::Normal
    }
}

/// The ticket counter `counter` calls next at `now`, if any.
pub fn pick_next(
    spec: &CentreSpec,
    state: &State,
    counter: CounterId,
    now: DateTime<FixedOffset>,
) -> Option<TicketId> {
    let cspec = spec.counter(counter)?;
    let streak = state
        .counters
        .get(&counter)
        .map_or(0, |c| c.priority_streak);
    let first_of = |class: Class| first_in_class(state, &cspec.services, cspec.mode, class, now);

    if let Some(id) = first_of(Class::Appointment) {
        return Some(id);
    }
    let priority = first_of(Class::Priority);
    let normal = first_of(Class::Normal);
    match (priority, normal) {
        (Some(_), Some(n)) if streak >= spec.priority_streak => Some(n),
        (Some(p), _) => Some(p),
        (None, n) => n,
    }
}

/// First ticket of a class for a counter's services and mode.
fn first_in_class(
    state: &State,
    services: &[ServiceId],
    mode: Mode,
    class: Class,
    now: DateTime<FixedOffset>,
) -> Option<TicketId> {
    let first_per_service = services.iter().filter_map(|s| {
        state
            .waiting_in(s)
            .find(|t| class_of(t, now) == class)
            .map(|t| (t.queue_key(), t.id))
    });
    match mode {
        Mode::Ordered => first_per_service.map(|(_, id)| id).next(),
        Mode::Fifo => first_per_service
            .min_by_key(|(key, _): &(QueueKey, TicketId)| *key)
            .map(|(_, id)| id),
    }
}

/// Waiting tickets of a service in the order they will be called (class, then queue key).
pub fn line_of<'a>(
    state: &'a State,
    service: &ServiceId,
    now: DateTime<FixedOffset>,
) -> Vec<&'a Ticket> {
    let mut line: Vec<&Ticket> = state.waiting_in(service).collect();
    line.sort_by_key(|t| (class_of(t, now), t.queue_key()));
    line
}

/// Expected service time of a service in seconds: the configured default weighed with
/// today's service times (`service_time.rs`), or the default alone before there is any.
pub fn service_time_s(spec: &CentreSpec, state: &State, service: &ServiceId) -> f64 {
    state.service_time.get(service).map_or_else(
        || {
            spec.service(service)
                .map_or(300.0, |s| f64::from(s.default_service_s))
        },
        |t| t.avg_s,
    )
}

/// Estimated wait of the ticket with `ahead` tickets in front of it.
///
/// Capacity: every open counter that serves the service, each counted as the share of its
/// time the service gets (a counter that also serves two other services with waiting
/// citizens counts as one third). Idle open counters take the first tickets at once; after
/// them each ticket waits for a counter to finish one of the tickets in front of it, one
/// service time (the decaying average) divided by the capacity. With no counter open, one is
/// assumed, so the estimate never divides by zero.
pub fn eta_s(spec: &CentreSpec, state: &State, service: &ServiceId, ahead: usize) -> u32 {
    let mut capacity = 0.0;
    let mut idle = 0usize;
    for c in spec
        .counters
        .iter()
        .filter(|c| c.services.contains(service))
    {
        let Some(cs) = state.counters.get(&c.id) else {
            continue;
        };
        if cs.status != CounterStatus::Open {
            continue;
        }
        let busy_services = c
            .services
            .iter()
            .filter(|s| *s == service || state.queues.get(*s).is_some_and(|q| !q.is_empty()))
            .count()
            .max(1);
        capacity += 1.0 / busy_services as f64;
        if cs.current.is_none() {
            idle += 1;
        }
    }
    if ahead < idle {
        return 0;
    }
    let capacity = if capacity > 0.0 { capacity } else { 1.0 };
    let per = service_time_s(spec, state, service);
    (((ahead - idle + 1) as f64) * per / capacity).round() as u32
}

/// Fills `waiting_ahead` and `eta_s` of every waiting ticket of a service, in call order.
pub fn positions(
    spec: &CentreSpec,
    state: &State,
    service: &ServiceId,
    now: DateTime<FixedOffset>,
) -> Vec<Ticket> {
    line_of(state, service, now)
        .into_iter()
        .enumerate()
        .map(|(ahead, t)| {
            let mut t = t.clone();
            t.waiting_ahead = Some(ahead as u32);
            t.eta_s = Some(eta_s(spec, state, service, ahead));
            t
        })
        .collect()
}
