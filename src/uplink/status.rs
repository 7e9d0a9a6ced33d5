//! The uplink's state for people: on the supervisor dashboard (`GET /api/v1/uplink`) and in
//! `/metrics`. Plain atomics and one small lock for the last error: the uplink task writes,
//! handlers read, nobody waits.

use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};

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
    pub fn to_json(&self) -> Value {
        if !self.configured.load(Ordering::Relaxed) {
            return json!({"configured": false});
        }
        let target = self.target.lock().ok().and_then(|t| t.clone());
        let error = self.last_error.lock().ok().and_then(|e| e.clone());
        let last_ok = self.last_ok_ms.load(Ordering::Relaxed);
        json!({
            "configured": true,
            "url": target.as_ref().map(|t| t.0.clone()),
            "centre": target.as_ref().map(|t| t.1.clone()),
            "connected": self.connected.load(Ordering::Relaxed),
            "refused": self.refused.load(Ordering::Relaxed),
            "hub_seq": self.hub_seq.load(Ordering::Relaxed),
            "lobby_seq": self.lobby_seq.load(Ordering::Relaxed),
            "behind": self.behind(),
            "sent": self.sent.load(Ordering::Relaxed),
            "failures": self.failures.load(Ordering::Relaxed),
            "last_ok_at": (last_ok > 0).then(|| {
                chrono::DateTime::from_timestamp_millis(last_ok as i64).map(|t| t.to_rfc3339())
            }).flatten(),
            "last_error": error.map(|(code, message)| json!({"code": code, "message": message})),
        })
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
