//! Who may sign in, as the file and the admin page together say: staff members (with their
//! PIN hash, disabled flag and whether they must choose a new PIN) and devices (with their
//! token's SHA-256 hex, or revoked). Pure: the API builds its `Directory` from this.

use super::admin::{DeviceRole, Overlay};
use super::ids::{CounterId, StaffId};

/// Where a staff member or device comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The config file.
    Config,
    /// Added on the admin page.
    Admin,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Config => "config",
            Source::Admin => "admin",
        }
    }
}

/// A staff member of the config file (what the roster starts from).
#[derive(Clone, PartialEq, Eq)]
pub struct BaseStaff {
    pub id: StaffId,
    pub name: String,
    pub supervisor: bool,
    pub pin_hash: String,
    pub photo: Option<String>,
    /// `disabled = true` in the file (an exported disabled account).
    pub disabled: bool,
    /// `must_change_pin = true` in the file (an exported one-time PIN not yet changed).
    pub must_change_pin: bool,
}

/// A device of the config file, its token already hashed.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseDevice {
    pub name: String,
    pub role: DeviceRole,
    pub counter: Option<CounterId>,
    pub token_hash: String,
}

/// The config file's staff and devices.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct BaseRoster {
    pub staff: Vec<BaseStaff>,
    pub devices: Vec<BaseDevice>,
}

// Debug by hand: hashes stay out of logs.
impl std::fmt::Debug for BaseRoster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "BaseRoster {{ staff: {}, devices: {} }}",
            self.staff.len(),
            self.devices.len()
        )
    }
}

/// A staff member as they are now.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffEntry {
    pub id: StaffId,
    pub name: String,
    pub supervisor: bool,
    pub pin_hash: String,
    pub disabled: bool,
    pub must_change_pin: bool,
    /// The file's photo (in `photos_dir`).
    pub photo: Option<String>,
    /// A photo uploaded on the page (under the data dir's `photos/`).
    pub uploaded_photo: Option<String>,
    pub source: Source,
}

/// A device as it is now (revoked ones are kept, flagged).
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    pub name: String,
    /// Its name in the file (or when added): what presence and printers know it by.
    pub origin: String,
    pub role: DeviceRole,
    pub counter: Option<CounterId>,
    pub token_hash: String,
    pub revoked: bool,
    pub source: Source,
}

/// Everyone who may sign in (see the module documentation).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Roster {
    pub staff: Vec<StaffEntry>,
    pub devices: Vec<DeviceEntry>,
}

impl Roster {
    /// The file's staff and devices with the page's changes.
    pub fn of(base: &BaseRoster, overlay: &Overlay) -> Roster {
        let mut staff: Vec<StaffEntry> = base
            .staff
            .iter()
            .map(|s| StaffEntry {
                id: s.id.clone(),
                name: s.name.clone(),
                supervisor: s.supervisor,
                pin_hash: s.pin_hash.clone(),
                disabled: s.disabled,
                must_change_pin: s.must_change_pin,
                photo: s.photo.clone(),
                uploaded_photo: None,
                source: Source::Config,
            })
            .collect();
        for p in &overlay.staff {
            let i = match staff.iter().position(|s| s.id == p.id) {
                Some(i) => i,
                None if p.added => {
                    staff.push(StaffEntry {
                        id: p.id.clone(),
                        name: String::new(),
                        supervisor: false,
                        pin_hash: String::new(),
                        disabled: false,
                        must_change_pin: false,
                        photo: None,
                        uploaded_photo: None,
                        source: Source::Admin,
                    });
                    staff.len() - 1
                }
                None => continue,
            };
            let s = &mut staff[i];
            if let Some(n) = &p.name {
                s.name.clone_from(n);
            }
            if let Some(v) = p.supervisor {
                s.supervisor = v;
            }
            if let Some(h) = &p.pin_hash {
                s.pin_hash.clone_from(h);
            }
            if let Some(d) = p.disabled {
                s.disabled = d;
            }
            if let Some(m) = p.must_change_pin {
                s.must_change_pin = m;
            }
            s.uploaded_photo.clone_from(&p.photo);
        }
        let mut devices: Vec<DeviceEntry> = base
            .devices
            .iter()
            .map(|d| DeviceEntry {
                name: d.name.clone(),
                origin: d.name.clone(),
                role: d.role,
                counter: d.counter,
                token_hash: d.token_hash.clone(),
                revoked: false,
                source: Source::Config,
            })
            .collect();
        for p in &overlay.devices {
            if let Some((role, counter, hash)) = &p.added {
                devices.push(DeviceEntry {
                    name: p.name.clone(),
                    origin: p.origin.clone(),
                    role: *role,
                    counter: *counter,
                    token_hash: hash.clone(),
                    revoked: p.revoked,
                    source: Source::Admin,
                });
            } else if let Some(d) = devices
                .iter_mut()
                .find(|d| d.source == Source::Config && d.origin == p.origin)
            {
                d.name.clone_from(&p.name);
                d.revoked = p.revoked;
            }
        }
        Roster { staff, devices }
    }

    pub fn staff(&self, id: &StaffId) -> Option<&StaffEntry> {
        self.staff.iter().find(|s| &s.id == id)
    }

    /// The device now called `name` and not revoked.
    pub fn device(&self, name: &str) -> Option<&DeviceEntry> {
        self.devices.iter().find(|d| d.name == name && !d.revoked)
    }

    /// Enabled supervisors: staff members and supervisor devices.
    pub fn supervisors(&self) -> usize {
        self.staff
            .iter()
            .filter(|s| s.supervisor && !s.disabled)
            .count()
            + self
                .devices
                .iter()
                .filter(|d| d.role == DeviceRole::Supervisor && !d.revoked)
                .count()
    }
}
