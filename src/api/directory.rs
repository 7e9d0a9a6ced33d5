//! Who may sign in right now: the config file's staff and devices with the admin page's
//! changes (`domain::admin_roster`), indexed for the lookups of every request (a device by
//! its token's hash, a staff member by id). Swapped whole when the journal's overlay moves;
//! a `watch` of its version wakes the sockets so that a revoked device's or a disabled
//! clerk's open sockets close at once (`api::ws`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::config::Config;
use crate::domain::admin::Overlay;
use crate::domain::admin_roster::{BaseRoster, DeviceEntry, Roster, StaffEntry};
use crate::domain::ids::StaffId;

/// SHA-256 hex of a device token: what the journal and the export keep of it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The roster at one overlay version, indexed.
pub struct Directory {
    pub version: u64,
    pub roster: Roster,
    by_token: HashMap<String, usize>,
}

impl Directory {
    fn build(base: &BaseRoster, overlay: &Overlay) -> Directory {
        let roster = Roster::of(base, overlay);
        let by_token = roster
            .devices
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.revoked)
            .map(|(i, d)| (d.token_hash.clone(), i))
            .collect();
        Directory {
            version: overlay.version,
            roster,
            by_token,
        }
    }

    /// The device a token opens (not revoked).
    pub fn device_by_token(&self, token: &str) -> Option<&DeviceEntry> {
        self.by_token
            .get(&token_hash(token))
            .and_then(|i| self.roster.devices.get(*i))
    }

    pub fn staff(&self, id: &StaffId) -> Option<&StaffEntry> {
        self.roster.staff(id)
    }

    /// A staff member who may sign in (known and not disabled).
    pub fn active_staff(&self, id: &str) -> Option<&StaffEntry> {
        self.roster
            .staff
            .iter()
            .find(|s| s.id.0 == id && !s.disabled)
    }
}

/// The current [`Directory`], swapped on each admin change.
pub struct DirectoryCell {
    base: Arc<BaseRoster>,
    current: RwLock<Arc<Directory>>,
    version: watch::Sender<u64>,
}

impl DirectoryCell {
    /// The config file's roster, before any journalled change is known.
    pub fn new(config: &Config) -> DirectoryCell {
        let base = crate::admin_export::base_roster(config);
        let dir = Directory::build(&base, &Overlay::default());
        DirectoryCell {
            base: Arc::new(base),
            current: RwLock::new(Arc::new(dir)),
            version: watch::Sender::new(0),
        }
    }

    /// The config file's staff and devices (what admin commands are checked against).
    pub fn base(&self) -> Arc<BaseRoster> {
        self.base.clone()
    }

    pub fn get(&self) -> Arc<Directory> {
        match self.current.read() {
            Ok(d) => d.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds from `overlay` when its version moved, and wakes the watchers; true when it
    /// did.
    pub fn sync(&self, overlay: &Overlay) -> bool {
        if self.get().version == overlay.version {
            return false;
        }
        let dir = Arc::new(Directory::build(&self.base, overlay));
        match self.current.write() {
            Ok(mut d) => *d = dir,
            Err(poisoned) => *poisoned.into_inner() = dir,
        }
        self.version.send_replace(overlay.version);
        true
    }

    /// Changes whenever the directory is swapped.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }
}

/// Who asks, and the bearer token as sent (for a socket to re-check it later).
pub struct Authed {
    pub who: super::auth::Principal,
    pub token: Option<String>,
}

impl axum::extract::FromRequestParts<super::AppState> for Authed {
    type Rejection = super::error::ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &super::AppState,
    ) -> Result<Self, Self::Rejection> {
        let who = super::auth::Principal::from_request_parts(parts, app).await?;
        Ok(Authed {
            who,
            token: super::auth::token_of(parts),
        })
    }
}

/// A flag that turns true once `token` no longer resolves after a directory swap (its
/// device revoked, its staff member disabled). The watcher ends with the socket (when the
/// flag's last receiver is dropped).
pub fn watch_token(app: &super::AppState, token: String) -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    let mut changes = app.keys.directory.watch();
    let app = app.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let now = chrono::Utc::now().timestamp();
                    if app.keys.resolve(&token, now).is_none() {
                        let _ = tx.send(true);
                        return;
                    }
                }
                _ = tx.closed() => return,
            }
        }
    });
    rx
}
