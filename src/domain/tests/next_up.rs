//! The clerk terminal's waiting list is the order "next" calls: `counter_order` against
//! repeated `pick_next` calls, with priorities and both modes.

use super::*;
use crate::domain::next_up::counter_order_ids;

fn drain(sim: &mut Sim, c: u32) -> Vec<TicketId> {
    let mut called = Vec::new();
    while let Some(id) = sim.next(c) {
        called.push(id);
    }
    called
}

#[test]
fn counter_order_is_the_order_next_calls() {
    for c in [1u32, 2] {
        let mut sim = Sim::new(spec());
        sim.open(c);
        for (s, p) in [
            ("a", None),
            ("b", Some("elderly")),
            ("a", Some("elderly")),
            ("b", None),
            ("a", Some("elderly")),
            ("b", Some("elderly")),
            ("a", Some("elderly")),
            ("b", None),
        ] {
            sim.issue(s, p);
        }
        let expected = counter_order_ids(&sim.spec, &sim.state, CounterId(c), sim.now);
        assert_eq!(expected.len(), 8);
        let called = drain(&mut sim, c);
        assert_eq!(expected, called, "counter {c}");
    }
}
