//! Field-level checks shared by all tables: required strings, bounded integers, ids, days
//! and time windows. Each check reports into [`Ctx`] and returns a usable fallback, so
//! validation goes on and every problem of the file is found in one run.

use std::collections::HashMap;
use std::hash::Hash;
use std::ops::Range;

use chrono::Weekday;

use super::locate::{key_line, line_of};
use super::raw::S;
use super::Problem;
use crate::domain::spec::{TimeWindow, ALL_WEEKDAYS};

pub(super) const WORK_DAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Collects problems with their lines while the config is checked.
pub(super) struct Ctx<'a> {
    text: &'a str,
    file: &'a str,
    pub problems: Vec<Problem>,
}

impl<'a> Ctx<'a> {
    pub fn new(text: &'a str, file: &'a str) -> Self {
        Ctx {
            text,
            file,
            problems: Vec::new(),
        }
    }

    pub fn report(&mut self, span: Option<Range<usize>>, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            line: span.map(|s| line_of(self.text, s.start)),
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// Reports at the line of the key `dotted` (e.g. `audio.repeats`), found in the text.
    pub fn report_at_key(&mut self, dotted: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            line: key_line(self.text, dotted),
            field: dotted.to_string(),
            message: message.into(),
        });
    }

    /// Remembers the line where `key` is first defined; on a repeat, returns that line.
    pub fn seen_before<K: Eq + Hash>(
        &self,
        seen: &mut HashMap<K, usize>,
        key: K,
        span: Range<usize>,
    ) -> Option<usize> {
        match seen.get(&key) {
            Some(line) => Some(*line),
            None => {
                seen.insert(key, line_of(self.text, span.start));
                None
            }
        }
    }

    /// A required, non-empty string; `table` locates the complaint when the key is missing.
    pub fn required(&mut self, v: &Option<S<String>>, table: &Range<usize>, field: &str) -> String {
        match v {
            None => {
                self.report(Some(table.clone()), field, "required key is missing");
                String::new()
            }
            Some(s) => self.non_empty(s, field),
        }
    }

    pub fn non_empty(&mut self, s: &S<String>, field: &str) -> String {
        if s.get_ref().trim().is_empty() {
            self.report(Some(s.span()), field, "must not be empty");
        }
        s.get_ref().trim().to_string()
    }

    pub fn optional(&mut self, v: &Option<S<String>>, field: &str) -> Option<String> {
        v.as_ref().map(|s| self.non_empty(s, field))
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn int(
        &mut self,
        v: &Option<S<i64>>,
        field: &str,
        default: u32,
        min: u32,
        max: u32,
    ) -> u32 {
        let Some(v) = v else { return default };
        let n = *v.get_ref();
        if n < i64::from(min) {
            self.report(Some(v.span()), field, format!("must be at least {min}"));
            default
        } else if n > i64::from(max) {
            self.report(Some(v.span()), field, format!("must be at most {max}"));
            default
        } else {
            u32::try_from(n).unwrap_or(default)
        }
    }

    pub fn id(&mut self, v: &Option<S<String>>, table: &Range<usize>, field: &str) -> String {
        let id = self.required(v, table, field);
        if let Some(s) = v {
            let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
            if !id.is_empty() && !id.chars().all(ok) {
                let msg = format!("\"{id}\" may only contain a-z, 0-9, _ and -");
                self.report(Some(s.span()), field, msg);
            }
        }
        id
    }

    pub fn days(
        &mut self,
        v: &Option<S<Vec<S<String>>>>,
        field: &str,
        default: &[Weekday],
    ) -> Vec<Weekday> {
        let Some(list) = v else {
            return default.to_vec();
        };
        if list.get_ref().is_empty() {
            self.report(Some(list.span()), field, "must list at least one day");
            return default.to_vec();
        }
        let mut days = Vec::new();
        for d in list.get_ref() {
            let name = d.get_ref().trim().to_ascii_lowercase();
            match DAY_NAMES.iter().position(|n| *n == name) {
                Some(i) if days.contains(&ALL_WEEKDAYS[i]) => {
                    self.report(
                        Some(d.span()),
                        field,
                        format!("day \"{name}\" is listed twice"),
                    );
                }
                Some(i) => days.push(ALL_WEEKDAYS[i]),
                None => {
                    let msg = format!(
                        "unknown day \"{}\" (expected {})",
                        d.get_ref(),
                        DAY_NAMES.join(", ")
                    );
                    self.report(Some(d.span()), field, msg);
                }
            }
        }
        days
    }

    /// Time windows `HH:MM-HH:MM`, sorted by start; bad or overlapping ones are reported.
    pub fn windows(&mut self, v: &Option<S<Vec<S<String>>>>, field: &str) -> Vec<TimeWindow> {
        let mut out: Vec<TimeWindow> = Vec::new();
        for w in v.iter().flat_map(|l| l.get_ref()) {
            let Some(window) = parse_window(w.get_ref()) else {
                let msg = format!("\"{}\" is not a time window HH:MM-HH:MM", w.get_ref());
                self.report(Some(w.span()), field, msg);
                continue;
            };
            if let Some(msg) = crate::domain::rules::window_problem(&window, w.get_ref(), &out) {
                self.report(Some(w.span()), field, msg);
                continue;
            }
            out.push(window);
        }
        out.sort_by_key(|w| w.start);
        out
    }
}

use crate::domain::rules::parse_window;

pub(super) fn fmt_window(w: &TimeWindow) -> String {
    format!("{}-{}", w.start.format("%H:%M"), w.end.format("%H:%M"))
}

/// `a, b, c`, or `none` for an empty list.
pub(super) fn list_or_none<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    let items: Vec<String> = items.iter().map(T::to_string).collect();
    items.join(", ")
}
