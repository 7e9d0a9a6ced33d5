//! One PIN check as the login and the PIN change both make it: admitted against the lockout
//! ([`super::auth::LoginGuard`]), run behind the daemon-wide cap ([`super::pin_checks`]),
//! then counted; and the lockout's wording, from its constants. Its own file because it
//! needs both, and `auth` already uses `pin_checks` (no circular imports in `src/api/`).

use std::net::IpAddr;

use super::auth::{LoginGuard, LOCKOUT, MAX_FAILURES};
use super::error::ApiError;

/// How a PIN check counted against the lockout came out.
pub enum PinCheck {
    Right,
    /// Wrong: the tries left before the id is locked out at this address (`None`: the id
    /// typed names nobody, so nothing was counted on it).
    Wrong {
        left: Option<u32>,
    },
}

impl LoginGuard {
    /// One PIN check as the login and the PIN change both make it: admitted against the
    /// lockout first (429 `rate_limited`; it counts as in flight while it runs), checked
    /// behind the daemon-wide cap (503 `unavailable`), then counted as a success or a
    /// failure. `hash`: the PIN hash of the staff member `known`; `None` is always wrong,
    /// without a check.
    pub async fn check_pin(
        &self,
        typed: &str,
        known: Option<&str>,
        ip: IpAddr,
        hash: Option<String>,
        pin: String,
    ) -> Result<PinCheck, ApiError> {
        let attempt = self.begin(typed, known, ip)?;
        let right = match hash {
            // argon2 is slow and memory-hungry by design: off the async workers, a few at
            // a time.
            Some(hash) => {
                self.pins
                    .run(move || crate::config::verify_pin(&hash, &pin))
                    .await?
            }
            None => false,
        };
        let outcome = if right {
            self.succeeded(typed, ip);
            PinCheck::Right
        } else {
            PinCheck::Wrong {
                left: self.failed(known, ip),
            }
        };
        drop(attempt);
        Ok(outcome)
    }
}

/// The end of a wrong-PIN message with `left` tries before the lockout (Vietnamese, English).
pub fn tries_left_text(left: u32) -> (String, String) {
    let secs = LOCKOUT.as_secs();
    (
        format!("còn {left} lần thử trước khi bị khóa {secs} giây."),
        format!("{left} tries left before a {secs}-second lockout."),
    )
}

/// The message of a wrong PIN that locked the id out (Vietnamese, English).
pub fn locked_out_text() -> (String, String) {
    let secs = LOCKOUT.as_secs();
    (
        format!("Sai mã PIN {MAX_FAILURES} lần: tạm khóa {secs} giây."),
        format!("{MAX_FAILURES} wrong PINs: locked for {secs} seconds."),
    )
}
