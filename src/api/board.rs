//! `GET /api/v1/state`: the lobby's snapshot as the caller's audience may see it — the same
//! document the screens start from before following the WebSocket. The read model encodes
//! it (`snapshot_json`) from the typed per-audience views of `read::snapshot::document`,
//! whose schema ([`SnapshotView`]: `StaffSnapshot` or `PublicSnapshot`) is the answer's.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::app::AppState;
use super::auth::Principal;
use super::command::audience;
use crate::read::snapshot::SnapshotView;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(state))
}

/// The snapshot (docs/API.md "Snapshot, in full"); `waiting` and `alerts` only for staff
/// tokens.
#[utoipa::path(
    get,
    path = "/state",
    tag = "board",
    security((), ("bearer" = [])),
    responses((status = 200, body = SnapshotView)),
)]
pub async fn state(State(app): State<AppState>, who: Principal) -> Response {
    let body = app.read.current().snapshot_json(audience(&who), app.now());
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
