//! The uplink's state for people: on the supervisor dashboard (`GET /api/v1/uplink`) and in
//! `/metrics`. Plain atomics and one small lock for the last error: the uplink task writes,
//! handlers read, nobody waits.

use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;
use utoipa::ToSchema;

/// The supervisor's view of the uplink (`GET /api/v1/uplink`): `{"configured": false}`, or
/// `configured: true` with every other field (absent when not configured; `url`, `centre`,
/// `last_ok_at` and `last_error` may be null when configured).
#[derive(Serialize, ToSchema, Debug, Default)]
pub struct UplinkView {
    pub configured: bool,
    /// The hub's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<Option<String>>,
    /// This centre's id at the hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub centre: Option<Option<String>>,
    /// The last request to the hub succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected: Option<bool>,
    /// The hub refuses this lobby's identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<bool>,
    /// Last seq the hub holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_seq: Option<u64>,
    /// Last seq committed here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lobby_seq: Option<u64>,
    /// Committed events the hub does not hold yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behind: Option<u64>,
    /// Events accepted by the hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<u64>,
    /// Failed requests to the hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failures: Option<u64>,
    /// The last success (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ok_at: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<Option<UplinkError>>,
}

/// The last failure of the uplink.
#[derive(Serialize, ToSchema, Debug)]
pub struct UplinkError {
    pub code: String,
    pub message: String,
}

#[derive(Default)]
pub struct UplinkStatus {
    configured: AtomicBool,
    connected: AtomicBool,
    refused: AtomicBool,
    hub_seq: AtomicU64,
    lobby_seq: AtomicU64,
    sent: AtomicU64,
    failures: AtomicU64,
    last_ok_ms: AtomicU64,
    last_error: Mutex<Option<(String, String)>>,
    target: Mutex<Option<(String, String)>>,
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl UplinkStatus {
    pub fn configure(&self, url: &str, centre: &str) {
        self.configured.store(true, Ordering::Relaxed);
        if let Ok(mut t) = self.target.lock() {
            *t = Some((url.to_string(), centre.to_string()));
        }
    }

    pub fn lobby_seq(&self, seq: u64) {
        self.lobby_seq.store(seq, Ordering::Relaxed);
    }

    /// The hub answered: it holds everything up to `hub_seq`.
    pub fn ok(&self, hub_seq: u64, sent: usize) {
        self.connected.store(true, Ordering::Relaxed);
        self.refused.store(false, Ordering::Relaxed);
        self.hub_seq.store(hub_seq, Ordering::Relaxed);
        self.sent.fetch_add(sent as u64, Ordering::Relaxed);
        self.last_ok_ms.store(unix_ms(), Ordering::Relaxed);
        if let Ok(mut e) = self.last_error.lock() {
            *e = None;
        }
    }

    /// A request failed; `refused` when the hub refused this lobby (identity).
    pub fn failed(&self, code: &str, message: &str, refused: bool) {
        self.connected.store(false, Ordering::Relaxed);
        self.refused.store(refused, Ordering::Relaxed);
        self.failures.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut e) = self.last_error.lock() {
            *e = Some((code.to_string(), message.to_string()));
        }
    }

    pub fn behind(&self) -> u64 {
        self.lobby_seq
            .load(Ordering::Relaxed)
            .saturating_sub(self.hub_seq.load(Ordering::Relaxed))
    }

    /// The supervisor's view (`GET /api/v1/uplink`).
    pub fn view(&self) -> UplinkView {
        if !self.configured.load(Ordering::Relaxed) {
            return UplinkView::default();
        }
        let target = self.target.lock().ok().and_then(|t| t.clone());
        let error = self.last_error.lock().ok().and_then(|e| e.clone());
        let last_ok = self.last_ok_ms.load(Ordering::Relaxed);
        let last_ok_at = (last_ok > 0)
            .then(|| {
                chrono::DateTime::from_timestamp_millis(last_ok as i64).map(|t| t.to_rfc3339())
            })
            .flatten();
        UplinkView {
            configured: true,
            url: Some(target.as_ref().map(|t| t.0.clone())),
            centre: Some(target.as_ref().map(|t| t.1.clone())),
            connected: Some(self.connected.load(Ordering::Relaxed)),
            refused: Some(self.refused.load(Ordering::Relaxed)),
            hub_seq: Some(self.hub_seq.load(Ordering::Relaxed)),
            lobby_seq: Some(self.lobby_seq.load(Ordering::Relaxed)),
            behind: Some(self.behind()),
            sent: Some(self.sent.load(Ordering::Relaxed)),
            failures: Some(self.failures.load(Ordering::Relaxed)),
            last_ok_at: Some(last_ok_at),
            last_error: Some(error.map(|(code, message)| UplinkError { code, message })),
        }
    }

    /// Prometheus lines (nothing when no `[uplink]` is configured).
    pub fn render(&self, out: &mut String) {
        if !self.configured.load(Ordering::Relaxed) {
            return;
        }
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let b = |a: &AtomicBool| u8::from(a.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP xephang_uplink_connected 1 when the last request to the province hub succeeded.\n# TYPE xephang_uplink_connected gauge\nxephang_uplink_connected {}", b(&self.connected));
        let _ = writeln!(out, "# HELP xephang_uplink_refused 1 when the hub refuses this lobby's identity.\n# TYPE xephang_uplink_refused gauge\nxephang_uplink_refused {}", b(&self.refused));
        let _ = writeln!(out, "# HELP xephang_uplink_behind_events Committed events the hub does not hold yet.\n# TYPE xephang_uplink_behind_events gauge\nxephang_uplink_behind_events {}", self.behind());
        let _ = writeln!(out, "# HELP xephang_uplink_hub_seq Last seq the hub holds.\n# TYPE xephang_uplink_hub_seq gauge\nxephang_uplink_hub_seq {}", g(&self.hub_seq));
        let _ = writeln!(out, "# HELP xephang_uplink_sent_events_total Events accepted by the hub.\n# TYPE xephang_uplink_sent_events_total counter\nxephang_uplink_sent_events_total {}", g(&self.sent));
        let _ = writeln!(out, "# HELP xephang_uplink_failures_total Failed requests to the hub.\n# TYPE xephang_uplink_failures_total counter\nxephang_uplink_failures_total {}", g(&self.failures));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer as it was when built with `json!`: only `configured` before `[uplink]` is
    /// configured; every key afterwards, the unknown ones null.
    #[test]
    fn the_view_is_configured_false_alone_or_every_key() {
        let status = UplinkStatus::default();
        let v = serde_json::to_value(status.view()).expect("json");
        assert_eq!(v, serde_json::json!({"configured": false}));
        status.configure("https://hub.example", "c1");
        let v = serde_json::to_value(status.view()).expect("json");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys.len(), 12, "{keys:?}");
        assert_eq!(v["url"], "https://hub.example");
        assert!(
            v["last_ok_at"].is_null() && v["last_error"].is_null(),
            "{v}"
        );
        status.failed("refused", "no", true);
        let v = serde_json::to_value(status.view()).expect("json");
        assert_eq!(
            v["last_error"],
            serde_json::json!({"code": "refused", "message": "no"})
        );
        assert_eq!(v["refused"], true);
    }
}
