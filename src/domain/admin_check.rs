//! The checks of an admin change before it is journalled: the rules `check-config` applies
//! to the file (shared through `domain::rules`), plus what only a running lobby knows — a
//! service with live tickets cannot lose its last counter, the last enabled supervisor
//! cannot be disabled or revoked. A refused change journals nothing, so nothing is ever
//! half-applied. Each refusal names the `field` the page shows it on.

use chrono::{DateTime, FixedOffset};

use super::admin::{AdminChange, DeviceRole};
use super::admin_roster::Roster;
use super::error::DomainError;
use super::ids::ServiceId;
use super::rules;
use super::spec::{booking_on_time, CentreSpec, ServiceSpec};
use super::state::State;

/// Longest staff, device and service name accepted, in characters.
pub const MAX_NAME: usize = 80;
/// Longest notice line, in characters.
pub const MAX_NOTICE: usize = 300;

/// What kind of refusal (its HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BadRequest,
    NotFound,
    Conflict,
    /// 422: the request names something that does not exist (a device's counter).
    Unprocessable,
}

/// Why an admin change is refused: a code, the field it is about and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRefusal {
    pub kind: Kind,
    pub code: &'static str,
    pub field: &'static str,
    pub vi: String,
    pub en: String,
}

fn bad(field: &'static str, vi: impl Into<String>, en: impl Into<String>) -> DomainError {
    refuse(Kind::BadRequest, "invalid_field", field, vi, en)
}

fn refuse(
    kind: Kind,
    code: &'static str,
    field: &'static str,
    vi: impl Into<String>,
    en: impl Into<String>,
) -> DomainError {
    DomainError::Admin(Box::new(AdminRefusal {
        kind,
        code,
        field,
        vi: vi.into(),
        en: en.into(),
    }))
}

fn name(field: &'static str, v: &str) -> Result<(), DomainError> {
    match rules::name_problem(v, MAX_NAME) {
        Some(p) => Err(bad(
            field,
            format!("Tên không hợp lệ (trống, quá {MAX_NAME} ký tự hoặc có ký tự điều khiển)."),
            format!("Invalid name: {p}."),
        )),
        None => Ok(()),
    }
}

fn unknown_staff() -> DomainError {
    refuse(
        Kind::NotFound,
        "unknown_staff",
        "id",
        "Không có cán bộ này.",
        "There is no such staff member.",
    )
}

fn unknown_device() -> DomainError {
    refuse(
        Kind::NotFound,
        "unknown_device",
        "name",
        "Không có thiết bị này (hoặc đã bị thu hồi).",
        "There is no such device (or it was revoked).",
    )
}

fn last_supervisor() -> DomainError {
    refuse(
        Kind::Conflict,
        "last_supervisor",
        "disabled",
        "Không thể khóa hoặc thu hồi giám sát viên cuối cùng: hãy thêm một giám sát viên khác trước.",
        "The last enabled supervisor cannot be disabled or revoked: add another one first.",
    )
}

/// A staff id: 1–32 of `A-Z a-z 0-9 - _ .`.
pub fn staff_id_ok(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Checks `change` against the effective `spec`, the day's `state` and the `roster` at
/// `now`.
pub fn check(
    change: &AdminChange,
    spec: &CentreSpec,
    state: &State,
    roster: &Roster,
    now: DateTime<FixedOffset>,
) -> Result<(), DomainError> {
    match change {
        AdminChange::StaffAdded {
            id,
            name: n,
            pin_hash,
            ..
        } => {
            if !staff_id_ok(&id.0) {
                return Err(bad(
                    "id",
                    "Mã cán bộ gồm 1–32 chữ cái không dấu, chữ số, '-', '_' hoặc '.'.",
                    "A staff id is 1 to 32 of A-Z a-z 0-9 - _ .",
                ));
            }
            if roster.staff(id).is_some() {
                return Err(refuse(
                    Kind::Conflict,
                    "duplicate",
                    "id",
                    format!("Mã cán bộ \"{id}\" đã có."),
                    format!("Staff id \"{id}\" is already taken."),
                ));
            }
            name("name", n)?;
            if pin_hash.is_empty() {
                return Err(bad("pin", "Thiếu mã PIN.", "The PIN is missing."));
            }
        }
        AdminChange::StaffUpdated {
            id,
            name: n,
            disabled,
            ..
        } => {
            let s = roster.staff(id).ok_or_else(unknown_staff)?;
            if let Some(n) = n {
                name("name", n)?;
            }
            if *disabled == Some(true) && s.supervisor && !s.disabled && roster.supervisors() <= 1 {
                return Err(last_supervisor());
            }
        }
        AdminChange::PinReset { id, .. } | AdminChange::PinChanged { id, .. } => {
            roster.staff(id).ok_or_else(unknown_staff)?;
        }
        AdminChange::DeviceAdded {
            name: n,
            role,
            counter,
            token_hash,
        } => {
            name("name", n)?;
            if roster.device(n).is_some() {
                return Err(refuse(
                    Kind::Conflict,
                    "duplicate",
                    "name",
                    format!("Đã có thiết bị tên \"{n}\"."),
                    format!("A device is already called \"{n}\"."),
                ));
            }
            match (role, counter) {
                (DeviceRole::Rating, None) => {
                    return Err(bad(
                        "counter",
                        "Máy đánh giá cần số quầy.",
                        "A rating tablet needs its counter.",
                    ))
                }
                (DeviceRole::Kiosk | DeviceRole::Supervisor, Some(_)) => {
                    return Err(bad(
                        "counter",
                        "Chỉ máy đánh giá và màn hình quầy mới gắn với một quầy.",
                        "Only rating tablets and counter displays belong to a counter.",
                    ))
                }
                // A display with a counter is that counter's own screen (`/display/{n}`).
                (_, Some(c)) if spec.counter(*c).is_none() => {
                    return Err(refuse(
                        Kind::Unprocessable,
                        "unknown_counter",
                        "counter",
                        format!("Không có quầy số {c}."),
                        format!("There is no counter {c}."),
                    ))
                }
                _ => {}
            }
            if token_hash.len() != 64 || roster.devices.iter().any(|d| &d.token_hash == token_hash)
            {
                return Err(bad(
                    "token",
                    "Mã thiết bị không hợp lệ.",
                    "Invalid device token.",
                ));
            }
        }
        AdminChange::DeviceRenamed { name: from, to } => {
            roster.device(from).ok_or_else(unknown_device)?;
            name("name", to)?;
            if from != to && roster.device(to).is_some() {
                return Err(refuse(
                    Kind::Conflict,
                    "duplicate",
                    "name",
                    format!("Đã có thiết bị tên \"{to}\"."),
                    format!("A device is already called \"{to}\"."),
                ));
            }
        }
        AdminChange::DeviceRevoked { name: n } => {
            let d = roster.device(n).ok_or_else(unknown_device)?;
            if d.role == DeviceRole::Supervisor && roster.supervisors() <= 1 {
                return Err(last_supervisor());
            }
        }
        AdminChange::CounterChanged {
            counter, services, ..
        } => {
            let Some(old) = spec.counter(*counter) else {
                return Err(DomainError::UnknownCounter(counter.0));
            };
            if services.is_empty() {
                return Err(bad(
                    "services",
                    "Quầy phải phục vụ ít nhất một lĩnh vực.",
                    format!("A counter {}.", rules::EMPTY_COUNTER),
                ));
            }
            let known: Vec<&str> = spec.services.iter().map(|s| s.id.as_str()).collect();
            let mut so_far: Vec<ServiceId> = Vec::new();
            for s in services {
                if let Some(p) = rules::counter_service_problem(s.as_str(), &so_far, &known) {
                    return Err(bad(
                        "services",
                        format!("Danh sách lĩnh vực không hợp lệ: {p}."),
                        format!("Invalid services: {p}."),
                    ));
                }
                so_far.push(s.clone());
            }
            for dropped in old.services.iter().filter(|s| !services.contains(s)) {
                let elsewhere = spec
                    .counters
                    .iter()
                    .any(|c| c.id != *counter && c.services.contains(dropped));
                if !elsewhere && has_live_tickets(state, dropped) {
                    let (name, name_en) = spec
                        .service(dropped)
                        .map_or((dropped.as_str(), dropped.as_str()), |s| {
                            (s.name.as_str(), s.name_en.as_str())
                        });
                    return Err(refuse(
                        Kind::Conflict,
                        "service_has_tickets",
                        "services",
                        format!(
                            "Lĩnh vực \"{name}\" còn số đang chờ hoặc đang phục vụ và không quầy nào khác phục vụ: \
                             hãy ngừng cấp số lĩnh vực này thay vì bỏ khỏi quầy."
                        ),
                        format!(
                            "Service \"{name_en}\" has live tickets and no other counter serves it: \
                             close it (stop issuing) instead of removing it."
                        ),
                    ));
                }
            }
        }
        AdminChange::ServiceChanged {
            id,
            name: n,
            name_en,
            hours,
            target_wait_s,
            appointments,
            no_appointments,
            ..
        } => {
            let Some(service) = spec.service(id) else {
                return Err(DomainError::UnknownService(id.to_string()));
            };
            if *no_appointments {
                if appointments.is_some() {
                    return Err(bad(
                        "appointments",
                        "Hoặc đặt lịch hẹn, hoặc ngừng nhận lịch hẹn, không cả hai.",
                        "Either set the appointment slots or stop them, not both.",
                    ));
                }
                stopping_appointments(state, service, now)?;
            }
            if let Some(n) = n {
                name("name", n)?;
            }
            if let Some(n) = name_en {
                name("name_en", n)?;
            }
            if let Some(windows) = hours {
                let mut accepted = Vec::new();
                for w in windows {
                    let text = rules::fmt_window(w);
                    if let Some(p) = rules::window_problem(w, &text, &accepted) {
                        return Err(bad(
                            "hours",
                            format!("Giờ làm việc không hợp lệ: {text} (giờ bắt đầu phải trước giờ kết thúc, không chồng nhau)."),
                            format!("Invalid hours: {p}."),
                        ));
                    }
                    accepted.push(*w);
                }
            }
            if let Some(t) = target_wait_s {
                if !(60..=86_400).contains(t) || t % 60 != 0 {
                    return Err(bad(
                        "target_wait_s",
                        "Thời gian chờ mục tiêu phải là số phút tròn, từ 1 phút đến 24 giờ.",
                        "The target wait must be whole minutes, 1 minute to 24 hours.",
                    ));
                }
            }
            if let Some(a) = appointments {
                let short = a
                    .hours
                    .windows
                    .iter()
                    .any(|w| (w.end - w.start).num_minutes() < i64::from(a.slot_min));
                if a.slot_min == 0 || a.capacity == 0 || a.hours.windows.is_empty() || short {
                    return Err(bad(
                        "appointments",
                        "Lịch hẹn không hợp lệ (cần khung giờ dài hơn một lượt, sức chứa ≥ 1).",
                        "Invalid appointments (windows at least one slot long, capacity ≥ 1).",
                    ));
                }
            }
        }
        AdminChange::Redacted { .. } => {
            return Err(bad("change", "Thay đổi không hợp lệ.", "Not a change."));
        }
        AdminChange::NoticeChanged { vi, en } => {
            for (field, v) in [("vi", vi), ("en", en)] {
                let Some(v) = v else { continue };
                if v.chars().count() > MAX_NOTICE || v.chars().any(char::is_control) {
                    return Err(bad(
                        field,
                        format!("Dòng thông báo tối đa {MAX_NOTICE} ký tự, không xuống dòng."),
                        format!("The notice is {MAX_NOTICE} characters at most, on one line."),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A service may stop taking appointments only when no citizen holds a booking still to
/// come (today's or a later day's, not checked in, its grace time not over): such a booking
/// would be silently dropped, so the change is refused with how many there are and the
/// first one's day. A booking past its grace time is not counted: checking it in late gives
/// an ordinary ticket, which needs no appointment slots.
fn stopping_appointments(
    state: &State,
    service: &ServiceSpec,
    now: DateTime<FixedOffset>,
) -> Result<(), DomainError> {
    let mut pending: Vec<DateTime<FixedOffset>> = state
        .bookings
        .values()
        .filter(|b| {
            b.service == service.id
                && b.checked_in.is_none()
                && booking_on_time(Some(service), b.start, now)
        })
        .map(|b| b.start)
        .collect();
    pending.sort_unstable();
    let (Some(first), n) = (pending.first(), pending.len()) else {
        return Ok(());
    };
    let day = first.format("%d/%m/%Y");
    Err(refuse(
        Kind::Conflict,
        "service_has_bookings",
        "appointments",
        format!(
            "Lĩnh vực \"{}\" còn {n} lịch hẹn chưa đến (sớm nhất ngày {day}): không thể ngừng nhận lịch hẹn \
             khi người dân đã đặt. Hãy gọi báo người dân (số điện thoại ở mục Lịch hẹn của trang giám sát) \
             và hủy các lịch hẹn bằng mã lịch hẹn, hoặc giữ lịch hẹn đến hết ngày đã đặt.",
            service.name
        ),
        format!(
            "Service \"{}\" has {n} booking(s) still to come (the first on {day}): appointments cannot \
             stop while citizens hold bookings. Call them (phone numbers in the Appointments card of \
             the supervisor page) and cancel the bookings by their codes, or keep appointments \
             until the booked days are over.",
            service.name_en
        ),
    ))
}

/// Whether the service has a ticket waiting, called or being served.
pub fn has_live_tickets(state: &State, service: &ServiceId) -> bool {
    state
        .tickets
        .values()
        .any(|t| &t.service == service && t.status.is_live())
}
