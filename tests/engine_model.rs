//! Model test of the engine: random command sequences are executed in-process against the
//! real [`Engine`] (journal in a temp dir, writer thread, `EngineHandle::execute`) and against
//! a small reference model written from the rules in DESIGN.md — FIFO queues per service by
//! original issue order, each counter's current ticket, printed numbers that are never given
//! to two live tickets (and wrap inside a deliberately tiny range), counters that only call
//! when open. After every command: same accept/refuse outcome and the same ticket called;
//! at random points and at the end the engine is dropped, recovered from its journal, and the
//! recovered state must equal the model.

mod engine_util;

use engine_util::{hand_clock, recover};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use xephang::domain::event::CounterStatus;
use xephang::domain::ids::{CounterId, ServiceId, TicketId};
use xephang::domain::ticket::Status;
use xephang::domain::{Command, Event, State};
use xephang::engine::{Actor, Clock, Engine, EngineHandle, Outcome};

/// Service "a" has six numbers only (1001–1006), so wrapping and exhaustion happen.
const CENTRE: &str = r#"
[centre]
name = "Trung tâm mô hình"
name_en = "Model centre"
timezone = "Asia/Ho_Chi_Minh"

[[services]]
id = "a"
name = "Hộ tịch"
name_en = "Civil status"
first = 1001
last = 1006
target_wait_min = 15

[[services]]
id = "b"
name = "Chứng thực"
name_en = "Certification"
first = 2001
last = 2999
target_wait_min = 15

[[counters]]
id = 1
name = "Quầy 1"
services = ["a", "b"]
mode = "fifo"

[[counters]]
id = 2
name = "Quầy 2"
services = ["b", "a"]
mode = "ordered"

[[counters]]
id = 3
name = "Quầy 3"
services = ["b"]
mode = "fifo"
"#;

/// Services the commands pick from; "zz" does not exist.
const SERVICES: [&str; 3] = ["a", "b", "zz"];
/// Counters the commands pick from; 9 does not exist.
const COUNTERS: [u32; 4] = [1, 2, 3, 9];

#[derive(Debug, Clone)]
enum Op {
    Issue(usize),
    Next(usize),
    Recall(usize),
    NoShow(usize),
    Finish(usize),
    Transfer(usize, usize),
    Status(usize, CounterStatus),
    Cancel(usize),
    Requeue(usize),
    /// Drop the engine, recover it from the journal, compare, go on.
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    let c = 0..COUNTERS.len();
    let s = 0..SERVICES.len();
    let status = prop_oneof![
        4 => Just(CounterStatus::Open),
        1 => Just(CounterStatus::Paused),
        1 => Just(CounterStatus::Closed),
    ];
    prop_oneof![
        8 => s.clone().prop_map(Op::Issue),
        8 => c.clone().prop_map(Op::Next),
        2 => c.clone().prop_map(Op::Recall),
        2 => c.clone().prop_map(Op::NoShow),
        3 => c.clone().prop_map(Op::Finish),
        2 => (c.clone(), s).prop_map(|(c, s)| Op::Transfer(c, s)),
        3 => (c, status).prop_map(|(c, st)| Op::Status(c, st)),
        2 => any::<usize>().prop_map(Op::Cancel),
        2 => any::<usize>().prop_map(Op::Requeue),
        1 => Just(Op::Restart),
    ]
}

// ---- the reference model ---------------------------------------------------------------

#[derive(Debug, Clone)]
struct MTicket {
    id: TicketId,
    number: String,
    service: &'static str,
    /// Issue order: the queue order (transfers and requeues keep it).
    order: u64,
    status: Status,
}

#[derive(Debug, Default)]
struct Model {
    tickets: Vec<MTicket>,
    /// Index into `tickets` of each counter's current (called) ticket.
    current: BTreeMap<u32, usize>,
    status: BTreeMap<u32, CounterStatus>,
    next_value: BTreeMap<&'static str, u32>,
}

fn range(service: &str) -> Option<(u32, u32)> {
    match service {
        "a" => Some((1001, 1006)),
        "b" => Some((2001, 2999)),
        _ => None,
    }
}

/// A counter's services in its order, and whether it is `fifo`.
fn counter(n: u32) -> Option<(&'static [&'static str], bool)> {
    match n {
        1 => Some((&["a", "b"], true)),
        2 => Some((&["b", "a"], false)),
        3 => Some((&["b"], true)),
        _ => None,
    }
}

/// What the model expects of a command: refused, or accepted (with the number called).
#[derive(Debug, PartialEq)]
enum Expect {
    Refused,
    Accepted(Option<String>),
}

impl Model {
    fn live(&self) -> BTreeSet<String> {
        self.tickets
            .iter()
            .filter(|t| t.status.is_live())
            .map(|t| t.number.clone())
            .collect()
    }

    /// First waiting ticket of a service (lowest issue order).
    fn head(&self, service: &str) -> Option<usize> {
        (0..self.tickets.len())
            .filter(|&i| {
                self.tickets[i].service == service && self.tickets[i].status == Status::Waiting
            })
            .min_by_key(|&i| self.tickets[i].order)
    }

    /// The counter's called ticket, if any.
    fn called(&self, c: u32) -> Option<usize> {
        self.current
            .get(&c)
            .copied()
            .filter(|&i| self.tickets[i].status == Status::Called)
    }

    /// Applies an issue the engine accepted (its ticket id) or checks a refusal.
    fn issue(&mut self, service: &'static str, id: Option<TicketId>) -> Expect {
        let Some((first, last)) = range(service) else {
            return Expect::Refused;
        };
        let live = self.live();
        let start = self.next_value.get(service).copied().unwrap_or(first);
        let mut value = start.clamp(first, last);
        for _ in first..=last {
            if !live.contains(&value.to_string()) {
                let order = self.tickets.len() as u64 + 1;
                let id = id.unwrap_or(TicketId(ulid::Ulid::nil()));
                self.tickets.push(MTicket {
                    id,
                    number: value.to_string(),
                    service,
                    order,
                    status: Status::Waiting,
                });
                self.next_value
                    .insert(service, if value >= last { first } else { value + 1 });
                return Expect::Accepted(None);
            }
            value = if value >= last { first } else { value + 1 };
        }
        Expect::Refused
    }

    fn next(&mut self, c: u32) -> Expect {
        let Some((services, fifo)) = counter(c) else {
            return Expect::Refused;
        };
        if self
            .status
            .get(&c)
            .copied()
            .unwrap_or(CounterStatus::Closed)
            != CounterStatus::Open
        {
            return Expect::Refused;
        }
        if let Some(i) = self.called(c) {
            self.tickets[i].status = Status::Done;
        }
        self.current.remove(&c);
        let heads = services.iter().filter_map(|s| self.head(s));
        let pick = if fifo {
            heads.min_by_key(|&i| self.tickets[i].order)
        } else {
            heads.into_iter().next()
        };
        match pick {
            Some(i) => {
                self.tickets[i].status = Status::Called;
                self.current.insert(c, i);
                Expect::Accepted(Some(self.tickets[i].number.clone()))
            }
            None => Expect::Accepted(None),
        }
    }

    /// Recall, no-show, finish and transfer: all need a called ticket at a known counter.
    fn on_current(&mut self, c: u32, to: Option<Status>, transfer: Option<&'static str>) -> Expect {
        if counter(c).is_none() {
            return Expect::Refused;
        }
        let Some(i) = self.called(c) else {
            return Expect::Refused;
        };
        if let Some(s) = transfer {
            if range(s).is_none() || self.tickets[i].service == s {
                return Expect::Refused;
            }
            self.tickets[i].service = s;
        }
        if let Some(st) = to {
            self.tickets[i].status = st;
            self.current.remove(&c);
        }
        Expect::Accepted(None)
    }

    fn cancel(&mut self, k: usize) -> Expect {
        let Some(i) = pick(self.tickets.len(), k) else {
            return Expect::Refused;
        };
        if !matches!(self.tickets[i].status, Status::Waiting | Status::NoShow) {
            return Expect::Refused;
        }
        self.tickets[i].status = Status::Cancelled;
        Expect::Accepted(None)
    }

    fn requeue(&mut self, k: usize) -> Expect {
        let Some(i) = pick(self.tickets.len(), k) else {
            return Expect::Refused;
        };
        if self.tickets[i].status != Status::NoShow {
            return Expect::Refused;
        }
        self.tickets[i].status = Status::Waiting;
        Expect::Accepted(None)
    }
}

fn pick(len: usize, k: usize) -> Option<usize> {
    (len > 0).then(|| k % len)
}

// ---- the engine side -------------------------------------------------------------------

struct Live {
    handle: EngineHandle,
    writer: std::thread::JoinHandle<()>,
}

/// 09:00 on a Wednesday in Hà Nội; the test moves it on 7 s per command.
fn start_clock() -> (Clock, Arc<AtomicI64>) {
    let base: DateTime<Utc> = Utc
        .with_ymd_and_hms(2026, 11, 25, 2, 0, 0)
        .single()
        .expect("valid start time");
    hand_clock(base)
}

fn spawn(engine: Engine) -> Live {
    let (handle, writer) = engine.spawn().expect("spawn engine");
    Live { handle, writer }
}

fn stop(live: Live) {
    drop(live.handle);
    live.writer.join().expect("writer thread");
}

/// The recovered state must be the model's: queues in order, counters, live numbers,
/// every ticket's status and service.
fn assert_same(state: &State, model: &Model) -> Result<(), TestCaseError> {
    for s in ["a", "b"] {
        let engine_q: Vec<String> = state
            .waiting_in(&ServiceId(s.into()))
            .map(|t| t.number.clone())
            .collect();
        let mut mq: Vec<&MTicket> = model
            .tickets
            .iter()
            .filter(|t| t.service == s && t.status == Status::Waiting)
            .collect();
        mq.sort_by_key(|t| t.order);
        let model_q: Vec<String> = mq.iter().map(|t| t.number.clone()).collect();
        prop_assert_eq!(engine_q, model_q, "queue of {}", s);
    }
    for c in [1, 2, 3] {
        let cs = state.counters.get(&CounterId(c)).expect("counter state");
        let want = model
            .status
            .get(&c)
            .copied()
            .unwrap_or(CounterStatus::Closed);
        prop_assert_eq!(cs.status, want, "status of counter {}", c);
        let current = cs
            .current
            .and_then(|id| state.tickets.get(&id))
            .map(|t| t.number.clone());
        let want = model.called(c).map(|i| model.tickets[i].number.clone());
        prop_assert_eq!(current, want, "current ticket of counter {}", c);
    }
    let live: BTreeSet<String> = state.live_numbers.iter().cloned().collect();
    prop_assert_eq!(live, model.live(), "live numbers");
    prop_assert_eq!(state.issued, model.tickets.len() as u64, "tickets issued");
    for t in &model.tickets {
        let e = state.tickets.get(&t.id).expect("ticket in state");
        prop_assert_eq!((e.status, e.service.0.as_str()), (t.status, t.service));
        prop_assert_eq!(&e.number, &t.number);
    }
    Ok(())
}

fn outcome_of(out: &Outcome) -> Expect {
    match out {
        Err(_) => Expect::Refused,
        Ok(envs) => Expect::Accepted(envs.iter().find_map(|e| match &e.event {
            Event::TicketCalled { ticket, .. } => Some(ticket.number.clone()),
            _ => None,
        })),
    }
}

fn run_case(ops: &[Op]) -> Result<(), TestCaseError> {
    let spec = Arc::new(
        xephang::config::parse(CENTRE, "model.toml")
            .expect("model centre")
            .spec,
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("journal");
    let (clock, offset) = start_clock();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut live = spawn(recover(&spec, &dir, &clock));
    let mut model = Model::default();
    let actor = || Actor("model".into());
    for (step, op) in ops.iter().enumerate() {
        offset.fetch_add(7, Ordering::SeqCst);
        let ids: Vec<TicketId> = model.tickets.iter().map(|t| t.id).collect();
        let ticket_at =
            |k: usize| pick(ids.len(), k).map_or(TicketId(ulid::Ulid::nil()), |i| ids[i]);
        let cmd = match op {
            Op::Restart => {
                stop(live);
                let engine = recover(&spec, &dir, &clock);
                assert_same(engine.state(), &model)?;
                live = spawn(engine);
                continue;
            }
            Op::Issue(s) => Command::Issue {
                service: ServiceId(SERVICES[*s].into()),
                priority: None,
                remote: false,
            },
            Op::Next(c) => Command::Next {
                counter: CounterId(COUNTERS[*c]),
            },
            Op::Recall(c) => Command::Recall {
                counter: CounterId(COUNTERS[*c]),
            },
            Op::NoShow(c) => Command::NoShow {
                counter: CounterId(COUNTERS[*c]),
            },
            Op::Finish(c) => Command::Finish {
                counter: CounterId(COUNTERS[*c]),
            },
            Op::Transfer(c, s) => Command::Transfer {
                counter: CounterId(COUNTERS[*c]),
                service: ServiceId(SERVICES[*s].into()),
            },
            Op::Status(c, st) => Command::SetStatus {
                counter: CounterId(COUNTERS[*c]),
                status: *st,
            },
            Op::Cancel(k) => Command::Cancel {
                ticket: ticket_at(*k),
            },
            Op::Requeue(k) => Command::Requeue {
                ticket: ticket_at(*k),
            },
        };
        let out = rt.block_on(live.handle.execute(cmd, actor()));
        let got = outcome_of(&out);
        let want = match op {
            Op::Issue(s) => {
                let id = out.as_ref().ok().and_then(|envs| {
                    envs.iter().find_map(|e| match &e.event {
                        Event::TicketIssued { ticket, .. } => Some(ticket.id),
                        _ => None,
                    })
                });
                let want = model.issue(SERVICES[*s], id);
                if let (Ok(envs), Some(t)) = (&out, model.tickets.last()) {
                    let number = envs.iter().find_map(|e| match &e.event {
                        Event::TicketIssued { ticket, .. } => Some(ticket.number.clone()),
                        _ => None,
                    });
                    prop_assert_eq!(
                        number,
                        Some(t.number.clone()),
                        "number issued at step {}",
                        step
                    );
                }
                want
            }
            Op::Next(c) => model.next(COUNTERS[*c]),
            Op::Recall(c) => model.on_current(COUNTERS[*c], None, None),
            Op::NoShow(c) => model.on_current(COUNTERS[*c], Some(Status::NoShow), None),
            Op::Finish(c) => model.on_current(COUNTERS[*c], Some(Status::Done), None),
            Op::Transfer(c, s) => {
                model.on_current(COUNTERS[*c], Some(Status::Waiting), Some(SERVICES[*s]))
            }
            Op::Status(c, st) => match counter(COUNTERS[*c]) {
                Some(_) => {
                    model.status.insert(COUNTERS[*c], *st);
                    Expect::Accepted(None)
                }
                None => Expect::Refused,
            },
            Op::Cancel(k) => model.cancel(*k),
            Op::Requeue(k) => model.requeue(*k),
            Op::Restart => continue,
        };
        prop_assert_eq!(
            got,
            want,
            "step {}: {:?} (engine said {:?})",
            step,
            op,
            out.err()
        );
    }
    stop(live);
    let engine = recover(&spec, &dir, &clock);
    assert_same(engine.state(), &model)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn engine_matches_the_reference_model(ops in proptest::collection::vec(op(), 1..160)) {
        run_case(&ops)?;
    }
}
