//! The config file exactly as written: every key the operator may use, nothing checked yet.
//!
//! Values the validator reports on are wrapped in [`Spanned`] so a problem can name the line
//! of the offending key. Required keys are `Option`s too: a missing one becomes a validation
//! problem next to all the others instead of stopping the deserializer at the first.
//! Integers are `i64` so "must be at least 1" is our message, not serde's.

use serde::Deserialize;
use toml::Spanned;

use crate::audio::settings::AudioSettings;

pub(super) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub centre: Option<S<RawCentre>>,
    #[serde(default)]
    pub services: Vec<S<RawService>>,
    #[serde(default)]
    pub counters: Vec<S<RawCounter>>,
    #[serde(default)]
    pub priorities: Vec<S<RawPriority>>,
    #[serde(default)]
    pub staff: Vec<S<RawStaff>>,
    #[serde(default)]
    pub devices: Vec<S<RawDevice>>,
    #[serde(default)]
    pub audio: AudioSettings,
    #[serde(default)]
    pub limits: Option<S<super::limits::RawLimits>>,
    #[serde(default)]
    pub server: Option<S<super::server::RawServer>>,
    pub uplink: Option<S<super::uplink::RawUplink>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCentre {
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub timezone: Option<S<String>>,
    pub notice: Option<S<String>>,
    pub notice_en: Option<S<String>>,
    pub logo: Option<S<String>>,
    pub public_url: Option<S<String>>,
    pub photos_dir: Option<S<String>>,
    pub priority_streak: Option<S<i64>>,
    pub pause_alert_min: Option<S<i64>>,
    pub remote_per_client: Option<S<i64>>,
    pub personal_data_days: Option<S<i64>>,
    pub ticket_footer: Option<S<String>>,
    pub device_offline_min: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawService {
    pub id: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub prefix: Option<S<String>>,
    pub first: Option<S<i64>>,
    pub last: Option<S<i64>>,
    pub target_wait_min: Option<S<i64>>,
    pub service_min: Option<S<i64>>,
    pub days: Option<S<Vec<S<String>>>>,
    pub hours: Option<S<Vec<S<String>>>>,
    pub closed: Option<bool>,
    pub remote: Option<bool>,
    pub remote_cap: Option<S<i64>>,
    pub appointments: Option<S<RawAppointments>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAppointments {
    pub slot_min: Option<S<i64>>,
    pub capacity: Option<S<i64>>,
    pub days: Option<S<Vec<S<String>>>>,
    pub hours: Option<S<Vec<S<String>>>>,
    pub days_ahead: Option<S<i64>>,
    pub grace_min: Option<S<i64>>,
    pub only: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCounter {
    pub id: Option<S<i64>>,
    pub name: Option<S<String>>,
    pub services: Option<S<Vec<S<String>>>>,
    pub mode: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPriority {
    pub id: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStaff {
    pub id: Option<S<String>>,
    pub name: Option<S<String>>,
    pub pin_hash: Option<S<String>>,
    pub supervisor: Option<bool>,
    pub photo: Option<S<String>>,
    pub disabled: Option<bool>,
    pub must_change_pin: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDevice {
    pub name: Option<S<String>>,
    pub role: Option<S<String>>,
    pub token: Option<S<String>>,
    /// SHA-256 hex of the token instead of the token (what `xephang config export` writes
    /// for devices added on the admin page, whose token the daemon never kept).
    pub token_sha256: Option<S<String>>,
    pub counter: Option<S<i64>>,
    pub printer: Option<S<String>>,
    pub paper_mm: Option<S<i64>>,
}
