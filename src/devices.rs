//! Which screens are alive. Every configured device (`[[devices]]`: TVs, counter displays,
//! kiosks, rating tablets, the supervisor's PC) is known by its token; each of its pages holds
//! a WebSocket opened with that token, so the socket's life is the device's presence. The
//! WebSocket task (`api/ws.rs`) holds a [`Link`] for as long as the socket is open, tells it
//! when the peer is heard (pongs every 20 s) and hands it the page's status messages — a
//! board reports whether its sound plays or is blocked by the browser's autoplay policy:
//! `{"type":"status","page":"board","audio":"playing"|"blocked"|"off"}`.
//!
//! Read by `GET /api/v1/devices` (supervisor) and, on the engine's timer, turned into alert
//! events by the pure `domain::device_alerts::check` ([`Presence::seen`]). Presence is memory
//! only: after a restart every device counts as offline since the start until it reconnects
//! (screens reconnect within seconds). A socket whose token is not a configured device (a
//! clerk's or supervisor's login, the public) is not tracked.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::config::{DeviceRole, DeviceSpec};
use crate::domain::admin_roster::DeviceEntry;
use crate::domain::device_alerts::DeviceSeen;
use crate::domain::ids::CounterId;
use crate::domain::spec::CentreSpec;
use crate::engine::{local_now, Clock};

/// A board's sound, as its page reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AudioState {
    /// The page's audio runs: announcements are heard.
    Playing,
    /// The browser blocks the sound until someone touches the screen (autoplay policy).
    Blocked,
    /// The page does not play sound (a board opened without `?audio=1`).
    Off,
}

/// A status message of a page (anything else on the socket is ignored).
#[derive(Deserialize)]
struct StatusMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    audio: Option<AudioState>,
}

/// One open socket of a device.
#[derive(Debug, Clone)]
struct Socket {
    address: IpAddr,
    page: Option<String>,
    audio: Option<AudioState>,
}

#[derive(Debug)]
struct Entry {
    name: String,
    role: DeviceRole,
    counter: Option<u32>,
    /// Open sockets by link id.
    sockets: BTreeMap<u64, Socket>,
    /// Connected since, or offline since (its last socket closed, or the daemon started).
    since: DateTime<FixedOffset>,
    last_seen: Option<DateTime<FixedOffset>>,
    /// The address of its latest connection.
    address: Option<IpAddr>,
    /// Revoked on the admin page: no longer listed nor alerted on.
    retired: bool,
}

impl Entry {
    /// The device's sound: blocked when any of its pages says so, else playing when one
    /// plays, else off when one said off; None when no page reported.
    fn audio(&self) -> Option<AudioState> {
        let states: Vec<AudioState> = self.sockets.values().filter_map(|s| s.audio).collect();
        [AudioState::Blocked, AudioState::Playing, AudioState::Off]
            .into_iter()
            .find(|a| states.contains(a))
    }
}

/// One device as `GET /api/v1/devices` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub name: String,
    /// display, kiosk, rating, supervisor.
    #[schema(value_type = String)]
    pub role: DeviceRole,
    /// The counter a rating tablet rates.
    pub counter: Option<u32>,
    /// At least one of its pages holds a socket now.
    pub connected: bool,
    /// Open sockets (a TV token may serve a board and a counter display).
    pub sockets: u32,
    /// Connected since, or offline since (its last disconnection, or the daemon's start).
    pub since: DateTime<FixedOffset>,
    /// Last time it was heard (connection, message, pong); null when not since the start.
    pub last_seen: Option<DateTime<FixedOffset>>,
    /// Client address of its latest connection.
    pub address: Option<String>,
    /// The pages it has open, as they report themselves (e.g. "board").
    pub pages: Vec<String>,
    /// A board's sound: playing, blocked (autoplay policy) or off; null when not reported.
    pub audio: Option<AudioState>,
}

/// The presence of every device.
pub struct Presence {
    spec: Arc<CentreSpec>,
    clock: Clock,
    offline_after: chrono::Duration,
    /// Entry index by the SHA-256 of the device's token.
    by_hash: Mutex<HashMap<String, usize>>,
    entries: Mutex<Vec<Entry>>,
    next_link: std::sync::atomic::AtomicU64,
}

impl Presence {
    /// Every device of the config, offline since now; `offline_min` is
    /// `[centre] device_offline_min`.
    pub fn new(
        spec: Arc<CentreSpec>,
        devices: &[DeviceSpec],
        offline_min: u32,
        clock: Clock,
    ) -> Presence {
        let presence = Presence {
            spec,
            clock,
            offline_after: chrono::Duration::minutes(i64::from(offline_min)),
            by_hash: Default::default(),
            entries: Default::default(),
            next_link: Default::default(),
        };
        for d in devices {
            presence.track(&d.token_hash(), &d.name, d.role, d.counter, false);
        }
        presence
    }

    /// Brings the list up to the sign-in directory's devices (config file + admin page).
    pub fn sync(&self, devices: &[DeviceEntry]) {
        for d in devices {
            self.track(&d.token_hash, &d.name, d.role, d.counter, d.revoked);
        }
    }

    /// Adds the device known by `hash`, or updates its name, role and state.
    fn track(
        &self,
        hash: &str,
        name: &str,
        role: DeviceRole,
        counter: Option<CounterId>,
        retired: bool,
    ) {
        let mut by_hash = self.by_hash.lock().unwrap_or_else(|p| p.into_inner());
        let mut entries = self.entries();
        match by_hash.get(hash).and_then(|&i| entries.get_mut(i)) {
            Some(e) => {
                e.name = name.to_string();
                e.role = role;
                e.counter = counter.map(|c| c.0);
                e.retired = retired;
            }
            None => {
                by_hash.insert(hash.to_string(), entries.len());
                entries.push(Entry {
                    name: name.to_string(),
                    role,
                    counter: counter.map(|c| c.0),
                    sockets: BTreeMap::new(),
                    since: self.now(),
                    last_seen: None,
                    address: None,
                    retired,
                });
            }
        }
    }

    fn now(&self) -> DateTime<FixedOffset> {
        local_now(&self.spec, &self.clock)
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The device a token belongs to, if any.
    pub fn device_of(&self, token: &str) -> Option<usize> {
        use sha2::Digest;
        let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
        let by_hash = self.by_hash.lock().unwrap_or_else(|p| p.into_inner());
        by_hash.get(&hash).copied()
    }

    /// A socket of device `device` opened from `address`; it counts until the link drops.
    pub fn connect(self: &Arc<Self>, device: usize, address: IpAddr) -> Option<Link> {
        let now = self.now();
        let id = self
            .next_link
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut entries = self.entries();
        let e = entries.get_mut(device)?;
        if e.sockets.is_empty() {
            e.since = now;
        }
        e.sockets.insert(
            id,
            Socket {
                address,
                page: None,
                audio: None,
            },
        );
        e.last_seen = Some(now);
        e.address = Some(address);
        tracing::debug!(device = %e.name, %address, "device connected");
        Some(Link {
            presence: self.clone(),
            device,
            id,
        })
    }

    fn disconnect(&self, device: usize, id: u64) {
        let now = self.now();
        let mut entries = self.entries();
        if let Some(e) = entries.get_mut(device) {
            e.sockets.remove(&id);
            e.last_seen = Some(now);
            if e.sockets.is_empty() {
                e.since = now;
                tracing::info!(device = %e.name, "device disconnected");
            }
        }
    }

    /// Every device not revoked, in the order they became known (config order first).
    pub fn list(&self) -> Vec<DeviceView> {
        self.entries()
            .iter()
            .filter(|e| !e.retired)
            .map(|e| DeviceView {
                name: e.name.clone(),
                role: e.role,
                counter: e.counter,
                connected: !e.sockets.is_empty(),
                sockets: e.sockets.len() as u32,
                since: e.since,
                last_seen: e.last_seen,
                address: e.address.map(|a| a.to_string()),
                pages: {
                    let mut p: Vec<String> =
                        e.sockets.values().filter_map(|s| s.page.clone()).collect();
                    p.sort();
                    p.dedup();
                    p
                },
                audio: if e.sockets.is_empty() {
                    None
                } else {
                    e.audio()
                },
            })
            .collect()
    }

    /// The input of `domain::device_alerts::check`.
    pub fn seen(&self) -> Vec<DeviceSeen> {
        self.entries()
            .iter()
            .filter(|e| !e.retired)
            .map(|e| DeviceSeen {
                name: e.name.clone(),
                connected: !e.sockets.is_empty(),
                since: e.since,
                audio_blocked: e.audio() == Some(AudioState::Blocked),
            })
            .collect()
    }

    /// Prometheus gauges per configured device: `xephang_device_connected` (0/1) and
    /// `xephang_device_audio_blocked` (0/1), labelled with its name and role.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let list = self.list();
        let _ = writeln!(
            out,
            "# HELP xephang_device_connected 1 while a configured device holds a WebSocket.\n# TYPE xephang_device_connected gauge"
        );
        for d in &list {
            let _ = writeln!(
                out,
                "xephang_device_connected{{device=\"{}\",role=\"{}\"}} {}",
                label(&d.name),
                role_name(d.role),
                u8::from(d.connected)
            );
        }
        let _ = writeln!(
            out,
            "# HELP xephang_device_audio_blocked 1 while a board reports its sound blocked by the browser.\n# TYPE xephang_device_audio_blocked gauge"
        );
        for d in &list {
            let _ = writeln!(
                out,
                "xephang_device_audio_blocked{{device=\"{}\",role=\"{}\"}} {}",
                label(&d.name),
                role_name(d.role),
                u8::from(d.audio == Some(AudioState::Blocked))
            );
        }
    }

    /// `[centre] device_offline_min`.
    pub fn offline_after(&self) -> chrono::Duration {
        self.offline_after
    }
}

/// A Prometheus label value: backslash, quote and line feed escaped.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn role_name(role: DeviceRole) -> &'static str {
    match role {
        DeviceRole::Display => "display",
        DeviceRole::Kiosk => "kiosk",
        DeviceRole::Rating => "rating",
        DeviceRole::Supervisor => "supervisor",
    }
}

/// One open socket of a device; dropping it (the socket closed) updates the presence.
pub struct Link {
    presence: Arc<Presence>,
    device: usize,
    id: u64,
}

impl Link {
    /// The peer was heard (any message, a pong).
    pub fn heard(&self) {
        let now = self.presence.now();
        if let Some(e) = self.presence.entries().get_mut(self.device) {
            e.last_seen = Some(now);
        }
    }

    /// A text message of the page: a status report updates the socket's page and sound;
    /// anything else is ignored.
    pub fn message(&self, text: &str) {
        let Ok(status) = serde_json::from_str::<StatusMessage>(text) else {
            return;
        };
        if status.kind != "status" {
            return;
        }
        let mut entries = self.presence.entries();
        let Some(e) = entries.get_mut(self.device) else {
            return;
        };
        let name = e.name.clone();
        if let Some(s) = e.sockets.get_mut(&self.id) {
            if let Some(page) = status.page {
                // A page name, not free text: short, plain.
                s.page = Some(
                    page.chars()
                        .filter(|c| c.is_ascii_alphanumeric())
                        .take(24)
                        .collect(),
                );
            }
            if status.audio.is_some() && s.audio != status.audio {
                tracing::info!(device = %name, audio = ?status.audio, address = %s.address, "device sound");
                s.audio = status.audio;
            }
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.presence.disconnect(self.device, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::CounterId;

    fn presence() -> (Arc<Presence>, Arc<std::sync::atomic::AtomicI64>) {
        let spec = Arc::new(crate::domain::tests::spec());
        let offset = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let o = offset.clone();
        let clock: Clock = Arc::new(move || {
            chrono::Utc::now()
                + chrono::Duration::seconds(o.load(std::sync::atomic::Ordering::SeqCst))
        });
        let devices = vec![
            DeviceSpec {
                name: "TV".into(),
                role: DeviceRole::Display,
                token: "tv-token-0000000001".into(),
                token_sha256: None,
                counter: None,
                printer: None,
            },
            DeviceSpec {
                name: "Tablet 1".into(),
                role: DeviceRole::Rating,
                token: "rating-token-000001".into(),
                token_sha256: None,
                counter: Some(CounterId(1)),
                printer: None,
            },
        ];
        (Arc::new(Presence::new(spec, &devices, 3, clock)), offset)
    }

    #[test]
    fn sockets_come_and_go_and_status_reports_count_per_socket() {
        let (p, offset) = presence();
        let tv = p.device_of("tv-token-0000000001").expect("known");
        assert_eq!(p.device_of("nope"), None);
        let addr: IpAddr = "10.0.0.7".parse().expect("ip");
        let board = p.connect(tv, addr).expect("link");
        let display = p.connect(tv, addr).expect("link");
        board.message(r#"{"type":"status","page":"board","audio":"blocked"}"#);
        display.message(r#"{"type":"status","page":"display"}"#);
        display.message("not json");
        let list = p.list();
        assert_eq!(
            (
                list[0].connected,
                list[0].sockets,
                list[0].audio,
                list[0].pages.clone()
            ),
            (
                true,
                2,
                Some(AudioState::Blocked),
                vec!["board".to_string(), "display".to_string()]
            )
        );
        assert_eq!(list[0].address.as_deref(), Some("10.0.0.7"));
        assert!(!list[1].connected && list[1].last_seen.is_none());
        assert!(p.seen()[0].audio_blocked);
        board.message(r#"{"type":"status","audio":"playing"}"#);
        assert_eq!(p.list()[0].audio, Some(AudioState::Playing));
        drop(board);
        assert!(p.list()[0].connected, "one socket left");
        offset.store(120, std::sync::atomic::Ordering::SeqCst);
        drop(display);
        let tv_now = &p.list()[0];
        assert!(!tv_now.connected && tv_now.audio.is_none());
        assert_eq!(
            Some(tv_now.since),
            tv_now.last_seen,
            "offline since its last socket closed"
        );
        assert!(!p.seen()[0].connected);
    }
}
