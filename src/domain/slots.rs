//! Appointment slots: laid out from a service's [`SlotSpec`] for a day, with what is left of
//! each slot's capacity.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone};
use serde::Serialize;

use super::ids::ServiceId;
use super::spec::{CentreSpec, SlotSpec};
use super::state::State;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub capacity: u32,
    pub free: u32,
}

/// Slot start times of a service on a day (empty when the service takes no appointments
/// that day).
pub fn slot_starts(
    spec: &CentreSpec,
    slots: &SlotSpec,
    day: NaiveDate,
) -> Vec<DateTime<FixedOffset>> {
    if !slots.hours.days.contains(&day.weekday()) || slots.slot_min == 0 {
        return Vec::new();
    }
    let step = Duration::minutes(i64::from(slots.slot_min));
    let mut out = Vec::new();
    for w in &slots.hours.windows {
        let mut t = w.start;
        while t + step <= w.end && t < w.end {
            if let Some(at) = spec
                .timezone
                .from_local_datetime(&day.and_time(t))
                .earliest()
            {
                out.push(at.fixed_offset());
            }
            let (next, wrapped) = t.overflowing_add_signed(step);
            if wrapped != 0 {
                break;
            }
            t = next;
        }
    }
    out.sort();
    out
}

/// The slots of a service on a day; `taken` counts the bookings held for a slot start.
pub fn slots_of(
    spec: &CentreSpec,
    service: &ServiceId,
    day: NaiveDate,
    taken: &dyn Fn(DateTime<FixedOffset>) -> u32,
) -> Vec<Slot> {
    let Some(slots) = spec.service(service).and_then(|s| s.appointments.as_ref()) else {
        return Vec::new();
    };
    let len = Duration::minutes(i64::from(slots.slot_min));
    slot_starts(spec, slots, day)
        .into_iter()
        .map(|start| {
            let taken = taken(start);
            Slot {
                start,
                end: start + len,
                capacity: slots.capacity,
                free: slots.capacity.saturating_sub(taken),
            }
        })
        .collect()
}

/// Bookings held for one slot.
pub fn booked(state: &State, service: &ServiceId, start: DateTime<FixedOffset>) -> u32 {
    state
        .bookings
        .values()
        .filter(|b| &b.service == service && b.start == start)
        .count() as u32
}
