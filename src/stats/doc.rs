//! The stats document of API.md as types: what `GET /api/v1/stats` answers, what the CSV
//! and XLSX reports and the province hub read (through fields, not JSON paths). Built from
//! [`DayStats`](super::DayStats) by [`DayStats::doc`](super::DayStats::doc).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Acc;
use crate::domain::ids::{CounterId, ServiceId, StaffId};

/// The figures of a day: the whole centre, then per service, counter, clerk and hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatsDoc {
    /// The day (`YYYY-MM-DD`), or `FROM..TO` for a report over several days; null when no
    /// journal day was read.
    pub day: Option<String>,
    pub totals: Figures,
    /// Every configured service, in the configuration's order.
    pub services: Vec<ServiceFigures>,
    /// Every configured counter, in the configuration's order.
    pub counters: Vec<CounterFigures>,
    /// Every clerk who did something that day, by staff id.
    pub clerks: Vec<ClerkFigures>,
    /// Every hour in which something happened.
    pub hours: Vec<HourFigures>,
}

/// The FIGURES object of API.md.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    pub issued: u32,
    pub called: u32,
    pub served: u32,
    pub no_show: u32,
    pub cancelled: u32,
    pub transferred: u32,
    pub expired: u32,
    /// Tickets in the queue now (at the end of the hour, in the hourly table).
    pub waiting: u32,
    /// Waits (first call − issue), seconds; null when no ticket was called.
    pub wait_s: Option<Summary>,
    /// Service times (finish − last call), seconds; null when none was finished.
    pub service_s: Option<Summary>,
    /// Share of first calls within the service's target wait, in % with one decimal.
    pub on_time_pct: Option<f64>,
    /// Every rating by score: the counter tablet's and the phone's.
    pub ratings: ByScore,
    /// Ratings given on the counter's tablet.
    pub ratings_counter: ByScore,
    /// Ratings given afterwards on the citizen's phone.
    pub ratings_phone: ByScore,
    /// Share of scores 3 and 4, in % with one decimal.
    pub satisfaction_pct: Option<f64>,
    /// Longest wait of a ticket still waiting, seconds (today's figures only).
    pub longest_wait_s: Option<u32>,
}

/// Average, median, 90th percentile (nearest rank) and maximum of a sample, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub avg: u64,
    pub p50: u32,
    pub p90: u32,
    pub max: u32,
}

/// Ratings by score: 4 Rất hài lòng, 3 Hài lòng, 2 Bình thường, 1 Không hài lòng.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ByScore {
    #[serde(rename = "1")]
    pub s1: u32,
    #[serde(rename = "2")]
    pub s2: u32,
    #[serde(rename = "3")]
    pub s3: u32,
    #[serde(rename = "4")]
    pub s4: u32,
}

/// A service's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServiceFigures {
    #[schema(value_type = String)]
    pub id: ServiceId,
    /// Display name (API answers and reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A counter's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CounterFigures {
    #[schema(value_type = u32)]
    pub id: CounterId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A clerk's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClerkFigures {
    #[schema(value_type = String)]
    pub id: StaffId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// An hour's figures (events counted in the hour they happened).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HourFigures {
    /// 0–23, local time.
    pub hour: u32,
    #[serde(flatten)]
    pub figures: Figures,
}

impl Summary {
    /// The summary of a sample, or None when it is empty.
    pub fn of(xs: &[u32]) -> Option<Summary> {
        if xs.is_empty() {
            return None;
        }
        let mut v = xs.to_vec();
        v.sort_unstable();
        let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        let sum: u64 = v.iter().map(|x| u64::from(*x)).sum();
        Some(Summary {
            avg: (sum as f64 / v.len() as f64).round() as u64,
            p50: rank(0.5),
            p90: rank(0.9),
            max: v[v.len() - 1],
        })
    }
}

impl ByScore {
    /// From counts indexed by score − 1.
    pub fn of(r: &[u32; 4]) -> ByScore {
        ByScore {
            s1: r[0],
            s2: r[1],
            s3: r[2],
            s4: r[3],
        }
    }

    /// How many ratings in all.
    pub fn total(&self) -> u32 {
        self.s1 + self.s2 + self.s3 + self.s4
    }
}

/// `part` of `whole` in % with one decimal, or None of nothing.
fn pct(part: u32, whole: u32) -> Option<f64> {
    (whole != 0).then(|| (1000.0 * f64::from(part) / f64::from(whole)).round() / 10.0)
}

impl Figures {
    /// The figures of one group's counts and samples.
    pub fn of(a: &Acc) -> Figures {
        let rated: u32 = a.ratings.iter().sum();
        Figures {
            issued: a.issued,
            called: a.called,
            served: a.served,
            no_show: a.no_show,
            cancelled: a.cancelled,
            transferred: a.transferred,
            expired: a.expired,
            waiting: a.waiting,
            wait_s: Summary::of(&a.waits),
            service_s: Summary::of(&a.service_times),
            on_time_pct: pct(a.on_time, a.waits.len() as u32),
            ratings: ByScore::of(&a.ratings),
            ratings_counter: ByScore::of(&a.ratings_counter),
            ratings_phone: ByScore::of(&a.ratings_phone),
            satisfaction_pct: pct(a.ratings[2] + a.ratings[3], rated),
            longest_wait_s: a.longest_wait_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The FIGURES object as `stats.rs` built it before the typed document (the oracle).
    fn old_figures(a: &Acc) -> Value {
        fn summary(xs: &[u32]) -> Value {
            if xs.is_empty() {
                return Value::Null;
            }
            let mut v = xs.to_vec();
            v.sort_unstable();
            let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
            let sum: u64 = v.iter().map(|x| u64::from(*x)).sum();
            json!({
                "avg": (sum as f64 / v.len() as f64).round() as u64,
                "p50": rank(0.5),
                "p90": rank(0.9),
                "max": v[v.len() - 1],
            })
        }
        fn pct(part: u32, whole: u32) -> Value {
            if whole == 0 {
                Value::Null
            } else {
                json!((1000.0 * f64::from(part) / f64::from(whole)).round() / 10.0)
            }
        }
        fn by_score(r: &[u32; 4]) -> Value {
            json!({"1": r[0], "2": r[1], "3": r[2], "4": r[3]})
        }
        let rated: u32 = a.ratings.iter().sum();
        json!({
            "issued": a.issued, "called": a.called, "served": a.served, "no_show": a.no_show,
            "cancelled": a.cancelled, "transferred": a.transferred, "expired": a.expired,
            "waiting": a.waiting,
            "wait_s": summary(&a.waits),
            "service_s": summary(&a.service_times),
            "on_time_pct": pct(a.on_time, a.waits.len() as u32),
            "ratings": by_score(&a.ratings),
            "ratings_counter": by_score(&a.ratings_counter),
            "ratings_phone": by_score(&a.ratings_phone),
            "satisfaction_pct": pct(a.ratings[2] + a.ratings[3], rated),
            "longest_wait_s": a.longest_wait_s,
        })
    }

    #[test]
    fn figures_serialise_as_the_old_document_did() {
        let busy = Acc {
            issued: 9,
            called: 8,
            served: 6,
            no_show: 1,
            cancelled: 1,
            transferred: 2,
            expired: 1,
            waiting: 3,
            waits: vec![30, 600, 95, 1200, 7],
            on_time: 3,
            service_times: vec![300, 45],
            ratings: [1, 0, 2, 4],
            ratings_counter: [1, 0, 1, 3],
            ratings_phone: [0, 0, 1, 1],
            longest_wait_s: Some(840),
        };
        for a in [Acc::default(), busy] {
            let new = serde_json::to_value(Figures::of(&a)).expect("serialises");
            assert_eq!(new, old_figures(&a));
            let back: Figures = serde_json::from_value(new).expect("parses");
            assert_eq!(back, Figures::of(&a));
        }
    }
}
