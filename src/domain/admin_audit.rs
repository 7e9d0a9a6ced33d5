//! The audit list of the admin page: who changed what and when, in words for the page
//! (Vietnamese first, English second). Built from each `config_changed` event as it is
//! folded, kept in the overlay (the latest [`super::admin::AUDIT_KEPT`]), so it outlives a
//! day change and a restart like the changes themselves.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::admin::{Actor, AdminChange};
use super::spec::Mode;

/// One change as the audit list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<FixedOffset>,
    pub by: Actor,
    /// The change's tag (`staff_added`, …).
    pub change: String,
    pub summary: String,
    pub summary_en: String,
}

impl AuditEntry {
    pub fn of(change: &AdminChange, by: &Actor, seq: u64, at: DateTime<FixedOffset>) -> Self {
        let (summary, summary_en) = summary(change);
        AuditEntry {
            seq,
            at,
            by: by.clone(),
            change: change.kind().to_string(),
            summary,
            summary_en,
        }
    }
}

/// The change in a line, in Vietnamese and English (never a hash).
pub fn summary(change: &AdminChange) -> (String, String) {
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
            let list: Vec<&str> = services.iter().map(|s| s.as_str()).collect();
            let (m, m_en) = match mode {
                Mode::Fifo => ("gọi theo thứ tự lấy số", "first come first served"),
                Mode::Ordered => ("ưu tiên theo thứ tự lĩnh vực", "services in order"),
            };
            (
                format!("Quầy {counter}: lĩnh vực {} ({m})", list.join(", ")),
                format!("Counter {counter}: services {} ({m_en})", list.join(", ")),
            )
        }
        AdminChange::ServiceChanged { id, closed, .. } => match closed {
            Some(true) => (
                format!("Ngừng cấp số lĩnh vực {id}"),
                format!("Stopped issuing tickets for service {id}"),
            ),
            Some(false) => (
                format!("Mở lại cấp số lĩnh vực {id}"),
                format!("Resumed issuing tickets for service {id}"),
            ),
            None => (
                format!("Sửa lĩnh vực {id}"),
                format!("Changed service {id}"),
            ),
        },
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
