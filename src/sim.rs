//! A simulated lobby for validating the wait-time estimate: Poisson arrivals, exponential
//! service times and `c` counters, run through the real pure domain with a simulated clock
//! (thousands of tickets in milliseconds). Used by `tests/eta_sim.rs` and `benches/eta.rs`.
//!
//! It reports the mean wait next to the Erlang-C formula for M/M/c (so the simulator itself is
//! checked), and the mean absolute error of the estimate each ticket was given at issue
//! against its real wait, next to the naive "people ahead × average service time".

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::decide::start_of_day;
use crate::domain::event::{ClerkRef, Event};
use crate::domain::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
use crate::domain::spec::{CentreSpec, CounterSpec, Mode, OpeningHours, ServiceSpec};
use crate::domain::{decide, Command, Ctx, Envelope, State};

/// The queue to simulate.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Arrivals per hour.
    pub arrivals_per_hour: f64,
    /// Mean service time in seconds.
    pub mean_service_s: f64,
    pub counters: u32,
    pub tickets: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub tickets: usize,
    pub mean_wait_s: f64,
    pub erlang_c_wait_s: f64,
    /// Mean absolute error of the estimate given at issue (`eta_s`).
    pub eta_mae_s: f64,
    /// Mean absolute error of people ahead × running mean service time.
    pub naive_mae_s: f64,
}

/// Erlang-C mean wait in queue (seconds) for M/M/c; infinite when the queue is unstable.
pub fn erlang_c_wait(arrivals_per_hour: f64, mean_service_s: f64, c: u32) -> f64 {
    let lambda = arrivals_per_hour / 3600.0;
    let mu = 1.0 / mean_service_s;
    let a = lambda / mu;
    let c_f = f64::from(c);
    if a >= c_f {
        return f64::INFINITY;
    }
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let top = term * a / c_f * (c_f / (c_f - a)); // a^c / c! · c / (c − a)
    let p_wait = top / (sum + top);
    p_wait / (c_f * mu - lambda)
}

fn spec(counters: u32, mean_service_s: f64) -> CentreSpec {
    let service = ServiceSpec {
        id: ServiceId::new("s"),
        name: "S".into(),
        name_en: "S".into(),
        prefix: None,
        first: 1,
        last: 99_999,
        target_wait_s: 900,
        default_service_s: mean_service_s.round() as u32,
        hours: OpeningHours::always(),
        remote: false,
        remote_cap: 200,
        appointments: None,
    };
    CentreSpec {
        name: "Sim".into(),
        name_en: "Sim".into(),
        timezone: chrono_tz::Asia::Ho_Chi_Minh,
        services: vec![service],
        counters: (1..=counters)
            .map(|i| CounterSpec {
                id: CounterId(i),
                name: format!("Quầy {i}"),
                services: vec![ServiceId::new("s")],
                mode: Mode::Fifo,
            })
            .collect(),
        priorities: Vec::new(),
        priority_streak: 3,
        pause_alert_s: 600,
        personal_data_days: 30,
    }
}

fn exp(rng: &mut StdRng, mean: f64) -> f64 {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    -mean * u.ln()
}

struct Lobby {
    spec: CentreSpec,
    state: State,
    t0: DateTime<FixedOffset>,
}

impl Lobby {
    fn exec(&mut self, at_s: f64, cmd: Command) -> Vec<Event> {
        let now = self.t0 + Duration::milliseconds((at_s * 1000.0) as i64);
        let none = |_: &str, _: CounterId| Vec::new();
        let ctx = Ctx {
            now,
            new_id: TicketId(ulid::Ulid::new()),
            new_code: BookingCode("SIMSIM".into()),
            announce: &none,
        };
        let events = decide(&self.spec, &self.state, &cmd, &ctx).unwrap_or_default();
        for e in &events {
            self.state.commit(&self.spec, e.clone(), now);
        }
        events
    }
}

/// Runs the simulation.
pub fn simulate(p: Params) -> Report {
    let mut rng = StdRng::seed_from_u64(p.seed);
    let spec = spec(p.counters, p.mean_service_s);
    let t0 = FixedOffset::east_opt(7 * 3600)
        .and_then(|tz| tz.with_ymd_and_hms(2026, 1, 5, 7, 30, 0).single())
        .unwrap_or_default();
    let day = t0.date_naive();
    let mut lobby = Lobby {
        state: State::new(&spec, day),
        spec,
        t0,
    };
    let first = start_of_day(&lobby.state, day);
    lobby.state.apply(
        &lobby.spec,
        &Envelope {
            seq: 1,
            at: t0,
            event: first,
        },
    );
    for i in 1..=p.counters {
        let clerk = ClerkRef {
            id: StaffId(format!("nv{i}")),
            name: format!("nv{i}"),
            photo: None,
        };
        lobby.exec(
            0.0,
            Command::Login {
                counter: CounterId(i),
                clerk,
            },
        );
    }
    // (time in ms, kind): kind 0 = arrival, k > 0 = counter k finishes.
    let mut agenda: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    let ms = |s: f64| (s * 1000.0) as u64;
    agenda.push(Reverse((
        ms(exp(&mut rng, 3600.0 / p.arrivals_per_hour)),
        0,
    )));
    let mut idle: Vec<u32> = (1..=p.counters).collect();
    let mut issued = 0usize;
    let mut estimates: Vec<(TicketId, f64, f64)> = Vec::new(); // id, eta, naive
    let mut served_total = 0.0;
    let mut served_n = 0u32;
    let service = ServiceId::new("s");
    while let Some(Reverse((t_ms, kind))) = agenda.pop() {
        let t = t_ms as f64 / 1000.0;
        if kind == 0 {
            if issued < p.tickets {
                issued += 1;
                let events = lobby.exec(
                    t,
                    Command::Issue {
                        service: service.clone(),
                        priority: None,
                        remote: false,
                    },
                );
                if let Some(ticket) = events.first().and_then(|e| e.ticket()) {
                    let ahead = f64::from(ticket.waiting_ahead.unwrap_or(0));
                    let avg = if served_n > 0 {
                        served_total / f64::from(served_n)
                    } else {
                        p.mean_service_s
                    };
                    let eta = f64::from(ticket.eta_s.unwrap_or(0));
                    estimates.push((ticket.id, eta, ahead * avg));
                }
                agenda.push(Reverse((
                    t_ms + ms(exp(&mut rng, 3600.0 / p.arrivals_per_hour)),
                    0,
                )));
            }
        } else {
            idle.push(kind);
            served_n += 1;
        }
        // Every idle counter clicks next while someone waits.
        while let Some(&c) = idle.last() {
            let events = lobby.exec(
                t,
                Command::Next {
                    counter: CounterId(c),
                },
            );
            let called = events
                .iter()
                .any(|e| matches!(e, Event::TicketCalled { .. }));
            if !called {
                // Nobody waits (Next may have finished this counter's ticket): stay idle.
                break;
            }
            idle.pop();
            let s = exp(&mut rng, p.mean_service_s);
            served_total += s;
            agenda.push(Reverse((t_ms + ms(s), c)));
        }
    }
    let mut waits = 0.0;
    let mut n = 0usize;
    let (mut eta_err, mut naive_err) = (0.0, 0.0);
    for (id, eta, naive) in &estimates {
        let Some(t) = lobby.state.tickets.get(id) else {
            continue;
        };
        let Some(call) = t.first_called_at else {
            continue;
        };
        let wait = (call - t.issued_at).num_milliseconds() as f64 / 1000.0;
        waits += wait;
        n += 1;
        eta_err += (eta - wait).abs();
        naive_err += (naive - wait).abs();
    }
    let n_f = n.max(1) as f64;
    Report {
        tickets: n,
        mean_wait_s: waits / n_f,
        erlang_c_wait_s: erlang_c_wait(p.arrivals_per_hour, p.mean_service_s, p.counters),
        eta_mae_s: eta_err / n_f,
        naive_mae_s: naive_err / n_f,
    }
}
