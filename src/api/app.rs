//! What every handler shares: [`App`] (config, engine, read side, keys, devices…) behind
//! [`AppState`]. Its own file so that route files depend on it, never on `mod.rs` (which
//! depends on every route file to build the router).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

use super::auth;
use crate::audio::Announcer;
use crate::broadcast::Broadcaster;
use crate::config::Config;
use crate::domain::spec::CentreSpec;
use crate::engine::EngineHandle;
use crate::metrics::Metrics;

/// Request bodies larger than this are refused with 413 `payload_too_large`.
pub const MAX_BODY: usize = 16 * 1024;

/// Everything a handler may need, shared.
pub struct App {
    pub config: Arc<Config>,
    pub engine: EngineHandle,
    /// The read side: the latest read model, and the event frames for sockets.
    pub read: Arc<Broadcaster>,
    pub keys: auth::Keys,
    pub logins: auth::LoginGuard,
    pub metrics: Arc<Metrics>,
    pub announcer: Option<Announcer>,
    /// The recorded voice (`/voice`, `/api/v1/voice`).
    pub voice: Arc<crate::voice::Studio>,
    pub data_dir: PathBuf,
    /// A centre's own copy of the screens (`--displays DIR`); None = the embedded ones.
    pub displays_dir: Option<PathBuf>,
    /// Turns true when the daemon shuts down; WebSocket tasks close their sockets.
    pub shutdown: watch::Receiver<bool>,
    /// The engine's clock (shifted in tests by `XEPHANG_TEST_CLOCK_OFFSET_S`).
    pub clock: crate::engine::Clock,
    /// The kiosks' ticket printers driven by the daemon (src/print).
    pub printers: Arc<crate::print::Printers>,
    /// Which configured devices are connected (`src/devices.rs`).
    pub devices: Arc<crate::devices::Presence>,
}

impl App {
    /// The effective centre spec (config file + admin page changes) of the latest read
    /// model.
    pub fn spec(&self) -> Arc<CentreSpec> {
        self.read.current().spec_arc()
    }

    /// Brings the sign-in directory up to the journal's admin overlay (cheap when unchanged).
    pub fn sync_directory(&self) {
        let model = self.read.current();
        if self.keys.directory.sync(&model.lobby().overlay) {
            // Devices added on the page are tracked, revoked ones leave the list and alerts.
            self.devices.sync(&self.keys.directory.get().roster.devices);
        }
    }

    /// Now, by the engine's clock, in the centre's timezone.
    pub fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        crate::engine::local_now(&self.spec(), &self.clock)
    }

    /// Staff member `id` as the sign-in directory knows them (config file + admin page).
    pub fn staff(
        &self,
        id: &crate::domain::ids::StaffId,
    ) -> Option<crate::domain::admin_roster::StaffEntry> {
        self.keys.directory.get().staff(id).cloned()
    }
}

pub type AppState = Arc<App>;

impl auth::HasKeys for AppState {
    fn keys(&self) -> &auth::Keys {
        &self.keys
    }

    fn sync_directory(&self) {
        App::sync_directory(self)
    }
}
