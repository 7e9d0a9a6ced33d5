//! The state of one business day, and the one function that changes it: [`State::apply`].
//!
//! Replaying a day's journal through `apply` rebuilds exactly the state the engine had, so
//! every invariant here must follow from the events alone.

use std::collections::{HashMap, VecDeque};

use imbl::{HashMap as PMap, HashSet as PSet, OrdMap};

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use super::admin::Overlay;
use super::event::{
    Alert, Booking, ClerkRef, ClientTag, CounterCarry, CounterStatus, DossierStats, Envelope,
    Event, Rating,
};
use super::ids::{BookingCode, CounterId, ServiceId, TicketId};
use super::service_time::ServiceTime;
use super::spec::CentreSpec;
use super::ticket::{Status, Ticket};

/// How many calls the board's "recent calls" list keeps.
pub const RECENT_CALLS: usize = 10;

/// A counter's live state.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterState {
    pub status: CounterStatus,
    pub clerk: Option<ClerkRef>,
    /// The ticket called here and not yet finished.
    pub current: Option<TicketId>,
    /// The ticket most recently finished here: the one the rating tablet rates.
    pub last_served: Option<TicketId>,
    /// Priority tickets called in a row (reset by a normal call).
    pub priority_streak: u32,
    /// Tickets finished here today.
    pub served: u32,
    /// When the counter was paused (None unless paused).
    pub paused_since: Option<DateTime<FixedOffset>>,
}

/// A call as the board lists it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RecentCall {
    pub number: String,
    #[schema(value_type = String)]
    pub service: ServiceId,
    #[schema(value_type = u32)]
    pub counter: CounterId,
    pub at: DateTime<FixedOffset>,
}

/// Queue key of a waiting ticket: original issue time, then issue order.
pub type QueueKey = (DateTime<FixedOffset>, u64);

#[derive(Debug, Clone)]
pub struct State {
    pub day: NaiveDate,
    /// Seq of the last applied event (0 before any).
    pub seq: u64,
    pub tickets: PMap<TicketId, Ticket>,
    /// Waiting tickets per service, in queue order.
    pub queues: HashMap<ServiceId, OrdMap<QueueKey, TicketId>>,
    /// Printed numbers of live tickets: never given to a second ticket.
    pub live_numbers: PSet<String>,
    /// Next value to try per service (the range's first at the start of a day).
    pub next_value: HashMap<ServiceId, u32>,
    /// Tickets issued today (the issue order of the next one is this + 1).
    pub issued: u64,
    pub counters: OrdMap<CounterId, CounterState>,
    pub ratings: PMap<TicketId, Rating>,
    pub recent_calls: VecDeque<RecentCall>,
    pub dossier: Option<DossierStats>,
    pub bookings: PMap<BookingCode, Booking>,
    /// Expected service time per service (the configured value weighed with today's
    /// observations, see [`ServiceTime`]); absent until the service's first observation.
    pub service_time: HashMap<ServiceId, ServiceTime>,
    /// Alerts raised and not yet cleared, by key.
    pub alerts: OrdMap<String, Alert>,
    /// Tickets taken from phones today, per service of origin (for `remote_cap`).
    pub remote_issued: HashMap<ServiceId, u32>,
    /// Tickets taken from phones today, per phone (`remote_per_client`): rebuilt by replay
    /// from the tags of `ticket_issued`, emptied by `day_started` like the rest of the day.
    pub remote_by_client: PMap<ClientTag, u32>,
    /// Personal data of visits before this day has been erased (`personal_data_purged`).
    pub purged_before: Option<NaiveDate>,
    /// The admin page's changes (`config_changed`, carried by `day_started`). Shared: a
    /// clone of the state (one per published batch) does not copy it.
    pub overlay: std::sync::Arc<Overlay>,
}

impl State {
    /// An empty day: every counter closed, no tickets.
    pub fn new(spec: &CentreSpec, day: NaiveDate) -> State {
        let counters = spec
            .counters
            .iter()
            .map(|c| {
                (
                    c.id,
                    CounterState {
                        status: CounterStatus::Closed,
                        clerk: None,
                        current: None,
                        last_served: None,
                        priority_streak: 0,
                        served: 0,
                        paused_since: None,
                    },
                )
            })
            .collect();
        State {
            day,
            seq: 0,
            tickets: PMap::new(),
            queues: spec
                .services
                .iter()
                .map(|s| (s.id.clone(), OrdMap::new()))
                .collect(),
            live_numbers: PSet::new(),
            next_value: HashMap::new(),
            issued: 0,
            counters,
            ratings: PMap::new(),
            recent_calls: VecDeque::new(),
            dossier: None,
            bookings: PMap::new(),
            service_time: HashMap::new(),
            alerts: OrdMap::new(),
            remote_issued: HashMap::new(),
            remote_by_client: PMap::new(),
            purged_before: None,
            overlay: Default::default(),
        }
    }

    /// What the next day starts with: counters, clerks, future bookings and dossier figures.
    pub fn carry(&self) -> (Vec<CounterCarry>, Vec<Booking>) {
        let counters = self
            .counters
            .iter()
            .map(|(id, c)| CounterCarry {
                counter: *id,
                status: c.status,
                clerk: c.clerk.clone(),
            })
            .collect();
        let mut bookings: Vec<Booking> = self
            .bookings
            .values()
            .filter(|b| b.checked_in.is_none() && b.start.date_naive() > self.day)
            .cloned()
            .collect();
        bookings.sort_by(|a, b| (a.start, &a.code).cmp(&(b.start, &b.code)));
        (counters, bookings)
    }

    pub fn ticket(&self, id: &TicketId) -> Option<&Ticket> {
        self.tickets.get(id)
    }

    /// The ticket currently at a counter.
    pub fn current(&self, counter: CounterId) -> Option<&Ticket> {
        self.counters
            .get(&counter)
            .and_then(|c| c.current.as_ref())
            .and_then(|id| self.tickets.get(id))
    }

    /// Waiting tickets of a service, in queue order.
    pub fn waiting_in(&self, service: &ServiceId) -> impl Iterator<Item = &Ticket> {
        self.queues
            .get(service)
            .into_iter()
            .flat_map(|q| q.values())
            .filter_map(|id| self.tickets.get(id))
    }

    /// Open counters that serve a service.
    pub fn open_counters_for(&self, spec: &CentreSpec, service: &ServiceId) -> usize {
        spec.counters
            .iter()
            .filter(|c| c.services.contains(service))
            .filter(|c| {
                self.counters
                    .get(&c.id)
                    .is_some_and(|s| s.status == CounterStatus::Open)
            })
            .count()
    }

    /// The state of `day` after `events`: what the engine had when it wrote them. The one
    /// way a day is rebuilt from its journal (start-up, reload, past days' reports, tests).
    pub fn replay<'a>(
        spec: &CentreSpec,
        day: NaiveDate,
        events: impl IntoIterator<Item = &'a Envelope>,
    ) -> State {
        let mut state = State::new(spec, day);
        for env in events {
            state.apply(spec, env);
        }
        state
    }

    /// Stamps `event` with the next seq and the time `at`, applies it and returns it: the one
    /// way a decided event becomes part of the day (engine, simulations, tests, benches).
    pub fn commit(
        &mut self,
        spec: &CentreSpec,
        event: Event,
        at: DateTime<FixedOffset>,
    ) -> Envelope {
        let env = Envelope {
            seq: self.seq + 1,
            at,
            event,
        };
        self.apply(spec, &env);
        env
    }

    /// Applies one journaled event. Never fails: the engine decided it was valid, and replay
    /// feeds back exactly what the engine wrote.
    pub fn apply(&mut self, spec: &CentreSpec, env: &Envelope) {
        self.seq = env.seq;
        match &env.event {
            Event::DayStarted {
                day,
                counters,
                bookings,
                dossier,
                overlay,
            } => {
                let seq = self.seq;
                *self = State::new(spec, *day);
                self.seq = seq;
                for carry in counters {
                    if let Some(c) = self.counters.get_mut(&carry.counter) {
                        c.status = carry.status;
                        c.clerk = carry.clerk.clone();
                    }
                }
                for b in bookings {
                    self.bookings.insert(b.code.clone(), b.clone());
                }
                self.dossier = dossier.clone();
                self.overlay = std::sync::Arc::new(overlay.clone());
            }
            Event::TicketIssued {
                ticket,
                booking,
                client,
            } => {
                self.issued = self.issued.max(ticket.order);
                if ticket.remote {
                    *self.remote_issued.entry(ticket.origin.clone()).or_default() += 1;
                }
                if let Some(tag) = client {
                    *self.remote_by_client.entry(tag.clone()).or_default() += 1;
                }
                if let Some(code) = booking {
                    if let Some(b) = self.bookings.get_mut(code) {
                        b.checked_in = Some(ticket.id);
                    }
                }
                if let Some(s) = spec.service(&ticket.origin) {
                    if let Some(v) = value_of(&ticket.number, s.prefix.as_deref()) {
                        let next = if v >= s.last { s.first } else { v + 1 };
                        self.next_value.insert(s.id.clone(), next);
                    }
                }
                self.put(ticket.clone());
            }
            Event::TicketCalled {
                ticket, counter, ..
            } => {
                if let Some(c) = self.counters.get_mut(counter) {
                    c.current = Some(ticket.id);
                    if ticket.is_priority() {
                        c.priority_streak += 1;
                    } else {
                        c.priority_streak = 0;
                    }
                }
                self.push_call(ticket, *counter, env.at);
                self.put(ticket.clone());
            }
            Event::TicketRecalled {
                ticket, counter, ..
            } => {
                self.push_call(ticket, *counter, env.at);
                self.put(ticket.clone());
            }
            Event::TicketFinished { ticket, counter } => {
                if let Some(c) = self.counters.get_mut(counter) {
                    c.current = None;
                    c.last_served = Some(ticket.id);
                    c.served += 1;
                }
                if let (Some(call), Some(fin)) = (ticket.called_at, ticket.finished_at) {
                    let secs = (fin - call).num_milliseconds().max(0) as f64 / 1000.0;
                    let prior = spec
                        .service(&ticket.service)
                        .map_or(300.0, |s| f64::from(s.default_service_s));
                    self.service_time
                        .entry(ticket.service.clone())
                        .or_insert(ServiceTime::prior(prior))
                        .observe(secs);
                }
                self.put(ticket.clone());
            }
            Event::TicketNoShow { ticket, counter }
            | Event::TicketTransferred {
                ticket,
                counter: Some(counter),
                ..
            } => {
                if let Some(c) = self.counters.get_mut(counter) {
                    if c.current == Some(ticket.id) {
                        c.current = None;
                    }
                }
                self.put(ticket.clone());
            }
            Event::TicketExpired { ticket }
            | Event::TicketCancelled { ticket }
            | Event::TicketRequeued { ticket }
            | Event::TicketTransferred { ticket, .. } => {
                let holding: Vec<CounterId> = self
                    .counters
                    .iter()
                    .filter(|(_, c)| c.current == Some(ticket.id))
                    .map(|(id, _)| *id)
                    .collect();
                for id in holding {
                    if let Some(c) = self.counters.get_mut(&id) {
                        c.current = None;
                    }
                }
                self.put(ticket.clone());
            }
            Event::CounterStatus { counter, status } => {
                if let Some(c) = self.counters.get_mut(counter) {
                    if *status != CounterStatus::Paused {
                        c.paused_since = None;
                    } else if c.status != CounterStatus::Paused {
                        c.paused_since = Some(env.at);
                    }
                    c.status = *status;
                }
            }
            Event::ClerkLogin { counter, clerk } => {
                if let Some(c) = self.counters.get_mut(counter) {
                    c.clerk = clerk.clone();
                }
            }
            Event::Rating(r) => {
                self.ratings.insert(r.ticket, r.clone());
            }
            Event::DossierStats(d) => self.dossier = Some(d.clone()),
            Event::BookingCreated { booking } => {
                self.bookings.insert(booking.code.clone(), booking.clone());
            }
            Event::BookingCancelled { code, .. } => {
                self.bookings.remove(code);
            }
            Event::Alert(a) => {
                self.alerts.insert(a.key.clone(), a.clone());
            }
            Event::AlertCleared { key } => {
                self.alerts.remove(key);
            }
            Event::PersonalDataPurged { before } => self.purge(*before),
            Event::ConfigChanged { change, by } => {
                std::sync::Arc::make_mut(&mut self.overlay).apply(change, by, env.seq, env.at);
            }
        }
    }

    /// Erases names and phone numbers of visits before `before`: bookings whose slot was
    /// on an earlier day, and call-back numbers left on an earlier business day.
    pub fn purge(&mut self, before: NaiveDate) {
        self.purged_before = self.purged_before.max(Some(before));
        for b in self.bookings.iter_mut().map(|(_, b)| b) {
            if b.start.date_naive() < before {
                b.name = None;
                b.phone = None;
            }
        }
        if self.day < before {
            for r in self.ratings.iter_mut().map(|(_, r)| r) {
                r.phone = None;
            }
        }
    }

    /// Stores a ticket's new version and keeps the queue index and live numbers in step.
    fn put(&mut self, mut ticket: Ticket) {
        if let Some(old) = self.tickets.get(&ticket.id) {
            if let Some(q) = self.queues.get_mut(&old.service) {
                q.remove(&old.queue_key());
            }
            if old.status.is_live() && !ticket.status.is_live() {
                self.live_numbers.remove(&old.number);
            }
        }
        if ticket.status == Status::Waiting {
            self.queues
                .entry(ticket.service.clone())
                .or_default()
                .insert(ticket.queue_key(), ticket.id);
        }
        if ticket.status.is_live() {
            self.live_numbers.insert(ticket.number.clone());
        }
        ticket.waiting_ahead = None;
        ticket.eta_s = None;
        self.tickets.insert(ticket.id, ticket);
    }

    fn push_call(&mut self, ticket: &Ticket, counter: CounterId, at: DateTime<FixedOffset>) {
        self.recent_calls.push_front(RecentCall {
            number: ticket.number.clone(),
            service: ticket.service.clone(),
            counter,
            at,
        });
        self.recent_calls.truncate(RECENT_CALLS);
    }
}

/// The numeric value of a printed number ("A005" → 5), given its service's prefix.
pub fn value_of(number: &str, prefix: Option<&str>) -> Option<u32> {
    number
        .strip_prefix(prefix.unwrap_or(""))
        .and_then(|digits| digits.parse().ok())
}
