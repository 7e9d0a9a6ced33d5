//! The HTTP and WebSocket face of the daemon (axum). Handlers authenticate, turn requests into
//! engine commands or read the hub, and answer in the contract's JSON (docs/API.md).

pub mod admin;
pub mod admin_devices;
pub mod admin_staff;
pub mod appointments;
pub mod auth;
pub mod counters;
pub mod desk;
pub mod devices;
pub mod directory;
pub mod error;
pub mod limits;
pub mod links;
pub mod openapi;
pub mod pages;
pub mod pin_checks;
pub mod print;
pub mod reads;
pub mod report_range;
pub mod secret;
pub mod tickets;
pub mod uplink;
pub mod voice;
pub mod ws;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use axum::{middleware, Router};
use tokio::sync::watch;

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
            // Revoked config devices leave the presence list and its offline alerts.
            let dir = self.keys.directory.get();
            let revoked = dir.roster.devices.iter().filter(|d| d.revoked);
            self.devices
                .retire(revoked.map(|d| d.origin.clone()).collect());
        }
    }

    /// Now, by the engine's clock, in the centre's timezone.
    pub fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        crate::engine::local_now(&self.spec(), &self.clock)
    }
}

pub type AppState = Arc<App>;

pub fn router(app: AppState) -> Router {
    let limiter = limits::Limiter::new(&app.config.limits);
    let api = Router::new()
        .route("/state", get(reads::state))
        .route("/me", get(reads::me))
        .route("/tickets", post(tickets::issue))
        .route(
            "/tickets/{id}",
            get(tickets::get_one).delete(tickets::cancel),
        )
        .route("/tickets/{id}/requeue", post(tickets::requeue))
        .route("/tickets/{id}/qr.svg", get(tickets::qr))
        .route("/login", post(counters::login))
        .route("/logout", post(counters::logout))
        .route("/counters/{n}/next", post(counters::next))
        .route("/counters/{n}/recall", post(counters::recall))
        .route("/counters/{n}/no-show", post(counters::no_show))
        .route("/counters/{n}/finish", post(counters::finish))
        .route("/counters/{n}/transfer", post(counters::transfer))
        .route("/counters/{n}/status", post(counters::status))
        .route("/counters/{n}/rating-target", get(counters::rating_target))
        .route("/ratings", post(tickets::rate))
        .route("/stats", get(reads::stats))
        .route("/reports/daily.csv", get(reads::daily_csv))
        .route("/reports/daily.xlsx", get(reads::daily_xlsx))
        .route("/slots", get(tickets::slots))
        .route("/bookings", post(tickets::book))
        .route("/bookings/{code}", delete(tickets::cancel_booking))
        .route("/checkins", post(tickets::check_in))
        .route("/bookings", get(appointments::list))
        .route("/bookings/{code}/qr.svg", get(appointments::qr))
        .route(
            "/remote-tickets",
            get(appointments::allowance).post(appointments::remote_issue),
        )
        .route("/reports/callbacks.csv", get(appointments::callbacks_csv))
        .route("/dossier-stats", put(reads::dossier))
        .route("/openapi.json", get(openapi::openapi_json))
        .merge(voice::routes())
        .merge(print::routes())
        .merge(devices::routes())
        .merge(desk::routes())
        .merge(report_range::routes())
        .merge(uplink::routes())
        .merge(admin::routes())
        .fallback(reads::api_not_found);
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(reads::healthz))
        .route("/metrics", get(reads::metrics))
        .route("/ws", get(ws::upgrade))
        .merge(pages::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(limiter, limits::guard))
        .layer(middleware::from_fn(error::localize))
        .with_state(app)
}
