//! The waiting lines projection: every waiting ticket of a service in the order "Tiếp theo"
//! will call them, with its place and estimated wait. Recomputed only for the services a
//! batch touched (a change at a counter moves the estimates of every service it serves).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use imbl::{HashMap as PMap, OrdMap};

use crate::domain::ids::{CounterId, ServiceId, TicketId};
use crate::domain::select::positions;
use crate::domain::spec::CentreSpec;
use crate::domain::ticket::Ticket;
use crate::domain::{Envelope, Event, State};

/// Which services' lines a batch changed.
pub(super) enum Touched {
    /// A new day, a counter opening or closing, a ticket finished: every line.
    All,
    Some(HashSet<ServiceId>),
}

impl Touched {
    pub(super) fn by(spec: &CentreSpec, envs: &[Arc<Envelope>]) -> Touched {
        let all = envs.iter().any(|e| {
            matches!(
                e.event,
                Event::DayStarted { .. }
                    | Event::CounterStatus { .. }
                    | Event::TicketFinished { .. }
            )
        });
        if all {
            return Touched::All;
        }
        let mut services: HashSet<ServiceId> = HashSet::new();
        for env in envs {
            if let Some(t) = env.event.ticket() {
                services.insert(t.service.clone());
            }
            if let Event::TicketTransferred { from_service, .. } = &env.event {
                services.insert(from_service.clone());
            }
        }
        // A waiting ticket's estimate depends on the counters serving its service: whether
        // they are busy and which of their other services have a queue.
        let mut counters: HashSet<CounterId> = envs
            .iter()
            .filter_map(|e| match &e.event {
                Event::TicketCalled { counter, .. }
                | Event::TicketRecalled { counter, .. }
                | Event::TicketNoShow { counter, .. }
                | Event::ClerkLogin { counter, .. } => Some(*counter),
                Event::TicketTransferred { counter, .. } => *counter,
                _ => None,
            })
            .collect();
        for c in &spec.counters {
            if c.services.iter().any(|s| services.contains(s)) {
                counters.insert(c.id);
            }
        }
        for c in spec.counters.iter().filter(|c| counters.contains(&c.id)) {
            services.extend(c.services.iter().cloned());
        }
        Touched::Some(services)
    }

    fn contains(&self, s: &ServiceId) -> bool {
        match self {
            Touched::All => true,
            Touched::Some(set) => set.contains(s),
        }
    }
}

/// Waiting lines with places, and an index of the waiting tickets by id.
#[derive(Debug, Clone, Default)]
pub(super) struct Lines {
    lines: OrdMap<ServiceId, Arc<Vec<Ticket>>>,
    placed: PMap<TicketId, Ticket>,
}

impl Lines {
    /// Recomputes the lines of the touched services from `state` at `now`.
    pub(super) fn refresh(
        &mut self,
        spec: &CentreSpec,
        state: &State,
        touched: &Touched,
        now: DateTime<FixedOffset>,
    ) {
        if matches!(touched, Touched::All) {
            self.lines = OrdMap::new();
            self.placed = PMap::new();
        }
        for s in spec.services.iter().filter(|s| touched.contains(&s.id)) {
            let line = positions(spec, state, &s.id, now);
            if let Some(old) = self.lines.get(&s.id) {
                let still: HashSet<TicketId> = line.iter().map(|t| t.id).collect();
                for t in old.iter().filter(|t| !still.contains(&t.id)) {
                    self.placed.remove(&t.id);
                }
            }
            for t in &line {
                // Most of a line is unchanged by a batch (a new ticket joins at the end):
                // comparing costs no allocation, replacing every entry would.
                if self.placed.get(&t.id) != Some(t) {
                    self.placed.insert(t.id, t.clone());
                }
            }
            self.lines.insert(s.id.clone(), Arc::new(line));
        }
    }

    /// A waiting ticket with its place and estimate.
    pub(super) fn placed(&self, id: &TicketId) -> Option<&Ticket> {
        self.placed.get(id)
    }

    /// Every waiting ticket in call order, service by service (in the spec's order).
    pub(super) fn waiting(&self, spec: &CentreSpec) -> Vec<Ticket> {
        spec.services
            .iter()
            .filter_map(|s| self.lines.get(&s.id))
            .flat_map(|l| l.iter().cloned())
            .collect()
    }
}
