//! The audit list of the admin page: who changed what and when, in words for the page
//! (Vietnamese first, English second). Built from each `config_changed` event as it is
//! folded, kept in the overlay (the latest [`super::admin::AUDIT_KEPT`]), so it outlives a
//! day change and a restart like the changes themselves.
//!
//! Services are named when the list is **read** ([`AuditEntry::rendered`], with the
//! effective spec of that moment), never when it is folded: the lobby folds its events with
//! the live spec but replays them with the spec of the restart, so a name taken at fold time
//! would differ between the two. What is folded is only what the event says (the stored
//! summary names services by id; the queue changes keep the change itself as `detail`).

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::admin::{Actor, AdminChange};
use super::ids::ServiceId;
use super::spec::{CentreSpec, Mode};

/// One change as the audit list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<FixedOffset>,
    pub by: Actor,
    /// The change's tag (`staff_added`, …).
    pub change: String,
    /// With services by id (as folded; see the module doc).
    pub summary: String,
    pub summary_en: String,
    /// The change itself, for the changes that name services (counters and services: no
    /// secret in them), so that [`AuditEntry::rendered`] can name them when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<AdminChange>,
}

impl AuditEntry {
    pub fn of(change: &AdminChange, by: &Actor, seq: u64, at: DateTime<FixedOffset>) -> Self {
        let (summary, summary_en) = summary(change, &by_id);
        let detail = matches!(
            change,
            AdminChange::CounterChanged { .. } | AdminChange::ServiceChanged { .. }
        )
        .then(|| change.clone());
        AuditEntry {
            seq,
            at,
            by: by.clone(),
            change: change.kind().to_string(),
            summary,
            summary_en,
            detail,
        }
    }

    /// The summary with services named as `spec` (the effective one, at read time) names
    /// them, Vietnamese and English; a service no longer in it keeps its id.
    pub fn rendered(&self, spec: &CentreSpec) -> (String, String) {
        match &self.detail {
            Some(change) => summary(change, &|id| {
                spec.service(id).map_or_else(
                    || by_id(id),
                    |s| {
                        let en = if s.name_en.is_empty() {
                            &s.name
                        } else {
                            &s.name_en
                        };
                        (format!("{} ({id})", s.name), format!("{en} ({id})"))
                    },
                )
            }),
            None => (self.summary.clone(), self.summary_en.clone()),
        }
    }
}

/// A service as it is called in a summary: Vietnamese and English.
type Namer<'a> = dyn Fn(&ServiceId) -> (String, String) + 'a;

/// A service by its id alone (at fold time).
fn by_id(id: &ServiceId) -> (String, String) {
    (id.to_string(), id.to_string())
}

/// The change in a line, in Vietnamese and English (never a hash), services as `named`
/// calls them.
pub fn summary(change: &AdminChange, named: &Namer<'_>) -> (String, String) {
    match change {
        AdminChange::StaffAdded {
            id,
            name,
            supervisor,
            ..
        } => {
            let (vi, en) = if *supervisor {
                ("Thêm giám sát viên", "Added supervisor")
            } else {
                ("Thêm cán bộ", "Added staff")
            };
            (format!("{vi} {name} ({id})"), format!("{en} {name} ({id})"))
        }
        AdminChange::StaffUpdated {
            id,
            name,
            disabled,
            photo,
        } => {
            let mut vi = Vec::new();
            let mut en = Vec::new();
            if let Some(n) = name {
                vi.push(format!("đổi tên thành {n}"));
                en.push(format!("renamed to {n}"));
            }
            match disabled {
                Some(true) => {
                    vi.push("khóa tài khoản".into());
                    en.push("disabled".into());
                }
                Some(false) => {
                    vi.push("mở khóa tài khoản".into());
                    en.push("enabled".into());
                }
                None => {}
            }
            if photo.is_some() {
                vi.push("cập nhật ảnh".into());
                en.push("new photo".into());
            }
            (
                format!("Cán bộ {id}: {}", vi.join(", ")),
                format!("Staff {id}: {}", en.join(", ")),
            )
        }
        AdminChange::PinReset { id, .. } => (
            format!("Cấp mã PIN tạm thời cho cán bộ {id}"),
            format!("Reset the PIN of staff {id}"),
        ),
        AdminChange::PinChanged { id, .. } => (
            format!("Cán bộ {id} đổi mã PIN"),
            format!("Staff {id} changed their PIN"),
        ),
        AdminChange::DeviceAdded {
            name,
            role,
            counter,
            ..
        } => {
            let at = counter.map_or(String::new(), |c| format!(", quầy {c}"));
            let at_en = counter.map_or(String::new(), |c| format!(", counter {c}"));
            (
                format!("Thêm thiết bị {name} ({}{at})", role.as_str()),
                format!("Added device {name} ({}{at_en})", role.as_str()),
            )
        }
        AdminChange::DeviceRenamed { name, to } => (
            format!("Đổi tên thiết bị {name} thành {to}"),
            format!("Renamed device {name} to {to}"),
        ),
        AdminChange::DeviceRevoked { name } => (
            format!("Thu hồi thiết bị {name}"),
            format!("Revoked device {name}"),
        ),
        AdminChange::CounterChanged {
            counter,
            services,
            mode,
        } => {
            let (list, list_en): (Vec<String>, Vec<String>) = services.iter().map(named).unzip();
            let (m, m_en) = match mode {
                Mode::Fifo => ("gọi theo thứ tự lấy số", "first come first served"),
                Mode::Ordered => ("ưu tiên theo thứ tự lĩnh vực", "services in order"),
            };
            (
                format!("Quầy {counter}: lĩnh vực {} ({m})", list.join(", ")),
                format!(
                    "Counter {counter}: services {} ({m_en})",
                    list_en.join(", ")
                ),
            )
        }
        AdminChange::ServiceChanged { id, closed, .. } => {
            let (name, name_en) = named(id);
            let (vi, en) = match closed {
                Some(true) => (
                    format!("Ngừng cấp số lĩnh vực {name}"),
                    format!("Stopped issuing tickets for service {name_en}"),
                ),
                Some(false) => (
                    format!("Mở lại cấp số lĩnh vực {name}"),
                    format!("Resumed issuing tickets for service {name_en}"),
                ),
                None => (
                    format!("Sửa lĩnh vực {name}"),
                    format!("Changed service {name_en}"),
                ),
            };
            let (parts, parts_en) = service_parts(change);
            if parts.is_empty() {
                (vi, en)
            } else {
                (
                    format!("{vi}: {}", parts.join(", ")),
                    format!("{en}: {}", parts_en.join(", ")),
                )
            }
        }
        AdminChange::Redacted { of } => (
            format!("Thay đổi khác ({of})"),
            format!("Other change ({of})"),
        ),
        AdminChange::NoticeChanged { vi, .. } => (
            format!("Đổi dòng thông báo: {}", vi.as_deref().unwrap_or("(trống)")),
            format!("Changed the notice: {}", vi.as_deref().unwrap_or("(empty)")),
        ),
    }
}

/// What a service change changes besides `closed`, in words (Vietnamese, English).
fn service_parts(change: &AdminChange) -> (Vec<&'static str>, Vec<&'static str>) {
    let AdminChange::ServiceChanged {
        name,
        name_en,
        hours,
        target_wait_s,
        remote,
        appointments,
        no_appointments,
        ..
    } = change
    else {
        return (Vec::new(), Vec::new());
    };
    let mut out = Vec::new();
    if name.is_some() || name_en.is_some() {
        out.push(("tên", "name"));
    }
    if hours.is_some() {
        out.push(("giờ cấp số", "issuing hours"));
    }
    if target_wait_s.is_some() {
        out.push(("thời gian chờ mục tiêu", "target wait"));
    }
    match remote {
        Some(true) => out.push(("cho lấy số qua điện thoại", "phone tickets on")),
        Some(false) => out.push(("không lấy số qua điện thoại", "phone tickets off")),
        None => {}
    }
    if appointments.is_some() {
        out.push(("lịch hẹn", "appointment slots"));
    }
    if *no_appointments {
        out.push(("ngừng nhận lịch hẹn", "appointments stopped"));
    }
    out.into_iter().unzip()
}
