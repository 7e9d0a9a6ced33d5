//! The waiting lines projection: every waiting ticket of a service in the order "Tiếp theo"
//! will call them, with its place and estimated wait. Recomputed only for the services a
//! batch touched (a change at a counter moves the estimates of every service it serves).
//! A test replays random days both ways, batch by batch, to hold that to every line.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use imbl::{HashMap as PMap, OrdMap};

use crate::domain::ids::{ServiceId, TicketId};
use crate::domain::line_moves::may_move;
use crate::domain::select::positions;
use crate::domain::spec::{CentreSpec, ServiceSpec};
use crate::domain::ticket::Ticket;
use crate::domain::{Envelope, Event, State};

/// Which services' lines a batch changed.
pub(super) enum Touched {
    /// A new day or a change of configuration: every line, computed afresh.
    All,
    Some(HashSet<ServiceId>),
}

impl Touched {
    /// The lines `envs` may have moved: those of the services one of its events may move
    /// ([`may_move`], the same rule that tells a phone whether to re-check its ticket).
    pub(super) fn by(spec: &CentreSpec, envs: &[Arc<Envelope>]) -> Touched {
        let afresh = envs.iter().any(|e| {
            matches!(
                e.event,
                Event::DayStarted { .. } | Event::ConfigChanged { .. }
            )
        });
        if afresh {
            return Touched::All;
        }
        let services = spec
            .services
            .iter()
            .filter(|s| envs.iter().any(|e| may_move(spec, &e.event, &s.id)))
            .map(|s| s.id.clone())
            .collect();
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
        let due: Vec<&ServiceSpec> = spec
            .services
            .iter()
            .filter(|s| touched.contains(&s.id) || timed(&s.id))
            .collect();
        for s in due {
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
