//! A ticket and its lifecycle: waiting → called → done | no_show | transferred | cancelled |
//! expired, with the transitions API.md allows and no others.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Waiting,
    Called,
    Done,
    NoShow,
    Transferred,
    Cancelled,
    Expired,
}

impl Status {
    /// A live ticket still holds its number: it may yet be called (again).
    pub fn is_live(self) -> bool {
        matches!(self, Status::Waiting | Status::Called | Status::NoShow)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Called => "called",
            Status::Done => "done",
            Status::NoShow => "no_show",
            Status::Transferred => "transferred",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }
}

/// The priority class reserved for checked-in appointments.
pub const APPOINTMENT: &str = "appointment";

/// A ticket as stored, journaled and served (full view; public views drop `id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    /// The printed number, prefix included ("1005", "A005").
    pub number: String,
    /// The service whose queue it is in now (changes on transfer).
    pub service: ServiceId,
    /// The service whose range its number came from (never changes).
    pub origin: ServiceId,
    pub priority: Option<String>,
    pub status: Status,
    pub issued_at: DateTime<FixedOffset>,
    pub called_at: Option<DateTime<FixedOffset>>,
    /// The first call (wait = first call − issue); `called_at` is the latest call.
    #[serde(default)]
    pub first_called_at: Option<DateTime<FixedOffset>>,
    pub finished_at: Option<DateTime<FixedOffset>>,
    pub counter: Option<CounterId>,
    pub clerk: Option<StaffId>,
    pub recalls: u32,
    /// Issue order of the day (1, 2, …): ties in issue time break by it.
    pub order: u64,
    /// Start of the appointment slot for checked-in bookings; they are called first once it
    /// has begun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_start: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingCode>,
    /// Issued from a citizen's phone rather than a kiosk.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remote: bool,
    /// Place in queue and estimate; filled for waiting tickets when served, not journaled
    /// as truth (recomputed on every change).
    #[serde(default)]
    pub waiting_ahead: Option<u32>,
    #[serde(default)]
    pub eta_s: Option<u32>,
}

impl Ticket {
    /// A ticket just issued: waiting, never called, `order`-th of its day, with no priority,
    /// appointment or booking (the issuing command sets those it has).
    pub fn issued(
        id: TicketId,
        number: String,
        service: ServiceId,
        issued_at: DateTime<FixedOffset>,
        order: u64,
    ) -> Ticket {
        Ticket {
            id,
            number,
            origin: service.clone(),
            service,
            priority: None,
            status: Status::Waiting,
            issued_at,
            called_at: None,
            first_called_at: None,
            finished_at: None,
            counter: None,
            clerk: None,
            recalls: 0,
            order,
            slot_start: None,
            booking: None,
            remote: false,
            waiting_ahead: None,
            eta_s: None,
        }
    }

    /// Queue order key: original issue time, then issue order. A transfer or requeue keeps it.
    pub fn queue_key(&self) -> (DateTime<FixedOffset>, u64) {
        (self.issued_at, self.order)
    }

    pub fn is_priority(&self) -> bool {
        self.priority.as_deref().is_some_and(|p| p != APPOINTMENT)
    }

    /// An appointment ticket whose slot has begun at `now`.
    pub fn is_due_appointment(&self, now: DateTime<FixedOffset>) -> bool {
        self.priority.as_deref() == Some(APPOINTMENT) && self.slot_start.is_some_and(|s| s <= now)
    }

    /// An appointment ticket that arrived early: it waits for its slot.
    pub fn is_early_appointment(&self, now: DateTime<FixedOffset>) -> bool {
        self.priority.as_deref() == Some(APPOINTMENT) && self.slot_start.is_some_and(|s| s > now)
    }
}

/// Prints a number in a service's range: the prefix, then the value zero-padded to the width
/// of the range's last number ("A" + 5 in 1–999 → "A005").
pub fn format_number(prefix: Option<&str>, value: u32, last: u32) -> String {
    let width = last.to_string().len();
    format!("{}{:0width$}", prefix.unwrap_or(""), value, width = width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_pad_to_range_width() {
        assert_eq!(format_number(None, 1005, 1999), "1005");
        assert_eq!(format_number(Some("A"), 5, 999), "A005");
        assert_eq!(format_number(Some("B"), 12, 99), "B12");
    }

    #[test]
    fn live_statuses() {
        assert!(Status::Waiting.is_live());
        assert!(Status::Called.is_live());
        assert!(Status::NoShow.is_live());
        for s in [
            Status::Done,
            Status::Transferred,
            Status::Cancelled,
            Status::Expired,
        ] {
            assert!(!s.is_live());
        }
    }
}
