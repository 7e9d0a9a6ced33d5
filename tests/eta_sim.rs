//! The simulated lobby agrees with queueing theory, and the wait estimate beats the naive one.

use xephang::sim::{erlang_c_wait, simulate, Params};

#[test]
fn erlang_c_formula_known_value() {
    // M/M/2 with a = 1 (λ = 12/h, 300 s service): Wq = C / (cμ − λ) = (1/3) / (1/300) = 100 s.
    let w = erlang_c_wait(12.0, 300.0, 2);
    assert!((w - 100.0).abs() < 1e-9, "{w}");
    assert!(erlang_c_wait(30.0, 300.0, 2).is_infinite());
}

#[test]
fn simulated_mean_wait_is_within_ten_percent_of_erlang_c() {
    for (counters, per_hour) in [(3u32, 30.0), (5, 50.0)] {
        let r = simulate(Params {
            arrivals_per_hour: per_hour,
            mean_service_s: 300.0,
            counters,
            tickets: 30_000,
            seed: 20261122,
        });
        let rel = (r.mean_wait_s - r.erlang_c_wait_s).abs() / r.erlang_c_wait_s;
        assert!(
            rel < 0.10,
            "c={counters}: simulated {:.1} s vs Erlang-C {:.1} s ({:.1}%)",
            r.mean_wait_s,
            r.erlang_c_wait_s,
            rel * 100.0
        );
        assert!(
            r.eta_mae_s < r.naive_mae_s,
            "estimate MAE {:.1} s should beat naive {:.1} s",
            r.eta_mae_s,
            r.naive_mae_s
        );
    }
}
