//! Who is asking: device tokens from config, clerk and supervisor session tokens from login,
//! or nobody (the public). Roles: display < kiosk/rating < clerk (own counter) < supervisor.
//!
//! Session tokens are signed (HMAC-SHA256 with a secret kept in the data dir), so a clerk's
//! session survives a restart of the daemon and a reload of the page without server-side
//! session storage. A token only works while its clerk is still the one on duty at its
//! counter: a newer login at that counter ends it.

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Query};
use axum::http::{header, request::Parts};
use dashmap::DashMap;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::error::ApiError;
use super::AppState;
use crate::config::DeviceRole;
use crate::domain::ids::{CounterId, StaffId};

/// How long a login lasts.
pub const SESSION: Duration = Duration::from_secs(24 * 3600);
/// Failed PINs of one staff id from one address before a lockout (of that staff id at that
/// address only), and its length.
pub const MAX_FAILURES: u32 = 5;
pub const LOCKOUT: Duration = Duration::from_secs(60);
/// `Retry-After` of a login refused because the id's attempts are all in flight.
const IN_FLIGHT_RETRY_S: u64 = 5;
/// Failed PINs from one address, whatever the staff ids, before the whole address is locked
/// out: high enough that colleagues sharing a PC are not locked out by one clerk's typos,
/// low enough to stop guessing across staff ids.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 30;
/// Failed PINs of one staff id from any address before that staff id is locked out
/// everywhere (guessing one clerk's PIN from many addresses).
pub const MAX_FAILURES_PER_STAFF: u32 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Public,
    Display,
    Kiosk,
    Rating(CounterId),
    Clerk { staff: StaffId, counter: CounterId },
    Supervisor { staff: Option<StaffId> },
}

impl Principal {
    pub fn role(&self) -> &'static str {
        match self {
            Principal::Public => "public",
            Principal::Display => "display",
            Principal::Kiosk => "kiosk",
            Principal::Rating(_) => "rating",
            Principal::Clerk { .. } => "clerk",
            Principal::Supervisor { .. } => "supervisor",
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(self, Principal::Clerk { .. } | Principal::Supervisor { .. })
    }

    pub fn is_supervisor(&self) -> bool {
        matches!(self, Principal::Supervisor { .. })
    }

    /// For log lines.
    pub fn label(&self) -> String {
        match self {
            Principal::Clerk { staff, counter } => format!("clerk {staff}@{counter}"),
            Principal::Supervisor { staff: Some(s) } => format!("supervisor {s}"),
            Principal::Rating(c) => format!("rating@{c}"),
            other => other.role().to_string(),
        }
    }

    pub fn require_supervisor(&self) -> Result<(), ApiError> {
        if self.is_supervisor() {
            Ok(())
        } else {
            Err(self.refusal())
        }
    }

    pub fn require_kiosk(&self) -> Result<(), ApiError> {
        match self {
            Principal::Kiosk | Principal::Supervisor { .. } => Ok(()),
            _ => Err(self.refusal()),
        }
    }

    /// 401 for the public (log in), 403 for a known role that may not.
    pub fn refusal(&self) -> ApiError {
        if *self == Principal::Public {
            ApiError::unauthorized()
        } else {
            ApiError::forbidden()
        }
    }
}

/// Signs and checks session tokens; knows device tokens.
pub struct Keys {
    secret: Vec<u8>,
    /// Who may sign in now (config file + admin page), swapped on each admin change.
    pub directory: super::directory::DirectoryCell,
}

impl Keys {
    /// Loads the signing secret from `<data-dir>/secret.key`, creating it on first start
    /// (secret.rs: an unreadable or short file is an error, never replaced).
    pub fn load(
        data_dir: &Path,
        config: &crate::config::Config,
    ) -> Result<Keys, super::secret::SecretError> {
        let secret = super::secret::load_or_create(data_dir)?;
        Ok(Keys {
            secret,
            directory: super::directory::DirectoryCell::new(config),
        })
    }

    fn mac(&self, payload: &str) -> String {
        // HMAC accepts keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(payload.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A session token: `s1.<kind>.<staff>.<counter>.<expiry unix>.<mac>`.
    pub fn sign(
        &self,
        staff: &StaffId,
        counter: Option<CounterId>,
        supervisor: bool,
        now_unix: i64,
    ) -> String {
        let kind = if supervisor { "s" } else { "c" };
        let counter = counter.map_or("-".to_string(), |c| c.0.to_string());
        let expiry = now_unix + SESSION.as_secs() as i64;
        let payload = format!("s1.{kind}.{staff}.{counter}.{expiry}");
        let mac = self.mac(&payload);
        format!("{payload}.{mac}")
    }

    /// The value of a `xephang_client` cookie for a client id: `<id>.<mac>`, so that
    /// clients cannot make up ids of their own (remote tickets' per-client cap).
    pub fn client_cookie(&self, id: &str) -> String {
        let mac = self.mac(&format!("client.{id}"));
        format!("{id}.{}", &mac[..16])
    }

    /// The client id of a `xephang_client` cookie value this daemon signed.
    pub fn client_of(&self, cookie: &str) -> Option<String> {
        let (id, _) = cookie.split_once('.')?;
        let ok = !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
        (ok && constant_eq(self.client_cookie(id).as_bytes(), cookie.as_bytes()))
            .then(|| id.to_string())
    }

    /// An opaque tag of a client for one business day (`remote.<day>.<client key>` under
    /// the secret, 64 bits): what the journal keeps of a phone that took a remote ticket.
    /// Without the secret it names no address, and tags of different days do not match.
    pub fn client_tag(&self, day: chrono::NaiveDate, client_key: &str) -> String {
        self.mac(&format!("remote.{day}.{client_key}"))[..16].to_string()
    }

    /// Resolves a token to a principal, or None when it is unknown, forged or expired.
    /// A revoked device's token and a disabled staff member's session resolve to None; so
    /// does a supervisor session of someone no longer a supervisor.
    pub fn resolve(&self, token: &str, now_unix: i64) -> Option<Principal> {
        let dir = self.directory.get();
        if let Some(d) = dir.device_by_token(token) {
            return match d.role {
                DeviceRole::Display => Some(Principal::Display),
                DeviceRole::Kiosk => Some(Principal::Kiosk),
                DeviceRole::Rating => d.counter.map(Principal::Rating),
                DeviceRole::Supervisor => Some(Principal::Supervisor { staff: None }),
            };
        }
        let (payload, mac) = token.rsplit_once('.')?;
        let expected = self.mac(payload);
        if !constant_eq(expected.as_bytes(), mac.as_bytes()) {
            return None;
        }
        let mut parts = payload.split('.');
        let (Some("s1"), Some(kind), Some(staff), Some(counter), Some(expiry), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if expiry.parse::<i64>().ok()? < now_unix {
            return None;
        }
        let entry = dir.active_staff(staff)?;
        let staff = StaffId(staff.to_string());
        match kind {
            "s" if entry.supervisor => Some(Principal::Supervisor { staff: Some(staff) }),
            "c" => Some(Principal::Clerk {
                staff,
                counter: CounterId(counter.parse().ok()?),
            }),
            _ => None,
        }
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The bearer token of a request (header first, then `?token=`).
pub fn token_of(parts: &Parts) -> Option<String> {
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    header.or_else(|| {
        Query::<TokenQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.token)
            .filter(|t| !t.is_empty())
    })
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = token_of(parts) else {
            return Ok(Principal::Public);
        };
        let now = chrono::Utc::now().timestamp();
        app.sync_directory();
        let who = app
            .keys
            .resolve(&token, now)
            .ok_or_else(ApiError::unauthorized)?;
        // A clerk given a one-time PIN chooses their own before anything else.
        if let Principal::Clerk { staff, .. } | Principal::Supervisor { staff: Some(staff) } = &who
        {
            let must = app
                .keys
                .directory
                .get()
                .staff(staff)
                .is_some_and(|s| s.must_change_pin);
            // Inside the `/api/v1` nest the URI is stripped of its prefix: the original one.
            let path = parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| parts.uri.path().to_string(), |u| u.0.path().to_string());
            if must && !PIN_CHANGE_ALLOWS.contains(&path.as_str()) {
                return Err(pin_change_required());
            }
        }
        Ok(who)
    }
}

/// What a session whose PIN must be changed may still use.
const PIN_CHANGE_ALLOWS: [&str; 4] = ["/api/v1/me/pin", "/api/v1/me", "/api/v1/logout", "/ws"];

/// 403 `pin_change_required`.
pub fn pin_change_required() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "pin_change_required",
        "Bạn đang dùng mã PIN tạm thời: hãy đặt mã PIN mới trước khi làm việc.",
        "You signed in with a one-time PIN: choose a new PIN first.",
    )
}

/// Failures older than this are forgotten (and their entries dropped by the sweep).
const FORGET: Duration = Duration::from_secs(600);
/// Sweep the entries every this many failures.
const SWEEP_EVERY: usize = 1024;

/// Failed login attempts per staff id and per client address. Only staff ids of the config
/// get an entry (a made-up id, up to the body limit long, must not grow the map), and
/// entries neither locked nor failed for [`FORGET`] are swept, so memory stays bounded.
///
/// PIN checks still running count against their staff id's lockout ([`LoginGuard::begin`]):
/// failures are only known once a check ends, so without this a burst of concurrent wrong
/// PINs for one id would all be checked before the first failure was counted.
#[derive(Default)]
pub struct LoginGuard {
    failures: DashMap<String, Failures>,
    calls: std::sync::atomic::AtomicUsize,
    /// The daemon-wide cap on PIN checks running and waiting.
    pub pins: super::pin_checks::PinChecks,
}

/// One key's recent failures.
#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    locked_until: Option<Instant>,
    last: Instant,
    /// Attempts admitted by [`LoginGuard::begin`] and not ended (staff keys only).
    in_flight: u32,
}

impl Failures {
    fn fresh(now: Instant) -> Failures {
        Failures {
            count: 0,
            locked_until: None,
            last: now,
            in_flight: 0,
        }
    }

    /// Neither locked out, nor failed within [`FORGET`] of `now`, nor in flight.
    fn stale(&self, now: Instant) -> bool {
        self.in_flight == 0 && self.expired(now)
    }

    /// The failures no longer count: a lockout that has ended, or none for [`FORGET`].
    fn expired(&self, now: Instant) -> bool {
        match self.locked_until {
            Some(until) => until <= now,
            None => now.duration_since(self.last) >= FORGET,
        }
    }

    fn forget_if_expired(&mut self, now: Instant) {
        if self.expired(now) {
            self.count = 0;
            self.locked_until = None;
        }
    }
}

/// A login attempt admitted by [`LoginGuard::begin`]; it counts against its staff id's
/// lockout until dropped.
pub struct Attempt<'a> {
    guard: &'a LoginGuard,
    key: Option<String>,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if let Some(key) = &self.key {
            if let Some(mut e) = self.guard.failures.get_mut(key) {
                e.in_flight = e.in_flight.saturating_sub(1);
            }
        }
    }
}

impl LoginGuard {
    /// Admits a login attempt for the staff id typed (`typed`; `known` when it names a staff
    /// member of the config) from `ip`: refused (429 `rate_limited`) when the id or the
    /// address is locked out, or when failures and checks in flight for the id already reach
    /// [`MAX_FAILURES`], so that no burst gets more checks than a lockout allows.
    pub fn begin(
        &self,
        typed: &str,
        known: Option<&str>,
        ip: IpAddr,
    ) -> Result<Attempt<'_>, ApiError> {
        self.check(typed, ip)?;
        let Some(staff) = known else {
            return Ok(Attempt {
                guard: self,
                key: None,
            });
        };
        // In flight counts where the lockout of a typo-prone clerk is: this id at this address.
        let key = format!("pair:{staff}@{ip}");
        let now = Instant::now();
        let mut e = self
            .failures
            .entry(key.clone())
            .or_insert(Failures::fresh(now));
        e.forget_if_expired(now);
        if e.count + e.in_flight >= MAX_FAILURES {
            return Err(ApiError::rate_limited(IN_FLIGHT_RETRY_S));
        }
        e.in_flight += 1;
        Ok(Attempt {
            guard: self,
            key: Some(key),
        })
    }

    /// The keys a login of `staff` from `ip` counts under, each with its cap: the pair, the
    /// staff id everywhere, the address for every staff id.
    fn keys(staff: Option<&str>, ip: IpAddr) -> Vec<(String, u32)> {
        let mut keys = Vec::with_capacity(3);
        if let Some(s) = staff {
            keys.push((format!("pair:{s}@{ip}"), MAX_FAILURES));
            keys.push((format!("staff:{s}"), MAX_FAILURES_PER_STAFF));
        }
        keys.push((format!("ip:{ip}"), MAX_FAILURES_PER_ADDRESS));
        keys
    }

    /// Refuses when this staff id at this address, the staff id, or the address is locked
    /// out.
    pub fn check(&self, staff: &str, ip: IpAddr) -> Result<(), ApiError> {
        for (key, _) in Self::keys(Some(staff), ip) {
            if let Some(until) = self.failures.get(&key).and_then(|e| e.locked_until) {
                let now = Instant::now();
                if until > now {
                    return Err(ApiError::rate_limited((until - now).as_secs().max(1)));
                }
            }
        }
        Ok(())
    }

    /// Counts a wrong PIN or staff id from `ip`; `staff` only when it names a staff member
    /// of the config. Returns how many tries this staff id has left at this address before
    /// its lockout (None for an unknown staff id).
    pub fn failed(&self, staff: Option<&str>, ip: IpAddr) -> Option<u32> {
        let now = Instant::now();
        if self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            self.failures.retain(|_, e| !e.stale(now));
        }
        let mut left = None;
        for (key, cap) in Self::keys(staff, ip) {
            let pair = key.starts_with("pair:");
            let mut e = self.failures.entry(key).or_insert(Failures::fresh(now));
            e.forget_if_expired(now);
            e.count += 1;
            e.last = now;
            if e.count >= cap {
                e.locked_until = Some(now + LOCKOUT);
            }
            if pair {
                left = Some(cap.saturating_sub(e.count));
            }
        }
        left
    }

    /// A right PIN clears this staff id's failures (at this address and everywhere); the
    /// address keeps its count, so that one good login does not reset guessing across ids.
    pub fn succeeded(&self, staff: &str, ip: IpAddr) {
        for key in [format!("pair:{staff}@{ip}"), format!("staff:{staff}")] {
            // Attempts still in flight keep their entry (and their count in it).
            if self
                .failures
                .remove_if(&key, |_, e| e.in_flight == 0)
                .is_none()
            {
                if let Some(mut e) = self.failures.get_mut(&key) {
                    e.count = 0;
                    e.locked_until = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_clerks_typos_do_not_lock_a_colleague_out_of_the_same_pc() {
        let guard = LoginGuard::default();
        let pc: IpAddr = [10, 0, 0, 7].into();
        let lefts: Vec<_> = (0..MAX_FAILURES)
            .map(|_| guard.failed(Some("nv01"), pc))
            .collect();
        assert_eq!(lefts, [Some(4), Some(3), Some(2), Some(1), Some(0)]);
        assert!(
            guard.check("nv01", pc).is_err(),
            "nv01 locked out at this PC"
        );
        assert!(
            guard.check("nv02", pc).is_ok(),
            "nv02 may still sign in here"
        );
        assert!(guard.check("nv01", [10, 0, 0, 8].into()).is_ok());
        // Guessing across staff ids from one address still locks the address out.
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            guard.failed(Some(&format!("x{i}")), [10, 0, 0, 9].into());
        }
        assert!(guard.check("nv02", [10, 0, 0, 9].into()).is_err());
    }

    #[test]
    fn made_up_staff_ids_get_no_entry_and_old_failures_are_forgotten() {
        let guard = LoginGuard::default();
        let ip: IpAddr = [10, 0, 0, 9].into();
        let long = "x".repeat(16_000);
        for _ in 0..MAX_FAILURES_PER_ADDRESS {
            guard.failed(None, ip);
        }
        assert_eq!(guard.failures.len(), 1, "only the address is counted");
        assert!(guard.check(&long, ip).is_err(), "the address is locked out");
        guard.failed(Some("nv01"), [10, 0, 0, 10].into());
        assert!(guard.failures.contains_key("staff:nv01"));
        assert!(guard.failures.contains_key("pair:nv01@10.0.0.10"));
        assert_eq!(guard.failures.len(), 4);

        let now = Instant::now();
        let failed = Failures {
            count: 3,
            ..Failures::fresh(now)
        };
        assert!(!failed.stale(now + FORGET / 2));
        assert!(failed.stale(now + FORGET), "forgotten after FORGET");
        let locked = Failures {
            locked_until: Some(now + 2 * FORGET),
            ..failed
        };
        assert!(!locked.stale(now + FORGET), "kept while locked out");
        let busy = Failures {
            in_flight: 1,
            ..failed
        };
        assert!(!busy.stale(now + FORGET), "kept while a check is in flight");
    }

    #[test]
    fn checks_in_flight_count_against_the_lockout() {
        let guard = LoginGuard::default();
        let ip: IpAddr = [10, 0, 0, 9].into();
        let attempts: Vec<_> = (0..MAX_FAILURES)
            .map(|i| {
                guard
                    .begin("nv01", Some("nv01"), ip)
                    .unwrap_or_else(|_| panic!("attempt {i} admitted"))
            })
            .collect();
        let refused = guard
            .begin("nv01", Some("nv01"), ip)
            .err()
            .expect("a sixth concurrent attempt is refused");
        assert_eq!(refused.code, "rate_limited");
        // Another id is not affected (the address has no failure yet).
        drop(guard.begin("nv02", Some("nv02"), ip).expect("another id"));
        // One ends with a failure: still five (four in flight + one failed).
        guard.failed(Some("nv01"), ip);
        let mut attempts = attempts;
        drop(attempts.pop());
        assert!(guard.begin("nv01", Some("nv01"), ip).is_err());
        // One ends without a verdict (e.g. 503): its place comes back.
        drop(attempts.pop());
        let again = guard
            .begin("nv01", Some("nv01"), ip)
            .expect("a place is free");
        // A success clears the failures but keeps the entry for those in flight.
        guard.succeeded("nv01", ip);
        assert_eq!(
            guard
                .failures
                .get("pair:nv01@10.0.0.9")
                .map(|e| (e.count, e.in_flight)),
            Some((0, 4))
        );
        drop(again);
        drop(attempts);
        assert_eq!(
            guard
                .failures
                .get("pair:nv01@10.0.0.9")
                .map(|e| e.in_flight),
            Some(0)
        );
    }
}
