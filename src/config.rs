//! The operator's TOML file turned into validated types.
//!
//! A centre's IT edits one TOML file (see docs/API.md, "Configuration"); this module is the
//! only place that reads it. It exists so that everything past start-up can trust the
//! centre's shape (the domain gets a [`CentreSpec`] whose invariants hold) and so that a
//! wrong file stops the daemon with every problem listed as `file:line: field: message`,
//! in words IT can act on, instead of a panic or a silently ignored typo.
//!
//! Inside: `raw` mirrors the file with spans, `locate` turns TOML/serde errors into
//! problems (all unknown keys, not just the first), `fields`, `validate` and `access`
//! check the values and build [`Config`]. PIN hashing for `xephang hash-pin` and clerk
//! log-in lives here too, as the config stores only the hashes.

mod access;
mod demo;
mod fields;
mod limits;
mod locate;
mod raw;
mod server;
#[cfg(test)]
mod tests;
mod uplink;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::audio::settings::AudioSettings;
use crate::domain::ids::{CounterId, StaffId};
use crate::domain::spec::CentreSpec;
pub use demo::demo_secrets;
pub use limits::Limits;
pub use server::{ServerSettings, TlsFiles};
pub use uplink::Uplink;

/// The demo centre built into the binary, used when no `--config` is given.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");
/// How problems in [`DEFAULT_TOML`] name their file.
pub const DEFAULT_NAME: &str = "config/default.toml (embedded)";

/// A validated config file.
#[derive(Debug, Clone)]
pub struct Config {
    pub spec: CentreSpec,
    /// `[centre] notice`: a scrolling line on the lobby board.
    pub notice: Option<String>,
    /// `[centre] notice_en`: the same line on the English board (without it, the English
    /// board shows `notice`).
    pub notice_en: Option<String>,
    /// `[centre] logo`: URL path of the logo shown on the board.
    pub logo: Option<String>,
    /// `[centre] public_url`: the address phones use to reach this lobby's pages (e.g.
    /// `https://xephang.tinh.gov.vn`), without a trailing slash. QR codes and ticket links
    /// point at it; without it they point at whatever address the kiosk used.
    pub public_url: Option<String>,
    /// `[centre] photos_dir`: folder of clerk photos; a relative path in the file is
    /// resolved against the folder of the config file.
    pub photos_dir: Option<PathBuf>,
    pub staff: Vec<StaffSpec>,
    pub devices: Vec<DeviceSpec>,
    pub audio: AudioSettings,
    /// `[limits]`: rate limits, connection caps and timeouts.
    pub limits: Limits,
    /// `[centre] remote_per_client`: tickets one phone (address + cookie) may take from
    /// home per business day (default 2).
    pub remote_per_client: u32,
    /// `[centre] ticket_footer`: the last line of tickets the daemon prints.
    pub ticket_footer: String,
    /// `[centre] device_offline_min`: a configured device without a connection for longer
    /// than this during opening hours raises an alert (default 3).
    pub device_offline_min: u32,
    /// `[server]`: TLS and the redirecting plain-HTTP listener.
    pub server: ServerSettings,
    /// `[uplink]`: the province hub this lobby ships its events to (None: works alone).
    pub uplink: Option<Uplink>,
}

impl Config {
    /// The centre's facts the screens show (name, logo, notice line), as the file gives them.
    pub fn centre_info(&self) -> crate::read::CentreInfo {
        crate::read::CentreInfo {
            name: self.spec.name.clone(),
            name_en: self.spec.name_en.clone(),
            logo: self.logo.clone(),
            notice: self.notice.clone(),
            notice_en: self.notice_en.clone(),
        }
    }
}

/// The footer of printed tickets when `[centre] ticket_footer` is not set.
pub const DEFAULT_TICKET_FOOTER: &str = "Vui lòng giữ phiếu và chú ý bảng gọi số.";

/// A clerk or supervisor who logs in with a PIN.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffSpec {
    pub id: StaffId,
    pub name: String,
    /// argon2id PHC string of the PIN (checked by [`verify_pin`]).
    pub pin_hash: String,
    pub supervisor: bool,
    /// File name of the clerk's photo inside `photos_dir` (a plain name, no path).
    pub photo: Option<String>,
    /// `disabled = true`: may not sign in (an account disabled on the admin page, exported).
    pub disabled: bool,
    /// `must_change_pin = true`: signed in with a one-time PIN that must be changed first.
    pub must_change_pin: bool,
}

/// What a device token allows (defined with the admin page's changes, which add devices).
pub use crate::domain::admin::DeviceRole;

/// A screen or tablet that authenticates with a fixed token from the config.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceSpec {
    pub name: String,
    pub role: DeviceRole,
    /// At least 16 characters of `A-Z a-z 0-9 - _ . ~` (URL-safe), unique across devices.
    /// Empty when the file gives `token_sha256` instead.
    pub token: String,
    /// `token_sha256`: the token's SHA-256 hex, when the file does not hold the token
    /// itself (devices added on the admin page, exported by `xephang config export`).
    pub token_sha256: Option<String>,
    /// The counter a rating device rates, or a counter display shows; `None` for every other
    /// device (a display without one is a lobby board).
    pub counter: Option<CounterId>,
    /// The ticket printer of a kiosk that the daemon prints to (`printer`, `paper_mm`);
    /// `None`: the kiosk prints through its browser.
    pub printer: Option<crate::print::PrinterSpec>,
}

// Debug by hand: a 4-digit PIN's hash is cracked in seconds and a token is a credential,
// so neither may reach a log through `{:?}`.
impl fmt::Debug for StaffSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffSpec")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("pin_hash", &"<redacted>")
            .field("supervisor", &self.supervisor)
            .field("photo", &self.photo)
            .finish()
    }
}

impl DeviceSpec {
    /// SHA-256 hex of the token: how the daemon recognises the device.
    pub fn token_hash(&self) -> String {
        use sha2::Digest;
        match &self.token_sha256 {
            Some(h) => h.clone(),
            None => hex::encode(sha2::Sha256::digest(self.token.as_bytes())),
        }
    }
}

impl fmt::Debug for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceSpec")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("token", &"<redacted>")
            .field("counter", &self.counter)
            .field("printer", &self.printer)
            .finish()
    }
}

/// One thing wrong with the config file, located for the person fixing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based line; `None` for problems of the file as a whole (e.g. no counter at all).
    pub line: Option<usize>,
    /// Key path such as `services[2].last` (`(syntax)` for TOML syntax errors).
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: ", self.file, line)?,
            None => write!(f, "{}: ", self.file)?,
        }
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Everything wrong with a config file (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Parses and validates a config. `file_name` names the file in problems, and a relative
/// `photos_dir` (or `audio.clips_dir`) is resolved against its folder.
pub fn parse(text: &str, file_name: &str) -> Result<Config, ConfigError> {
    let base = if file_name == DEFAULT_NAME {
        None
    } else {
        Path::new(file_name).parent()
    };
    let de = locate::deserialize(text, file_name);
    let mut problems = de.problems;
    if let Some(raw) = de.raw {
        let mut ctx = fields::Ctx::new(text, file_name);
        let config = validate::validate(raw, &mut ctx, base);
        // A key already reported and dropped must not be reported again as missing.
        let dropped = |field: &str| {
            de.removed.iter().any(|r| {
                field == r
                    || field
                        .strip_prefix(r.as_str())
                        .is_some_and(|rest| rest.starts_with(['.', '[']))
            })
        };
        problems.extend(ctx.problems.into_iter().filter(|p| !dropped(&p.field)));
        if problems.is_empty() {
            return Ok(config);
        }
    }
    problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    Err(ConfigError { problems })
}

/// Reads the file at `path`, then [`parse`]s it.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, &name),
        Err(e) => Err(ConfigError {
            problems: vec![Problem {
                file: name,
                line: None,
                field: "(file)".to_string(),
                message: format!("cannot read the config file: {e}"),
            }],
        }),
    }
}

/// Why a PIN could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("the PIN must not be empty")]
    Empty,
    #[error("cannot hash the PIN: {0}")]
    Hash(String),
}

/// Hashes a PIN into an argon2id PHC string (default argon2 parameters, random salt), the
/// form `[[staff]] pin_hash` expects. Deliberately slow: call it off the async runtime.
pub fn hash_pin(pin: &str) -> Result<String, PinError> {
    if pin.is_empty() {
        return Err(PinError::Empty);
    }
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PinError::Hash(e.to_string()))
}

/// Whether `pin` matches `pin_hash`; a malformed hash matches nothing. Deliberately slow
/// (tens of milliseconds in release builds): call it off the async runtime.
pub fn verify_pin(pin_hash: &str, pin: &str) -> bool {
    match PasswordHash::new(pin_hash) {
        Ok(h) => Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}
