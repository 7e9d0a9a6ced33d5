//! The read side and the broadcast: what readers see without ever waiting for the writer.
//!
//! After each committed batch the engine calls [`Hub::publish`], which refreshes the ticket
//! look-up table (phones, `GET /tickets/{id}`), the snapshot, and the ring of recent frames,
//! and broadcasts each event's frame once, serialised once per audience and shared by every
//! socket. Subscribing takes the same lock as publishing, so a new socket gets a snapshot at
//! seq N and then exactly the events after N: no gap, no duplicate.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::ws::Utf8Bytes;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use dashmap::DashMap;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::domain::event::{Alert, Booking, ClerkRef, ClientTag, DossierStats, Rating};
use crate::domain::ids::{BookingCode, CounterId, ServiceId, TicketId};
use crate::domain::select::{eta_s, positions};
use crate::domain::spec::{CentreSpec, Mode, PriorityClass};
use crate::domain::state::RecentCall;
use crate::domain::ticket::Ticket;
use crate::domain::{Envelope, Event, State};
use crate::stats::DayStats;
use crate::view::{self, Audience};

/// Frames kept for `since` resumption (about two busy hours of a provincial centre; a client
/// further behind gets a fresh snapshot).
pub const RING: usize = 2048;
/// Frames a socket may fall behind before it is dropped (close 1013).
pub const SOCKET_BACKLOG: usize = 1024;

/// One event, serialised once per audience.
#[derive(Debug)]
pub struct Frame {
    pub seq: u64,
    pub public: Utf8Bytes,
    pub staff: Utf8Bytes,
    /// The staff frame plus personal data (the same bytes as `staff` when there is none).
    pub supervisor: Utf8Bytes,
    /// The ticket the event is about (phones watching it re-check their ticket).
    pub ticket: Option<TicketId>,
    /// The announcement of a call or recall, for the device player.
    pub audio: Option<Vec<String>>,
}

impl Frame {
    pub fn for_audience(&self, a: Audience) -> &Utf8Bytes {
        match a {
            Audience::Public => &self.public,
            Audience::Staff => &self.staff,
            Audience::Supervisor => &self.supervisor,
        }
    }
}

/// Centre facts that never change while running.
#[derive(Debug, Clone, Serialize)]
pub struct CentreInfo {
    pub name: String,
    pub name_en: String,
    pub logo: Option<String>,
    pub notice: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceSummary {
    pub id: ServiceId,
    pub name: String,
    pub name_en: String,
    pub prefix: Option<String>,
    pub waiting: usize,
    pub eta_s: u32,
    pub open: bool,
    pub target_wait_s: u32,
    pub remote: bool,
    pub appointments: bool,
    /// How many days ahead a slot may be booked (services that take appointments only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_days_ahead: Option<u32>,
    /// Only booked citizens are served (no walk-in tickets at the kiosk).
    pub appointment_only: bool,
}

#[derive(Debug, Clone)]
pub struct CounterView {
    pub id: CounterId,
    pub name: String,
    pub status: crate::domain::event::CounterStatus,
    pub services: Vec<ServiceId>,
    pub mode: Mode,
    pub clerk: Option<ClerkRef>,
    pub current: Option<Ticket>,
    pub served: u32,
    pub last_served: Option<TicketId>,
}

/// The lobby at one seq. Serialised lazily, once per audience.
#[derive(Debug)]
pub struct Snapshot {
    pub seq: u64,
    pub day: NaiveDate,
    pub services: Vec<ServiceSummary>,
    pub counters: Vec<CounterView>,
    pub recent_calls: Vec<RecentCall>,
    pub dossier: Option<DossierStats>,
    /// Every waiting ticket in call order, service by service.
    pub waiting: Vec<Ticket>,
    /// Active supervisor alerts (staff only).
    pub alerts: Vec<Alert>,
    public_json: OnceLock<String>,
    staff_json: OnceLock<String>,
}

struct Inner {
    snapshot: Arc<Snapshot>,
    ring: VecDeque<Arc<Frame>>,
    /// Waiting tickets with positions, per service (refreshed for touched services).
    lines: BTreeMap<ServiceId, Vec<Ticket>>,
}

pub struct Hub {
    centre: CentreInfo,
    priorities: Vec<PriorityClass>,
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<Frame>>,
    /// Every ticket of the day with its place and estimate, by id.
    pub tickets: DashMap<TicketId, Ticket>,
    /// Every rating of the day, by ticket.
    pub ratings: DashMap<TicketId, Rating>,
    /// Appointment bookings (today's and future ones), by code. Personal data: staff only.
    pub bookings: DashMap<BookingCode, Booking>,
    /// Tickets each phone took from home today, by its tag (what it may still take).
    pub remote_by_client: DashMap<ClientTag, u32>,
    /// Today's figures, fed event by event.
    pub stats: Mutex<DayStats>,
    /// Personal data of visits before this day has been purged (the latest
    /// `personal_data_purged`); readers of past days' journals blank it.
    pub purged_before: Mutex<Option<NaiveDate>>,
}

/// What a new subscriber gets first.
pub enum Start {
    /// A full snapshot (no `since`, or `since` too old or from the future).
    Snapshot(Arc<Snapshot>),
    /// The frames after `since`, in order.
    Replay(Vec<Arc<Frame>>),
}

impl Hub {
    pub fn new(spec: &CentreSpec, centre: CentreInfo) -> Hub {
        let (tx, _) = broadcast::channel(SOCKET_BACKLOG);
        let empty = Snapshot {
            seq: 0,
            day: NaiveDate::default(),
            services: Vec::new(),
            counters: Vec::new(),
            recent_calls: Vec::new(),
            dossier: None,
            waiting: Vec::new(),
            alerts: Vec::new(),
            public_json: OnceLock::new(),
            staff_json: OnceLock::new(),
        };
        Hub {
            centre,
            priorities: spec.priorities.clone(),
            inner: Mutex::new(Inner {
                snapshot: Arc::new(empty),
                ring: VecDeque::new(),
                lines: BTreeMap::new(),
            }),
            tx,
            tickets: DashMap::new(),
            ratings: DashMap::new(),
            bookings: DashMap::new(),
            remote_by_client: DashMap::new(),
            stats: Mutex::new(DayStats::default()),
            purged_before: Mutex::new(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.lock().snapshot.clone()
    }

    pub fn receivers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Subscribes to frames after `since` (or after a fresh snapshot).
    pub fn subscribe(&self, since: Option<u64>) -> (Start, broadcast::Receiver<Arc<Frame>>) {
        let inner = self.lock();
        let rx = self.tx.subscribe();
        let now_seq = inner.snapshot.seq;
        let start = match since {
            Some(s) if s == now_seq => Start::Replay(Vec::new()),
            Some(s) if s < now_seq && inner.ring.front().is_some_and(|f| f.seq <= s + 1) => {
                Start::Replay(inner.ring.iter().filter(|f| f.seq > s).cloned().collect())
            }
            _ => Start::Snapshot(inner.snapshot.clone()),
        };
        (start, rx)
    }

    /// Publishes a committed batch (or, with no events, the recovered state).
    pub fn publish(
        &self,
        spec: &CentreSpec,
        state: &State,
        envs: &[Arc<Envelope>],
        now: DateTime<FixedOffset>,
    ) {
        let new_day = envs.is_empty()
            || envs
                .iter()
                .any(|e| matches!(e.event, Event::DayStarted { .. }));
        let all = new_day
            || envs.iter().any(|e| {
                matches!(
                    e.event,
                    Event::CounterStatus { .. } | Event::TicketFinished { .. }
                )
            });
        let mut touched: HashSet<ServiceId> = HashSet::new();
        for env in envs {
            if let Some(t) = env.event.ticket() {
                touched.insert(t.service.clone());
            }
            if let Event::TicketTransferred { from_service, .. } = &env.event {
                touched.insert(from_service.clone());
            }
        }
        // A waiting ticket's estimate depends on the counters serving its service: whether
        // they are busy and which of their other services have a queue. So a change at a
        // counter, or in one of its services' queues, moves the estimates of every service
        // that counter serves.
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
            if c.services.iter().any(|s| touched.contains(s)) {
                counters.insert(c.id);
            }
        }
        for c in spec.counters.iter().filter(|c| counters.contains(&c.id)) {
            touched.extend(c.services.iter().cloned());
        }
        let purged = envs
            .iter()
            .any(|e| matches!(e.event, Event::PersonalDataPurged { .. }));
        if purged || new_day {
            let mut horizon = self.purged_before.lock().unwrap_or_else(|p| p.into_inner());
            *horizon = (*horizon).max(state.purged_before);
        }
        if new_day || purged {
            self.tickets.clear();
            self.ratings.clear();
            for t in state.tickets.values() {
                self.tickets.insert(t.id, t.clone());
            }
            for r in state.ratings.values() {
                self.ratings.insert(r.ticket, r.clone());
            }
        }
        if new_day {
            self.remote_by_client.clear();
            for (tag, n) in &state.remote_by_client {
                self.remote_by_client.insert(tag.clone(), *n);
            }
        } else {
            for env in envs {
                if let Event::TicketIssued {
                    client: Some(tag), ..
                } = &env.event
                {
                    let n = state.remote_by_client.get(tag).copied().unwrap_or(0);
                    self.remote_by_client.insert(tag.clone(), n);
                }
            }
        }
        let bookings_changed = new_day
            || purged
            || envs.iter().any(|e| {
                matches!(
                    e.event,
                    Event::BookingCreated { .. }
                        | Event::BookingCancelled { .. }
                        | Event::TicketIssued {
                            booking: Some(_),
                            ..
                        }
                )
            });
        if bookings_changed {
            self.bookings
                .retain(|code, _| state.bookings.contains_key(code));
            for (code, b) in &state.bookings {
                self.bookings.insert(code.clone(), b.clone());
            }
        }
        {
            let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
            for env in envs {
                stats.apply(spec, env);
            }
        }
        for env in envs {
            if let Some(t) = env.event.ticket() {
                if let Some(cur) = state.ticket(&t.id) {
                    self.tickets.insert(cur.id, cur.clone());
                }
            }
            if let Event::Rating(r) = &env.event {
                self.ratings.insert(r.ticket, r.clone());
            }
        }
        let refresh: Vec<ServiceId> = spec
            .services
            .iter()
            .map(|s| s.id.clone())
            .filter(|s| all || touched.contains(s))
            .collect();
        let fresh_lines: Vec<(ServiceId, Vec<Ticket>)> = refresh
            .into_iter()
            .map(|s| {
                let line = positions(spec, state, &s, now);
                for t in &line {
                    // Most of a line is unchanged by a batch: comparing costs no allocation,
                    // cloning and replacing every waiting ticket did (per batch).
                    if self.tickets.get(&t.id).is_none_or(|cur| *cur != *t) {
                        self.tickets.insert(t.id, t.clone());
                    }
                }
                (s, line)
            })
            .collect();

        let services: Vec<ServiceSummary> = spec
            .services
            .iter()
            .map(|s| {
                let waiting = state.queues.get(&s.id).map_or(0, |q| q.len());
                ServiceSummary {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    name_en: s.name_en.clone(),
                    prefix: s.prefix.clone(),
                    waiting,
                    eta_s: eta_s(spec, state, &s.id, waiting),
                    open: s.hours.is_open(now.weekday(), now.time())
                        && !s.appointments.as_ref().is_some_and(|a| a.appointment_only),
                    target_wait_s: s.target_wait_s,
                    remote: s.remote,
                    appointments: s.appointments.is_some(),
                    appointment_days_ahead: s.appointments.as_ref().map(|a| a.days_ahead),
                    appointment_only: s.appointments.as_ref().is_some_and(|a| a.appointment_only),
                }
            })
            .collect();
        let queue_summary: Value = services
            .iter()
            .map(|s| json!({"id": s.id, "waiting": s.waiting, "eta_s": s.eta_s, "open": s.open}))
            .collect();
        let frames: Vec<Arc<Frame>> = envs
            .iter()
            .map(|env| Arc::new(frame(env, &queue_summary)))
            .collect();
        let counters = spec
            .counters
            .iter()
            .filter_map(|c| {
                let st = state.counters.get(&c.id)?;
                Some(CounterView {
                    id: c.id,
                    name: c.name.clone(),
                    status: st.status,
                    services: c.services.clone(),
                    mode: c.mode,
                    clerk: st.clerk.clone(),
                    current: st.current.and_then(|id| state.ticket(&id)).cloned(),
                    served: st.served,
                    last_served: st.last_served,
                })
            })
            .collect();

        let mut inner = self.lock();
        for (s, line) in fresh_lines {
            inner.lines.insert(s, line);
        }
        let waiting = spec
            .services
            .iter()
            .filter_map(|s| inner.lines.get(&s.id))
            .flatten()
            .cloned()
            .collect();
        inner.snapshot = Arc::new(Snapshot {
            seq: state.seq,
            day: state.day,
            services,
            counters,
            recent_calls: state.recent_calls.iter().cloned().collect(),
            dossier: state.dossier.clone(),
            waiting,
            alerts: state.alerts.values().cloned().collect(),
            public_json: OnceLock::new(),
            staff_json: OnceLock::new(),
        });
        for f in frames {
            inner.ring.push_back(f.clone());
            if inner.ring.len() > RING {
                inner.ring.pop_front();
            }
            // No receivers is fine: nobody is watching.
            let _ = self.tx.send(f);
        }
    }

    /// The snapshot as JSON for an audience, with the server's `now`.
    pub fn snapshot_json(
        &self,
        snap: &Snapshot,
        audience: Audience,
        now: DateTime<FixedOffset>,
    ) -> String {
        let cell = match audience {
            Audience::Public => &snap.public_json,
            Audience::Staff | Audience::Supervisor => &snap.staff_json,
        };
        let body = cell.get_or_init(|| self.render(snap, audience));
        // `body` is a JSON object: put `now` first.
        let now = json!(now).to_string();
        format!("{{\"now\":{now},{}", body.strip_prefix('{').unwrap_or(body))
    }

    fn render(&self, snap: &Snapshot, audience: Audience) -> String {
        let counters: Vec<Value> = snap
            .counters
            .iter()
            .map(|c| {
                json!({
                    "id": c.id, "name": c.name, "status": c.status, "services": c.services,
                    "mode": c.mode, "clerk": c.clerk,
                    "current": c.current.as_ref().map(|t| view::ticket(t, audience)),
                    "served": c.served,
                })
            })
            .collect();
        let mut v = json!({
            "seq": snap.seq,
            "day": snap.day,
            "centre": self.centre,
            "priorities": self.priorities,
            "services": snap.services,
            "counters": counters,
            "recent_calls": snap.recent_calls,
            "dossier": snap.dossier,
        });
        if audience.is_staff() {
            if let Value::Object(m) = &mut v {
                let waiting: Vec<Value> = snap
                    .waiting
                    .iter()
                    .map(|t| view::ticket(t, Audience::Staff))
                    .collect();
                m.insert("waiting".into(), Value::Array(waiting));
                m.insert("alerts".into(), json!(snap.alerts));
            }
        }
        v.to_string()
    }
}

fn frame(env: &Envelope, queue: &Value) -> Frame {
    let ticket_event = env.event.ticket().is_some();
    let make = |a: Audience| {
        let mut v = json!({
            "type": "event",
            "seq": env.seq,
            "at": env.at,
            "event": view::event(&env.event, a),
        });
        if ticket_event {
            if let Value::Object(m) = &mut v {
                m.insert("services".into(), queue.clone());
            }
        }
        Utf8Bytes::from(v.to_string())
    };
    let staff = make(Audience::Staff);
    let supervisor = if view::has_personal_data(&env.event) {
        make(Audience::Supervisor)
    } else {
        staff.clone()
    };
    Frame {
        seq: env.seq,
        public: make(Audience::Public),
        staff,
        supervisor,
        ticket: env.event.ticket().map(|t| t.id),
        audio: match &env.event {
            Event::TicketCalled { audio, .. } | Event::TicketRecalled { audio, .. } => {
                Some(audio.clone())
            }
            _ => None,
        },
    }
}
