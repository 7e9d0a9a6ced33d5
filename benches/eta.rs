//! Validates the wait-time estimate on a simulated day: `cargo bench --bench eta`.
//!
//! For a few lobbies (c counters, Poisson arrivals, exponential service), the pure domain runs
//! with a simulated clock; the table compares the simulated mean wait with Erlang-C (M/M/c),
//! and the mean absolute error of the estimate each ticket got at issue (`eta_s`) with the
//! naive estimate (people ahead × average service time).

use xephang::sim::{simulate, Params};

fn main() {
    let scenarios = [
        ("commune office", 1u32, 9.0, 300.0),
        ("district, 3 counters", 3, 30.0, 300.0),
        ("province, 5 counters", 5, 50.0, 300.0),
        ("province, 10 counters, busy", 10, 110.0, 300.0),
        ("province, 20 counters", 20, 200.0, 300.0),
    ];
    println!("| lobby | c | arrivals/h | service | tickets | mean wait (sim) | Erlang-C | diff | estimate MAE | naive MAE |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, c, per_hour, service) in scenarios {
        let r = simulate(Params {
            arrivals_per_hour: per_hour,
            mean_service_s: service,
            counters: c,
            tickets: 200_000,
            seed: 20261122,
        });
        let diff = 100.0 * (r.mean_wait_s - r.erlang_c_wait_s) / r.erlang_c_wait_s;
        println!(
            "| {name} | {c} | {per_hour} | {service} s | {} | {:.0} s | {:.0} s | {diff:+.1}% | {:.0} s | {:.0} s |",
            r.tickets, r.mean_wait_s, r.erlang_c_wait_s, r.eta_mae_s, r.naive_mae_s
        );
    }
}
