//! Validation rules shared by the config file (`config::validate`, `config::fields`) and the
//! admin page's changes (`domain::admin`): one function per rule, so a counter or a time
//! window is judged the same way whether IT typed it in the TOML file or a supervisor set it
//! on the page. Each returns the problem in English (the config's wording); callers locate it.

use chrono::NaiveTime;

use super::ids::ServiceId;
use super::spec::TimeWindow;

/// A time window `HH:MM-HH:MM` (exactly two digits each side).
pub fn parse_window(s: &str) -> Option<TimeWindow> {
    let (a, b) = s.split_once('-')?;
    let t = |x: &str| {
        let x = x.trim();
        // chrono accepts "7:30"; insist on the documented HH:MM.
        (x.len() == 5)
            .then(|| NaiveTime::parse_from_str(x, "%H:%M").ok())
            .flatten()
    };
    Some(TimeWindow {
        start: t(a)?,
        end: t(b)?,
    })
}

/// `HH:MM-HH:MM`.
pub fn fmt_window(w: &TimeWindow) -> String {
    format!("{}-{}", w.start.format("%H:%M"), w.end.format("%H:%M"))
}

/// Why `window` (typed as `text`) may not join `accepted`: it ends before it starts, or
/// overlaps one of them.
pub fn window_problem(window: &TimeWindow, text: &str, accepted: &[TimeWindow]) -> Option<String> {
    if window.start >= window.end {
        return Some(format!("window \"{text}\" must end after it starts"));
    }
    accepted
        .iter()
        .find(|o| o.start < window.end && window.start < o.end)
        .map(|other| format!("window \"{text}\" overlaps {}", fmt_window(other)))
}

/// Why service `sid` may not be the next entry of a counter's list `so_far`: listed twice,
/// or not a service of the centre (`known`).
pub fn counter_service_problem(sid: &str, so_far: &[ServiceId], known: &[&str]) -> Option<String> {
    if so_far.iter().any(|x| x.as_str() == sid) {
        Some(format!("service \"{sid}\" is listed twice"))
    } else if !known.contains(&sid) {
        Some(format!(
            "unknown service \"{sid}\" (known: {})",
            list_or_none(known)
        ))
    } else {
        None
    }
}

/// The message of a counter without any service.
pub const EMPTY_COUNTER: &str = "must list at least one service";

/// `a, b, c` or `none`.
pub fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// A person's or device's name: not blank, at most `max` characters, no control characters.
pub fn name_problem(name: &str, max: usize) -> Option<String> {
    if name.trim().is_empty() {
        Some("must not be empty".to_string())
    } else if name.chars().count() > max {
        Some(format!("must be at most {max} characters"))
    } else if name.chars().any(char::is_control) {
        Some("must not contain control characters".to_string())
    } else {
        None
    }
}
