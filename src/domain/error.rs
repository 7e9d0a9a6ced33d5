//! Why a command was refused, with the API's error code and a message in Vietnamese and
//! English. A refused command changes nothing.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("unknown service {0}")]
    UnknownService(String),
    #[error("unknown counter {0}")]
    UnknownCounter(u32),
    #[error("unknown priority class {0}")]
    UnknownPriority(String),
    #[error("service {0} is closed")]
    ServiceClosed(Names),
    #[error("service {0} takes appointments only")]
    AppointmentOnly(Names),
    #[error("service {0} does not issue tickets to phones")]
    NotRemote(Names),
    #[error("no current ticket at the counter")]
    NoCurrentTicket,
    #[error("ticket already rated")]
    AlreadyRated,
    #[error("invalid state: {0}")]
    InvalidState(Reason),
    #[error("ticket not found")]
    TicketNotFound,
    #[error("number range of {0} exhausted")]
    RangeExhausted(Names),
    #[error("slot full")]
    SlotFull,
    #[error("not a bookable slot")]
    NoSuchSlot,
    #[error("unknown booking")]
    UnknownBooking,
    #[error("already checked in")]
    AlreadyCheckedIn,
    #[error("score must be 1 to 4")]
    BadScore,
    #[error("comment too long")]
    CommentTooLong,
    #[error("the ticket was not served at this counter")]
    NotThisCounter,
    /// A clerk's counter command reached the writer after another clerk took the counter.
    #[error("the clerk is no longer on duty at counter {0}")]
    NotOnDuty(u32),
    #[error("booking code already in use")]
    CodeTaken,
    #[error("service {0} has given out all its phone tickets today")]
    RemoteCapReached(Names),
    /// This phone took its `remote_per_client` tickets today.
    #[error("this phone took its {0} tickets today")]
    ClientCapReached(u32),
    #[error("not a phone number")]
    BadPhone,
    #[error("name too long or with control characters")]
    BadName,
    /// An admin page change refused (`admin_check.rs`): its own code and field.
    #[error("{}", .0.en)]
    Admin(Box<super::admin_check::AdminRefusal>),
}

/// A service's name in Vietnamese and English, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub vi: String,
    pub en: String,
}

impl Names {
    pub fn of(s: &super::spec::ServiceSpec) -> Names {
        Names {
            vi: s.name.clone(),
            en: s.name_en.clone(),
        }
    }
}

impl std::fmt::Display for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

/// Why a transition is not allowed from the ticket's or counter's present state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    CounterNotOpen,
    NotWaiting,
    NotNoShow,
    NotDone,
    SameService,
    ServiceNotAtCounter,
    BookingNotToday,
    NotYourCounter,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.en())
    }
}

impl Reason {
    fn vi(self) -> &'static str {
        match self {
            Reason::CounterNotOpen => "Quầy đang tạm dừng hoặc đóng; hãy mở quầy trước.",
            Reason::NotWaiting => "Số thứ tự không còn ở trạng thái chờ.",
            Reason::NotNoShow => "Chỉ số vắng mặt mới được đưa lại vào hàng chờ.",
            Reason::NotDone => "Chỉ đánh giá được số đã phục vụ xong.",
            Reason::SameService => "Số thứ tự đã ở lĩnh vực này.",
            Reason::ServiceNotAtCounter => "Quầy này không phục vụ lĩnh vực đó.",
            Reason::BookingNotToday => "Lịch hẹn không phải hôm nay.",
            Reason::NotYourCounter => "Cán bộ không đang làm việc tại quầy này.",
        }
    }
    fn en(self) -> &'static str {
        match self {
            Reason::CounterNotOpen => "The counter is paused or closed; open it first.",
            Reason::NotWaiting => "The ticket is no longer waiting.",
            Reason::NotNoShow => "Only a no-show ticket can be put back in the queue.",
            Reason::NotDone => "Only a served ticket can be rated.",
            Reason::SameService => "The ticket is already in that service.",
            Reason::ServiceNotAtCounter => "This counter does not serve that service.",
            Reason::BookingNotToday => "The booking is not for today.",
            Reason::NotYourCounter => "This clerk is not on duty at this counter.",
        }
    }
}

/// What kind of refusal an error is, for the API's status code (the domain knows no HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request itself is malformed or out of range (400).
    BadRequest,
    /// The caller may not do this (403).
    Forbidden,
    /// What it names does not exist (404).
    NotFound,
    /// It conflicts with the current state (409).
    Conflict,
    /// A cap was reached; later may work (429).
    RateLimited,
    /// Well-formed, but it names something that does not exist (422).
    Unprocessable,
}

impl DomainError {
    /// The kind of refusal: one exhaustive match, so a new error must choose its status.
    pub fn refusal(&self) -> Refusal {
        match self {
            DomainError::UnknownPriority(_)
            | DomainError::BadScore
            | DomainError::CommentTooLong
            | DomainError::NoSuchSlot
            | DomainError::BadPhone
            | DomainError::BadName => Refusal::BadRequest,
            DomainError::NotThisCounter => Refusal::Forbidden,
            DomainError::Admin(a) => match a.kind {
                super::admin_check::Kind::BadRequest => Refusal::BadRequest,
                super::admin_check::Kind::NotFound => Refusal::NotFound,
                super::admin_check::Kind::Conflict => Refusal::Conflict,
                super::admin_check::Kind::Unprocessable => Refusal::Unprocessable,
            },
            DomainError::UnknownService(_)
            | DomainError::UnknownCounter(_)
            | DomainError::UnknownBooking
            | DomainError::TicketNotFound => Refusal::NotFound,
            DomainError::RemoteCapReached(_) | DomainError::ClientCapReached(_) => {
                Refusal::RateLimited
            }
            DomainError::ServiceClosed(_)
            | DomainError::AppointmentOnly(_)
            | DomainError::NotRemote(_)
            | DomainError::NoCurrentTicket
            | DomainError::AlreadyRated
            | DomainError::InvalidState(_)
            | DomainError::CodeTaken
            | DomainError::RangeExhausted(_)
            | DomainError::SlotFull
            | DomainError::AlreadyCheckedIn
            | DomainError::NotOnDuty(_) => Refusal::Conflict,
        }
    }

    /// The API error code (API.md).
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::UnknownService(_) => "unknown_service",
            DomainError::UnknownCounter(_) => "unknown_counter",
            DomainError::UnknownPriority(_)
            | DomainError::BadScore
            | DomainError::CommentTooLong
            | DomainError::NoSuchSlot
            | DomainError::BadPhone
            | DomainError::BadName => "bad_request",
            DomainError::ServiceClosed(_)
            | DomainError::AppointmentOnly(_)
            | DomainError::NotRemote(_) => "service_closed",
            DomainError::NoCurrentTicket => "no_current_ticket",
            DomainError::AlreadyRated => "already_rated",
            DomainError::InvalidState(_) | DomainError::CodeTaken => "invalid_state",
            DomainError::TicketNotFound => "not_found",
            DomainError::RangeExhausted(_) => "range_exhausted",
            DomainError::SlotFull => "slot_full",
            DomainError::UnknownBooking => "unknown_booking",
            DomainError::AlreadyCheckedIn => "already_checked_in",
            DomainError::NotThisCounter => "forbidden",
            DomainError::NotOnDuty(_) => "not_on_duty",
            DomainError::RemoteCapReached(_) | DomainError::ClientCapReached(_) => "rate_limited",
            DomainError::Admin(a) => a.code,
        }
    }

    /// The request field the refusal is about (admin changes), for the page to show it on.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DomainError::Admin(a) => Some(a.field),
            DomainError::UnknownService(_) => Some("service"),
            DomainError::UnknownCounter(_) => Some("counter"),
            _ => None,
        }
    }

    /// The message for people, in Vietnamese or (with `en`) English.
    pub fn message(&self, en: bool) -> String {
        let (vi, en_text): (String, String) = match self {
            DomainError::UnknownService(s) => (
                format!("Không có lĩnh vực \"{s}\"."),
                format!("There is no service \"{s}\"."),
            ),
            DomainError::UnknownCounter(n) => (
                format!("Không có quầy số {n}."),
                format!("There is no counter {n}."),
            ),
            DomainError::UnknownPriority(p) => (
                format!("Không có đối tượng ưu tiên \"{p}\"."),
                format!("There is no priority class \"{p}\"."),
            ),
            DomainError::ServiceClosed(s) => (
                format!(
                    "Lĩnh vực \"{}\" hiện không nhận hồ sơ (ngoài giờ làm việc).",
                    s.vi
                ),
                format!("Service \"{}\" is closed at this time.", s.en),
            ),
            DomainError::AppointmentOnly(s) => (
                format!("Lĩnh vực \"{}\" chỉ tiếp nhận theo lịch hẹn.", s.vi),
                format!("Service \"{}\" is by appointment only.", s.en),
            ),
            DomainError::NotRemote(s) => (
                format!("Lĩnh vực \"{}\" không cấp số qua điện thoại.", s.vi),
                format!("Service \"{}\" does not issue tickets to phones.", s.en),
            ),
            DomainError::NoCurrentTicket => (
                "Quầy chưa gọi số nào.".into(),
                "The counter has no current ticket.".into(),
            ),
            DomainError::AlreadyRated => (
                "Số thứ tự này đã được đánh giá.".into(),
                "This ticket has already been rated.".into(),
            ),
            DomainError::InvalidState(r) => (r.vi().into(), r.en().into()),
            DomainError::TicketNotFound => (
                "Không tìm thấy số thứ tự.".into(),
                "Ticket not found.".into(),
            ),
            DomainError::RangeExhausted(s) => (
                format!("Lĩnh vực \"{}\" đã hết số trong ngày.", s.vi),
                format!("Service \"{}\" has run out of numbers for today.", s.en),
            ),
            DomainError::SlotFull => (
                "Khung giờ này đã đủ lượt hẹn.".into(),
                "This slot is fully booked.".into(),
            ),
            DomainError::NoSuchSlot => (
                "Không có khung giờ hẹn này.".into(),
                "There is no such appointment slot.".into(),
            ),
            DomainError::UnknownBooking => (
                "Mã lịch hẹn không đúng.".into(),
                "Unknown booking code.".into(),
            ),
            DomainError::AlreadyCheckedIn => (
                "Mã lịch hẹn này đã được sử dụng.".into(),
                "This booking has already been checked in.".into(),
            ),
            DomainError::BadScore => (
                "Mức đánh giá phải từ 1 đến 4.".into(),
                "The score must be 1 to 4.".into(),
            ),
            DomainError::CommentTooLong => (
                "Góp ý quá dài (tối đa 500 ký tự).".into(),
                "The comment is too long (500 characters at most).".into(),
            ),
            DomainError::NotThisCounter => (
                "Số thứ tự này không được phục vụ tại quầy này.".into(),
                "This ticket was not served at this counter.".into(),
            ),
            DomainError::NotOnDuty(n) => (
                format!(
                    "Bạn không còn làm việc tại quầy {n} (một cán bộ khác đã đăng nhập quầy này); \
                     thao tác không được thực hiện. Hãy đăng nhập lại."
                ),
                format!(
                    "You are no longer on duty at counter {n} (another clerk logged in there); \
                     nothing was done. Log in again."
                ),
            ),
            DomainError::CodeTaken => (
                "Mã lịch hẹn bị trùng, hãy thử lại.".into(),
                "Booking code collision, try again.".into(),
            ),
            DomainError::ClientCapReached(cap) => (
                format!("Mỗi điện thoại chỉ được lấy {cap} số từ xa mỗi ngày; mời lấy số tại ki-ốt."),
                format!("A phone may take {cap} tickets from home per day; please use the kiosk."),
            ),
            DomainError::RemoteCapReached(s) => (
                format!(
                    "Lĩnh vực \"{}\" đã hết lượt lấy số qua điện thoại hôm nay; mời lấy số tại ki-ốt.",
                    s.vi
                ),
                format!(
                    "Service \"{}\" has given out all of today's phone tickets; please use the kiosk.",
                    s.en
                ),
            ),
            DomainError::BadPhone => (
                "Số điện thoại không hợp lệ (8–15 chữ số).".into(),
                "Not a valid phone number (8 to 15 digits).".into(),
            ),
            DomainError::BadName => (
                "Họ tên quá dài (tối đa 80 ký tự) hoặc có ký tự không hợp lệ.".into(),
                "The name is too long (80 characters at most) or has invalid characters.".into(),
            ),
            DomainError::Admin(a) => (a.vi.clone(), a.en.clone()),
        };
        if en {
            en_text
        } else {
            vi
        }
    }
}
