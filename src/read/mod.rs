//! The read side: what readers see without ever waiting for the writer.
//!
//! [`ReadModel`] is the lobby at one seq, folded from committed events alone, one projection
//! per concern (each with an `apply`, the read-model pattern of event-sourced systems such as
//! cqrs-es's `View::update`):
//! - the day's lobby state (the domain's own fold, [`crate::domain::State::apply`]): tickets,
//!   queues, counters, ratings, bookings, per-phone counts;
//! - the day's figures ([`crate::stats::DayStats::apply`]);
//! - the waiting lines with places and estimates ([`lines`]);
//! - the personal-data horizon;
//! - every service's queue and estimate in brief, once per batch (each ticket event's frame
//!   carries it);
//! - the snapshot the screens get ([`snapshot`]), built from the model when a reader first
//!   asks for it: a batch nobody reads costs no snapshot (the writer publishes, then answers
//!   the clerk, without building one).
//!
//! A model is immutable once published: the broadcaster ([`crate::broadcast`]) applies each
//! batch to its own working copy and publishes a clone behind a swapped `Arc`, so a reader
//! holds one consistent seq for as long as it likes and never sees half a batch. The day's
//! large maps are persistent (imbl), so that clone costs O(1), not a copy of every ticket.
//!
//! Nothing here knows about HTTP or the lobby's engine: the province hub builds the same
//! model for each centre from that centre's event stream ([`ReadModel::replay`]).

pub mod history;
mod lines;
pub mod snapshot;

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::domain::event::{Booking, ClerkRef, ClientTag, Rating};
use crate::domain::ids::{BookingCode, TicketId};
use crate::domain::spec::CentreSpec;
use crate::domain::ticket::Ticket;
use crate::domain::{Envelope, Event, State};
use crate::stats::DayStats;
use crate::view::Audience;

use lines::{Lines, Touched};
pub use snapshot::{CentreInfo, CounterView, QueueBrief, ServiceSummary, Snapshot};

/// The lobby at one seq (see the module documentation).
#[derive(Clone)]
pub struct ReadModel {
    /// The effective spec: [`ReadModel::base`] with the admin page's changes (the lobby
    /// state's overlay), recomputed when the overlay moves; likewise the centre's facts.
    spec: Arc<CentreSpec>,
    centre: Arc<CentreInfo>,
    base: Arc<CentreSpec>,
    base_centre: Arc<CentreInfo>,
    overlay_version: u64,
    lobby: State,
    stats: Arc<DayStats>,
    lines: Lines,
    /// Personal data of visits before this day has been purged (the latest
    /// `personal_data_purged`, kept across days); readers of past journals blank it.
    purged_before: Option<NaiveDate>,
    /// Every service's queue, estimate and opening state as of the last batch or refresh.
    services: Arc<Vec<ServiceSummary>>,
    /// Built on first use; emptied whenever the model moves.
    snapshot: OnceLock<Arc<Snapshot>>,
}

impl ReadModel {
    /// An empty lobby on `day` (no event yet).
    pub fn new(spec: Arc<CentreSpec>, centre: Arc<CentreInfo>, day: NaiveDate) -> ReadModel {
        let lobby = State::new(&spec, day);
        let services = Arc::new(Snapshot::summaries(&spec, &lobby, day_start(&spec, day)));
        ReadModel {
            spec: spec.clone(),
            centre: centre.clone(),
            base: spec,
            base_centre: centre,
            overlay_version: 0,
            lobby,
            stats: Arc::new(DayStats::default()),
            lines: Lines::default(),
            purged_before: None,
            services,
            snapshot: OnceLock::new(),
        }
    }

    /// The model of a centre from its events alone (a day's journal from its `day_started`,
    /// or any stream that begins with one), as of `now`.
    pub fn replay<'a>(
        spec: Arc<CentreSpec>,
        centre: Arc<CentreInfo>,
        day: NaiveDate,
        events: impl IntoIterator<Item = &'a Envelope>,
        now: DateTime<FixedOffset>,
    ) -> ReadModel {
        let mut model = ReadModel::new(spec, centre, day);
        for env in events {
            model.fold(env);
        }
        model.refresh(now);
        model
    }

    /// The model of the same centre rebuilt from `events` of `day` alone.
    pub fn rebuilt<'a>(
        &self,
        day: NaiveDate,
        events: impl IntoIterator<Item = &'a Envelope>,
        now: DateTime<FixedOffset>,
    ) -> ReadModel {
        ReadModel::replay(
            self.base.clone(),
            self.base_centre.clone(),
            day,
            events,
            now,
        )
    }

    /// A copy with the names and phone numbers of visits before `before` erased (what
    /// `personal_data_purged` does), for showing a past day replayed from an old file.
    pub fn without_personal_data_before(&self, before: NaiveDate) -> ReadModel {
        let mut copy = self.clone();
        copy.lobby.purge(before);
        copy.snapshot = OnceLock::new();
        copy
    }

    /// Applies a committed batch and refreshes what depends on it (lines, snapshot).
    pub fn apply(&mut self, envs: &[Arc<Envelope>], now: DateTime<FixedOffset>) {
        for env in envs {
            self.fold(env);
        }
        let touched = Touched::by(&self.spec, envs);
        self.lines.refresh(&self.spec, &self.lobby, &touched, now);
        self.moved(now);
    }

    /// Recomputes every line and the snapshot at `now` (estimates and opening hours move
    /// with the clock even when no event happens).
    pub fn refresh(&mut self, now: DateTime<FixedOffset>) {
        self.lines
            .refresh(&self.spec, &self.lobby, &Touched::All, now);
        self.moved(now);
    }

    /// One event into every projection that folds events.
    fn fold(&mut self, env: &Envelope) {
        self.lobby.apply(&self.base, env);
        if self.lobby.overlay.version != self.overlay_version {
            let overlay = &self.lobby.overlay;
            self.overlay_version = overlay.version;
            self.spec = Arc::new(overlay.effective(&self.base));
            let mut centre = (*self.base_centre).clone();
            if let Some(n) = &overlay.notice {
                centre.notice = n.vi.clone().filter(|s| !s.is_empty());
                centre.notice_en = n.en.clone().filter(|s| !s.is_empty());
            }
            self.centre = Arc::new(centre);
        }
        Arc::make_mut(&mut self.stats).apply(&self.spec, env);
        if let Event::PersonalDataPurged { before } = &env.event {
            self.purged_before = self.purged_before.max(Some(*before));
        }
        self.purged_before = self.purged_before.max(self.lobby.purged_before);
    }

    /// The lines moved at `now`: the services in brief follow, the snapshot is built anew
    /// when next asked for.
    fn moved(&mut self, now: DateTime<FixedOffset>) {
        self.services = Arc::new(Snapshot::summaries(&self.spec, &self.lobby, now));
        self.snapshot = OnceLock::new();
    }

    pub fn seq(&self) -> u64 {
        self.lobby.seq
    }

    pub fn day(&self) -> NaiveDate {
        self.lobby.day
    }

    pub fn spec(&self) -> &CentreSpec {
        &self.spec
    }

    /// The effective spec, shared (`App::spec`).
    pub fn spec_arc(&self) -> Arc<CentreSpec> {
        self.spec.clone()
    }

    /// The effective centre facts (name, logo, notice line).
    pub fn centre(&self) -> &CentreInfo {
        &self.centre
    }

    /// The day's lobby state (what the domain's selection rules read).
    pub fn lobby(&self) -> &State {
        &self.lobby
    }

    /// The lobby as screens see it at this seq (built on the first call).
    pub fn snapshot(&self) -> &Snapshot {
        self.snapshot.get_or_init(|| {
            let waiting = self.lines.waiting(&self.spec);
            let services = self.services.as_ref().clone();
            Arc::new(Snapshot::build(&self.spec, &self.lobby, services, waiting))
        })
    }

    /// The snapshot as JSON for an audience, with the server's `now`.
    pub fn snapshot_json(&self, audience: Audience, now: DateTime<FixedOffset>) -> String {
        self.snapshot()
            .to_json(&self.centre, &self.spec.priorities, audience, now)
    }

    /// Every service's queue and estimate (what the snapshot's `services` holds), without
    /// building the snapshot.
    pub fn services(&self) -> &[ServiceSummary] {
        &self.services
    }

    /// Every service's queue in brief, as each ticket event's frame carries it.
    pub fn queue_brief(&self) -> Vec<QueueBrief> {
        self.services.iter().map(QueueBrief::from).collect()
    }

    /// The clerk on duty at `counter`, if any (without building the snapshot).
    pub fn clerk_at(&self, counter: crate::domain::ids::CounterId) -> Option<&ClerkRef> {
        self.lobby.counters.get(&counter)?.clerk.as_ref()
    }

    /// A ticket of the day; a waiting one with its place in line and estimated wait.
    pub fn ticket(&self, id: &TicketId) -> Option<&Ticket> {
        self.lines.placed(id).or_else(|| self.lobby.ticket(id))
    }

    /// Every ticket of the day (waiting ones without their place).
    pub fn tickets(&self) -> impl Iterator<Item = &Ticket> {
        self.lobby.tickets.values()
    }

    pub fn rating(&self, ticket: &TicketId) -> Option<&Rating> {
        self.lobby.ratings.get(ticket)
    }

    /// Every rating of the day.
    pub fn ratings(&self) -> impl Iterator<Item = &Rating> {
        self.lobby.ratings.values()
    }

    pub fn booking(&self, code: &BookingCode) -> Option<&Booking> {
        self.lobby.bookings.get(code)
    }

    /// Today's and future bookings.
    pub fn bookings(&self) -> impl Iterator<Item = &Booking> {
        self.lobby.bookings.values()
    }

    /// Remote tickets the phone with this tag took today.
    pub fn remote_count(&self, tag: &ClientTag) -> u32 {
        self.lobby.remote_by_client.get(tag).copied().unwrap_or(0)
    }

    /// Remote tickets taken today for a service (its `remote_cap` counts these).
    pub fn remote_issued(&self, service: &crate::domain::ids::ServiceId) -> u32 {
        self.lobby.remote_issued.get(service).copied().unwrap_or(0)
    }

    /// Today's figures.
    pub fn stats(&self) -> &DayStats {
        &self.stats
    }

    /// Personal data of visits before this day has been purged.
    pub fn purged_before(&self) -> Option<NaiveDate> {
        self.purged_before
    }
}

/// Midnight of `day` in the centre's timezone, for a model that has seen no event yet (its
/// snapshot is rebuilt with the real clock at the first batch or refresh).
fn day_start(spec: &CentreSpec, day: NaiveDate) -> DateTime<FixedOffset> {
    use chrono::TimeZone;
    spec.timezone
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.fixed_offset())
        .unwrap_or_default()
}
