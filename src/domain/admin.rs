//! Day-to-day changes of the centre made on the supervisor's "Quản trị" page (issue 20):
//! staff, devices, counters, services and the notice line, as journalled events.
//!
//! The config file stays the first set-up; each change made on the page is an
//! [`AdminChange`] carried by one `config_changed` event, folded by `State::apply` into the
//! [`Overlay`]: the journalled layer over the file. The **effective** configuration is the
//! file's plus the overlay ([`Overlay::effective`] for the queue rules, [`Overlay::roster`]
//! for who may sign in). `day_started` carries the overlay, so a day change and a restart
//! (which replays the last day file) keep every change. Credentials are hashes only: a PIN's
//! argon2 PHC string, a device token's SHA-256 hex.
//!
//! The checks of a change are in `admin_check.rs`, its audit wording in `admin_audit.rs`.

use std::collections::VecDeque;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::ids::{CounterId, ServiceId, StaffId};
use super::spec::{CentreSpec, Mode, SlotSpec, TimeWindow};

pub use super::admin_audit::AuditEntry;

/// Audit entries the overlay keeps (the oldest are dropped first).
pub const AUDIT_KEPT: usize = 500;

/// What a device token allows (see the roles in docs/API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    Display,
    Kiosk,
    Rating,
    Supervisor,
}

impl DeviceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::Display => "display",
            DeviceRole::Kiosk => "kiosk",
            DeviceRole::Rating => "rating",
            DeviceRole::Supervisor => "supervisor",
        }
    }
}

/// Who made a change: a supervisor's staff id and name, or a supervisor device
/// (`device:<name>` and its name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub name: String,
}

/// One change made on the admin page (the `change` of a `config_changed` event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum AdminChange {
    StaffAdded {
        id: StaffId,
        name: String,
        supervisor: bool,
        pin_hash: String,
    },
    StaffUpdated {
        id: StaffId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disabled: Option<bool>,
        /// File name of the new photo under the data dir's `photos/`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        photo: Option<String>,
    },
    /// A supervisor gave the clerk a one-time PIN: it must be changed at the next login.
    PinReset {
        id: StaffId,
        pin_hash: String,
    },
    /// The clerk chose their own PIN.
    PinChanged {
        id: StaffId,
        pin_hash: String,
    },
    DeviceAdded {
        name: String,
        role: DeviceRole,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        counter: Option<CounterId>,
        /// SHA-256 hex of the device's token.
        token_hash: String,
    },
    DeviceRenamed {
        name: String,
        to: String,
    },
    DeviceRevoked {
        name: String,
    },
    CounterChanged {
        counter: CounterId,
        services: Vec<ServiceId>,
        mode: Mode,
    },
    ServiceChanged {
        id: ServiceId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_en: Option<String>,
        /// Issuing windows (the days stay those of the file).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hours: Option<Vec<TimeWindow>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_wait_s: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remote: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        appointments: Option<SlotSpec>,
        /// Stop taking appointments (`"appointments": false` on the page); refused while
        /// citizens hold bookings still to come (see `admin_check`).
        #[serde(default, skip_serializing_if = "is_false")]
        no_appointments: bool,
        /// Stop (true) or resume (false) issuing tickets; live tickets are still served.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        closed: Option<bool>,
    },
    NoticeChanged {
        vi: Option<String>,
        en: Option<String>,
    },
    /// A change about who may sign in, as it leaves the lobby (uplink) or reaches a
    /// non-supervisor screen: only its kind (`of`). Folding it changes nothing.
    Redacted {
        of: String,
    },
}

impl AdminChange {
    /// The `change` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            AdminChange::StaffAdded { .. } => "staff_added",
            AdminChange::StaffUpdated { .. } => "staff_updated",
            AdminChange::PinReset { .. } => "pin_reset",
            AdminChange::PinChanged { .. } => "pin_changed",
            AdminChange::DeviceAdded { .. } => "device_added",
            AdminChange::DeviceRenamed { .. } => "device_renamed",
            AdminChange::DeviceRevoked { .. } => "device_revoked",
            AdminChange::CounterChanged { .. } => "counter_changed",
            AdminChange::ServiceChanged { .. } => "service_changed",
            AdminChange::NoticeChanged { .. } => "notice_changed",
            AdminChange::Redacted { .. } => "redacted",
        }
    }

    /// About who may sign in (staff, PINs, devices): never leaves the lobby (uplink) and
    /// never reaches a socket but the supervisors'.
    pub fn is_roster(&self) -> bool {
        !matches!(
            self,
            AdminChange::CounterChanged { .. }
                | AdminChange::ServiceChanged { .. }
                | AdminChange::NoticeChanged { .. }
        )
    }

    /// Only the kind of change (see [`AdminChange::Redacted`]).
    pub fn redacted(&self) -> AdminChange {
        match self {
            AdminChange::Redacted { of } => AdminChange::Redacted { of: of.clone() },
            other => AdminChange::Redacted {
                of: other.kind().to_string(),
            },
        }
    }

    /// The change without its hashes (for sockets).
    pub fn without_secrets(&self) -> AdminChange {
        let mut c = self.clone();
        match &mut c {
            AdminChange::StaffAdded { pin_hash, .. }
            | AdminChange::PinReset { pin_hash, .. }
            | AdminChange::PinChanged { pin_hash, .. } => pin_hash.clear(),
            AdminChange::DeviceAdded { token_hash, .. } => token_hash.clear(),
            _ => {}
        }
        c
    }
}

/// A staff member as changed on the page (`added`: created there, not in the file).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPatch {
    pub id: StaffId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<String>,
    /// Set by a PIN reset, cleared by the clerk's own PIN; None: as in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_change_pin: Option<bool>,
    /// None: as in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
    #[serde(default)]
    pub added: bool,
}

/// A device as changed on the page: `origin` is its name in the file (or when added).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePatch {
    pub origin: String,
    pub name: String,
    #[serde(default)]
    pub revoked: bool,
    /// Role, counter and token hash of a device added on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<(DeviceRole, Option<CounterId>, String)>,
}

/// A service as changed on the page (None: as in the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePatch {
    pub id: ServiceId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<Vec<TimeWindow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_wait_s: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointments: Option<SlotSpec>,
    /// Appointments stopped on the page (whatever the file says) until slots are set again.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_appointments: bool,
    /// Stopped (true) or resumed (false) issuing on the page; None: as in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<bool>,
}

/// A counter's services and mode as set on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterPatch {
    pub counter: CounterId,
    pub services: Vec<ServiceId>,
    pub mode: Mode,
}

/// The notice line as set on the page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Notice {
    pub vi: Option<String>,
    pub en: Option<String>,
}

/// The journalled layer over the config file (see the module documentation).
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Overlay {
    /// Changes folded so far (readers rebuild what they derive when it moves).
    #[serde(default)]
    pub version: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<StaffPatch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DevicePatch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<CounterPatch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServicePatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
    /// The latest changes, oldest first (at most [`AUDIT_KEPT`]).
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    pub audit: VecDeque<AuditEntry>,
}

// Debug by hand: the patches hold PIN and token hashes.
impl std::fmt::Debug for Overlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay")
            .field("version", &self.version)
            .field("staff", &self.staff.len())
            .field("devices", &self.devices.len())
            .field("counters", &self.counters)
            .field("services", &self.services)
            .field("notice", &self.notice)
            .field("audit", &self.audit.len())
            .finish()
    }
}

impl Overlay {
    pub fn is_empty(&self) -> bool {
        *self == Overlay::default()
    }

    /// What may leave the lobby or reach a screen: the queue rules' part only (no staff,
    /// device, hash or audit).
    pub fn public_part(&self) -> Overlay {
        Overlay {
            version: self.version,
            counters: self.counters.clone(),
            services: self.services.clone(),
            notice: self.notice.clone(),
            ..Overlay::default()
        }
    }

    /// Folds one change (already checked by `decide`), and its audit entry.
    pub fn apply(&mut self, change: &AdminChange, by: &Actor, seq: u64, at: DateTime<FixedOffset>) {
        if let AdminChange::Redacted { .. } = change {
            return;
        }
        self.version += 1;
        self.audit.push_back(AuditEntry::of(change, by, seq, at));
        while self.audit.len() > AUDIT_KEPT {
            self.audit.pop_front();
        }
        match change {
            AdminChange::StaffAdded {
                id,
                name,
                supervisor,
                pin_hash,
            } => {
                self.staff.retain(|s| &s.id != id);
                self.staff.push(StaffPatch {
                    id: id.clone(),
                    name: Some(name.clone()),
                    supervisor: Some(*supervisor),
                    pin_hash: Some(pin_hash.clone()),
                    must_change_pin: Some(true),
                    disabled: Some(false),
                    photo: None,
                    added: true,
                });
            }
            AdminChange::StaffUpdated {
                id,
                name,
                disabled,
                photo,
            } => {
                let s = self.staff_mut(id);
                if name.is_some() {
                    s.name = name.clone();
                }
                if disabled.is_some() {
                    s.disabled = *disabled;
                }
                if photo.is_some() {
                    s.photo = photo.clone();
                }
            }
            AdminChange::PinReset { id, pin_hash } => {
                let s = self.staff_mut(id);
                s.pin_hash = Some(pin_hash.clone());
                s.must_change_pin = Some(true);
            }
            AdminChange::PinChanged { id, pin_hash } => {
                let s = self.staff_mut(id);
                s.pin_hash = Some(pin_hash.clone());
                s.must_change_pin = Some(false);
            }
            AdminChange::DeviceAdded {
                name,
                role,
                counter,
                token_hash,
            } => self.devices.push(DevicePatch {
                origin: name.clone(),
                name: name.clone(),
                revoked: false,
                added: Some((*role, *counter, token_hash.clone())),
            }),
            AdminChange::DeviceRenamed { name, to } => self.device_mut(name).name = to.clone(),
            AdminChange::DeviceRevoked { name } => self.device_mut(name).revoked = true,
            AdminChange::CounterChanged {
                counter,
                services,
                mode,
            } => {
                self.counters.retain(|c| c.counter != *counter);
                self.counters.push(CounterPatch {
                    counter: *counter,
                    services: services.clone(),
                    mode: *mode,
                });
            }
            AdminChange::ServiceChanged {
                id,
                name,
                name_en,
                hours,
                target_wait_s,
                remote,
                appointments,
                no_appointments,
                closed,
            } => {
                let p = match self.services.iter().position(|p| &p.id == id) {
                    Some(i) => &mut self.services[i],
                    None => {
                        self.services.push(ServicePatch {
                            id: id.clone(),
                            name: None,
                            name_en: None,
                            hours: None,
                            target_wait_s: None,
                            remote: None,
                            appointments: None,
                            no_appointments: false,
                            closed: None,
                        });
                        let last = self.services.len() - 1;
                        &mut self.services[last]
                    }
                };
                set(&mut p.name, name);
                set(&mut p.name_en, name_en);
                set(&mut p.hours, hours);
                set(&mut p.target_wait_s, target_wait_s);
                set(&mut p.remote, remote);
                if *no_appointments {
                    p.appointments = None;
                    p.no_appointments = true;
                } else if appointments.is_some() {
                    p.appointments.clone_from(appointments);
                    p.no_appointments = false;
                }
                set(&mut p.closed, closed);
            }
            AdminChange::NoticeChanged { vi, en } => {
                self.notice = Some(Notice {
                    vi: vi.clone(),
                    en: en.clone(),
                })
            }
            AdminChange::Redacted { .. } => {}
        }
    }

    fn staff_mut(&mut self, id: &StaffId) -> &mut StaffPatch {
        if let Some(i) = self.staff.iter().position(|s| &s.id == id) {
            return &mut self.staff[i];
        }
        self.staff.push(StaffPatch {
            id: id.clone(),
            name: None,
            supervisor: None,
            pin_hash: None,
            must_change_pin: None,
            disabled: None,
            photo: None,
            added: false,
        });
        let last = self.staff.len() - 1;
        &mut self.staff[last]
    }

    /// The patch of the device now called `name` (a file's device gets one on first change).
    fn device_mut(&mut self, name: &str) -> &mut DevicePatch {
        if let Some(i) = self
            .devices
            .iter()
            .position(|d| d.name == name && !d.revoked)
        {
            return &mut self.devices[i];
        }
        self.devices.push(DevicePatch {
            origin: name.to_string(),
            name: name.to_string(),
            revoked: false,
            added: None,
        });
        let last = self.devices.len() - 1;
        &mut self.devices[last]
    }

    /// The file's spec with the page's changes: what the queue rules and the screens use.
    pub fn effective(&self, base: &CentreSpec) -> CentreSpec {
        let mut spec = base.clone();
        for c in &self.counters {
            if let Some(k) = spec.counters.iter_mut().find(|k| k.id == c.counter) {
                k.services = c.services.clone();
                k.mode = c.mode;
            }
        }
        for p in &self.services {
            let Some(s) = spec.services.iter_mut().find(|s| s.id == p.id) else {
                continue;
            };
            copy(&mut s.name, &p.name);
            copy(&mut s.name_en, &p.name_en);
            copy(&mut s.hours.windows, &p.hours);
            copy(&mut s.target_wait_s, &p.target_wait_s);
            copy(&mut s.remote, &p.remote);
            if p.no_appointments {
                s.appointments = None;
            } else if p.appointments.is_some() {
                s.appointments = p.appointments.clone();
            }
            copy(&mut s.hours.closed, &p.closed);
        }
        spec
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn set<T: Clone>(slot: &mut Option<T>, v: &Option<T>) {
    if v.is_some() {
        slot.clone_from(v);
    }
}

fn copy<T: Clone>(slot: &mut T, v: &Option<T>) {
    if let Some(v) = v {
        *slot = v.clone();
    }
}
