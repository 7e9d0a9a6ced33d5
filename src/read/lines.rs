//! The waiting lines projection: every waiting ticket of a service in the order "Tiếp theo"
//! will call them, with its place and estimated wait. Recomputed only for the services a
//! batch touched (a change at a counter moves the estimates of every service it serves).
//! A test replays random days both ways, batch by batch, to hold that to every line.

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
    /// A new day, a counter opening or closing, a change of configuration: every line.
    All,
    Some(HashSet<ServiceId>),
}

/// What one event changes directly: every line, or the lines of some services and the
/// estimates at some counters.
enum Reach<'a> {
    All,
    Direct {
        services: Vec<&'a ServiceId>,
        counters: Vec<CounterId>,
    },
}

/// A ticket's event: its service's line, and the counter that held it or holds it now (a
/// counter that becomes busy or free moves the estimates of every service it serves).
fn ticket(t: &Ticket, counter: Option<CounterId>) -> Reach<'_> {
    Reach::Direct {
        services: vec![&t.service],
        counters: counter.into_iter().chain(t.counter).collect(),
    }
}

/// Exhaustive, so that a new kind of event says what it moves before it compiles.
fn reach(event: &Event) -> Reach<'_> {
    match event {
        Event::DayStarted { .. } | Event::CounterStatus { .. } | Event::ConfigChanged { .. } => {
            Reach::All
        }
        Event::TicketIssued { ticket: t, .. }
        | Event::TicketRequeued { ticket: t }
        | Event::TicketCancelled { ticket: t }
        | Event::TicketExpired { ticket: t } => ticket(t, None),
        // A call, a recall, a finish or a no-show changes whether the counter is busy, and a
        // finish the service's average time.
        Event::TicketCalled {
            ticket: t, counter, ..
        }
        | Event::TicketRecalled {
            ticket: t, counter, ..
        }
        | Event::TicketFinished { ticket: t, counter }
        | Event::TicketNoShow { ticket: t, counter } => ticket(t, Some(*counter)),
        Event::TicketTransferred {
            ticket: t,
            from_service,
            counter,
            ..
        } => Reach::Direct {
            services: vec![&t.service, from_service],
            counters: counter.iter().copied().chain(t.counter).collect(),
        },
        Event::ClerkLogin { counter, .. } => Reach::Direct {
            services: Vec::new(),
            counters: vec![*counter],
        },
        Event::Rating(_)
        | Event::DossierStats(_)
        | Event::BookingCreated { .. }
        | Event::BookingCancelled { .. }
        | Event::Alert(_)
        | Event::AlertCleared { .. }
        | Event::PersonalDataPurged { .. } => Reach::Direct {
            services: Vec::new(),
            counters: Vec::new(),
        },
    }
}

impl Touched {
    pub(super) fn by(spec: &CentreSpec, envs: &[Arc<Envelope>]) -> Touched {
        let mut services: HashSet<ServiceId> = HashSet::new();
        // A waiting ticket's estimate depends on the counters serving its service: whether
        // they are busy and which of their other services have a queue.
        let mut counters: HashSet<CounterId> = HashSet::new();
        for env in envs {
            match reach(&env.event) {
                Reach::All => return Touched::All,
                Reach::Direct {
                    services: s,
                    counters: c,
                } => {
                    services.extend(s.into_iter().cloned());
                    counters.extend(c);
                }
            }
        }
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
        // A line holding an appointment moves with the clock alone (an early appointment
        // becomes due): it is recomputed at every batch.
        let timed = |s: &ServiceId| {
            self.lines
                .get(s)
                .is_some_and(|l| l.iter().any(|t| t.slot_start.is_some()))
        };
        let due: Vec<&ServiceId> = spec
            .services
            .iter()
            .map(|s| &s.id)
            .filter(|s| touched.contains(s) || timed(s))
            .collect();
        for s in spec.services.iter().filter(|s| due.contains(&&s.id)) {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::tests::props::{op, run_ops};
    use crate::domain::tests::{spec, Sim};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Lines refreshed batch by batch for what each batch touched equal lines computed
        /// afresh from the same state, after every batch of a random day.
        #[test]
        fn touched_lines_equal_lines_computed_afresh(ops in prop::collection::vec(op(), 1..120)) {
            let spec = spec();
            let mut sim = Sim::new(spec.clone());
            for c in 1..=3 {
                sim.open(c);
            }
            run_ops(&mut sim, &ops);
            let mut state = State::new(&spec, sim.state.day);
            let mut lines = Lines::default();
            // The events of one command share their time (the simulated clock moves 7 s
            // per command).
            for batch in sim.log.chunk_by(|a, b| a.at == b.at) {
                let envs: Vec<Arc<Envelope>> = batch.iter().cloned().map(Arc::new).collect();
                for env in &envs {
                    state.apply(&spec, env);
                }
                let now = batch[0].at;
                lines.refresh(&spec, &state, &Touched::by(&spec, &envs), now);
                let mut fresh = Lines::default();
                fresh.refresh(&spec, &state, &Touched::All, now);
                prop_assert_eq!(&lines.waiting(&spec), &fresh.waiting(&spec), "after {:?}", batch);
                prop_assert_eq!(&lines.placed, &fresh.placed);
            }
        }
    }
}
