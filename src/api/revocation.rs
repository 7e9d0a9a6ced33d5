//! A socket's token re-checked while it is open: [`Authed`] keeps the bearer token beside
//! the principal, and [`watch_token`] turns a flag once the sign-in directory (directory.rs)
//! no longer resolves it — a device revoked, a staff member disabled on the admin page — so
//! that `api::ws` closes the socket at once. Its own file so that the directory depends on
//! neither the app nor auth (tests/api_layering.rs).

use tokio::sync::watch;

use super::app::AppState;
use super::auth::{token_of, Principal};
use super::error::ApiError;

/// Who asks, and the bearer token as sent (for a socket to re-check it later).
pub struct Authed {
    pub who: Principal,
    pub token: Option<String>,
}

impl axum::extract::FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let who = Principal::from_request_parts(parts, app).await?;
        Ok(Authed {
            who,
            token: token_of(parts),
        })
    }
}

/// A flag that turns true once `token` no longer resolves after a directory swap (its
/// device revoked, its staff member disabled). The watcher ends with the socket (when the
/// flag's last receiver is dropped).
pub fn watch_token(app: &AppState, token: String) -> watch::Receiver<bool> {
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
