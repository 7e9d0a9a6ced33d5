//! Alerts about the lobby's devices, from their presence (tracked outside the domain, in
//! `devices.rs`, and passed in): a configured device with no connection for longer than
//! `device_offline_min` while the centre is open (`device_offline`), and a board whose
//! browser blocks its sound (`audio_blocked`). Like `alerts.rs`, each condition is raised
//! once and cleared once (when the device is back, its sound plays, or the centre closes),
//! so the journal and every dashboard agree on what is active. Pure: no clock, no I/O.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, FixedOffset};

use super::event::{Alert, AlertKind, Event};
use super::spec::CentreSpec;
use super::state::State;

/// What the presence tracker knows of one configured device at the time of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSeen {
    /// `[[devices]] name` (unique names make unique alert keys; the key uses it).
    pub name: String,
    pub connected: bool,
    /// Connected: since when; not connected: since its last disconnection (or since the
    /// daemon started, when it has not connected since).
    pub since: DateTime<FixedOffset>,
    /// One of its pages (a board) reports that the browser blocks its sound.
    pub audio_blocked: bool,
}

/// Whether any service issues tickets at `now` (the centre's opening hours).
pub fn centre_open(spec: &CentreSpec, now: DateTime<FixedOffset>) -> bool {
    spec.services
        .iter()
        .any(|s| s.hours.is_open(now.weekday(), now.time()))
}

/// The events that bring the device alerts of `state` in line with `devices` at `now`.
pub fn check(
    spec: &CentreSpec,
    state: &State,
    devices: &[DeviceSeen],
    offline_after: Duration,
    now: DateTime<FixedOffset>,
) -> Vec<Event> {
    let mut wanted: BTreeMap<String, Alert> = BTreeMap::new();
    if centre_open(spec, now) {
        for d in devices {
            let condition = if !d.connected && now - d.since > offline_after {
                Some((AlertKind::DeviceOffline, "device_offline", d.since))
            } else if d.connected && d.audio_blocked {
                Some((AlertKind::AudioBlocked, "audio_blocked", now))
            } else {
                None
            };
            if let Some((kind, prefix, since)) = condition {
                let key = format!("{prefix}:{}", d.name);
                wanted.insert(
                    key.clone(),
                    Alert {
                        key,
                        kind,
                        service: None,
                        counter: None,
                        number: None,
                        since,
                        printer: None,
                        device: Some(d.name.clone()),
                    },
                );
            }
        }
    }
    let mut events: Vec<Event> = state
        .alerts
        .iter()
        .filter(|(k, a)| a.kind.is_device() && !wanted.contains_key(*k))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Envelope;
    use crate::domain::spec::{OpeningHours, TimeWindow};
    use chrono::{NaiveTime, TimeZone};

    fn spec() -> CentreSpec {
        let mut spec = crate::domain::tests::spec();
        for s in &mut spec.services {
            s.hours = OpeningHours {
                days: OpeningHours::always().days,
                windows: vec![TimeWindow {
                    start: NaiveTime::from_hms_opt(7, 30, 0).expect("time"),
                    end: NaiveTime::from_hms_opt(17, 0, 0).expect("time"),
                }],
                closed: false,
            };
        }
        spec
    }

    fn at(h: u32, m: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(7 * 3600)
            .expect("offset")
            .with_ymd_and_hms(2026, 11, 23, h, m, 0)
            .single()
            .expect("time")
    }

    fn seen(
        name: &str,
        connected: bool,
        since: DateTime<FixedOffset>,
        blocked: bool,
    ) -> DeviceSeen {
        DeviceSeen {
            name: name.into(),
            connected,
            since,
            audio_blocked: blocked,
        }
    }

    /// Applies `events` to `state` as the engine would.
    fn apply(spec: &CentreSpec, state: &mut State, events: Vec<Event>, now: DateTime<FixedOffset>) {
        for event in events {
            let env = Envelope {
                seq: state.seq + 1,
                at: now,
                event,
            };
            state.apply(spec, &env);
        }
    }

    #[test]
    fn offline_past_the_limit_in_opening_hours_is_raised_once_and_cleared_when_back() {
        let spec = spec();
        let mut state = State::new(&spec, at(8, 0).date_naive());
        let limit = Duration::minutes(3);
        let tv = |connected, since| vec![seen("TV sảnh", connected, since, false)];
        // Two minutes offline: nothing yet.
        assert!(check(&spec, &state, &tv(false, at(8, 0)), limit, at(8, 2)).is_empty());
        // Past three minutes: one alert, with the disconnection time and the device's name.
        let raised = check(&spec, &state, &tv(false, at(8, 0)), limit, at(8, 4));
        let [Event::Alert(a)] = raised.as_slice() else {
            panic!("one alert: {raised:?}");
        };
        assert_eq!(
            (a.key.as_str(), a.kind, a.since, a.device.as_deref()),
            (
                "device_offline:TV sảnh",
                AlertKind::DeviceOffline,
                at(8, 0),
                Some("TV sảnh")
            )
        );
        apply(&spec, &mut state, raised, at(8, 4));
        // Not raised twice.
        assert!(check(&spec, &state, &tv(false, at(8, 0)), limit, at(8, 5)).is_empty());
        // Back: cleared.
        let back = check(&spec, &state, &tv(true, at(8, 6)), limit, at(8, 6));
        assert_eq!(
            back,
            vec![Event::AlertCleared {
                key: "device_offline:TV sảnh".into()
            }]
        );
    }

    #[test]
    fn nothing_outside_opening_hours_and_the_state_alerts_are_left_alone() {
        let spec = spec();
        let mut state = State::new(&spec, at(8, 0).date_naive());
        let limit = Duration::minutes(3);
        let devices = vec![seen("Kiosk", false, at(5, 0), false)];
        assert!(check(&spec, &state, &devices, limit, at(6, 0)).is_empty());
        // Raised at opening, cleared at closing.
        let raised = check(&spec, &state, &devices, limit, at(7, 31));
        assert_eq!(raised.len(), 1);
        apply(&spec, &mut state, raised, at(7, 31));
        let closed = check(&spec, &state, &devices, limit, at(17, 30));
        assert!(matches!(closed.as_slice(), [Event::AlertCleared { .. }]));
        // A state alert (not a device's) is never cleared here, and device alerts are never
        // cleared by `alerts::check`.
        let mut state = State::new(&spec, at(8, 0).date_naive());
        let paused = Alert {
            key: "counter_paused:1".into(),
            kind: AlertKind::CounterPaused,
            service: None,
            counter: None,
            number: None,
            since: at(8, 0),
            printer: None,
            device: None,
        };
        apply(&spec, &mut state, vec![Event::Alert(paused)], at(8, 0));
        assert!(check(&spec, &state, &[], limit, at(9, 0)).is_empty());
        let raised = check(&spec, &state, &devices, limit, at(9, 0));
        apply(&spec, &mut state, raised, at(9, 0));
        let from_state = crate::domain::alerts::check(&spec, &state, at(9, 0), &[]);
        assert!(
            from_state
                .iter()
                .all(|e| !matches!(e, Event::AlertCleared { key } if key.starts_with("device_"))),
            "{from_state:?}"
        );
    }

    #[test]
    fn blocked_audio_is_an_alert_while_connected() {
        let spec = spec();
        let mut state = State::new(&spec, at(8, 0).date_naive());
        let limit = Duration::minutes(3);
        let board = |blocked| vec![seen("TV", true, at(8, 0), blocked)];
        let raised = check(&spec, &state, &board(true), limit, at(8, 1));
        let [Event::Alert(a)] = raised.as_slice() else {
            panic!("one alert: {raised:?}");
        };
        assert_eq!(
            (a.key.as_str(), a.kind),
            ("audio_blocked:TV", AlertKind::AudioBlocked)
        );
        apply(&spec, &mut state, raised, at(8, 1));
        assert!(check(&spec, &state, &board(true), limit, at(8, 2)).is_empty());
        let cleared = check(&spec, &state, &board(false), limit, at(8, 3));
        assert!(
            matches!(cleared.as_slice(), [Event::AlertCleared { key }] if key == "audio_blocked:TV")
        );
    }
}
