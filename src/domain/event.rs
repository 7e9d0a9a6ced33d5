//! Events: the one language of xephang. The journal stores them, replay applies them, the
//! WebSocket hub broadcasts them and stats are computed from them.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::admin::{Actor, AdminChange, Overlay};
use super::ids::{BookingCode, CounterId, ServiceId, StaffId, TicketId};
use super::ticket::Ticket;

/// What a counter is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CounterStatus {
    Open,
    Paused,
    Closed,
}

/// The clerk on duty at a counter, as screens show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClerkRef {
    #[schema(value_type = String, example = "nv01")]
    pub id: StaffId,
    pub name: String,
    pub photo: Option<String>,
}

/// Where a rating was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingSource {
    /// The tablet at the counter.
    Counter,
    /// The citizen's phone page, after the visit.
    Phone,
}

/// A rating: one per ticket, attributed to the clerk and counter that served it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub ticket: TicketId,
    pub number: String,
    pub service: ServiceId,
    pub counter: Option<CounterId>,
    pub clerk: Option<StaffId>,
    /// 4 Rất hài lòng, 3 Hài lòng, 2 Bình thường, 1 Không hài lòng.
    pub score: u8,
    pub comment: Option<String>,
    pub source: RatingSource,
    /// A phone number the citizen left to be called back about the visit (personal data:
    /// supervisors only; purged with the day's other personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Figures of the centre's dossier software, shown on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DossierStats {
    pub received: u32,
    pub on_time: u32,
    pub overdue: u32,
    pub as_of: DateTime<FixedOffset>,
}

/// An appointment booking (lịch hẹn). Name and phone are personal data: staff only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub code: BookingCode,
    pub service: ServiceId,
    pub start: DateTime<FixedOffset>,
    pub name: Option<String>,
    pub phone: Option<String>,
    #[serde(default)]
    pub checked_in: Option<TicketId>,
}

/// An opaque per-day tag of the phone that took a remote ticket: a keyed hash (HMAC with the
/// daemon's secret) of its address and `xephang_client` cookie and of the day, so the journal
/// can count a phone's tickets across restarts without holding its address, and a phone's
/// tickets of different days cannot be linked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientTag(pub String);

/// What needs a supervisor's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A waiting ticket has passed its service's target wait.
    TicketOverdue,
    /// A counter has been paused longer than `pause_alert_min`.
    CounterPaused,
    /// A service has waiting tickets but no open counter serves it.
    ServiceUnstaffed,
    /// A kiosk's ticket printer reports its paper roll nearly used up (it still prints).
    PrinterPaperLow,
    /// A kiosk's ticket printer is out of paper (or its cover is open): nothing prints.
    PrinterPaperOut,
    /// A kiosk's ticket printer cannot be reached, does not answer, or reports itself
    /// offline: nothing prints.
    PrinterOffline,
    /// A configured device (TV, counter display, kiosk, rating tablet) has had no connection
    /// for longer than `device_offline_min` during opening hours (`device_alerts.rs`).
    DeviceOffline,
    /// A board's browser blocks its sound (autoplay policy): the calls are not heard.
    AudioBlocked,
}

impl AlertKind {
    /// Kinds raised and cleared by `device_alerts::check` (from the devices' presence) rather
    /// than by `alerts::check` (from the state).
    pub fn is_device(self) -> bool {
        matches!(self, AlertKind::DeviceOffline | AlertKind::AudioBlocked)
    }
}

/// An alert as raised; `key` names the condition so it is raised once and cleared once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    pub key: String,
    pub kind: AlertKind,
    #[schema(value_type = Option<String>)]
    pub service: Option<ServiceId>,
    #[schema(value_type = Option<u32>)]
    pub counter: Option<CounterId>,
    pub number: Option<String>,
    /// When the condition began (issue time, pause time, first waiting ticket, first failed
    /// print, the device's last disconnection).
    pub since: DateTime<FixedOffset>,
    /// The kiosk (device name) whose printer the alert is about; absent for other kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printer: Option<String>,
    /// The device's name (`[[devices]] name`) of a device alert; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// What a counter carries over from one business day to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterCarry {
    pub counter: CounterId,
    pub status: CounterStatus,
    pub clerk: Option<ClerkRef>,
}

/// Everything that happens, in the order it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// First event of every day file: which day, and what outlives a day.
    DayStarted {
        day: NaiveDate,
        #[serde(default)]
        counters: Vec<CounterCarry>,
        #[serde(default)]
        bookings: Vec<Booking>,
        #[serde(default)]
        dossier: Option<DossierStats>,
        /// The admin page's changes so far (`domain::admin`): they outlive the day.
        #[serde(default, skip_serializing_if = "Overlay::is_empty")]
        overlay: Overlay,
    },
    TicketIssued {
        ticket: Ticket,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        booking: Option<BookingCode>,
        /// The phone that took a remote ticket (for `remote_per_client`); absent otherwise,
        /// and in journal lines written before the tag existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<ClientTag>,
    },
    TicketCalled {
        ticket: Ticket,
        counter: CounterId,
        audio: Vec<String>,
    },
    TicketRecalled {
        ticket: Ticket,
        counter: CounterId,
        audio: Vec<String>,
    },
    TicketFinished {
        ticket: Ticket,
        counter: CounterId,
    },
    TicketNoShow {
        ticket: Ticket,
        counter: CounterId,
    },
    TicketRequeued {
        ticket: Ticket,
    },
    TicketTransferred {
        ticket: Ticket,
        from_service: ServiceId,
        counter: Option<CounterId>,
    },
    TicketCancelled {
        ticket: Ticket,
    },
    TicketExpired {
        ticket: Ticket,
    },
    CounterStatus {
        counter: CounterId,
        status: CounterStatus,
    },
    ClerkLogin {
        counter: CounterId,
        clerk: Option<ClerkRef>,
    },
    Rating(Rating),
    DossierStats(DossierStats),
    BookingCreated {
        booking: Booking,
    },
    BookingCancelled {
        code: BookingCode,
        service: ServiceId,
        start: DateTime<FixedOffset>,
    },
    Alert(Alert),
    AlertCleared {
        key: String,
    },
    /// Names and phone numbers of visits before `before` are erased (bookings, call-back
    /// numbers). Raised by the daemon's timer once `personal_data_days` have passed.
    PersonalDataPurged {
        before: NaiveDate,
    },
    /// A change made on the admin page ("Quản trị"), and who made it.
    ConfigChanged {
        change: AdminChange,
        by: Actor,
    },
}

impl Event {
    /// The ticket this event is about, if any.
    pub fn ticket(&self) -> Option<&Ticket> {
        match self {
            Event::TicketIssued { ticket, .. }
            | Event::TicketCalled { ticket, .. }
            | Event::TicketRecalled { ticket, .. }
            | Event::TicketFinished { ticket, .. }
            | Event::TicketNoShow { ticket, .. }
            | Event::TicketRequeued { ticket }
            | Event::TicketTransferred { ticket, .. }
            | Event::TicketCancelled { ticket }
            | Event::TicketExpired { ticket } => Some(ticket),
            _ => None,
        }
    }

    /// The `type` tag, for logs.
    pub fn kind(&self) -> &'static str {
        self.kind_of().as_str()
    }

    /// Which kind of event this is. Exhaustive: a new variant of [`Event`] needs its
    /// [`EventKind`], whose own exhaustive matches (its tag, whether it may carry personal
    /// data) then fail to compile until they say what it is.
    pub fn kind_of(&self) -> EventKind {
        match self {
            Event::DayStarted { .. } => EventKind::DayStarted,
            Event::TicketIssued { .. } => EventKind::TicketIssued,
            Event::TicketCalled { .. } => EventKind::TicketCalled,
            Event::TicketRecalled { .. } => EventKind::TicketRecalled,
            Event::TicketFinished { .. } => EventKind::TicketFinished,
            Event::TicketNoShow { .. } => EventKind::TicketNoShow,
            Event::TicketRequeued { .. } => EventKind::TicketRequeued,
            Event::TicketTransferred { .. } => EventKind::TicketTransferred,
            Event::TicketCancelled { .. } => EventKind::TicketCancelled,
            Event::TicketExpired { .. } => EventKind::TicketExpired,
            Event::CounterStatus { .. } => EventKind::CounterStatus,
            Event::ClerkLogin { .. } => EventKind::ClerkLogin,
            Event::Rating(_) => EventKind::Rating,
            Event::DossierStats(_) => EventKind::DossierStats,
            Event::BookingCreated { .. } => EventKind::BookingCreated,
            Event::BookingCancelled { .. } => EventKind::BookingCancelled,
            Event::Alert(_) => EventKind::Alert,
            Event::AlertCleared { .. } => EventKind::AlertCleared,
            Event::PersonalDataPurged { .. } => EventKind::PersonalDataPurged,
            Event::ConfigChanged { .. } => EventKind::ConfigChanged,
        }
    }
}

/// The kinds of [`Event`], without their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    DayStarted,
    TicketIssued,
    TicketCalled,
    TicketRecalled,
    TicketFinished,
    TicketNoShow,
    TicketRequeued,
    TicketTransferred,
    TicketCancelled,
    TicketExpired,
    CounterStatus,
    ClerkLogin,
    Rating,
    DossierStats,
    BookingCreated,
    BookingCancelled,
    Alert,
    AlertCleared,
    PersonalDataPurged,
    ConfigChanged,
}

impl EventKind {
    /// Every kind (to read a tag back; a kind missing here reads back as unknown).
    pub const ALL: [EventKind; 20] = [
        EventKind::DayStarted,
        EventKind::TicketIssued,
        EventKind::TicketCalled,
        EventKind::TicketRecalled,
        EventKind::TicketFinished,
        EventKind::TicketNoShow,
        EventKind::TicketRequeued,
        EventKind::TicketTransferred,
        EventKind::TicketCancelled,
        EventKind::TicketExpired,
        EventKind::CounterStatus,
        EventKind::ClerkLogin,
        EventKind::Rating,
        EventKind::DossierStats,
        EventKind::BookingCreated,
        EventKind::BookingCancelled,
        EventKind::Alert,
        EventKind::AlertCleared,
        EventKind::PersonalDataPurged,
        EventKind::ConfigChanged,
    ];

    /// The `type` tag of events of this kind in the journal and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::DayStarted => "day_started",
            EventKind::TicketIssued => "ticket_issued",
            EventKind::TicketCalled => "ticket_called",
            EventKind::TicketRecalled => "ticket_recalled",
            EventKind::TicketFinished => "ticket_finished",
            EventKind::TicketNoShow => "ticket_no_show",
            EventKind::TicketRequeued => "ticket_requeued",
            EventKind::TicketTransferred => "ticket_transferred",
            EventKind::TicketCancelled => "ticket_cancelled",
            EventKind::TicketExpired => "ticket_expired",
            EventKind::CounterStatus => "counter_status",
            EventKind::ClerkLogin => "clerk_login",
            EventKind::Rating => "rating",
            EventKind::DossierStats => "dossier_stats",
            EventKind::BookingCreated => "booking_created",
            EventKind::BookingCancelled => "booking_cancelled",
            EventKind::Alert => "alert",
            EventKind::AlertCleared => "alert_cleared",
            EventKind::PersonalDataPurged => "personal_data_purged",
            EventKind::ConfigChanged => "config_changed",
        }
    }

    /// The kind whose `type` tag is `tag`, if any.
    pub fn from_tag(tag: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == tag)
    }
}

/// An event with its place in history: the journal line and the WebSocket frame carry this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Sequence number, strictly increasing by one, never reused (it continues across days).
    pub seq: u64,
    pub at: DateTime<FixedOffset>,
    pub event: Event,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `ticket_issued` journal line as written before remote tickets carried a client tag.
    const OLD_LINE: &str = r#"{"seq":7,"at":"2026-11-23T08:00:07+07:00","event":{"type":"ticket_issued","ticket":{"id":"01JD0000000000000000000000","number":"2001","service":"tuxa","origin":"tuxa","priority":null,"status":"waiting","issued_at":"2026-11-23T08:00:07+07:00","called_at":null,"first_called_at":null,"finished_at":null,"counter":null,"clerk":null,"recalls":0,"order":1,"remote":true,"waiting_ahead":0,"eta_s":0}}}"#;

    #[test]
    fn old_ticket_issued_lines_parse_without_a_client_tag() {
        let env: Envelope = serde_json::from_str(OLD_LINE).expect("old line parses");
        let Event::TicketIssued {
            ticket,
            booking,
            client,
        } = &env.event
        else {
            panic!("not ticket_issued: {env:?}");
        };
        assert!(ticket.remote);
        assert_eq!((booking, client), (&None, &None));
        // Without a tag the line is written as before: no `client` key.
        let again = serde_json::to_value(&env).expect("serialises");
        assert!(again["event"].get("client").is_none(), "{again}");
    }

    #[test]
    fn the_client_tag_round_trips() {
        let mut env: Envelope = serde_json::from_str(OLD_LINE).expect("old line parses");
        if let Event::TicketIssued { client, .. } = &mut env.event {
            *client = Some(ClientTag("0123456789abcdef".into()));
        }
        let json = serde_json::to_value(&env).expect("serialises");
        assert_eq!(json["event"]["client"], "0123456789abcdef");
        let back: Envelope = serde_json::from_value(json).expect("parses");
        assert_eq!(back, env);
    }
}
