//! Wait estimates start from the configured service time (issue 13): two quick clicks of
//! *Tiếp theo* no longer make every estimate of the service "under a minute".

use super::*;
use crate::domain::select::{eta_s, service_time_s};

#[test]
fn two_quick_clicks_leave_the_configured_service_time() {
    let mut sim = Sim::new(spec());
    sim.open(1);
    let a = ServiceId::new("a");
    for _ in 0..4 {
        sim.issue("a", None);
    }
    let configured = 300.0;
    assert_eq!(service_time_s(&sim.spec, &sim.state, &a), configured);
    // Two clicks 7 s apart: the first ticket is "served" in 7 s, a skip.
    sim.next(1);
    sim.next(1);
    assert_eq!(service_time_s(&sim.spec, &sim.state, &a), configured);
    let eta_before = eta_s(&sim.spec, &sim.state, &a, 1);
    assert!(eta_before >= 300, "eta {eta_before} s");
    // A real visit of 2 minutes is weighed in with the configured value, not instead of it.
    sim.now += Duration::seconds(120);
    sim.next(1);
    let expected = (5.0 * configured + 127.0) / 6.0;
    let got = service_time_s(&sim.spec, &sim.state, &a);
    assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
}
