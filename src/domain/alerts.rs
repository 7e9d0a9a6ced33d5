//! Alerts for supervisors, derived from the state at an instant: a waiting ticket past its
//! service's target, a counter paused too long, a service with waiting citizens and no open
//! counter. Each condition is raised once (`alert`) and cleared once (`alert_cleared`), so the
//! journal and every dashboard agree on what is active.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset};

use super::event::{Alert, AlertKind, CounterStatus, Event};
use super::spec::CentreSpec;
use super::state::State;

/// The events that bring `state.alerts` in line with the conditions at `now`.
pub fn check(spec: &CentreSpec, state: &State, now: DateTime<FixedOffset>) -> Vec<Event> {
    let mut wanted: BTreeMap<String, Alert> = BTreeMap::new();
    for s in &spec.services {
        let target = Duration::seconds(i64::from(s.target_wait_s));
        let mut first: Option<DateTime<FixedOffset>> = None;
        for t in state.waiting_in(&s.id) {
            first = Some(first.map_or(t.issued_at, |f: DateTime<FixedOffset>| f.min(t.issued_at)));
            if now - t.issued_at > target {
                let key = format!("ticket_overdue:{}", t.number);
                wanted.insert(
                    key.clone(),
                    Alert {
                        key,
                        kind: AlertKind::TicketOverdue,
                        service: Some(s.id.clone()),
                        counter: None,
                        number: Some(t.number.clone()),
                        since: t.issued_at,
                        device: None,
                    },
                );
            }
        }
        if let Some(since) = first {
            if state.open_counters_for(spec, &s.id) == 0 {
                let key = format!("service_unstaffed:{}", s.id);
                wanted.insert(
                    key.clone(),
                    Alert {
                        key,
                        kind: AlertKind::ServiceUnstaffed,
                        service: Some(s.id.clone()),
                        counter: None,
                        number: None,
                        since,
                        device: None,
                    },
                );
            }
        }
    }
    let pause_limit = Duration::seconds(i64::from(spec.pause_alert_s));
    for (id, c) in &state.counters {
        if let (CounterStatus::Paused, Some(since)) = (c.status, c.paused_since) {
            if now - since > pause_limit {
                let key = format!("counter_paused:{id}");
                wanted.insert(
                    key.clone(),
                    Alert {
                        key,
                        kind: AlertKind::CounterPaused,
                        service: None,
                        counter: Some(*id),
                        number: None,
                        since,
                        device: None,
                    },
                );
            }
        }
    }
    // Device alerts are `device_alerts::check`'s to raise and clear.
    let mut events: Vec<Event> = state
        .alerts
        .iter()
        .filter(|(k, a)| !a.kind.is_device() && !wanted.contains_key(*k))
        .map(|(k, _)| Event::AlertCleared { key: k.clone() })
        .collect();
    events.extend(
        wanted
            .into_values()
            .filter(|a| !state.alerts.contains_key(&a.key))
            .map(Event::Alert),
    );
    events
}
