//! The lobby as screens see it at one seq: services with their queues and estimates,
//! counters with their clerk and current ticket, recent calls, the waiting list. Built from
//! a published read model when a reader first asks for it (a batch nobody reads costs
//! nothing), serialised lazily and at most once per audience through the typed per-audience
//! views of [`document`].

pub mod document;

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use serde::Serialize;
use serde_json::json;

use crate::domain::event::{Alert, ClerkRef, CounterStatus, DossierStats};
use crate::domain::ids::{CounterId, ServiceId, TicketId};
use crate::domain::select::eta_s;
use crate::domain::spec::{CentreSpec, Mode, PriorityClass};
use crate::domain::state::RecentCall;
use crate::domain::ticket::Ticket;
use crate::domain::State;
use crate::view::{Audience, StaffTicket, TicketView};

pub use document::{CounterSnapshot, PublicSnapshot, SnapshotView, StaffSnapshot};

/// Centre facts that never change while running (shipped to the province hub with the spec).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CentreInfo {
    pub name: String,
    pub name_en: String,
    pub logo: Option<String>,
    pub notice: Option<String>,
    /// The notice on the English board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_en: Option<String>,
}

impl CentreInfo {
    /// A centre known by its names alone: no logo, no notice.
    pub fn named(name: impl Into<String>, name_en: impl Into<String>) -> CentreInfo {
        CentreInfo {
            name: name.into(),
            name_en: name_en.into(),
            logo: None,
            notice: None,
            notice_en: None,
        }
    }
}

/// One service's queue as the board and the kiosk show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceSummary {
    #[schema(value_type = String, example = "hotich")]
    pub id: ServiceId,
    pub name: String,
    pub name_en: String,
    pub prefix: Option<String>,
    pub waiting: usize,
    pub eta_s: u32,
    pub open: bool,
    /// An open counter serves it now: without one, `eta_s` means nothing and screens say
    /// "chưa có quầy phục vụ" instead of a wait.
    pub staffed: bool,
    /// Closed now, it issues again later today from this time ("Nhận lại từ 13:30").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopens_at: Option<String>,
    pub target_wait_s: u32,
    pub remote: bool,
    pub appointments: bool,
    /// How many days ahead a slot may be booked (services that take appointments only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_days_ahead: Option<u32>,
    /// Only booked citizens are served (no walk-in tickets at the kiosk).
    pub appointment_only: bool,
}

/// A service's queue in brief, as each ticket event's frame carries it (`services`). Its
/// keys in alphabetical order, as they were when the frames were built with `json!`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueBrief {
    pub eta_s: u32,
    pub id: ServiceId,
    pub open: bool,
    pub staffed: bool,
    pub waiting: usize,
}

impl From<&ServiceSummary> for QueueBrief {
    fn from(s: &ServiceSummary) -> QueueBrief {
        QueueBrief {
            eta_s: s.eta_s,
            id: s.id.clone(),
            open: s.open,
            staffed: s.staffed,
            waiting: s.waiting,
        }
    }
}

/// One counter as screens show it.
#[derive(Debug, Clone)]
pub struct CounterView {
    pub id: CounterId,
    pub name: String,
    pub status: CounterStatus,
    pub services: Vec<ServiceId>,
    pub mode: Mode,
    pub clerk: Option<ClerkRef>,
    pub current: Option<Ticket>,
    pub served: u32,
    pub last_served: Option<TicketId>,
}

/// The lobby at one seq.
#[derive(Debug)]
pub struct Snapshot {
    seq: u64,
    day: NaiveDate,
    services: Vec<ServiceSummary>,
    counters: Vec<CounterView>,
    recent_calls: Vec<RecentCall>,
    dossier: Option<DossierStats>,
    /// Every waiting ticket in call order, service by service.
    waiting: Vec<Ticket>,
    /// Active supervisor alerts (staff only).
    alerts: Vec<Alert>,
    public_json: OnceLock<String>,
    staff_json: OnceLock<String>,
}

impl Snapshot {
    /// The snapshot of `state`, whose services in brief are `services` ([`Snapshot::summaries`])
    /// and waiting lines (with places and estimates) `waiting`.
    pub(super) fn build(
        spec: &CentreSpec,
        state: &State,
        services: Vec<ServiceSummary>,
        waiting: Vec<Ticket>,
    ) -> Snapshot {
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
        Snapshot {
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
        }
    }

    /// Every service's queue and estimate at `now`, as the board, the kiosk and each ticket
    /// event's frame show them.
    pub(super) fn summaries(
        spec: &CentreSpec,
        state: &State,
        now: DateTime<FixedOffset>,
    ) -> Vec<ServiceSummary> {
        spec.services
            .iter()
            .map(|s| {
                let count = state.queues.get(&s.id).map_or(0, |q| q.len());
                let appointment_only = s.appointments.as_ref().is_some_and(|a| a.appointment_only);
                ServiceSummary {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    name_en: s.name_en.clone(),
                    prefix: s.prefix.clone(),
                    waiting: count,
                    eta_s: eta_s(spec, state, &s.id, count),
                    open: s.hours.is_open(now.weekday(), now.time()) && !appointment_only,
                    staffed: state.open_counters_for(spec, &s.id) > 0,
                    reopens_at: s
                        .hours
                        .reopens_at(now.weekday(), now.time())
                        .map(|t| t.format("%H:%M").to_string()),
                    target_wait_s: s.target_wait_s,
                    remote: s.remote,
                    appointments: s.appointments.is_some(),
                    appointment_days_ahead: s.appointments.as_ref().map(|a| a.days_ahead),
                    appointment_only,
                }
            })
            .collect()
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn day(&self) -> NaiveDate {
        self.day
    }

    pub fn services(&self) -> &[ServiceSummary] {
        &self.services
    }

    pub fn counters(&self) -> &[CounterView] {
        &self.counters
    }

    pub fn counter(&self, id: CounterId) -> Option<&CounterView> {
        self.counters.iter().find(|c| c.id == id)
    }

    /// Every waiting ticket in call order, service by service.
    pub fn waiting(&self) -> &[Ticket] {
        &self.waiting
    }

    /// The latest calls, newest first.
    pub fn recent_calls(&self) -> &[RecentCall] {
        &self.recent_calls
    }

    /// Active supervisor alerts.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    pub fn dossier(&self) -> Option<&DossierStats> {
        self.dossier.as_ref()
    }

    /// The snapshot as JSON for an audience, with the server's `now` first.
    pub fn to_json(
        &self,
        centre: &CentreInfo,
        priorities: &[PriorityClass],
        audience: Audience,
        now: DateTime<FixedOffset>,
    ) -> String {
        let cell = match audience {
            Audience::Public => &self.public_json,
            Audience::Staff | Audience::Supervisor => &self.staff_json,
        };
        let body = cell.get_or_init(|| self.render(centre, priorities, audience));
        let now = json!(now).to_string();
        format!("{{\"now\":{now},{}", body.strip_prefix('{').unwrap_or(body))
    }

    /// The snapshot as `audience` sees it, without `now` (which [`to_json`](Self::to_json)
    /// splices in per answer; [`SnapshotView::at`] puts it in).
    pub fn view<'a>(
        &'a self,
        centre: &'a CentreInfo,
        priorities: &'a [PriorityClass],
        audience: Audience,
    ) -> SnapshotView<'a> {
        let lobby = PublicSnapshot {
            now: None,
            seq: self.seq,
            day: self.day,
            centre,
            priorities,
            services: &self.services,
            counters: self
                .counters
                .iter()
                .map(|c| CounterSnapshot {
                    id: c.id,
                    name: &c.name,
                    status: c.status,
                    services: &c.services,
                    mode: c.mode,
                    clerk: c.clerk.as_ref(),
                    current: c.current.as_ref().map(|t| TicketView::of(t, audience)),
                    served: c.served,
                })
                .collect(),
            recent_calls: &self.recent_calls,
            dossier: self.dossier.as_ref(),
        };
        if audience.is_staff() {
            SnapshotView::Staff(StaffSnapshot {
                lobby,
                waiting: self.waiting.iter().map(StaffTicket::new).collect(),
                alerts: &self.alerts,
            })
        } else {
            SnapshotView::Public(lobby)
        }
    }

    fn render(
        &self,
        centre: &CentreInfo,
        priorities: &[PriorityClass],
        audience: Audience,
    ) -> String {
        // Strings, numbers, dates and maps with string keys only: serialising cannot fail.
        serde_json::to_string(&self.view(centre, priorities, audience)).unwrap_or_default()
    }
}
