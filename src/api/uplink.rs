//! `GET /api/v1/uplink` (supervisor): the state of the uplink to the province hub
//! (src/uplink): connected, how many events the hub does not hold yet, the last error.

use axum::extract::State;
use axum::Json;
use serde_json::Value;

use super::app::AppState;
use super::auth::Principal;
use super::error::{ApiResult, ErrorBody};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(uplink))
}

#[utoipa::path(
    get,
    path = "/uplink",
    tag = "meta",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{\"configured\":false}` or the uplink's state: url, centre, connected, refused, hub_seq, lobby_seq, behind, sent, failures, last_ok_at, last_error {code, message}"),
        (status = 403, description = "`forbidden`: not a supervisor", body = ErrorBody),
    ),
)]
pub async fn uplink(State(app): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    who.require_supervisor()?;
    Ok(Json(app.metrics.uplink.to_json()))
}
