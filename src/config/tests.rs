//! Tests of config parsing: the shipped files, defaults, loading and PIN hashing. Each kind
//! of broken file is in [`problems`].

use chrono::{NaiveTime, Weekday};

use super::*;
use crate::audio::settings::{Dialect, Output};
use crate::domain::ids::ServiceId as ServiceIdT;
use crate::domain::spec::{Mode, OpeningHours};

mod printers;
mod problems;

/// A valid centre that the tests below break one way at a time.
pub(super) const BASE: &str = r#"[centre]
name = "Test"

[[services]]
id = "hotich"
name = "Hộ tịch"
first = 1001
last = 1999

[[services]]
id = "chungthuc"
name = "Chứng thực"
first = 2001
last = 2999

[[counters]]
id = 1
services = ["hotich", "chungthuc"]
"#;

pub(super) const HASH_1234: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$blDlhZxM6+6ZSrQ/zNC7Qw$r7c4HpQrAlZ7H/MpKr1Eq2yLjf8atlsCMwwkXbX75sY";

pub(super) fn problems(text: &str) -> Vec<Problem> {
    match parse(text, "centre.toml") {
        Ok(_) => panic!("expected problems, the config parsed:\n{text}"),
        Err(e) => {
            assert!(!e.problems.is_empty());
            e.problems
        }
    }
}

/// 1-based line of the first line of `text` containing `needle`.
pub(super) fn line_with(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
}

/// 1-based line of the last line of `text` containing `needle`.
pub(super) fn last_line_with(text: &str, needle: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .rposition(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
}

/// Asserts that `text` has a problem at the line of `needle`, for `field`, saying `says`.
pub(super) fn assert_problem(text: &str, needle: &str, field: &str, says: &str) {
    let line = line_with(text, needle);
    let ps = problems(text);
    assert!(
        ps.iter()
            .any(|p| p.line == Some(line) && p.field == field && p.message.contains(says)),
        "no problem at line {line} for {field} saying {says:?}; got:\n{}",
        ConfigError {
            problems: ps.clone()
        }
    );
}

#[test]
fn base_parses_with_defaults() {
    let c = parse(BASE, "centre.toml").unwrap();
    assert_eq!(c.spec.name_en, "Test");
    assert_eq!(c.spec.timezone, chrono_tz::Asia::Ho_Chi_Minh);
    assert_eq!(c.spec.priority_streak, 3);
    let s = &c.spec.services[0];
    assert_eq!(
        (s.name_en.as_str(), s.target_wait_s, s.default_service_s),
        ("Hộ tịch", 900, 300)
    );
    assert_eq!(s.hours, OpeningHours::always());
    assert!(!s.remote && s.appointments.is_none() && s.prefix.is_none());
    let k = &c.spec.counters[0];
    assert_eq!((k.name.as_str(), k.mode), ("Quầy 1", Mode::Fifo));
    assert!(c.staff.is_empty() && c.devices.is_empty() && c.notice.is_none());
}

#[test]
fn default_config_parses() {
    let c = parse(DEFAULT_TOML, DEFAULT_NAME).unwrap_or_else(|e| panic!("{e}"));
    let s = &c.spec;
    assert_eq!(s.name, "Trung tâm Phục vụ hành chính công tỉnh Demo");
    assert_eq!(s.services.len(), 7);
    assert_eq!(s.counters.len(), 8);
    assert_eq!(s.priorities.len(), 4);
    assert!(c.notice.is_some());
    let tiepdan = s.service(&ServiceIdT::new("tiepdan")).unwrap();
    let slots = tiepdan.appointments.as_ref().unwrap();
    assert!(slots.appointment_only);
    assert_eq!((slots.slot_min, slots.capacity), (30, 1));
    assert_eq!(slots.hours.days, vec![Weekday::Mon, Weekday::Fri]);
    let hotich = s.service(&ServiceIdT::new("hotich")).unwrap();
    let slots = hotich.appointments.as_ref().unwrap();
    assert!(!slots.appointment_only);
    assert_eq!(
        (slots.capacity, slots.hours.windows.len(), slots.days_ahead),
        (2, 2, 14)
    );
    assert_eq!(slots.hours.days.len(), 5);
    assert!(s.service(&ServiceIdT::new("gplx")).unwrap().remote);
    assert_eq!(
        s.service(&ServiceIdT::new("datdai")).unwrap().target_wait_s,
        1800
    );
    assert_eq!(s.counter(CounterId(4)).unwrap().mode, Mode::Ordered);
    assert_eq!(c.staff.len(), 9);
    assert!(c
        .staff
        .iter()
        .filter(|p| p.supervisor)
        .map(|p| p.id.0.as_str())
        .eq(["gs01"]));
    assert!(verify_pin(&c.staff[0].pin_hash, "1234"));
    assert!(verify_pin(&c.staff[8].pin_hash, "9999"));
    let token = |role: DeviceRole, counter: Option<u32>| {
        c.devices
            .iter()
            .find(|d| d.role == role && d.counter == counter.map(CounterId))
            .map(|d| d.token.as_str())
    };
    assert_eq!(
        token(DeviceRole::Display, None),
        Some("demo-display-token-0001")
    );
    assert_eq!(
        token(DeviceRole::Kiosk, None),
        Some("demo-kiosk-token-00001")
    );
    assert_eq!(
        token(DeviceRole::Supervisor, None),
        Some("demo-supervisor-token-01")
    );
    for n in 1..=8 {
        let want = format!("demo-rating-token-000{n}");
        assert_eq!(token(DeviceRole::Rating, Some(n)), Some(want.as_str()));
    }
    assert_eq!(
        (c.audio.output, c.audio.dialect),
        (Output::Browser, Dialect::Bac)
    );
}

#[test]
fn commune_example_parses() {
    let text = include_str!("../../config/examples/commune.toml");
    let c = parse(text, "config/examples/commune.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.spec.services.len(), 3);
    assert!(c.spec.counters.len() <= 2);
    assert_eq!(c.photos_dir, Some(PathBuf::from("config/examples/photos")));
    let s = &c.spec.services[0];
    assert_eq!(s.prefix.as_deref(), Some("A"));
    assert!(s
        .hours
        .is_open(Weekday::Sat, NaiveTime::from_hms_opt(8, 0, 0).unwrap()));
    assert!(!s
        .hours
        .is_open(Weekday::Mon, NaiveTime::from_hms_opt(12, 0, 0).unwrap()));
    assert!(!s
        .hours
        .is_open(Weekday::Sun, NaiveTime::from_hms_opt(8, 0, 0).unwrap()));
}

#[test]
fn load_names_the_file_and_resolves_photos_dir() {
    let dir = std::env::temp_dir().join(format!("xephang-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("centre.toml");
    let text = BASE.replace("name = \"Test\"", "name = \"Test\"\nphotos_dir = \"anh\"");
    std::fs::write(&path, &text).unwrap();
    let c = load(&path).unwrap();
    assert_eq!(c.photos_dir, Some(dir.join("anh")));
    std::fs::write(&path, text.replace("id = 1", "id = 1\nbogus = 2")).unwrap();
    let e = load(&path).unwrap_err();
    assert!(e.to_string().starts_with(&format!("{}:", path.display())));
    std::fs::remove_dir_all(&dir).unwrap();
    let e = load(&dir.join("missing.toml")).unwrap_err();
    assert!(e.problems[0].message.contains("cannot read"));
}

#[test]
fn pin_round_trip() {
    let h = hash_pin("2468").unwrap();
    assert!(h.starts_with("$argon2id$"));
    assert!(access::is_argon2id(&h));
    assert!(verify_pin(&h, "2468"));
    assert!(!verify_pin(&h, "2469"));
    assert!(!verify_pin("not a hash", "2468"));
    assert_ne!(h, hash_pin("2468").unwrap(), "salt must be random");
    assert_eq!(hash_pin(""), Err(PinError::Empty));
}
