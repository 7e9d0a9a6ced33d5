//! The centre as the domain sees it: services, counters, priority classes and the rules that
//! govern them, already validated.
//!
//! `config.rs` turns the operator's TOML file into a [`CentreSpec`]; the domain never parses
//! anything. Every value here has passed validation, so the domain can rely on, for example,
//! `first <= last` and every counter naming only known services.

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ids::{CounterId, ServiceId};

/// Everything about the centre that the queue rules depend on. Serialisable: a lobby's
/// uplink ships it to the province hub, which builds the same read model from it (it holds
/// no token, PIN hash or staff list: those stay in [`crate::config::Config`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CentreSpec {
    pub name: String,
    pub name_en: String,
    pub timezone: Tz,
    pub services: Vec<ServiceSpec>,
    pub counters: Vec<CounterSpec>,
    pub priorities: Vec<PriorityClass>,
    /// A counter calls at most this many priority tickets in a row while normal tickets of
    /// its services wait (default 3). Protects walk-ins from starvation.
    pub priority_streak: u32,
    /// A counter paused longer than this (seconds) raises an alert (default 10 min).
    pub pause_alert_s: u32,
    /// Names and phone numbers citizens left are kept this many days after the day of the
    /// visit, then purged (`personal_data_purged`; default 30).
    pub personal_data_days: u32,
}

/// One field of procedures (lĩnh vực) with its own number range and queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSpec {
    pub id: ServiceId,
    pub name: String,
    pub name_en: String,
    /// Optional letter prefix printed before the number ("A" → "A005").
    pub prefix: Option<String>,
    /// Inclusive number range; numbers wrap from `last` back to `first`.
    pub first: u32,
    pub last: u32,
    /// Target wait in seconds: a ticket called within it is "on time".
    pub target_wait_s: u32,
    /// Expected service time in seconds before there is history (for wait estimates).
    pub default_service_s: u32,
    /// When tickets may be issued; empty means all day, every day.
    pub hours: OpeningHours,
    /// Whether citizens may take a ticket from their phone (issue 8).
    pub remote: bool,
    /// Most tickets taken from phones per business day (default 200).
    pub remote_cap: u32,
    /// Bookable appointment slots, if this service takes appointments.
    pub appointments: Option<SlotSpec>,
}

/// Opening hours: the weekdays and the time windows (local time of the centre) in which
/// tickets are issued. An empty `windows` list means open all day on the listed days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    pub days: Vec<Weekday>,
    pub windows: Vec<TimeWindow>,
    /// Issuing stopped (`closed = true` in the file, or "close" on the admin page): the days
    /// and windows are kept for when it opens again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
}

impl OpeningHours {
    /// Open every day, all day.
    pub fn always() -> Self {
        OpeningHours {
            days: ALL_WEEKDAYS.to_vec(),
            windows: Vec::new(),
            closed: false,
        }
    }

    /// When the service next starts issuing later the same day (the start of the next
    /// window after `at`), if it is closed at `at` and opens again before midnight.
    pub fn reopens_at(&self, day: Weekday, at: NaiveTime) -> Option<NaiveTime> {
        if self.closed || !self.days.contains(&day) || self.is_open(day, at) {
            return None;
        }
        self.windows
            .iter()
            .map(|w| w.start)
            .filter(|s| *s > at)
            .min()
    }

    /// Whether the service issues tickets on `day` at local time `at`.
    pub fn is_open(&self, day: Weekday, at: NaiveTime) -> bool {
        !self.closed
            && self.days.contains(&day)
            && (self.windows.is_empty() || self.windows.iter().any(|w| w.contains(at)))
    }
}

pub const ALL_WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// A half-open local time window `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl TimeWindow {
    pub fn contains(&self, t: NaiveTime) -> bool {
        self.start <= t && t < self.end
    }
}

/// Appointment slots of a service (lịch hẹn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotSpec {
    /// Length of one slot in minutes.
    pub slot_min: u32,
    /// Bookings accepted per slot.
    pub capacity: u32,
    /// Days and windows in which slots are laid out.
    pub hours: OpeningHours,
    /// How many days ahead a slot may be booked (0 = today only).
    pub days_ahead: u32,
    /// Minutes after the slot's start within which a check-in still counts as on time.
    pub grace_min: u32,
    /// Only booked citizens are served (e.g. the director's reception hours).
    pub appointment_only: bool,
}

/// Minutes after its slot's start within which a booking still checks in on time when the
/// service has no slot spec (any more): the config's default `grace_min`.
pub const DEFAULT_GRACE_MIN: u32 = 15;

/// Whether a booking of `service` starting at `start` still checks in on time at `now`
/// (within the service's `grace_min`): as an appointment at the kiosk, and as a visit still
/// to come for the admin page.
pub fn booking_on_time(
    service: Option<&ServiceSpec>,
    start: chrono::DateTime<chrono::FixedOffset>,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> bool {
    let grace = service
        .and_then(|s| s.appointments.as_ref())
        .map_or(DEFAULT_GRACE_MIN, |a| a.grace_min);
    now <= start + chrono::Duration::minutes(i64::from(grace))
}

/// A counter (quầy) and the services it serves, in preference order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterSpec {
    pub id: CounterId,
    pub name: String,
    pub services: Vec<ServiceId>,
    pub mode: Mode,
}

/// How a counter picks among its services once priority tickets are considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The longest-waiting ticket across all of the counter's services.
    Fifo,
    /// Service by service in the counter's order; the first service with a ticket wins.
    Ordered,
}

/// A priority class from config (người cao tuổi, người khuyết tật, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriorityClass {
    pub id: String,
    pub name: String,
    pub name_en: String,
}

impl CentreSpec {
    pub fn service(&self, id: &ServiceId) -> Option<&ServiceSpec> {
        self.services.iter().find(|s| &s.id == id)
    }

    pub fn counter(&self, id: CounterId) -> Option<&CounterSpec> {
        self.counters.iter().find(|c| c.id == id)
    }

    pub fn priority(&self, id: &str) -> Option<&PriorityClass> {
        self.priorities.iter().find(|p| p.id == id)
    }
}
