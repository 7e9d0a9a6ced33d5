//! Alerts for supervisors, derived from the state at an instant: a waiting ticket past its
//! service's target, a counter paused too long, a service with waiting citizens and no open
//! counter, a kiosk's ticket printer low on paper, out of paper or offline. Each condition is
//! raised once (`alert`) and cleared once (`alert_cleared`), so the journal and every
//! dashboard agree on what is active.
//!
//! The printers' condition is an input ([`PrinterInput`]): the print queues observe it, this
//! module only decides which alerts follow from it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset};

use super::event::{Alert, AlertKind, CounterStatus, Event};
use super::spec::CentreSpec;
use super::state::State;

/// What a kiosk's printer is known to be doing, as its print queue last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterCondition {
    /// Not seen since the daemon started: its alerts stay as the journal has them.
    Unknown,
    /// Printing (or able to).
    Ok,
    /// Something a supervisor must fix, since `since`.
    Fault {
        kind: PrinterFault,
        since: DateTime<FixedOffset>,
    },
}

/// What is wrong with a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterFault {
    PaperLow,
    PaperOut,
    Offline,
}

impl PrinterFault {
    pub fn kind(self) -> AlertKind {
        match self {
            PrinterFault::PaperLow => AlertKind::PrinterPaperLow,
            PrinterFault::PaperOut => AlertKind::PrinterPaperOut,
            PrinterFault::Offline => AlertKind::PrinterOffline,
        }
    }

    fn key_part(self) -> &'static str {
        match self {
            PrinterFault::PaperLow => "printer_paper_low",
            PrinterFault::PaperOut => "printer_paper_out",
            PrinterFault::Offline => "printer_offline",
        }
    }
}

/// One configured printer (named by its kiosk device) and its condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterInput {
    pub printer: String,
    pub condition: PrinterCondition,
}

/// The key of a printer's alert: one per printer and kind of fault.
pub fn printer_key(fault: PrinterFault, printer: &str) -> String {
    format!("{}:{printer}", fault.key_part())
}

/// The events that bring `state.alerts` in line with the conditions at `now` and the
/// printers' conditions.
pub fn check(
    spec: &CentreSpec,
    state: &State,
    now: DateTime<FixedOffset>,
    printers: &[PrinterInput],
) -> Vec<Event> {
    let mut wanted: BTreeMap<String, Alert> = BTreeMap::new();
    for p in printers {
        match &p.condition {
            PrinterCondition::Ok => {}
            // Not seen yet (a restart): whatever the journal holds for it stays until its
            // queue has looked.
            PrinterCondition::Unknown => {
                for a in state.alerts.values() {
                    if a.printer.as_deref() == Some(p.printer.as_str()) {
                        wanted.insert(a.key.clone(), a.clone());
                    }
                }
            }
            PrinterCondition::Fault { kind, since } => {
                let key = printer_key(*kind, &p.printer);
                wanted.insert(
                    key.clone(),
                    Alert {
                        key,
                        kind: kind.kind(),
                        service: None,
                        counter: None,
                        number: None,
                        since: *since,
                        printer: Some(p.printer.clone()),
                        device: None,
                    },
                );
            }
        }
    }
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
                        printer: None,
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
                        printer: None,
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
                        printer: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CentreSpec {
        crate::config::parse(crate::config::DEFAULT_TOML, crate::config::DEFAULT_NAME)
            .expect("demo config")
            .spec
    }

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("time")
    }

    fn applied(spec: &CentreSpec, state: &mut State, events: Vec<Event>) {
        for event in events {
            let env = crate::domain::Envelope {
                seq: state.seq + 1,
                at: at("2026-11-23T08:00:00+07:00"),
                event,
            };
            state.apply(spec, &env);
        }
    }

    fn input(printer: &str, condition: PrinterCondition) -> Vec<PrinterInput> {
        vec![PrinterInput {
            printer: printer.into(),
            condition,
        }]
    }

    #[test]
    fn a_printer_fault_is_raised_once_changed_and_cleared_when_it_recovers() {
        let spec = spec();
        let day = at("2026-11-23T08:00:00+07:00");
        let mut state = State::new(&spec, day.date_naive());
        let now = at("2026-11-23T08:01:00+07:00");
        let out = PrinterCondition::Fault {
            kind: PrinterFault::PaperOut,
            since: now,
        };
        let events = check(&spec, &state, now, &input("Kiosk 1", out.clone()));
        assert_eq!(events.len(), 1, "{events:?}");
        let Event::Alert(a) = &events[0] else {
            panic!("not an alert: {events:?}")
        };
        assert_eq!(a.kind, AlertKind::PrinterPaperOut);
        assert_eq!(a.printer.as_deref(), Some("Kiosk 1"));
        assert_eq!(a.key, "printer_paper_out:Kiosk 1");
        applied(&spec, &mut state, events);
        // Same condition again: nothing new.
        assert!(check(&spec, &state, now, &input("Kiosk 1", out)).is_empty());
        // Unknown (a restart before the queue looked): kept.
        let unknown = input("Kiosk 1", PrinterCondition::Unknown);
        assert!(check(&spec, &state, now, &unknown).is_empty());
        // Offline now: the paper alert clears, the offline one is raised.
        let offline = PrinterCondition::Fault {
            kind: PrinterFault::Offline,
            since: now,
        };
        let events = check(&spec, &state, now, &input("Kiosk 1", offline));
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(
            matches!(&events[0], Event::AlertCleared { key } if key == "printer_paper_out:Kiosk 1")
        );
        assert!(matches!(&events[1], Event::Alert(a) if a.kind == AlertKind::PrinterOffline));
        applied(&spec, &mut state, events);
        // Back to normal: cleared.
        let events = check(&spec, &state, now, &input("Kiosk 1", PrinterCondition::Ok));
        assert_eq!(
            events,
            vec![Event::AlertCleared {
                key: "printer_offline:Kiosk 1".into()
            }]
        );
    }

    #[test]
    fn alerts_of_a_printer_no_longer_configured_are_cleared() {
        let spec = spec();
        let now = at("2026-11-23T08:01:00+07:00");
        let mut state = State::new(&spec, now.date_naive());
        let low = PrinterCondition::Fault {
            kind: PrinterFault::PaperLow,
            since: now,
        };
        let events = check(&spec, &state, now, &input("Old kiosk", low));
        applied(&spec, &mut state, events);
        assert_eq!(state.alerts.len(), 1);
        let events = check(&spec, &state, now, &[]);
        assert_eq!(events.len(), 1);
        assert!(matches!(&events[0], Event::AlertCleared { .. }));
    }
}
