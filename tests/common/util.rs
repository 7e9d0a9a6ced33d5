//! Calendar arithmetic and a small deterministic random generator for the tests.

use super::*;

// ---- calendar helpers (no chrono in dev-dependencies; the daemon's day is given) ------

pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// "YYYY-MM-DD" plus `n` days.
pub fn add_days(day: &str, n: u32) -> String {
    let p: Vec<i64> = day.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = civil_from_days(days_from_civil(p[0], p[1], p[2]) + n as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Seconds since the Unix epoch of an RFC 3339 time with offset ("2026-11-22T08:00:00+07:00").
pub fn rfc3339_epoch(s: &str) -> i64 {
    let (date, rest) = s.split_at(10);
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let rest = &rest[1..];
    let hh: i64 = rest[0..2].parse().unwrap();
    let mm: i64 = rest[3..5].parse().unwrap();
    let ss: i64 = rest[6..8].parse().unwrap();
    let tz = &rest[8..];
    // skip fractional seconds
    let tz = tz.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let off = if tz == "Z" || tz.is_empty() {
        0
    } else {
        let sign = if tz.starts_with('-') { -1 } else { 1 };
        let oh: i64 = tz[1..3].parse().unwrap();
        let om: i64 = tz[4..6].parse().unwrap();
        sign * (oh * 3600 + om * 60)
    };
    days_from_civil(p[0], p[1], p[2]) * 86400 + hh * 3600 + mm * 60 + ss - off
}

pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn slot_in_future(slot: &Value) -> bool {
    slot["start"]
        .as_str()
        .is_some_and(|s| rfc3339_epoch(s) > now_epoch() + 5)
}

/// A small xorshift PRNG seeded from the clock (no `rand` in dev-dependencies).
pub struct Rng(u64);

impl Rng {
    pub fn from_clock() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Rng(nanos | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

/// The environment variable that shifts the daemon's clock (test only).
pub const CLOCK: &str = "XEPHANG_TEST_CLOCK_OFFSET_S";

/// The value of [`CLOCK`] that makes the daemon's now `local` ("2031-05-05T08:00:00+07:00").
pub fn clock_at(local: &str) -> String {
    (rfc3339_epoch(local) - now_epoch()).to_string()
}
