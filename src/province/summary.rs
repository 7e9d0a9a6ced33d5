//! The two live lists the hub's pages show, rebuilt at most once per [`DEBOUNCE`] when a
//! centre changed and every [`EVERY`] anyway (freshness moves with the clock), and pushed
//! to their sockets through watch channels:
//! - public (`GET /api/v1/centres`, `/ws/centres`, the `/` page): per centre, open or not,
//!   waiting and estimated wait per service — "where should I go now";
//! - province (`/ws/province`, the `/province` page): the same plus today's figures (equal
//!   to each lobby's own), the lobby's alerts, uplink freshness (a centre silent longer than
//!   `silent_alert_min` while one of its services is open is an alert) and a refused
//!   identity (a wiped lobby).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::centres::Registry;
use super::config::HubConfig;
use super::db::{self, Freshness};
use super::figures;
use crate::domain::event::CounterStatus;
use crate::view::Audience;

const DEBOUNCE: Duration = Duration::from_millis(250);
const EVERY: Duration = Duration::from_secs(5);
/// A centre heard from within this is online (the uplink's heartbeat is 20 s).
pub const ONLINE_S: i64 = 60;

pub struct Summaries {
    pub public: watch::Receiver<Arc<str>>,
    pub province: watch::Receiver<Arc<str>>,
}

/// Starts the task; the receivers always hold the latest lists (JSON arrays).
pub fn spawn(registry: Arc<Registry>, pool: Pool, config: Arc<HubConfig>) -> Summaries {
    let (pub_tx, public) = watch::channel::<Arc<str>>(Arc::from("[]"));
    let (prov_tx, province) = watch::channel::<Arc<str>>(Arc::from("[]"));
    tokio::spawn(async move {
        let mut fresh: Vec<Freshness> = Vec::new();
        let mut alerts: HashMap<String, (u64, Value)> = HashMap::new();
        loop {
            match db::freshness(&pool).await {
                Ok(f) => fresh = f,
                Err(e) => tracing::warn!(error = %e, "reading centres' freshness failed"),
            }
            let (p, v) = build(&registry, &config, &fresh, &mut alerts);
            pub_tx.send_if_modified(|old| replace(old, p));
            prov_tx.send_if_modified(|old| replace(old, v));
            tokio::select! {
                _ = registry.changed.notified() => {}
                _ = tokio::time::sleep(EVERY) => {}
            }
            tokio::time::sleep(DEBOUNCE).await;
            if pub_tx.is_closed() && prov_tx.is_closed() {
                return;
            }
        }
    });
    Summaries { public, province }
}

fn replace(old: &mut Arc<str>, new: String) -> bool {
    if **old == *new {
        return false;
    }
    *old = Arc::from(new);
    true
}

fn age_s(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| (Utc::now() - t).num_seconds().max(0))
}

/// A centre is an alert when it has not been heard from for longer than `limit` seconds
/// (or never) while one of its services is open: closed at night, silence is normal.
fn silent(heard_s_ago: Option<i64>, limit: i64, any_open: bool) -> bool {
    any_open && heard_s_ago.is_none_or(|s| s > limit)
}

fn build(
    registry: &Registry,
    config: &HubConfig,
    fresh: &[Freshness],
    alerts_cache: &mut HashMap<String, (u64, Value)>,
) -> (String, String) {
    let mut ids: Vec<String> = config.centres.iter().map(|c| c.id.clone()).collect();
    for l in registry.all() {
        if !ids.contains(&l.id) {
            ids.push(l.id.clone());
        }
    }
    let mut public = Vec::new();
    let mut province = Vec::new();
    for id in ids {
        let f = fresh.iter().find(|f| f.id == id);
        let heard = age_s(f.and_then(|f| f.last_push_at));
        let online = heard.is_some_and(|s| s <= ONLINE_S);
        let refused = f.filter(|f| f.refused_identity).map(|f| {
            json!({"code": "identity_mismatch", "since": f.refused_at,
                   "message": "Dữ liệu từ một máy có định danh khác (máy đã bị xóa dữ liệu?) bị từ chối / Events from another data directory (a wiped lobby?) are refused"})
        });
        let name = config
            .centre(&id)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| id.clone());
        let Some(live) = registry.get(&id) else {
            let entry = json!({"id": id, "name": name, "online": online, "last_event_at": null,
                "seq": 0, "counters_open": 0, "services": [], "problem": refused});
            public.push(entry.clone());
            let mut p = entry;
            p["silent_s"] = json!(heard);
            province.push(p);
            continue;
        };
        let model = live.read.current();
        let snap = model.snapshot();
        let counters_open = snap
            .counters()
            .iter()
            .filter(|c| c.status == CounterStatus::Open)
            .count();
        let services: Vec<Value> = snap
            .services()
            .iter()
            .map(|s| {
                json!({"id": s.id, "name": s.name, "name_en": s.name_en,
                            "waiting": s.waiting, "eta_s": s.eta_s, "open": s.open})
            })
            .collect();
        let any_open = snap.services().iter().any(|s| s.open);
        let entry = json!({
            "id": id,
            "name": name,
            "name_en": live.spec.name_en,
            "online": online,
            "last_event_at": f.and_then(|f| f.last_event_at),
            "seq": model.seq(),
            "counters_open": counters_open,
            "services": services,
            "problem": refused,
        });
        public.push(entry.clone());
        let today = figures::today(&model, &live);
        let lobby_alerts = match alerts_cache.get(&id) {
            Some((seq, v)) if *seq == model.seq() => v.clone(),
            _ => {
                let staff: Value =
                    serde_json::from_str(&model.snapshot_json(Audience::Staff, live.now()))
                        .unwrap_or(Value::Null);
                let v = staff.get("alerts").cloned().unwrap_or_else(|| json!([]));
                alerts_cache.insert(id.clone(), (model.seq(), v.clone()));
                v
            }
        };
        let silent = silent(heard, config.silent_alert_s, any_open);
        let mut p = entry;
        p["day"] = json!(model.day());
        p["figures"] = json!(today.doc.totals);
        p["alerts"] = lobby_alerts;
        p["silent_s"] = json!(heard);
        p["silent_alert"] = json!(silent);
        p["behind"] = json!(f.map_or(0, |f| f.lobby_seq.saturating_sub(f.last_seq)));
        province.push(p);
    }
    (
        Value::Array(public).to_string(),
        Value::Array(province).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::silent;

    #[test]
    fn silence_is_an_alert_only_in_opening_hours_and_past_the_limit() {
        assert!(!silent(Some(30), 300, true));
        assert!(silent(Some(301), 300, true));
        assert!(silent(None, 300, true), "never heard from, while open");
        assert!(!silent(Some(9999), 300, false), "closed: silence is normal");
        assert!(!silent(None, 300, false));
    }
}
