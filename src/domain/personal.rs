//! Personal data citizens volunteer: a name and a phone number with a booking, a phone
//! number for a call-back after the visit. Checked and normalised here, once, before it
//! enters an event; shown to supervisors only (see `view.rs`); erased after
//! `personal_data_days` by the `personal_data_purged` event.

use chrono::{Duration, NaiveDate};

use super::error::DomainError;

/// Longest name accepted, in characters.
pub const MAX_NAME: usize = 80;
/// Digits a phone number must have (Vietnamese numbers have 10; landlines with area code
/// 10–11; international up to 15).
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

/// A name as given, trimmed with inner runs of white space made one; empty → None.
pub fn clean_name(name: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(raw) = name else { return Ok(None) };
    let words: Vec<&str> = raw.split_whitespace().collect();
    if words.is_empty() {
        return Ok(None);
    }
    let name = words.join(" ");
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(DomainError::BadName);
    }
    Ok(Some(name))
}

/// A phone number without its separators (spaces, dots, dashes, parentheses); `+84…` becomes
/// the national `0…`. Empty → None; anything else but digits and one leading `+` is refused.
pub fn clean_phone(phone: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(raw) = phone else { return Ok(None) };
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let mut out = String::new();
    for (i, c) in raw.chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return Err(DomainError::BadPhone),
        }
    }
    if let Some(national) = out.strip_prefix("+84") {
        out = format!("0{national}");
    }
    let digits = out.chars().filter(char::is_ascii_digit).count();
    if !PHONE_DIGITS.contains(&digits) {
        return Err(DomainError::BadPhone);
    }
    Ok(Some(out))
}

/// The first day whose personal data is still kept on `today`: data of earlier days is
/// purged. `days` = 0 keeps only today's.
pub fn horizon(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_sub_signed(Duration::days(i64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised() {
        let ok = |s: &str| clean_phone(Some(s)).expect(s).expect(s);
        assert_eq!(ok("0912 345 678"), "0912345678");
        assert_eq!(ok("+84 912.345.678"), "0912345678");
        assert_eq!(ok("(028) 3829-1234"), "02838291234");
        assert_eq!(ok("+33 1 23 45 67 89"), "+33123456789");
        assert_eq!(clean_phone(Some("  ")), Ok(None));
        assert_eq!(clean_phone(None), Ok(None));
        for bad in [
            "=1+2",
            "09123",
            "0912a45678",
            "1+912345678",
            "0912345678901234567",
        ] {
            assert_eq!(clean_phone(Some(bad)), Err(DomainError::BadPhone), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            clean_name(Some("  Lê   Thị\tRiêng ")),
            Ok(Some("Lê Thị Riêng".into()))
        );
        assert_eq!(clean_name(Some(" ")), Ok(None));
        assert_eq!(
            clean_name(Some(&"a".repeat(MAX_NAME + 1))),
            Err(DomainError::BadName)
        );
        assert_eq!(clean_name(Some("a\u{7}b")), Err(DomainError::BadName));
    }

    #[test]
    fn horizon_counts_back_whole_days() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        assert_eq!(horizon(d, 0), d);
        assert_eq!(
            horizon(d, 30),
            NaiveDate::from_ymd_opt(2026, 1, 31).expect("date")
        );
    }
}
