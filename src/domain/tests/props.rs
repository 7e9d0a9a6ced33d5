//! Property tests: the invariants of DESIGN.md over random command sequences (one number
//! never names two live tickets, two counters never hold one ticket, every waiting ticket is
//! eventually called, replay rebuilds the state).

use super::*;

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Issue(u8, bool),
    Next(u8),
    Recall(u8),
    NoShow(u8),
    Finish(u8),
    Transfer(u8, u8),
    Pause(u8),
    Open(u8),
    CancelNth(u8),
    RequeueNth(u8),
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2u8, any::<bool>()).prop_map(|(s, p)| Op::Issue(s, p)),
        4 => (1..4u8).prop_map(Op::Next),
        1 => (1..4u8).prop_map(Op::Recall),
        1 => (1..4u8).prop_map(Op::NoShow),
        1 => (1..4u8).prop_map(Op::Finish),
        1 => (1..4u8, 0..2u8).prop_map(|(c, s)| Op::Transfer(c, s)),
        1 => (1..4u8).prop_map(Op::Pause),
        1 => (1..4u8).prop_map(Op::Open),
        1 => any::<u8>().prop_map(Op::CancelNth),
        1 => any::<u8>().prop_map(Op::RequeueNth),
    ]
}

const SERVICES: [&str; 2] = ["a", "b"];

pub(crate) fn run_ops(sim: &mut Sim, ops: &[Op]) {
    for o in ops {
        let nth = |sim: &Sim, n: u8| sim.nth_ticket(n);
        let cmd = match o {
            Op::Issue(s, p) => Command::Issue {
                service: ServiceId::new(SERVICES[usize::from(*s)]),
                priority: p.then(|| "elderly".to_string()),
                remote: false,
            },
            Op::Next(c) => Command::Next {
                counter: CounterId(u32::from(*c)),
            },
            Op::Recall(c) => Command::Recall {
                counter: CounterId(u32::from(*c)),
            },
            Op::NoShow(c) => Command::NoShow {
                counter: CounterId(u32::from(*c)),
            },
            Op::Finish(c) => Command::Finish {
                counter: CounterId(u32::from(*c)),
            },
            Op::Transfer(c, s) => Command::Transfer {
                counter: CounterId(u32::from(*c)),
                service: ServiceId::new(SERVICES[usize::from(*s)]),
            },
            Op::Pause(c) => Command::SetStatus {
                counter: CounterId(u32::from(*c)),
                status: CounterStatus::Paused,
            },
            Op::Open(c) => Command::SetStatus {
                counter: CounterId(u32::from(*c)),
                status: CounterStatus::Open,
            },
            Op::CancelNth(n) => match nth(sim, *n) {
                Some(ticket) => Command::Cancel { ticket },
                None => continue,
            },
            Op::RequeueNth(n) => match nth(sim, *n) {
                Some(ticket) => Command::Requeue { ticket },
                None => continue,
            },
        };
        // Refusals are fine; what matters is that accepted commands keep the invariants.
        let _ = sim.exec(cmd);
        sim.check_invariants();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// One number never names two live tickets; two counters never hold the same ticket;
    /// replay of the events rebuilds the same state.
    #[test]
    fn invariants_hold_under_random_commands(ops in prop::collection::vec(op(), 1..120)) {
        let mut sim = Sim::new(spec());
        for c in 1..=3 { sim.open(c); }
        run_ops(&mut sim, &ops);
        let replay = State::replay(&sim.spec, sim.state.day, &sim.log);
        prop_assert_eq!(&replay.tickets, &sim.state.tickets);
        prop_assert_eq!(&replay.counters, &sim.state.counters);
        prop_assert_eq!(&replay.live_numbers, &sim.state.live_numbers);
    }

    /// With every counter open, clicking next until nobody is left calls every waiting
    /// ticket, priority or not, exactly once.
    #[test]
    fn every_waiting_ticket_is_eventually_called(ops in prop::collection::vec(op(), 1..120)) {
        let mut sim = Sim::new(spec());
        for c in 1..=3 { sim.open(c); }
        run_ops(&mut sim, &ops);
        for c in 1..=3u32 {
            let _ = sim.exec(Command::SetStatus { counter: CounterId(c), status: CounterStatus::Open });
        }
        let waiting: HashSet<TicketId> = sim.state.tickets.values()
            .filter(|t| t.status == Status::Waiting).map(|t| t.id).collect();
        let mut called: HashMap<TicketId, u32> = HashMap::new();
        let mut rounds = 0;
        loop {
            let mut any = false;
            for c in 1..=3 {
                if let Some(id) = sim.next(c) {
                    *called.entry(id).or_default() += 1;
                    any = true;
                }
            }
            rounds += 1;
            if !any || rounds > 1000 { break; }
        }
        for id in &waiting {
            prop_assert_eq!(called.get(id), Some(&1), "ticket {} not called exactly once", id);
        }
        prop_assert!(sim.state.tickets.values().all(|t| t.status != Status::Waiting));
        sim.check_invariants();
    }

    /// The policy's pick is always a waiting ticket of the counter's services, and the oldest
    /// of its class for a fifo counter.
    #[test]
    fn pick_is_oldest_of_its_class(ops in prop::collection::vec(op(), 1..80)) {
        let mut sim = Sim::new(spec());
        for c in 1..=3 { sim.open(c); }
        run_ops(&mut sim, &ops);
        if let Some(id) = pick_next(&sim.spec, &sim.state, CounterId(1), sim.now) {
            let t = &sim.state.tickets[&id];
            prop_assert_eq!(t.status, Status::Waiting);
            let same_class_older = sim.state.tickets.values().any(|o| {
                o.status == Status::Waiting && o.is_priority() == t.is_priority()
                    && o.queue_key() < t.queue_key()
            });
            prop_assert!(!same_class_older);
        }
    }
}
