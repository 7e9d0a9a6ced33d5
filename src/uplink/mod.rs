//! The lobby's uplink to the province hub (HUB.md): `[uplink]` in the config starts a task
//! that ships the lobby's committed events, personal data removed, to the hub's
//! `POST /api/v1/uplink` ([`wire`]). The lobby never waits for it ([`task`]); a catch-up's
//! read-back and encoding run on a thread of their own at idle CPU priority ([`reader`],
//! [`source`]), so they never compete with the clerks and the boards. Also here: the
//! data dir's identity ([`identity`], made at every lobby's first start, uplink or not),
//! the uplink's state for the dashboard and `/metrics` ([`status`]), and where a ticket's
//! QR code points when a hub serves the phone pages (`api::links::Links`).

pub mod identity;
pub mod reader;
pub mod source;
pub mod status;
pub mod task;
pub mod wire;

pub use status::UplinkStatus;

use crate::api::AppState;

/// Makes (or reads) the data dir's identity and, when `[uplink]` is configured, starts the
/// uplink task. Called once by [`crate::server::run`].
pub async fn start(app: &AppState) -> std::io::Result<()> {
    let dir = app.data_dir.clone();
    let identity = tokio::task::spawn_blocking(move || identity::load_or_create(&dir))
        .await
        .map_err(std::io::Error::other)??;
    let Some(cfg) = app.config.uplink.clone() else {
        return Ok(());
    };
    app.metrics.uplink.configure(&cfg.url, &cfg.centre);
    let task = task::Task {
        cfg,
        identity,
        // The file's spec: the hub folds the admin page's changes from the events itself.
        spec: std::sync::Arc::new(app.config.spec.clone()),
        info: app.config.centre_info(),
        read: app.read.clone(),
        journal: app.data_dir.join("journal"),
        metrics: app.metrics.clone(),
        shutdown: app.shutdown.clone(),
    };
    tokio::spawn(task.run());
    Ok(())
}
